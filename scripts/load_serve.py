"""HTTP load test of `kb serve` on loopback: concurrent clients running the named queries.

    python scripts/load_serve.py [--clients 50] [--duration 30] [--graph FILE | --store DIR]

Starts `kb serve` on a free 127.0.0.1 port, runs the clients for the duration, stops the
server and prints throughput, latency percentiles and errors (also saved as JSON for
BENCHMARKS.md). Every client keeps one connection and sends each named query in turn, with its
default parameters bound, as an application/sparql-query POST asking for JSON.
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
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"kb serve exited: {proc.stderr.read().strip()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("kb serve did not start within 120 s")


def client(port: int, queries: list[tuple[str, bytes]], offset: int, stop_at: float, out: list):
    """Send queries until stop_at; append (name, seconds, status or error) per request."""
    conn = None
    i = offset
    while time.monotonic() < stop_at:
        name, body = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
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
            resp.read()
            status = resp.status
            if resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            if conn is not None:
                conn.close()
            conn = None
        out.append((name, time.perf_counter() - t0, status))
    if conn is not None:
        conn.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
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
    port = free_port()
    server = start_server(args, port)
    results: list[list] = [[] for _ in range(args.clients)]
    try:
        started = time.monotonic()
        stop_at = started + args.duration
        threads = [
            threading.Thread(
                target=client, args=(port, queries, k, stop_at, results[k]), daemon=True
            )
            for k in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.0, stop_at - time.monotonic()) + 90)  # bounded even if stuck
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    rows = [r for per in results for r in per]
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
    }
    md = (
        f"{args.clients} concurrent clients for {elapsed:.0f} s against `kb serve` "
        f"({summary['workers']} query workers) over `{source}`, each sending the "
        f"{len(queries)} named queries in turn (`scripts/load_serve.py`):\n\n"
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
    )
    summary["markdown"] = md
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=1))
    os.replace(tmp, args.json)
    print(md)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
