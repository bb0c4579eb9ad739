"""A networkx view of the knowledge graph for the gap analysis: typed nodes and edges, lookups."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from kb.tables import Tables

Rows = list[dict[str, Any]]

# Threat kinds in the order of the data model (common.md); unknown kinds follow alphabetically.
KIND_ORDER = (
    "adversarial",
    "backdoor-poisoning",
    "jailbreak",
    "prompt-injection",
    "energy-latency",
    "membership-inference",
    "model-extraction",
    "data-extraction",
    "ip-protection",
    "alignment",
    "agent-memory",
    "tool-calling",
    "vlm-agent",
    "multi-agent",
    "embodied",
    "agentic",
    "evaluation",
    "safety-collapse",
)


def short(family: str | None) -> str:
    """The family's abbreviation as the survey writes it (LLM, VFM, ..., Agent)."""
    if not family:
        return "?"
    return family.upper() if len(family) <= 3 else family.capitalize()


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def n_of(n: int, noun: str) -> str:
    """'1 paper', '3 papers'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def and_list(items: list[str]) -> str:
    if not items:
        return "no other family"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def kind_name(kind: str | None) -> str:
    return (kind or "").removeprefix("kind-")


def in_source(paper: dict[str, Any], source: str | None) -> bool:
    """True when the paper counts for `source` (None: every paper). A paper without a listed source
    (added with `kb add`, or a fixture) counts for every view."""
    sources = [x.strip() for x in (paper.get("sources") or "").split(";") if x.strip()]
    return source is None or not sources or source in sources


def build_graph(tables: Tables, source: str | None = None) -> nx.DiGraph:
    """Concepts, papers, methods and datasets as nodes ("kind:id") with typed edges (rel); with a
    source (e.g. "survey-v6"), only the papers that source lists."""
    g = nx.DiGraph()
    for c in tables["concepts"]:
        g.add_node(
            f"concept:{c['id']}",
            kind="concept",
            id=c["id"],
            label=c["name"] or c["id"],
            type=c["type"],
            family=c["family"],
            threat_kind=kind_name(c["threat_kind"]) or None,
            role=c["role"],
            order=c["sort_order"],
            parent=c["parent"],
            list_only=bool(c.get("list_only")),
        )
    for p in tables["papers"]:
        if not in_source(p, source):
            continue
        g.add_node(
            f"paper:{p['id']}",
            kind="paper",
            id=p["id"],
            label=p["title"] or p["id"],
            year=p["year"],
        )
    for d in tables["datasets"]:
        g.add_node(
            f"dataset:{d['id']}",
            kind="dataset",
            id=d["id"],
            label=d["title"] or d["id"],
            family=None,  # a dataset serves several families; see its neighbours
            benchmark=bool(d.get("sources")),  # listed in a dataset table or section of the survey
        )
    for m in tables["methods"]:
        g.add_node(
            f"method:{m['id']}",
            kind="method",
            id=m["id"],
            label=m["name"] or m["id"],
            family=m["family"],
            threat_kind=kind_name(m["threat_kind"]) or None,
            role=m["role"],
        )
    for c in tables["concepts"]:
        if c["parent"]:
            g.add_edge(f"concept:{c['id']}", f"concept:{c['parent']}", rel="broader")
    for r in tables["paper_concepts"]:
        if f"paper:{r['paper_id']}" in g and f"concept:{r['concept_id']}" in g:
            g.add_edge(f"paper:{r['paper_id']}", f"concept:{r['concept_id']}", rel="subject")
    for m in tables["methods"]:
        if m["paper_id"]:
            g.add_edge(f"method:{m['id']}", f"paper:{m['paper_id']}", rel="proposedIn")
        if m["subcategory_id"]:
            g.add_edge(f"method:{m['id']}", f"concept:{m['subcategory_id']}", rel="subcategory")
    for r in tables["method_datasets"]:
        g.add_edge(f"method:{r['method_id']}", f"dataset:{r['dataset_id']}", rel="evaluatedOn")
    for d in tables["datasets"]:
        if d["introduced_by"]:
            g.add_edge(f"dataset:{d['id']}", f"paper:{d['introduced_by']}", rel="introducedBy")
    for r in tables["dataset_concepts"]:
        g.add_edge(f"dataset:{r['dataset_id']}", f"concept:{r['concept_id']}", rel="evaluates")
    for r in tables["defense_links"]:
        g.add_edge(
            f"concept:{r['defense_id']}",
            f"concept:{r['attack_id']}",
            rel="answers",
            judgement=bool(r.get("judgement")),
        )
    return g


class View:
    """Derived lookups over the networkx graph shared by the sections."""

    def __init__(self, g: nx.DiGraph):
        self.g = g
        self.nodes = g.nodes
        concepts = [n for n, a in g.nodes(data=True) if a["kind"] == "concept"]
        by_order = sorted(
            concepts, key=lambda n: (g.nodes[n]["order"] is None, g.nodes[n]["order"] or 0, n)
        )
        self.families = [
            n for n in by_order if g.nodes[n]["type"] == "ModelFamily" and not g.nodes[n]["parent"]
        ]
        self.areas = [n for n in by_order if g.nodes[n]["type"] == "ThreatType"]
        self.topics = [n for n in by_order if g.nodes[n]["type"] == "Topic"]
        self.area_of = {n: self._area(n) for n in concepts}
        self.papers_of: dict[str, set[str]] = defaultdict(set)  # area -> papers
        self.methods_of: dict[str, set[str]] = defaultdict(set)  # area -> methods
        # area -> datasets its methods use, with how many methods use each
        self.datasets_of: dict[str, Counter[str]] = defaultdict(Counter)
        for u, v, rel in g.edges(data="rel"):
            area = self.area_of.get(v)
            if rel == "subject" and area:
                self.papers_of[area].add(u)
            elif rel == "subcategory" and area:
                self.methods_of[area].add(u)
                self.papers_of[area].update(self.out(u, "proposedIn"))
                self.datasets_of[area].update(self.out(u, "evaluatedOn"))
        # dataset sections have no papers of their own: count those that introduced their datasets
        for u, v, rel in g.edges(data="rel"):
            if rel == "evaluates" and g.nodes[v].get("role") == "role-evaluation":
                self.papers_of[v].update(self.out(u, "introducedBy"))
        kinds = {a["threat_kind"] for _, a in g.nodes(data=True) if a.get("threat_kind")}
        self.kinds = [k for k in KIND_ORDER if k in kinds] + sorted(kinds - set(KIND_ORDER))

    def _area(self, node: str) -> str | None:
        seen = set()
        current: str | None = node
        while current and current not in seen:
            seen.add(current)
            if self.g.nodes[current]["type"] == "ThreatType":
                return current
            current = next(iter(self.out(current, "broader")), None)
        return None

    def subtree(self, node: str) -> set[str]:
        """The concept and every concept below it."""
        found, todo = {node}, [node]
        while todo:
            for child in self.into(todo.pop(), "broader"):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def out(self, node: str, rel: str) -> list[str]:
        return [v for v in self.g.successors(node) if self.g.edges[node, v]["rel"] == rel]

    def into(self, node: str, rel: str) -> list[str]:
        return [u for u in self.g.predecessors(node) if self.g.edges[u, node]["rel"] == rel]

    def answered_by(self, attack: str, judgement: bool | None = None) -> list[str]:
        """Defense areas answering an attack area: all, only the sources' (False) or only ours (True)."""
        return [
            u
            for u in self.into(attack, "answers")
            if judgement is None or self.g.edges[u, attack].get("judgement", False) == judgement
        ]

    def name(self, node: str) -> str:
        """A readable name: family abbreviation and label, e.g. 'LLM Jailbreak Attacks'."""
        a = self.nodes[node]
        fam = short(a.get("family"))
        if a["kind"] != "concept" or re.search(rf"\b{re.escape(fam)}\b", a["label"], re.I):
            return a["label"]
        return f"{fam} {a['label']}"

    def fam(self, node: str) -> str:
        """The node's model family id, or "" (datasets and papers have none of their own)."""
        return self.nodes[node].get("family") or ""
