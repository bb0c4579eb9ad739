"""Time a full site build of the real data (pages + mkdocs build --strict) against a 60 s budget.

Usage: .venv/bin/python scripts/bench_site.py [--repeat N] [--out DIR]
Prints one line per run and the medians; each run is a fresh process (nothing cached between).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BUDGET_S = 60.0
CHILD = """
import json, resource, sys
from pathlib import Path
from kb.site import build_site
stats = build_site(Path(sys.argv[1]))
stats["cpu_s"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_utime
                       + resource.getrusage(resource.RUSAGE_SELF).ru_stime, 2)
print(json.dumps(stats))
"""


def one_run(out: Path) -> dict:
    """One build in a child process; its stats (wall seconds of each phase, CPU seconds, pages)."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(out)],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    if proc.returncode != 0:
        sys.exit(f"bench_site: build failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="number of builds (default 3)")
    parser.add_argument(
        "--out", type=Path, default=None, help="site folder (default: a temp folder)"
    )
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-site-")) / "site"
    runs = []
    for i in range(args.repeat):
        s = one_run(out)
        runs.append(s)
        print(
            f"run {i + 1}: {s['html_pages']} HTML pages in {s['seconds']:.1f} s wall "
            f"(generate {s['generate_seconds']:.1f} s, mkdocs {s['mkdocs_seconds']:.1f} s), "
            f"{s['cpu_s']:.1f} s CPU",
            flush=True,
        )
    wall = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    print(
        f"median: {wall:.1f} s wall, {cpu:.1f} s CPU for {runs[0]['html_pages']} pages "
        f"({runs[0]['concepts']} areas, {runs[0]['papers']} papers, "
        f"{runs[0]['datasets']} datasets); "
        f"wall/budget = {wall / BUDGET_S:.2f} (budget {BUDGET_S:.0f} s); "
        f"{1000 * wall / runs[0]['html_pages']:.0f} ms per page; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
