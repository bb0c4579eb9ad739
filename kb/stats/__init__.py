"""`kb stats`: the knowledge base's counts beside the survey's own statistics, with the difference."""

from __future__ import annotations

from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph

from kb.graph import load_store

# The survey's own figures (arXiv:2502.05206 v6, Fig. 1 and §1; the paper list's README).
SURVEY_TOTAL = 574
SURVEY_BY_YEAR = {"<=2021": 24, "2022": 27, "2023": 148, "2024": 302, ">=2025": 73}
SURVEY_FAMILY_PCT = {"LLM": 27.91, "DM": 24.42, "Agent": 18.99, "VFM": 11.82, "VLP": 8.91, "VLM": 7.95}
SURVEY_ATTACK_PCT = 60.0
FAMILY_NAMES = {"vfm": "VFM", "llm": "LLM", "vlp": "VLP", "vlm": "VLM", "dm": "DM", "agent": "Agent"}


# `--source` names: the survey (default, reproduces its figures), the second list, or every paper
SOURCES = {
    "survey": "https://w3id.org/lmsafety/source/survey-v6",
    "awesome-lm-ssp": "https://w3id.org/lmsafety/source/awesome-lm-ssp",
    "all": None,
}


def select(store: pyoxigraph.Store, name: str, source: str | None = None) -> list[dict[str, Any]]:
    """Run kb/stats/NAME.rq through kb.sparql (papers of `source` only, an IRI) as plain rows."""
    from kb.sparql import run_text

    text = resources.files(__name__).joinpath(f"{name}.rq").read_text(encoding="utf-8")
    params = {"source": source} if source else None
    return list(run_text(text, params, source=store, where=f"kb/stats/{name}.rq"))


def _bucket(year: int) -> str:
    if year <= 2021:
        return "<=2021"
    if year >= 2025:
        return ">=2025"
    return str(year)


def _pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def compute(data_dir: Path | None = None, source: str = "survey") -> list[dict[str, Any]]:
    """Rows of (section, key, kb, survey, difference) in a fixed order, counting the papers of
    `source` (a SOURCES name): by default the survey's, so the survey's figures are reproduced."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    store = load_store(data_dir)
    iri = SOURCES[source]

    def sel(name: str) -> list[dict[str, Any]]:
        return select(store, name, iri)

    rows: list[dict[str, Any]] = []

    def add(section: str, key: str, kb: Any, survey: Any = None, unit: str = "") -> None:
        diff: float | None = None
        if isinstance(kb, (int, float)) and isinstance(survey, (int, float)):
            diff = round(kb - survey, 2)
        rows.append({"section": section, "key": key, "kb": kb, "survey": survey,
                     "difference": diff, "unit": unit})

    totals = {r["what"]: r["n"] for r in sel("totals")}
    add("total", "papers", totals.get("papers", 0), SURVEY_TOTAL, "papers")
    for what in ("methods", "datasets", "threat types", "categories", "subcategories",
                 "papers only in the survey's tables", "papers flagged as possible duplicates"):
        add("total", what, totals.get(what, 0))

    by_year: dict[str, int] = defaultdict(int)
    for r in sel("papers-by-year"):
        by_year[_bucket(int(r["year"]))] += int(r["papers"])
    for key, survey in SURVEY_BY_YEAR.items():
        add("year", key, by_year.get(key, 0), survey, "papers")

    fam = {FAMILY_NAMES.get(r["name"], r["name"]): int(r["papers"]) for r in sel("papers-by-family")}
    fam_total = sum(fam.values())
    for key, share in SURVEY_FAMILY_PCT.items():
        add("family", key, _pct(fam.get(key, 0), fam_total), share, "% of paper-family pairs")
    for key in SURVEY_FAMILY_PCT:
        add("family (count)", key, fam.get(key, 0), None, "papers")

    roles = {r["role"]: int(r["papers"]) for r in sel("papers-by-role")}
    ad = roles.get("attack", 0) + roles.get("defense", 0)
    add("role", "attack", _pct(roles.get("attack", 0), ad), SURVEY_ATTACK_PCT, "% of attack+defense")
    add("role", "defense", _pct(roles.get("defense", 0), ad), 100 - SURVEY_ATTACK_PCT, "% of attack+defense")
    for role in sorted(roles):
        add("role (count)", role, roles[role], None, "papers")

    for r in sel("papers-by-threat-type"):
        add("threat type", r["threat_type"], int(r["papers"]), None, f"papers ({r['role']})")
    return rows


def field_view(data_dir: Path | None = None) -> list[dict[str, Any]]:
    """The survey's papers beside the whole field's: per year, family, threat kind and outside topic."""
    store = load_store(data_dir)
    survey_iri = SOURCES["survey"]
    rows: list[dict[str, Any]] = []

    def side(section: str, name: str, key: str, label=lambda k: k) -> None:
        ours = {r[key]: int(r["papers"]) for r in select(store, name, survey_iri)}
        field = {r[key]: int(r["papers"]) for r in select(store, name)}
        for k in sorted(set(ours) | set(field), key=lambda k: (-field.get(k, 0), str(k))):
            s, f = ours.get(k, 0), field.get(k, 0)
            rows.append({"section": section, "key": label(k), "survey": s, "field": f, "added": f - s})

    totals = {r["what"]: r["n"] for r in select(store, "totals", survey_iri)}
    field_totals = {r["what"]: r["n"] for r in select(store, "totals")}
    rows.append({"section": "total", "key": "papers", "survey": totals.get("papers", 0),
                 "field": field_totals.get("papers", 0),
                 "added": field_totals.get("papers", 0) - totals.get("papers", 0)})
    side("year", "papers-by-year", "year", str)
    rows[1:] = sorted(rows[1:], key=lambda r: r["key"])
    side("family", "papers-by-family", "name", lambda k: FAMILY_NAMES.get(k, k))
    side("threat kind", "papers-by-kind", "kind")
    side("topic outside the survey", "papers-by-topic", "topic")
    return rows


def write_figure(rows: list[dict[str, Any]], out_dir: Path) -> list[Path]:
    """Papers per year and per family, ours beside the survey's, as PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, section, title in ((axes[0], "year", "Papers per year"),
                               (axes[1], "family", "Share of papers per model family (%)")):
        sel = [r for r in rows if r["section"] == section]
        keys = [r["key"] for r in sel]
        xs = range(len(keys))
        ax.bar([x - 0.2 for x in xs], [r["kb"] for r in sel], width=0.4, label="knowledge base")
        ax.bar([x + 0.2 for x in xs], [r["survey"] for r in sel], width=0.4, label="survey (v6)")
        ax.set_xticks(list(xs), keys)
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "stats.png", out_dir / "stats.svg"]
    for p in paths:
        fig.savefig(p, dpi=120)
    plt.close(fig)
    return paths
