"""The main tables as a SQLite database (sqlite-utils): foreign keys, indexes and FTS5 search."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from kb.atomic import atomic_write
from kb.tables import SPECS, Tables

# table -> columns searchable with FTS5 (datasette shows a search box for these)
FTS = {"papers": ["title"], "methods": ["name"]}


def _column_types(columns: list[str], rows: list[dict[str, Any]]) -> dict[str, type]:
    """int where every non-empty value is an int, else str (an all-empty column is TEXT)."""
    types: dict[str, type] = {}
    for col in columns:
        values = [r[col] for r in rows if r.get(col) is not None]
        types[col] = int if values and all(isinstance(v, int) for v in values) else str
    return types


def write_db(path: Path, tables: Tables) -> None:
    """Create every table (schema first, then bulk insert_all), then FTS and indexes, at path."""
    db = sqlite_utils.Database(path, recreate=True)
    for spec in SPECS:
        rows = tables[spec.name]
        columns = tables.columns[spec.name]
        table = db.table(spec.name)
        table.create(
            _column_types(columns, rows),
            pk=spec.pk[0] if len(spec.pk) == 1 else spec.pk,
            foreign_keys=[(col, target, "id") for col, target in spec.foreign_keys.items()],
            column_order=columns,
        )
        table.insert_all(rows, batch_size=1000)
    for name, cols in FTS.items():
        db.table(name).enable_fts(cols, fts_version="FTS5", create_triggers=True)
    db.index_foreign_keys()
    db.execute("PRAGMA user_version = 1")  # bump when the schema changes incompatibly
    db.conn.commit()
    db.vacuum()
    db.close()


def export_sqlite(
    path: Path, tables: Tables, progress: Callable[[str], None] | None = None
) -> Path:
    """Write the SQLite database to path atomically (a temp file beside it, then os.replace)."""
    atomic_write(Path(path), lambda tmp: write_db(tmp, tables))
    if progress:
        progress(f"sqlite: {path} ({len(SPECS)} tables, {sum(tables.counts().values())} rows)")
    return Path(path)
