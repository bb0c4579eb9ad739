"""Pages for the taxonomy: one per model family, threat type, category and subcategory."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from kb.site.data import FAMILY_TABS, TOPIC, SiteData
from kb.site.escape import esc, ext_link, yaml_str
from kb.site.paths import anchor, concept_page, dataset_page, paper_page, rel

TOPICS_PAGE = "topic/index.md"  # the index of the topics outside the survey (CONTRACTS §1)
TOPICS_TITLE = "Beyond the survey"


def short_authors(paper: dict) -> str:
    """'Zou, Wang, Kolter et al.' from the ordered author list."""
    names = [fam or (name.split(",")[0] if name else "") for name, fam in paper["authors"]]
    names = [n for n in names if n]
    if not names:
        return ""
    return ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")


def _tip(tip: str | None) -> str:
    """A Markdown link title (the id, shown on hover), or nothing."""
    return f' "{tip}"' if tip and '"' not in tip else ""


def concept_link(d: SiteData, src: str, cid: str, label: str | None = None, tip: str | None = None) -> str:
    target = rel(src, concept_page(cid))
    return f"[{esc(label or d.concepts[cid]['label'])}]({target}{_tip(tip)})"


def paper_link(d: SiteData, src: str, pid: str, tip: str | None = None) -> str:
    return f"[{esc(d.papers[pid]['title'])}]({rel(src, paper_page(pid))}{_tip(tip)})"


def method_link(d: SiteData, src: str, mid: str, tip: str | None = None) -> str:
    m = d.methods[mid]
    if m["paper"] in d.papers:
        target = f"{rel(src, paper_page(m['paper']))}#{anchor(mid)}"
        return f"[{esc(m['label'])}]({target}{_tip(tip)})"
    return esc(m["label"])


def dataset_link(d: SiteData, src: str, did: str, tip: str | None = None) -> str:
    return f"[{esc(d.datasets[did]['title'])}]({rel(src, dataset_page(did))}{_tip(tip)})"


def arxiv_cell(paper: dict) -> str:
    if not paper.get("arxiv"):
        return ""
    return ext_link(f"https://arxiv.org/abs/{paper['arxiv']}", esc(paper["arxiv"]))


def code_cell(paper: dict) -> str:
    return ext_link(paper.get("code"), "code") if paper.get("code") else ""


def links_cell(paper: dict) -> str:
    """arXiv, DOI and code links of a paper through their canonical resolvers, one short cell."""
    links = []
    if paper.get("arxiv"):
        links.append(ext_link(f"https://arxiv.org/abs/{paper['arxiv']}", "arXiv"))
    elif paper.get("doi"):
        links.append(ext_link(f"https://doi.org/{paper['doi']}", "DOI"))
    if paper.get("code"):
        links.append(code_cell(paper))
    return " · ".join(links)


def paper_cells(d: SiteData, src: str, pid: str | None) -> list[str]:
    """Paper (title with its authors below), year, venue and links cells of a paper row."""
    if pid not in d.papers:
        return ["", "", "", ""]
    p = d.papers[pid]
    who = esc(short_authors(p))
    return [
        paper_link(d, src, pid) + (f"<br><small>{who}</small>" if who else ""),
        esc(p["year"] or ""),
        esc(p["venue"] or ""),
        links_cell(p),
    ]


PAPER_HEAD = ["Paper", "Year", "Venue", "Links"]


def no_search(body: str) -> str:
    """Markdown kept out of the search index (tables whose rows have pages of their own)."""
    return f'<div markdown="1" data-search-exclude>\n\n{body}\n\n</div>'


def collapsed(summary: str, body: str, search: bool = False) -> str:
    """A <details> block (closed); left out of the search index unless `search`."""
    flag = "" if search else " data-search-exclude"
    return f'<details markdown="1"{flag}>\n<summary>{summary}</summary>\n\n{body}\n\n</details>'


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table from already-escaped cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c or " " for c in row) + " |" for row in rows]
    return "\n".join(lines)


class Index:
    """Per-concept subtree sets of methods, papers and datasets, computed once."""

    def __init__(self, d: SiteData) -> None:
        self.d = d
        by_sub: dict[str, list[str]] = {}
        for mid, m in d.methods.items():
            if m["sub"]:
                by_sub.setdefault(m["sub"], []).append(mid)
        self.methods: dict[str, list[str]] = {}
        self.papers: dict[str, set[str]] = {}
        for cid in d.concepts:
            tree = d.subtree(cid)
            mids = [mid for c in tree for mid in by_sub.get(c, [])]
            self.methods[cid] = sorted(mids, key=lambda x: self._mkey(x))
            papers = {p for c in tree for p in d.concept_papers.get(c, ())}
            papers |= {d.methods[x]["paper"] for x in mids if d.methods[x]["paper"] in d.papers}
            self.papers[cid] = papers
        self.impl_targets: dict[str, list[str]] = {}
        for iid, impl in d.impls.items():
            for t in impl["targets"]:
                self.impl_targets.setdefault(t, []).append(iid)

    def _mkey(self, mid: str) -> tuple:
        m = self.d.methods[mid]
        p = self.d.papers.get(m["paper"] or "", {})
        return (p.get("year") or 0, m["label"].lower())

    def datasets(self, cid: str) -> Counter:
        """Datasets used by methods below the concept (count of methods) or that evaluate it."""
        count: Counter = Counter()
        for mid in self.methods[cid]:
            count.update(self.d.methods[mid]["datasets"])
        tree = set(self.d.subtree(cid))
        for did, ds in self.d.datasets.items():
            if tree & set(ds["evaluates"]) and did not in count:
                count[did] = 0
        return count

    def impls(self, cid: str) -> list[str]:
        found: list[str] = []
        for key in [*self.d.subtree(cid), *self.methods[cid]]:
            for iid in self.impl_targets.get(key, []):
                if iid not in found:
                    found.append(iid)
        return found


def _facts(c: dict) -> str:
    bits = [f"**Level:** {esc(c['level'])}"]
    if c["role"]:
        bits.append(f"**Role:** {esc(c['role'])}")
    if c["kind"]:
        bits.append(f"**Threat kind:** {esc(c['kind'])}")
    if c["access"]:
        bits.append(f"**Access:** {esc(', '.join(c['access']))}")
    if c["alts"]:
        bits.append(f"**Also written:** {esc('; '.join(c['alts']))}")
    return " · ".join(bits)


def _sources(c: dict) -> str:
    out = []
    for s in c["sources"]:
        # labels often name the place already: add the locator and page only when they say more
        text = s["label"] or ""
        if s["locator"] and s["locator"] not in text:
            text = f"{text}: {s['locator']}" if text else s["locator"]
        if s["page"] and f"p. {s['page']}" not in text:
            text += f" (p. {s['page']})"
        out.append(ext_link(s["url"], esc(text or "source")))
    return "**Source:** " + "; ".join(out) if out else ""


def _links_section(d: SiteData, src: str, cid: str) -> list[str]:
    tt = d.threat_type_of(cid)
    if not tt:
        return []
    via = "" if tt == cid else f" (through its threat type {concept_link(d, src, tt)})"
    answered = [r for r in d.links if r["attack"] == tt]
    answers = [r for r in d.links if r["defense"] == tt]
    out = []
    if answered:
        out += [
            "## Defenses that answer it",
            "",
            f"Defense areas that answer this attack area{via}:",
            "",
        ]
        out += [
            f"- {concept_link(d, src, r['defense'])}" + (f": {esc(r['comment'])}" if r["comment"] else "")
            for r in answered
        ]
        out.append("")
    if answers:
        out += ["## Attacks it answers", "", f"Attack areas this defense area answers{via}:", ""]
        out += [
            f"- {concept_link(d, src, r['attack'])}" + (f": {esc(r['comment'])}" if r["comment"] else "")
            for r in answers
        ]
        out.append("")
    if not answered and not answers and d.concepts[tt]["role"] == "attack":
        out += [
            "## Defenses that answer it",
            "",
            "No defense area of the survey is linked to this attack area yet: see [Gaps](" + rel(src, "gaps.md") + ").",
            "",
        ]
    return out


def _impl_section(d: SiteData, ix: Index, src: str, cid: str, results: dict[str, Any]) -> list[str]:
    iids = ix.impls(cid)
    if not iids:
        return []
    rows = []
    for iid in iids:
        impl = d.impls[iid]
        targets = [
            method_link(d, src, t) if t in d.methods else concept_link(d, src, t)
            for t in impl["targets"]
            if t in d.methods or t in d.concepts
        ]
        res = results.get(impl["entry"] or "") or results.get(iid) or {}
        shown = _metrics(res)
        rows.append(
            [
                esc(impl["label"]),
                f"<code>kb run {esc(impl['entry'] or iid)}</code>" if impl["entry"] else "",
                ", ".join(targets),
                shown or "not run yet",
            ]
        )
    return [
        "## Reference implementations",
        "",
        table(["Implementation", "Run", "Implements", "Latest results"], rows),
        "",
    ]


SHOWN_METRICS = 6  # metrics of a run record shown in its one line on an area page


def _metrics(record: dict[str, Any]) -> str:
    """A run record's metrics with their labels, its set-up and date, escaped, in one line.

    Records may carry `metric_labels` (key -> label), `setup` and `toy_target` (CONTRACTS §4);
    without labels a key is shown with its underscores as spaces.
    """
    metrics = record.get("metrics")
    if not isinstance(metrics, dict):
        return ""
    given = record.get("metric_labels")
    labels: dict[str, Any] = given if isinstance(given, dict) else {}
    nums = [(k, v) for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    text = "; ".join(f"{labels.get(k) or k.replace('_', ' ')}: {_num(v)}" for k, v in nums[:SHOWN_METRICS])
    if len(nums) > SHOWN_METRICS:  # the whole record is one command away
        text += f"; {len(nums) - SHOWN_METRICS} more in the record"
    setup = record.get("setup")
    if isinstance(setup, dict):
        setup = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in setup.items())
    target = record.get("toy_target")
    when = str(record.get("date") or "")[:10]
    tail = ", ".join(([str(setup)] if setup else []) + ([f"run {when}"] if when else []))
    # a stand-in target is marked before the numbers, so nobody reads them as a real model's
    mark = ""
    if target:
        name = f" {target}" if isinstance(target, str) else ""
        tip = "numbers from a stand-in, not a real model"
        mark = f'<strong class="kb-toy" title="{tip}">toy target{esc(name)}</strong>: '
    return mark + esc(text + (f" ({tail})" if tail else ""))


def _num(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def page_title(d: SiteData, cid: str) -> str:
    """The title an area page has in the browser tab and in search: its label with the family
    and threat type it belongs to ("Black-box · LLM Jailbreak Attacks"), since many areas share
    a label."""
    c = d.concepts[cid]
    fam = FAMILY_TABS.get(c["family"] or "", "")
    tt = d.threat_type_of(cid)
    if tt and tt != cid:
        return f"{c['label']} · {fam} {d.concepts[tt]['label']}".strip()
    if tt == cid and fam:
        return f"{fam} {c['label']}"
    return str(c["label"])


def search_tags(d: SiteData, cid: str) -> list[str]:
    """Front-matter tags with the area's family and threat type: search weighs them like title
    words, so the context a short label ("Black-box") leaves out still finds the page."""
    c = d.concepts[cid]
    tt = d.threat_type_of(cid)
    tags = [FAMILY_TABS.get(c["family"] or "", "")] + ([d.concepts[tt]["label"]] if tt else [])
    tags = [t for t in tags if t and t != c["label"]]
    return ["tags:", *[f"  - {yaml_str(t)}" for t in tags]] if tags else []


def search_boost(papers: int) -> float:
    """Bigger areas rank first among pages that match a search equally well."""
    return round(1 + math.log10(1 + papers) / 2, 2)


def concept_markdown(d: SiteData, ix: Index, cid: str, results: dict[str, Any]) -> str:
    """The page of one concept."""
    c = d.concepts[cid]
    src = concept_page(cid)
    out = [
        "---",
        f"title: {yaml_str(page_title(d, cid))}",
        "hide:",
        "  - toc",
        "search:",
        f"  boost: {search_boost(len(ix.papers[cid]))}",
        *search_tags(d, cid),
        "---",
        "",
        f"# {esc(c['label'])}",
        "",
        _facts(c) + f' · <span class="kb-id">ID <code>{esc(cid)}</code></span>',
        "",
    ]
    if c["definition"]:
        out += [esc(c["definition"]), ""]
    if c["sources"]:
        out += [_sources(c), ""]
    mids, papers = ix.methods[cid], ix.papers[cid]
    if c["level"] == TOPIC:  # no methods: the list files papers only
        out += [
            f"**{len(papers)}** papers are filed here. One of the topics "
            f"[{TOPICS_TITLE.lower()}]({rel(src, TOPICS_PAGE)}): the survey's taxonomy does not cover it.",
            "",
        ]
    else:
        out += [
            f"**{len(mids)}** methods and **{len(papers)}** papers are classified here or below.",
            "",
        ]
    kids = d.kids(cid)
    if kids:
        out += [
            "## Children",
            "",
            table(
                ["Area", "Level", "Role", "Methods", "Papers"],
                [
                    [
                        concept_link(d, src, k),
                        esc(d.concepts[k]["level"]),
                        esc(d.concepts[k]["role"] or ""),
                        str(len(ix.methods[k])),
                        str(len(ix.papers[k])),
                    ]
                    for k in kids
                ],
            ),
            "",
        ]
    rows = []
    show_sub = c["level"] != "subcategory" and bool(mids)
    for mid in mids:
        m = d.methods[mid]
        sub = [concept_link(d, src, m["sub"])] if show_sub else []
        rows.append([method_link(d, src, mid), *sub, *paper_cells(d, src, m["paper"])])
    with_method = {d.methods[x]["paper"] for x in mids}
    rest = sorted(papers - with_method, key=lambda p: (d.papers[p]["year"] or 0, d.papers[p]["title"].lower()))
    for pid in rest:
        rows.append([*(["—"] if mids else []), *([""] if show_sub else []), *paper_cells(d, src, pid)])
    if rows:
        head = [*(["Method"] if mids else []), *(["Subcategory"] if show_sub else []), *PAPER_HEAD]
        body = table(head, rows)
        if kids:  # the children's pages list them too: collapsed here, one click away
            body = collapsed(f"Show all {len(rows)} methods and papers in this area", body)
        else:  # the paper pages carry the same titles and method names for search
            body = no_search(body)
        out += ["## Methods and papers" if mids else "## Papers", "", body, ""]
    used = ix.datasets(cid)
    if used:
        ds_rows = [
            [dataset_link(d, src, did), esc(d.datasets[did]["size"] or ""), str(n)]
            for did, n in sorted(used.items(), key=lambda x: (-x[1], d.datasets[x[0]]["title"].lower()))
        ]
        body = table(["Dataset", "Size", "Methods here using it"], ds_rows)
        if len(ds_rows) > 12:
            body = collapsed(f"Show all {len(ds_rows)} datasets and benchmarks", body)
        out += ["## Datasets and benchmarks", "", body, ""]
    out += _links_section(d, src, cid)
    out += _impl_section(d, ix, src, cid, results)
    return "\n".join(out) + "\n"


def nav_tree(d: SiteData, ix: Index, label_of=None) -> list[Any]:
    """The mkdocs nav: one tab per model family with its concepts nested (labels HTML-escaped)."""
    from kb.site.escape import attr

    def node(cid: str, top: bool = False) -> Any:
        label = FAMILY_TABS.get(cid, d.concepts[cid]["label"]) if top else d.concepts[cid]["label"]
        kids = d.kids(cid)
        if not kids:
            return {attr(label): concept_page(cid)}
        return {attr(label): [concept_page(cid), *[node(k) for k in kids]]}

    return [node(r, top=True) for r in d.roots()]



def topics_index(d: SiteData, ix: Index) -> str:
    """The index of the topics the survey does not cover, with their papers and definitions."""
    rows = [
        [concept_link(d, TOPICS_PAGE, t), str(len(ix.papers[t])), esc(d.concepts[t]["definition"] or "")]
        for t in d.topics()
    ]
    where = sorted({s["label"] or "" for t in d.topics() for s in d.concepts[t]["sources"]} - {""})
    out = [
        "---",
        f"title: {yaml_str(TOPICS_TITLE)}",
        "hide:",
        "  - toc",
        "---",
        "",
        f"# {TOPICS_TITLE}",
        "",
        f"Research topics of the field that the survey's taxonomy does not cover: **{len(rows)}** topics "
        "with the papers a curated list files under them"
        + (f" ({esc('; '.join(where))})" if where else "")
        + ". A paper here may also sit in a survey area; its page says how each placement was made.",
        "",
        table(["Topic", "Papers", "What it is about"], rows),
        "",
    ]
    return "\n".join(out) + "\n"


def topics_nav(d: SiteData) -> list[Any]:
    """One nav tab for the topics outside the survey (none when the data has no such topics)."""
    from kb.site.escape import attr

    if not d.topics():
        return []
    return [{TOPICS_TITLE: [TOPICS_PAGE, *[{attr(d.concepts[t]["label"]): concept_page(t)} for t in d.topics()]]}]
