"""The coverage report's inputs kept in a store: paper records and areas, as kb.coverage.source makes them.

At build, `write` builds each record by SQL over the side index's tables (kb/store/sql/_records.sql
gathers what kb/coverage/{papers,authors,placements}.rq read; one row per paper, streamed) and
keeps it as one row (placements as JSON); the areas come from kb.coverage.source's areas.rq on the
loaded graph. Tests compare `kb coverage --store` with `kb coverage` byte for byte, so the two
forms of the records cannot drift. Beside each record it keeps what matching looks up (the normalised title, the
DOI, the first author's surname, a posting list per title word) and each area's papers in rank
order, so that `kb coverage --store` (`open_coverage`) reads only the records an entry's
matching and the report's ranking touch, never all of them: the in-memory Index and Ranking of
kb.coverage, answered by indexed lookups.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from kb.coverage.match import Index, surname, title_key, title_postings
from kb.coverage.rank import RANKED_BY, RECENT, Ranking, rank_key
from kb.coverage.records import HOWS, Paper, Signals
from kb.coverage.source import COUNTS, Area, area_ids, local_id, paper_record, strongest
from kb.store.build import StoreError, open_store
from kb.vocab import CONCEPT, FACET, PAPER

SQL_DIR = Path(__file__).resolve().parent / "sql"
_BATCH = 20_000  # rows per executemany

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


# one row per paper (rec_paper, in record order): what papers.rq gives, as correlated lookups
_PAPERS_SQL = """
SELECT p.n, p.id,
  (SELECT MIN(o) FROM t_title WHERE s = p.s),
  (SELECT MIN(o) FROM t_year WHERE s = p.s),
  (SELECT MIN(o) FROM t_doi WHERE s = p.s),
  (SELECT MIN(o) FROM t_arxivId WHERE s = p.s),
  (SELECT group_concat(i.iri, ' ') FROM (
     SELECT DISTINCT u.b AS b FROM t_subject x JOIN rec_up u ON u.a = x.o JOIN rec_area r ON r.area = u.b
     WHERE x.s = p.s) a JOIN term i ON i.id = a.b),
  (SELECT COUNT(DISTINCT s) FROM t_proposedIn WHERE o = p.s),
  (SELECT COUNT(DISTINCT tm.o) FROM t_proposedIn x JOIN t_targetModel tm ON tm.s = x.s WHERE x.o = p.s),
  (SELECT COUNT(DISTINCT i.s) FROM t_proposedIn x JOIN t_implements i ON i.o = x.s WHERE x.o = p.s),
  (SELECT COUNT(DISTINCT s) FROM t_introducedBy WHERE o = p.s),
  (SELECT COUNT(DISTINCT e.s) FROM t_introducedBy x JOIN t_evaluatedOn e ON e.o = x.s
     WHERE x.o = p.s AND NOT EXISTS (SELECT 1 FROM t_proposedIn m WHERE m.s = e.s AND m.o = p.s)),
  (SELECT COUNT(DISTINCT o) FROM t_inSource WHERE s = p.s),
  (SELECT COUNT(DISTINCT o) FROM t_codeRepository WHERE s = p.s)
FROM rec_paper p ORDER BY p.n
"""


def _grouped(rows: Iterator[tuple]) -> Iterator[tuple[int, list[tuple]]]:
    """(n, its rows) from rows sorted by their first column n."""
    for n, group in itertools.groupby(rows, key=lambda r: r[0]):
        yield n, [r[1:] for r in group]


class _Aside:
    """The rows of one record from a cursor sorted by record number, read alongside the records."""

    def __init__(self, rows: Iterator[tuple]) -> None:
        self._groups = _grouped(rows)
        self._next = next(self._groups, None)

    def take(self, n: int) -> list[tuple]:
        while self._next is not None and self._next[0] < n:
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == n:
            return self._next[1]
        return []


def _from_row(row: tuple, authors: list[tuple], placements: list[tuple]) -> Paper:
    """The Paper of one _PAPERS_SQL row, made as kb.coverage.source makes it from papers.rq."""
    _n, pid, title, year, doi, arxiv, areas, *counts = row
    placed = (
        (local_id(area, str(CONCEPT)), local_id(how, str(FACET)).removeprefix("how-"), score)
        for area, how, score in placements
    )
    return paper_record(
        pid,
        title,
        tuple(fn for _pos, fn in authors),
        year or "",
        doi or "",
        arxiv or "",
        area_ids(areas or ""),
        strongest((a, h, float(s) if s is not None else None) for a, h, s in placed if h in HOWS),
        dict(zip(COUNTS, counts, strict=True)),
    )


def _tables(db: sqlite3.Connection) -> None:
    db.execute(f"CREATE TABLE cov_paper (n INTEGER PRIMARY KEY, {', '.join(COLUMNS)}, norm)")
    # lookups as a table keyed by them, not as indexes on cov_paper (a lookup is one B-tree search)
    db.execute("CREATE TABLE cov_key (key TEXT, value TEXT, n INTEGER, PRIMARY KEY (key, value, n)) WITHOUT ROWID")
    db.execute("CREATE TABLE cov_area (n INTEGER PRIMARY KEY, rec TEXT NOT NULL)")
    db.execute("CREATE TABLE cov_token (tok TEXT PRIMARY KEY, n INTEGER NOT NULL, ids BLOB NOT NULL) WITHOUT ROWID")
    db.execute(
        "CREATE TABLE cov_rank (area TEXT, pos INTEGER, n INTEGER, id TEXT, year INTEGER, datasets INTEGER,"
        " PRIMARY KEY (area, pos)) WITHOUT ROWID"
    )
    db.execute("CREATE TABLE cov_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _write_papers(db: sqlite3.Connection, progress: Callable[[str], None]) -> tuple[int, dict[str, int]]:
    """Pass 1: one cov_paper row, its lookup keys and its title words per paper; returns (papers, totals)."""
    read = db.cursor()
    authors = _Aside(db.cursor().execute("SELECT n, pos, fn FROM rec_author ORDER BY n, pos"))
    placements = _Aside(db.cursor().execute("SELECT n, area, how, score FROM rec_place ORDER BY n"))
    marks = ", ".join("?" * (len(COLUMNS) + 2))
    insert_paper = f"INSERT INTO cov_paper VALUES ({marks})"  # noqa: S608 (constant columns)
    totals: dict[str, int] = defaultdict(int)
    papers = 0
    batch: list[tuple] = []
    keys: list[tuple] = []

    def flush() -> None:
        db.executemany(insert_paper, batch)
        db.executemany("INSERT INTO cov_key VALUES (?, ?, ?)", keys)
        batch.clear()
        keys.clear()

    def norms() -> Iterator[str]:
        """Each record's normalised title, in record order, writing the record on the way."""
        nonlocal papers
        for row in read.execute(_PAPERS_SQL):
            n = row[0]
            p = _from_row(row, authors.take(n), placements.take(n))
            norm = title_key(p.title)
            batch.append((n, *_paper_row(p), norm))
            keys.extend(_match_keys(n, p, norm))
            for a in p.areas:
                totals[a] += 1
            papers += 1
            if len(batch) >= _BATCH:
                flush()
            if papers % 250_000 == 0:
                progress(f"coverage records: {papers:,} papers")
            yield norm
        flush()

    # record n is the n-th title (rec_paper numbers the papers 0, 1, ... in this order)
    postings = title_postings(norms(), lambda: array("i"))
    tokens = ((tok, len(ids), ids.tobytes()) for tok, ids in postings.items())
    db.executemany("INSERT INTO cov_token VALUES (?, ?, ?)", tokens)
    return papers, totals


def _write_ranks(db: sqlite3.Connection) -> int:
    """Pass 2: every area's papers in rank order (kb.coverage.rank.rank_key); returns the newest year."""
    (newest,) = db.execute("SELECT COALESCE(MAX(year), 0) FROM cov_paper").fetchone()
    db.execute("CREATE TEMP TABLE rec_key (neg REAL, yr INTEGER, id TEXT, n INTEGER)")
    shared: dict[tuple, Signals] = {}
    read = db.cursor().execute(f"SELECT {', '.join(COLUMNS)}, n FROM cov_paper ORDER BY n")  # noqa: S608
    batch: list[tuple] = []
    for *row, n in read:
        p = _record(row, shared)
        neg, yr, pid = rank_key(p, newest)
        batch.append((neg, yr, pid, n))
        if len(batch) >= _BATCH:
            db.executemany("INSERT INTO rec_key VALUES (?, ?, ?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO rec_key VALUES (?, ?, ?, ?)", batch)
    ordered = db.cursor().execute(
        "SELECT c.n, c.id, c.year, c.datasets, c.areas FROM rec_key k JOIN cov_paper c ON c.n = k.n"
        " ORDER BY k.neg, k.yr, k.id"
    )
    rows: list[tuple] = []
    for pos, (n, pid, year, datasets, areas) in enumerate(ordered):
        # the graph's areas are distinct (GROUP_CONCAT DISTINCT), so (area, position) is a key
        rows.extend((a, pos, n, pid, year, datasets) for a in dict.fromkeys(areas.split(SEP) if areas else ()))
        if len(rows) >= _BATCH:
            db.executemany("INSERT INTO cov_rank VALUES (?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    db.executemany("INSERT INTO cov_rank VALUES (?, ?, ?, ?, ?, ?)", rows)
    return newest


def write(db_path: Path, areas: dict[str, Area], progress: Callable[[str], None] = lambda _: None) -> int:
    """Keep the paper records (from the side index at `db_path`) and `areas` in it; returns the papers.

    The records are built by SQL over the side index's tables (kb/store/sql/_records.sql and
    _PAPERS_SQL), a row at a time, as kb.coverage.source builds them by SPARQL from the graph;
    tests/test_coverage_store.py compares the two reports byte for byte.
    """
    from kb.store.index import run_script  # kb.store.index builds the side index these read

    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144", "temp_store=FILE"):
            db.execute(f"PRAGMA {pragma}")
        script = (SQL_DIR / "_records.sql").read_text(encoding="utf-8").replace("{ns:paper}", str(PAPER))
        run_script(db, script)
        progress("coverage records: papers, author lists and placements gathered")
        db.execute("BEGIN")
        _tables(db)
        papers, totals = _write_papers(db, progress)
        newest = _write_ranks(db)
        db.executemany(
            "INSERT INTO cov_meta VALUES (?, ?)",
            [("newest", json.dumps(newest)), ("totals", json.dumps(totals)), ("ranked_by", RANKED_BY)],
        )
        db.executemany(
            "INSERT INTO cov_area VALUES (?, ?)",
            enumerate(json.dumps(dataclasses.asdict(a), ensure_ascii=False) for a in areas.values()),
        )
        db.execute("COMMIT")
        db.execute("ANALYZE cov_paper")
    finally:
        db.close()
    return papers


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
