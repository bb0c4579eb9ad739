"""HTTP load test of `kb serve` on loopback: concurrent clients running the named queries.

    python scripts/load_serve.py [--clients 50] [--heavy 10] [--duration 30] [--graph FILE | --store DIR]

Starts `kb serve` on a free 127.0.0.1 port, runs the clients for the duration, stops the
server and prints throughput, latency percentiles and errors (also saved as JSON for
BENCHMARKS.md). Every normal client keeps one connection and sends each named query in turn,
with its default parameters bound, as an application/sparql-query POST asking for JSON.

With --heavy N, N of the clients instead send expensive queries in turn (a sorted cartesian
product that grows memory fast, an aggregate over a four-way product that never ends, a string
doubled by CONCAT), waiting the Retry-After the server asks for. Each client has its own loopback
address (127.0.0.2, 127.0.0.3, ...), as distinct clients would, so per-client limits apply. The
figures for normal queries are reported apart, with the peak memory of the server and its
query processes together (sampled from /proc every 0.1 s).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.serve import named_query_text  # noqa: E402
from kb.sparql import list_queries  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, port: int) -> subprocess.Popen:
    cmd = [
        str(ROOT / ".venv" / "bin" / "kb"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--quiet",
        "--timeout",
        str(args.timeout),
    ]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.graph:
        cmd += ["--graph", str(args.graph)]
    if args.store:
        cmd += ["--store", str(args.store)]
    # stderr to a file: a pipe nobody reads would fill and block the server
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stderr=log, text=True)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            sys.exit(f"kb serve exited: {log.read().strip()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("kb serve did not start within 120 s")


HEAVY = [
    ("heavy-sort", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"),
    ("heavy-forever", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"),
    (
        "heavy-concat",
        'SELECT (STRLEN(?s) AS ?n) WHERE { ?x ?p ?o BIND(CONCAT(STR(?o), STR(?o), STR(?o), '
        "STR(?o), STR(?o), STR(?o), STR(?o), STR(?o)) AS ?t) BIND(CONCAT(?t, ?t, ?t, ?t, ?t, "
        "?t, ?t, ?t) AS ?s) } ORDER BY DESC(?s)",
    ),
]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


def sample_memory(pid: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(0.1):
        peak[0] = max(peak[0], tree_rss(pid))


why: Counter = Counter()  # the opening of each error answer, for the summary


def client(
    port: int,
    queries: list[tuple[str, bytes]],
    offset: int,
    stop_at: float,
    out: list,
    source: str = "127.0.0.1",
    polite: bool = False,
):
    """Send queries until stop_at; append (name, seconds, status or error) per request.

    A polite client sleeps for the Retry-After of a 503 or 429 before its next request."""
    conn = None
    i = offset
    while time.monotonic() < stop_at:
        name, body = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        retry = 0.0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=60, source_address=(source, 0)
                )
            conn.request(
                "POST",
                "/sparql",
                body=body,
                headers={
                    "Content-Type": "application/sparql-query",
                    "Accept": "application/sparql-results+json",
                },
            )
            resp = conn.getresponse()
            text = resp.read()
            status = resp.status
            if status != 200:
                why[text[:60].decode("utf-8", "replace").strip()] += 1
            if polite and status in (429, 503):
                retry = float(resp.headers.get("Retry-After") or 0)
            if resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            if conn is not None:
                conn.close()
            conn = None
        out.append((name, time.perf_counter() - t0, status))
        if retry:
            time.sleep(min(retry, max(0.0, stop_at - time.monotonic())))
    if conn is not None:
        conn.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--heavy", type=int, default=0, help="how many of the clients send heavy queries")
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--workers", type=int, help="query processes for kb serve [default: CPUs]")
    ap.add_argument("--timeout", type=float, default=10.0, help="kb serve --timeout")
    ap.add_argument("--graph", type=Path)
    ap.add_argument("--store", type=Path)
    ap.add_argument(
        "--json", type=Path, default=Path(tempfile.gettempdir()) / "kb-scale" / "load.json"
    )
    args = ap.parse_args()
    queries = [(q.name, named_query_text(q.name).encode()) for q in list_queries()]
    heavy = [(name, text.encode()) for name, text in HEAVY]
    port = free_port()
    server = start_server(args, port)
    results: list[list] = [[] for _ in range(args.clients)]
    peak = [tree_rss(server.pid)]
    idle_rss = peak[0]
    sampling = threading.Event()
    threading.Thread(target=sample_memory, args=(server.pid, sampling, peak), daemon=True).start()
    try:
        started = time.monotonic()
        stop_at = started + args.duration
        threads = []
        for k in range(args.clients):
            is_heavy = k < args.heavy
            source = f"127.0.{(k + 2) // 256}.{(k + 2) % 256}"
            threads.append(
                threading.Thread(
                    target=client,
                    args=(port, heavy if is_heavy else queries, k, stop_at, results[k]),
                    kwargs={"source": source, "polite": is_heavy},
                    daemon=True,
                )
            )
        for t in threads:
            t.start()
        # normal clients first: the throughput is over the time they ran, not the heavy tail
        for t in threads[args.heavy :] + threads[: args.heavy]:
            t.join(timeout=max(0.0, stop_at - time.monotonic()) + 90)  # bounded even if stuck
            if t is threads[-1]:
                elapsed = time.monotonic() - started
    finally:
        sampling.set()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    rows = [r for per in results[args.heavy :] for r in per]
    heavy_rows = [r for per in results[: args.heavy] for r in per]
    heavy_status = Counter(str(r[2]) for r in heavy_rows)
    ok = [r for r in rows if r[2] == 200]
    errors = Counter(str(r[2]) for r in rows if r[2] != 200)
    lat = [r[1] for r in ok] or [0.0]
    per_query = {}
    for name, _ in queries:
        mine = [r[1] for r in ok if r[0] == name]
        if mine:
            per_query[name] = statistics.median(mine)
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:3]
    source = args.store or args.graph or "data/taxonomy.ttl"
    summary = {
        "clients": args.clients,
        "duration": round(elapsed, 1),
        "requests": len(rows),
        "ok": len(ok),
        "errors": dict(errors),
        "throughput": len(ok) / elapsed,
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
        "p99": pct(lat, 99),
        "max": max(lat),
        "queries": len(queries),
        "source": str(source),
        "workers": args.workers or len(os.sched_getaffinity(0)),
        "heavy_clients": args.heavy,
        "heavy_requests": len(heavy_rows),
        "heavy_status": dict(heavy_status),
        "error_reasons": dict(why.most_common(8)),
        "rss_idle_mb": idle_rss / 2**20,
        "rss_peak_mb": peak[0] / 2**20,
        "load_average": os.getloadavg(),
    }
    mix = (
        f", {args.heavy} of them sending heavy queries in turn ({', '.join(n for n, _ in HEAVY)}) "
        f"and the other {args.clients - args.heavy}"
        if args.heavy
        else ", each"
    )
    md = (
        f"{args.clients} concurrent clients for {elapsed:.0f} s against `kb serve` "
        f"({summary['workers']} query workers) over `{source}`{mix} sending the "
        f"{len(queries)} named queries in turn (`scripts/load_serve.py"
        f"{f' --heavy {args.heavy}' if args.heavy else ''}`); the table counts "
        f"{'the normal queries' if args.heavy else 'every request'}:\n\n"
        "| requests | answered 200 | errors | throughput | p50 latency | p95 latency | p99 | max |"
        "\n"
        "|---|---|---|---|---|---|---|---|\n"
        f"| {len(rows)} | {len(ok)} | {sum(errors.values())}"
        f"{' (' + ', '.join(f'{k}: {v}' for k, v in errors.items()) + ')' if errors else ''} | "
        f"{summary['throughput']:.1f} req/s | {summary['p50'] * 1000:.0f} ms | "
        f"{summary['p95'] * 1000:.0f} ms | {summary['p99'] * 1000:.0f} ms | "
        f"{summary['max'] * 1000:.0f} ms |\n\n"
        "Slowest queries by median latency under load (queueing included): "
        + ", ".join(f"`{n}` {s * 1000:.0f} ms" for n, s in slowest)
        + "."
        + (
            f" Heavy clients: {len(heavy_rows)} requests, answered "
            + ", ".join(f"{k}: {v}" for k, v in sorted(heavy_status.items()))
            + "."
            if args.heavy
            else ""
        )
        + f" Server and query processes together: {summary['rss_idle_mb']:.0f} MB resident "
        f"at start, peak {summary['rss_peak_mb']:.0f} MB. Load average at the end "
        + ", ".join(f"{x:.1f}" for x in summary["load_average"])
        + " (the machine is shared)."
    )
    summary["markdown"] = md
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=1))
    os.replace(tmp, args.json)
    print(md)
    for reason, n in why.most_common(8):
        print(f"  {n} × {reason}", file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
