"""`kb build`: check, then every output into build/."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.data import data_dir_option


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Output folder (git-ignored).")
@click.option("--skip", multiple=True, help="Skip a step by its first word (e.g. --skip static).")
@data_dir_option
def build(out: Path, skip: tuple[str, ...], data_dir: Path | None) -> None:
    """Validate the data, then build statistics, exports, gap analysis and the site."""
    from kb.build import build as run_build

    timings = run_build(out, data_dir, progress=lambda m: click.echo(m, err=True), skip=set(skip))
    click.echo(f"built {out}/ in {sum(timings.values()):.1f} s")
