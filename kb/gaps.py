"""Gap analysis: where the survey's map of large-model safety is thin, computed with networkx."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from kb.atomic import atomic_write, atomic_write_text
from kb.output import render
from kb.tables import Tables, load_tables

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
RECENT_YEAR = 2024  # an area whose newest paper is older than this has seen no recent work
TOP_BRIDGES = 10  # bridges reported per kind of node (datasets, concepts)

SECTIONS: dict[str, tuple[str, str]] = {
    "matrix": (
        "Model family x threat kind: papers",
        "Distinct papers per family and threat kind (via subjects and proposed methods).",
    ),
    "matrix_methods": (
        "Model family x threat kind: methods",
        "Methods (survey table rows) per family and threat kind.",
    ),
    "empty_cells": ("Empty cells", "Family and threat-kind pairs without a single paper."),
    "undefended": (
        "Attack areas without a defense area",
        "Attack threat types that no defense threat type answers (kb:answers), per family.",
    ),
    "single_method": (
        "Subcategories resting on a single method",
        "Techniques for which the survey lists one method (or none).",
    ),
    "no_benchmark": (
        "Areas without a dataset or benchmark",
        "Attack and defense areas that no dataset or benchmark evaluates (kb:evaluates).",
    ),
    "stale": (
        f"Areas whose newest paper predates {RECENT_YEAR}",
        f"Threat types with no paper from {RECENT_YEAR} or later.",
    ),
    "bridges": (
        "Bridges between families",
        "Datasets and concepts with the highest betweenness centrality in the "
        "family-concept-dataset "
        "graph that connect two or more families.",
    ),
}


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


def build_graph(tables: Tables) -> nx.DiGraph:
    """Concepts, papers, methods and datasets as nodes ("kind:id") with typed edges (rel)."""
    g = nx.DiGraph()
    for c in tables["concepts"]:
        g.add_node(
            f"concept:{c['id']}",
            kind="concept",
            id=c["id"],
            label=c["label"] or c["id"],
            type=c["type"],
            family=c["family"],
            threat_kind=kind_name(c["threat_kind"]) or None,
            role=c["role"],
            order=c["sort_order"],
            parent=c["parent"],
        )
    for p in tables["papers"]:
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
        g.add_edge(f"concept:{r['defense_id']}", f"concept:{r['attack_id']}", rel="answers")
    return g


class _View:
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
        self.area_of = {n: self._area(n) for n in concepts}
        self.papers_of: dict[str, set[str]] = defaultdict(set)  # area -> papers
        self.methods_of: dict[str, set[str]] = defaultdict(set)  # area -> methods
        self.datasets_of: dict[str, Counter[str]] = defaultdict(
            Counter
        )  # area -> datasets its methods use
        for u, v, rel in g.edges(data="rel"):
            if rel == "subject" and self.area_of.get(v):
                self.papers_of[self.area_of[v]].add(u)
            elif rel == "subcategory" and self.area_of.get(v):
                area = self.area_of[v]
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
        while node and node not in seen:
            seen.add(node)
            if self.g.nodes[node]["type"] == "ThreatType":
                return node
            node = next(iter(self.out(node, "broader")), None)
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

    def name(self, node: str) -> str:
        """A readable name: family abbreviation and label, e.g. 'LLM Jailbreak Attacks'."""
        a = self.nodes[node]
        fam = short(a.get("family"))
        if a["kind"] != "concept" or re.search(rf"\b{re.escape(fam)}\b", a["label"], re.I):
            return a["label"]
        return f"{fam} {a['label']}"

    def fam(self, node: str) -> str | None:
        return self.nodes[node].get("family")


def _cells(v: _View) -> tuple[dict[tuple[str, str], set[str]], dict[tuple[str, str], set[str]]]:
    """(family, kind) -> papers and -> methods."""
    papers: dict[tuple[str, str], set[str]] = defaultdict(set)
    methods: dict[tuple[str, str], set[str]] = defaultdict(set)
    for u, w, rel in v.g.edges(data="rel"):
        if rel == "subject" and v.nodes[w].get("threat_kind") and v.fam(w):
            papers[(v.fam(w), v.nodes[w]["threat_kind"])].add(u)
    for area in v.areas:
        if v.nodes[area]["role"] == "role-evaluation" and v.nodes[area].get("threat_kind"):
            papers[(v.fam(area), v.nodes[area]["threat_kind"])].update(v.papers_of[area])
    for n, a in v.g.nodes(data=True):
        if a["kind"] == "method" and a.get("threat_kind") and a.get("family"):
            methods[(a["family"], a["threat_kind"])].add(n)
            papers[(a["family"], a["threat_kind"])].update(v.out(n, "proposedIn"))
    return papers, methods


def _matrix(v: _View, cells: dict[tuple[str, str], set[str]]) -> Rows:
    rows = []
    for f in v.families:
        fid = v.nodes[f]["id"]
        row: dict[str, Any] = {"family": fid}
        row.update({k: len(cells.get((fid, k), ())) for k in v.kinds})
        row["total"] = len(set().union(*(cells.get((fid, k), set()) for k in v.kinds)))
        rows.append(row)
    return rows


def _empty_cells(v: _View, papers: dict[tuple[str, str], set[str]]) -> Rows:
    rows = []
    for f in v.families:
        fid = v.nodes[f]["id"]
        for k in v.kinds:
            if papers.get((fid, k)):
                continue
            areas = [a for a in v.areas if v.fam(a) == fid and v.nodes[a]["threat_kind"] == k]
            others = sorted(
                {short(fam) for (fam, kk), ps in papers.items() if kk == k and ps and fam != fid}
            )
            if areas:
                reading = (
                    f"{short(fid)} has {article(k)} {k} area "
                    f"({', '.join(v.nodes[a]['id'] for a in areas)}) "
                    "but no paper is classified under it"
                )
            elif others:
                have = "has" if len(others) == 1 else "have"
                reading = (
                    f"No {short(fid)} paper on {k} threats, though {and_list(others)} {have} some: "
                    f"an open question for {short(fid)}"
                )
            else:
                reading = f"No family has a {k} paper; the kind exists only as a label"
            rows.append({"family": fid, "threat_kind": k, "areas": len(areas), "reading": reading})
    return rows


def _undefended(v: _View) -> Rows:
    # kind -> families with a defense area that answers an attack area of that kind
    defended_kinds: dict[str, set[str]] = defaultdict(set)
    for u, w, rel in v.g.edges(data="rel"):
        if rel == "answers" and v.nodes[w].get("threat_kind"):
            defended_kinds[v.nodes[w]["threat_kind"]].add(short(v.fam(u)))
    rows = []
    for a in v.areas:
        attrs = v.nodes[a]
        if attrs["role"] != "role-attack" or v.into(a, "answers"):
            continue
        k, fam = attrs["threat_kind"], short(attrs["family"])
        elsewhere = sorted(defended_kinds.get(k, set()) - {fam})
        reading = f"No defense area answers {v.name(a)} ({n_of(len(v.papers_of[a]), 'paper')})"
        if elsewhere:
            have = "has" if len(elsewhere) == 1 else "have"
            reading += f"; {and_list(elsewhere)} {have} {article(k)} {k} defense area to start from"
        else:
            reading += f"; no family has {article(k)} {k} defense area"
        rows.append(
            {
                "family": attrs["family"],
                "area": attrs["id"],
                "label": attrs["label"],
                "threat_kind": k,
                "papers": len(v.papers_of[a]),
                "methods": len(v.methods_of[a]),
                "defended_elsewhere": "; ".join(elsewhere) or None,
                "reading": reading,
            }
        )
    return rows


def _single_method(v: _View) -> Rows:
    rows = []
    for n, a in sorted(v.g.nodes(data=True)):
        if a["kind"] != "concept" or a["type"] != "Subcategory":
            continue
        methods = sorted(v.into(n, "subcategory"))
        if len(methods) > 1:
            continue
        area = v.area_of.get(n)
        row = {
            "family": a["family"],
            "area": v.nodes[area]["id"] if area else None,
            "subcategory": a["id"],
            "label": a["label"],
            "methods": len(methods),
            "method": None,
            "paper": None,
            "year": None,
        }
        if methods:
            m = methods[0]
            paper = next(iter(v.out(m, "proposedIn")), None)
            row.update(
                method=v.nodes[m]["label"],
                paper=v.nodes[paper]["id"] if paper else None,
                year=v.nodes[paper]["year"] if paper else None,
            )
            when = f", {row['year']}" if row["year"] else ""
            row["reading"] = (
                f"'{a['label']}' in {v.name(area) if area else short(a['family'])} rests on "
                f"{row['method']} alone ({row['paper'] or 'no paper'}{when}): "
                "one result, not yet a line of work"
            )
        else:
            row["reading"] = (
                f"'{a['label']}' is named by the survey but no method is listed under it"
            )
        rows.append(row)
    return rows


def _no_benchmark(v: _View) -> Rows:
    rows = []
    for a in v.areas:
        attrs = v.nodes[a]
        if attrs["role"] not in ("role-attack", "role-defense"):
            continue
        evaluated = [d for d in v.g.predecessors(a) if v.g.edges[d, a]["rel"] == "evaluates"]
        evaluated += [
            d
            for c, area in v.area_of.items()
            if area == a and c != a
            for d in v.into(c, "evaluates")
        ]
        if evaluated:
            continue
        used = v.datasets_of[a]
        top = [v.nodes[d]["label"] for d, _ in used.most_common(3)]
        if used:
            reading = (
                f"No benchmark evaluates {v.name(a)}; "
                f"its {n_of(len(v.methods_of[a]), 'method')} use "
                f"{n_of(len(used), 'dataset')} of their own choosing (most often {', '.join(top)})"
            )
        else:
            reading = (
                f"No benchmark and no evaluation dataset recorded for {v.name(a)}: "
                "results cannot be compared"
            )
        rows.append(
            {
                "family": attrs["family"],
                "area": attrs["id"],
                "label": attrs["label"],
                "methods": len(v.methods_of[a]),
                "eval_datasets": len(used),
                "most_used": "; ".join(top),
                "reading": reading,
            }
        )
    rows.sort(key=lambda r: (r["eval_datasets"] > 0, r["family"] or "", r["area"]))
    return rows


def _stale(v: _View) -> Rows:
    rows = []
    for a in v.areas:
        attrs = v.nodes[a]
        years = [v.nodes[p]["year"] for p in v.papers_of[a] if v.nodes[p].get("year")]
        newest = max(years) if years else None
        if not v.papers_of[a] or (newest is not None and newest >= RECENT_YEAR):
            continue
        if newest is None:
            reading = (
                f"{v.name(a)} has no dated paper ({n_of(len(v.papers_of[a]), 'paper')} in all)"
            )
        else:
            reading = (
                f"The newest {v.name(a)} paper is from {newest} "
                f"({n_of(len(years), 'dated paper')}): "
                f"nothing from {RECENT_YEAR} on - settled, abandoned or waiting to be revisited"
            )
        rows.append(
            {
                "family": attrs["family"],
                "area": attrs["id"],
                "label": attrs["label"],
                "papers": len(v.papers_of[a]),
                "newest_year": newest,
                "reading": reading,
            }
        )
    rows.sort(key=lambda r: (r["newest_year"] is None, r["newest_year"] or 0, r["area"]))
    return rows


def bridge_graph(v: _View) -> nx.Graph:
    """The undirected family-concept-dataset graph: the concept tree plus datasets where used."""
    h = nx.Graph()
    for n, a in v.g.nodes(data=True):
        if a["kind"] == "concept":
            h.add_node(n)
            for p in v.out(n, "broader"):
                h.add_edge(n, p)
    for n, a in v.g.nodes(data=True):
        if a["kind"] == "method":
            for sub in v.out(n, "subcategory"):
                for d in v.out(n, "evaluatedOn"):
                    h.add_edge(d, sub)
        elif a["kind"] == "dataset":
            for c in v.out(n, "evaluates"):
                h.add_edge(n, c)
    return h


def _dataset_bridge(v: _View, h: nx.Graph, n: str) -> tuple[list[str], str]:
    a = v.nodes[n]
    fams = sorted({v.fam(c) for c in h.neighbors(n) if v.fam(c)}, key=_fam_rank(v))
    areas = {v.area_of.get(c) for c in h.neighbors(n)} - {None}
    reading = (
        f"{a['label']} is used in {n_of(len(areas), 'area')} of {len(fams)} families "
        f"({', '.join(map(short, fams))}): a shared yardstick across them"
    )
    return fams, reading


def _concept_bridge(v: _View, h: nx.Graph, n: str) -> tuple[list[str], str]:
    own = v.fam(n)
    shared = {d for c in v.subtree(n) for d in h.neighbors(c) if v.nodes[d]["kind"] == "dataset"}
    crossing = {d: {v.fam(c) for c in h.neighbors(d)} - {own, None} for d in shared}
    others = sorted(set().union(*crossing.values()) if crossing else set(), key=_fam_rank(v))
    names = sorted(v.nodes[d]["label"] for d, fams in crossing.items() if fams)
    reading = (
        f"{v.name(n)} shares {n_of(len(names), 'dataset')} ({', '.join(names[:3])}"
        f"{', ...' if len(names) > 3 else ''}) with {and_list([short(f) for f in others])}: "
        "its results can be set beside theirs"
    )
    return [own, *others] if own else others, reading


def _bridges(v: _View) -> Rows:
    h = bridge_graph(v)
    if h.number_of_nodes() < 3:
        return []
    centrality = nx.betweenness_centrality(h)
    found: dict[str, Rows] = {"dataset": [], "concept": []}
    for n, score in sorted(centrality.items(), key=lambda x: (-x[1], x[0])):
        a = v.nodes[n]
        if a.get("type") == "ModelFamily" or len(found[a["kind"]]) >= TOP_BRIDGES:
            continue
        bridge = _dataset_bridge if a["kind"] == "dataset" else _concept_bridge
        fams, reading = bridge(v, h, n)
        if len(fams) < 2:
            continue
        found[a["kind"]].append(
            {
                "kind": a["kind"],
                "id": a["id"],
                "label": a["label"],
                "betweenness": round(score, 4),
                "families": "; ".join(map(short, fams)),
                "reading": reading,
            }
        )
    return found["dataset"] + found["concept"]


def _fam_rank(v: _View) -> Callable[[str], int]:
    order = {v.nodes[f]["id"]: i for i, f in enumerate(v.families)}
    return lambda f: order.get(f, len(order))


def analyse_tables(tables: Tables) -> dict[str, Rows]:
    """Every gap section as rows, from the main tables."""
    v = _View(build_graph(tables))
    papers, methods = _cells(v)
    return {
        "matrix": _matrix(v, papers),
        "matrix_methods": _matrix(v, methods),
        "empty_cells": _empty_cells(v, papers),
        "undefended": _undefended(v),
        "single_method": _single_method(v),
        "no_benchmark": _no_benchmark(v),
        "stale": _stale(v),
        "bridges": _bridges(v),
    }


def analyse(data_dir: Path | None = None) -> dict[str, Rows]:
    """Every gap section as rows, for the knowledge graph in data_dir (default: data/)."""
    return analyse_tables(load_tables(data_dir))


def to_markdown(result: dict[str, Rows]) -> str:
    """All sections as one Markdown document (headings, a sentence each, tables)."""
    parts = ["# Gap analysis", ""]
    for name, rows in result.items():
        title, about = SECTIONS[name]
        where = f"{n_of(len(rows), 'row')}; `kb gaps --section {name}`"
        parts += [f"## {title}", "", f"{about} ({where})", ""]
        parts += [render(rows, "md") if rows else "_None._", ""]
    return "\n".join(parts)


def write_outputs(
    out_dir: Path, data_dir: Path | None = None, result: dict[str, Rows] | None = None
) -> list[Path]:
    """Write gaps.json, gaps.md and the matrix heatmap (PNG and SVG) into out_dir."""
    from kb.gaps_plot import draw_heatmap  # matplotlib is slow to import; only the writer needs it

    result = result if result is not None else analyse(data_dir)
    out_dir = Path(out_dir)
    data = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    paths = [
        atomic_write_text(out_dir / "gaps.json", data),
        atomic_write_text(out_dir / "gaps.md", to_markdown(result)),
    ]
    for fmt in ("png", "svg"):
        target = out_dir / f"gaps-matrix.{fmt}"
        paths.append(atomic_write(target, lambda p, f=fmt: draw_heatmap(result["matrix"], p, f)))
    return paths
