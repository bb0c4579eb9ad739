"""Query execution in worker processes that can be killed when a query runs past its deadline.

pyoxigraph cannot cancel a running query, and a query with ORDER BY, GROUP BY or an aggregate
computes everything before its first row, so a thread could only be abandoned, burning a core
for ever. A process can be killed; the pool then starts a fresh one in the background.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kb.serve import results


@dataclass(frozen=True)
class Source:
    """Where the graph comes from: a Turtle/N-Triples file loaded in memory, or an on-disk store."""

    path: Path
    on_disk: bool = False

    def open(self) -> ox.Store:
        """Open the store: read-only for an on-disk store, else bulk-load the file in memory."""
        if self.on_disk:
            return ox.Store.read_only(str(self.path))
        store = ox.Store()
        fmt = ox.RdfFormat.from_extension(self.path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
        store.bulk_load(path=str(self.path), format=fmt)
        return store


@dataclass(frozen=True)
class Request:
    query: str
    accept: str | None = None
    fmt: str | None = None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def text_reply(status: int, message: str) -> Reply:
    """A one-line plain-text reply (errors and refusals)."""
    return Reply(status, (message.rstrip() + "\n").encode())


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def execute(store: ox.Store, req: Request, max_rows: int, timeout: float, prefixes) -> Reply:
    """Run one query and serialise its result (runs inside a worker process)."""
    deadline = time.monotonic() + timeout
    kwargs = {"prefixes": prefixes}
    if req.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in req.default_graphs]
    if req.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in req.named_graphs]
    try:
        result = store.query(req.query, **kwargs)
    except SyntaxError as exc:
        return text_reply(400, f"SPARQL syntax error: {_first_line(exc)}")
    except ValueError as exc:
        return text_reply(400, f"bad request: {_first_line(exc)}")
    kind = results.kind_of(result)
    fmt = results.negotiate(kind, req.accept, req.fmt)
    if fmt is None:
        wanted = req.fmt or req.accept
        offered = ", ".join(results.GRAPH_FORMATS if kind == "graph" else results.TABLE_FORMATS)
        return text_reply(406, f"cannot answer this query as {wanted}; ask for one of: {offered}")
    try:
        body, truncated = results.serialise(result, fmt, max_rows, deadline, prefixes)
    except results.Deadline:
        return text_reply(503, f"query exceeded the time limit of {timeout:g} s; narrow it")
    except (OSError, SyntaxError, ValueError) as exc:  # evaluation errors surface while iterating
        return text_reply(400, f"query failed: {_first_line(exc)}")
    headers = {"X-Result-Truncated": f"at {max_rows} rows"} if truncated else {}
    return Reply(200, body, results.media_type(fmt), headers)


def _worker_main(conn, source: Source, max_rows: int, timeout: float, prefixes) -> None:
    try:
        store = source.open()
    except Exception as exc:  # report any failure to open the graph as one line to the parent
        conn.send(f"error: {exc}")
        return
    conn.send("ready")
    while True:
        try:
            req = conn.recv()
        except EOFError:
            return
        conn.send(execute(store, req, max_rows, timeout, prefixes))


class _Worker:
    def __init__(self, ctx, source: Source, max_rows: int, timeout: float, prefixes) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main, args=(child, source, max_rows, timeout, prefixes), daemon=True
        )
        self.proc.start()
        child.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class WorkerPool:
    """A fixed set of query processes; a request borrows one; a stuck one is killed and replaced."""

    def __init__(self, source: Source, size: int, timeout: float, max_rows: int, prefixes) -> None:
        self.source, self.size, self.timeout, self.max_rows = source, size, timeout, max_rows
        self.prefixes = dict(prefixes)
        # forkserver: never fork the threaded HTTP process itself
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._ctx = mp.get_context(method)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.killed = 0
        for w in [self._new() for _ in range(size)]:
            self._await_ready(w, startup=True)

    def _new(self) -> _Worker:
        w = _Worker(self._ctx, self.source, self.max_rows, self.timeout, self.prefixes)
        with self._lock:
            self._all.add(w)
        return w

    def _await_ready(self, w: _Worker, startup: bool = False) -> None:
        try:
            status = w.conn.recv() if w.conn.poll(600) else "error: timed out opening the graph"
        except (EOFError, OSError):
            status = "error: the worker exited"
        if status == "ready":
            self._idle.put(w)
        elif startup:
            self.close()
            raise RuntimeError(f"{self.source.path}: cannot open the graph ({status[7:]})")

    def _replace(self, w: _Worker) -> None:
        with self._lock:
            self._all.discard(w)
        w.kill()
        self.killed += 1
        fresh = self._new()
        threading.Thread(target=self._await_ready, args=(fresh,), daemon=True).start()

    def pids(self) -> set[int]:
        """Process ids of the live workers (for tests and monitoring)."""
        with self._lock:
            return {w.proc.pid for w in self._all if w.proc.pid}

    def run(self, req: Request) -> Reply:
        """Run a query in a free worker; 503 when none frees up in time or the query overruns."""
        try:
            w = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            return text_reply(503, "server busy: every query worker is taken; retry shortly")
        try:
            w.conn.send(req)
            # grace beyond the worker's own deadline check, which only runs between rows
            if w.conn.poll(self.timeout + 1.0):
                reply = w.conn.recv()
                self._idle.put(w)
                return reply
        except (EOFError, OSError):
            self._replace(w)
            return text_reply(500, "the query worker died (out of memory?); the query was dropped")
        self._replace(w)
        return text_reply(503, f"query exceeded the time limit of {self.timeout:g} s; narrow it")

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._all = list(self._all), set()
        for w in workers:
            w.kill()


def worker_count() -> int:
    """Default number of query workers: the CPUs this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2)
