"""The graph as the site sees it: every row it needs, read with the .rq queries beside it."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph

from kb.graph import bib_path, load_store
from kb.vocab import NAMESPACES, split_iri

QUERY_DIR = Path(__file__).parent / "queries"
SEP = "\u001f"
LEVELS = {
    "ModelFamily": "model family",
    "ThreatType": "threat type",
    "Category": "category",
    "Subcategory": "subcategory",
    "Topic": "topic outside the survey",
}
TOPIC = LEVELS["Topic"]
FAMILY_TABS = {"vfm": "VFM", "llm": "LLM", "vlp": "VLP", "vlm": "VLM", "dm": "DM", "agent": "Agent"}
_PREFIXES = {p: str(ns) for p, ns in NAMESPACES.items()}


def _value(term: Any) -> Any:
    """A SPARQL term as a Python value: our IRIs as (kind, id) ids, literals as str/int/bool."""
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        parts = split_iri(term.value)
        return parts[1] if parts else term.value
    if isinstance(term, pyoxigraph.Literal):
        dt = term.datatype.value if term.datatype else ""
        if dt.endswith("#integer") or dt.endswith("#int"):
            try:
                return int(term.value)
            except ValueError:
                return term.value
        if dt.endswith("#boolean"):
            return term.value == "true"
        return term.value
    return str(term.value)


def run_file(store: pyoxigraph.Store, name: str) -> list[dict[str, Any]]:
    """Run kb/site/queries/<name>.rq and return rows of Python values."""
    text = (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8")
    result = store.query(text, prefixes=_PREFIXES)
    assert isinstance(result, pyoxigraph.QuerySolutions), f"{name}.rq must be a SELECT query"
    names = [v.value for v in result.variables]
    return [{n: _value(sol[n]) for n in names} for sol in result]


def _split(value: Any, sep: str = SEP) -> list[str]:
    return [v for v in (value or "").split(sep) if v]


def _ids(value: Any) -> list[str]:
    """A space-separated list of IRIs (from GROUP_CONCAT) as our ids."""
    out = []
    for iri in _split(value, " "):
        parts = split_iri(iri)
        out.append(parts[1] if parts else iri)
    return sorted(out)


def _facet(value: Any) -> str | None:
    """facet ids like role-attack / kind-jailbreak / access-white-box without their prefix."""
    if not value:
        return None
    return str(value).split("-", 1)[1] if "-" in str(value) else str(value)


@dataclass
class SiteData:
    """Everything a page needs, indexed by id."""

    concepts: dict[str, dict] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    papers: dict[str, dict] = field(default_factory=dict)
    methods: dict[str, dict] = field(default_factory=dict)
    datasets: dict[str, dict] = field(default_factory=dict)
    paper_subjects: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    concept_papers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    links: list[dict] = field(default_factory=list)
    impls: dict[str, dict] = field(default_factory=dict)
    bibtex: dict[str, str] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    # (paper, concept) -> how it was placed ("survey", "list", "predicted"), when the data says
    placements: dict[tuple[str, str], str] = field(default_factory=dict)

    def roots(self) -> list[str]:
        """The six model families in source order."""
        tops = [c for c, r in self.concepts.items() if r["broader"] is None and r["level"] != TOPIC]
        return sorted(tops, key=self.sort_key)

    def topics(self) -> list[str]:
        """The topics of the field the survey does not cover (from the second source), by label."""
        return sorted((c for c, r in self.concepts.items() if r["level"] == TOPIC), key=self.sort_key)

    def areas(self) -> int:
        """How many areas the survey's taxonomy has (topics outside it not counted)."""
        return sum(1 for r in self.concepts.values() if r["level"] != TOPIC)

    def sort_key(self, cid: str) -> tuple:
        c = self.concepts[cid]
        order = c["order"] if isinstance(c["order"], int) else 10**6
        return (order, c["label"].lower())

    def kids(self, cid: str) -> list[str]:
        return sorted(self.children.get(cid, []), key=self.sort_key)

    def ancestors(self, cid: str) -> list[str]:
        """The concept's ancestors, root first."""
        out, seen = [], {cid}
        parent = self.concepts[cid]["broader"]
        while parent and parent in self.concepts and parent not in seen:
            out.append(parent)
            seen.add(parent)
            parent = self.concepts[parent]["broader"]
        return out[::-1]

    def subtree(self, cid: str) -> list[str]:
        """The concept and every concept below it."""
        out, stack = [], [cid]
        while stack:
            c = stack.pop()
            out.append(c)
            stack.extend(self.children.get(c, []))
        return out

    def threat_type_of(self, cid: str) -> str | None:
        for c in [*self.ancestors(cid), cid]:
            if self.concepts[c]["level"] == "threat type":
                return c
        return None


def _bib_entries(path: Path) -> dict[str, str]:
    """The raw text of each BibTeX entry, by key (entries start with '@' at a line start)."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    out = {}
    for chunk in re.split(r"(?m)^(?=@)", text):
        m = re.match(r"@\w+\s*\{\s*([^,\s]+)\s*,", chunk)
        if m:
            out[m.group(1)] = chunk.strip()
    return out


def clean_title(title: str) -> str:
    """A title as people read it: BibTeX's case-protecting braces dropped ("{LLM} agents")."""
    return title.replace("{", "").replace("}", "")


def load(data_dir: Path | None = None) -> SiteData:
    """Read the graph once and index every row the site needs."""
    store = load_store(data_dir)
    d = SiteData()
    for r in run_file(store, "concepts"):
        cid = r["c"]
        if cid in d.concepts:  # a concept typed twice: keep the first level
            continue
        d.concepts[cid] = {
            "id": cid,
            "level": LEVELS.get(str(r["type"]).rsplit("#", 1)[-1], "concept"),
            "label": r["label"],
            "definition": r["definition"],
            "broader": r["broader"],
            "order": r["order"],
            "family": r["family"],
            "role": _facet(r["role"]),
            "kind": _facet(r["kind"]),
            "access": [_facet(a) for a in _ids(r["access"])],
            "alts": sorted(set(_split(r["alts"]))),
            "sources": [],
        }
    for cid, c in d.concepts.items():
        if c["broader"] and c["broader"] not in d.concepts:
            c["broader"] = None
        if c["broader"]:
            d.children[c["broader"]].append(cid)
    for r in run_file(store, "concept_sources"):
        if r["c"] in d.concepts:
            d.concepts[r["c"]]["sources"].append(r)
    for r in run_file(store, "papers"):
        d.papers[r["p"]] = {
            "id": r["p"],
            "title": clean_title(r["title"] or r["p"]),
            "year": r["year"],
            "venue": r["venue"],
            "arxiv": r["arxiv"],
            "doi": r["doi"],
            "code": r["code"],
            "review": bool(r["review"]),
            "evidence": {k: r[k] for k in ("arxivEvidence", "doiEvidence", "codeEvidence") if r[k]},
            "flags": _split(r["flags"]),
            "dups": _ids(r["dups"]),
            "listed": _ids(r["listedIn"]),
            "inSource": _ids(r["inSource"]),
            "badges": sorted(_split(r["badges"])),
            "categories": sorted(_split(r["categories"])),
            "authors": [],
            "methods": [],
            "datasets": [],
        }
    cells = {r["node"]: r for r in run_file(store, "list_nodes")}
    for r in run_file(store, "authors"):
        if r["p"] not in d.papers:
            continue
        node, seen, names = r["head"], set(), []
        while node in cells and node not in seen:  # walk the rdf:List; `seen` guards a cyclic list
            seen.add(node)
            cell = cells[node]
            names.append((cell["name"] or cell["person"], cell["family"]))
            node = cell["rest"]
        d.papers[r["p"]]["authors"] = names
    for r in run_file(store, "subjects"):
        if r["p"] in d.papers and r["c"] in d.concepts:
            d.paper_subjects[r["p"]].append(r["c"])
            d.concept_papers[r["c"]].add(r["p"])
    for r in run_file(store, "methods"):
        m = {
            "id": r["m"],
            "label": r["label"] or r["m"],
            "paper": r["paper"],
            "sub": r["sub"],
            "family": r["family"],
            "role": _facet(r["role"]),
            "kind": _facet(r["kind"]),
            "access": [_facet(a) for a in _ids(r["access"])],
            "targets": sorted(_split(r["targets"])),
            "surveyRef": r["surveyRef"],
            "row": r["row"],
            "datasets": [],
        }
        if m["sub"] not in d.concepts:
            m["sub"] = None
        d.methods[m["id"]] = m
        if m["paper"] in d.papers:
            d.papers[m["paper"]]["methods"].append(m["id"])
    for r in run_file(store, "datasets"):
        d.datasets[r["d"]] = {
            "id": r["d"],
            "title": r["title"] or r["d"],
            "issued": r["issued"],
            "size": r["size"],
            "families": _ids(r["families"]),
            "introducedBy": _ids(r["introducedBy"]),
            "focus": r["focus"],
            "group": r["group"],
            "alts": sorted(set(_split(r["alts"]))),
            "evaluates": [c for c in _ids(r["evaluates"])],
            "methods": [],
        }
    for r in run_file(store, "method_datasets"):
        if r["m"] in d.methods and r["d"] in d.datasets:
            d.methods[r["m"]]["datasets"].append(r["d"])
            d.datasets[r["d"]]["methods"].append(r["m"])
    for ds in d.datasets.values():
        for pid in ds["introducedBy"]:
            if pid in d.papers:
                d.papers[pid]["datasets"].append(ds["id"])
    d.links = [r for r in run_file(store, "defense_links") if r["defense"] in d.concepts and r["attack"] in d.concepts]
    for r in run_file(store, "implementations"):
        impl = d.impls.setdefault(
            r["impl"],
            {
                "id": r["impl"],
                "label": r["label"] or r["impl"],
                "module": r["module"],
                "entry": r["entry"],
                "targets": [],
            },
        )
        if r["target"] and r["target"] not in impl["targets"]:
            impl["targets"].append(r["target"])
    for r in run_file(store, "placements"):
        how = _facet(r["how"]) or ""
        if r["score"] is not None and how == "predicted":
            how = f"predicted, score {float(r['score']):.2f}"
            if r["tentative"] is True:
                how += ", tentative: to be confirmed"
        d.placements[(r["p"], r["c"])] = how
    d.sources = {r["s"]: r for r in run_file(store, "sources")}
    d.bibtex = _bib_entries(bib_path(data_dir))
    return d
