"""Scale benchmark: load, named queries, coverage and SQLite export on synthetic graphs.

    python scripts/bench_scale.py --sizes 10000 100000 1000000 [--engines rdflib oxigraph-mem
        oxigraph-disk] [--work /tmp/kb-scale] [--repeat 3] [--out BENCHMARKS.md]

Every measurement runs in a child process (so peak memory is that measurement's own, read with
resource.getrusage), under a time limit and a resident-memory limit; a query that overruns is
recorded as such and the child restarts after it. Results accumulate in WORK/results.json, keyed
by size and engine, and BENCHMARKS.md is rendered from everything in it, so sizes and engines can
be run at different times. Synthetic graphs come from scripts/synth.py (made when missing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.vocab import SPARQL_PREFIXES  # noqa: E402

ENGINES = ("rdflib", "oxigraph-mem", "oxigraph-disk")
STORE = "store"  # `kb store build` + kb.store.run_named (#16): rendered in its own section
PAGE = 1000  # rows per page for the store's listings (`kb query --limit 1000`); totals counted too


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(**event) -> None:
    print(json.dumps(event), flush=True)


# ---------------------------------------------------------------- child side


def _open(engine: str, nt: Path, store_dir: Path, build: bool):
    """Load or open the graph; emits the load (or open) event and returns the engine's source."""
    t0 = time.perf_counter()
    if engine == "rdflib":
        import rdflib

        g = rdflib.Graph()
        g.parse(str(nt), format="nt")
        emit(event="load", seconds=time.perf_counter() - t0, triples=len(g), peak_mb=peak_mb())
        return g
    import pyoxigraph as ox

    if engine == "oxigraph-mem":
        store = ox.Store()
        store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
        emit(event="load", seconds=time.perf_counter() - t0, triples=len(store), peak_mb=peak_mb())
        return store
    if build:
        store = ox.Store(str(store_dir))
        store.bulk_load(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        seconds = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file())
        emit(event="load", seconds=seconds, triples=len(store), peak_mb=peak_mb(), disk_mb=size / 1e6)
        del store
        t0 = time.perf_counter()
    store = ox.Store.read_only(str(store_dir))
    emit(event="open", seconds=time.perf_counter() - t0, peak_mb=peak_mb())
    return store


def _timed(fn, repeat: int) -> tuple[float, int]:
    """Median seconds over `repeat` runs (one run when the first takes over 10 s) and the rows."""
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - t0)
        if times[0] > 10:
            break
    return statistics.median(times), n


# The real GCG method and its paper are templates in a synthetic graph, not members of it: point
# the queries that take one resource at a synthetic method and paper drawn from them (untimed).
PICKS = {
    "method": 'SELECT ?x WHERE { ?x a kb:Method ; rdfs:label ?l FILTER(STRSTARTS(?l, "GCG-")) } LIMIT 1',
    "item": "SELECT ?x WHERE { ?m a kb:Method ; rdfs:label ?l ; kb:proposedIn ?x "
    'FILTER(STRSTARTS(?l, "GCG-")) } LIMIT 1',
}


def _synthetic_params(src) -> dict[str, str]:
    from kb.sparql import run_text

    engine = "oxigraph" if type(src).__module__.startswith("pyoxigraph") else "rdflib"
    out = {}
    for param, query in PICKS.items():
        rows = run_text(SPARQL_PREFIXES + query, engine=engine, source=src, compact_iris=False)
        if rows:
            out[param] = rows[0]["x"]
    return out


def _store_child(spec: dict) -> None:
    """The prebuilt store: build (or open), every named question paged, coverage, `kb query`."""
    from kb import store as kbstore
    from kb.sparql import get_query

    out = Path(spec["store_dir"])
    if spec["build"]:
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        meta = kbstore.build_store(Path(spec["nt"]), out)
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        emit(
            event="load",
            seconds=time.perf_counter() - t0,
            cpu=time.process_time() - cpu0,
            phases=meta["seconds"],
            triples=meta["indexed_triples"],
            peak_mb=peak_mb(),
            disk_mb=size / 1e6,
        )
    else:  # --reuse-store: a store built by `kb store build` (under /usr/bin/time -v for its peak)
        meta = kbstore.read_meta(out) or {}
        emit(
            event="load",
            seconds=meta["seconds"]["total"],
            cpu=spec.get("build_cpu_s"),
            phases=meta["seconds"],
            triples=meta["indexed_triples"],
            peak_mb=spec.get("build_peak_mb"),
            disk_mb=sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6,
        )
    t0 = time.perf_counter()
    store = kbstore.open_store(out)
    emit(event="open", seconds=time.perf_counter() - t0, peak_mb=peak_mb())
    params = _synthetic_params(store.ox)
    for name in spec["queries"]:
        emit(event="start", name=name)
        bound = {k: v for k, v in params.items() if k in {p.name for p in get_query(name).params}}
        total = 0

        def page(n=name, b=bound) -> int:
            nonlocal total
            rows = kbstore.run_named(store, n, b, limit=PAGE)
            total = rows.total
            return len(rows)

        secs, n = _timed(page, spec["repeat"])
        emit(event="query", name=name, median=secs, rows=n, total=total)
    if spec.get("coverage"):
        emit(event="start", name="coverage")
        from kb.coverage import build_report
        from kb.coverage.bibin import read_references
        from kb.store import records

        t0 = time.perf_counter()
        # what `kb coverage --store` opens: lookups into the records, never all of them read
        index, ranking, areas = records.open_coverage(out)
        t1 = time.perf_counter()
        entries, malformed = read_references(Path(spec["bib"]))
        report = build_report(entries, malformed, None, areas, index=index, ranking=ranking)
        t2 = time.perf_counter()
        # the whole process as a user runs it (start, classifier and JSON included): wall and CPU
        walls, cpus, kb_cmd = [], [], str(Path(sys.executable).parent / "kb")
        for _ in range(spec["repeat"]):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            w0 = time.perf_counter()
            subprocess.run(
                [kb_cmd, "coverage", spec["bib"], "--store", str(out), "--format", "json"],
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - w0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        emit(
            event="coverage",
            records=t1 - t0,
            match=t2 - t1,
            process=statistics.median(walls),
            process_cpu=statistics.median(cpus),
            load=os.getloadavg()[0],
            entries=len(entries),
            matched=report["summary"]["matched"],
        )
    if spec.get("cli"):  # the whole `kb query` process, as a user runs it (one run each)
        kb = Path(sys.executable).parent / "kb"
        for name in spec.get("all_queries", spec["queries"]):
            emit(event="start", name=f"cli:{name}")
            t0 = time.perf_counter()
            subprocess.run(
                [str(kb), "query", name, "--store", str(out), "--limit", str(PAGE), "--format", "json"],
                check=True,
                capture_output=True,
            )
            emit(event="cli", name=name, seconds=time.perf_counter() - t0)
    emit(event="done", peak_mb=peak_mb())


def child(spec: dict) -> None:
    """Run the measurements in `spec` in this process, one JSON line per result."""
    from kb.sparql import get_query, run_named

    engine = spec["engine"]
    if engine == STORE:
        _store_child(spec)
        return
    src = _open(engine, Path(spec["nt"]), Path(spec["store_dir"]), spec["build"])
    ox_engine = "rdflib" if engine == "rdflib" else "oxigraph"
    params = _synthetic_params(src)
    for name in spec["queries"]:
        emit(event="start", name=name)
        bound = {k: v for k, v in params.items() if k in {p.name for p in get_query(name).params}}
        secs, n = _timed(
            lambda n=name, b=bound: len(run_named(n, b, engine=ox_engine, source=src)),
            spec["repeat"],
        )
        emit(event="query", name=name, median=secs, rows=n)
    if engine != "rdflib" and spec.get("coverage"):
        emit(event="start", name="coverage")
        from kb.coverage import build_report
        from kb.coverage.bibin import read_references
        from kb.coverage.source import areas_from_store, papers_from_store

        t0 = time.perf_counter()
        papers = papers_from_store(src)
        areas = areas_from_store(src)
        t1 = time.perf_counter()
        entries, malformed = read_references(Path(spec["bib"]))
        report = build_report(entries, malformed, papers, areas)
        t2 = time.perf_counter()
        emit(
            event="coverage",
            records=t1 - t0,
            match=t2 - t1,
            entries=len(entries),
            matched=report["summary"]["matched"],
        )
    if engine != "rdflib" and spec.get("export"):
        emit(event="start", name="export")
        from kb.export.sqlite_export import export_sqlite
        from kb.tables import build_tables

        out = Path(tempfile.mkdtemp(dir=spec["work"])) / "kb.db"
        t0 = time.perf_counter()
        tables = build_tables(src)
        t1 = time.perf_counter()
        export_sqlite(out, tables)
        t2 = time.perf_counter()
        emit(
            event="export",
            tables=t1 - t0,
            write=t2 - t1,
            seconds=t2 - t0,
            mb=out.stat().st_size / 1e6,
        )
        out.unlink()
    emit(event="done", peak_mb=peak_mb())


# ---------------------------------------------------------------- parent side


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(spec: dict, first_timeout: float, step_timeout: float, mem_mb: float) -> list[dict]:
    """Run a child and collect its events; stop it on a time or memory overrun (an event too)."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()

    def pump() -> None:  # a thread, so the parent can watch time and memory while it waits
        for text in proc.stdout:
            lines.put(text)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    events: list[dict] = []
    deadline = time.monotonic() + first_timeout
    current = "load"
    while True:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            line = ""
        if line is None:
            proc.wait()
            break
        if line:
            ev = json.loads(line)
            events.append(ev)
            if ev["event"] != "start":
                print(f"    {ev}", file=sys.stderr)
            current = ev.get("name", current) if ev["event"] == "start" else current
            deadline = time.monotonic() + step_timeout
            continue
        rss = rss_mb(proc.pid)
        over = "time" if time.monotonic() > deadline else "memory" if rss > mem_mb else None
        if over:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            limit = (
                f"{first_timeout if current == 'load' else step_timeout:.0f} s"
                if over == "time"
                else f"{mem_mb:.0f} MB RSS"
            )
            events.append({"event": "overrun", "name": current, "limit": limit, "kind": over})
            print(f"    stopped: {current} exceeded {limit}", file=sys.stderr)
            break
    if proc.returncode not in (0, -9) and not any(e["event"] == "overrun" for e in events):
        events.append(
            {
                "event": "overrun",
                "name": current,
                "limit": f"exit {proc.returncode}",
                "kind": "crash",
            }
        )
    return events


def measure(n: int, engine: str, args, names: list[str]) -> dict:
    """All measurements for one size and engine."""
    nt, bib = args.work / f"synth-{n}.nt", args.work / f"synth-{n}.bib"
    if not nt.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "synth.py"),
                str(n),
                str(args.work),
                "--bib",
                "2000",
            ],
            check=True,
        )
    store_dir = args.work / f"store-{n}"
    result: dict = {"size": n, "engine": engine, "queries": {}, "overruns": []}
    if args.previous:  # keep what earlier runs measured; this run overwrites what it measures
        result["queries"] = dict(args.previous.get("queries", {}))
        result.update({k: v for k, v in args.previous.items() if k in ("coverage", "export", "cli")})
    todo, build = list(names), engine in ("oxigraph-disk", STORE)
    if engine == STORE and args.reuse_store and (store_dir / "store.json").exists():
        build = False
    if build and args.reuse_store and store_dir.exists() and args.previous:
        build = False  # open the store the earlier run built; keep that run's load figures
        result.update({k: v for k, v in args.previous.items() if k in ("load", "open", "peak_mb")})
    if build and store_dir.exists():
        subprocess.run(["rm", "-rf", str(store_dir)], check=True)
    extras = {
        "coverage": "coverage" in args.steps,
        "export": "export" in args.steps and engine != STORE,
        "cli": "cli" in args.steps and engine == STORE,
    }
    if "queries" not in args.steps:
        todo = []
    for _attempt in range(args.max_restarts + 1):
        spec = {
            "engine": engine,
            "nt": str(nt),
            "bib": str(bib),
            "store_dir": str(store_dir),
            "build": build,
            "queries": todo,
            "repeat": args.repeat,
            "work": str(args.work),
            "build_peak_mb": args.build_peak_mb,
            "build_cpu_s": args.build_cpu_s,
            "all_queries": list(names),
            **extras,
        }
        events = run_child(spec, args.load_timeout, args.query_timeout, args.mem_limit)
        for ev in events:
            kind = ev["event"]
            if kind in ("load", "open") and kind not in result:
                result[kind] = ev
            elif kind == "query":
                result["queries"][ev["name"]] = {k: ev[k] for k in ("median", "rows", "total") if k in ev}
            elif kind == "cli":
                result.setdefault("cli", {})[ev["name"]] = ev["seconds"]
            elif kind in ("coverage", "export"):
                result[kind] = ev
            elif kind == "overrun":
                result["overruns"].append(ev)
                if ev["name"] in todo:
                    result["queries"][ev["name"]] = {"overrun": ev["limit"]}
                elif ev["name"] in ("coverage", "export"):
                    result[ev["name"]] = {"overrun": ev["limit"]}
            elif kind == "done":
                result["peak_mb"] = ev["peak_mb"]
        build = False
        if "load" not in result or not any(e["event"] == "overrun" for e in events):
            break
        done = {e["name"] for e in events if e["event"] in ("query", "overrun")}
        todo = [q for q in todo if q not in done]
        extras = {k: v and not any(e["event"] == k or e.get("name") == k for e in events) for k, v in extras.items()}
        if not todo and not any(extras.values()):
            break
    return result


def machine() -> dict:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
        "?",
    )
    mem = next((int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("MemTotal")), 0)
    import pyoxigraph
    import rdflib

    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(mem / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "rdflib": rdflib.__version__,
        "pyoxigraph": pyoxigraph.__version__,
        "load_average": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _fmt(x, unit="s") -> str:
    if x is None:
        return "–"
    if isinstance(x, dict):
        if "overrun" in x:
            return f"> {x['overrun']}"
        x = x.get("median", x.get("seconds"))
        if x is None:
            return "–"
    if unit == "s":
        return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s" if x < 100 else f"{x:.0f} s"
    return f"{x:,.0f}"


def _ratio(a, b) -> str:
    try:
        return f"{a['median'] / b['median']:.1f}×"
    except (TypeError, KeyError, ZeroDivisionError):
        return "–"


def _row(by: dict, cols: list[str], label: str, get, unit: str = "s", ratio: bool = False) -> str:
    cells = " | ".join(_fmt(get(by[e]), unit) for e in cols)
    r1 = r2 = "–"
    if ratio and by["oxigraph-mem"]:
        if by["rdflib"]:
            r1 = _ratio(get(by["rdflib"]), get(by["oxigraph-mem"]))
        if by["oxigraph-disk"]:
            r2 = _ratio(get(by["oxigraph-disk"]), get(by["oxigraph-mem"]))
    return f"| {label} | {cells} | {r1} | {r2} |"


def _load_of(r: dict):
    if "load" in r:
        return {"median": r["load"]["seconds"]}
    over = next((o for o in r["overruns"] if o["name"] == "load"), None)
    return {"overrun": over["limit"]} if over else None


def _step(r: dict, key: str, field: str | None = None):
    got = r.get(key)
    if not got or "error" in got:
        return None
    if "overrun" in got:
        return got
    return {"median": got[field or "seconds"]}


def _targets(runs: dict, n: int = 1_000_000) -> list[str]:
    """The issue's targets at n papers, each with the measured figure and whether it holds."""
    mem, disk = runs.get(f"{n}/oxigraph-mem"), runs.get(f"{n}/oxigraph-disk")
    if not (mem or disk):
        return []
    ox = [r for r in (mem, disk) if r]
    names = sorted({q for r in ox for q in r["queries"]})
    best = {}
    for q in names:
        meds = [r["queries"][q]["median"] for r in ox if "median" in r["queries"].get(q, {})]
        best[q] = min(meds) if meds else None
    fast = [q for q, v in best.items() if v is not None and v <= 2]
    slow = sorted(((q, v) for q, v in best.items() if v is None or v > 2), key=lambda x: x[0])
    loads = [r["load"]["seconds"] for r in ox if "load" in r]
    opened = disk.get("open", {}).get("seconds") if disk else None
    peak = max((disk or {}).get("peak_mb", 0), (disk or {}).get("load", {}).get("peak_mb", 0)) or None

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else "holds" if ok else "**does not hold**"

    slow_text = ", ".join(f"`{q}` {_fmt({'median': v}) if v else 'over the limit'}" for q, v in slow)
    return [
        f"## Targets at {n:,} papers",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f"| every named query <= 2 s (faster pyoxigraph engine) | {len(fast)} of {len(best)} "
        f"within 2 s | {verdict(len(fast) == len(best) if best else None)} |",
        f"| open a prebuilt on-disk store <= 0.5 s | {_fmt(opened)} | "
        f"{verdict(None if opened is None else opened <= 0.5)} |",
        f"| import <= 90 s | {_fmt(min(loads)) if loads else '–'} | {verdict(min(loads) <= 90 if loads else None)} |",
        f"| peak memory <= 2 GiB with the on-disk store | {_fmt(peak, 'n')} MB | "
        f"{verdict(None if peak is None else peak <= 2048)} |",
        "",
    ] + ([f"Over 2 s: {slow_text}.", ""] if slow else [])


BEGIN, END = "<!-- bench_scale: store -->", "<!-- /bench_scale: store -->"


def render_store(saved: dict) -> list[str]:
    """The prebuilt store's section: per size, its build and every question's page time."""
    runs = {r["size"]: r for k, r in saved.get("runs", {}).items() if k.endswith(f"/{STORE}")}
    if not runs:
        return []
    m = saved.get("store_machine", saved.get("machine", {}))
    sizes = sorted(runs)
    out = [
        BEGIN,
        "## Prebuilt store (`kb store build`, `kb query --store`)",
        "",
        f"`python scripts/bench_scale.py --engines store --sizes {' '.join(map(str, sizes))} "
        "--steps queries coverage cli`. The store is pyoxigraph's on-disk database plus a SQLite side "
        "index with aggregates, listings in each question's order and FTS5 trigram text indexes, built "
        "from the N-Triples in one pass ([docs/store.md](docs/store.md)). Query times are "
        f"medians of 3 for a page of at most {PAGE:,} rows with the total counted "
        f"(`--limit {PAGE}`); `kb query` is the whole process, start included, one run. "
        f"Measured {m.get('date', '?')} on {m.get('cores', '?')} cores shared with other jobs "
        f"(load average then {', '.join(f'{x:.1f}' for x in m.get('load_average', []))}), so wall "
        "times are pessimistic; the build's CPU time is given beside its wall time.",
        "",
        "| | " + " | ".join(f"{n:,} papers" for n in sizes) + " |",
        "|---" * (len(sizes) + 1) + "|",
    ]

    def row(label: str, get) -> None:
        cells = []
        for n in sizes:
            try:
                cells.append(get(runs[n]))
            except (KeyError, TypeError):
                cells.append("–")
        out.append(f"| {label} | " + " | ".join(cells) + " |")

    row("triples indexed", lambda r: f"{r['load']['triples']:,}")
    row(
        "build, wall (CPU)",
        lambda r: f"{_fmt(r['load']['seconds'])} ({_fmt(r['load']['cpu']) if r['load']['cpu'] else 'not measured'})",
    )
    row(
        "… pyoxigraph loaded / side index done, s after start",
        lambda r: f"{_fmt(r['load']['phases']['oxigraph'])} / {_fmt(r['load']['phases']['index'])}",
    )
    row("peak memory, build (MB)", lambda r: _fmt(r["load"]["peak_mb"], "n"))
    row("store on disk (MB)", lambda r: _fmt(r["load"]["disk_mb"], "n"))
    row("open the store", lambda r: _fmt(r["open"]["seconds"]))
    names = sorted({q for r in runs.values() for q in r["queries"]})
    for q in names:
        row(
            f"`{q}`",
            lambda r, q=q: (
                f"{_fmt(r['queries'][q])} ({r['queries'][q].get('total', r['queries'][q].get('rows', 0)):,} rows)"
                if "median" in r["queries"][q]
                else _fmt(r["queries"][q])
            ),
        )
    row(
        "slowest `kb query` process",
        lambda r: (
            max(((v, k) for k, v in r["cli"].items()))
            and "{} (`{}`)".format(_fmt(max(r["cli"].values())), max(r["cli"], key=r["cli"].get))
        ),
    )
    row("coverage: open the store's records (looked up, not read)", lambda r: _fmt(_step(r, "coverage", "records")))
    row("coverage: match 2,000 entries and report, in one process", lambda r: _fmt(_step(r, "coverage", "match")))
    row(
        "coverage: `kb coverage --store` process, wall (CPU)",
        lambda r: f"{_fmt(r['coverage']['process'])} ({_fmt(r['coverage']['process_cpu'])})",
    )
    out += [""] + _store_targets(runs) + [END]
    return out


def _store_targets(runs: dict) -> list[str]:
    """The issue's targets (#16) against the store's figures, at 1M papers and at 100k."""
    out = ["| target | measured | verdict |", "|---|---|---|"]

    def add(target: str, measured: str, ok: bool | None) -> None:
        verdict = "not measured" if ok is None else "holds" if ok else "**does not hold**"
        out.append(f"| {target} | {measured} | {verdict} |")

    for n, limit in ((1_000_000, 2.0), (100_000, 0.5)):
        r = runs.get(n)
        if not r:
            continue
        meds = {q: v.get("median") for q, v in r["queries"].items()}
        slow = sorted((q for q, v in meds.items() if v is None or v > limit))
        worst = max((v for v in meds.values() if v is not None), default=None)
        add(
            f"{n:,}: every named query <= {limit:g} s",
            f"{len(meds) - len(slow)} of {len(meds)}, slowest {_fmt(worst)}"
            + (f" (over: {', '.join(slow)})" if slow else ""),
            not slow if meds else None,
        )
        if n == 1_000_000:
            cli = r.get("cli", {})
            add(
                "1,000,000: `kb query` process <= 2.5 s",
                _fmt(max(cli.values())) if cli else "–",
                max(cli.values()) <= 2.5 if cli else None,
            )
            add(
                "1,000,000: open the store <= 0.5 s",
                _fmt(r.get("open", {}).get("seconds")),
                r["open"]["seconds"] <= 0.5 if "open" in r else None,
            )
            load = r.get("load", {})
            add(
                "1,000,000: import <= 150 s",
                f"{_fmt(load.get('seconds'))} wall, {_fmt(load.get('cpu'))} CPU" if load else "–",
                load["seconds"] <= 150 if load else None,
            )
            add(
                "1,000,000: peak <= 2 GiB",
                f"{_fmt(load.get('peak_mb'), 'n')} MB" if load else "–",
                load["peak_mb"] <= 2048 if load else None,
            )
        if n == 100_000 and "process" in r.get("coverage", {}):
            c = r["coverage"]
            add(
                "100,000: coverage of 2,000 entries <= 2 s",
                f"{_fmt(c['process'])} wall, {_fmt(c['process_cpu'])} CPU, `kb coverage --store` process",
                c["process"] <= 2,
            )
    return out + [""] if len(out) > 2 else []


def splice(text: str, section: list[str]) -> str:
    """BENCHMARKS.md with the store section replaced, or inserted before the first size table."""
    block = "\n".join(section)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    anchor = text.find("\n## Targets at")
    anchor = anchor if anchor >= 0 else len(text)
    return text[: anchor + 1] + block + "\n\n" + text[anchor + 1 :]


def render(saved: dict, load: dict | None) -> str:
    """BENCHMARKS.md from the accumulated results."""
    m = saved.get("machine", {})
    out = [
        "# Benchmarks",
        "",
        "Written by `scripts/bench_scale.py` (scale) and `scripts/load_serve.py` (HTTP load); "
        "rerun them to refresh. Figures are medians of 3 runs (1 run when the first takes over "
        "10 s); peak memory is the measuring process's own maximum resident set "
        "(`resource.getrusage`). Graphs are synthetic (`scripts/synth.py N`): the real taxonomy "
        "plus N papers drawn from real papers as templates, about 60 triples per paper with its "
        "methods, authors, author list, datasets and models. Query times include turning the "
        "rows into Python values, as `kb query` does (`kb.sparql.run_named`). Coverage and the "
        "SQLite export read a pyoxigraph store (`kb.coverage.source`, `kb.tables`), so rdflib has "
        'no figures there. "> 30 s" means the measuring process was stopped at that limit '
        '("> 8192 MB RSS": at that resident size).',
        "",
        "The machine is shared: the 100,000-paper query figures were taken while other jobs kept "
        "the load average near 4 on 2 cores (its load times come from a later, quieter rerun), "
        "the 10,000 and 1,000,000 runs at a load average of 1 to 2; the 10,000 figures from the "
        "busy period were up to 2.5× higher, so read the 100,000 query column as pessimistic. "
        "The 1,000,000-paper on-disk store (8 GB) fitted in the page cache of this 24 GiB machine.",
        "What the figures mean for the design: docs/serve.md, section Scale.",
        "",
        "## Machine",
        "",
        f"- CPU: {m.get('cpu', '?')}, {m.get('cores', '?')} cores available; "
        f"RAM {m.get('ram_gib', '?')} GiB (shared with other jobs while measuring)",
        f"- {m.get('os', '?')}; Python {m.get('python', '?')}; rdflib {m.get('rdflib', '?')}; "
        f"pyoxigraph {m.get('pyoxigraph', '?')}",
        f"- last run {m.get('date', '?')}; load average then "
        f"{', '.join(f'{x:.1f}' for x in m.get('load_average', []))}",
        "",
    ]
    if load:
        out += ["## HTTP load (`kb serve`, loopback)", "", load["markdown"], ""]
    out += _targets(saved.get("runs", {}))
    runs = saved.get("runs", {})
    for n in sorted({r["size"] for r in runs.values()}):
        by = {e: runs.get(f"{n}/{e}") for e in ENGINES}
        cols = [e for e in ENGINES if by[e]]
        head = "| | " + " | ".join(cols) + " | rdflib ÷ oxigraph-mem | disk ÷ mem |"
        out += [f"## {n:,} papers", "", head, "|---" * (len(cols) + 3) + "|"]
        row = lambda *a, **k: out.append(_row(by, cols, *a, **k))  # noqa: E731, B023
        row("triples", lambda r: r.get("load", {}).get("triples"), unit="n")
        row("load / import", _load_of, ratio=True)
        row("peak memory after load (MB)", lambda r: r.get("load", {}).get("peak_mb"), unit="n")
        row("peak memory, whole run (MB)", lambda r: r.get("peak_mb"), unit="n")
        row("store on disk (MB)", lambda r: r.get("load", {}).get("disk_mb"), unit="n")
        row("open prebuilt store", lambda r: r.get("open", {}).get("seconds"))
        for q in sorted({q for e in cols for q in by[e]["queries"]}):
            row(f"`{q}`", lambda r, q=q: r["queries"].get(q), ratio=True)
        row("coverage: paper records", lambda r: _step(r, "coverage", "records"))
        row("coverage: match 2,000 entries", lambda r: _step(r, "coverage", "match"))
        row("SQLite export: tables (SPARQL)", lambda r: _step(r, "export", "tables"))
        row("SQLite export: write (sqlite-utils, FTS5)", lambda r: _step(r, "export", "write"))
        notes = sorted(
            {r["export"]["error"] for e, r in by.items() if r and e != "rdflib" and "error" in r.get("export", {})}
        )
        out += [""] + ([f"Not measured: {'; '.join(notes)}.", ""] if notes else [])
    return "\n".join(out) + "\n"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(json.loads(sys.argv[2]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--engines", nargs="+", default=list(ENGINES), choices=[*ENGINES, STORE])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kb-scale")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--load-timeout", type=float, default=300)
    ap.add_argument("--query-timeout", type=float, default=120)
    ap.add_argument("--mem-limit", type=float, default=10_240, help="MB of RSS before a child is stopped")
    ap.add_argument("--max-restarts", type=int, default=3)
    ap.add_argument("--reuse-store", action="store_true", help="oxigraph-disk: open the built store")
    ap.add_argument("--queries", nargs="*", help="only these named queries")
    ap.add_argument("--build-peak-mb", type=float, help="store --reuse-store: the build's peak (time -v)")
    ap.add_argument("--build-cpu-s", type=float, help="store --reuse-store: the build's user + system CPU (time -v)")
    ap.add_argument(
        "--steps",
        nargs="+",
        default=["queries", "coverage", "export", "cli"],
        choices=["queries", "coverage", "export", "cli"],
    )
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--render-only", action="store_true", help="rewrite BENCHMARKS.md from results.json")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results_path = args.work / "results.json"
    saved = json.loads(results_path.read_text()) if results_path.exists() else {"runs": {}}
    if not args.render_only:
        from kb.sparql import list_queries

        names = args.queries or [q.name for q in list_queries()]
        saved["store_machine" if args.engines == [STORE] else "machine"] = machine()
        for n in args.sizes:
            for engine in args.engines:
                print(f"N={n} {engine}", file=sys.stderr)
                args.previous = saved["runs"].get(f"{n}/{engine}")
                saved["runs"][f"{n}/{engine}"] = measure(n, engine, args, names)
                tmp = results_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(saved, indent=1))
                os.replace(tmp, results_path)
    load_path = args.work / "load.json"
    load = json.loads(load_path.read_text()) if load_path.exists() else None
    old_runs = any(not k.endswith(f"/{STORE}") for k in saved.get("runs", {}))
    if old_runs:
        text = render(saved, load)
        text = splice(text, render_store(saved)) if render_store(saved) else text
    else:  # only store runs here: keep the earlier engines' figures and replace the store section
        text = splice(args.out.read_text(encoding="utf-8"), render_store(saved))
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
