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

        def load(db: ox.Store) -> None:
            try:
                db.bulk_load(path=str(source), format=fmt)
                db.flush()
            except BaseException as exc:  # re-raised below, in the calling thread
                failed.append(exc)
            seconds["oxigraph"] = round(time.perf_counter() - started, 1)
            progress(f"oxigraph: loaded in {seconds['oxigraph']} s")

        # N-Triples: the side index reads the source while pyoxigraph loads it (it releases the
        # GIL), so the build takes the longer of the two, not their sum. Turtle: after, from a dump.
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
                counts = build_index(nt, tmp / "index.sqlite", sha, progress)
            except NTriplesError as exc:
                index_error = exc
        loader.join()
        seconds["index"] = round(time.perf_counter() - started, 1)
        if failed:
            if isinstance(failed[0], SyntaxError):
                raise StoreError(
                    f"{source}: not valid {fmt.name} ({failed[0]}); fix the file or re-export it"
                ) from None
            raise failed[0]
        if index_error is not None:
            raise StoreError(f"{source}: {index_error}; fix the file or re-export it") from None
        from kb.store import records  # it opens stores too: imported here, not at the top

        counts["papers"] = records.write(store, tmp / "index.sqlite")
        seconds["records"] = round(time.perf_counter() - started, 1)
        progress(f"coverage records: {counts['papers']:,} papers, {seconds['records']} s after start")
        del store
        if nt != source:
            nt.unlink()
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
