"""data/taxonomy.ttl in one canonical, sorted, diff-friendly Turtle form."""

from __future__ import annotations

from pathlib import Path

import rdflib

from kb.atomic import atomic_write_text
from kb.graph import new_graph


def render_turtle(graph: rdflib.Graph) -> str:
    """Canonical Turtle: rdflib's 'longturtle' (sorted subjects and predicates, one object a line)."""
    out = new_graph()
    for triple in graph:
        out.add(triple)
    text = out.serialize(format="longturtle")
    return text.rstrip("\n") + "\n"


def write_turtle(graph: rdflib.Graph, path: Path) -> None:
    """Write the graph canonically and atomically."""
    atomic_write_text(path, render_turtle(graph))
