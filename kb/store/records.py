"""The coverage report's inputs kept in a store: paper records and areas, as kb.coverage.source makes them.

At build, `write` runs kb.coverage.source's own functions (papers.rq, authors.rq, placements.rq,
areas.rq over the freshly loaded pyoxigraph database) and keeps each record as one row in the
side index (placements as JSON), so the records cannot drift from what `kb coverage` builds
without a store. Beside each record it keeps what matching looks up (the normalised title, the
DOI, the first author's surname, a posting list per title word) and each area's papers in rank
order, so that `kb coverage --store` (`open_coverage`) reads only the records an entry's
matching and the report's ranking touch, never all of them: the in-memory Index and Ranking of
kb.coverage, answered by indexed lookups.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from array import array
from collections import defaultdict
from pathlib import Path

import pyoxigraph

from kb.coverage.match import Index, surname, title_key, title_postings
from kb.coverage.rank import RANKED_BY, RECENT, Ranking, rank_key
from kb.coverage.records import Paper, Signals
from kb.coverage.source import Area, areas_from_store, papers_from_store
from kb.store.build import StoreError, open_store

SEP = "\x1f"  # joins a record's authors and areas (a unit separator: in no name or id)
SIGNALS = [f.name for f in dataclasses.fields(Signals)]
COLUMNS = ["id", "title", "authors", "year", "doi", "arxiv", "areas", "links", "placements", *SIGNALS]


def _join(items: tuple[str, ...]) -> str | None:
    return SEP.join(items) if items else None  # NULL, not "", so that ("",) stays ("",)


def _paper_row(p: Paper) -> tuple:
    placements = json.dumps(p.placements, ensure_ascii=False) if p.placements else None
    signals = [getattr(p.signals, name) for name in SIGNALS]
    return (p.id, p.title, _join(p.authors), p.year, p.doi, p.arxiv, _join(p.areas), p.links, placements, *signals)


def _record(row: tuple | list, shared: dict[tuple, Signals]) -> Paper:
    """The Paper of a cov_paper row (COLUMNS); `shared` keeps one Signals per distinct value."""
    pid, title, authors, year, doi, arxiv, areas, links, placements, *signals = row
    key = tuple(signals)
    sig = shared.get(key)
    if sig is None:  # records share equal (frozen) signals: most are all zero
        sig = shared[key] = Signals(**{n: type(getattr(Signals, n))(v) for n, v in zip(SIGNALS, key, strict=True)})
    return Paper(
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


def _papers(db: sqlite3.Connection) -> list[Paper]:
    shared: dict[tuple, Signals] = {}
    sql = f"SELECT {', '.join(COLUMNS)} FROM cov_paper ORDER BY n"  # noqa: S608 (constant columns)
    return [_record(row, shared) for row in db.execute(sql)]


def _area(row: dict) -> Area:
    return Area(**{**row, "answers": tuple(row["answers"])})


def _match_keys(n: int, p: Paper, norm: str) -> list[tuple[str, str, int]]:
    """(key, value, n) for each way kb.coverage.match.Index looks record `n` up (Index._lookup, _by_first)."""
    keys = [("title", norm, n)]
    if p.doi:
        keys.append(("doi", p.doi.lower(), n))
    if p.arxiv:
        keys.append(("arxiv", p.arxiv, n))
    if p.authors:
        keys.append(("first", surname(p.authors[0]), n))
    return keys


def _ranks(papers: list[Paper]) -> tuple[int, list[tuple]]:
    """The graph's newest year, and (area, position, n, id, year, datasets) in rank order per area."""
    newest = max((p.year for p in papers if p.year), default=0)
    order = sorted(range(len(papers)), key=lambda i: rank_key(papers[i], newest))
    rows: list[tuple] = []
    for pos, i in enumerate(order):
        p = papers[i]
        # the graph's areas are distinct (GROUP_CONCAT DISTINCT), so (area, position) is a key
        rows.extend((a, pos, i, p.id, p.year, p.signals.datasets) for a in dict.fromkeys(p.areas))
    return newest, rows


def write(ox: pyoxigraph.Store, db_path: Path) -> int:
    """Keep the paper records and areas of `ox` in the side index at `db_path`; returns the papers."""
    papers = papers_from_store(ox)
    areas = areas_from_store(ox)
    newest, ranks = _ranks(papers)
    totals: dict[str, int] = defaultdict(int)
    for p in papers:
        for a in p.areas:
            totals[a] += 1
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        db.execute("BEGIN")
        db.execute(f"CREATE TABLE cov_paper (n INTEGER PRIMARY KEY, {', '.join(COLUMNS)}, norm)")
        # lookups as a table keyed by them, not as indexes on cov_paper: the build may copy this
        # file's tables into the side index, and a table carries its key with it
        db.execute("CREATE TABLE cov_key (key TEXT, value TEXT, n INTEGER, PRIMARY KEY (key, value, n)) WITHOUT ROWID")
        db.execute("CREATE TABLE cov_area (n INTEGER PRIMARY KEY, rec TEXT NOT NULL)")
        db.execute("CREATE TABLE cov_token (tok TEXT PRIMARY KEY, n INTEGER NOT NULL, ids BLOB NOT NULL) WITHOUT ROWID")
        db.execute(
            "CREATE TABLE cov_rank (area TEXT, pos INTEGER, n INTEGER, id TEXT, year INTEGER, datasets INTEGER,"
            " PRIMARY KEY (area, pos)) WITHOUT ROWID"
        )
        db.execute("CREATE TABLE cov_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        marks = ", ".join("?" * (len(COLUMNS) + 2))
        norms = [title_key(p.title) for p in papers]
        db.executemany(
            f"INSERT INTO cov_paper VALUES ({marks})",
            ((n, *_paper_row(p), norm) for n, (p, norm) in enumerate(zip(papers, norms, strict=True))),
        )
        db.executemany(
            "INSERT INTO cov_key VALUES (?, ?, ?)",
            (k for n, (p, norm) in enumerate(zip(papers, norms, strict=True)) for k in _match_keys(n, p, norm)),
        )
        db.executemany(
            "INSERT INTO cov_token VALUES (?, ?, ?)",
            ((tok, len(ids), array("i", ids).tobytes()) for tok, ids in title_postings(norms).items()),
        )
        db.executemany("INSERT INTO cov_rank VALUES (?, ?, ?, ?, ?, ?)", ranks)
        db.executemany(
            "INSERT INTO cov_meta VALUES (?, ?)",
            [("newest", json.dumps(newest)), ("totals", json.dumps(totals)), ("ranked_by", RANKED_BY)],
        )
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


def _ids(ids: list[int]) -> str:
    return json.dumps(ids)  # one parameter for any number of ids (json_each)


class StoreIndex(Index):
    """kb.coverage.match.Index answered from a store's tables: records are read as matching needs them."""

    def __init__(self, db: sqlite3.Connection) -> None:  # noqa: D107 (no in-memory build: see Index)
        self.db = db
        self._loaded: dict[int, Paper] = {}
        self._norm_of: dict[int, str] = {}
        self._shared: dict[tuple, Signals] = {}
        self._sets: dict[str, set[int]] = {}
        self._recs = {}
        self._first = None

    def _prefetch(self, ids: list[int]) -> None:
        todo = [i for i in ids if i not in self._loaded]
        if not todo:
            return
        sql = (
            f"SELECT n, norm, {', '.join(COLUMNS)} FROM cov_paper"  # noqa: S608 (constant columns)
            " WHERE n IN (SELECT value FROM json_each(?))"
        )
        for n, norm, *row in self.db.execute(sql, (_ids(todo),)):
            self._loaded[n] = _record(row, self._shared)
            self._norm_of[n] = norm

    def paper(self, i: int) -> Paper:
        if i not in self._loaded:
            self._prefetch([i])
        return self._loaded[i]

    def papers_at(self, ids: list[int]) -> list[Paper]:
        """The records at these positions, in this order."""
        self._prefetch(ids)
        return [self._loaded[i] for i in ids]

    def _norms(self, ids: list[int]) -> list[str]:
        todo = [i for i in ids if i not in self._norm_of]
        if todo:
            sql = "SELECT n, norm FROM cov_paper WHERE n IN (SELECT value FROM json_each(?))"
            self._norm_of.update(self.db.execute(sql, (_ids(todo),)))
        return [self._norm_of[i] for i in ids]

    def _norm(self, i: int) -> str:
        return self._norms([i])[0]

    def _lookup(self, key: str, value: str) -> list[int]:
        sql = "SELECT n FROM cov_key WHERE key = ? AND value = ? ORDER BY n"
        return [n for (n,) in self.db.execute(sql, (key, value))]

    def _counts(self, tokens: set[str]) -> dict[str, int]:
        sql = "SELECT tok, n FROM cov_token WHERE tok IN (SELECT value FROM json_each(?))"
        return dict(self.db.execute(sql, (json.dumps(sorted(tokens)),)))

    def _set(self, tok: str) -> set[int]:
        found = self._sets.get(tok)
        if found is None:
            (blob,) = self.db.execute("SELECT ids FROM cov_token WHERE tok = ?", (tok,)).fetchone()
            found = self._sets[tok] = set(array("i", blob))
        return found

    def _by_first(self, name: str) -> list[int]:
        return self._lookup("first", name)


# the filters of kb.coverage.rank.in_group, in SQL
_GROUP_SQL = {None: "", "older": " AND year <> 0 AND year < :recent", "benchmark": " AND datasets <> 0"}


class StoreRanking(Ranking):
    """kb.coverage.rank.Ranking answered from a store's tables (each area's papers kept in rank order)."""

    def __init__(self, db: sqlite3.Connection, index: StoreIndex) -> None:  # noqa: D107 (not Ranking's)
        meta = dict(db.execute("SELECT key, value FROM cov_meta"))
        if meta.get("ranked_by") != RANKED_BY:
            raise StoreError("the store ranks papers by older weights; rebuild it with `kb store build --force`")
        self.db, self.index = db, index
        self.newest: int = json.loads(meta["newest"])
        self._totals: dict[str, int] = json.loads(meta["totals"])
        self._keys: dict[str, tuple[float, int, str]] = {}

    def totals(self) -> dict[str, int]:
        return dict(self._totals)

    def ranked(self, area: str, lack: str | None, k: int, exclude: set[str]) -> list[Paper]:
        found: list[int] = []
        if k <= 0:
            return []
        sql = f"SELECT n, id FROM cov_rank WHERE area = :area{_GROUP_SQL[lack]} ORDER BY pos"  # noqa: S608
        for n, pid in self.db.execute(sql, {"area": area, "recent": RECENT}):
            if pid not in exclude:
                found.append(n)
                if len(found) >= k:
                    break
        return self.index.papers_at(found)


def open_coverage(path: Path) -> tuple[StoreIndex, StoreRanking, dict[str, Area]]:
    """The index, ranking and areas `kb coverage --store` reads from the store at `path`."""
    store = open_store(path)
    index = StoreIndex(store.db)
    return index, StoreRanking(store.db, index), _areas(store.db)
