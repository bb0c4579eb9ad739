"""Exports: SQLite, CSV, N-Triples and JSON-LD agree with the graph they come from."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from rdflib import RDF
from rdflib.compare import isomorphic

from kb.cli import main
from kb.export import export_all
from kb.export.sqlite_export import export_sqlite
from kb.graph import default_data_dir, parse_turtle
from kb.tables import SPECS, load_tables
from kb.vocab import BIBO, DCAT, DCTERMS, FOAF, KB, SKOS, TAXONOMY_SCHEME

FIXTURE = Path(__file__).parent / "data" / "gaps_mini.ttl"
REAL = default_data_dir()


def graph_counts(g: rdflib.Graph) -> dict[str, int]:
    """Row counts of the main tables, computed from the RDF graph without SPARQL or kb.tables."""
    papers = set(g.subjects(RDF.type, BIBO.AcademicArticle))
    methods = set(g.subjects(RDF.type, KB.Method))
    datasets = set(g.subjects(RDF.type, DCAT.Dataset))
    return {
        "concepts": len(set(g.subjects(SKOS.inScheme, TAXONOMY_SCHEME)) | set(g.subjects(RDF.type, KB.Topic))),
        "papers": len(papers),
        "authors": len(set(g.subjects(RDF.type, FOAF.Person))),
        "paper_authors": len(
            {(p, a) for p, a in g.subject_objects(DCTERMS.creator) if p in papers}
        ),
        "paper_concepts": len(
            {(p, c) for p, c in g.subject_objects(DCTERMS.subject) if p in papers}
        ),
        "models": len(set(g.subjects(RDF.type, KB.Model))),
        "methods": len(methods),
        "method_models": len(
            {(m, x) for m, x in g.subject_objects(KB.targetModel) if m in methods}
        ),
        "datasets": len(datasets),
        "method_datasets": len(
            {(m, d) for m, d in g.subject_objects(KB.evaluatedOn) if m in methods}
        ),
        "dataset_concepts": len(
            {(d, c) for d, c in g.subject_objects(KB.evaluates) if d in datasets}
        ),
        "defense_links": len(set(g.subject_objects(KB.answers))),
    }


def db_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {
            s.name: conn.execute(f'SELECT count(*) FROM "{s.name}"').fetchone()[0] for s in SPECS
        }


@pytest.fixture(scope="module")
def mini_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("export_mini")
    shutil.copy(FIXTURE, d / "taxonomy.ttl")
    return d


@pytest.fixture(scope="module")
def built(mini_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    export_all(out, data_dir=mini_dir)
    return out


def test_export_all_writes_every_format(built):
    names = {p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file()}
    assert names == {"kb.db", "kb.nt", "kb.jsonld", "context.jsonld"} | {
        f"csv/{s.name}.csv" for s in SPECS
    }
    assert not [n for n in names if Path(n).name.startswith(".")]  # no temp files left


def test_sqlite_counts_equal_the_graph(built):
    assert db_counts(built / "kb.db") == graph_counts(parse_turtle(FIXTURE))


def test_sqlite_foreign_keys_declared_and_valid(built):
    with sqlite3.connect(built / "kb.db") as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        fks = {(r[3], r[2]) for r in conn.execute("PRAGMA foreign_key_list(methods)")}
        assert fks == {
            ("paper_id", "papers"),
            ("subcategory_id", "concepts"),
            ("family", "concepts"),
        }
        parent = conn.execute(
            "SELECT parent FROM concepts WHERE id = 'vfm.vit.backdoor-attacks'"
        ).fetchone()
        assert parent == ("vfm.vit",)


def test_sqlite_full_text_search(built):
    with sqlite3.connect(built / "kb.db") as conn:
        hits = conn.execute(
            "SELECT p.id FROM papers p JOIN papers_fts f ON f.rowid = p.rowid "
            "WHERE papers_fts MATCH 'twenty queries'"
        ).fetchall()
        assert hits == [("chao2023jailbreaking",)]
        hits = conn.execute(
            "SELECT m.id FROM methods m JOIN methods_fts f ON f.rowid = m.rowid "
            "WHERE methods_fts MATCH 'slowformer'"
        ).fetchall()
        assert hits == [("vfm-slowformer",)]


def test_sqlite_values(built):
    with sqlite3.connect(built / "kb.db") as conn:
        conn.row_factory = sqlite3.Row
        gcg = dict(conn.execute("SELECT * FROM methods WHERE id = 'llm-gcg'").fetchone())
        assert gcg["paper_id"] == "zou2023universal" and gcg["survey_ref"] == "58"
        assert gcg["roadmap_disagrees"] == 1 and gcg["access_level"] == "access-white-box"
        advdm = conn.execute("SELECT access_level FROM methods WHERE id = 'dm-advdm'").fetchone()[0]
        assert advdm == "access-gray-box; access-white-box"
        authors = conn.execute(
            "SELECT author_id, position FROM paper_authors WHERE paper_id = ? ORDER BY position",
            ("chao2023jailbreaking",),
        ).fetchall()
        assert [tuple(a) for a in authors] == [("chao-patrick", 1), ("wang-zifan", 2)]
        anon = conn.execute("SELECT position FROM paper_authors WHERE paper_id = 'anon2024survey'")
        assert anon.fetchone()[0] is None  # a creator outside the author list
        year = conn.execute(
            "SELECT typeof(year), year FROM papers WHERE id = 'fu2022patch'"
        ).fetchone()
        assert tuple(year) == ("integer", 2022)


def test_dangling_links_are_reported_and_emptied(mini_dir, tmp_path):
    broken = tmp_path / "data"
    broken.mkdir()
    text = (mini_dir / "taxonomy.ttl").read_text()
    text += '\nmethod:llm-ghost a kb:Method ; rdfs:label "Ghost" ;\n'
    text += "    kb:proposedIn paper:nobody2020none ;\n"
    text += "    kb:evaluatedOn dataset:nowhere .\n"
    (broken / "taxonomy.ttl").write_text(text)
    tables = load_tables(broken)
    assert (
        "methods llm-ghost: paper_id nobody2020none is not in papers; left empty" in tables.problems
    )
    dropped = (
        "method_datasets llm-ghost/nowhere: dataset_id nowhere is not in datasets; row left out"
    )
    assert dropped in tables.problems
    ghost = next(m for m in tables["methods"] if m["id"] == "llm-ghost")
    assert ghost["paper_id"] is None
    export_sqlite(tmp_path / "kb.db", tables)
    with sqlite3.connect(tmp_path / "kb.db") as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    result = CliRunner().invoke(
        main, ["export", "sqlite", str(tmp_path / "cli.db"), "--data", str(broken)]
    )
    assert result.exit_code == 0
    assert (
        "· warning: methods llm-ghost: paper_id nobody2020none is not in papers; left empty"
        in result.output
    )


def test_csv_matches_sqlite(built):
    with sqlite3.connect(built / "kb.db") as conn:
        for spec in SPECS:
            with open(built / "csv" / f"{spec.name}.csv", newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{spec.name}")')]
            assert rows and list(rows[0]) == cols, spec.name
            assert len(rows) == conn.execute(f'SELECT count(*) FROM "{spec.name}"').fetchone()[0]
    with open(built / "csv" / "papers.csv", newline="", encoding="utf-8") as f:
        papers = {r["id"]: r for r in csv.DictReader(f)}
    assert papers["zou2023universal"]["arxiv_id"] == "2307.15043"
    assert papers["anon2024survey"]["year"] == ""


def test_ntriples_and_jsonld_parse_back_isomorphic(built):
    original = parse_turtle(FIXTURE)
    nt = rdflib.Graph().parse(built / "kb.nt", format="nt")
    assert isomorphic(nt, original)
    doc = json.loads((built / "kb.jsonld").read_text())
    assert doc["@context"]["concept"] == "https://w3id.org/lmsafety/concept/"
    assert json.loads((built / "context.jsonld").read_text())["@context"] == doc["@context"]
    ld = rdflib.Graph().parse(built / "kb.jsonld", format="json-ld")
    assert isomorphic(ld, original)


def test_ntriples_are_byte_identical_across_parses():
    from kb.export.rdf_export import ntriples

    first, second = ntriples(parse_turtle(FIXTURE)), ntriples(parse_turtle(FIXTURE))
    assert "_:b" in first  # the author lists are blank nodes, renamed by their path
    assert first == second


def test_cli_export_sqlite_and_help(mini_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main, ["export", "sqlite", str(tmp_path / "x.db"), "--data", str(mini_dir)]
    )
    assert result.exit_code == 0, result.output
    assert db_counts(tmp_path / "x.db")["methods"] == 12
    help_text = runner.invoke(main, ["export", "--help"]).output
    for sub in ("all", "sqlite", "csv", "rdf"):
        assert f"kb export {sub}" in help_text


def test_cli_unwritable_target_is_one_line(mini_dir, tmp_path):
    (tmp_path / "afile").write_text("")
    result = CliRunner().invoke(
        main, ["export", "all", str(tmp_path / "afile" / "out"), "--data", str(mini_dir)]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert "cannot write" in result.output and "Traceback" not in result.output


needs_real = pytest.mark.skipif(
    not (REAL / "taxonomy.ttl").exists(), reason="data/taxonomy.ttl not built"
)


@needs_real
def test_real_sqlite_counts_equal_the_graph(tmp_path):
    tables = load_tables()
    assert tables.problems == [], tables.problems[:5]
    export_sqlite(tmp_path / "kb.db", tables)
    assert db_counts(tmp_path / "kb.db") == graph_counts(parse_turtle(REAL / "taxonomy.ttl"))
    with sqlite3.connect(tmp_path / "kb.db") as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        hit = conn.execute(
            "SELECT p.id FROM papers p JOIN papers_fts f ON f.rowid = p.rowid "
            "WHERE papers_fts MATCH '\"universal and transferable adversarial attacks\"'"
        ).fetchall()
        assert hit == [("zou2023universal",)]


@needs_real
@pytest.mark.slow
def test_real_jsonld_round_trip(tmp_path):
    from kb.export.rdf_export import export_rdf

    original = parse_turtle(REAL / "taxonomy.ttl")
    export_rdf(tmp_path, original)
    back = rdflib.Graph().parse(tmp_path / "kb.jsonld", format="json-ld")
    assert len(back) == len(original)
    assert len(rdflib.Graph().parse(tmp_path / "kb.nt", format="nt")) == len(original)
