"""`kb store build`: write a prebuilt store (graph, aggregates, text index) for large graphs."""

from __future__ import annotations

import time
from pathlib import Path

import click

from kb import graph as kbgraph


def store_dir_option(help: str):  # noqa: A002 (click's own keyword)
    """`--store DIR`: a prebuilt store (`kb store build`), for commands that can read one."""
    return click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help,
    )


def _progress(message: str) -> None:
    click.echo(f"· {message}", err=True)


@click.group()
def store() -> None:
    """Prebuilt stores: the graph on disk with what the named questions need at scale."""


@store.command("build")
@click.argument("source", required=False, type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The store directory to write (replaced atomically; unchanged if already current).",
)
@click.option("--force", is_flag=True, help="Rebuild even when the store is of this source already.")
def build(source: Path | None, out: Path, force: bool) -> None:
    """Build a store from SOURCE (Turtle, or N-Triples as .nt; default: the curated data).

    Use it with `kb query NAME --store DIR`, `kb coverage FILE --store DIR`, `kb serve --store DIR`.
    """
    from kb.store import build_store

    source = source or kbgraph.taxonomy_path(None)
    start = time.perf_counter()
    try:
        meta = build_store(source, out, progress=_progress, force=force)
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or out}: cannot write ({exc.strerror or exc})") from None
    click.echo(
        f"{out}: store of {source} ({meta['sha256'][:12]}), {meta['indexed_triples']:,} triples "
        f"indexed, in {time.perf_counter() - start:.1f} s"
    )
