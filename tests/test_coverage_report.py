"""The coverage report on a realistic field bibliography: possible matches, ranking, warnings, shape."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pyoxigraph
import pytest

from kb.coverage import coverage_report
from kb.coverage.bibin import BibEntry
from kb.coverage.records import Paper, Signals
from kb.coverage.render import to_html, to_json, to_markdown
from kb.coverage.report import build_report
from kb.coverage.source import Area, papers_from_store
from kb.vocab import NAMESPACES

FIELD = Path(__file__).parent / "data" / "coverage" / "field.bib"


def _no_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kb.coverage.predict.classifier", lambda: None)


@pytest.fixture(scope="module")
def field(survey_data: Path) -> dict:
    # against the survey's graph alone: the field bibliography's expectations (what the survey knows,
    # 'Llama Guard' unknown) were written for it; the field's graph (#10) knows most of it
    with pytest.MonkeyPatch.context() as mp:
        _no_classifier(mp)  # the same report whether or not kb.classify is installed
        return coverage_report(FIELD, top=5, data_dir=survey_data)


def _entry(report: dict, title_start: str) -> dict:
    return next(e for e in report["entries"] if e["title"].startswith(title_start))


def test_summary_states_the_known_share_and_warns(field: dict) -> None:
    s = field["summary"]
    assert s["entries"] >= 150 and s["malformed"] == 0
    assert s["known_share"] == round(s["matched"] / s["entries"], 4) < 0.5
    assert "knows only" in s["warning"] and s["predicted"] is None
    md = to_markdown(field)
    assert f"The knowledge base knows {s['matched']} of the {s['entries']} entries" in md
    assert "**Warning:**" in md


def test_renamed_works_are_possible_matches_and_never_listed_as_not_cited(field: dict) -> None:
    missing = {m["id"] for m in field["missing"]}
    for title, paper in [
        ("Prompt-to-SQL Injections", "pedro2023prompt"),
        ("Safe Latent Diffusion: Mitigating Inappropriate Degeneration in Diffusion", "schramowski2023safe"),
        ("SneakyPrompt: Evaluating", "yang2024sneakyprompt"),
        ("Plug and Pray", "shayegani2023jailbreak"),
    ]:
        e = _entry(field, title)
        assert e["match"] is None and e["group"] == "possible", title
        assert [p["id"] for p in e["possible"]] == [paper] and e["possible"][0]["reason"]
        assert paper not in missing
    assert field["summary"]["possible"] >= 4


def test_field_papers_outside_the_survey_stay_unmatched_without_suggestions(field: dict) -> None:
    for title in ("Llama Guard: LLM-based", "HarmBench", "Great, Now Write an Article", "JailbreakBench"):
        e = _entry(field, title)
        assert e["match"] is None and e["possible"] == [] and e["group"] == "outside", title
    # a corporate author against the paper's long author list is not flagged
    gpt4 = _entry(field, "GPT-4 Technical Report")
    assert gpt4["match"] and "flag" not in gpt4["match"]


def test_llm_jailbreak_gaps_are_ranked_by_importance_not_recency(field: dict) -> None:
    rows = [m for m in field["missing"] if m["area"] == "llm.jailbreak-attacks"]
    top3 = [m["id"] for m in rows[:3]]
    assert "zou2023universal" in top3 and "chao2023jailbreaking" in top3  # GCG and PAIR
    assert field["ranked_by"].startswith("ranked by") and "not by recency" in field["ranked_by"]
    assert "not by recency" in to_markdown(field)
    # the bibliography cites no benchmark paper there; the gap is named and grouped
    lacks = [x for x in field["lacks"] if x["area"] == "llm.jailbreak-attacks"]
    assert [x["lack"] for x in lacks] == ["benchmark"]
    assert next(m for m in rows if m["id"] == "zou2023universal")["group"] == "benchmark"


def test_per_area_table_lists_touched_areas_with_their_entries(field: dict) -> None:
    md = to_markdown(field)
    touched = [c for c in field["coverage"] if c["cited"]]
    rest = [c for c in field["coverage"] if not c["cited"]]
    for c in touched:
        assert f"| {c['label']} |" in md
        assert len(c["papers"]) == c["cited"]
    assert f"Not cited ({len(rest)} areas): " in md
    assert not any(f"| {c['label']} |" in md for c in rest)
    vlm = next(c for c in touched if c["threat_type"] == "vlm.jailbreak-attacks")
    assert any(p["id"] == "qi2024visual" and p["keys"] for p in vlm["papers"])


def test_markdown_html_and_json_agree(field: dict) -> None:
    md, page = to_markdown(field), to_html(field)
    assert json.loads(to_json(field)) == field
    for e in field["entries"]:
        if not e["match"]:
            assert f"| {e['key']} |" in md and f"<td>{e['key']}</td>" in page
        for p in e["possible"]:
            assert p["id"] in md and p["id"] in page
    for m in field["missing"]:
        assert f"| {m['id']} |" in md and f"<td>{m['id']}</td>" in page
    for u in field["unanswered"]:
        assert u["message"] in md
    assert "Possible matches" in md and "Possible matches" in page


def test_match_areas_say_how_the_paper_was_placed(field: dict) -> None:
    e = _entry(field, "Visual adversarial examples jailbreak")
    areas = e["match"]["areas"]
    assert {a["id"] for a in areas} == {"vlm.jailbreak-attacks"}
    assert all(a["how"] in {"survey", "list"} and a["score"] is None for a in areas)


# ---- warnings and the classifier, on small constant records ----

ATTACK = Area("llm.jailbreak-attacks", "Jailbreak Attacks", "llm", "LLM", "llm", "LLM", "attack", "jailbreak", 1)
DEFENSE = Area(
    "llm.jailbreak-defenses",
    "Jailbreak Defenses",
    "llm",
    "LLM",
    "llm",
    "LLM",
    "defense",
    "jailbreak",
    2,
    answers=("llm.jailbreak-attacks",),
)
AREAS = {a.id: a for a in (ATTACK, DEFENSE)}
PAPERS = [
    Paper("a1", "Alpha jailbreak of chat models", ("Ant",), 2023, areas=(ATTACK.id,)),
    Paper("a2", "Beta jailbreak of chat models", ("Bee",), 2024, areas=(ATTACK.id,)),
    Paper("d1", "Gamma defense against jailbreaks", ("Cat",), 2024, areas=(DEFENSE.id,), signals=Signals(methods=1)),
]
GUARD = BibEntry("guard", title="A guard model nobody has catalogued", authors=["Dee"], year=2024)


def test_one_cited_paper_does_not_make_a_warning() -> None:
    one = [BibEntry("x", title=PAPERS[0].title, authors=["Ant"], year=2023)]
    assert build_report(one, [], PAPERS, AREAS)["unanswered"] == []
    two = one + [BibEntry("y", title=PAPERS[1].title, authors=["Bee"], year=2024)]
    rows = build_report(two, [], PAPERS, AREAS)["unanswered"]
    assert [r["direction"] for r in rows] == ["attack-without-defense"]
    assert "none that the knowledge base knows on LLM Jailbreak Defenses" in rows[0]["message"]


def test_classifier_placements_are_counted_in_the_warning_and_the_groups() -> None:
    entries = [
        BibEntry("x", title=PAPERS[0].title, authors=["Ant"], year=2023),
        BibEntry("y", title=PAPERS[1].title, authors=["Bee"], year=2024),
        GUARD,
    ]
    predicted = {"guard": [{"id": DEFENSE.id, "score": 0.9}]}
    r = build_report(entries, [], PAPERS, AREAS, predicted=predicted)
    row = r["unanswered"][0]
    assert row["predicted"] == ["guard"] and "the classifier places 1 of your unmatched" in row["message"]
    guard = r["entries"][2]
    assert guard["group"] == "placed" and guard["predicted"] == predicted["guard"]
    assert r["summary"]["predicted"] == 1
    assert next(c for c in r["coverage"] if c["threat_type"] == DEFENSE.id)["predicted"] == 1
    md = to_markdown(r)
    assert "**Placed by the classifier** (1)" in md and "unmatched placed here" in md


def test_coverage_report_uses_kb_classify_when_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, survey_data: Path
) -> None:
    calls: list[list[dict]] = []

    def classify(items: list[dict], data_dir: Path | None = None, top: int = 3) -> list[dict]:
        calls.append(items)
        return [
            {
                "title": i["title"],
                "known": None,
                "areas": [{"id": "llm.jailbreak-defenses", "score": 0.8 if "Guard" in i["title"] else 0.1}],
                "categories": [],
            }
            for i in items
        ]

    stub = types.ModuleType("kb.classify")
    stub.classify = classify  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kb.classify", stub)
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{gcg, title={Universal and Transferable Adversarial Attacks on Aligned Language Models},"
        " author={Zou, Andy}, year={2023}}\n"
        "@article{lg, title={Llama Guard: LLM-based Input-Output Safeguard for Human-AI Conversations},"
        " author={Inan, Hakan}, year={2023}}\n"
        "@article{bert, title={Attention Is All You Need}, author={Vaswani, Ashish}, year={2017}}\n"
    )
    r = coverage_report(bib, top=1, data_dir=survey_data)
    assert [i["title"][:11] for i in calls[0]] == ["Llama Guard", "Attention I"]  # unmatched only
    assert set(calls[0][0]) >= {"title", "abstract", "keywords", "venue"}
    by_key = {e["key"]: e for e in r["entries"]}
    assert by_key["lg"]["group"] == "placed" and by_key["bert"]["group"] == "outside"
    assert by_key["lg"]["predicted"][0] == {"id": "llm.jailbreak-defenses", "score": 0.8}
    assert "predicted" not in by_key["gcg"]
    assert "**Likely outside the field** (1)" in to_markdown(r)


def test_without_scikit_learn_predictions_are_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def classify(items: list[dict], data_dir: Path | None = None, top: int = 3) -> list[dict]:
        raise ModuleNotFoundError("No module named 'sklearn'")

    stub = types.ModuleType("kb.classify")
    stub.classify = classify  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kb.classify", stub)
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{x, title={Attention Is All You Need}, author={Vaswani, A.}, year={2017}}\n")
    r = coverage_report(bib, top=1)
    assert r["summary"]["predicted"] is None and "predicted" not in r["entries"][0]
    assert r["entries"][0]["group"] == "outside"
    assert "no classifier is installed" in to_markdown(r)


def test_placement_nodes_give_match_areas_with_how_and_score() -> None:
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in NAMESPACES.items())
    ttl = (
        prefixes
        + """
concept:llm.jailbreak-attacks a kb:ThreatType ; skos:prefLabel "Jailbreak Attacks" .
concept:llm.jailbreak-defenses a kb:ThreatType ; skos:prefLabel "Jailbreak Defenses" .
concept:llm.jailbreak-attacks.token skos:broader concept:llm.jailbreak-attacks .
paper:p1 a bibo:AcademicArticle ; dcterms:title "A paper" ;
  dcterms:subject concept:llm.jailbreak-attacks.token, concept:llm.jailbreak-defenses .
<https://w3id.org/lmsafety/placement/p1--llm.jailbreak-attacks.token> a kb:Placement ;
  kb:paper paper:p1 ; kb:concept concept:llm.jailbreak-attacks.token ; kb:how facet:how-list .
<https://w3id.org/lmsafety/placement/p1--llm.jailbreak-defenses> a kb:Placement ;
  kb:paper paper:p1 ; kb:concept concept:llm.jailbreak-defenses ; kb:how facet:how-predicted ;
  kb:score 0.73 .
"""
    )
    store = pyoxigraph.Store()
    store.load(ttl.encode(), pyoxigraph.RdfFormat.TURTLE)
    (p,) = papers_from_store(store)
    assert p.placed() == [
        ("llm.jailbreak-attacks", "list", None),
        ("llm.jailbreak-defenses", "predicted", 0.73),
    ]
    # without placement nodes every area counts as placed by the survey
    bare = Paper("q", "Q", areas=("llm.jailbreak-attacks",))
    assert bare.placed() == [("llm.jailbreak-attacks", "survey", None)]


def test_a_heavily_cited_area_without_older_work_names_the_lack() -> None:
    recent = [
        Paper(f"r{i}", f"Recent jailbreak number {w}", (f"A{i}",), 2024 + i % 2, areas=(ATTACK.id,))
        for i, w in enumerate(["one", "two", "three"])
    ]
    old = Paper("o1", "The old jailbreak that started it", ("Old",), 2021, areas=(ATTACK.id,))
    newer = Paper("n1", "Yet another jailbreak", ("New",), 2025, areas=(ATTACK.id,), signals=Signals(methods=1))
    entries = [BibEntry(p.id, title=p.title, authors=list(p.authors), year=p.year) for p in recent]
    r = build_report(entries, [], recent + [old, newer], AREAS, top=3)
    assert [(x["lack"], x["area"]) for x in r["lacks"]] == [("older", ATTACK.id)]
    assert [(m["id"], m["group"]) for m in r["missing"]] == [("o1", "older"), ("n1", "important")]
