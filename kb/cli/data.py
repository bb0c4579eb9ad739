"""Commands over the curated files: check, fmt, stats, add."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kb.output import echo_rows, format_option

data_dir_option = click.option(
    "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder with taxonomy.ttl, and references.bib beside it or one folder up "
    "(default: the repository's data/ and top-level references.bib, or $KB_DATA).",
)


def _progress(message: str) -> None:
    click.echo(f"· {message}", err=True)


def _recovered(note: str | None) -> None:
    if note:
        click.echo(f"· {note} (it had been interrupted)", err=True)


def _utf8(data: bytes, name: str) -> str:
    """The text of an input file, or one line naming the place that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise click.ClickException(
            f"{name}:{line}:{column}: not UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save the entry as UTF-8 and try again"
        ) from None


@click.command()
@data_dir_option
@click.option("--quiet", is_flag=True, help="Print violations only, no progress lines.")
def check(data_dir: Path | None, quiet: bool) -> None:
    """Validate the graph and the bib file; exit 1 on any violation."""
    from kb.checks import run_checks
    from kb.curate import recover_data

    _recovered(recover_data(data_dir))
    violations = run_checks(data_dir, progress=None if quiet else _progress)
    for v in violations:
        click.echo(f"{v.rule}\t{v.resource}\t{v.message}")
    if violations:
        click.echo(f"{len(violations)} violation(s)", err=True)
        sys.exit(1)
    click.echo("ok: every rule holds", err=True)


@click.command()
@data_dir_option
@click.option("--check", "check_only", is_flag=True, help="Only report files that are not canonical (exit 1).")
def fmt(data_dir: Path | None, check_only: bool) -> None:
    """Rewrite taxonomy.ttl and references.bib in their canonical form."""
    from kb.curate import format_files, recover_data

    if not check_only:
        _recovered(recover_data(data_dir))
    changed = format_files(data_dir, check_only=check_only)
    for p in changed:
        click.echo(f"{'not canonical' if check_only else 'reformatted'}: {p}")
    if check_only and changed:
        sys.exit(1)
    if not changed:
        click.echo("already canonical", err=True)


@click.command()
@data_dir_option
@click.option("--source", type=click.Choice(["survey", "awesome-lm-ssp", "all"]), default="survey",
              show_default=True, help="Count the papers of this source only (survey: reproduces its figures).")
@click.option("--field", "field", is_flag=True,
              help="The field view: the survey's papers beside all papers, per year, family, threat kind and topic.")
@format_option()
def stats(data_dir: Path | None, source: str, field: bool, fmt: str) -> None:
    """Papers per year, family, threat type and role, beside the survey's own figures."""
    from kb.stats import compute, field_view

    if field:
        echo_rows(field_view(data_dir), fmt, ["section", "key", "survey", "field", "added"])
        return
    echo_rows(compute(data_dir, source), fmt, ["section", "key", "kb", "survey", "difference", "unit"])


@click.command()
@click.argument("bibfile", type=click.File("rb"), default="-")
@click.option("--concept", "concepts", multiple=True,
              help="Concept ID the paper belongs to (repeatable), e.g. llm.jailbreak-attacks.white-box; "
              "without it, `kb classify` proposes placements and asks.")
@click.option("--accept-top", is_flag=True, help="Without --concept: take the classifier's top placement, no question.")
@data_dir_option
def add(bibfile, concepts: tuple[str, ...], accept_top: bool, data_dir: Path | None) -> None:
    """Add one paper from a BibTeX entry (file or stdin) to the graph and the bib file."""
    from kb.curate import add_paper, recover_data

    _recovered(recover_data(data_dir))
    name = getattr(bibfile, "name", "-")
    name = "<stdin>" if name in ("-", "<stdin>") or not isinstance(name, str) else name
    text = _utf8(bibfile.read(), name)
    chosen = list(concepts) or _proposed(text, accept_top, name == "<stdin>", data_dir)
    pid = add_paper(text, chosen, data_dir, source_name=name)
    click.echo(f"added paper:{pid}; review with `git diff data/ references.bib` and run `kb check`")


def _proposed(text: str, accept_top: bool, from_stdin: bool, data_dir: Path | None) -> list[str]:
    """The placements the classifier proposes, taken at once (--accept-top) or chosen by number."""
    from kb.classify.propose import accept_top as top_choice
    from kb.classify.propose import proposals

    choices = proposals(text, data_dir)
    if accept_top:
        return top_choice(choices)
    if from_stdin:
        raise click.UsageError("the entry came on stdin, so there is no one to ask: pass --concept ID or --accept-top")
    for n, c in enumerate(choices, 1):
        click.echo(f"{n:>2}. {c['label']}  ({c['score']:.2f})")
    picked = click.prompt("Place it under which (numbers, comma-separated)", default="1")
    try:
        return [cid for n in picked.split(",") for cid in choices[int(n) - 1]["concepts"]]
    except (ValueError, IndexError):
        raise click.UsageError(f"'{picked}': give numbers between 1 and {len(choices)}") from None
