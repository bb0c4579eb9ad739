"""Paper records and areas from the knowledge graph (one SPARQL query each, over pyoxigraph)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph

from kb.coverage.match import Paper
from kb.graph import load_store, taxonomy_path
from kb.vocab import CONCEPT, FACET, PAPER, SPARQL_PREFIXES

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Area:
    """A threat type of the taxonomy, with what the report needs to name and pair it."""

    id: str
    label: str
    family: str  # top model family id: llm, vfm, ...
    family_label: str
    parent: str  # the family or sub-model it sits under: llm, vfm.vit, ...
    parent_label: str
    role: str  # attack | defense | alignment | evaluation | ""
    kind: str  # threat kind facet: jailbreak, adversarial, ... | ""
    order: int
    answers: tuple[str, ...] = ()  # attack areas this (defense) area answers

    @property
    def name(self) -> str:
        """A human name: 'LLM Jailbreak Attacks', 'ViT Adversarial Attacks'."""
        short = short_name(self.parent or self.family)
        return self.label if self.label.startswith(short + " ") else f"{short} {self.label}"


SHORT = {
    "vfm": "VFM",
    "llm": "LLM",
    "vlp": "VLP",
    "vlm": "VLM",
    "dm": "DM",
    "agent": "Agent",
    "vfm.vit": "ViT",
    "vfm.sam": "SAM",
}


def short_name(concept_id: str) -> str:
    """The short name of a model family or sub-model: 'LLM', 'ViT'."""
    return SHORT.get(concept_id, concept_id.rsplit(".", 1)[-1].upper())


def _local(term: object, ns: str) -> str:
    value = getattr(term, "value", "") or ""
    return value[len(ns) :] if value.startswith(ns) else value


def _ids(text: str, ns: str) -> tuple[str, ...]:
    return tuple(sorted(iri[len(ns) :] if iri.startswith(ns) else iri for iri in text.split()))


def _value(term: object) -> str:
    return getattr(term, "value", "") or ""


def _query(store: pyoxigraph.Store, name: str) -> list:
    text = (HERE / name).read_text(encoding="utf-8")
    result = store.query(SPARQL_PREFIXES + text)
    assert isinstance(result, pyoxigraph.QuerySolutions), name  # both files are SELECT queries
    return list(result)


def papers_from_store(store: pyoxigraph.Store) -> list[Paper]:
    """Every paper as a matcher record (papers.rq)."""
    out = []
    for row in _query(store, "papers.rq"):
        authors = [a for a in _value(row["authors"]).split("|") if a] if row["authors"] else []
        first = _value(row["first"]) if row["first"] else ""
        if first:  # first author first; the rest of the set order does not matter for matching
            authors = [first] + [a for a in authors if a != first]
        areas = _ids(_value(row["areas"]), str(CONCEPT)) if row["areas"] else ()
        methods = int(_value(row["methods"]) or 0) if row["methods"] else 0
        datasets = int(_value(row["datasets"]) or 0) if row["datasets"] else 0
        year = _value(row["year"])[:4] if row["year"] else ""
        out.append(
            Paper(
                id=_local(row["paper"], str(PAPER)),
                title=_value(row["title"]),
                authors=tuple(authors),
                year=int(year) if year.isdigit() else None,
                doi=_value(row["doi"]).lower() or None if row["doi"] else None,
                arxiv=_value(row["arxiv"]) or None if row["arxiv"] else None,
                areas=areas,
                links=methods + datasets + len(areas),
            )
        )
    out.sort(key=lambda p: p.id)
    return out


def areas_from_store(store: pyoxigraph.Store) -> dict[str, Area]:
    """Every threat type by id (areas.rq)."""
    areas = {}
    for row in _query(store, "areas.rq"):
        aid = _local(row["area"], str(CONCEPT))
        order = _value(row["order"]) if row["order"] else ""
        areas[aid] = Area(
            id=aid,
            label=_value(row["label"]),
            family=_local(row["family"], str(CONCEPT)) if row["family"] else aid.split(".")[0],
            family_label=_value(row["familyLabel"]) if row["familyLabel"] else "",
            parent=_local(row["parent"], str(CONCEPT)) if row["parent"] else "",
            parent_label=_value(row["parentLabel"]) if row["parentLabel"] else "",
            role=_local(row["role"], str(FACET)).removeprefix("role-") if row["role"] else "",
            kind=_local(row["kind"], str(FACET)).removeprefix("kind-") if row["kind"] else "",
            order=int(order) if order.lstrip("-").isdigit() else 0,
            answers=_ids(_value(row["answers"]), str(CONCEPT)) if row["answers"] else (),
        )
    return areas


@lru_cache(maxsize=2)
def _cached(path: str, mtime: float) -> tuple[list[Paper], dict[str, Area]]:
    store = load_store(Path(path).parent)
    return papers_from_store(store), areas_from_store(store)


def load(data_dir: Path | None = None) -> tuple[list[Paper], dict[str, Area]]:
    """Papers and areas of the graph in `data_dir` (cached per file version within a process)."""
    path = taxonomy_path(data_dir)
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _cached(str(path), mtime)
