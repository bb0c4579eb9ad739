"""The one loader: the curated files (data/taxonomy.ttl, references.bib at the top) into an in-memory graph."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import click
import pyoxigraph
import rdflib

from kb.vocab import NAMESPACES

TAXONOMY_FILE = "taxonomy.ttl"
BIB_FILE = "references.bib"


def default_data_dir() -> Path:
    """The data folder: $KB_DATA, else the repository's data/ beside the kb package."""
    env = os.environ.get("KB_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "data"


def taxonomy_path(data_dir: Path | None = None) -> Path:
    return (data_dir or default_data_dir()) / TAXONOMY_FILE


def bib_path(data_dir: Path | None = None) -> Path:
    """The bib file: beside taxonomy.ttl when it is there, else one folder up (the repository's layout:
    data/taxonomy.ttl and references.bib at the top level)."""
    folder = data_dir or default_data_dir()
    beside = folder / BIB_FILE
    return beside if beside.exists() else folder.parent / BIB_FILE


class DataError(click.ClickException):
    """Bad input data: one line naming the file, the place and what to do."""


def _require(path: Path) -> Path:
    if not path.exists():
        raise DataError(f"{path}: file not found; run the importer (see data/README.md) or set KB_DATA")
    return path


def new_graph() -> rdflib.Graph:
    """An empty rdflib graph with the project's prefixes bound."""
    g = rdflib.Graph()
    for prefix, ns in NAMESPACES.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


def turtle_error(path: Path, exc: Exception) -> DataError:
    """One line for a Turtle syntax error: file, line, the parser's reason, what to do."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    try:  # pyoxigraph names line and column precisely, whichever parser failed first
        for _ in pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE):
            pass
    except SyntaxError as ox:
        reason = " ".join(str(ox).split())
    m = re.search(r"line (\d+)", reason)
    where = f":{m.group(1)}" if m else ""
    reason = re.sub(r"^Parser error at line \d+ (between columns \d+ and \d+: )?", "", reason)
    reason = re.sub(r" \([^()]*, line \d+\)$", "", reason)
    return DataError(f"{path}{where}: invalid Turtle ({reason}); fix the file there, or restore it with git")


def parse_turtle(path: Path) -> rdflib.Graph:
    """Parse a Turtle file; a syntax error becomes one line with the file and line."""
    g = new_graph()
    try:
        g.parse(_require(path), format="turtle")
    except DataError:
        raise
    except Exception as exc:  # rdflib raises several exception types for bad Turtle
        raise turtle_error(path, exc) from None
    return g


@lru_cache(maxsize=4)
def _cached_graph(path: str, mtime: float) -> rdflib.Graph:
    return parse_turtle(Path(path))


def load_graph(data_dir: Path | None = None) -> rdflib.Graph:
    """The knowledge graph as an rdflib Graph (cached per file version within a process)."""
    path = _require(taxonomy_path(data_dir))
    return _cached_graph(str(path), path.stat().st_mtime)


def load_store(data_dir: Path | None = None) -> pyoxigraph.Store:
    """The knowledge graph in an in-memory pyoxigraph store (fast SPARQL)."""
    path = _require(taxonomy_path(data_dir))
    store = pyoxigraph.Store()
    try:
        store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    except SyntaxError as exc:
        raise turtle_error(path, exc) from None
    return store
