"""The prebuilt store (#16): every named question gives today's rows through it, paging, staleness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kb import graph as kbgraph
from kb import sparql
from kb import store as kbstore
from kb.cli import main
from kb.store.queries import store_queries

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini.ttl"
REAL = kbgraph.taxonomy_path(ROOT / "data")
NAMES = [q.name for q in sparql.list_queries()]

# Parameter sets beyond the defaults: every branch of the store forms (unbound filters, the
# SPARQL fallback, text under three characters, GLOB metacharacters, unknown ids).
VARIANTS: dict[str, list[dict[str, str]]] = {
    "access-level-matrix": [{"family": "vlm"}, {"family": "llm"}],
    "attacks-by-kind-access": [{"access": "white-box"}, {"kind": "adversarial"}],
    "concept-tree": [{"concept": "vfm.vit"}, {"concept": "llm.jailbreak-attacks"}, {"concept": "llm.no-such-area"}],
    "datasets-for-area": [{"area": "llm"}, {"area": "vfm.vit.adversarial-attacks"}],
    "defenses-for-attack": [{"attack": "vfm.vit.adversarial-attacks.white-box"}],
    "family-kind-matrix": [{"kind": "backdoor-poisoning"}],
    "family-threat-matrix": [{"family": "dm"}],
    "family-year-matrix": [{"family": "llm"}],
    "methods-targeting-model": [{"model": "gpt"}, {"model": "ll"}, {"model": "[*?"}, {"model": ""}],
    "methods-under-concept": [{"concept": "llm"}, {"concept": "vfm.vit"}],
    "multi-area-papers": [],
    "newest-papers": [{"family": "agent"}, {"family": "vlm"}],
    "papers-by-author": [{"name": "zou"}, {"name": "Li"}, {"name": "é"}],
    "papers-under-concept": [{"concept": "llm"}, {"concept": "dm.jailbreak-attacks"}],
    "role-split": [{"family": "llm"}],
    "search": [{"text": "GCG"}, {"text": "jail"}, {"text": "xy"}, {"text": "100%"}],
    "stale-areas": [{"since": "2025"}, {"since": "2030"}],
    "top-authors": [{"min": "1"}, {"min": "3"}, {"area": "llm.jailbreak-attacks"}],
    "top-target-models": [{"match": "clip"}, {"match": "LLaMA-2"}, {"match": "ab"}],
    "undefended-attacks": [{"family": "vfm"}],
}
CASES = [(n, {}) for n in NAMES] + [(n, p) for n, ps in VARIANTS.items() for p in ps]
IDS = [f"{n}-{json.dumps(p, ensure_ascii=False)}" if p else n for n, p in CASES]


def _build(source: Path, out: Path) -> kbstore.Store:
    kbstore.build_store(source, out)
    return kbstore.open_store(out)


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    if not REAL.exists():
        pytest.skip("data/taxonomy.ttl not imported yet")
    store = _build(REAL, tmp_path_factory.mktemp("real") / "store")
    return store, sparql.load_file(REAL, "oxigraph")


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory):
    """A 300-paper synthetic graph (scripts/synth.py) in N-Triples, and a 60-entry bib against it."""
    work = tmp_path_factory.mktemp("synth")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "synth.py"), "300", str(work), "--seed", "7", "--bib", "60"],
        check=True,
        capture_output=True,
    )
    nt = work / "synth-300.nt"
    with pytest.MonkeyPatch.context() as mp:  # pyoxigraph loads it in many slices, as at scale
        mp.setattr(kbstore.build, "CHUNK", 1 << 16)
        store = _build(nt, work / "store")
        assert nt.stat().st_size > 8 * kbstore.build.CHUNK
    return store, store.ox


def _same(store, source, name, params):
    want = sparql.run_named(name, params, source=source)
    got = kbstore.run_named(store, name, params)
    assert got.columns == want.columns
    assert list(got) == list(want), f"{name} {params}: first store row {got[:1]} vs {want[:1]}"
    assert got.total == len(want)


def test_every_slow_question_has_a_store_form():
    lookups = {"describe", "datasets-for-method", "methods-on-dataset"}  # one resource: fast in SPARQL
    assert set(store_queries()) == set(NAMES) - lookups


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_store_gives_todays_rows_on_real_data(real_store, name, params):
    _same(*real_store, name, params)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_store_gives_todays_rows_on_synthetic_data(synth_store, name, params):
    _same(*synth_store, name, params)


def test_paging_has_a_total(real_store):
    store, source = real_store
    full = sparql.run_named("review-queue", source=source)
    page = kbstore.run_named(store, "review-queue", limit=10, offset=5)
    assert list(page) == list(full[5:15]) and page.total == len(full)
    fallback = kbstore.run_named(store, "describe", limit=3, offset=1)  # a SPARQL-form question
    assert len(fallback) == 3 and fallback.total == len(sparql.run_named("describe", source=source))


def test_rebuild_is_a_no_op_and_a_changed_source_is_refused(tmp_path):
    src = tmp_path / "kb.ttl"
    src.write_bytes(MINI.read_bytes())
    out = tmp_path / "store"
    first = kbstore.build_store(src, out)
    assert kbstore.build_store(src, out) == first
    src.write_text(MINI.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    with pytest.raises(kbstore.StoreError, match="built from an older"):
        kbstore.open_store(out)
    second = kbstore.build_store(src, out)
    assert second["sha256"] != first["sha256"]
    kbstore.open_store(out)


def test_cli_build_query_and_paging(tmp_path):
    out = tmp_path / "store"
    runner = CliRunner()
    built = runner.invoke(main, ["store", "build", str(MINI), "--out", str(out)])
    assert built.exit_code == 0, built.output
    want = sparql.run_named("papers-per-year", source=sparql.load_file(MINI))
    res = runner.invoke(main, ["query", "papers-per-year", "--store", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == [dict(r) for r in want]
    res = runner.invoke(
        main, ["query", "papers-per-year", "--store", str(out), "--limit", "1", "--offset", "1", "--format", "json"]
    )
    assert json.loads(res.stdout) == [dict(want[1])]
    assert f"rows 2-2 of {len(want)}" in res.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["store", "build", "nope.ttl", "--out", "X"], "nope.ttl: file not found"),
        (["query", "papers-per-year", "--store", "NOSTORE"], "NOSTORE: not a store"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, args)
    assert res.exit_code != 0 and message in res.output and "Traceback" not in res.output


def test_bad_ntriples_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://a> <http://b> .\n", encoding="utf-8")
    with pytest.raises(kbstore.StoreError, match="bad.nt"):
        kbstore.build_store(bad, tmp_path / "store")


def test_bad_line_in_a_later_slice_names_its_line_in_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(kbstore.build, "CHUNK", 100)
    bad = tmp_path / "bad.nt"
    good = "".join(f"<http://a/{i}> <http://b> <http://c> .\n" for i in range(20))
    bad.write_text(good + '<http://a> <http://b> "open\n', encoding="utf-8")
    with pytest.raises(kbstore.StoreError, match=r"bad.nt: not valid N-Triples \(.*between line 21 column"):
        kbstore.build_store(bad, tmp_path / "store")


def test_store_records_are_the_coverage_records(real_store, synth_store):
    """The records table holds what kb.coverage.source builds from the same graph, record for record."""
    from kb.coverage import source
    from kb.store import records

    real, synth = real_store[0], synth_store[0]
    for store, (want, want_areas) in (
        (real, source.load(ROOT / "data")),  # what `kb coverage` reads without --store
        (synth, (source.papers_from_store(synth.ox), source.areas_from_store(synth.ox))),
    ):
        papers, areas = records.load(store.path)
        assert len(papers) == len(want) > 0
        for got, expected in zip(papers, want, strict=True):
            assert got == expected, f"{store.path}: record {expected.id} differs in the store"
        assert areas == want_areas
        assert any(p.signals.methods for p in papers)
    assert any(p.placements for p in records.load(real.path)[0])


def test_cli_coverage_with_a_store(real_store):
    from kb.coverage.report import coverage_report

    store, _ = real_store
    bib = ROOT / "tests" / "data" / "coverage" / "realistic.bib"
    want = coverage_report(bib)
    res = CliRunner().invoke(main, ["coverage", str(bib), "--store", str(store.path), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == json.loads(json.dumps(want))


def test_cli_coverage_with_a_store_on_synthetic_data(synth_store, tmp_path):
    """`kb coverage` gives the same JSON with `--store` as from the same graph given as --data."""
    store, _ = synth_store
    data = tmp_path / "data"
    data.mkdir()
    # N-Triples is Turtle: the synthetic graph serves as a data folder's taxonomy.ttl
    (data / kbgraph.TAXONOMY_FILE).write_bytes((store.path.parent / "synth-300.nt").read_bytes())
    bib = store.path.parent / "synth-300.bib"
    out = {}
    for how in ([], ["--store", str(store.path)]):
        res = CliRunner().invoke(main, ["coverage", str(bib), "--data", str(data), *how, "--format", "json"])
        assert res.exit_code == 0, res.output
        out[bool(how)] = json.loads(res.output)
    assert out[True]["summary"]["matched"] > 0
    assert out[True] == out[False]


def test_serve_opens_the_graph_of_a_built_store(real_store):
    from kb.serve import Source

    store, source = real_store
    served = Source(kbstore.oxigraph_dir(store.path), on_disk=True).open()
    assert len(served) == len(source) > 0


def test_a_sliced_load_keeps_blank_nodes_whole(synth_store):
    """Author lists are blank-node chains: slices of the file must not cut them (pyoxigraph renames
    a blank node on every bulk load), so the store walks the same lists as the file loaded whole."""
    from kb.coverage import source

    store, sliced = synth_store
    whole = ox.Store()
    whole.bulk_load(path=store.meta["source"], format=ox.RdfFormat.N_TRIPLES)
    want = source._author_lists(whole)
    assert sum(len(names) > 1 for names in want.values()) > 30
    assert source._author_lists(sliced) == want
