"""The main tables as CSV files, one per table, with a header row."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from kb.atomic import atomic_write_text
from kb.tables import SPECS, Tables


def table_csv(columns: list[str], rows: list[dict]) -> str:
    """One table as CSV text (RFC 4180 quoting, \\n line ends, empty cell for a missing value)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return buf.getvalue()


def export_csv(
    out_dir: Path, tables: Tables, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write <table>.csv for every main table into out_dir."""
    paths = [
        atomic_write_text(
            Path(out_dir) / f"{spec.name}.csv",
            table_csv(tables.columns[spec.name], tables[spec.name]),
        )
        for spec in SPECS
    ]
    if progress:
        progress(f"csv: {len(paths)} files in {out_dir}")
    return paths
