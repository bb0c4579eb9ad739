"""Paper records and areas from the knowledge graph (one SPARQL query each, over pyoxigraph)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph

from kb.coverage.records import HOWS, Paper, Signals
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
        if self.family == TOPIC:
            return f"{self.label} (outside the survey)"
        short = short_name(self.parent or self.family)
        return self.label if self.label.startswith(short + " ") else f"{short} {self.label}"


TOPIC = "topic"  # the family part of the ids of topics outside the survey (topic.hallucination)
TOPIC_ORDER = 1_000_000  # topics come after the survey's areas

SHORT = {
    "vfm": "VFM",
    "llm": "LLM",
    "vlp": "VLP",
    "vlm": "VLM",
    "dm": "DM",
    "agent": "Agent",
    "vfm.vit": "ViT",
    "vfm.sam": "SAM",
    TOPIC: "Other",
}


def short_name(concept_id: str) -> str:
    """The short name of a model family or sub-model: 'LLM', 'ViT'."""
    return SHORT.get(concept_id, concept_id.rsplit(".", 1)[-1].upper())


def _local(term: object, ns: str) -> str:
    return local_id(getattr(term, "value", "") or "", ns)


def area_ids(text: str) -> tuple[str, ...]:
    """The sorted area ids of a space-separated list of area IRIs (papers.rq's ?areas)."""
    return _ids(text, str(CONCEPT))


def _ids(text: str, ns: str) -> tuple[str, ...]:
    return tuple(sorted(local_id(iri, ns) for iri in text.split()))


def _value(term: object) -> str:
    return getattr(term, "value", "") or ""


def _query(store: pyoxigraph.Store, name: str) -> pyoxigraph.QuerySolutions:
    text = (HERE / name).read_text(encoding="utf-8")
    result = store.query(SPARQL_PREFIXES + text)
    assert isinstance(result, pyoxigraph.QuerySolutions), name  # every file is a SELECT query
    return result


def _int(row: pyoxigraph.QuerySolution, name: str) -> int:
    value = _value(row[name]) if row[name] else ""
    return int(value) if value.isdigit() else 0


def local_id(iri: str, ns: str) -> str:
    """An IRI's id within the namespace `ns`; an IRI outside it stays whole."""
    return iri[len(ns) :] if iri.startswith(ns) else iri


def paper_record(
    pid: str,
    title: str,
    authors: tuple[str, ...],
    year: str,
    doi: str,
    arxiv: str,
    areas: tuple[str, ...],
    placements: tuple[tuple[str, str, float | None], ...],
    counts: dict[str, int],
) -> Paper:
    """A paper's record from the graph's values (papers.rq's columns; "" where a value is absent).

    The one place a record is made, whether from SPARQL (papers_from_store) or from a store's side
    index (kb.store.records): `year` is the lexical value, `counts` papers.rq's methods, targets,
    impls, datasets, uses, sources and code.
    """
    year = year[:4]
    return Paper(
        id=pid,
        title=title,
        authors=authors,
        year=int(year) if year.isdigit() else None,
        doi=doi.lower() or None,
        arxiv=arxiv or None,
        areas=areas,
        links=counts["methods"] + counts["datasets"] + len(areas),
        placements=placements,
        signals=Signals(
            methods=counts["methods"],
            targets=counts["targets"],
            datasets=counts["datasets"],
            dataset_uses=counts["uses"],
            implemented=counts["impls"],
            sources=counts["sources"],
            code=counts["code"] > 0,
        ),
    )


COUNTS = ("methods", "targets", "impls", "datasets", "uses", "sources", "code")  # paper_record's counts


def papers_from_store(store: pyoxigraph.Store) -> list[Paper]:
    """Every paper as a record (papers.rq, authors in order from authors.rq, placements.rq)."""
    ordered = _author_lists(store)
    placements = _placements(store)
    out = []
    for row in _query(store, "papers.rq"):
        pid = _local(row["paper"], str(PAPER))
        out.append(
            paper_record(
                pid,
                _value(row["title"]),
                tuple(ordered.get(pid, ())),
                _value(row["year"]),
                _value(row["doi"]),
                _value(row["arxiv"]),
                area_ids(_value(row["areas"])),
                placements.get(pid, ()),
                {name: _int(row, name) for name in COUNTS},
            )
        )
    out.sort(key=lambda p: p.id)
    return out


def _author_lists(store: pyoxigraph.Store) -> dict[str, list[str]]:
    """Paper id -> family names in the order of its bibo:authorList (authors.rq)."""
    heads, cells = {}, {}
    # columns by position: ?paper ?cell ?fn ?rest (names cost twice as much on 4,000 rows)
    for row in _query(store, "authors.rq"):
        if row[0] is not None:
            heads[_local(row[0], str(PAPER))] = row[1]
        else:
            cells[row[1]] = (row[2].value, row[3])
    out = {}
    for pid, cell in heads.items():
        names: list[str] = []
        while cell in cells and len(names) <= len(cells):  # the bound stops a cyclic list
            name, cell = cells[cell]
            names.append(name)
        out[pid] = names
    return out


def strongest(rows: Iterable[tuple[str, str, float | None]]) -> tuple[tuple[str, str, float | None], ...]:
    """(area, how, score) rows of one paper -> one per area, by area: the strongest how, then the
    highest score; hows outside HOWS are dropped, a score is kept for "predicted" only."""
    best: dict[str, tuple[str, float | None]] = {}
    for area, how, score in rows:
        if how not in HOWS:
            continue
        now = best.get(area)
        if now is None or HOWS.index(how) < HOWS.index(now[0]) or (
            how == now[0] and (score or 0) > (now[1] or 0)
        ):
            best[area] = (how, score if how == "predicted" else None)
    return tuple((a, h, s) for a, (h, s) in sorted(best.items()))


def _placements(store: pyoxigraph.Store) -> dict[str, tuple[tuple[str, str, float | None], ...]]:
    """Paper id -> (area, how, score) per area, the strongest how where several reach one area."""
    rows: dict[str, list[tuple[str, str, float | None]]] = {}
    for row in _query(store, "placements.rq"):
        how = _local(row["how"], str(FACET)).removeprefix("how-")
        if how not in HOWS:  # before its score is read, as strongest() would drop it anyway
            continue
        score = float(_value(row["score"])) if row["score"] else None
        pid, area = _local(row["paper"], str(PAPER)), _local(row["area"], str(CONCEPT))
        rows.setdefault(pid, []).append((area, how, score))
    return {pid: strongest(found) for pid, found in rows.items()}


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
            order=int(order) if order.lstrip("-").isdigit() else (
                TOPIC_ORDER if aid.startswith(TOPIC + ".") else 0
            ),
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
