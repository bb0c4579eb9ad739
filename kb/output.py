"""Rows (plain dicts) rendered as a table, JSON or CSV: the one `--format` option of every listing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import click

FORMATS = ("table", "json", "csv")


def format_option(*choices: str, default: str = "table"):
    """The shared `--format` option; `choices` narrows FORMATS for a command."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices or FORMATS)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Iterable[str] | None = None) -> str:
    """Render rows; columns default to the keys of the first row, in order."""
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in cols} for r in rows], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in cols])
        return buf.getvalue().rstrip("\n")
    if fmt == "md":
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in rows:
            lines.append("| " + " | ".join(_cell(r.get(c)).replace("|", "\\|") for c in cols) + " |")
        return "\n".join(lines)
    # plain aligned table
    table = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in table]) for i, c in enumerate(cols)]
    widths = [min(w, 80) for w in widths]

    def line(cells: list[str]) -> str:
        return "  ".join(
            (cell if len(cell) <= w else cell[: w - 1] + "…").ljust(w) for cell, w in zip(cells, widths, strict=False)
        ).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out += [line(row) for row in table]
    return "\n".join(out)


def echo_rows(rows: Sequence[dict[str, Any]], fmt: str, columns: Iterable[str] | None = None) -> None:
    """Print rows in the chosen format."""
    click.echo(render(rows, fmt, columns))
