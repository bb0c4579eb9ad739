"""Every named query returns the same rows on Virtuoso as on pyoxigraph (#16).

Starts a throwaway Virtuoso (scripts/virtuoso.py) on free ports, bulk-loads the real graph's
N-Triples and compares each query's rows, in order when the query orders them. Skipped, with the
install line, when Debian's virtuoso-opensource-7-bin is not installed.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from kb import graph as kbgraph
from kb import sparql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import virtuoso  # noqa: E402
from check_endpoint import value  # noqa: E402

from kb.serve import named_query_text  # noqa: E402

REAL = kbgraph.taxonomy_path(ROOT / "data")
WHY = virtuoso.available() or (None if REAL.exists() else "data/taxonomy.ttl not imported yet")
pytestmark = pytest.mark.skipif(WHY is not None, reason=f"Virtuoso test: {WHY}")
QUERIES = sparql.list_queries()
# a later year where the default may rightly find no stale area as the data grows
PARAMS = {"stale-areas": {"since": "2026"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    work = tmp_path_factory.mktemp("virtuoso")
    store = ox.Store()
    store.bulk_load(path=str(REAL), format=ox.RdfFormat.TURTLE)
    nt = work / "kb.nt"
    store.dump(output=str(nt), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    db = work / "db"
    virtuoso.start(db, port=_free_port(), http=_free_port())
    try:
        virtuoso.load(db, nt)
        yield virtuoso.endpoint(db), store
    finally:
        virtuoso.stop(db)


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_same_rows_as_pyoxigraph(endpoint, query):
    url, store = endpoint
    client = SPARQLWrapper(url)
    client.setReturnFormat(JSON)
    client.setMethod(POST)
    client.addDefaultGraph(virtuoso.GRAPH)
    params = PARAMS.get(query.name, {})
    client.setQuery(named_query_text(query.name, params))
    doc = client.queryAndConvert()
    cols = doc["head"]["vars"]
    got = [{c: value(b.get(c)) for c in cols} for b in doc["results"]["bindings"]]
    want = list(sparql.run_named(query.name, params, source=store, compact_iris=False))
    assert want, f"{query.name}: no rows on the real graph, so the comparison shows nothing"
    if "ORDER BY" in query.text.upper():
        assert got == want
    else:
        assert sorted(map(repr, got)) == sorted(map(repr, want))
