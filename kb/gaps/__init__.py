"""Gap analysis: where the survey's map of large-model safety is thin, computed with networkx.

`analyse()` returns every section as rows (plain dicts, each finding with a one-line reading);
`write_outputs()` writes gaps.json, gaps.md and the matrix heatmap (PNG, SVG).
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from kb.atomic import atomic_write, atomic_write_text
from kb.gaps import sections as s
from kb.gaps.sections import RECENT_YEAR
from kb.gaps.view import Rows, View, build_graph, n_of
from kb.output import render
from kb.tables import Tables, load_tables

SECTIONS: dict[str, tuple[str, str]] = {
    "matrix": (
        "Model family x threat kind: papers",
        "Distinct papers per family and threat kind (via subjects and proposed methods).",
    ),
    "matrix_methods": (
        "Model family x threat kind: methods",
        "Methods (survey table rows) per family and threat kind.",
    ),
    "empty_cells": ("Empty cells", "Family and threat-kind pairs without a single paper."),
    "undefended": (
        "Attack areas without a defense area",
        "Attack threat types that no defense threat type answers (kb:answers), per family, counting "
        "the survey's links and our own judgement links.",
    ),
    "undefended_survey": (
        "Attack areas the survey leaves without a defense area",
        "As `undefended`, with the links the survey states alone (its section pairing); our_links names "
        "the defense areas that our own judgement links (kb:judgement) add.",
    ),
    "single_method": (
        "Subcategories resting on a single method",
        "Techniques for which the survey lists one method (or none).",
    ),
    "no_benchmark": (
        "Areas without a dataset or benchmark",
        "Attack and defense areas that no benchmark (a dataset listed in the survey's dataset "
        "tables or sections) evaluates; eval_datasets counts the datasets their methods use.",
    ),
    "stale": (
        f"Areas whose newest paper predates {RECENT_YEAR}",
        f"Threat types with no paper from {RECENT_YEAR} or later.",
    ),
    "outside_survey": (
        "What the field studies that the survey does not cover",
        "Topics of the second paper list outside the survey's scheme (kb:Topic), with the field's papers per year.",
    ),
    "stale_field": (
        "Stale areas recomputed on the field",
        f"Areas with no paper from {RECENT_YEAR} on in the survey or in all sources, the newest year in each, "
        "and the sources the field's answer rests on.",
    ),
    "bridges": (
        "Bridges between families",
        "Datasets and concepts with the highest betweenness centrality in the "
        "family-concept-dataset "
        "graph that connect two or more families.",
    ),
}


SURVEY = "survey-v6"


def rests_on(tables: Tables) -> str:
    """The sources of the papers, e.g. 'survey-v6 + awesome-lm-ssp'."""
    found = {x.strip() for p in tables["papers"] for x in (p.get("sources") or "").split(";") if x.strip()}
    return " + ".join(sorted(found, key=lambda x: (x != SURVEY, x))) or "the papers of the graph"


def analyse_tables(tables: Tables) -> dict[str, Rows]:
    """Every gap section as rows, from the main tables."""
    v = View(build_graph(tables, SURVEY))  # the survey's map (and papers added by hand)
    field = View(build_graph(tables))  # every source
    papers, methods = s.cells(v)
    return {
        "matrix": s.matrix(v, papers),
        "matrix_methods": s.matrix(v, methods),
        "empty_cells": s.empty_cells(v, papers),
        "undefended": s.undefended(v),
        "undefended_survey": s.undefended(v, survey_only=True),
        "single_method": s.single_method(v),
        "no_benchmark": s.no_benchmark(v),
        "stale": s.stale(v),
        "outside_survey": s.outside_survey(field, v),
        "stale_field": s.stale_field(v, field, rests_on(tables)),
        "bridges": s.bridges(v),
    }


def analyse(data_dir: Path | None = None) -> dict[str, Rows]:
    """Every gap section as rows, for the knowledge graph in data_dir (default: data/)."""
    return analyse_tables(load_tables(data_dir))


def to_markdown(result: dict[str, Rows]) -> str:
    """All sections as one Markdown document (headings, a sentence each, tables)."""
    parts = ["# Gap analysis", ""]
    for name, rows in result.items():
        title, about = SECTIONS[name]
        where = f"{n_of(len(rows), 'row')}; `kb gaps --section {name}`"
        parts += [f"## {title}", "", f"{about} ({where})", ""]
        parts += [render(rows, "md") if rows else "_None._", ""]
    return "\n".join(parts)


def write_outputs(
    out_dir: Path, data_dir: Path | None = None, result: dict[str, Rows] | None = None
) -> list[Path]:
    """Write gaps.json, gaps.md and the matrix heatmap (PNG and SVG) into out_dir."""
    from kb.gaps.plot import draw_heatmap  # matplotlib is slow to import; only the writer needs it

    result = result if result is not None else analyse(data_dir)
    out_dir = Path(out_dir)
    data = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    paths = [
        atomic_write_text(out_dir / "gaps.json", data),
        atomic_write_text(out_dir / "gaps.md", to_markdown(result)),
    ]
    for fmt in ("png", "svg"):
        target = out_dir / f"gaps-matrix.{fmt}"
        paths.append(atomic_write(target, partial(draw_heatmap, result["matrix"], fmt=fmt)))
    return paths
