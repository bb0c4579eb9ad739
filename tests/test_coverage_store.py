"""`kb coverage --store` (#16): the store's lookups give the in-memory report, field for field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb import graph as kbgraph
from kb import store as kbstore
from kb.cli import main
from kb.coverage.bibin import BibEntry
from kb.coverage.match import Index, surname
from kb.coverage.rank import Ranking
from kb.coverage.report import build_report, coverage_report
from kb.store import records

ROOT = Path(__file__).resolve().parent.parent
COVERAGE = ROOT / "tests" / "data" / "coverage"
REAL = kbgraph.taxonomy_path(ROOT / "data")


@pytest.fixture(scope="module")
def real_store(tmp_path_factory) -> Path:
    if not REAL.exists():
        pytest.skip("data/taxonomy.ttl not imported yet")
    out = tmp_path_factory.mktemp("real") / "store"
    kbstore.build_store(REAL, out)
    return out


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory) -> Path:
    """A 2,000-paper synthetic graph (scripts/synth.py): areas large enough to rank and truncate."""
    work = tmp_path_factory.mktemp("synth")
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "synth.py"), "2000", str(work), "--seed", "3"],
        check=True,
        capture_output=True,
    )
    kbstore.build_store(work / "synth-2000.nt", work / "store")
    return work / "store"


def _variants(papers) -> list[BibEntry]:
    """Entries that reach every tier of the matcher: ids, exact and fuzzy titles, possible matches, none."""
    out = []
    for i, p in enumerate(papers[::7]):
        authors, year = list(p.authors), p.year
        kind = i % 6
        if kind == 0:  # by identifier
            out.append(BibEntry(f"id{i}", title=p.title, authors=authors, year=year, doi=p.doi, arxiv=p.arxiv))
        elif kind == 1:  # one typo
            t = p.title
            out.append(BibEntry(f"typo{i}", title=t[:5] + t[6:] if len(t) > 12 else t, authors=authors, year=year))
        elif kind == 2:  # subtitle dropped, or a subtitle added
            main = p.title.split(":")[0]
            title = main if main != p.title else p.title + ": A Study"
            out.append(BibEntry(f"sub{i}", title=title, authors=authors[:1], year=year))
        elif kind == 3:  # renamed, same authors: the possible-match tier
            words = [w for w in p.title.split() if len(w) >= 4]
            out.append(BibEntry(f"ren{i}", title="Towards " + " ".join(words[::-1]), authors=authors, year=year))
        elif kind == 4:  # same title, other authors: a flagged match
            out.append(BibEntry(f"other{i}", title=p.title.upper(), authors=["Nobody"], year=year))
        else:  # unknown
            out.append(BibEntry(f"none{i}", title=f"An unrelated study number {i}", authors=authors[:1], year=year))
    return out


def test_store_lookups_are_the_index_lookups(synth_store):
    """Every lookup matching makes gives the same record numbers from the store as in memory."""
    papers, _ = records.load(synth_store)
    memory, (store, _, _) = Index(papers), records.open_coverage(synth_store)
    for i, p in enumerate(papers):
        assert store.paper(i) == p
        assert store._norm(i) == memory._norm(i)
        for key, value in (("title", memory._norm(i)), ("doi", p.doi), ("arxiv", p.arxiv)):
            if value:
                assert store._lookup(key, value) == memory._lookup(key, value), (p.id, key)
    words = {w for i in range(len(papers)) for w in memory._norm(i).split()} | {"zzz-none"}
    assert store._counts(words) == memory._counts(words)
    for w in sorted(memory._counts(words))[:200]:
        assert store._set(w) == memory._set(w)
    for name in {surname(p.authors[0]) for p in papers[:300] if p.authors} | {"nobody"}:
        assert store._by_first(name) == memory._by_first(name)


def test_the_lookups_are_keyed_tables(synth_store):
    """Every lookup goes through a table's own key, not a separate index a copy of the tables would drop."""
    import sqlite3

    db = sqlite3.connect(synth_store / "index.sqlite")
    indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'cov%' AND sql NOT NULL"
    assert db.execute(indexes).fetchall() == []
    for sql, args in (
        ("SELECT n FROM cov_key WHERE key = ? AND value = ? ORDER BY n", ("title", "x")),
        ("SELECT tok, n FROM cov_token WHERE tok IN (SELECT value FROM json_each(?))", ('["x"]',)),
        ("SELECT n, id FROM cov_rank WHERE area = ? ORDER BY pos", ("llm",)),
        ("SELECT n, norm FROM cov_paper WHERE n IN (SELECT value FROM json_each(?))", ("[1]",)),
    ):
        plan = " ".join(row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + sql, args))
        assert "SEARCH" in plan and "SCAN cov" not in plan, (sql, plan)


def test_store_ranking_is_the_memory_ranking(synth_store):
    """Newest year, papers per area and each area's first uncited papers of each group, as in memory."""
    papers, areas = records.load(synth_store)
    memory, (_, store, _) = Ranking(papers), records.open_coverage(synth_store)
    assert (store.newest, store.totals()) == (memory.newest, memory.totals())
    exclude = {p.id for p in papers[::3]}
    for area in [*memory.totals(), "no.such-area"]:
        for lack in (None, "older", "benchmark"):
            for k in (0, 1, 5, 50):
                assert store.ranked(area, lack, k, exclude) == memory.ranked(area, lack, k, exclude), (area, lack, k)


@pytest.mark.parametrize("top", [0, 1, 3, 10])
def test_store_report_is_the_memory_report_on_synthetic_data(synth_store, top):
    """Every tier and every ranking group, truncated at several --top, the same through the store."""
    papers, areas = records.load(synth_store)
    entries = _variants(papers)
    want = build_report(entries, [], papers, areas, top=top, predicted={})
    index, ranking, store_areas = records.open_coverage(synth_store)
    got = build_report(entries, [], None, store_areas, top=top, index=index, ranking=ranking, predicted={})
    assert got == want
    s = want["summary"]
    assert s["by_method"]["fuzzy"] and s["by_method"]["title"] and s["by_method"]["arxiv"], s
    assert s["possible"] and s["flagged"] and s["unmatched"] > s["possible"], s
    if top:
        assert {r["group"] for r in want["missing"]} == {"older", "benchmark", "important"}


@pytest.mark.parametrize("top", [0, 3, 10])
@pytest.mark.parametrize("bib", ["field.bib", "realistic.bib"])
def test_store_report_is_the_memory_report_on_the_real_graph(real_store, bib, top):
    """`kb coverage --store` on the real graph gives the report `kb coverage` gives from data/."""
    want = coverage_report(COVERAGE / bib, top=top)
    assert coverage_report(COVERAGE / bib, top=top, store=real_store) == want
    if bib == "field.bib":
        assert want["summary"]["possible"] and want["summary"]["by_method"]["fuzzy"]


def test_a_store_ranked_by_other_weights_is_refused(real_store, monkeypatch):
    """Each area's papers are kept in rank order: a change of the weights asks for a rebuild."""
    monkeypatch.setattr(records, "RANKED_BY", "ranked by something else")
    res = CliRunner().invoke(main, ["coverage", str(COVERAGE / "field.bib"), "--store", str(real_store)])
    assert res.exit_code == 1
    assert "rebuild it with `kb store build --force`" in res.output
    assert "Traceback" not in res.output
