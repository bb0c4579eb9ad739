"""The coverage report's inputs kept in a store: paper records and areas, as kb.coverage.source makes them.

At build, `write` runs kb.coverage.source's own functions (papers.rq, authors.rq, placements.rq,
areas.rq over the freshly loaded pyoxigraph database) and keeps each record as one row in the
side index (placements as JSON), so the records cannot drift from what `kb coverage` builds
without a store. At 100,000 papers reading them back is one table scan, not minutes of SPARQL.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pyoxigraph

from kb.coverage.records import Paper, Signals
from kb.coverage.source import Area, areas_from_store, papers_from_store
from kb.store.build import open_store

SEP = "\x1f"  # joins a record's authors and areas (a unit separator: in no name or id)
SIGNALS = [f.name for f in dataclasses.fields(Signals)]
COLUMNS = ["id", "title", "authors", "year", "doi", "arxiv", "areas", "links", "placements", *SIGNALS]


def _join(items: tuple[str, ...]) -> str | None:
    return SEP.join(items) if items else None  # NULL, not "", so that ("",) stays ("",)


def _paper_row(p: Paper) -> tuple:
    placements = json.dumps(p.placements, ensure_ascii=False) if p.placements else None
    signals = [getattr(p.signals, name) for name in SIGNALS]
    return (p.id, p.title, _join(p.authors), p.year, p.doi, p.arxiv, _join(p.areas), p.links, placements, *signals)


def _papers(db: sqlite3.Connection) -> list[Paper]:
    shared: dict[tuple, Signals] = {}  # records share equal (frozen) signals: most are all zero
    out = []
    for pid, title, authors, year, doi, arxiv, areas, links, placements, *signals in db.execute(
        f"SELECT {', '.join(COLUMNS)} FROM cov_paper ORDER BY n"  # noqa: S608 (constant columns)
    ):
        key = tuple(signals)
        sig = shared.get(key)
        if sig is None:
            sig = shared[key] = Signals(**{n: type(getattr(Signals, n))(v) for n, v in zip(SIGNALS, key, strict=True)})
        out.append(
            Paper(
                id=pid,
                title=title,
                authors=tuple(authors.split(SEP)) if authors is not None else (),
                year=year,
                doi=doi,
                arxiv=arxiv,
                areas=tuple(areas.split(SEP)) if areas is not None else (),
                links=links,
                placements=tuple((a, h, sc) for a, h, sc in json.loads(placements)) if placements else (),
                signals=sig,
            )
        )
    return out


def _area(row: dict) -> Area:
    return Area(**{**row, "answers": tuple(row["answers"])})


def write(ox: pyoxigraph.Store, db_path: Path) -> int:
    """Keep the paper records and areas of `ox` in the side index at `db_path`; returns the papers."""
    papers = papers_from_store(ox)
    areas = areas_from_store(ox)
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        db.execute("BEGIN")
        db.execute(f"CREATE TABLE cov_paper (n INTEGER PRIMARY KEY, {', '.join(COLUMNS)})")
        db.execute("CREATE TABLE cov_area (n INTEGER PRIMARY KEY, rec TEXT NOT NULL)")
        marks = ", ".join("?" * (len(COLUMNS) + 1))
        db.executemany(f"INSERT INTO cov_paper VALUES ({marks})", ((n, *_paper_row(p)) for n, p in enumerate(papers)))
        db.executemany(
            "INSERT INTO cov_area VALUES (?, ?)",
            enumerate(json.dumps(dataclasses.asdict(a), ensure_ascii=False) for a in areas.values()),
        )
        db.execute("COMMIT")
    finally:
        db.close()
    return len(papers)


def _areas(db: sqlite3.Connection) -> dict[str, Area]:
    rows = (json.loads(r) for (r,) in db.execute("SELECT rec FROM cov_area ORDER BY n"))
    return {a.id: a for a in map(_area, rows)}


def load(path: Path) -> tuple[list[Paper], dict[str, Area]]:
    """Papers and areas of the store at `path`, for kb.coverage.report (those of kb.coverage.source)."""
    store = open_store(path)
    return _papers(store.db), _areas(store.db)
