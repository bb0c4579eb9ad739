"""Pages for papers and datasets, and their index pages."""

from __future__ import annotations

from kb.site.concepts import (
    Index,
    arxiv_cell,
    code_cell,
    collapsed,
    concept_link,
    dataset_link,
    links_cell,
    method_link,
    no_search,
    paper_cells,
    paper_link,
    table,
)
from kb.site.data import FAMILY_TABS, SiteData
from kb.site.escape import code_block, esc, ext_link, yaml_str
from kb.site.paths import anchor, dataset_page, paper_page, rel

# Paper pages weigh half in search: with some 2,700 titles, a paper whose title holds every word
# of a query ("BlackDAN: A Black-Box ... Jailbreaking") would otherwise rank above the area page
# of the same words (area pages weigh 1 to 2.5, growing with their papers: kb.site.concepts).
PAPER_SEARCH_BOOST = 0.5
# A paper page's sections that repeat what has pages of its own (its areas) or is there to be
# copied (its BibTeX): left out of the search index, which keeps it small for ~2,700 papers.
NO_SEARCH_SECTION = "{ data-search-exclude }"


def _trail(d: SiteData, src: str, cid: str) -> str:
    return " › ".join(concept_link(d, src, c) for c in [*d.ancestors(cid), cid])


def _sources_line(d: SiteData, p: dict) -> list[str]:
    """Where the paper comes from (kb:inSource), with the list's category file and badges."""
    out = []
    for sid in sorted(p["inSource"], key=lambda x: x != "survey-v6"):
        s = d.sources.get(sid, {"label": sid, "url": None})
        text = ext_link(s["url"], esc(s["label"] or sid))
        extra = []
        if sid != "survey-v6" and p["categories"]:
            extra.append("category " + ", ".join(f"<code>{esc(c)}</code>" for c in p["categories"]))
        if sid != "survey-v6" and p["badges"]:
            extra.append(("badges " if len(p["badges"]) > 1 else "badge ") + ", ".join(esc(b) for b in p["badges"]))
        out.append(text + (f" ({'; '.join(extra)})" if extra else ""))
    # provenance, not words to find the paper by: left out of the search index (it is the
    # same line on some 2,700 pages)
    return [no_search("**Sources:** " + " · ".join(out)), ""] if out else []


def paper_markdown(d: SiteData, pid: str) -> str:
    """The page of one paper: facts, links, every classification, its methods and its BibTeX."""
    p = d.papers[pid]
    src = paper_page(pid)
    out = [
        "---",
        f"title: {yaml_str(p['title'])}",
        "search:",
        f"  boost: {PAPER_SEARCH_BOOST}",
        "---",
        "",
        no_search(f"[Home]({rel(src, 'index.md')}) › [Papers]({rel(src, 'papers/index.md')})"),
        "",
        f"# {esc(p['title'])}",
        "",
    ]
    authors = "; ".join(name for name, _ in p["authors"])
    if not authors and p["inSource"] and "survey-v6" not in p["inSource"]:
        authors = "not given (the paper list it comes from names none)"
    out += [
        f"**Authors:** {esc(authors) or '—'}  ",
        f"**Year:** {esc(p['year'] or '—')}  ",
        f"**Venue:** {esc(p['venue'] or '—')}  ",
        f"**Key:** <code>{esc(pid)}</code>",
        "",
    ]
    links = []
    if p["arxiv"]:
        links.append("arXiv " + arxiv_cell(p))
    if p["doi"]:
        links.append("DOI " + ext_link(f"https://doi.org/{p['doi']}", esc(p["doi"])))
    if p["code"]:
        links.append(code_cell(p).replace(">code<", ">code repository<"))
    # the enrichment's evidence URLs are provenance kept in the graph, not links for readers
    if links:
        out += ["**Links:** " + " · ".join(links), ""]
    out += _sources_line(d, p)
    subjects = sorted(set(d.paper_subjects.get(pid, [])), key=lambda c: (len(d.ancestors(c)), c))
    if subjects:
        items = []
        for c in subjects:
            how = d.placements.get((pid, c))
            note = esc(d.concepts[c]["level"]) + (f"; placed by {esc(how)}" if how else "")
            items.append(f"- {_trail(d, src, c)} ({note})")
        # the areas have pages of their own: search finds them there, not on every paper
        out += [f"## Classification {NO_SEARCH_SECTION}", "", *items, ""]
    if p["methods"]:
        out += ["## Methods", ""]
        for mid in sorted(p["methods"], key=lambda m: d.methods[m]["label"].lower()):
            m = d.methods[mid]
            out += [f"### {esc(m['label'])} {{#{anchor(mid)}}}", ""]
            if m["sub"]:
                out += [f"- Subcategory: {_trail(d, src, m['sub'])}"]
            facets = [
                ("Role", m["role"]),
                ("Threat kind", m["kind"]),
                ("Access", ", ".join(m["access"])),
            ]
            out += [f"- {k}: {esc(v)}" for k, v in facets if v]
            if m["targets"]:
                out.append(f"- Target models: {esc('; '.join(m['targets']))}")
            if m["datasets"]:
                out.append("- Evaluated on: " + ", ".join(dataset_link(d, src, x) for x in sorted(m["datasets"])))
            ref = [f"survey ref. [{m['surveyRef']}]" if m["surveyRef"] else "", m["row"] or ""]
            if any(ref):
                out.append(f"- Source: {esc(', '.join(r for r in ref if r))}")
            out.append("")
    if p["datasets"]:
        out += ["## Datasets introduced", ""]
        out += [f"- {dataset_link(d, src, x)}" for x in sorted(p["datasets"])]
        out.append("")
    notes = []
    if p["listed"]:
        listed = [d.sources.get(x, {"label": x, "url": None}) for x in p["listed"]]
        notes.append("Listed in: " + "; ".join(ext_link(x["url"], esc(x["label"] or x["s"])) for x in listed))
    notes += [f"Flag: {esc(f)}" for f in p["flags"]]
    if p["review"]:
        notes.append("Needs review: a required fact is missing from every source.")
    dups = [x for x in p["dups"] if x in d.papers]
    if dups:
        notes.append("Possible duplicate of: " + ", ".join(paper_link(d, src, x) for x in dups))
    if notes:
        out += [f"## Notes {NO_SEARCH_SECTION}", ""] + [f"- {n}" for n in notes] + [""]
    bib = d.bibtex.get(pid)
    out += [f"## Cite {NO_SEARCH_SECTION}", ""]
    out += [code_block(bib, "bibtex"), ""] if bib else ["No BibTeX entry in `references.bib` yet.", ""]
    return "\n".join(out) + "\n"


def dataset_markdown(d: SiteData, did: str) -> str:
    """The page of one dataset or benchmark: what it evaluates and who uses it."""
    ds = d.datasets[did]
    src = dataset_page(did)
    out = [
        "---",
        f"title: {yaml_str(ds['title'])}",
        "---",
        "",
        f"[Home]({rel(src, 'index.md')}) › [Datasets]({rel(src, 'datasets/index.md')})",
        "",
        f"# {esc(ds['title'])}",
        "",
    ]
    facts = [
        ("Also called", "; ".join(ds["alts"])),
        ("Issued", ds["issued"]),
        ("Size", ds["size"]),
        ("Evaluation focus", ds["focus"]),
        ("Group", ds["group"]),
    ]
    out += [f"**{k}:** {esc(v)}  " for k, v in facts if v]
    fams = [f for f in ds["families"] if f in d.concepts]
    if fams:
        out.append("**Model families:** " + ", ".join(concept_link(d, src, f) for f in fams) + "  ")
    by = [p for p in ds["introducedBy"] if p in d.papers]
    if by:
        out.append("**Introduced by:** " + "; ".join(paper_link(d, src, p) for p in by) + "  ")
    out.append("")
    evals = [c for c in ds["evaluates"] if c in d.concepts]
    if evals:
        out += ["## What it evaluates", ""] + [f"- {_trail(d, src, c)}" for c in evals] + [""]
    if ds["methods"]:
        rows = []
        for mid in sorted(ds["methods"], key=lambda m: d.methods[m]["label"].lower()):
            m = d.methods[mid]
            rows.append(
                [
                    method_link(d, src, mid),
                    concept_link(d, src, m["sub"]) if m["sub"] else "",
                    paper_link(d, src, m["paper"]) if m["paper"] in d.papers else "",
                    esc(d.papers.get(m["paper"] or "", {}).get("year") or ""),
                ]
            )
        out += [
            "## Who uses it",
            "",
            f"{len(rows)} methods were evaluated on it.",
            "",
            no_search(table(["Method", "Subcategory", "Paper", "Year"], rows)),
            "",
        ]
    else:
        out += ["No method in the survey's tables lists it as an evaluation dataset.", ""]
    return "\n".join(out) + "\n"


def _paper_families(d: SiteData) -> dict[str, list[str]]:
    fams: dict[str, set[str]] = {pid: set() for pid in d.papers}
    for pid, cs in d.paper_subjects.items():
        fams[pid] |= {d.concepts[c]["family"] for c in cs if d.concepts[c]["family"] in d.concepts}
    for m in d.methods.values():
        if m["paper"] in fams and m["family"]:
            fams[m["paper"]].add(m["family"])
    return {pid: sorted(f) for pid, f in fams.items()}


def year_key(year: int | None, early: int) -> str:
    """The index page a paper's year falls on: one page per year, older years together."""
    if not year:
        return "undated"
    return f"{early}-and-before" if year <= early else str(year)


def year_pages(d: SiteData, early: int = 2021) -> dict[str, list[str]]:
    """Paper ids per year page (newest page first), each list sorted by title."""
    pages: dict[str, list[str]] = {}
    for pid in sorted(d.papers, key=lambda p: d.papers[p]["title"].lower()):
        pages.setdefault(year_key(d.papers[pid]["year"], early), []).append(pid)
    return dict(sorted(pages.items(), key=lambda kv: (kv[0] != "undated", kv[0]), reverse=True))


def papers_year_page(d: SiteData, key: str, pids: list[str]) -> str:
    """One year's papers in a table (the index stays one page per year as sources are added)."""
    src = f"papers/year-{key}.md"
    fams = _paper_families(d)
    rows = [
        [
            *paper_cells(d, src, pid)[:1],
            esc(d.papers[pid]["venue"] or ""),
            esc(", ".join(FAMILY_TABS.get(f, f) for f in fams.get(pid, []))),
            links_cell(d.papers[pid]),
        ]
        for pid in pids
    ]
    title = key.replace("-", " ")
    return "\n".join(
        [
            "---",
            f"title: {yaml_str('Papers: ' + title)}",
            "hide:",
            "  - toc",
            "search:",
            "  exclude: true",
            "---",
            "",
            f"[Papers]({rel(src, 'papers/index.md')}) › {esc(title)}",
            "",
            f"# Papers: {esc(title)}",
            "",
            f"**{len(rows)}** papers, by title.",
            "",
            *_by_letter(d, pids, rows),
        ]
    )


LETTER_SPLIT = 200  # a year with more papers than this is shown in collapsed sections by letter


def _by_letter(d: SiteData, pids: list[str], rows: list[list[str]]) -> list[str]:
    """One table, or, for a long year, one collapsed table per initial letter of the titles."""
    head = ["Paper", "Venue", "Family", "Links"]
    if len(rows) <= LETTER_SPLIT:
        return [table(head, rows), ""]
    groups: dict[str, list[list[str]]] = {}
    for pid, row in zip(pids, rows, strict=True):
        first = next((ch for ch in d.papers[pid]["title"].upper() if ch.isalnum()), "#")
        groups.setdefault(first if "A" <= first <= "Z" else "0–9 and others", []).append(row)
    out = []
    for letter in sorted(groups, key=lambda g: (len(g) > 1, g)):
        out += [collapsed(f"{esc(letter)} ({len(groups[letter])})", table(head, groups[letter])), ""]
    return out


def papers_index(d: SiteData, ix: Index, pages: dict[str, list[str]] | None = None) -> str:
    """The papers index: one line per year page with its count and its families."""
    src = "papers/index.md"
    pages = pages if pages is not None else year_pages(d)
    fams = _paper_families(d)
    rows = []
    for key, pids in pages.items():
        per = {f: sum(1 for p in pids if f in fams.get(p, [])) for f in d.roots()}
        rows.append(
            [
                f"[{esc(key.replace('-', ' '))}]({rel(src, f'papers/year-{key}.md')})",
                str(len(pids)),
                *[str(per[f]) for f in d.roots()],
            ]
        )
    return (
        "\n".join(
            [
                "---",
                "search:",
                "  exclude: true",
                "---",
                "",
                "# Papers",
                "",
                f"All **{len(d.papers)}** papers, one page per year. Use the search box to find "
                "one by title or by the name of its method; a paper counts once in each family "
                "it is classified under.",
                "",
                table(
                    ["Year", "Papers", *[esc(FAMILY_TABS.get(f, f)) for f in d.roots()]],
                    rows,
                ),
            ]
        )
        + "\n"
    )


TOP_DATASETS = 25  # shown open on the datasets index; the rest by family, collapsed


def datasets_index(d: SiteData) -> str:
    """The datasets and benchmarks: the most used open, then every one by model family, collapsed."""
    src = "datasets/index.md"
    order = sorted(d.datasets, key=lambda x: (-len(d.datasets[x]["methods"]), d.datasets[x]["title"].lower()))

    def rows(ids: list[str]) -> list[list[str]]:
        out = []
        for did in ids:
            ds = d.datasets[did]
            fam = ", ".join(FAMILY_TABS.get(f, f) for f in ds["families"])
            out.append([dataset_link(d, src, did), esc(fam), esc(ds["size"] or ""), str(len(ds["methods"]))])
        return out

    head = ["Dataset", "Family", "Size", "Methods using it"]
    out = [
        "---",
        "search:",
        "  exclude: true",
        "hide:",
        "  - toc",
        "---",
        "",
        "# Datasets and benchmarks",
        "",
        f"**{len(order)}** datasets and benchmarks. The {min(TOP_DATASETS, len(order))} most used:",
        "",
        table(head, rows(order[:TOP_DATASETS])),
        "",
        "## By model family",
        "",
        "A dataset used in two families is listed in both.",
        "",
    ]
    for fam in [*d.roots(), None]:
        ids = [
            x for x in order if (fam in d.datasets[x]["families"]) or (fam is None and not d.datasets[x]["families"])
        ]
        if not ids:
            continue
        name = esc(FAMILY_TABS.get(fam, fam)) if fam else "No family recorded"
        out += [collapsed(f"{name} ({len(ids)})", table(head, rows(ids))), ""]
    return "\n".join(out) + "\n"
