"""`kb coverage`: which references of a paper the knowledge base knows, and what they omit."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli.store import store_dir_option
from kb.output import format_option


@click.command()
@click.argument("bib", type=click.Path(path_type=Path))
@click.option(
    "--aux",
    "aux",
    type=click.Path(path_type=Path),
    default=None,
    help="The paper's .aux file (or a list of DOIs / arXiv ids): report only cited entries.",
)
@format_option("md", "html", "json", default="md")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write report.<format> and the heatmap (coverage.png, coverage.svg) into DIR.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Uncited papers listed per area.",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder with taxonomy.ttl (default: $KB_DATA or the repository's data/).",
)
@store_dir_option("Read the papers from a prebuilt store (`kb store build`): for large graphs.")
def coverage(
    bib: Path,
    aux: Path | None,
    fmt: str,
    out: Path | None,
    top: int,
    data_dir: Path | None,
    store_dir: Path | None,
) -> None:
    """Match the references in BIB (BibTeX or DOIs/arXiv ids) to the graph and report coverage."""
    from kb.coverage.render import render, write_atomic, write_heatmap
    from kb.coverage.report import coverage_report

    if aux is not None and not aux.is_file():  # the reader's message would ask for a .bib file
        what = "is a directory" if aux.is_dir() else "file not found"
        raise click.ClickException(
            f"{aux}: {what}; give the paper's .aux file (LaTeX writes it beside the PDF) "
            "or a list of DOIs / arXiv ids, or leave out --aux"
        )
    report = coverage_report(bib, aux, top=top, data_dir=data_dir, store=store_dir)
    title = f"Coverage report for {bib.name}"
    if out is None:
        click.echo(render(report, fmt, title=title), nl=False)
        return
    try:
        out.mkdir(parents=True, exist_ok=True)
        figures = write_heatmap(report, out)
        path = out / f"report.{fmt}"
        write_atomic(path, render(report, fmt, title=title, figure=True))
    except OSError as exc:
        raise click.ClickException(
            f"{out}: cannot write the report ({exc.strerror}); choose a writable folder with --out"
        ) from None
    for p in [path, *figures]:
        click.echo(f"wrote {p}")
