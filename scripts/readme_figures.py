"""Rewrite the README's marked figure blocks from what the tools say, so the README cannot drift.

    python scripts/readme_figures.py            # rewrite the count blocks (kb stats, the data table)
    python scripts/readme_figures.py --check    # exit 1 when a block differs (what the test runs)
    python scripts/readme_figures.py --timings  # also measure and rewrite the timings block

Blocks sit between `<!-- readme:NAME begin ... -->` and `<!-- readme:NAME end -->`. The count blocks
come from `kb stats` and the graph; the timings block is measured on the machine that runs this,
and says which machine and when, because timings are conditions, not facts of the data.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SECTIONS = ("total", "year", "family", "role")  # of `kb stats`; the per-threat-type rows follow
_BLOCK = re.compile(
    r"(<!-- readme:(?P<name>[\w-]+) begin[^>]*-->\n)(?P<body>.*?)(<!-- readme:(?P=name) end -->)",
    re.DOTALL,
)


def stats_block(data_dir: Path | None = None) -> str:
    """The head of `kb stats` as a console session."""
    from kb.output import render
    from kb.stats import compute

    cols = ["section", "key", "kb", "survey", "difference", "unit"]
    rows = compute(data_dir)
    head = [r for r in rows if r["section"] in SECTIONS]  # in the command's order
    text = render(head, "table", cols)
    return f"```console\n$ .venv/bin/kb stats\n{text}\n...\n```\n"


def counts_block(data_dir: Path | None = None) -> str:
    """The README's table of what the data holds, counted from the graph."""
    from kb.site.data import load
    from kb.sparql import run_named

    d = load(data_dir)
    levels: dict[str, int] = {}
    for c in d.concepts.values():
        levels[c["level"]] = levels.get(c["level"], 0) + 1
    subs = sorted(
        d.concepts[c]["label"]
        for c in d.concepts
        if d.concepts[c]["level"] == "model family" and d.concepts[c]["broader"]
    )
    models = len(run_named("top-target-models", {}, data_dir=data_dir))
    sub_text = f" (+ {' and '.join(subs)})"
    from kb.stats import compute

    survey = next(r["kb"] for r in compute(data_dir) if r["section"] == "total" and r["key"] == "papers")
    papers = str(len(d.papers)) if survey == len(d.papers) else (
        f"{survey} of the survey ({len(d.papers):,} with the Awesome-LM-SSP list)")
    rows = [
        ("model families" + (sub_text if subs else ""), f"{len(d.roots())} (+{len(subs)})"),
        ("threat types", str(levels.get("threat type", 0))),
        ("categories / subcategories", f"{levels.get('category', 0)} / {levels.get('subcategory', 0)}"),
        ("papers / methods (table rows)", f"{papers} / {len(d.methods)}"),
        ("datasets and benchmarks / target models", f"{len(d.datasets)} / {models}"),
        ("defense → attack links", str(len(d.links))),
    ]
    if d.topics():  # the second source's topics (CONTRACTS §1): pages under "Beyond the survey"
        rows.append(("topics outside the survey (Awesome-LM-SSP)", str(len(d.topics()))))
    out = ["| | count |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    return (
        "\n".join(out)
        + "\n\n(`python scripts/readme_figures.py` writes this table and the `kb stats` block above from the graph.)\n"
    )


def _timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + sys) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timings_block() -> str:
    """Measure `kb query` (median of 5) and `kb site` (one build) here, and say where and when."""
    kb = str(Path(sys.executable).with_name("kb"))
    _timed([kb, "query", "papers-per-year"])  # warm the on-disk store cache
    query = statistics.median(
        _timed([kb, "query", "attacks-by-kind-access", "-p", "kind=jailbreak"])[0] for _ in range(5)
    )
    site_wall, site_cpu = _timed([kb, "site", "--out", "build/site"])
    load = os.getloadavg()[0]
    from kb.site.data import load as load_site

    papers = len(load_site().papers)  # the build's size is part of its conditions
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    return (
        f"Measured by `python scripts/readme_figures.py --timings` on {when}, on a machine with "
        f"{os.cpu_count()} cores at load average {load:.1f}: `kb query` answers in "
        f"{query:.2f} s from process start (median of 5); `kb site` builds the site of "
        f"{papers:,} papers in {site_wall:.0f} s "
        f"({site_cpu:.0f} s of CPU, user + sys). Expect more on a busy machine.\n"
    )


def rewrite(text: str, blocks: dict[str, str]) -> str:
    """The README text with each named block's body replaced."""

    def sub(m: re.Match) -> str:
        name = m.group("name")
        body = blocks.get(name, m.group("body"))
        return m.group(1) + body + m.group(4)

    return _BLOCK.sub(sub, text)


def current_blocks(text: str) -> dict[str, str]:
    return {m.group("name"): m.group("body") for m in _BLOCK.finditer(text)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a count block is stale")
    ap.add_argument("--timings", action="store_true", help="also measure and rewrite the timings")
    args = ap.parse_args()
    text = README.read_text(encoding="utf-8")
    blocks = {"stats": stats_block(), "counts": counts_block()}
    if args.timings:
        blocks["timings"] = timings_block()
    new = rewrite(text, blocks)
    if args.check:
        stale = [n for n, b in blocks.items() if current_blocks(text).get(n) != b]
        for n in stale:
            print(f"README.md: block {n!r} differs from the tools; run python scripts/readme_figures.py")
        return 1 if stale else 0
    if new != text:
        tmp = README.with_suffix(".md.tmp")
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, README)
        print(f"rewrote {', '.join(blocks)} in {README.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
