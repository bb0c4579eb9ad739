"""`kb gaps`: where the knowledge base is thin (matrix, undefended areas, bridges, ...)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kb.cli.data import data_dir_option
from kb.output import format_option, render

SECTION_NAMES = (
    "matrix",
    "matrix_methods",
    "empty_cells",
    "undefended",
    "undefended_survey",
    "single_method",
    "no_benchmark",
    "stale",
    "outside_survey",
    "stale_field",
    "bridges",
)


@click.command()
@format_option("table", "json", "csv", "md")
@click.option(
    "--section",
    "sections",
    multiple=True,
    type=click.Choice(SECTION_NAMES),
    help="Show only this section (repeatable; default: all). `--format csv` needs exactly one.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write gaps.json, gaps.md and the heatmap (gaps-matrix.png/.svg) into this folder.",
)
@data_dir_option
def gaps(fmt: str, sections: tuple[str, ...], out: Path | None, data_dir: Path | None) -> None:
    """Gap analysis: family x threat-kind matrix, empty cells, undefended attack areas,
    single-method subcategories, areas without benchmarks, stale areas and bridges."""
    from kb.gaps import SECTIONS, analyse, to_markdown, write_outputs

    chosen = list(sections) or list(SECTION_NAMES)
    if fmt == "csv" and len(chosen) != 1:
        raise click.ClickException(
            "--format csv prints one table; add --section NAME (one of: "
            + ", ".join(SECTION_NAMES)
            + ")"
        )
    result = analyse(data_dir)
    if out is not None:
        for path in write_outputs(out, result=result):
            click.echo(f"wrote {path}", err=True)
    picked = {name: result[name] for name in chosen}
    if fmt == "json":
        click.echo(
            json.dumps(
                picked if len(chosen) > 1 else picked[chosen[0]], indent=2, ensure_ascii=False
            )
        )
    elif fmt == "csv":
        click.echo(render(picked[chosen[0]], "csv"))
    elif fmt == "md":
        click.echo(to_markdown(picked))
    else:
        blocks = []
        for name, rows in picked.items():
            title = SECTIONS[name][0]
            body = render(rows, "table") if rows else "(none)"
            blocks.append(f"{title} [{name}, {len(rows)} rows]\n{body}")
        click.echo("\n\n".join(blocks))
