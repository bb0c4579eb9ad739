"""`kb classify`: where papers belong in the taxonomy, and how often the classifier is right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kb.cli.data import data_dir_option
from kb.output import format_option, render


def _progress(message: str) -> None:
    click.echo(f"· {message}", err=True)


def _table(rows: list[dict[str, Any]]) -> str:
    flat = []
    for n, r in enumerate(rows, 1):
        known = r["known"]
        recorded = ", ".join(p["id"] for p in known["placements"]) if known else ""
        for k in range(max(len(r["areas"]), len(r["categories"]), 1)):
            area = r["areas"][k] if k < len(r["areas"]) else None
            cat = r["categories"][k] if k < len(r["categories"]) else None
            flat.append(
                {
                    "#": n if k == 0 else "",
                    "title": r["title"] if k == 0 else "",
                    "area": f"{area['id']} ({area['score']:.2f})" if area else "",
                    "category": f"{cat['id']} ({cat['score']:.2f})" if cat else "",
                    "known": (f"{known['id']}: {recorded}" if known else "no") if k == 0 else "",
                }
            )
    return render(flat, "table")


def _evaluation_table(report: dict[str, Any]) -> str:
    rows = []
    for name, v in report["variants"].items():
        for level, m in v["levels"].items():
            rows.append({"model": name, "level": level, "papers": m["papers"], "top1": m["top1"], "top3": m["top3"]})
        rows.append({"model": name, "level": "ECE (area top-1)", "papers": "", "top1": v["ece"], "top3": ""})
    head = f"{report['papers']} papers, {report['folds']}-fold cross-validation grouped by paper, seed {report['seed']}"
    return head + "\n" + render(rows, "table")


@click.command()
@click.argument("titles", nargs=-1)
@click.option(
    "--input",
    "input_file",
    type=click.Path(dir_okay=True, path_type=Path),
    default=None,
    help="A .bib file (title, abstract, keywords, venue) or a text file with one title per line.",
)
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Areas and categories shown.")
@click.option("--evaluate", is_flag=True, help="Cross-validate on the graph's own placements and print the figures.")
@click.option("--ablation", is_flag=True, help="With --evaluate: every step from the baseline to the final model.")
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True, help="Folds of --evaluate.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the --evaluate split and training.")
@click.option(
    "--figure",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --evaluate: draw the area confusion matrix to this PNG.",
)
@format_option("table", "json")
@data_dir_option
def classify(
    titles: tuple[str, ...],
    input_file: Path | None,
    top: int,
    evaluate: bool,
    ablation: bool,
    folds: int,
    seed: int,
    figure: Path | None,
    fmt: str,
    data_dir: Path | None,
) -> None:
    """Suggest where papers belong: top areas and categories with probabilities, best first."""
    if evaluate:
        if titles or input_file:
            raise click.UsageError("--evaluate takes no titles or --input; it tests on the graph's own papers")
        from kb.classify.evaluate import ABLATION
        from kb.classify.evaluate import evaluate as run_evaluation

        variants = ABLATION if ablation else None
        report = run_evaluation(data_dir, folds=folds, seed=seed, variants=variants, progress=_progress, figure=figure)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False) if fmt == "json" else _evaluation_table(report))
        return
    items: list[dict[str, Any]] = [{"title": t} for t in titles if t.strip()]
    if input_file is not None:
        from kb.classify.inputs import read_items

        items += read_items(input_file)
    if not items:
        raise click.UsageError("give one or more titles, or --input FILE (.bib or one title per line)")
    from kb.classify import classify as run

    rows = run(items, data_dir=data_dir, top=top)
    click.echo(json.dumps(rows, indent=2, ensure_ascii=False) if fmt == "json" else _table(rows))
