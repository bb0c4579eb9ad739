"""A prebuilt store: a directory with the graph in pyoxigraph and its side index, both from one source.

    DIR/store.json    format, the source's path, size, mtime and SHA-256, triple counts
    DIR/oxigraph/     the whole graph (RocksDB), for the questions that stay in SPARQL
    DIR/index.sqlite  aggregates, listings, sort keys and FTS5 text indexes (kb.store.index),
                      and the coverage report's paper records (kb.store.records)

Built in a temporary directory beside DIR and renamed into place, so a reader never sees half a
store. Rebuilding the same source is a no-op; opening a store whose source file has changed since
is refused, so no question reads aggregates of an older graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kb.sparql.library import QueryError
from kb.store.index import FORMAT, build_index
from kb.store.ntriples import NTriplesError

META = "store.json"
CHUNK = 64 << 20  # bytes of N-Triples per pyoxigraph bulk load (see bulk_load)


class StoreError(QueryError):
    """A missing, stale or unreadable store: one line saying what to do."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def source_format(path: Path) -> ox.RdfFormat:
    """N-Triples for .nt files, else Turtle (N-Triples is valid Turtle, but slower to load)."""
    return ox.RdfFormat.N_TRIPLES if path.suffix.lower() == ".nt" else ox.RdfFormat.TURTLE


def read_meta(out: Path) -> dict | None:
    try:
        return json.loads((out / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _usage() -> str:
    """CPU time and peak resident size of this process so far, for the build's progress lines."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return f"{usage.ru_utime + usage.ru_stime:.0f} s CPU, peak {usage.ru_maxrss >> 10:,} MB"


def _load_slice(db: ox.Store, chunk: bytes) -> None:
    """One N-Triples slice into `db`, keeping its blank nodes' labels.

    pyoxigraph's bulk load gives a blank node a fresh id on every call, so an author list whose
    cells fall in two slices would come apart. The lines that name a blank node are parsed with
    their labels kept and added with bulk_extend (N-Triples is N-Quads of the default graph); the
    rest, most of a graph, take the faster bulk load.
    """
    if b"_:" not in chunk:
        db.bulk_load(input=chunk, format=ox.RdfFormat.N_TRIPLES, lenient=True)
        return
    lines = chunk.splitlines(keepends=True)
    db.bulk_load(input=b"".join(x for x in lines if b"_:" not in x), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    blank = b"".join(x for x in lines if b"_:" in x)
    db.bulk_extend(ox.parse(input=blank, format=ox.RdfFormat.N_QUADS, lenient=True))


def _syntax_error(chunk: bytes) -> str | None:
    """The parser's error for a slice read whole (its lines may have been loaded in two parts)."""
    try:
        for _ in ox.parse(input=chunk, format=ox.RdfFormat.N_TRIPLES, lenient=True):
            pass
    except SyntaxError as exc:
        return str(exc)
    return None


def _shift_lines(message: str, by: int) -> str:
    """A parser message about a slice, its line numbers made the whole file's."""
    return re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + by:,}", message)


def bulk_load(db: ox.Store, source: Path, fmt: ox.RdfFormat) -> None:
    """pyoxigraph's bulk load of `source`, N-Triples in slices of CHUNK bytes cut at line ends.

    The loader holds about eight times its input in memory until it writes its files (1.7 GB for a
    whole 785 MB file, 2.8 GB at 7.9 GB): slices keep it near 0.5 GB at any size. The source is
    parsed leniently (IRIs are not validated): a syntax error still fails the build, with its line.
    """
    if fmt != ox.RdfFormat.N_TRIPLES:  # Turtle's prefixes hold across the file: one piece
        db.bulk_load(path=str(source), format=fmt, lenient=True)
        return
    first = 1  # the file's number of the slice's first line
    with open(source, "rb") as fh:
        while chunk := fh.read(CHUNK):
            chunk += fh.readline()
            try:
                _load_slice(db, chunk)
            except SyntaxError as exc:
                message = _syntax_error(chunk) or str(exc)
                raise SyntaxError(_shift_lines(message, first - 1)) from None
            first += chunk.count(b"\n")


def build_store(source: Path, out: Path, progress: Callable[[str], None] = lambda _: None, force: bool = False) -> dict:
    """Build DIR from a Turtle or N-Triples file; returns its store.json (unchanged if current)."""
    if not source.is_file():
        raise StoreError(f"{source}: file not found; give a Turtle or N-Triples file")
    sha = file_sha256(source)
    meta = read_meta(out)
    if not force and meta and meta.get("sha256") == sha and meta.get("format") == FORMAT:
        progress(f"{out}: already built from this source ({sha[:12]})")
        return meta
    if out.exists() and not out.is_dir():
        raise StoreError(f"{out}: exists and is not a directory; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        started = time.perf_counter()
        fmt = source_format(source)
        store = ox.Store(str(tmp / "oxigraph"))
        seconds: dict[str, float] = {}
        failed: list[BaseException] = []
        from kb.coverage.source import areas_from_store
        from kb.store import records  # it opens stores too: imported here, not at the top

        def tell(message: str) -> None:
            progress(f"{message} [{time.perf_counter() - started:.1f} s; {_usage()}]")

        def step(name: str, message: str) -> None:
            seconds[name] = round(time.perf_counter() - started, 1)
            tell(message)

        def load(db: ox.Store) -> None:
            """pyoxigraph's load (it releases the GIL), then the areas the coverage report names."""
            try:
                bulk_load(db, source, fmt)
                db.flush()
                step("oxigraph", "oxigraph: loaded")
                areas.update(areas_from_store(db))
            except BaseException as exc:  # re-raised below, in the calling thread
                failed.append(exc)

        # N-Triples: the side index reads the source while pyoxigraph loads it in a second thread,
        # so the two take about the longer of the two, not their sum. Turtle: after the load, from
        # a dump. The coverage records then come from the side index's tables (kb.store.records).
        areas: dict = {}
        loader = threading.Thread(target=load, args=(store,))
        loader.start()
        nt = source
        if fmt != ox.RdfFormat.N_TRIPLES:
            loader.join()
            if not failed:
                nt = tmp / "source.nt"
                store.dump(output=str(nt), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        index_error = None
        if not failed:
            try:
                counts = build_index(nt, tmp / "index.sqlite", sha, tell)
                step("index", "side index: done")
            except NTriplesError as exc:
                index_error = exc
        loader.join()
        if failed:
            if isinstance(failed[0], SyntaxError):
                problem = f"not valid {fmt.name} ({failed[0]})"
                raise StoreError(f"{source}: {problem}; fix the file or re-export it") from None
            raise failed[0]
        if index_error is not None:
            raise StoreError(f"{source}: {index_error}; fix the file or re-export it") from None
        counts["papers"] = records.write(tmp / "index.sqlite", areas, tell)
        step("records", f"coverage records: {counts['papers']:,} papers")
        del store
        if nt != source:
            nt.unlink(missing_ok=True)
        stat = source.stat()
        meta = {
            "format": FORMAT,
            "source": str(source.resolve()),
            "size": stat.st_size,
            "mtime": stat.st_mtime,
            "sha256": sha,
            **counts,
            "seconds": {**seconds, "total": round(time.perf_counter() - started, 1)},
        }
        (tmp / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        if out.exists():  # replace the old store: move it aside, rename the new one in, drop the old
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
            os.replace(out, old / "store")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
        return meta
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Store:
    """An open prebuilt store: read-only pyoxigraph database and side index."""

    path: Path
    meta: dict
    ox: ox.Store
    db: sqlite3.Connection


def _check_fresh(path: Path, meta: dict) -> None:
    source = Path(meta.get("source", ""))
    if not source.is_file():
        return  # the source moved away: the store is its own snapshot
    stat = source.stat()
    if (stat.st_size, stat.st_mtime) == (meta.get("size"), meta.get("mtime")):
        return
    if file_sha256(source) != meta.get("sha256"):
        raise StoreError(f"{path}: built from an older {source}; run `kb store build {source} --out {path}`")


def open_store(path: Path) -> Store:
    """Open DIR read-only, refusing a store that is incomplete, of another format or stale."""
    meta = read_meta(path)
    if meta is None:
        raise StoreError(f"{path}: not a store (no {META}); build one with `kb store build --out {path}`")
    if meta.get("format") != FORMAT:
        raise StoreError(f"{path}: store of an older format; rebuild it with `kb store build --out {path}`")
    _check_fresh(path, meta)
    try:
        db = sqlite3.connect(f"file:{path / 'index.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        indexed = dict(db.execute("SELECT key, value FROM meta").fetchall())
        store = ox.Store.read_only(str(path / "oxigraph"))
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"{path}: cannot open the store ({exc}); rebuild it with `kb store build`") from None
    if indexed.get("sha256") != meta["sha256"]:
        raise StoreError(f"{path}: index and graph come from different sources; rebuild the store")
    return Store(path, meta, store, db)


def oxigraph_dir(path: Path) -> Path:
    """The pyoxigraph database of DIR: DIR/oxigraph for a prebuilt store, else DIR itself."""
    return path / "oxigraph" if (path / META).exists() else path
