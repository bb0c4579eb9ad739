"""The coverage report's inputs from a store: paper records and areas from its pyoxigraph database.

The records (authors in list order, placements, ranking signals: kb/coverage/papers.rq,
authors.rq, placements.rq) are read by SPARQL on the store's graph. A side-index table of them,
as the previous record model had (one table scan at 100,000 papers), is still to be written for
this model; until then `kb coverage --store` costs what the records query costs at that size.
"""

from __future__ import annotations

from pathlib import Path

from kb.coverage.records import Paper
from kb.coverage.source import Area, areas_from_store, papers_from_store
from kb.store.build import open_store


def load(path: Path) -> tuple[list[Paper], dict[str, Area]]:
    """Papers and areas of the store at `path`, for kb.coverage.report."""
    store = open_store(path)
    return papers_from_store(store.ox), areas_from_store(store.ox)
