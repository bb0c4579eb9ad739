"""The graph as N-Triples (sorted, diff-friendly) and as JSON-LD with a context of our prefixes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import rdflib
from rdflib.term import BNode, Node

from kb.atomic import atomic_write_text
from kb.vocab import NAMESPACES


def context() -> dict[str, str]:
    """The JSON-LD @context: one term per prefix of kb.vocab.NAMESPACES."""
    return {prefix: str(ns) for prefix, ns in NAMESPACES.items()}


def stable_bnodes(graph: rdflib.Graph) -> rdflib.Graph:
    """A copy whose blank nodes are named by their path from a named node (e.g. an author list).

    rdflib numbers blank nodes afresh on every parse; naming each by a hash of (parent, predicate)
    makes the sorted N-Triples of an unchanged graph byte-identical. Blank nodes reachable only
    from other unreachable blank nodes keep rdflib's label.
    """
    names: dict[BNode, str] = {}
    todo = sorted(
        (str(s), str(p), o)
        for s, p, o in graph
        if isinstance(o, BNode) and not isinstance(s, BNode)
    )
    while todo:
        nxt = []
        for parent, pred, node in todo:
            if node in names:
                continue
            names[node] = "b" + hashlib.sha1(f"{parent} {pred}".encode()).hexdigest()[:16]
            nxt += [
                (names[node], str(p), o)
                for p, o in graph.predicate_objects(node)
                if isinstance(o, BNode)
            ]
        todo = sorted(nxt, key=lambda t: (t[0], t[1]))

    def rename(term: Node) -> Node:
        return BNode(names[term]) if isinstance(term, BNode) and term in names else term

    out = rdflib.Graph()
    for s, p, o in graph:
        out.add((rename(s), p, rename(o)))
    return out


def ntriples(graph: rdflib.Graph) -> str:
    """The graph as N-Triples, one triple per line, sorted so that equal graphs give equal files."""
    text = stable_bnodes(graph).serialize(format="nt", encoding="utf-8").decode("utf-8")
    lines = sorted(line for line in text.splitlines() if line.strip())
    return "\n".join(lines) + "\n"


def jsonld(graph: rdflib.Graph) -> str:
    """The graph as compacted JSON-LD with the context inline, so it parses offline."""
    return graph.serialize(format="json-ld", context=context(), indent=1, sort_keys=True)


def export_rdf(
    out_dir: Path, graph: rdflib.Graph, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write kb.nt, kb.jsonld and context.jsonld into out_dir."""
    out_dir = Path(out_dir)
    paths = [
        atomic_write_text(out_dir / "kb.nt", ntriples(graph)),
        atomic_write_text(out_dir / "kb.jsonld", jsonld(graph)),
        atomic_write_text(
            out_dir / "context.jsonld", json.dumps({"@context": context()}, indent=2) + "\n"
        ),
    ]
    if progress:
        progress(f"rdf: {len(graph)} triples as N-Triples and JSON-LD in {out_dir}")
    return paths
