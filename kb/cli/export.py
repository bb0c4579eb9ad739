"""`kb export`: the graph as SQLite, CSV, N-Triples and JSON-LD (default: all into build/)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kb.cli.data import data_dir_option

DIR = click.Path(file_okay=False, path_type=Path)


def _progress(message: str) -> None:
    click.echo(f"· {message}", err=True)


@contextmanager
def _writing(target: Path) -> Iterator[None]:
    """A file-system error becomes one line naming the target, not a traceback."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or target
        raise click.ClickException(
            f"{where}: cannot write ({exc.strerror or exc}); choose another path"
        ) from None


def _all(out: Path, data_dir: Path | None) -> None:
    from kb.export import export_all

    start = time.perf_counter()
    with _writing(out):
        paths = export_all(out, progress=_progress, data_dir=data_dir)
    click.echo(f"wrote {len(paths)} files into {out}/ in {time.perf_counter() - start:.1f} s")


@click.group(invoke_without_command=True)
@data_dir_option
@click.pass_context
def export(ctx: click.Context, data_dir: Path | None) -> None:
    """Export the graph; with no sub-command, write every format into build/.

    \b
    kb export                   everything into build/
    kb export all DIR           everything into DIR
    kb export sqlite [PATH]     SQLite database (default build/kb.db)
    kb export csv [DIR]         one CSV per table (default build/csv)
    kb export rdf [DIR]         kb.nt, kb.jsonld, context.jsonld (default build/)
    """
    if ctx.invoked_subcommand is None:
        _all(Path("build"), data_dir)


@export.command("all")
@click.argument("out", type=DIR, default=Path("build"))
@data_dir_option
def export_all_cmd(out: Path, data_dir: Path | None) -> None:
    """Write kb.db, csv/, kb.nt, kb.jsonld and context.jsonld into OUT (default build/)."""
    _all(out, data_dir)


@export.command("sqlite")
@click.argument(
    "path", type=click.Path(dir_okay=False, path_type=Path), default=Path("build/kb.db")
)
@data_dir_option
def sqlite(path: Path, data_dir: Path | None) -> None:
    """SQLite database with foreign keys and FTS5 search, for datasette (default build/kb.db)."""
    from kb.export.sqlite_export import export_sqlite
    from kb.tables import load_tables

    tables = load_tables(data_dir, _progress)
    with _writing(path):
        export_sqlite(path, tables, _progress)
    click.echo(f"wrote {path}; try: datasette {path}  or  sqlite-utils tables {path} --counts")


@export.command("csv")
@click.argument("out", type=DIR, default=Path("build/csv"))
@data_dir_option
def csv_cmd(out: Path, data_dir: Path | None) -> None:
    """One CSV file per main table (default build/csv/)."""
    from kb.export.csv_export import export_csv
    from kb.tables import load_tables

    tables = load_tables(data_dir, _progress)
    with _writing(out):
        paths = export_csv(out, tables, _progress)
    click.echo(f"wrote {len(paths)} CSV files into {out}/")


@export.command("rdf")
@click.argument("out", type=DIR, default=Path("build"))
@data_dir_option
def rdf(out: Path, data_dir: Path | None) -> None:
    """The whole graph as kb.nt (N-Triples) and kb.jsonld + context.jsonld (default build/)."""
    from kb.export.rdf_export import export_rdf
    from kb.graph import load_graph

    graph = load_graph(data_dir)
    with _writing(out):
        paths = export_rdf(out, graph, _progress)
    click.echo("wrote " + ", ".join(str(p) for p in paths))
