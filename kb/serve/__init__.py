"""A read-only SPARQL 1.1 Protocol endpoint over the knowledge graph (see docs/serve.md)."""

from __future__ import annotations

from importlib import resources

from kb.serve.client import named_query_text, with_values
from kb.serve.guard import Refused, check_query
from kb.serve.http import SparqlServer, render_page
from kb.serve.limits import Limits
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
    "named_query_text",
    "with_values",
    "worker_count",
]

PREFIXES = {prefix: str(ns) for prefix, ns in NAMESPACES.items()}


def named_examples() -> list[dict]:
    """The named queries (name, description, text with default parameters bound) for the page."""
    from kb import sparql

    return [
        {"name": q.name, "description": q.description, "query": named_query_text(q.name)}
        for q in sparql.list_queries()
    ]


def make_server(
    source: Source,
    host: str = "127.0.0.1",
    port: int = 7878,
    limits: Limits | None = None,
    quiet: bool = False,
) -> SparqlServer:
    """A ready-to-run server (call serve_forever; server_close stops the query workers)."""
    limits = limits or Limits()
    pool = WorkerPool(source, limits, PREFIXES)
    template = resources.files("kb.serve").joinpath("page.html").read_text(encoding="utf-8")
    page = render_page(template, named_examples(), limits)
    try:
        return SparqlServer((host, port), pool, limits, page, quiet=quiet)
    except OSError:
        pool.close()
        raise
