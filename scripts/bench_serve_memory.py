"""How much memory the queries a `kb serve` worker should answer add to the loaded graph.

    python scripts/bench_serve_memory.py [--graph FILE]

For every named query (defaults bound, as the endpoint's page sends them) and a few honest
whole-graph queries (a sort of every triple, DISTINCT and GROUP BY over all of them), one fresh
process loads the graph as a worker does, then runs the query to its last row while a thread samples
the data segment (VmData, what `--max-memory` caps through RLIMIT_DATA) every 5 ms. Prints the
loaded heap and the largest growth, to compare with the `--max-memory` default (256 MB). Not a
test: it prints, it does not assert.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WHOLE_GRAPH = [
    ("sort-every-triple", "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o ?s"),
    ("distinct-objects", "SELECT DISTINCT ?o WHERE { ?s ?p ?o }"),
    ("count-per-predicate", "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"),
    (
        "two-hop-group",
        "SELECT ?a ?p (COUNT(*) AS ?n) WHERE { ?a ?p ?o . ?o ?q ?r } GROUP BY ?a ?p ORDER BY DESC(?n)",
    ),
]


def measure(graph: str, query: str) -> tuple[int, int, int, float]:
    """(triples, loaded heap, peak growth, seconds) of one query, in this process (run it fresh)."""
    import pyoxigraph as ox

    from kb.serve import PREFIXES
    from kb.serve.worker import _data_size

    store = ox.Store()
    store.bulk_load(path=graph, format=ox.RdfFormat.TURTLE)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _data_size() or 0)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    time.sleep(0.05)  # the sampler's own stack is part of the base, not of the query
    base = _data_size() or 0
    started = time.monotonic()
    result = store.query(query, prefixes=PREFIXES)
    if not isinstance(result, bool):
        for _ in result:
            pass
    seconds = time.monotonic() - started
    time.sleep(0.02)
    done.set()
    sampler.join()
    return len(store), base, max(peak[0], _data_size() or 0) - base, seconds


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":  # child: one query, one line of numbers
        print(*measure(sys.argv[2], sys.argv[3]))
        return
    from kb.graph import taxonomy_path
    from kb.serve import named_query_text
    from kb.sparql import list_queries

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", type=Path, default=taxonomy_path())
    args = ap.parse_args()
    cases = [(q.name, named_query_text(q.name)) for q in list_queries()] + WHOLE_GRAPH
    rows = []
    for name, text in cases:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(args.graph), text],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        triples, base, grew, seconds = int(out[0]), int(out[1]), int(out[2]), float(out[3])
        rows.append((name, grew, seconds))
        print(f"{name:28} +{grew / 2**20:6.1f} MB  {seconds * 1000:7.0f} ms", flush=True)
    named = rows[: len(rows) - len(WHOLE_GRAPH)]
    top = max(named, key=lambda r: r[1])
    whole = max(rows[len(named) :], key=lambda r: r[1])
    print(
        f"\n{args.graph.name}: {triples:,} triples, loaded heap {base / 2**20:.0f} MB; "
        f"largest growth of a named query {top[1] / 2**20:.1f} MB ({top[0]}), "
        f"of a whole-graph query {whole[1] / 2**20:.1f} MB ({whole[0]})"
    )


if __name__ == "__main__":
    main()
