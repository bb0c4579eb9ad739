"""Exports of the knowledge graph: SQLite, CSV, N-Triples and JSON-LD, one module per format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kb.graph import load_graph
from kb.tables import load_tables

DEFAULT_OUT = Path("build")
DB_NAME = "kb.db"
CSV_DIR = "csv"


def export_all(
    out_dir: Path = DEFAULT_OUT,
    progress: Callable[[str], None] | None = None,
    data_dir: Path | None = None,
) -> list[Path]:
    """Write kb.db, csv/<table>.csv, kb.nt, kb.jsonld and context.jsonld into out_dir."""
    from kb.export.csv_export import export_csv
    from kb.export.rdf_export import export_rdf
    from kb.export.sqlite_export import export_sqlite

    out_dir = Path(out_dir)
    tables = load_tables(data_dir, progress)
    paths = [export_sqlite(out_dir / DB_NAME, tables, progress)]
    paths += export_csv(out_dir / CSV_DIR, tables, progress)
    paths += export_rdf(out_dir, load_graph(data_dir), progress)
    return paths
