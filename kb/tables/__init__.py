"""The graph's main tables as rows: one .rq file per table, shared by exports and gap analysis."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph

from kb.graph import load_store
from kb.vocab import SPARQL_PREFIXES, XSD, split_iri

QUERY_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TableSpec:
    """One main table: its name, primary key, foreign keys (column -> table's `id`) and meaning."""

    name: str
    pk: tuple[str, ...]
    description: str
    foreign_keys: dict[str, str] = field(default_factory=dict)
    # columns holding several values, returned by GROUP_CONCAT(...; separator="|"); kept as "a; b"
    multi: tuple[str, ...] = ()


# In dependency order: a table's foreign keys point only at tables before it (or at itself).
SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "concepts",
        ("id",),
        "Taxonomy concepts: families, threat types, categories, subcategories.",
        {"parent": "concepts", "family": "concepts"},
        ("access_level",),
    ),
    TableSpec(
        "papers",
        ("id",),
        "Papers (BibTeX keys) with year, venue, identifiers and the sources that list them.",
        multi=("survey_ref", "sources"),
    ),
    TableSpec("authors", ("id",), "Persons who wrote the papers."),
    TableSpec(
        "paper_authors",
        ("paper_id", "author_id"),
        "Authorship, with the position in the author list.",
        {"paper_id": "papers", "author_id": "authors"},
    ),
    TableSpec(
        "paper_concepts",
        ("paper_id", "concept_id"),
        "The concepts each paper is classified under.",
        {"paper_id": "papers", "concept_id": "concepts"},
    ),
    TableSpec("models", ("id",), "Models that methods target."),
    TableSpec(
        "methods",
        ("id",),
        "Named attack and defense methods (rows of the survey's tables).",
        {"paper_id": "papers", "subcategory_id": "concepts", "family": "concepts"},
        ("access_level", "survey_ref", "roadmap_category"),
    ),
    TableSpec(
        "method_models",
        ("method_id", "model_id"),
        "The models each method targets.",
        {"method_id": "methods", "model_id": "models"},
    ),
    TableSpec(
        "datasets",
        ("id",),
        "Datasets and benchmarks.",
        {"introduced_by": "papers"},
        ("size", "families", "sources"),
    ),
    TableSpec(
        "method_datasets",
        ("method_id", "dataset_id"),
        "The datasets each method is evaluated on.",
        {"method_id": "methods", "dataset_id": "datasets"},
    ),
    TableSpec(
        "dataset_concepts",
        ("dataset_id", "concept_id"),
        "The areas each dataset or benchmark evaluates.",
        {"dataset_id": "datasets", "concept_id": "concepts"},
    ),
    TableSpec(
        "defense_links",
        ("id",),
        "Defense areas that answer attack areas, with a note.",
        {"defense_id": "concepts", "attack_id": "concepts"},
    ),
)
SPEC = {s.name: s for s in SPECS}

_INT_TYPES = {
    str(XSD.integer),
    str(XSD.int),
    str(XSD.long),
    str(XSD.nonNegativeInteger),
    str(XSD.gYear),
}


@dataclass
class Tables:
    """Rows per table, plus the problems met building them (dangling links, duplicate keys)."""

    rows: dict[str, list[dict[str, Any]]]
    columns: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> list[dict[str, Any]]:
        return self.rows[name]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


def query_text(name: str) -> str:
    """The SPARQL of one table's .rq file, with the project's prefixes."""
    return SPARQL_PREFIXES + (QUERY_DIR / f"{name}.rq").read_text(encoding="utf-8")


def _iri_value(iri: str) -> str:
    parts = split_iri(iri)
    return parts[1] if parts else iri


def _value(term: Any) -> Any:
    """A plain value for a SPARQL result term: our IRIs become IDs, numbers and years ints."""
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return _iri_value(term.value)
    if isinstance(term, pyoxigraph.Literal):
        dtype = term.datatype.value if term.datatype else ""
        if dtype in _INT_TYPES and re.fullmatch(r"-?\d+", term.value):
            return int(term.value)
        if dtype == str(XSD.boolean):
            return 1 if term.value in ("true", "1") else 0
        return term.value
    return str(term)


def _natural(text: str) -> tuple[int, int, str]:
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def _rows(store: pyoxigraph.Store, spec: TableSpec) -> tuple[list[str], list[dict[str, Any]]]:
    result = store.query(query_text(spec.name))
    assert isinstance(result, pyoxigraph.QuerySolutions), f"{spec.name}.rq must be a SELECT"
    names = [v.value for v in result.variables]
    rows = []
    for solution in result:
        row = {name: _value(solution[name]) for name in names}
        for col in spec.multi:
            parts = [_iri_value(x) for x in str(row.get(col) or "").split("|") if x]
            row[col] = "; ".join(sorted(parts, key=_natural)) or None
        rows.append(row)
    return names, rows


def _defense_link_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        link = row.pop("link", None)
        out.append({"id": link or f"{row['defense_id']}--{row['attack_id']}", **row})
    return out


def build_tables(store: pyoxigraph.Store, progress: Callable[[str], None] | None = None) -> Tables:
    """Run every table's query over the store; drop duplicate keys and empty dangling links."""
    tables = Tables(rows={})
    for spec in SPECS:
        names, rows = _rows(store, spec)
        if spec.name == "defense_links":
            rows = _defense_link_ids(rows)
            names = ["id", *(n for n in names if n != "link")]
        tables.columns[spec.name] = names
        seen: set[tuple[Any, ...]] = set()
        unique = []
        for row in rows:
            key = tuple(row[c] for c in spec.pk)
            if key in seen:
                tables.problems.append(
                    f"{spec.name}: {key} has several values for a one-valued column; kept the first"
                )
                continue
            seen.add(key)
            unique.append(row)
        tables.rows[spec.name] = unique
    _fix_foreign_keys(tables)
    if progress:
        progress("tables: " + ", ".join(f"{n} {c}" for n, c in tables.counts().items()))
        for problem in tables.problems:
            progress(f"warning: {problem}")
    return tables


def _fix_foreign_keys(tables: Tables) -> None:
    """Keep foreign keys valid: a link to a missing row is emptied (or its link row dropped)."""
    ids = {
        name: {row["id"] for row in rows}
        for name, rows in tables.rows.items()
        if SPEC[name].pk == ("id",)
    }
    for spec in SPECS:
        kept = []
        for row in tables.rows[spec.name]:
            ok = True
            for col, target in spec.foreign_keys.items():
                value = row.get(col)
                if value is None or value in ids[target]:
                    continue
                where = f"{spec.name} {'/'.join(str(row[c]) for c in spec.pk)}"
                if col in spec.pk:
                    ok = False
                    tables.problems.append(
                        f"{where}: {col} {value} is not in {target}; row left out"
                    )
                else:
                    row[col] = None
                    tables.problems.append(f"{where}: {col} {value} is not in {target}; left empty")
            if ok:
                kept.append(row)
        tables.rows[spec.name] = kept


def load_tables(
    data_dir: Path | None = None, progress: Callable[[str], None] | None = None
) -> Tables:
    """The main tables of the knowledge graph in data_dir (default: the repository's data/)."""
    return build_tables(load_store(data_dir), progress)
