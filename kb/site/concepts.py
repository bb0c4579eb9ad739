"""Pages for the taxonomy: one per model family, threat type, category and subcategory."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kb.site.data import FAMILY_TABS, SiteData
from kb.site.escape import esc, ext_link, yaml_str
from kb.site.paths import anchor, concept_page, dataset_page, paper_page, rel


def short_authors(paper: dict) -> str:
    """'Zou, Wang, Kolter et al.' from the ordered author list."""
    names = [fam or (name.split(",")[0] if name else "") for name, fam in paper["authors"]]
    names = [n for n in names if n]
    if not names:
        return ""
    return ", ".join(names[:3]) + (" et al." if len(names) > 3 else "")


def concept_link(d: SiteData, src: str, cid: str, label: str | None = None) -> str:
    return f"[{esc(label or d.concepts[cid]['label'])}]({rel(src, concept_page(cid))})"


def paper_link(d: SiteData, src: str, pid: str) -> str:
    return f"[{esc(d.papers[pid]['title'])}]({rel(src, paper_page(pid))})"


def method_link(d: SiteData, src: str, mid: str) -> str:
    m = d.methods[mid]
    if m["paper"] in d.papers:
        return f"[{esc(m['label'])}]({rel(src, paper_page(m['paper']))}#{anchor(mid)})"
    return esc(m["label"])


def dataset_link(d: SiteData, src: str, did: str) -> str:
    return f"[{esc(d.datasets[did]['title'])}]({rel(src, dataset_page(did))})"


def breadcrumb(d: SiteData, src: str, cid: str) -> str:
    """Home › LLM › Jailbreak Attacks › this page."""
    parts = [f"[Home]({rel(src, 'index.md')})"]
    parts += [concept_link(d, src, a) for a in d.ancestors(cid)]
    return " › ".join(parts + [esc(d.concepts[cid]["label"])])


def arxiv_cell(paper: dict) -> str:
    if not paper.get("arxiv"):
        return ""
    return ext_link(f"https://arxiv.org/abs/{paper['arxiv']}", esc(paper["arxiv"]))


def code_cell(paper: dict) -> str:
    return ext_link(paper.get("code"), "code") if paper.get("code") else ""


def paper_cells(d: SiteData, src: str, pid: str | None) -> list[str]:
    """Title, authors, year, venue, arXiv and code cells of a paper row."""
    if pid not in d.papers:
        return ["", "", "", "", "", ""]
    p = d.papers[pid]
    return [
        paper_link(d, src, pid),
        esc(short_authors(p)),
        esc(p["year"] or ""),
        esc(p["venue"] or ""),
        arxiv_cell(p),
        code_cell(p),
    ]


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
            f"- {concept_link(d, src, r['defense'])}"
            + (f": {esc(r['comment'])}" if r["comment"] else "")
            for r in answered
        ]
        out.append("")
    if answers:
        out += ["## Attacks it answers", "", f"Attack areas this defense area answers{via}:", ""]
        out += [
            f"- {concept_link(d, src, r['attack'])}"
            + (f": {esc(r['comment'])}" if r["comment"] else "")
            for r in answers
        ]
        out.append("")
    if not answered and not answers and d.concepts[tt]["role"] == "attack":
        out += [
            "## Defenses that answer it",
            "",
            "No defense area of the survey is linked to this attack "
            "area yet: see [Gaps](" + rel(src, "gaps.md") + ").",
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


def _metrics(record: dict[str, Any]) -> str:
    """A run record's metrics (first six numbers) and date, escaped."""
    metrics = record.get("metrics")
    if not isinstance(metrics, dict):
        return ""
    nums = [
        (k, v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    text = "; ".join(f"{k} = {_num(v)}" for k, v in nums[:6])
    when = str(record.get("date") or "")[:10]
    return esc(text + (f" (run {when})" if when else ""))


def _num(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def concept_markdown(d: SiteData, ix: Index, cid: str, results: dict[str, Any]) -> str:
    """The page of one concept."""
    c = d.concepts[cid]
    src = concept_page(cid)
    out = [
        "---",
        f"title: {yaml_str(c['label'])}",
        "---",
        "",
        breadcrumb(d, src, cid),
        "",
        f"# {esc(c['label'])}",
        "",
        _facts(c),
        "",
    ]
    if c["definition"]:
        out += [esc(c["definition"]), ""]
    if c["sources"]:
        out += [_sources(c), ""]
    mids, papers = ix.methods[cid], ix.papers[cid]
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
    show_sub = c["level"] != "subcategory"
    for mid in mids:
        m = d.methods[mid]
        sub = [concept_link(d, src, m["sub"])] if show_sub else []
        rows.append([method_link(d, src, mid), *sub, *paper_cells(d, src, m["paper"])])
    with_method = {d.methods[x]["paper"] for x in mids}
    rest = sorted(
        papers - with_method, key=lambda p: (d.papers[p]["year"] or 0, d.papers[p]["title"].lower())
    )
    for pid in rest:
        rows.append(["—", *([""] if show_sub else []), *paper_cells(d, src, pid)])
    if rows:
        head = [
            "Method",
            *(["Subcategory"] if show_sub else []),
            "Paper",
            "Authors",
            "Year",
            "Venue",
            "arXiv",
            "Code",
        ]
        out += ["## Methods and papers", "", table(head, rows), ""]
    used = ix.datasets(cid)
    if used:
        ds_rows = [
            [dataset_link(d, src, did), esc(d.datasets[did]["size"] or ""), str(n)]
            for did, n in sorted(
                used.items(), key=lambda x: (-x[1], d.datasets[x[0]]["title"].lower())
            )
        ]
        out += [
            "## Datasets and benchmarks",
            "",
            table(["Dataset", "Size", "Methods here using it"], ds_rows),
            "",
        ]
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
