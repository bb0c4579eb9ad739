"""The side index of a prebuilt store: one SQLite table per predicate the named queries read,
taxonomy closures, aggregates and listings computed once at import, and FTS5 text indexes.

Built in one streaming pass over N-Triples (kb.store.ntriples), never by SPARQL over the store.
IRIs become 64-bit ids (Python's hash of the N-Triples term, unique within one build) with their
text in `term`; literals are stored as values. The store forms of the named queries
(kb/store/sql/*.sql) are SQL over these tables.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from kb.store.ntriples import scan, term
from kb.vocab import NAMESPACES

NS = {p: str(ns) for p, ns in NAMESPACES.items()}
SQL_DIR = Path(__file__).resolve().parent / "sql"
FORMAT = 4  # bump when the tables change, so an older index is rebuilt rather than misread

# predicate -> (table, how its objects are stored)
#   iri: object id; text: value (+ lower-cased copy, for the text index); year: value and its
#   xsd:integer cast; int: integer value; bool: 1 for true; any: id for an IRI, else the value
PREDICATES: dict[str, tuple[str, str]] = {
    "rdf:type": ("type", "iri"),
    "skos:narrower": ("narrower", "iri"),
    "skos:broader": ("broader", "iri"),
    "skos:prefLabel": ("prefLabel", "plain"),
    "skos:topConceptOf": ("topConceptOf", "iri"),
    "kb:order": ("ord", "int"),
    "kb:answers": ("answers", "iri"),
    "kb:attack": ("attack", "iri"),
    "kb:defense": ("defense", "iri"),
    "rdfs:comment": ("comment", "plain"),
    "rdfs:label": ("label", "text"),
    "dcterms:subject": ("subject", "iri"),
    "dcterms:title": ("title", "text"),
    "dcterms:creator": ("creator", "iri"),
    "dcterms:issued": ("issued", "year"),
    "dcterms:source": ("source", "any"),
    "fabio:hasPublicationYear": ("year", "year"),
    "kb:venue": ("venue", "plain"),
    "kb:arxivId": ("arxivId", "plain"),
    "bibo:doi": ("doi", "plain"),
    "bibo:authorList": ("authorList", "iri"),
    "rdf:first": ("first", "iri"),
    "foaf:name": ("name", "text"),
    "foaf:familyName": ("familyName", "plain"),
    "kb:proposedIn": ("proposedIn", "iri"),
    "kb:subcategory": ("subcategory", "iri"),
    "kb:modelFamily": ("modelFamily", "iri"),
    "kb:role": ("role", "iri"),
    "kb:threatKind": ("threatKind", "iri"),
    "kb:accessLevel": ("accessLevel", "iri"),
    "kb:targetModel": ("targetModel", "iri"),
    "kb:evaluatedOn": ("evaluatedOn", "iri"),
    "kb:evaluates": ("evaluates", "iri"),
    "kb:introducedBy": ("introducedBy", "iri"),
    "kb:size": ("size", "plain"),
    "kb:needsReview": ("needsReview", "bool"),
    "kb:flag": ("flag", "plain"),
    "kb:possibleDuplicateOf": ("possibleDuplicateOf", "iri"),
    "kb:roadmapDisagrees": ("roadmapDisagrees", "bool"),
    "kb:roadmapCategory": ("roadmapCategory", "plain"),
    "kb:threatTypeUnverified": ("threatTypeUnverified", "bool"),
    "kb:subcategoryUnverified": ("subcategoryUnverified", "bool"),
    # what the coverage records read (kb/store/sql/_records.sql)
    "rdf:rest": ("rest", "iri"),
    "schema:codeRepository": ("codeRepository", "any"),
    "kb:inSource": ("inSource", "any"),
    "kb:implements": ("implements", "iri"),
    "kb:paper": ("placementPaper", "iri"),
    "kb:concept": ("placementConcept", "iri"),
    "kb:how": ("how", "iri"),
    "kb:score": ("score", "plain"),
}
TEXT_TABLES = ("title", "label", "name")  # the FTS5 trigram indexes: fts_title, fts_label, fts_name
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_BATCH = 20_000


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return NS[prefix] + local


def _schema(kind: str) -> str:
    return {
        "iri": "s INTEGER, o INTEGER",
        "plain": "s INTEGER, o TEXT",
        "text": "s INTEGER, o TEXT, low TEXT",
        "year": "s INTEGER, o TEXT, yi INTEGER",
        "int": "s INTEGER, o",
        "bool": "s INTEGER, o INTEGER",
        "any": "s INTEGER, o",
    }[kind]


def _as_int(text: str) -> int | None:
    return int(text) if _INTEGER.match(text) else None


class _Loader:
    """Turns raw N-Triples terms into rows, buffering inserts and recording each IRI's text once."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.seen: set[int] = set()  # ids of the IRIs already in `term`
        self.terms: list[tuple[int, str]] = []
        self.rows: dict[str, list[tuple]] = {table: [] for table, _ in PREDICATES.values()}
        self.count = 0

    def node(self, raw: bytes) -> int:
        key = hash(raw)
        # only an IRI's text is kept: a blank node (most of them author-list cells, half the nodes
        # of a large graph) needs no set entry, which keeps the set, and its doubling, small
        if raw[:1] == b"<" and key not in self.seen:
            self.seen.add(key)
            self.terms.append((key, raw[1:-1].decode("utf-8")))
        return key

    def add(self, table: str, kind: str, s: bytes, o: bytes) -> None:
        sid = self.node(s)
        if kind == "iri":
            row: tuple = (sid, self.node(o))
        else:
            okind, value, datatype = term(o)
            if kind == "any":
                row = (sid, self.node(o) if okind != "literal" else value)
            elif okind != "literal":
                return  # an IRI where a literal belongs: no query of ours would read it
            elif kind == "plain":
                row = (sid, value)
            elif kind == "text":
                row = (sid, value, value.lower())
            elif kind == "year":
                row = (sid, value, _as_int(value))
            elif kind == "int":
                number = _as_int(value)
                row = (sid, number if number is not None else value)
            else:  # bool: what oxigraph matches for `true`
                row = (sid, 1 if value in ("true", "1") else 0)
        rows = self.rows[table]
        rows.append(row)
        self.count += 1
        if len(rows) >= _BATCH:
            self.flush(table)

    def flush(self, table: str) -> None:
        rows = self.rows[table]
        if rows:
            marks = ",".join("?" * len(rows[0]))
            self.db.executemany(f"INSERT INTO t_{table} VALUES ({marks})", rows)
            rows.clear()
        if len(self.terms) >= _BATCH:
            self.flush_terms()

    def flush_terms(self) -> None:
        self.db.executemany("INSERT INTO term VALUES (?, ?)", self.terms)
        self.terms.clear()

    def finish(self) -> None:
        for table in self.rows:
            self.flush(table)
        self.flush_terms()


def constants(text: str, lookup: Callable[[str], int | None]) -> str:
    """SQL with every `{prefix:local}` replaced by that IRI's id (or -1: matches nothing)."""

    def sub(m: re.Match) -> str:
        if m.group(1).split(":", 1)[0] not in NS:
            return m.group(0)  # not a CURIE of ours (e.g. `{prefix:local}` in a comment)
        ident = lookup(expand(m.group(1)))
        return str(ident if ident is not None else -1)

    return re.sub(r"\{([a-z]+:[A-Za-z0-9._-]+)\}", sub, text)


def term_id(db: sqlite3.Connection, iri: str) -> int | None:
    row = db.execute("SELECT id FROM term WHERE iri = ?", (iri,)).fetchone()
    return row[0] if row else None


def run_script(db: sqlite3.Connection, text: str) -> None:
    db.executescript(constants(text, lambda iri: term_id(db, iri)))


def build_index(nt: Path, db_path: Path, sha256: str, progress: Callable[[str], None] = lambda _: None) -> dict:
    """Write the side index for the N-Triples file `nt` into `db_path`; returns counts."""
    from kb.store.queries import store_queries

    db = sqlite3.connect(db_path, isolation_level=None)
    for pragma in (
        "journal_mode=OFF",
        "synchronous=OFF",
        "locking_mode=EXCLUSIVE",
        "cache_size=-262144",  # 256 MiB of page cache; sorts beyond it spill to temp files
        "temp_store=FILE",
    ):
        db.execute(f"PRAGMA {pragma}")
    db.execute("BEGIN")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
    db.execute("CREATE TABLE term (id INTEGER PRIMARY KEY, iri TEXT NOT NULL)")
    wanted: dict[bytes, tuple[str, str]] = {}
    for curie, (table, kind) in PREDICATES.items():
        db.execute(f"CREATE TABLE t_{table} ({_schema(kind)})")
        wanted[f"<{expand(curie)}>".encode()] = (table, kind)
    loader = _Loader(db)
    step = 5_000_000
    for s, p, o in scan(nt, set(wanted)):
        table, kind = wanted[p]
        loader.add(table, kind, s, o)
        if loader.count % step == 0:
            progress(f"side index: {loader.count:,} triples read")
    loader.finish()
    counts = {"indexed_triples": loader.count, "terms": len(loader.seen)}
    del loader
    progress(f"side index: {counts['indexed_triples']:,} triples of {len(PREDICATES)} predicates")
    db.execute("CREATE UNIQUE INDEX term_iri ON term(iri)")
    removed = 0
    for table, kind in PREDICATES.values():
        db.execute(f"CREATE INDEX t_{table}_s ON t_{table}(s, o)")
        # a graph is a set: a triple repeated in the source counts once (as in pyoxigraph)
        removed += db.execute(
            f"DELETE FROM t_{table} WHERE rowid IN (SELECT rowid FROM (SELECT rowid, "
            f"s = LAG(s) OVER w AND o IS LAG(o) OVER w AS again FROM t_{table} "
            f"WINDOW w AS (ORDER BY s, o, rowid)) WHERE again)"
        ).rowcount
        if kind in ("iri", "any"):
            db.execute(f"CREATE INDEX t_{table}_o ON t_{table}(o)")
    db.execute("CREATE INDEX t_year_yi ON t_year(yi, s)")
    counts["indexed_triples"] -= removed
    progress(f"side index: tables indexed ({removed:,} repeated triples dropped)")
    run_script(db, (SQL_DIR / "_derived.sql").read_text(encoding="utf-8"))
    progress("side index: taxonomy closures and per-area counts")
    for query in store_queries().values():
        if query.build:
            run_script(db, query.build)
            progress(f"side index: {query.name}")
    for table in TEXT_TABLES:
        db.execute(
            f"CREATE VIRTUAL TABLE fts_{table} USING fts5(low, content='t_{table}', "
            f"content_rowid='rowid', tokenize='trigram', detail='none')"
        )
        db.execute(f"INSERT INTO fts_{table}(fts_{table}) VALUES ('rebuild')")
    progress("side index: full-text indexes")
    db.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("format", FORMAT), ("sha256", sha256), *counts.items()],
    )
    if db.in_transaction:  # executescript commits what came before it
        db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return counts
