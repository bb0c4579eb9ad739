"""Query execution in worker processes that can be killed when a query runs past its deadline.

pyoxigraph cannot cancel a running query, and a query with ORDER BY, GROUP BY or an aggregate
computes everything before its first row, so a thread could only be abandoned, burning a core
for ever. A process can be killed; the pool then starts a fresh one in the background.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kb.serve import results
from kb.serve.limits import Limits


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
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return line if len(line) <= 300 else line[:300] + "..."


def busy_reply(message: str, retry_after: int) -> Reply:
    """503 with Retry-After: the server is saturated, not the query wrong; come back later."""
    reply = text_reply(503, message)
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def execute(
    store: ox.Store,
    req: Request,
    max_rows: int,
    timeout: float,
    prefixes,
    max_response: int | None = None,
) -> Reply:
    """Run one query and serialise its result (runs inside a worker process)."""
    deadline = time.monotonic() + timeout
    kwargs = {"prefixes": prefixes}
    try:
        if req.default_graphs:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in req.default_graphs]
        if req.named_graphs:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in req.named_graphs]
    except ValueError as exc:
        return text_reply(400, f"bad graph IRI in default-graph-uri or named-graph-uri: {_first_line(exc)}")
    try:
        result = store.query(req.query, **kwargs)
    except SyntaxError as exc:
        return text_reply(400, f"SPARQL syntax error: {_first_line(exc)}")
    except ValueError as exc:
        return text_reply(400, f"bad request: {_first_line(exc)}")
    except MemoryError:
        return text_reply(503, "query exceeded the memory limit; narrow it")
    except Exception as exc:  # anything else the engine raises is still one line, never a dead worker
        return text_reply(500, f"query failed: {_first_line(exc)}")
    kind = results.kind_of(result)
    fmt = results.negotiate(kind, req.accept, req.fmt)
    if fmt is None:
        wanted = req.fmt or req.accept or ""
        wanted = wanted if len(wanted) <= 80 else wanted[:80] + "..."  # never echo a huge header
        offered = ", ".join(results.GRAPH_FORMATS if kind == "graph" else results.TABLE_FORMATS)
        return text_reply(406, f"cannot answer this query as {wanted}; ask for one of: {offered}")
    try:
        body, truncated = results.serialise(
            result, fmt, max_rows, deadline, prefixes, max_bytes=max_response
        )
    except results.Deadline:
        return text_reply(503, f"query exceeded the time limit of {timeout:g} s; narrow it")
    except results.TooLarge:
        return text_reply(
            503,
            f"the answer would exceed the response limit of {max_response} bytes; "
            "select fewer or shorter values, or add LIMIT",
        )
    except MemoryError:
        return text_reply(503, "query exceeded the memory limit; narrow it")
    except (OSError, SyntaxError, ValueError) as exc:  # evaluation errors surface while iterating
        return text_reply(400, f"query failed: {_first_line(exc)}")
    except Exception as exc:
        return text_reply(500, f"query failed: {_first_line(exc)}")
    headers = {"X-Result-Truncated": f"at {max_rows} rows"} if truncated else {}
    return Reply(200, body, results.media_type(fmt), headers)


def _data_size() -> int | None:
    """This process's data segment in bytes (what RLIMIT_DATA counts), from /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def cap_memory(extra: int) -> None:
    """Let this process's heap grow by at most `extra` bytes beyond its current size (OS-enforced).

    RLIMIT_DATA counts the heap and private anonymous mappings, which is what a query's
    intermediate results take; the engine aborts the process when an allocation is refused, the
    pool sees the worker die and answers 503.
    """
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort at the cap must not dump its heap
    used = _data_size()
    if used is None:
        return
    limit = used + extra
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _worker_main(conn, source: Source, limits: Limits, prefixes) -> None:
    try:
        store = source.open()
        cap_memory(limits.max_memory)
    except Exception as exc:  # report any failure to open the graph as one line to the parent
        conn.send(f"error: {exc}")
        return
    conn.send("ready")
    while True:
        try:
            req = conn.recv()
        except EOFError:
            return
        conn.send(
            execute(store, req, limits.max_rows, limits.timeout, prefixes, limits.max_response)
        )


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class _Worker:
    def __init__(self, ctx, source: Source, limits: Limits, prefixes) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main, args=(child, source, limits, prefixes), daemon=True
        )
        self.proc.start()
        child.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def cpu_seconds(self) -> float:
        """CPU time the process has used (user + system) from /proc; wall time where unknown."""
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            return time.monotonic()

    def renice(self) -> None:
        """Lowest CPU priority: a long query may use idle cores but never delays the normal lane."""
        try:
            os.setpriority(os.PRIO_PROCESS, self.proc.pid or 0, 19)
        except (OSError, AttributeError):
            pass


SPARES = 2  # ready workers held back for the normal lane


def query_key(text: str) -> str:
    """The same query however it is spaced or commented (to remember which ones run long)."""
    from kb.serve.guard import inspect

    return inspect(text).key


class WorkerPool:
    """Query processes in two lanes, so that expensive queries never starve the normal ones.

    Every query starts in the normal lane (`limits.workers` processes, a bounded queue in front).
    One still running after `limits.slow_after` seconds moves to the slow lane: its process is
    reniced to the lowest priority and a fresh one takes its place in the normal lane. At most
    `limits.slow_lane` queries run there; when it is full the query is stopped (503 + Retry-After).
    A query text that ran long, and every query of a client whose query was stopped (for
    `limits.flag_for` seconds), goes straight to the slow lane next time. Each client may have
    `limits.per_client` requests in progress. Every process has its memory capped by the OS.
    """

    def __init__(self, source: Source, limits: Limits, prefixes) -> None:
        self.source, self.limits = source, limits
        self.size, self.timeout = limits.workers, limits.timeout
        self.prefixes = dict(prefixes)
        # forkserver: never fork the threaded HTTP process itself
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._ctx = mp.get_context(method)
        if method == "forkserver":  # workers fork with the engine imported: they start in ~0.2 s
            self._ctx.set_forkserver_preload(["kb.serve.worker"])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        # started workers kept ready: one takes the place of a worker that leaves the normal lane
        # at once, instead of the lane running short while a fresh process loads the graph
        self._spares: queue.Queue[_Worker] = queue.Queue()
        self._slow_idle: list[_Worker] = []
        self._slow_busy = 0
        self._probation_busy = 0  # long queries waiting on probation while the slow lane is full
        self._waiting = 0
        self._in_progress: Counter[str] = Counter()
        self._flagged: dict[str, float] = {}
        self._slow_keys: OrderedDict[str, None] = OrderedDict()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self.killed = 0
        for w in [self._new() for _ in range(self.size + SPARES)]:
            self._await_ready(w, startup=True)
        for _ in range(SPARES):
            self._spares.put(self._idle.get())

    def _new(self) -> _Worker:
        w = _Worker(self._ctx, self.source, self.limits, self.prefixes)
        with self._lock:
            self._all.add(w)
        return w

    def _ready(self, w: _Worker, wait: float = 600) -> str:
        try:
            return w.conn.recv() if w.conn.poll(wait) else "error: timed out opening the graph"
        except (EOFError, OSError):
            return "error: the worker exited"

    def _await_ready(self, w: _Worker, startup: bool = False) -> None:
        status = self._ready(w)
        if status == "ready":
            self._idle.put(w)
        elif startup:
            self.close()
            raise RuntimeError(f"{self.source.path}: cannot open the graph ({status[7:]})")
        else:
            self._drop(w)

    def _drop(self, w: _Worker) -> None:
        with self._lock:
            self._all.discard(w)
        w.kill()

    def _await_spare(self, w: _Worker) -> None:
        if self._ready(w) == "ready":
            self._spares.put(w)
        else:
            self._drop(w)

    def _spawn_normal(self) -> None:
        """Fill the place of a worker that left the normal lane: a spare now, a new spare later."""
        try:
            self._idle.put(self._spares.get_nowait())
            target = self._await_spare
        except queue.Empty:
            target = self._await_ready
        threading.Thread(target=target, args=(self._new(),), daemon=True).start()

    def _replace(self, w: _Worker) -> None:
        self._drop(w)
        self.killed += 1
        self._spawn_normal()

    def pids(self) -> set[int]:
        """Process ids of the live workers (for tests and monitoring)."""
        with self._lock:
            return {w.proc.pid for w in self._all if w.proc.pid}

    # admission -----------------------------------------------------------------------------

    def _flag(self, client: str) -> None:
        with self._lock:
            self._flagged[client] = time.monotonic() + self.limits.flag_for
            if len(self._flagged) > 10_000:  # forget expired flags; the table stays bounded
                now = time.monotonic()
                self._flagged = {c: t for c, t in self._flagged.items() if t > now}

    def _remember_slow(self, key: str) -> None:
        with self._lock:
            self._slow_keys[key] = None
            self._slow_keys.move_to_end(key)
            while len(self._slow_keys) > 4096:
                self._slow_keys.popitem(last=False)

    def _goes_slow(self, key: str, client: str) -> bool:
        with self._lock:
            return key in self._slow_keys or self._flagged.get(client, 0.0) > time.monotonic()

    def _claim_slow(self) -> bool:
        """Take a slow-lane slot; False when the lane is full."""
        with self._lock:
            if self._slow_busy >= self.limits.slow_lane:
                return False
            self._slow_busy += 1
            surplus = self._slow_idle[: max(0, self._slow_busy + len(self._slow_idle) - self.limits.slow_lane)]
            del self._slow_idle[: len(surplus)]
        for w in surplus:
            self._drop(w)
        return True

    def _release_slow(self, w: _Worker | None, probation: bool = False) -> None:
        with self._lock:
            if probation:
                self._probation_busy -= 1
            else:
                self._slow_busy -= 1
            if w is not None and self._slow_busy + len(self._slow_idle) < self.limits.slow_lane:
                self._slow_idle.append(w)
                w = None
        if w is not None:
            self._drop(w)

    def _lane_full(self) -> Reply:
        return busy_reply(
            f"too many long-running queries: at most {self.limits.slow_lane} run at once; "
            "retry later or narrow the query",
            max(1, round(self.timeout / 2)),
        )

    # running -------------------------------------------------------------------------------

    def run(self, req: Request, client: str = "", key: str | None = None) -> Reply:
        """Answer a request: 429 over the client's share, 503 + Retry-After when saturated."""
        with self._lock:
            if self._in_progress[client] >= self.limits.per_client:
                reply = text_reply(
                    429,
                    f"too many requests in progress from {client or 'this client'} "
                    f"(at most {self.limits.per_client}); wait for your answers first",
                )
                reply.headers["Retry-After"] = "1"
                return reply
            self._in_progress[client] += 1
        try:
            key = key or query_key(req.query)
            if self._goes_slow(key, client):
                return self._run_slow(req, client)
            return self._run_normal(req, client, key)
        finally:
            with self._lock:
                self._in_progress[client] -= 1
                if not self._in_progress[client]:
                    del self._in_progress[client]

    def _take_normal(self) -> _Worker | None:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._waiting >= self.limits.queue:
                return None
            self._waiting += 1
        try:
            return self._idle.get(timeout=self.limits.queue_wait)
        except queue.Empty:
            return None
        finally:
            with self._lock:
                self._waiting -= 1

    def _died(self, w: _Worker, client: str) -> Reply:
        self._flag(client)
        w.proc.join(1)
        code = w.proc.exitcode
        if code == -signal.SIGABRT:  # the engine aborts when the OS refuses an allocation
            why = f"query exceeded the memory limit of {self.limits.max_memory // 2**20} MB"
        else:
            why = f"the query stopped its worker (exit {code})"
        return text_reply(503, f"{why}; narrow it")

    def _run_normal(self, req: Request, client: str, key: str) -> Reply:
        w = self._take_normal()
        if w is None:
            return busy_reply("server busy: every query worker is taken; retry shortly", 1)
        if self._goes_slow(key, client):  # learnt while it waited (the same query ran long)
            self._idle.put(w)
            return self._run_slow(req, client)
        started = time.monotonic()
        try:
            cpu0 = w.cpu_seconds()
            w.conn.send(req)
            if w.conn.poll(self.limits.slow_after):
                reply = w.conn.recv()
                self._idle.put(w)
                return reply
        except (EOFError, OSError):
            self._replace(w)
            return self._died(w, client)
        # Still running: it leaves the normal lane (reniced; a ready spare takes its place).
        if self._claim_slow():
            w.renice()
            self._spawn_normal()
            return self._finish_slow(w, client, self.timeout - (time.monotonic() - started), key, cpu0)
        if not self._claim_probation():
            self._replace(w)
            self._flag(client)
            return self._lane_full()
        w.renice()
        self._spawn_normal()
        return self._probation(w, client, key, cpu0, started)

    def _claim_probation(self) -> bool:
        with self._lock:
            if self._probation_busy >= self.limits.slow_lane:
                return False
            self._probation_busy += 1
            return True

    def _probation(self, w: _Worker, client: str, key: str, cpu0: float, started: float) -> Reply:
        """The slow lane is full: let the query finish at low priority while it has used less than
        slow_after of CPU (on a busy machine an ordinary query may have waited for a core and must
        not be stopped as a heavy one); a query that uses more is stopped."""
        try:
            while time.monotonic() - started < self.timeout:
                if w.conn.poll(self.limits.slow_after / 5):
                    reply = w.conn.recv()
                    self._release_slow(w, probation=True)
                    return reply
                if w.cpu_seconds() - cpu0 >= self.limits.slow_after:
                    break
        except (EOFError, OSError):
            self._drop(w)
            self._release_slow(None, probation=True)
            self._remember_slow(key)
            return self._died(w, client)
        self._drop(w)
        self.killed += 1
        self._release_slow(None, probation=True)
        self._flag(client)
        self._remember_slow(key)
        return self._lane_full()

    def _run_slow(self, req: Request, client: str) -> Reply:
        if not self._claim_slow():
            return self._lane_full()
        with self._lock:
            w = self._slow_idle.pop() if self._slow_idle else None
        if w is None:
            w = self._new()
            w.renice()
            if self._ready(w, wait=60) != "ready":
                self._drop(w)
                self._release_slow(None)
                return busy_reply("server busy: cannot start a query worker; retry shortly", 5)
        try:
            w.conn.send(req)
        except OSError:
            self._drop(w)
            self._release_slow(None)
            return self._died(w, client)
        return self._finish_slow(w, client, self.timeout)

    def _finish_slow(
        self, w: _Worker, client: str, left: float, key: str | None = None, cpu0: float = 0.0
    ) -> Reply:
        try:
            # grace beyond the worker's own deadline check, which only runs between rows
            if w.conn.poll(max(0.0, left) + 1.0):
                reply = w.conn.recv()
                if reply.status == 503:
                    self._flag(client)
                # remembered only if it really is heavy, not an ordinary query that waited for a
                # core on a busy machine (every client sends those)
                if key and (reply.status == 503 or w.cpu_seconds() - cpu0 >= self.limits.slow_after):
                    self._remember_slow(key)
                self._release_slow(w)
                return reply
        except (EOFError, OSError):
            if key:
                self._remember_slow(key)
            self._drop(w)
            self._release_slow(None)
            return self._died(w, client)
        if key:
            self._remember_slow(key)
        self._drop(w)
        self.killed += 1
        self._release_slow(None)
        self._flag(client)
        return text_reply(503, f"query exceeded the time limit of {self.timeout:g} s; narrow it")

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            workers, self._all = list(self._all), set()
            self._slow_idle = []
        for w in workers:
            w.kill()


def worker_count() -> int:
    """Default number of query workers: the CPUs this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2)
