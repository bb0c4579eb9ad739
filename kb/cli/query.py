"""`kb query` (named questions) and `kb sparql` (ad-hoc SPARQL): options in, kb.sparql rows out."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import click

from kb import sparql as kbsparql
from kb.cli.store import store_dir_option
from kb.output import echo_rows, format_option

_param_option = click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Bind a parameter (repeatable); bound as an RDF term, never pasted into the query.",
)
_engine_option = click.option(
    "--engine",
    type=click.Choice(kbsparql.ENGINES),
    default=kbsparql.DEFAULT_ENGINE,
    show_default=True,
    help="SPARQL engine: pyoxigraph (fast) or rdflib (reference).",
)
_data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder holding taxonomy.ttl (default: $KB_DATA, else the repository's data/).",
)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.ClickException(f"--param {pair!r}: write KEY=VALUE, e.g. --param concept=llm")
        params[key.strip()] = value
    return params


def _shown_default(param: kbsparql.Param) -> str:
    if param.default is None:
        return "all"
    return param.default or '""'


def _list_rows(fmt: str) -> None:
    queries = kbsparql.list_queries()
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "name": q.name,
                        "description": q.description,
                        "params": [
                            {
                                "name": p.name,
                                "type": p.type,
                                "description": p.description,
                                "default": p.default,
                            }
                            for p in q.params
                        ],
                    }
                    for q in queries
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    rows = [
        {
            "name": q.name,
            "params": " ".join(f"{p.name}={_shown_default(p)}" for p in q.params),
            "description": q.description,
        }
        for q in queries
    ]
    if fmt != "table":
        echo_rows(rows, fmt, ["name", "params", "description"])
        return
    # a table would cut long descriptions: name and parameters, then the whole description wrapped
    width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    for r in rows:
        click.echo(f"{r['name']}  {r['params']}".rstrip())
        click.echo(textwrap.fill(r["description"], width, initial_indent="    ", subsequent_indent="    "))


@click.command()
@click.argument("name", required=False)
@click.option(
    "--list",
    "list_",
    is_flag=True,
    help="List the named queries with their parameters and descriptions.",
)
@click.option("--show", is_flag=True, help="Print the query's SPARQL text instead of running it.")
@_param_option
@_engine_option
@_data_option
@store_dir_option("Answer from a prebuilt store (`kb store build`): for large graphs.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Print at most this many rows.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many rows first.")
@format_option()
def query(name, list_, show, params, engine, data_dir, store_dir, limit, offset, fmt):
    """Run a named SPARQL question with parameters (`kb query --list` names them all).

    For example `kb query attacks-by-kind-access -p kind=jailbreak -p access=black-box`.
    """
    if list_:
        _list_rows(fmt)
        return
    if not name:
        raise click.ClickException("give a query NAME, or run `kb query --list` to see them")
    named = kbsparql.get_query(name)
    if show:
        click.echo(named.text.rstrip("\n"))
        return
    bound = _parse_params(params)
    if store_dir is not None:  # the store may hold another graph than --data: no value check
        from kb import store as kbstore

        rows = kbstore.run_named(store_dir, name, bound, limit=limit, offset=offset)
        total = rows.total
    else:
        from kb.sparql.known import check_values  # rapidfuzz only for queries with parameters

        if bound:
            check_values(name, bound, engine=engine, data_dir=data_dir)
        rows = kbsparql.run_named(name, bound, engine=engine, data_dir=data_dir)
        total = len(rows)
        if limit is not None or offset:
            end = None if limit is None else offset + limit
            rows = kbsparql.Rows(rows[offset:end], rows.columns)
    echo_rows(rows, fmt, rows.columns)
    if limit is not None or offset:  # on stderr, so the rows stay valid JSON/CSV
        shown = f"rows {offset + 1}-{offset + len(rows)}" if rows else "no rows"
        click.echo(f"{shown} of {total}", err=True)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@_param_option
@_engine_option
@_data_option
@format_option()
def sparql_cmd(file, params, engine, data_dir, fmt):
    """Run an ad-hoc SPARQL query from FILE (or - for stdin) on the knowledge graph."""
    if str(file) == "-":
        text, where = sys.stdin.read(), "<stdin>"
    else:
        if not file.exists():
            raise click.ClickException(f"{file}: file not found")
        text, where = file.read_text(encoding="utf-8"), str(file)
    rows = kbsparql.run_text(text, _parse_params(params), engine=engine, data_dir=data_dir, where=where)
    echo_rows(rows, fmt, rows.columns)


sparql_cmd.name = "sparql"
sparql = sparql_cmd  # the command registry looks up `query:sparql`
