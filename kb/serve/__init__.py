"""A read-only SPARQL 1.1 Protocol endpoint over the knowledge graph (see docs/serve.md)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from kb.serve.guard import Refused, check_query
from kb.serve.http import Limits, SparqlServer, render_page
from kb.serve.worker import Reply, Request, Source, WorkerPool, worker_count
from kb.vocab import NAMESPACES

__all__ = [
    "Limits",
    "Refused",
    "Reply",
    "Request",
    "Source",
    "SparqlServer",
    "WorkerPool",
    "check_query",
    "make_server",
    "named_examples",
    "worker_count",
]

PREFIXES = {prefix: str(ns) for prefix, ns in NAMESPACES.items()}


def named_examples() -> list[dict]:
    """The named queries (name, description, query text) for the page, via kb.sparql if present."""
    try:
        from kb import sparql  # written alongside this module; optional until it lands
    except ImportError:
        return _examples_from_files(Path(__file__).resolve().parent.parent / "queries")
    out = []
    for q in sparql.list_queries():
        item = q if isinstance(q, dict) else vars(q)
        text = item.get("query") or item.get("text") or item.get("sparql") or ""
        out.append(
            {"name": item["name"], "description": item.get("description", ""), "query": text}
        )
    return out


def _examples_from_files(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        first = re.match(r"\s*#\s*(.*)", text)
        out.append(
            {"name": path.stem, "description": first.group(1) if first else "", "query": text}
        )
    return out


def make_server(
    source: Source,
    host: str = "127.0.0.1",
    port: int = 7878,
    limits: Limits | None = None,
    quiet: bool = False,
) -> SparqlServer:
    """A ready-to-run server (call serve_forever; server_close stops the query workers)."""
    limits = limits or Limits()
    pool = WorkerPool(source, limits.workers, limits.timeout, limits.max_rows, PREFIXES)
    template = resources.files("kb.serve").joinpath("page.html").read_text(encoding="utf-8")
    page = render_page(template, named_examples(), limits)
    try:
        return SparqlServer((host, port), pool, limits, page, quiet=quiet)
    except OSError:
        pool.close()
        raise
