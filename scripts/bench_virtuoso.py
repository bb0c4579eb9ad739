"""Time every named question on a SPARQL endpoint (Virtuoso) and check its row counts against a store.

    python scripts/virtuoso.py start DIR --memory-mb 2048
    python scripts/virtuoso.py load DIR synth-100000.nt
    python scripts/bench_virtuoso.py http://127.0.0.1:8890/sparql --store store-100000
    python scripts/virtuoso.py stop DIR

Each question runs with its default parameters (bench_scale's picks for the ones naming a method
or paper) and its whole result comes back as SPARQL JSON; prints a Markdown table of medians of
3 runs (1 when the first takes over 10 s) and the rows, and whether each row count equals the
store's total for the same parameters (`kb store build` of the same N-Triples).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_scale import _synthetic_params  # noqa: E402
from SPARQLWrapper import JSON, POST, SPARQLWrapper  # noqa: E402

from kb import sparql  # noqa: E402
from kb import store as kbstore  # noqa: E402
from kb.serve import named_query_text  # noqa: E402


def _ms(s: float) -> str:
    return f"{s * 1000:,.0f} ms" if s < 1 else f"{s:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint")
    ap.add_argument("--store", type=Path, required=True, help="a `kb store build` of the same graph")
    ap.add_argument("--default-graph", default="http://kb/")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a question counts as failed")
    args = ap.parse_args()
    store = kbstore.open_store(args.store)
    params = _synthetic_params(store.ox)
    client = SPARQLWrapper(args.endpoint)
    client.setReturnFormat(JSON)
    client.setMethod(POST)
    client.addDefaultGraph(args.default_graph)
    client.setTimeout(args.timeout)
    print("| question | whole result | rows | = store |\n|---|---|---|---|")
    agree = 0
    for q in sparql.list_queries():
        bound = {k: v for k, v in params.items() if k in {p.name for p in q.params}}
        client.setQuery(named_query_text(q.name, bound))
        times: list[float] = []
        rows = 0
        for _ in range(3):
            t0 = time.perf_counter()
            try:
                doc = client.queryAndConvert()
            except Exception as exc:  # noqa: BLE001 (a timeout or an error answer: one row saying so)
                print(f"| `{q.name}` | failed after {_ms(time.perf_counter() - t0)}: {str(exc)[:80]} | – | **no** |")
                break
            times.append(time.perf_counter() - t0)
            rows = len(doc["results"]["bindings"]) if "results" in doc else 1
            if times[-1] > 10:
                break
        if not times:
            continue
        same = rows == kbstore.run_named(store, q.name, bound, limit=1).total
        agree += same
        print(
            f"| `{q.name}` | {_ms(statistics.median(times))} | {rows:,} | {'yes' if same else '**no**'} |", flush=True
        )
    print(f"\n{agree} of {len(sparql.list_queries())} row counts equal the store's")


if __name__ == "__main__":
    main()
