"""Headline numbers and figures for the home page (papers per year; family x threat kind)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from kb.atomic import atomic_write
from kb.site.concepts import TOPICS_PAGE, Index, table
from kb.site.data import FAMILY_TABS, SiteData
from kb.site.escape import esc
from kb.site.paths import concept_page

FIG_DIR = "assets/figures"
# The survey's own statistics (its §1, via /work/shared/data/README.md), shown beside ours.
SURVEY_PAPERS = 574
SURVEY_BY_YEAR = {"≤2021": 24, "2022": 27, "2023": 148, "2024": 302, "2025": 73}  # 2025: to July
SURVEY_SHARE = {"llm": 27.91, "dm": 24.42, "agent": 18.99, "vfm": 11.82, "vlp": 8.91, "vlm": 7.95}


def _kind_order() -> tuple[str, ...]:
    """The data model's order of threat kinds, from kb.gaps (optional for the site)."""
    try:
        from kb.gaps.view import KIND_ORDER
    except ImportError:
        return ()
    return tuple(KIND_ORDER)


_KIND_RANK = {k: i for i, k in enumerate(_kind_order())}


def paper_families(d: SiteData) -> dict[str, set[str]]:
    """The model families each paper is classified under (through its concepts or its methods)."""
    out: dict[str, set[str]] = {pid: set() for pid in d.papers}
    for pid, cs in d.paper_subjects.items():
        out[pid] |= {d.concepts[c]["family"] for c in cs if d.concepts[c]["family"]}
    for m in d.methods.values():
        if m["paper"] in out and m["family"]:
            out[m["paper"]].add(m["family"])
    return out


def family_kind_counts(d: SiteData) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    """Papers per (model family, threat kind): rows, columns and cell counts."""
    cells: dict[tuple[str, str], set[str]] = {}
    for pid, cs in d.paper_subjects.items():
        for c in cs:
            con = d.concepts[c]
            if con["family"] and con["kind"]:
                cells.setdefault((con["family"], con["kind"]), set()).add(pid)
    for m in d.methods.values():
        if m["paper"] in d.papers and m["family"] and m["kind"]:
            cells.setdefault((m["family"], m["kind"]), set()).add(m["paper"])
    fams = [r for r in d.roots()]
    kinds = sorted({k for _, k in cells}, key=lambda k: (_KIND_RANK.get(k, len(_KIND_RANK)), k))
    return fams, kinds, {k: len(v) for k, v in cells.items()}


def _save(fig, path: Path) -> None:
    """Write a figure atomically."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="svg", bbox_inches="tight"))


def figures(d: SiteData, docs: Path) -> list[str]:
    """Draw the home page figures into docs/assets/figures; return their paths relative to docs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # text stays text in the SVG: no embedded glyphs and no web fonts to fetch
    plt.rcParams.update({"svg.fonttype": "none", "font.size": 10})
    written = []
    years = Counter(p["year"] for p in d.papers.values() if p["year"])
    fig, ax = plt.subplots(figsize=(7, 3))
    if years:
        xs = list(range(min(years), max(years) + 1))
        ax.bar([str(x) for x in xs], [years.get(x, 0) for x in xs], color="#3f51b5")
    ax.set_ylabel("papers")
    ax.set_title("Papers per year")
    ax.tick_params(axis="x", rotation=45)
    _save(fig, docs / FIG_DIR / "papers-per-year.svg")
    plt.close(fig)
    written.append(f"{FIG_DIR}/papers-per-year.svg")

    fams, kinds, cells = family_kind_counts(d)
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(kinds) + 2), 3.2))
    grid = [[cells.get((f, k), 0) for k in kinds] for f in fams]
    if fams and kinds:
        im = ax.imshow(grid, cmap="YlOrRd", aspect="auto")
        ax.set_xticks(range(len(kinds)), kinds, rotation=60, ha="right")
        ax.set_yticks(range(len(fams)), [FAMILY_TABS.get(f, f) for f in fams])
        top = max((v for row in grid for v in row), default=0) or 1
        for i, row in enumerate(grid):
            for j, v in enumerate(row):
                # white on the dark half of the colour map, black on the light half
                ink = "white" if v > top * 0.5 else "black"
                ax.text(j, i, str(v) if v else "·", ha="center", va="center", fontsize=8, color=ink)
        fig.colorbar(im, ax=ax, label="papers")
    ax.set_title("Papers per model family and threat kind (empty cells are gaps)")
    _save(fig, docs / FIG_DIR / "family-threat-heatmap.svg")
    plt.close(fig)
    written.append(f"{FIG_DIR}/family-threat-heatmap.svg")
    return written


def _sources_line(d: SiteData) -> list[str]:
    """How many papers each source brings, and the topics beyond the survey (CONTRACTS §1)."""
    survey = sum(1 for p in d.papers.values() if "survey-v6" in p["inSource"])
    others = Counter(s for p in d.papers.values() if "survey-v6" not in p["inSource"] for s in p["inSource"])
    if not others:
        return []
    names = [
        f"**{n}** only from the {esc(re.split(r' at commit', (d.sources.get(s) or {}).get('label') or s)[0])}"
        for s, n in others.most_common()
    ]
    topics = d.topics()
    more = (
        f"; the list also files papers under **{len(topics)}** [topics the survey does not cover]"
        f"({TOPICS_PAGE})" if topics else ""
    )
    return [f"Of the papers, **{survey}** come from the survey and {', '.join(names)}{more}.", ""]


def headline(d: SiteData, ix: Index) -> str:
    """The numbers block of the home page (Markdown)."""
    roles = Counter(m["role"] for m in d.methods.values() if m["role"])
    out = [
        f"The knowledge base holds **{len(d.papers)}** papers, **{len(d.methods)}** methods, "
        f"**{len(d.datasets)}** datasets and benchmarks and **{d.areas()}** taxonomy areas "
        f"({', '.join(f'{n} {esc(r)}' for r, n in roles.most_common())} methods).",
        "",
    ]
    out += _sources_line(d)
    years = Counter(p["year"] for p in d.papers.values() if p["year"])
    if years:
        early = sum(n for y, n in years.items() if y <= 2021)
        cols = (["≤2021"] if early else []) + [str(y) for y in sorted(years) if y > 2021]
        vals = ([str(early)] if early else []) + [str(years[y]) for y in sorted(years) if y > 2021]
        survey = [str(SURVEY_BY_YEAR.get(c, "")) for c in cols]
        out += [
            "### Papers by year",
            "",
            table(
                ["", *cols],
                [
                    ["this knowledge base", *vals],
                    [f"the survey states ({SURVEY_PAPERS} papers)", *survey],
                ],
            ),
            "",
            "The survey counts 2025 up to July.",
            "",
            "![Papers per year](assets/figures/papers-per-year.svg)",
            "",
        ]
    fams = paper_families(d)
    total = len(d.papers) or 1
    rows = []
    for f in d.roots():
        n = sum(1 for s in fams.values() if f in s)
        rows.append(
            [
                f"[{esc(FAMILY_TABS.get(f, d.concepts[f]['label']))}]({concept_page(f)})",
                esc(d.concepts[f]["label"]),
                str(len(ix.methods[f])),
                str(n),
                f"{100 * n / total:.1f}%",
                f"{SURVEY_SHARE[f]:.1f}%" if f in SURVEY_SHARE else "",
            ]
        )
    out += [
        "### Papers by model family",
        "",
        table(["Family", "Name", "Methods", "Papers", "Share", "Survey's share"], rows),
        "",
        "A paper classified under two families counts in both, so shares add up to more than 100%.",
        "",
        "### Where the research is",
        "",
        "![Papers per model family and threat kind](assets/figures/family-threat-heatmap.svg)",
        "",
        "Empty cells are combinations the survey does not cover; see [Gaps](gaps.md).",
        "",
    ]
    return "\n".join(out)
