"""Run every named query against a SPARQL endpoint and compare its rows with `kb query`'s.

    python scripts/check_endpoint.py http://localhost:3030/kb/sparql [--default-graph IRI]

For a dedicated server (Fuseki/TDB2, QLever, Virtuoso, ...) loaded with the N-Triples export:
shows, per named query, whether the endpoint returns the same rows as kb query on
data/taxonomy.ttl (same values; order too when the query has ORDER BY), and the first
difference when it does not. Exits 1 when any query differs or fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SPARQLWrapper import JSON, POST, SPARQLWrapper  # noqa: E402

from kb import sparql  # noqa: E402
from kb.serve import named_query_text  # noqa: E402

XSD = "http://www.w3.org/2001/XMLSchema#"
INTS = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "gYear")}
FLOATS = {XSD + t for t in ("decimal", "double", "float")}


def value(b: dict | None):
    """A JSON result term as kb query gives it (full IRIs, ints, rounded floats, booleans)."""
    if b is None:
        return None
    kind, v, dt = b["type"], b["value"], b.get("datatype")
    if kind == "uri":
        return v
    if kind == "bnode":
        return "_:" + v
    try:
        if dt in INTS:
            return int(v)
        if dt in FLOATS:
            return round(float(Decimal(v)), 6)
    except (ValueError, InvalidOperation):
        return v
    if dt == XSD + "boolean":
        return v in ("true", "1")
    return v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint")
    ap.add_argument("--default-graph", help="IRI of the graph the export was loaded into")
    args = ap.parse_args()
    client = SPARQLWrapper(args.endpoint)
    client.setReturnFormat(JSON)
    client.setMethod(POST)
    if args.default_graph:
        client.addDefaultGraph(args.default_graph)
    failed = 0
    for q in sparql.list_queries():
        expected = sparql.run_named(q.name, compact_iris=False)
        client.setQuery(named_query_text(q.name))
        t0 = time.perf_counter()
        try:
            doc = client.queryAndConvert()
        except Exception as exc:  # any client or server error is a result to report
            print(f"FAIL  {q.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            failed += 1
            continue
        secs = time.perf_counter() - t0
        if "boolean" in doc:
            got = [{"ask": doc["boolean"]}]
        else:
            cols = doc["head"]["vars"]
            got = [{c: value(b.get(c)) for c in cols} for b in doc["results"]["bindings"]]
        ordered = "ORDER BY" in q.text.upper()
        same = got == expected if ordered else sorted(map(repr, got)) == sorted(map(repr, expected))
        if same:
            print(f"ok    {q.name}: {len(got)} rows, {secs * 1000:.0f} ms")
            continue
        failed += 1
        missing = [r for r in expected if r not in got][:1]
        extra = [r for r in got if r not in expected][:1]
        print(
            f"DIFF  {q.name}: {len(got)} rows, kb query {len(expected)}; "
            f"first missing {missing}, first extra {extra}"
        )
    print(f"{len(sparql.list_queries()) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
