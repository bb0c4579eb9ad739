"""Pages fed by the other kb modules: gaps, named queries, downloads and reference results.

Each module is optional: when it is missing or fails, its section says so (the build goes on).
"""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path
from typing import Any

from kb.graph import bib_path, taxonomy_path
from kb.site.concepts import (
    TOPICS_PAGE,
    TOPICS_TITLE,
    collapsed,
    concept_link,
    dataset_link,
    method_link,
    no_search,
    paper_link,
    short_authors,
    table,
)
from kb.site.data import FAMILY_TABS, SiteData
from kb.site.escape import code_block, esc, ext_link, safe_url, yaml_str
from kb.site.paths import paper_page, rel
from kb.sparql.engine import compact
from kb.vocab import BASE, NAMESPACES

# Result columns whose plain ids name concepts (gap rows and query rows).
CONCEPT_KEYS = {
    "id",
    "concept",
    "area",
    "c",
    "defense",
    "attack",
    "subcategory",
    "threat_type",
    "family",
    "topic",
}
# A column holding the label of the id column just before it: the two become one link.
LABEL_KEYS = ("label", "name", "title", "author_name")
MAX_ROWS = 50  # query results shown per query; the rest is counted
# Column names people read (the JSON keys stay as they are).
HEADERS = {
    "threat_kind": "Threat kind",
    "defended_elsewhere": "Defense areas in other families",
    "eval_datasets": "Evaluation datasets",
    "most_used": "Most used",
    "newest_year": "Newest year",
    "survey_papers": "Papers in the survey",
    "since_recent": "From 2024 on",
    "per_year": "Papers per year",
    "survey_newest": "Newest in the survey",
    "field_papers": "Papers in the field",
    "field_newest": "Newest in the field",
    "stale_in_field": "Still stale in the field",
    "rests_on": "Sources",
    "in_survey_table": "In a survey table",
    "first_match": "First match",
    "matching_targets": "Matching targets",
    "papers_with_methods": "Papers with methods",
    "paper_share": "Paper share",
    "threat_types": "Threat types",
    "kind": "Kind",
    "id": "Name",
}
CURIE = re.compile(r"\b(" + "|".join(sorted(NAMESPACES, key=len, reverse=True)) + r"):([\w.-]+)")
# Files that `kb build` writes into build/ and the site offers for download when present.
EXPORTS = {
    "kb.jsonld": ("JSON-LD", "the graph as JSON-LD (with context.jsonld)"),
    "context.jsonld": ("JSON-LD", "the JSON-LD context"),
    "kb.nt": ("N-Triples", "the graph, one sorted triple a line"),
    "kb.db": ("SQLite", "the main tables, with full-text search on titles and method names"),
    "stats.json": ("JSON", "headline statistics"),
    "gaps.json": ("JSON", "the gap analysis"),
}


def _optional(name: str) -> tuple[Any, str | None]:
    """Import kb.<name>, or return the reason it is not available."""
    try:
        return importlib.import_module(f"kb.{name}"), None
    except Exception as exc:  # a module still in development must not break the site
        return None, f"`kb.{esc(name)}` is not available in this build ({esc(type(exc).__name__)})."


def header(key: str) -> str:
    """A result column's name as a table header: `threat_kind` -> `Threat kind`."""
    return esc(HEADERS.get(key) or key.replace("_", " ").capitalize())


def local_label(prefix: str, ident: str) -> str:
    """A term we have no page for, as words: facet:kind-jailbreak -> jailbreak, kb:ModelFamily ->
    model family, dcterms:creator -> creator."""
    if prefix == "facet":
        return ident.split("-", 1)[1] if "-" in ident else ident
    if prefix in ("kb", "rdf", "rdfs", "skos", "dcterms", "bibo", "fabio", "schema", "prov"):
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", ident).lower()
    return ident


def readable(text: str) -> str:
    """Prose from the data or a query header with its CURIEs as words ("(kb:answers)" goes)."""
    text = re.sub(r"\s*\(" + CURIE.pattern + r"\)", "", text)
    return CURIE.sub(lambda m: local_label(m.group(1), m.group(2)), text)


def _split_id(text: str) -> tuple[str, str]:
    """(prefix, local id) of a CURIE or one of our IRIs; ("", text) otherwise."""
    if text.startswith(BASE):
        text = compact(text)
    m = CURIE.fullmatch(text)
    return (m.group(1), m.group(2)) if m else ("", text)


def _cell(d: SiteData, src: str, key: str, value: Any, label: Any = None) -> str:
    """A result cell: our ids become links labelled for people (the id is the link's tooltip)."""
    if isinstance(value, (list, tuple)):
        return esc("; ".join(str(v) for v in value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return esc(f"{value:.4g}")
    text = "" if value is None else str(value)
    kind, ident = _split_id(text)
    if not kind:  # a plain id in a column that names its kind
        if key in CONCEPT_KEYS and text in d.concepts:
            kind = "concept"
        elif key in ("paper", "id", "p") and text in d.papers:
            kind = "paper"
        elif key in ("dataset", "id", "d") and text in d.datasets:
            kind = "dataset"
    if kind == "concept" and ident in d.concepts:
        name = FAMILY_TABS.get(ident) if key == "family" else None
        return concept_link(d, src, ident, name or (str(label) if label else None), tip=ident)
    if kind == "paper" and ident in d.papers:
        return paper_link(d, src, ident, tip=ident)
    if kind == "dataset" and ident in d.datasets:
        return dataset_link(d, src, ident, tip=ident)
    if kind == "method" and ident in d.methods:
        return method_link(d, src, ident, tip=ident)
    if kind:
        return esc(label if label else local_label(kind, ident))
    if safe_url(text) and "arxiv.org/abs/" in text:
        return ext_link(text, "arXiv")
    if safe_url(text):
        return ext_link(text, "link")
    if key == "reading":
        return _reading(d, src, text)
    return esc(text)


def _reading(d: SiteData, src: str, text: str) -> str:
    """A gap's one-line reading with the paper ids in it as short linked citations."""
    parts = re.split(r"\b([a-z][a-z0-9-]*\d{4}[a-z0-9-]*)\b", readable(text))
    out = []
    for i, part in enumerate(parts):
        if i % 2 and part in d.papers:
            p = d.papers[part]
            who = short_authors(p).split(",")[0] or p["title"][:30]
            out.append(f'[{esc(who)} et al.]({rel(src, paper_page(part))} "{part}")')
        else:
            out.append(esc(part))
    return "".join(out)


def _columns(rows: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(column, its label column) pairs: a label column right after an id column joins it."""
    cols = list(rows[0])
    ids = {c for c in cols if any(_split_id(str(r.get(c) or ""))[0] for r in rows[:20])}
    out: list[tuple[str, str | None]] = []
    for c in cols:
        if c in LABEL_KEYS and out and out[-1][0] in ids and out[-1][1] is None:
            out[-1] = (out[-1][0], c)
            continue
        out.append((c, None))
    return out


def rows_table(
    d: SiteData,
    src: str,
    rows: list[dict[str, Any]],
    limit: int = MAX_ROWS,
    drop: tuple[str, ...] = (),
) -> str:
    if not rows:
        return "_No rows._"
    cols = [(c, lab) for c, lab in _columns(rows) if c not in drop]
    body = [[_cell(d, src, c, r.get(c), r.get(lab) if lab else None) for c, lab in cols] for r in rows[:limit]]
    more = f"\n\n_…and {len(rows) - limit} more rows._" if len(rows) > limit else ""
    return table([header(c) for c, _ in cols], body) + more


def _matrix(d: SiteData, rows: list[dict[str, Any]]) -> str:
    """The family x threat-kind matrix transposed (kinds down, six families across): narrow."""
    fams = [r["family"] for r in rows]
    kinds = [k for k in rows[0] if k != "family"]
    head = ["Threat kind", *[esc(FAMILY_TABS.get(f, f)) for f in fams]]
    body = []
    for k in kinds:
        cells = [str(r[k]) if r[k] else '<span class="kb-gap">0</span>' for r in rows]
        body.append([f"**{esc(k)}**" if k == "total" else esc(k), *cells])
    return table(head, body)


def _undefended(d: SiteData, src: str, rows: list[dict[str, Any]]) -> list[str]:
    """The lead of the gaps page: attack areas no defense answers, grouped by family."""
    if not rows:
        return ["Every attack area of the survey has a defense area that answers it.", ""]
    by_family: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_family.setdefault(str(r["family"]), []).append(r)
    body = []
    for fam in [f for f in d.roots() if f in by_family] + [f for f in by_family if f not in d.concepts]:
        for r in sorted(by_family[fam], key=lambda x: -int(x.get("papers") or 0)):
            area = str(r["area"])
            body.append(
                [
                    esc(FAMILY_TABS.get(fam, fam)),
                    concept_link(d, src, area, tip=area) if area in d.concepts else esc(r.get("label") or area),
                    str(r.get("papers", "")),
                    str(r.get("methods", "")),
                    esc(r.get("defended_elsewhere") or "none"),
                ]
            )
    return [
        f"**{len(rows)} attack areas have no defense area** in the survey's taxonomy. "
        "The last column names the families where a defense area for the same kind of threat "
        "exists: a place to start.",
        "",
        table(["Family", "Attack area", "Papers", "Methods", "Defended in"], body),
        "",
    ]


def _source_names(d: SiteData, ids: str) -> str:
    """"survey-v6 + awesome-lm-ssp" as the sources' short names: "Survey v6 + Awesome-LM-SSP"."""
    out = []
    for sid in re.split(r"\s*\+\s*", ids or ""):
        label = (d.sources.get(sid) or {}).get("label") or sid
        out.append(re.split(r" \(| paper list| at commit", label)[0])
    return " + ".join(x for x in out if x)


def _field_sections(d: SiteData, src: str, result: dict[str, Any]) -> list[str]:
    """What the second source adds (CONTRACTS §1): topics the survey leaves out, and the survey's
    stale areas recomputed on every source. Nothing when the data has one source."""
    out: list[str] = []
    outside = result.get("outside_survey") or []
    if outside:
        body = [
            [
                _cell(d, src, "topic", r["topic"], r.get("label")),
                str(r.get("papers", "")),
                str(r.get("since_recent", "")),
                str(r.get("newest_year") or ""),
                esc(r.get("per_year") or ""),
            ]
            for r in outside
        ]
        out += [
            "## What the field studies beyond the survey",
            "",
            f"**{len(outside)} topics** with papers in the field that the survey's taxonomy does not cover "
            f"(from the second paper list; see [{TOPICS_TITLE.lower()}]({rel(src, TOPICS_PAGE)})).",
            "",
            table(["Topic", "Papers", "From 2024 on", "Newest", "Papers per year"], body),
            "",
        ]
    stale = result.get("stale_field") or []
    if stale:
        body = [
            [
                esc(FAMILY_TABS.get(str(r.get("family")), "")) + " " + _cell(d, src, "area", r["area"], r.get("label")),
                f"{r.get('survey_papers', '')} (newest {r.get('survey_newest') or '—'})",
                f"{r.get('field_papers', '')} (newest {r.get('field_newest') or '—'})",
                "yes" if r.get("stale_in_field") else "no",
                esc(_source_names(d, str(r.get("rests_on") or ""))),
            ]
            for r in stale
        ]
        out += [
            "## Stale areas, recomputed on the field",
            "",
            "Areas with no paper from 2024 on in the survey, counted again on every source: "
            "a **no** in the fourth column means the field has moved on where the survey stopped.",
            "",
            table(["Area", "Survey papers", "Field papers", "Still stale in the field", "Sources"], body),
            "",
        ]
    return out


def gaps_markdown(d: SiteData, data_dir: Path | None) -> str:
    """The gaps page, from kb.gaps.analyse(): undefended attacks first, then the matrix, then
    every other section collapsed."""
    src = "gaps.md"
    out = [
        "---",
        "hide:",
        "  - toc",
        "---",
        "",
        "# Gaps",
        "",
        "Where the survey's map of large-model safety is thin. Computed by `kb gaps` from the same graph.",
        "",
    ]
    gaps, why = _optional("gaps")
    if gaps is None:
        return "\n".join(out + [why or "", ""])
    try:
        result = gaps.analyse(data_dir)
    except Exception as exc:
        return "\n".join(out + [f"The gap analysis failed in this build: {esc(exc)}", ""])
    sections = getattr(gaps, "SECTIONS", {})
    out += ["## Attacks without defenses", ""]
    out += _undefended(d, src, result.get("undefended", []))
    if result.get("matrix"):
        out += [
            "## Where the research is",
            "",
            "Papers per model family and threat kind; a **0** is a combination without a paper.",
            "",
            "![Papers per model family and threat kind](assets/figures/family-threat-heatmap.svg)",
            "",
            collapsed("The same numbers as a table", _matrix(d, result["matrix"])),
            "",
        ]
    if result.get("matrix_methods"):
        out += [
            collapsed(
                "Methods (survey table rows) per family and threat kind",
                _matrix(d, result["matrix_methods"]),
            ),
            "",
        ]
    out += _field_sections(d, src, result)
    out += ["## Other gaps", ""]
    for name, rows in result.items():
        if name in ("undefended", "matrix", "matrix_methods", "outside_survey", "stale_field"):
            continue
        title, about = sections.get(name, (name, ""))
        drop = ("label",) if rows and "label" in rows[0] and "area" in rows[0] else ()
        if name == "bridges":
            drop = ()
        body = (
            f"{esc(readable(about))} ({len(rows)} rows; <code>kb gaps --section {esc(name)}</code>)"
            "\n\n" + rows_table(d, src, rows, limit=200, drop=drop)
        )
        out += [collapsed(f"{esc(title)} ({len(rows)})", body), ""]
    return "\n".join(out)


def _run_default(sparql: Any, name: str, data_dir: Path | None) -> list[dict[str, Any]]:
    rows = sparql.run_named(name, {}, data_dir=data_dir) if _takes_data_dir(sparql) else sparql.run_named(name, {})
    return [dict(r) for r in rows]


def queries_pages(d: SiteData, data_dir: Path | None) -> dict[str, str]:
    """queries/index.md (every named question, one line each) and one page per query."""
    intro = [
        "# Queries",
        "",
        "Every named question the knowledge base answers. Each page shows the question, how to "
        "ask it yourself with `kb query NAME`, its SPARQL text and its result on the current data.",
        "",
    ]
    sparql, why = _optional("sparql")
    if sparql is None:
        return {"queries/index.md": "\n".join(intro + [why or "", ""])}
    try:
        listed = list(sparql.list_queries())
    except Exception as exc:
        return {"queries/index.md": "\n".join(intro + [f"Listing the queries failed in this build: {esc(exc)}", ""])}
    pages: dict[str, str] = {}
    rows = []
    for q in listed:
        name = str(q.name)
        src = f"queries/{name}.md"
        params = tuple(q.params or ())
        rows.append(
            [
                f"[{esc(name)}]({name}.md)",
                esc(readable(q.description or "")),
                esc(", ".join(p.name for p in params)),
            ]
        )
        out = [
            "---",
            f"title: {yaml_str(name)}",
            "hide:",
            "  - toc",
            "---",
            "",
            f"# {esc(name)}",
            "",
            esc(readable(q.description or "")),
            "",
        ]
        example = " ".join(f"-p {p.name}={p.default}" for p in params if p.default not in (None, ""))
        out += [f"<code>kb query {esc(name)}{(' ' + esc(example)) if example else ''}</code>", ""]
        if params:
            out += ["Parameters:", ""] + [f"- {_param(p)}" for p in params] + [""]
        out += [collapsed("SPARQL text", code_block(str(q.text).strip(), "sparql")), ""]
        try:
            result = _run_default(sparql, name, data_dir)
            shown = "with its default parameters, " if params else ""
            out += [
                "## Result",
                "",
                f"{len(result)} rows ({shown}on the current data).",
                "",
                no_search(rows_table(d, src, result)),
                "",
            ]
        except Exception as exc:  # a query that needs parameters has no default result
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            out += [f"No result without parameters ({esc(readable(reason))}).", ""]
        pages[src] = "\n".join(out)
    index = intro + [table(["Query", "Question", "Parameters"], rows), ""]
    pages["queries/index.md"] = "\n".join(index)
    return pages


def query_nav(pages: dict[str, str]) -> list[Any]:
    """The Queries tab: the index page, then one entry per query."""
    names = sorted(p for p in pages if p != "queries/index.md")
    return ["queries/index.md", *[{Path(p).stem: p} for p in names]]


def _param(p: Any) -> str:
    """One parameter of a named query: name (type): meaning, default."""
    if not hasattr(p, "name"):
        return esc(p)
    default = getattr(p, "default", None)
    text = f"{p.name} ({getattr(p, 'type', '')}): {getattr(p, 'description', '') or ''}"
    return code_ids(text + (f" (default: {default})" if default not in (None, "") else ""))


def code_ids(text: str) -> str:
    """Escaped text whose CURIEs are values to type (a resource parameter): shown as code."""
    out, last = [], 0
    for m in CURIE.finditer(text):
        out += [esc(text[last : m.start()]), f"<code>{esc(m.group(0))}</code>"]
        last = m.end()
    return "".join(out) + esc(text[last:])


def _takes_data_dir(module: Any) -> bool:
    import inspect

    try:
        return "data_dir" in inspect.signature(module.run_named).parameters
    except (TypeError, ValueError):
        return False


def copy_downloads(docs: Path, build_dir: Path, data_dir: Path | None) -> list[tuple[str, str, str]]:
    """Copy the curated files and the build/ exports into docs/downloads; (file, format, what)."""
    dest = docs / "downloads"
    dest.mkdir(parents=True, exist_ok=True)
    found: list[tuple[str, str, str]] = []
    curated = [(taxonomy_path(data_dir), "Turtle", "the curated knowledge graph")]
    curated.append((bib_path(data_dir), "BibTeX", "the curated references"))
    exports = [(build_dir / name, fmt, what) for name, (fmt, what) in EXPORTS.items()]
    for path, fmt, what in curated + exports:
        if path.is_file():
            shutil.copyfile(path, dest / path.name)
            found.append((path.name, fmt, what))
    return found


def downloads_markdown(found: list[tuple[str, str, str]]) -> str:
    rows = [[f"[{esc(name)}](downloads/{name})", esc(fmt), esc(origin)] for name, fmt, origin in found]
    exported = any(name in EXPORTS for name, _, _ in found)
    note = "" if exported else "\n\nRun `kb build` to add the JSON-LD, N-Triples and SQLite exports."
    return table(["File", "Format", "What"], rows) + note


def load_results(build_dir: Path) -> dict[str, Any]:
    """Latest reference-implementation results by entry point (empty when kb.reference has none)."""
    ref, _ = _optional("reference")
    fn = getattr(ref, "load_results", None) if ref else None
    if fn is None:
        return {}
    try:
        res = fn(build_dir)
    except Exception:
        return {}
    if isinstance(res, dict):
        return res
    out = {}
    for r in res or []:
        if isinstance(r, dict):
            out[str(r.get("entry_point") or r.get("name") or r.get("impl") or "")] = r
    return out
