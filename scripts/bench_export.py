"""Time the exports on the real graph; compare sqlite-utils bulk insert_all with the m2m() helper.

Prints medians (seconds) and ratios. Run: .venv/bin/python scripts/bench_export.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import sqlite_utils

from kb.export.csv_export import export_csv
from kb.export.rdf_export import export_rdf
from kb.export.sqlite_export import export_sqlite
from kb.graph import load_graph
from kb.tables import load_tables


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def m2m_authors(path: Path, tables, papers: int) -> None:
    """The row-by-row alternative: insert each paper and link its authors with Table.m2m()."""
    db = sqlite_utils.Database(path, recreate=True)
    names = {a["id"]: a for a in tables["authors"]}
    links: dict[str, list[dict]] = {}
    for row in tables["paper_authors"]:
        links.setdefault(row["paper_id"], []).append(names[row["author_id"]])
    with db.conn:  # one transaction, to be fair to m2m(): no commit per row
        for paper in tables["papers"][:papers]:
            db["papers"].insert(paper, pk="id").m2m("authors", links.get(paper["id"], []), pk="id")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--m2m-papers", type=int, default=50, help="papers for the m2m() sample")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="kb-bench-"))

    tables_t = median_time(load_tables, args.repeat)
    tables = load_tables()
    graph = load_graph()
    sqlite_t = median_time(lambda: export_sqlite(out / "kb.db", tables), args.repeat)
    csv_t = median_time(lambda: export_csv(out / "csv", tables), args.repeat)
    rdf_t = median_time(lambda: export_rdf(out, graph), args.repeat)
    n = args.m2m_papers
    m2m_t = median_time(lambda: m2m_authors(out / "m2m.db", tables, n), args.repeat)
    papers = len(tables["papers"])
    rows = sum(tables.counts().values())

    per_bulk, per_m2m = sqlite_t / papers, m2m_t / n
    print(f"tables (SPARQL over pyoxigraph)   {tables_t:7.3f} s")
    print(f"sqlite, all {rows} rows           {sqlite_t:7.3f} s  ({1000 * per_bulk:.2f} ms/paper)")
    print(f"csv                               {csv_t:7.3f} s")
    print(f"n-triples + json-ld               {rdf_t:7.3f} s")
    print(f"m2m() papers+authors, {n} papers   {m2m_t:7.3f} s  ({1000 * per_m2m:.2f} ms/paper)")
    print(f"ratio m2m() / whole bulk export, per paper: {per_m2m / per_bulk:.1f}x")


if __name__ == "__main__":
    main()
