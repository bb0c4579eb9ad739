"""The store forms of the named queries (kb/store/sql/*.sql): their headers, and running them.

Each file mirrors one kb/queries/*.rq question over the side index and gives the same rows.
Header lines (`-- key: value`) before the SQL:
  name        the .rq file it mirrors
  iri / bool  result columns holding IRIs (compacted like SPARQL results) or booleans
  requires    when the SQL form applies: `concept` (that parameter bound) or `min>=2`;
              otherwise the question runs as SPARQL on the store's pyoxigraph database
  build:      SQL run once at `kb store build` (aggregates, listings in the query's order)
  query:      the SELECT run per request
Inside the SQL: `{prefix:local}` is that IRI's id; `:p` is parameter p (its id for an IRI
parameter), `:p_iri` its IRI, `:p_low` its lower-cased text; `{?p: SQL}` is kept only when p is
bound, `{+p: SQL}` only when p is non-empty text; `{match:table:p}` is the set of rowids of
t_table (or of r_table, a listing kept at build) whose `low` text may contain p (from the FTS5
trigram index fts_table; every row for under 3 characters).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.sparql.engine import compact
from kb.sparql.library import QueryError

SQL_DIR = Path(__file__).resolve().parent / "sql"
_HEADER = re.compile(r"^--\s*(name|mirrors|iri|bool|requires):\s*(.*)$")
_OPTIONAL = re.compile(r"\{([?+])(\w+):(.*?)\}", re.DOTALL)
_MATCH = re.compile(r"\{match:(\w+):(\w+)\}")


@dataclass(frozen=True)
class StoreQuery:
    """One store form: the name of the question it mirrors, its SQL and how to read its rows."""

    name: str
    query: str
    build: str = ""
    iris: frozenset[str] = frozenset()
    bools: frozenset[str] = frozenset()
    requires: str = ""

    def applies(self, bound: dict[str, tuple[str, str, str | None]]) -> bool:
        """Whether this form answers for these parameters (else the SPARQL form does)."""
        if not self.requires:
            return True
        if ">=" in self.requires:
            key, _, least = self.requires.partition(">=")
            return key in bound and int(bound[key][1]) >= int(least)
        return self.requires in bound


def load_store_query(path: Path) -> StoreQuery:
    """Parse one kb/store/sql/*.sql file."""
    head: dict[str, str] = {}
    sections: dict[str, list[str]] = {"build": [], "query": []}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped in ("-- build:", "-- query:"):
            current = stripped[3:-1]
            continue
        m = _HEADER.match(stripped)
        if current is None and m:
            head[m.group(1)] = m.group(2).strip()
        elif current is not None:
            sections[current].append(line)
    if head.get("name") != path.stem or not "".join(sections["query"]).strip():
        raise QueryError(f"{path}: needs `-- name: {path.stem}` and a `-- query:` section")
    return StoreQuery(
        name=path.stem,
        query="\n".join(sections["query"]).strip(),
        build="\n".join(sections["build"]).strip(),
        iris=frozenset(head.get("iri", "").split()),
        bools=frozenset(head.get("bool", "").split()),
        requires=head.get("requires", ""),
    )


@lru_cache(maxsize=1)
def store_queries() -> dict[str, StoreQuery]:
    """Every store form by question name (files starting with `_` are shared build steps)."""
    return {p.stem: load_store_query(p) for p in sorted(SQL_DIR.glob("*.sql")) if not p.stem.startswith("_")}


def _glob_contains(text: str) -> str:
    """A GLOB pattern for "contains text" (the trigram index answers GLOB; detail=none has no phrases)."""
    return "*" + "".join(f"[{c}]" if c in "*?[" else c for c in text) + "*"


def render(
    db: sqlite3.Connection, sq: StoreQuery, bound: dict[str, tuple[str, str, str | None]]
) -> tuple[str, dict[str, Any]]:
    """The SQL of `sq` for these bound parameters, and its named values."""
    from kb.store.index import constants, term_id

    def optional(m: re.Match) -> str:
        kind, key, body = m.groups()
        present = key in bound and (kind == "?" or bound[key][1] != "")
        return body if present else ""

    values: dict[str, Any] = {}
    for key, (kind, lexical, datatype) in bound.items():
        if kind == "iri":
            ident = term_id(db, lexical)
            values[key] = ident if ident is not None else -1
            values[f"{key}_iri"] = lexical
        elif datatype and datatype.endswith("#integer"):
            values[key] = int(lexical)
        else:
            values[key] = lexical
            values[f"{key}_low"] = lexical.lower()

    def match(m: re.Match) -> str:
        table, key = m.groups()
        text = str(values.get(f"{key}_low", ""))
        if len(text) < 3:  # the trigram index cannot look up shorter strings: every row, checked
            return f"(SELECT rowid FROM {table if table.startswith('r_') else 't_' + table})"
        values[f"_fts_{key}"] = _glob_contains(text)
        return f"(SELECT rowid FROM fts_{table} WHERE low GLOB :_fts_{key})"

    sql = _MATCH.sub(match, sq.query)  # inner braces first: `{?p: ...}` may hold the others
    sql = constants(sql, lambda iri: term_id(db, iri))
    sql = _OPTIONAL.sub(optional, sql)
    return sql, values


def run_store_query(
    db: sqlite3.Connection,
    sq: StoreQuery,
    bound: dict[str, tuple[str, str, str | None]],
    compact_iris: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[str], list[dict[str, Any]], int]:
    """(columns, rows, total rows without paging) of a store form."""
    sql, values = render(db, sq, bound)
    total = None
    if limit is not None or offset:
        total = db.execute(f"SELECT COUNT(*) FROM ({sql})", values).fetchone()[0]
        sql = f"SELECT * FROM ({sql}) LIMIT {int(limit) if limit is not None else -1} OFFSET {int(offset)}"
    cur = db.execute(sql, values)
    columns = [d[0] for d in cur.description]
    conv: list[Callable[[Any], Any] | None] = []
    for c in columns:
        if c in sq.iris:
            conv.append((lambda v: compact(v) if v is not None else None) if compact_iris else None)
        elif c in sq.bools:
            conv.append(lambda v: bool(v) if v is not None else None)
        else:
            conv.append(None)
    rows = [{c: (f(v) if f else v) for c, f, v in zip(columns, conv, row, strict=True)} for row in cur]
    return columns, rows, total if total is not None else len(rows)
