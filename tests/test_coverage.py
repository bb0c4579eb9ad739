"""`kb coverage`: real-world bibliographies, the JSON shape, the renderers and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.coverage import coverage_report
from kb.coverage.bibin import read_aux, read_references
from kb.coverage.render import heatmap_grid, to_html, to_markdown

DATA = Path(__file__).parent / "data" / "coverage"
BIB, AUX, BROKEN, IDS = (DATA / n for n in ("realistic.bib", "paper.aux", "broken.bib", "ids.txt"))


@pytest.fixture(scope="module")
def report() -> dict:
    return coverage_report(BIB, top=5)


def test_broken_entries_are_reported_with_line_and_reason_and_skipped() -> None:
    entries, malformed = read_references(BROKEN)
    assert [e.key for e in entries] == [
        "zou2023universal",
        "wei2023jailbroken",
        "vaswani2017attention",
    ]
    assert [(m.line, m.error.split(" ")[0]) for m in malformed] == [
        (10, "Expected"),
        (21, "Unexpected"),
    ]
    assert "missing comma after the key" in malformed[0].error
    assert "unbalanced braces" in malformed[1].error


def test_json_shape(report: dict) -> None:
    s = report["summary"]
    assert set(s) >= {"entries", "matched", "unmatched", "malformed"}
    assert s["entries"] == len(report["entries"]) == s["matched"] + s["unmatched"]
    assert sum(s["by_method"].values()) == s["matched"]
    assert s["entries"] >= 150
    for e in report["entries"]:
        assert isinstance(e["key"], str) and isinstance(e["title"], str)
        if e["match"] is not None:
            assert set(e["match"]) - {"flag"} == {"id", "title", "method", "score", "areas"}
            assert e["match"]["areas"] and all(
                set(a) == {"id", "how", "score"} and a["how"] in {"survey", "list", "predicted"}
                for a in e["match"]["areas"]
            )
            assert e["possible"] == [] and "group" not in e
            assert e["match"]["method"] in {"doi", "arxiv", "title", "fuzzy"}
            assert 0.0 < e["match"]["score"] <= 1.0
        else:
            assert e["group"] in {"possible", "placed", "outside"}
            assert all(set(p) == {"id", "title", "reason"} for p in e["possible"])
    for b in report["malformed"]:
        assert isinstance(b["line"], int) and isinstance(b["error"], str)
    for c in report["coverage"]:
        assert 0 <= c["cited"] <= c["total"] and c["threat_type"].startswith(
            c["model_family"] + "."
        )
    for m in report["missing"]:
        assert set(m) >= {"area", "id", "title", "year", "links", "score", "why", "group"}
        assert isinstance(m["year"], int)
    assert report["ranked_by"].startswith("ranked by ") and "not by recency" in report["ranked_by"]
    assert 0 <= s["known_share"] <= 1 and s["possible"] >= 0
    json.dumps(report)  # serialisable as is


def test_realistic_bib_matches_survey_papers_and_nothing_else(report: dict) -> None:
    by_key = {e["key"]: e for e in report["entries"]}
    outside = [k for k in by_key if k.startswith("ext")]  # well-known papers outside the survey
    # since the second source (#10) the graph holds the field: such a paper matches a list paper, never
    # one of the survey's
    from kb.graph import load_graph
    from kb.vocab import KB, PAPER, SOURCE

    g = load_graph()
    survey = set(g.subjects(KB.inSource, SOURCE["survey-v6"]))
    assert len(outside) >= 50
    assert all(by_key[k]["match"] is None or PAPER[by_key[k]["match"]["id"]] not in survey for k in outside)
    inside = [k for k in by_key if not k.startswith("ext")]
    assert all(by_key[k]["match"] for k in inside), [k for k in inside if not by_key[k]["match"]]
    # the list's own broken author field ("Tram{\`e") is reported, not silently dropped
    assert report["summary"]["malformed"] == 1


def test_missing_papers_are_uncited_ranked_and_capped(report: dict) -> None:
    cited = {e["match"]["id"] for e in report["entries"] if e["match"]}
    touched = {c["threat_type"] for c in report["coverage"] if c["cited"]}
    by_area: dict[str, list[dict]] = {}
    for m in report["missing"]:
        assert m["id"] not in cited and m["area"] in touched
        by_area.setdefault(m["area"], []).append(m)
    assert by_area and all(len(rows) <= 5 for rows in by_area.values())
    order = {"older": 0, "benchmark": 1, "important": 2}
    for rows in by_area.values():
        keys = [(order[r["group"]], -r["score"], r["year"]) for r in rows]
        assert keys == sorted(keys)


def test_attacks_without_defenses_are_named(report: dict) -> None:
    rows = {(u["area"], u["direction"]) for u in report["unanswered"]}
    assert ("agent.indirect-prompt-injection-attacks", "attack-without-defense") in rows
    msg = next(
        u["message"] for u in report["unanswered"] if u["area"] == "llm.prompt-injection-attacks"
    )
    assert msg.startswith("cites ")
    assert "none that the knowledge base knows on LLM Prompt Injection Defenses" in msg
    # a cited attack area with a cited defense is not listed
    assert ("llm.jailbreak-attacks", "attack-without-defense") not in rows


def test_aux_restricts_to_cited_keys() -> None:
    keys, ids = read_aux(AUX)
    assert len(keys) > 100 and not ids
    full = coverage_report(BIB, top=1)
    cited = coverage_report(BIB, AUX, top=1)
    assert {e["key"] for e in cited["entries"]} == keys & {e["key"] for e in full["entries"]}
    assert cited["summary"]["entries"] < full["summary"]["entries"]


def test_id_list_as_input_and_as_aux() -> None:
    r = coverage_report(IDS, top=1)
    assert r["summary"]["malformed"] == 1 and r["malformed"][0]["line"] == 29
    methods = {e["match"]["method"] for e in r["entries"] if e["match"]}
    assert methods == {"arxiv", "doi"} and r["summary"]["matched"] == 25
    assert r["summary"]["unmatched"] == 2  # the Nature DOI and "Attention Is All You Need"
    restricted = coverage_report(BIB, IDS, top=1)
    assert 10 <= restricted["summary"]["entries"] <= 25


def test_markdown_and_html(report: dict) -> None:
    md = to_markdown(report, figure=True)
    assert (
        "## Coverage by model family and threat type" in md
        and "![Coverage heatmap](coverage.png)" in md
    )
    assert "| LLM | LLM Jailbreak Attacks | attack |" in md
    assert "Not cited (" in md and "| ViT | ViT Adversarial Attacks |" not in md
    page = to_html(report)
    assert page.startswith("<!doctype html>") and "<table>" in page and "&amp;" in page
    rows, cols, grid = heatmap_grid(report)
    assert "LLM" in rows and "jailbreak attack" in cols and len(grid) == len(rows)


def test_cli_markdown_to_stdout() -> None:
    result = CliRunner().invoke(main, ["coverage", str(BROKEN)])
    assert result.exit_code == 0, result.output
    assert "# Coverage report for broken.bib" in result.output
    assert "| 10 | Expected comma after entry key" in result.output


def test_cli_json_and_out_dir(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "coverage",
            str(BIB),
            "--aux",
            str(AUX),
            "--format",
            "json",
            "--out",
            str(tmp_path),
            "--top",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["summary"]["entries"] > 100
    assert (tmp_path / "coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "coverage.svg").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["does-not-exist.bib"], "does-not-exist.bib: file not found"),
        ([str(DATA)], "is a directory"),
        ([str(BIB), "--aux", "nope.aux"], "nope.aux: file not found"),
    ],
)
def test_cli_bad_paths_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["coverage", *args])
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_nothing_readable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bib"
    bad.write_text("@article{nocomma\n  title = {x}\n}\n")
    result = CliRunner().invoke(main, ["coverage", str(bad)])
    assert result.exit_code == 1
    assert "no reference could be read" in result.output and "line 1" in result.output
