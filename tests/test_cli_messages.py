"""The CLI as a researcher meets it: typos named with their nearest values, help and lists whole."""

from __future__ import annotations

from click.testing import CliRunner

from kb.cli import main
from kb.sparql import list_queries


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_query_param_that_names_nothing_is_an_error_with_suggestions():
    res = run("query", "attacks-by-kind-access", "-p", "kind=jailbrake")
    assert res.exit_code == 1
    assert "--param kind='jailbrake' names no kind" in res.output
    assert "did you mean jailbreak" in res.output
    assert "Traceback" not in res.output


def test_query_concept_typo_suggests_the_concept_ids():
    res = run("query", "papers-under-concept", "-p", "concept=llm.jailbreak")
    assert res.exit_code == 1
    assert "llm.jailbreak-attacks" in res.output.split("did you mean", 1)[1]


def test_query_with_valid_values_still_answers():
    res = run("query", "attacks-by-kind-access", "-p", "kind=jailbreak", "--format", "csv")
    assert res.exit_code == 0, res.output
    assert res.output.count("\n") > 10


def test_help_keeps_each_command_summary_whole():
    res = run("--help")
    assert res.exit_code == 0
    assert "Run a named SPARQL question with parameters" in res.output
    assert "..." not in res.output.split("Commands:", 1)[1]
    assert "e.g.\n" not in res.output


def test_query_list_shows_every_description_whole():
    res = run("query", "--list")
    assert res.exit_code == 0
    flat = " ".join(res.output.split())
    for q in list_queries():
        assert " ".join(q.description.split()) in flat, q.name
    assert "…" not in res.output


def test_coverage_missing_aux_names_the_aux_file(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a, title={X}, year={2020}}\n", encoding="utf-8")
    res = run("coverage", str(bib), "--aux", str(tmp_path / "missing.aux"))
    assert res.exit_code == 1
    assert "missing.aux: file not found; give the paper's .aux file" in res.output
    assert ".bib file" not in res.output
