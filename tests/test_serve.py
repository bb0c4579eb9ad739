"""The SPARQL endpoint: protocol, formats, refusals and limits, over HTTP on loopback."""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kb.graph import taxonomy_path
from kb.serve import PREFIXES, Limits, Source, check_query, make_server
from kb.serve.guard import Refused
from kb.serve.worker import SPARES, Request, execute

COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
FAMILIES = "SELECT ?f ?label WHERE { ?f a kb:ModelFamily ; skos:prefLabel ?label } ORDER BY ?f"
# The two ways a query can exhaust a worker, one query for each, so that each test stops the
# query with the limit it is about (which limit a hostile query hits first depends on the size of
# the graph: the four-way product below stayed under 256 MB for 2 s on 564 papers, not on 2,716).
# FOREVER: the whole graph crossed with itself, counted: n² rows (9.6 billion at 97,790 triples)
# streamed through one hash table of the graph (about 60 MB there), so memory stays flat and only
# the time limit stops it.
FOREVER = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
# GREEDY: a four-way product, which materialises a product of the graph: time and memory both grow
GREEDY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# HUNGRY: the graph crossed with itself, sorted: grows at hundreds of MB/s until a cap stops it
HUNGRY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.bulk_load(path=str(taxonomy_path()), format=ox.RdfFormat.TURTLE)
    return s


@pytest.fixture(scope="module")
def server():
    # flag_for=0: tests share one client address; a stopped query must not route the rest slow
    limits = Limits(timeout=2.0, max_rows=100_000, max_body=8192, workers=2, flag_for=0.0)
    srv = make_server(Source(taxonomy_path()), "127.0.0.1", 0, limits, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def url(srv, path="/sparql") -> str:
    host, port = srv.server_address[:2]
    return f"http://{host}:{port}{path}"


def call(srv, query=None, *, method="GET", body=None, ctype=None, accept=None, params=None):
    """(status, content type, body text, headers) of one request; HTTP errors are returned too."""
    params = dict(params or {})
    if query is not None and method == "GET":
        params["query"] = query
    target = url(srv) + ("?" + urllib.parse.urlencode(params) if params else "")
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(target, data=data, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode(), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode(), err.headers


def solutions(results) -> list[dict]:
    return [{v.value: sol[v] for v in results.variables} for sol in results]


def triple_count(srv) -> int:
    status, _, text, _ = call(srv, COUNT_ALL)
    assert status == 200
    return int(json.loads(text)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(
    "fmt,accept",
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
    ],
)
def test_select_formats_round_trip(server, store, fmt, accept):
    status, ctype, text, _ = call(server, FAMILIES, accept=accept)
    assert status == 200 and ctype.startswith(accept)
    oxformat = getattr(ox.QueryResultsFormat, fmt.upper())
    if fmt == "csv":  # lossy, so pyoxigraph will not parse it: compare with its own writer
        assert text.encode() == store.query(FAMILIES, prefixes=PREFIXES).serialize(format=oxformat)
        assert text.count("\r\n") == 9
        return
    expected = solutions(store.query(FAMILIES, prefixes=PREFIXES))
    got = solutions(ox.parse_query_results(text.encode(), format=oxformat))
    assert got == expected and len(got) == 8


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld"])
def test_construct_formats_round_trip(server, store, fmt):
    query = "CONSTRUCT { ?f skos:prefLabel ?l } WHERE { ?f a kb:ModelFamily ; skos:prefLabel ?l }"
    status, _, text, _ = call(server, query, params={"format": fmt})
    assert status == 200
    rdf_format = {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "jsonld": ox.RdfFormat.JSON_LD,
    }[fmt]
    got = {q.triple for q in ox.parse(text.encode(), format=rdf_format)}
    assert got == set(store.query(query, prefixes=PREFIXES)) and len(got) == 8


def test_ask_describe_and_post_body(server):
    status, _, text, _ = call(server, "ASK { concept:llm a kb:ModelFamily }")
    assert status == 200 and json.loads(text)["boolean"] is True
    status, ctype, text, _ = call(
        server,
        method="POST",
        body="DESCRIBE concept:llm",
        ctype="application/sparql-query",
        accept="application/n-triples",
    )
    assert status == 200 and ctype == "application/n-triples"
    assert "<https://w3id.org/lmsafety/concept/llm>" in text
    form = urllib.parse.urlencode({"query": FAMILIES})
    status, _, text, _ = call(
        server, method="POST", body=form, ctype="application/x-www-form-urlencoded"
    )
    assert status == 200 and len(json.loads(text)["results"]["bindings"]) == 8


def test_sparqlwrapper_client(server, store):
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(url(server))
    client.setQuery(FAMILIES)
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]
    expected = solutions(store.query(FAMILIES, prefixes=PREFIXES))
    assert [r["label"]["value"] for r in rows] == [e["label"].value for e in expected]


@pytest.mark.parametrize(
    "how",
    ["update-body", "update-form", "query-param", "post-query"],
)
def test_update_refused_graph_unchanged(server, store, how):
    before = triple_count(server)
    update = "DELETE WHERE { ?s ?p ?o }"
    if how == "update-body":
        got = call(server, method="POST", body=update, ctype="application/sparql-update")
    elif how == "update-form":
        form = urllib.parse.urlencode({"update": update})
        got = call(server, method="POST", body=form, ctype="application/x-www-form-urlencoded")
    elif how == "query-param":
        got = call(server, "PREFIX x: <http://x/> " + update)
    else:
        got = call(server, method="POST", body=update, ctype="application/sparql-query")
    status, _, text, _ = got
    assert status == 400 and "read-only" in text
    assert triple_count(server) == before == len(store)


def test_service_refused(server):
    status, _, text, _ = call(
        server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    )
    assert status == 400 and "SERVICE (federated query) is not allowed" in text


def test_service_in_literal_comment_and_names_is_allowed(server):
    query = (
        "SELECT ?service WHERE {  # SERVICE in a comment\n"
        '  BIND("SERVICE <http://example.org/> { }" AS ?service)\n'
        "  FILTER(?service != <http://example.org/SERVICE>)\n"
        "}"
    )
    status, _, text, _ = call(server, query)
    assert status == 200
    assert json.loads(text)["results"]["bindings"][0]["service"]["value"].startswith("SERVICE <")


@pytest.mark.parametrize(
    "query,form",
    [
        ("SELECT * { ?s ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://ex/> BASE <http://b/> ASK { ?s ex:p ?o }", "ASK"),
        ('SELECT * { ?s ?p "INSERT DATA" } # DELETE', "SELECT"),
        ("prefix service: <http://s/> SELECT ?service { ?service service:x 1 }", "SELECT"),
        ("  insert data { <a> <b> <c> }", "INSERT"),
        ("PREFIX x: <http://x/> LOAD <http://x/y>", "LOAD"),
    ],
)
def test_guard_reads_the_query_form(query, form):
    from kb.serve.guard import inspect

    found = inspect(query)
    assert found.form == form and "SERVICE" not in found.keywords


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { service <http://x/> { ?s ?p ?o } }",
        "SELECT * {?s ?p ?o .SERVICE SILENT ?x {}}",
        'SELECT * { ?s ?p "x" . SERVICE<http://x/>{?a ?b ?c} }',
        "INSERT DATA { <a:b> <a:c> 'x' }",
    ],
)
def test_guard_refuses(query):
    with pytest.raises(Refused):
        check_query(query)


def test_oversized_body_refused_and_server_keeps_serving(server, store):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 10_000
    status, _, text, _ = call(server, method="POST", body=big, ctype="application/sparql-query")
    assert status == 413 and "at most 8192 bytes" in text
    status, _, text, _ = call(server, big)
    assert status == 413
    assert triple_count(server) == len(store)


def test_runaway_query_is_stopped_and_server_keeps_serving(server, store):
    before = server.pool.pids()
    status, _, text, _ = call(server, FOREVER)
    assert status == 503 and "time limit of 2 s" in text
    assert triple_count(server) == len(store)  # the other worker, or the fresh one, answers
    after = server.pool.pids()
    killed = before - after
    assert len(killed) == 1 and len(after) == len(before)  # replaced, none left behind
    with pytest.raises(ProcessLookupError):  # the stuck query's process is gone, not left spinning
        os.kill(killed.pop(), 0)


@pytest.mark.parametrize("query", [GREEDY, HUNGRY], ids=["greedy", "hungry"])
def test_hostile_queries_end_in_a_resource_limit_and_server_keeps_serving(server, store, query):
    # the documented outcome for a query that would exhaust a worker, whichever limit it hits first
    status, ctype, text, _ = call(server, query)
    assert status == 503 and ctype.startswith("text/plain"), text
    assert "time limit of 2 s" in text or "memory limit of 256 MB" in text, text
    assert triple_count(server) == len(store)
    assert call(server, FAMILIES)[0] == 200


def test_row_cap_truncates_and_says_so(store):
    reply = execute(store, Request("SELECT ?s WHERE { ?s a skos:Concept }"), 5, 10.0, PREFIXES)
    rows = json.loads(reply.body)["results"]["bindings"]
    assert (
        reply.status == 200
        and len(rows) == 5
        and reply.headers["X-Result-Truncated"] == "at 5 rows"
    )


def test_negotiation_errors(server):
    status, _, text, _ = call(server, FAMILIES, accept="image/png")
    assert status == 406 and "application/sparql-results+json" not in text and "json" in text
    status, _, text, _ = call(server, "SELECT ?x WHERE { ?x ?y }")
    assert status == 400 and text.startswith("SPARQL syntax error: error at 1:")
    status, _, _, _ = call(server, method="POST", body="x", ctype="text/plain")
    assert status == 415


def test_page_lists_examples(server):
    host, port = server.server_address[:2]
    with urllib.request.urlopen(f"http://{host}:{port}/", timeout=30) as resp:
        page = resp.read().decode()
    assert '<form method="get" action="/sparql">' in page and "Named queries" in page
    assert ">top-authors</a>" in page and "VALUES (?area ?min)" not in page  # "all" is unbound
    assert "VALUES (?min)" in page


def test_cli_bad_graph_is_one_line(tmp_path):
    from kb.cli import main

    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle\n")
    result = CliRunner().invoke(
        main, ["serve", "--graph", str(bad), "--port", "0", "--workers", "1"]
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: cannot open the graph (")
    assert "Traceback" not in result.output


def _python(term):
    """A result term as `kb query` gives it with full IRIs (kb.sparql's documented row values)."""
    from decimal import Decimal

    xsd = "http://www.w3.org/2001/XMLSchema#"
    if isinstance(term, dict):
        kind, value, dt = term["type"], term["value"], term.get("datatype")
        if kind == "uri":
            return value
        if kind == "bnode":
            return "_:" + value
        if dt in {xsd + t for t in ("integer", "int", "long", "nonNegativeInteger", "gYear")}:
            return int(value)
        if dt in {xsd + t for t in ("decimal", "double", "float")}:
            return round(float(Decimal(value)), 6)
        if dt == xsd + "boolean":
            return value in ("true", "1")
        return value
    return term


def test_named_queries_over_http_give_kb_query_rows(server):
    """SPARQLWrapper sends every named query (defaults bound in VALUES); rows equal `kb query`'s."""
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    from kb import sparql
    from kb.serve import named_query_text

    names = [q.name for q in sparql.list_queries()]
    assert len(names) >= 20
    client = SPARQLWrapper(url(server))
    client.setReturnFormat(JSON)
    client.setMethod(POST)
    for name in names:
        client.setQuery(named_query_text(name))
        doc = client.queryAndConvert()
        if "boolean" in doc:
            got = [{"ask": doc["boolean"]}]
        else:
            cols = doc["head"]["vars"]
            got = [{c: _python(b.get(c)) for c in cols} for b in doc["results"]["bindings"]]
        expected = sparql.run_named(name, compact_iris=False)
        assert got == expected, name
        # stale-areas: with the second source (#10) every area has a paper since 2024 (the survey's
        # stale finding is `kb gaps --section stale`), so an empty answer is the right one there
        assert expected or name == "stale-areas", f"{name}: no rows on the real data, so the comparison proves little"


# --- hardening (#15): each test below failed before the fix ---------------------------------



def make(limits: Limits):
    srv = make_server(Source(taxonomy_path()), "127.0.0.1", 0, limits, quiet=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def stop(srv) -> None:
    srv.shutdown()
    srv.server_close()


def raw(srv, data: bytes, wait: float = 10.0) -> bytes:
    """Send raw bytes on a fresh connection; everything the server answers before it closes."""
    import socket

    host, port = srv.server_address[:2]
    with socket.create_connection((host, port), timeout=wait) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                length = [
                    int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")
                ]
                if length and len(body) >= length[0]:
                    return out


def test_memory_cap_stops_the_query_not_the_server(store):
    srv = make(Limits(timeout=30.0, workers=1, max_memory=64 * 2**20, flag_for=0.0))
    try:
        status, _, text, _ = call(srv, HUNGRY)
        assert status == 503 and "memory limit of 64 MB" in text
        assert triple_count(srv) == len(store)
    finally:
        stop(srv)


def test_response_cap(store):
    reply = execute(store, Request(FAMILIES), 100, 10.0, PREFIXES, max_response=200)
    assert reply.status == 503 and "response limit of 200 bytes" in reply.body.decode()
    doubling = (
        'SELECT ?s WHERE { BIND("0123456789abcdef" AS ?a) BIND(CONCAT(?a, ?a) AS ?b) '
        "BIND(CONCAT(?b, ?b) AS ?c) BIND(CONCAT(?c, ?c) AS ?s) }"
    )
    reply = execute(store, Request(doubling), 100, 10.0, PREFIXES, max_response=100)
    assert reply.status == 503


def test_long_queries_move_to_the_slow_lane_and_normal_ones_stay_served(store):
    # one normal worker: before the slow lane, a long query held it for the whole time limit and
    # every other query waited until it was killed (here: longer than the wait allowed, so 503)
    srv = make(Limits(timeout=8.0, workers=1, slow_lane=1, slow_after=0.3, queue_wait=5.0))
    try:
        heavy = threading.Thread(target=call, args=(srv, FOREVER))
        heavy.start()
        statuses = [call(srv, FAMILIES)[0] for _ in range(5)]
        assert statuses == [200] * 5
        # the slow lane (one slot) is taken: another long query is refused at once, with a hint
        status, _, text, headers = call(srv, FOREVER + " # again")
        assert status == 503 and "long-running" in text and int(headers["Retry-After"]) >= 1
        heavy.join()
        assert len(srv.pool.pids()) <= 1 + SPARES + 1  # normal, spares, at most one slow
    finally:
        stop(srv)


def test_a_client_whose_query_was_stopped_goes_to_the_slow_lane():
    import http.client

    srv = make(Limits(timeout=1.0, workers=1, slow_lane=1, slow_after=0.2))
    try:
        host, port = srv.server_address[:2]

        def post(source: str, query: str) -> int:
            conn = http.client.HTTPConnection(host, port, timeout=30, source_address=(source, 0))
            conn.request("POST", "/sparql", body=query, headers={"Content-Type": "application/sparql-query"})
            status = conn.getresponse().status
            conn.close()
            return status

        assert post("127.0.0.2", FOREVER) == 503  # stopped at the time limit
        assert srv.pool._goes_slow("any", "127.0.0.2")  # its next queries start in the slow lane
        assert not srv.pool._goes_slow("any", "127.0.0.3")
        assert post("127.0.0.3", FAMILIES) == 200
    finally:
        stop(srv)


def test_per_client_limit_and_bounded_queue():
    srv = make(Limits(timeout=2.0, workers=1, per_client=1, slow_after=5.0, queue=0, flag_for=0.0))
    try:
        heavy = threading.Thread(target=call, args=(srv, FOREVER))
        heavy.start()
        import time

        time.sleep(0.5)  # let it take the worker (not a timing assertion: only an ordering)
        status, _, text, headers = call(srv, FAMILIES)
        assert status == 429 and headers["Retry-After"] == "1"
        heavy.join()
    finally:
        stop(srv)
    srv = make(Limits(timeout=2.0, workers=1, slow_after=5.0, queue=0, flag_for=0.0))
    try:
        heavy = threading.Thread(target=call, args=(srv, FOREVER))
        heavy.start()
        import time

        time.sleep(0.5)
        status, _, text, headers = call(srv, FAMILIES)
        assert status == 503 and "busy" in text and headers["Retry-After"] == "1"
        heavy.join()
    finally:
        stop(srv)


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1e3", b"+5"])
def test_bad_content_length_is_400_and_never_read(server, length):
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    # the connection stays open: before the fix the server read on until the client closed
    answer = raw(server, head + b"Content-Length: " + length + b"\r\n\r\nASK {}")
    assert answer.startswith(b"HTTP/1.1 400") and b"bad Content-Length" in answer


def test_bad_graph_iri_is_400_and_the_worker_lives(server, store):
    before = server.pool.pids()
    status, _, text, _ = call(server, "ASK {}", params={"default-graph-uri": "a b"})
    assert status == 400 and "default-graph-uri" in text
    assert server.pool.pids() == before
    assert triple_count(server) == len(store)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 2200 + "}" * 2200,
        "SELECT * WHERE " + "(" * 2200 + ")" * 2200,
        "ASK { FILTER(" + "!" * 2198 + "true) }",  # each negation is a level of the parser
    ],
    ids=["braces", "parentheses", "negations"],
)
def test_deep_nesting_refused_before_the_parser(server, store, query):
    before = server.pool.pids()
    status, _, text, _ = call(server, method="POST", body=query, ctype="application/sparql-query")
    assert status == 400 and "nested 2200 levels" in text
    assert server.pool.pids() == before  # no worker was lost
    assert check_query("SELECT * WHERE { { { ?s ?p ?o } } }")  # ordinary nesting passes


def test_guard_is_linear_on_name_runs():
    import signal

    def too_slow(*_):
        raise TimeoutError("the guard took over 5 s on 64 KB (it was quadratic: 28 s)")

    old = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(5)  # a bound, not a benchmark: 64 KB now takes about 10 ms
    try:
        for body in ("a-" * 32768, "a." * 32768, "a:" + "b-" * 32768, '"' + "a-" * 32768):
            check_query("ASK {} #\n" + body[:65536], max_depth=10**6)
    except Refused:
        pass
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_slow_headers_are_cut_and_errors_are_short_plain_text():
    srv = make(Limits(timeout=2.0, workers=1, header_timeout=1.0))
    try:
        # headers never finished: the server closes the connection (before: held for ever)
        assert raw(srv, b"GET /sparql?query=ASK{} HTTP/1.1\r\nHost: x\r\n", wait=10.0) == b""
        answer = raw(srv, b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 501") and b"text/plain" in head and b"<" not in body
        assert b"Python" not in head and b"Server: kb-sparql/1\r\n" in head
        answer = raw(srv, b"GET /" + b"x" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 414") and b"<html" not in answer.lower()
        accept = "application/x-" + "y" * 40_000
        status, _, text, _ = call(srv, "ASK {}", accept=accept)
        assert status == 406 and len(text) < 300
    finally:
        stop(srv)
