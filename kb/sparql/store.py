"""The graph in pyoxigraph: a cached on-disk store keyed by the Turtle's hash, or in memory."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kb import graph as kbgraph
from kb.sparql.library import QueryError

DEFAULT_ENGINE = "oxigraph"


CACHE_ENV = "KB_STORE_CACHE"  # "0" turns the on-disk store cache off; a path moves it


def cache_root() -> Path | None:
    """Where on-disk stores are kept: build/oxigraph/ beside data/, or $KB_STORE_CACHE."""
    env = os.environ.get(CACHE_ENV)
    if env == "0":
        return None
    return Path(env) if env else Path(__file__).resolve().parent.parent / "build" / "oxigraph"


def _build_disk_store(path: Path, target: Path) -> None:
    """Parse the Turtle once into a RocksDB store at `target` (built aside, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        store = ox.Store(str(tmp / "db"))
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        store.flush()
        del store
        os.replace(tmp, target)  # atomic; fails if another process got there first
    except SyntaxError:
        shutil.rmtree(tmp, ignore_errors=True)
        kbgraph.load_store(path.parent)  # raises the loader's one-line error for bad Turtle
        raise
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    # keep the three newest stores; older ones belong to earlier versions of the file
    olds = sorted(
        (p for p in target.parent.iterdir() if not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )[3:]
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)


def disk_store(path: Path) -> ox.Store | None:
    """A read-only on-disk store of the Turtle file, keyed by its SHA-256; None if unavailable.

    Opening it takes ~20 ms where parsing the Turtle again takes ~70 ms of CPU today and grows
    with the graph (about 1.3 s at 10k papers), so `kb query` stays well under a second.
    """
    root = cache_root()
    if root is None:
        return None
    target = root / hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    try:
        if not target.exists():
            _build_disk_store(path, target)
        return ox.Store.read_only(str(target / "db"))
    except OSError:
        return None  # read-only checkout, full disk, ...: fall back to memory


@lru_cache(maxsize=4)
def _oxigraph_store(path: str, mtime: float, size: int) -> ox.Store:
    return disk_store(Path(path)) or kbgraph.load_store(Path(path).parent)


def oxigraph_store(data_dir: Path | None = None) -> ox.Store:
    """The graph in pyoxigraph: the on-disk cache when possible, else parsed into memory."""
    path = kbgraph.taxonomy_path(data_dir)
    if not path.exists():
        kbgraph.load_store(data_dir)  # raises the loader's one-line error
    stat = path.stat()
    return _oxigraph_store(str(path), stat.st_mtime, stat.st_size)


def load_file(path: Path, engine: str = DEFAULT_ENGINE) -> Any:
    """Any Turtle file as a `source` for run_named/run_text (pyoxigraph Store or rdflib Graph)."""
    if engine == "rdflib":
        return kbgraph.parse_turtle(Path(path))
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    except (SyntaxError, OSError) as exc:
        raise QueryError(f"{path}: cannot load Turtle ({exc})") from None
    return store
