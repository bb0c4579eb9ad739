"""`kb site`: build the static site (mkdocs-material) from the graph into build/site/."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kb.cli.data import data_dir_option


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/site"),
    show_default=True,
    help="Output folder of the built site (git-ignored).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the build statistics as JSON.")
@data_dir_option
def site(out: Path, as_json: bool, data_dir: Path | None) -> None:
    """Generate the site's pages from the graph and build them with `mkdocs build --strict`."""
    from kb.site import build_site

    stats = build_site(
        out, data_dir=data_dir, progress=lambda m: click.echo(f"site: {m}", err=True)
    )
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo(
        f"built {stats['html_pages']} HTML pages ({stats['concepts']} areas, "
        + (f"{stats['topics']} topics, " if stats.get("topics") else "")
        + f"{stats['papers']} papers, {stats['datasets']} datasets) into {out}/ "
        f"in {stats['seconds']:.1f} s "
        f"(generate {stats['generate_seconds']:.1f} s, mkdocs {stats['mkdocs_seconds']:.1f} s)"
    )
