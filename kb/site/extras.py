"""Pages fed by the other kb modules: gaps, named queries, downloads and reference results.

Each module is optional: when it is missing or fails, its section says so (the build goes on).
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

from kb.graph import bib_path, taxonomy_path
from kb.site.concepts import concept_link, dataset_link, paper_link, table
from kb.site.data import SiteData
from kb.site.escape import code_block, esc
from kb.vocab import BASE

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
}
MAX_ROWS = 50  # query results shown per query; the rest is counted
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


def _cell(d: SiteData, src: str, key: str, value: Any) -> str:
    """A result cell: our ids become links, everything else is escaped text."""
    if isinstance(value, (list, tuple)):
        return esc("; ".join(str(v) for v in value))
    if isinstance(value, float):
        return esc(f"{value:.4g}")
    text = "" if value is None else str(value)
    kind, _, ident = text.partition(":")
    if text.startswith(BASE):  # a full IRI of ours
        kind, ident = text[len(BASE) :].split("/", 1) if "/" in text[len(BASE) :] else ("", text)
    if kind == "concept" and ident in d.concepts:
        return concept_link(d, src, ident)
    if kind == "paper" and ident in d.papers:
        return paper_link(d, src, ident)
    if kind == "dataset" and ident in d.datasets:
        return dataset_link(d, src, ident)
    if key in CONCEPT_KEYS and text in d.concepts:
        return concept_link(d, src, text)
    if key in ("paper", "id", "p") and text in d.papers:
        return paper_link(d, src, text)
    if key in ("dataset", "id", "d") and text in d.datasets:
        return dataset_link(d, src, text)
    return esc(text)


def rows_table(d: SiteData, src: str, rows: list[dict[str, Any]], limit: int = MAX_ROWS) -> str:
    if not rows:
        return "_No rows._"
    cols = list(rows[0])
    body = [[_cell(d, src, c, r.get(c)) for c in cols] for r in rows[:limit]]
    more = f"\n\n_…and {len(rows) - limit} more rows._" if len(rows) > limit else ""
    return table([esc(c) for c in cols], body) + more


def gaps_markdown(d: SiteData, data_dir: Path | None) -> str:
    """The gaps page, from kb.gaps.analyse()."""
    out = [
        "# Gaps",
        "",
        "Where the survey's map of large-model safety is thin: combinations without papers, "
        "attack areas nobody defends, techniques that rest on one method. Computed by `kb gaps` "
        "from the same graph.",
        "",
        "![Papers per model family and threat kind](assets/figures/family-threat-heatmap.svg)",
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
    for name, rows in result.items():
        title, about = sections.get(name, (name, ""))
        out += [
            f"## {esc(title)}",
            "",
            f"{esc(about)} ({len(rows)} rows; <code>kb gaps --section {esc(name)}</code>)",
            "",
            rows_table(d, "gaps.md", rows, limit=200),
            "",
        ]
    return "\n".join(out)


def queries_markdown(d: SiteData, data_dir: Path | None) -> str:
    """The queries page: every named SPARQL query, its text and its current result."""
    out = [
        "# Queries",
        "",
        "Every named question the knowledge base answers, with its SPARQL text and its "
        "result on the current data. Run one yourself with `kb query NAME`.",
        "",
    ]
    sparql, why = _optional("sparql")
    if sparql is None:
        return "\n".join(out + [why or "", ""])
    try:
        listed = list(sparql.list_queries())
    except Exception as exc:
        return "\n".join(out + [f"Listing the queries failed in this build: {esc(exc)}", ""])
    for q in listed:
        info = q if isinstance(q, dict) else {"name": getattr(q, "name", str(q))}
        for attr_name in ("description", "text", "params", "path"):
            if attr_name not in info and hasattr(q, attr_name):
                info[attr_name] = getattr(q, attr_name)
        name = str(info.get("name"))
        text = info.get("text") or info.get("query")
        if not text and info.get("path"):
            text = Path(str(info["path"])).read_text(encoding="utf-8")
        out += [f"## {esc(name)}", ""]
        if info.get("description"):
            out += [esc(info["description"]), ""]
        params = info.get("params") or ()
        if params:
            out += ["Parameters:", ""] + [f"- {_param(p)}" for p in params] + [""]
        if text:
            out += [code_block(str(text).strip(), "sparql"), ""]
        try:
            rows = (
                sparql.run_named(name, {}, data_dir=data_dir)
                if _takes_data_dir(sparql)
                else sparql.run_named(name, {})
            )
            rows = [dict(r) for r in rows]
            out += [f"Result: {len(rows)} rows.", "", rows_table(d, "queries.md", rows), ""]
        except Exception as exc:  # a query that needs parameters has no default result
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            out += [f"No result without parameters ({esc(reason)}).", ""]
    return "\n".join(out)


def _param(p: Any) -> str:
    """One parameter of a named query: name (type): meaning, default."""
    if not hasattr(p, "name"):
        return esc(p)
    default = getattr(p, "default", None)
    text = f"{p.name} ({getattr(p, 'type', '')}): {getattr(p, 'description', '') or ''}"
    return esc(text + (f" (default: {default})" if default not in (None, "") else ""))


def _takes_data_dir(module: Any) -> bool:
    import inspect

    try:
        return "data_dir" in inspect.signature(module.run_named).parameters
    except (TypeError, ValueError):
        return False


def copy_downloads(
    docs: Path, build_dir: Path, data_dir: Path | None
) -> list[tuple[str, str, str]]:
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
    rows = [
        [f"[{esc(name)}](downloads/{name})", esc(fmt), esc(origin)] for name, fmt, origin in found
    ]
    exported = any(name in EXPORTS for name, _, _ in found)
    note = (
        "" if exported else "\n\nRun `kb build` to add the JSON-LD, N-Triples and SQLite exports."
    )
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
