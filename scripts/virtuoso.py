"""Start, load and stop a throwaway Virtuoso (Debian's virtuoso-opensource-7-bin) for the graph.

    python scripts/virtuoso.py start DIR [--port 1111] [--http 8890]
    python scripts/virtuoso.py load DIR FILE.nt [--graph http://kb/]
    python scripts/virtuoso.py stop DIR

`start` writes DIR/virtuoso.ini (database files, ports, DirsAllowed = DIR) and starts virtuoso-t
in the background, waiting until it answers; `load` bulk-loads an N-Triples file (`kb export`
writes one) into a named graph with Virtuoso's loader (ld_dir, rdf_loader_run, checkpoint);
`stop` shuts it down. The SPARQL endpoint is http://127.0.0.1:HTTP/sparql; query it with the
graph as default graph (`scripts/check_endpoint.py URL --default-graph http://kb/`).
Install: `apt-get install -y --no-install-recommends virtuoso-opensource-7-bin`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

SERVER, ISQL = "virtuoso-t", "isql-vt"
GRAPH = "http://kb/"
INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = {port}
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {d}
UseAIO = 0
CaseMode = 2

[HTTPServer]
ServerPort = {http}
ServerRoot = {d}
MaxClientConnections = 10
ServerThreads = 10

[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 600
DefaultGraph = {graph}
"""


def available() -> str | None:
    """Why Virtuoso cannot run here, or None when it can."""
    missing = [tool for tool in (SERVER, ISQL) if shutil.which(tool) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not found: apt-get install -y --no-install-recommends virtuoso-opensource-7-bin"
        )
    return None


def _state(d: Path) -> dict:
    return json.loads((d / "kb-virtuoso.json").read_text())


def isql(d: Path, sql: str, timeout: float = 3600) -> str:
    """Run SQL through isql on the server started in `d`; raises with its output on failure."""
    port = _state(d)["port"]
    proc = subprocess.run(
        [ISQL, str(port), "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT"],
        input=sql if sql.rstrip().endswith(";") else sql + ";",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0 or "*** Error" in proc.stdout:
        raise RuntimeError(f"isql: {(proc.stdout + proc.stderr).strip()[:500]}")
    return proc.stdout


def endpoint(d: Path) -> str:
    return f"http://127.0.0.1:{_state(d)['http']}/sparql"


def start(d: Path, port: int = 1111, http: int = 8890, memory_mb: int = 1024, wait: float = 60) -> None:
    """Start virtuoso-t with its database in `d`; returns when it answers SPARQL over HTTP."""
    d = d.resolve()
    d.mkdir(parents=True, exist_ok=True)
    buffers = max(memory_mb * 1024 // 8 * 2 // 3, 10_000)  # 8 KiB pages, two thirds of the memory
    (d / "virtuoso.ini").write_text(
        INI.format(d=d, port=port, http=http, buffers=buffers, dirty=buffers * 3 // 4, graph=GRAPH)
    )
    (d / "kb-virtuoso.json").write_text(json.dumps({"port": port, "http": http}))
    log = open(d / "server.out", "wb")
    proc = subprocess.Popen(
        [SERVER, "+foreground", "+configfile", str(d / "virtuoso.ini")],
        cwd=d,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (d / "kb-virtuoso.json").write_text(json.dumps({"port": port, "http": http, "pid": proc.pid}))
    deadline = time.monotonic() + wait
    probe = endpoint(d) + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited ({proc.returncode}); see {d / 'virtuoso.log'}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    stop(d)
    raise RuntimeError(f"virtuoso-t did not answer within {wait:.0f} s; see {d / 'virtuoso.log'}")


def load(d: Path, nt: Path, graph: str = GRAPH) -> float:
    """Bulk-load an N-Triples file into `graph`; returns the seconds it took."""
    d = d.resolve()
    target = d / "load" / nt.name
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(nt, target)  # DirsAllowed covers d only; a hard link costs nothing
    except OSError:
        shutil.copyfile(nt, target)
    t0 = time.perf_counter()
    isql(
        d,
        f"DELETE FROM DB.DBA.load_list;\nld_dir('{target.parent}', '{nt.name}', '{graph}');\n"
        "rdf_loader_run();\ncheckpoint;\n",
    )
    errors = isql(d, "SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")
    if nt.name in errors:
        raise RuntimeError(f"{nt}: Virtuoso's loader reports {errors.strip()[:300]}")
    target.unlink()
    return time.perf_counter() - t0


def stop(d: Path) -> None:
    """Stop the server started in `d` (shutdown through isql, else the process group)."""
    d = d.resolve()
    try:
        pid = _state(d).get("pid")
    except (OSError, ValueError):
        return
    try:
        isql(d, "shutdown();", timeout=60)
    except (RuntimeError, subprocess.TimeoutExpired, OSError):
        pass
    if pid:
        for _ in range(40):
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.25)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("dir", type=Path)
    s.add_argument("--port", type=int, default=1111)
    s.add_argument("--http", type=int, default=8890)
    s.add_argument("--memory-mb", type=int, default=1024)
    ld = sub.add_parser("load")
    ld.add_argument("dir", type=Path)
    ld.add_argument("file", type=Path)
    ld.add_argument("--graph", default=GRAPH)
    st = sub.add_parser("stop")
    st.add_argument("dir", type=Path)
    args = ap.parse_args()
    why = available()
    if why:
        sys.exit(f"virtuoso: {why}")
    try:
        if args.cmd == "start":
            start(args.dir, args.port, args.http, args.memory_mb)
            print(f"virtuoso: {endpoint(args.dir)} (database in {args.dir})")
        elif args.cmd == "load":
            secs = load(args.dir, args.file, args.graph)
            print(f"virtuoso: loaded {args.file} into <{args.graph}> in {secs:.1f} s")
        else:
            stop(args.dir)
            print("virtuoso: stopped")
    except (RuntimeError, OSError) as exc:
        sys.exit(f"virtuoso: {exc}")


if __name__ == "__main__":
    main()
