"""`kb run`: list, run one, or run all reference implementations."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kb.output import echo_rows, format_option

DEFAULT_OUT = Path("build") / "runs"


TOY_NOTE = "TOY TARGET: a stand-in, not a real model; these numbers show the mechanics only"


def _metric_rows(record: dict) -> list[dict]:
    labels = record.get("metric_labels", {})
    rows = []
    for key, value in record["metrics"].items():
        if isinstance(value, (list, dict)):
            value = json.dumps(value, default=float)
        rows.append({"metric": key, "label": labels.get(key, key), "value": value})
    return rows


@click.command("run")
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the reference implementations.")
@click.option("--all", "all_", is_flag=True, help="Run every implementation and record results.")
@click.option("--param", "params", multiple=True, metavar="K=V", help="Override a parameter.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Where --all writes <name>.json and index.json.",
)
@format_option("table", "json")
def run(name, list_, all_, params, seed, out, fmt):
    """Run executable reference implementations of methods in the taxonomy."""
    from kb import reference

    if sum(bool(x) for x in (name, list_, all_)) != 1:
        raise click.UsageError("give exactly one of NAME, --list or --all (see kb run --help)")
    try:
        if list_:
            rows = [m.as_row() for m in reference.registry()]
            if fmt == "table":
                for r in rows:
                    r["params"] = ", ".join(f"{p['name']}={p['default']}" for p in r["params"])
                echo_rows(rows, fmt, ["name", "title", "concept_ids", "method_ids", "params"])
            else:
                click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if all_:
            if params:
                raise click.UsageError("--param applies to one NAME, not to --all")
            records = reference.run_all(out, seed=seed, progress=lambda m: click.echo(m, err=True))
            rows = [
                {
                    "name": r["name"],
                    "toy_target": "yes" if r["toy_target"] else "",
                    "duration_s": r["duration_s"],
                    "file": str(out / f"{r['name']}.json"),
                }
                for r in records
            ]
            if fmt == "json":
                click.echo(json.dumps(records, indent=2, ensure_ascii=False, default=float))
            else:
                echo_rows(rows, fmt)
            return
        record = reference.run(name, seed=seed, params=reference.parse_assignments(params))
    except reference.ReferenceInputError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(record, indent=2, ensure_ascii=False, default=float))
        return
    click.echo(f"{record['name']}: {record['title']} (seed {seed}, {record['duration_s']:.1f} s)")
    click.echo("params: " + ", ".join(f"{k}={v}" for k, v in record["params"].items()))
    click.echo(f"setup: {record['setup']}")
    if record["toy_target"]:
        click.echo(TOY_NOTE)
    echo_rows(_metric_rows(record), fmt, ["metric", "value", "label"])
