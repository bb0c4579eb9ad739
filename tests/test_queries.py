"""Named SPARQL queries: headers, portability, parameters as values, real counts, the CLI."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.namespace import RDF, SKOS

from kb import graph as kbgraph
from kb import sparql
from kb.cli import main
from kb.vocab import CONCEPT, FABIO, KB, MODEL, NAMESPACES

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini.ttl"
REAL = kbgraph.taxonomy_path(ROOT / "data")
QUERIES = sparql.list_queries()
NAMES = [q.name for q in QUERIES]
INJECTION = 'x" } ; DROP ALL ; SELECT * { ?s ?p "'

# Parameters for the real-data run where the default may rightly answer nothing as data changes.
REAL_PARAMS = {"stale-areas": {"since": "2025"}, "top-authors": {"min": "1"}}

needs_real = pytest.mark.skipif(not REAL.exists(), reason="data/taxonomy.ttl not imported yet")


def normalised(rows: list[dict]) -> list[str]:
    """Rows as sorted JSON strings: order-free comparison of two engines' answers."""
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


@pytest.fixture(scope="module")
def mini_sources():
    return sparql.load_file(MINI, "oxigraph"), sparql.load_file(MINI, "rdflib")


@pytest.fixture(scope="module")
def real_sources():
    return sparql.load_file(REAL, "oxigraph"), sparql.load_file(REAL, "rdflib")


# ---------------------------------------------------------------- the library of queries


def test_at_least_twenty_named_queries():
    assert len(QUERIES) >= 20, NAMES


@pytest.mark.parametrize("query", QUERIES, ids=NAMES)
def test_header_describes_query(query):
    assert query.path.name == f"{query.name}.rq"
    assert query.text.startswith(f"# name: {query.name}\n")
    assert len(query.description) > 20 and query.description.endswith(".")
    for param in query.params:
        assert param.type in sparql.PARAM_TYPES and param.description
        # pyoxigraph only binds projected variables, and a projected parameter shows the value used
        assert param.name in sparql.projected_variables(query.text), param.name
    assert sparql.with_values(query.text, {"x": '"1"'}) is not None, "no WHERE group to bind into"


@pytest.mark.parametrize("query", QUERIES, ids=NAMES)
def test_runs_standalone_in_any_store(query):
    """The .rq file alone (its own PREFIX lines, parameters unbound) is valid SPARQL 1.1."""
    store = ox.Store()
    list(store.query(query.text))  # raises SyntaxError on an undeclared prefix or bad syntax
    declared = dict(re.findall(r"^PREFIX (\w+): <([^>]+)>", query.text, re.M))
    for prefix, iri in declared.items():
        assert str(NAMESPACES[prefix]) == iri, f"PREFIX {prefix}: differs from kb.vocab"


@pytest.mark.parametrize("query", QUERIES, ids=NAMES)
def test_same_rows_on_both_engines_mini(query, mini_sources):
    store, graph = mini_sources
    ox_rows = sparql.run_named(query.name, source=store)
    rdflib_rows = sparql.run_named(query.name, source=graph)
    assert ox_rows.columns == rdflib_rows.columns
    assert normalised(ox_rows) == normalised(rdflib_rows)
    assert ox_rows == rdflib_rows, "same rows, different order: make ORDER BY total"


@pytest.mark.slow
@needs_real
@pytest.mark.parametrize("query", QUERIES, ids=NAMES)
def test_same_rows_on_both_engines_real(query, real_sources):
    store, graph = real_sources
    params = REAL_PARAMS.get(query.name)
    ox_rows = sparql.run_named(query.name, params, source=store)
    rdflib_rows = sparql.run_named(query.name, params, source=graph)
    assert ox_rows, f"{query.name} answers nothing on the real graph with its defaults"
    assert normalised(ox_rows) == normalised(rdflib_rows)
    assert ox_rows == rdflib_rows, "same rows, different order: make ORDER BY total"


# ---------------------------------------------------------------- answers on the fixture

# One known fact per query on tests/data/mini.ttl (defaults): (row count, a row that must be there).
MINI_ANSWERS = {
    "access-level-matrix": (5, {"family": "concept:llm", "level": "black-box", "methods": 2}),
    "attacks-by-kind-access": (3, {"name": "PAIR", "year": 2023}),
    "concept-tree": (14, {"node": "concept:llm.jailbreak-attacks.white-box", "depth": 2}),
    "datasets-for-area": (
        2,
        {"dataset": "dataset:advbench", "methods": 2, "in_survey_table": True},
    ),
    "datasets-for-method": (
        2,
        {"dataset": "dataset:advbench", "relation": "introduced by its paper"},
    ),
    "defenses-for-attack": (1, {"defense": "concept:llm.jailbreak-defenses", "methods": 1}),
    "describe": (14, {"property": "kb:proposedIn", "direction": "in", "value": "method:llm-gcg"}),
    "family-kind-matrix": (
        5,
        {"kind": "facet:kind-jailbreak", "family": "concept:llm", "methods": 3},
    ),
    "family-summary": (4, {"family": "concept:llm", "papers": 7, "paper_share": 77.78}),
    "family-threat-matrix": (
        7,
        {"area": "concept:llm.jailbreak-attacks", "papers": 5, "datasets": 1},
    ),
    "family-year-matrix": (4, {"family": "concept:llm", "year": 2024, "papers": 3}),
    "methods-on-dataset": (3, {"name": "SmoothLLM", "role": "facet:role-defense"}),
    "methods-targeting-model": (4, {"name": "SmoothLLM", "first_match": "LLaMA-2"}),
    "methods-under-concept": (3, {"name": "GCG", "subcategory": "Automated"}),
    "multi-area-papers": (2, {"paper": "paper:shen2024anything", "areas": 2}),
    "newest-papers": (
        7,
        {"area": "concept:llm.jailbreak-attacks", "paper": "paper:shen2024anything"},
    ),
    "papers-by-author": (3, {"author": "person:wong-eric", "paper": "paper:robey2023smoothllm"}),
    "papers-per-year": (3, {"year": 2024, "papers": 3, "papers_with_methods": 1}),
    "papers-under-concept": (5, {"paper": "paper:zou2023universal", "venue": "arXiv"}),
    "review-queue": (4, {"issue": "road-map category differs", "detail": "Black-Box"}),
    "role-split": (5, {"family": "concept:llm", "role": "facet:role-evaluation", "papers": 1}),
    "search": (1, {"item": "paper:xu2024instructions", "kind": "paper"}),
    "stale-areas": (4, {"area": "concept:dm.jailbreak-attacks", "latest": 2022}),
    "top-authors": (3, {"author": "person:robey-alexander", "papers": 2}),
    "top-target-models": (6, {"model": "model:gpt-4", "methods": 4, "attacks": 3, "defenses": 1}),
    "undefended-attacks": (2, {"area": "concept:llm.backdoor-attacks", "methods": 1}),
}


def test_every_query_has_a_known_answer():
    assert sorted(MINI_ANSWERS) == NAMES


@pytest.mark.parametrize("query", QUERIES, ids=NAMES)
def test_mini_known_answer(query, mini_sources):
    count, expected = MINI_ANSWERS[query.name]
    rows = sparql.run_named(query.name, source=mini_sources[0])
    assert len(rows) == count
    assert any(expected.items() <= row.items() for row in rows), expected


def test_mini_answers(mini_sources):
    store, _ = mini_sources
    names = {r["name"] for r in sparql.run_named("attacks-by-kind-access", source=store)}
    assert names == {"PAIR", "Jailbroken", "SD Red-Teaming"}  # GCG is white-box
    white = sparql.run_named("attacks-by-kind-access", {"access": "white-box"}, source=store)
    assert {r["name"] for r in white} == {"GCG"}
    undefended = {r["area"] for r in sparql.run_named("undefended-attacks", source=store)}
    assert undefended == {"concept:llm.backdoor-attacks", "concept:dm.jailbreak-attacks"}
    stale = {r["area"]: r["latest"] for r in sparql.run_named("stale-areas", source=store)}
    assert stale["concept:dm.jailbreak-attacks"] == 2022
    assert stale["concept:vfm.vit.adversarial-defenses"] is None  # no paper at all
    assert "concept:llm.jailbreak-attacks" not in stale
    llama = sparql.run_named("methods-targeting-model", {"model": "llama-2"}, source=store)
    assert {r["name"] for r in llama} == {"GCG", "PAIR", "Instruction Attack", "SmoothLLM"}
    depth = {r["node"]: r["depth"] for r in sparql.run_named("concept-tree", source=store)}
    assert (
        depth["concept:llm"] == 0
        and depth["concept:llm.jailbreak-attacks.black-box.automated"] == 3
    )


# ---------------------------------------------------------------- parameters are values


@pytest.mark.parametrize("engine", sparql.ENGINES)
@pytest.mark.parametrize("value", [INJECTION, "?s", "} UNION { ?item ?p ?label }"])
def test_text_parameter_is_a_plain_literal(engine, value, mini_sources):
    source = mini_sources[0] if engine == "oxigraph" else mini_sources[1]
    echo = (
        "# param text (text): any text\n"
        "SELECT ?text (isLiteral(?text) AS ?literal) (STRLEN(?text) AS ?length) WHERE { }"
    )
    assert sparql.run_text(echo, {"text": value}, source=source) == [
        {"text": value, "literal": True, "length": len(value)}
    ]
    # the same value in the search query matches nothing and changes nothing
    size = len(source)
    assert sparql.run_named("search", {"text": value}, source=source) == []
    assert len(source) == size
    # an ordinary value does match, so the empty answer above is the value's doing
    assert sparql.run_named("search", {"text": "GCG"}, source=source)


@pytest.mark.parametrize("value", [INJECTION, "llm> } ; DROP ALL", "?s"])
def test_iri_parameter_must_be_an_id(value, mini_sources):
    with pytest.raises(sparql.QueryError, match="not a concept id"):
        sparql.run_named("papers-under-concept", {"concept": value}, source=mini_sources[0])


def test_parameter_forms_and_errors(mini_sources):
    store = mini_sources[0]
    by_id = sparql.run_named(
        "papers-under-concept", {"concept": "llm.jailbreak-attacks"}, source=store
    )
    by_curie = sparql.run_named(
        "papers-under-concept", {"concept": "concept:llm.jailbreak-attacks"}, source=store
    )
    by_iri = sparql.run_named(
        "papers-under-concept", {"concept": str(CONCEPT["llm.jailbreak-attacks"])}, source=store
    )
    assert by_id == by_curie == by_iri and len(by_id) == 5
    kind = sparql.run_named("family-kind-matrix", {"kind": "kind-jailbreak"}, source=store)
    assert kind == sparql.run_named("family-kind-matrix", {"kind": "jailbreak"}, source=store)
    with pytest.raises(sparql.QueryError, match="has no parameter 'concpt'"):
        sparql.run_named("papers-under-concept", {"concpt": "llm"}, source=store)
    with pytest.raises(sparql.QueryError, match="not an integer"):
        sparql.run_named("stale-areas", {"since": "2024; DROP ALL"}, source=store)
    with pytest.raises(sparql.QueryError, match="unknown query"):
        sparql.run_named("no-such-query", source=store)


def test_bad_header_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("# name: bad\n# param x: no type\nSELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(sparql.QueryError, match=r"bad.rq:2: bad param line"):
        sparql.load_query(bad)


# ---------------------------------------------------------------- real data vs independent counts


def _below(graph: rdflib.Graph, concept) -> set:
    """The concept and everything below it, walked with triples() rather than SPARQL."""
    seen, todo = set(), [concept]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.objects(node, SKOS.narrower))
    return seen


@needs_real
def test_matrix_counts_match_triples(real_sources):
    store, graph = real_sources
    rows = sparql.run_named("family-threat-matrix", source=store)
    areas = set(graph.subjects(RDF.type, KB.ThreatType))
    assert {r["area"] for r in rows} == {sparql.compact(str(a)) for a in areas}
    for row in rows:
        area = CONCEPT[row["area"].split(":", 1)[1]]
        below = _below(graph, area)
        methods = {m for c in below for m in graph.subjects(KB.subcategory, c)}
        papers = {p for c in below for p in graph.subjects(rdflib.namespace.DCTERMS.subject, c)}
        assert (row["methods"], row["papers"]) == (len(methods), len(papers)), row["area"]


@needs_real
def test_year_and_target_counts_match_triples(real_sources):
    store, graph = real_sources
    years = Counter(int(str(y)) for y in graph.objects(None, FABIO.hasPublicationYear))
    rows = sparql.run_named("papers-per-year", source=store)
    assert {r["year"]: r["papers"] for r in rows} == dict(years)
    targets = Counter(m for _, m in graph.subject_objects(KB.targetModel))
    top = sparql.run_named("top-target-models", source=store)
    assert {r["model"]: r["methods"] for r in top} == {
        sparql.compact(str(m)): n for m, n in targets.items()
    }
    assert top[0]["methods"] == max(targets.values())
    assert all(str(m).startswith(str(MODEL)) for m in targets)


# ---------------------------------------------------------------- command line


@pytest.fixture()
def mini_data(tmp_path, monkeypatch):
    shutil.copy(MINI, tmp_path / "taxonomy.ttl")
    monkeypatch.setenv("KB_DATA", str(tmp_path))
    monkeypatch.setenv(sparql.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path


def test_disk_store_cache(mini_data):
    """`kb query` opens a cached on-disk store keyed by the file's hash; edits make a new one."""
    path = mini_data / "taxonomy.ttl"
    in_memory = sparql.run_named("family-summary", source=sparql.load_file(path))
    first = sparql.disk_store(path)
    assert first is not None and len(first) == len(sparql.load_file(path))
    assert sparql.run_named("family-summary", source=first) == in_memory
    built = sorted((mini_data / "cache").iterdir())
    assert len(built) == 1 and sparql.disk_store(path) is not None
    assert sorted((mini_data / "cache").iterdir()) == built  # reused, not rebuilt
    extra = "<https://w3id.org/lmsafety/model/x> a <https://w3id.org/lmsafety/vocab#Model> .\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(extra)
    assert len(sparql.disk_store(path)) == len(first) + 1
    assert len(list((mini_data / "cache").iterdir())) == 2


def test_disk_store_cache_can_be_turned_off(mini_data, monkeypatch):
    monkeypatch.setenv(sparql.CACHE_ENV, "0")
    assert sparql.disk_store(mini_data / "taxonomy.ttl") is None
    assert sparql.run_named("papers-per-year", data_dir=mini_data)[0] == {
        "year": 2022,
        "papers": 2,
        "papers_with_methods": 2,
    }


def test_bad_turtle_is_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv(sparql.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "taxonomy.ttl").write_text("@prefix x: <http://x/> .\nx:a x:b\n")
    result = CliRunner().invoke(main, ["query", "papers-per-year", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'taxonomy.ttl'}:3: invalid Turtle (")
    assert result.output.count("\n") == 1


def test_cli_list_json_and_table():
    result = CliRunner().invoke(main, ["query", "--list", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [q["name"] for q in listed] == NAMES
    assert all(q["description"] for q in listed)
    concept = next(q for q in listed if q["name"] == "papers-under-concept")["params"][0]
    assert concept == {
        "name": "concept",
        "type": "concept",
        "description": concept["description"],
        "default": "llm.jailbreak-attacks",
    }
    table = CliRunner().invoke(main, ["query", "--list"])
    assert re.search(
        r"^attacks-by-kind-access +kind=jailbreak access=black-box\n +Every", table.output, re.M
    )


def test_cli_runs_named_query(mini_data):
    result = CliRunner().invoke(
        main, ["query", "attacks-by-kind-access", "-p", "access=white-box", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "kind,access,family,area,subcategory,method,name,paper,year"
    assert lines[1:] == [
        "facet:kind-jailbreak,facet:access-white-box,concept:llm,concept:llm.jailbreak-attacks,"
        "Automated,method:llm-gcg,GCG,paper:zou2023universal,2023"
    ]
    empty = CliRunner().invoke(main, ["query", "search", "-p", f"text={INJECTION}"])
    assert empty.exit_code == 0 and empty.output.splitlines()[0].split() == [
        "text",
        "kind",
        "item",
        "label",
        "year",
    ]


def test_cli_engines_agree(mini_data):
    outputs = [
        CliRunner()
        .invoke(main, ["query", "family-summary", "--engine", e, "--format", "json"])
        .output
        for e in sparql.ENGINES
    ]
    assert json.loads(outputs[0]) == json.loads(outputs[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query"], "Error: give a query NAME, or run `kb query --list` to see them"),
        (["query", "nope"], "Error: unknown query 'nope'; run `kb query --list` to see the names"),
        (
            ["query", "search", "-p", "text"],
            "Error: --param 'text': write KEY=VALUE, e.g. --param concept=llm",
        ),
        (
            ["query", "stale-areas", "-p", "since=soon"],
            "Error: --param since='soon': not an integer",
        ),
    ],
)
def test_cli_errors_are_one_line(mini_data, args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip() == message


def test_cli_sparql_stdin_and_file(mini_data, tmp_path):
    text = (
        "PREFIX kb: <https://w3id.org/lmsafety/vocab#>\n"
        "SELECT (COUNT(?m) AS ?n) WHERE { ?m a kb:Method }\n"
    )
    result = CliRunner().invoke(main, ["sparql", "-", "--format", "json"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"n": 7}]
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ")
    result = CliRunner().invoke(main, ["sparql", str(bad)])
    assert result.exit_code == 1
    assert (
        result.output.startswith(f"Error: {bad}: invalid SPARQL (")
        and result.output.count("\n") == 1
    )
    missing = CliRunner().invoke(main, ["sparql", str(tmp_path / "none.rq")])
    assert missing.exit_code == 1 and "none.rq: file not found" in missing.output


def test_cli_show_prints_the_file():
    result = CliRunner().invoke(main, ["query", "search", "--show"])
    assert result.output.rstrip("\n") == sparql.get_query("search").text.rstrip("\n")


def test_every_query_is_documented():
    docs = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    for query in QUERIES:
        assert f"### `{query.name}`" in docs, f"{query.name}: run `python -m kb.sparql`"
    assert sparql.reference_markdown() in docs, (
        "docs/queries.md is stale: run `python -m kb.sparql`"
    )
