"""The coverage report's inputs from a store: paper records from the side index, areas by SPARQL."""

from __future__ import annotations

from pathlib import Path

from kb.coverage.match import Paper
from kb.coverage.source import Area, areas_from_store
from kb.store.build import Store, open_store
from kb.vocab import CONCEPT, PAPER


def _local(iri: str, ns: str) -> str:
    return iri[len(ns) :] if iri.startswith(ns) else iri


def papers(store: Store) -> list[Paper]:
    """Every paper as a matcher record, as kb.coverage.source.papers_from_store gives them."""
    out = []
    concept, paper = str(CONCEPT), str(PAPER)
    for pid, title, year, doi, arxiv, first, authors, areas, methods, datasets in store.db.execute(
        "SELECT paper, title, year, doi, arxiv, first, authors, areas, methods, datasets FROM r_paper_records"
    ):
        names = [a for a in (authors or "").split("|") if a]
        if first:
            names = [first] + [a for a in names if a != first]
        ids = tuple(sorted(_local(a, concept) for a in (areas or "").split()))
        year = (year or "")[:4]
        out.append(
            Paper(
                id=_local(pid, paper),
                title=title or "",
                authors=tuple(names),
                year=int(year) if year.isdigit() else None,
                doi=doi.lower() or None if doi else None,
                arxiv=arxiv or None,
                areas=ids,
                links=methods + datasets + len(ids),
            )
        )
    out.sort(key=lambda p: p.id)
    return out


def load(path: Path) -> tuple[list[Paper], dict[str, Area]]:
    """Papers and areas of the store at `path`, for kb.coverage.report."""
    store = open_store(path)
    return papers(store), areas_from_store(store.ox)
