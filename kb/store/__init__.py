"""A prebuilt store for large graphs: `kb store build`, and the named questions answered from it.

run_named(store, name, params, limit, offset) gives the same rows as kb.sparql.run_named on the
graph the store was built from: from the side index where a store form exists
(kb/store/sql/NAME.sql), else by the .rq query on the store's pyoxigraph database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.sparql import Rows, bind_params, get_query
from kb.sparql import run_named as sparql_run_named
from kb.store.build import Store, StoreError, build_store, open_store, oxigraph_dir, read_meta
from kb.store.queries import run_store_query, store_queries

__all__ = [
    "PagedRows",
    "Store",
    "StoreError",
    "build_store",
    "open_store",
    "oxigraph_dir",
    "read_meta",
    "run_named",
]


class PagedRows(Rows):
    """Rows of one page, with `total`: how many rows the question has before paging."""

    total: int = 0


def run_named(
    store: Store | Path,
    name: str,
    params: dict[str, Any] | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    compact_iris: bool = True,
) -> PagedRows:
    """Rows of the named question from a store; `rows.total` counts them before paging."""
    if not isinstance(store, Store):
        store = open_store(Path(store))
    query = get_query(name)
    bound = bind_params(query, params)
    form = store_queries().get(name)
    if form is not None and form.applies(bound):
        columns, rows, total = run_store_query(store.db, form, bound, compact_iris, limit, offset)
        result = PagedRows(rows, columns)
    else:
        full = sparql_run_named(name, params, source=store.ox, compact_iris=compact_iris)
        total = len(full)
        end = None if limit is None else offset + limit
        result = PagedRows(full[offset:end], full.columns)
    result.total = total
    return result
