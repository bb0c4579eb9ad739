"""kb classify: known answers on the real graph, the placement model on a small fixture, the cache, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kb.classify import cache as cache_mod
from kb.classify import classify
from kb.classify.data import Concept, family_of, load_corpus
from kb.classify.evaluate import evaluate
from kb.classify.features import BASE_FACETS, FeatureSpec, Featurizer, Lexicon, fold
from kb.classify.model import FINAL, corpus_examples
from kb.cli import main
from kb.graph import default_data_dir

MINI = Path(__file__).parent / "data" / "mini"
REAL = default_data_dir()

# kb:Placement nodes of CONTRACTS §1 on top of the mini graph: one list placement of a new paper, and
# one predicted placement that must never train the classifier
PLACEMENTS = """
paper:list2025only a bibo:AcademicArticle ;
    dcterms:title "A guard model for chat assistants" ;
    dcterms:subject concept:llm.jailbreak-defenses .
<https://w3id.org/lmsafety/placement/list2025only--llm.jailbreak-defenses> a kb:Placement ;
    kb:paper paper:list2025only ; kb:concept concept:llm.jailbreak-defenses ; kb:how facet:how-list .
paper:pred2025only a bibo:AcademicArticle ;
    dcterms:title "Role-play prompts that unlock chat assistants" ;
    dcterms:subject concept:llm.jailbreak-attacks .
<https://w3id.org/lmsafety/placement/pred2025only--llm.jailbreak-attacks> a kb:Placement ;
    kb:paper paper:pred2025only ; kb:concept concept:llm.jailbreak-attacks ; kb:how facet:how-predicted ;
    kb:score 0.7 .
"""


@pytest.fixture(autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test trains into (or reads from) one cache folder of the session, never the repository's."""
    root = tmp_path_factory.getbasetemp() / "classify-cache"
    monkeypatch.setenv(cache_mod.CACHE_ENV, str(root))
    return root


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(MINI, d)
    return d


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["classify", *args])
    return result.exit_code, result.output


# ---------------------------------------------------------------- real data


def test_known_gcg_title_comes_back_known_with_its_placement():
    title = "Universal and Transferable Adversarial Attacks on Aligned Language Models"
    [row] = classify([{"title": title.upper()}], top=3)
    assert row["known"]["id"] == "zou2023universal"
    placed = {p["id"]: p["how"] for p in row["known"]["placements"]}
    assert placed.get("llm.jailbreak-attacks") == "survey"
    assert row["areas"][0]["id"] == "llm.jailbreak-attacks"


def test_clearly_diffusion_title_ranks_a_dm_area_first():
    [row] = classify(["Removing nudity from text-to-image diffusion models with a negative-prompt guidance"])
    assert row["known"] is None
    assert row["areas"][0]["id"].startswith("dm.")


def test_defense_and_attack_wording_changes_the_area():
    attack, defense = classify(
        [
            "Jailbreaking large language models with adversarial suffixes",
            "Defending large language models against jailbreaking with a guard",
        ]
    )
    assert attack["areas"][0]["id"] == "llm.jailbreak-attacks"
    assert defense["areas"][0]["id"] == "llm.jailbreak-defenses"


def test_family_is_the_top_family_for_sub_models_and_empty_for_topics():
    area = "vfm.vit.adversarial-attacks"
    nodes = [
        Concept("vfm", "VFM", "family", ""),
        Concept("vfm.vit", "ViT", "family", "vfm"),
        Concept(area, "Adversarial attacks", "area", "vfm.vit"),
        Concept(f"{area}.x", "X", "category", area),
        Concept("topic.ethics", "Ethics", "area", ""),
    ]
    concepts = {c.id: c for c in nodes}
    assert family_of(concepts, "vfm.vit.adversarial-attacks.x") == "vfm"
    assert family_of(concepts, "vfm.vit") == "vfm"
    assert family_of(concepts, "topic.ethics") == ""
    assert family_of(concepts, "unknown") == ""
    corpus = load_corpus()
    assert corpus.family("vfm.sam.adversarial-attacks") == "vfm"
    assert corpus.family("llm.jailbreak-defenses") == "llm"


def test_stance_cues_say_which_side_a_title_takes_and_only_the_final_model_reads_them():
    lexicon = Lexicon.load()
    defense = fold("Gradient Cuff: Detecting Jailbreak Attacks on Large Language Models")
    attack = fold("Universal and Transferable Adversarial Attacks on Aligned Language Models")
    assert {"role:attack", "role:defense", "stance:defense-against"} <= set(lexicon.cues(defense))
    assert "stance:defense-against" not in lexicon.cues(attack)
    assert "stance:attack-against" in lexicon.cues(attack)
    assert not any(c.startswith("stance:") for c in lexicon.cues(defense, BASE_FACETS))
    assert "stance" in FINAL.features.facets
    # a spec saved before facets existed reads as the first lexicon's facets
    old = {k: v for k, v in FeatureSpec(lexicon=True).as_dict().items() if k != "facets"}
    assert FeatureSpec.from_dict(old).facets == BASE_FACETS
    feat = Featurizer(FINAL.features, lexicon).fit([defense, attack])
    assert "x:stance:defense-against" in feat.vocab


def test_cli_json_shape():
    code, out = run(
        "Backdoor attacks on CLIP via poisoned captions", "Some unseen title", "--top", "2", "--format", "json"
    )
    assert code == 0, out
    rows = json.loads(out)
    assert [r["title"] for r in rows] == ["Backdoor attacks on CLIP via poisoned captions", "Some unseen title"]
    for r in rows:
        assert set(r) == {"title", "known", "areas", "categories", "subcategories"}
        assert r["known"] is None or set(r["known"]) == {"id", "placements"}
        for key in ("areas", "categories", "subcategories"):
            assert len(r[key]) == 2
            assert all(set(x) == {"id", "score"} and 0.0 <= x["score"] <= 1.0 for x in r[key])
            scores = [x["score"] for x in r[key]]
            assert scores == sorted(scores, reverse=True)
    corpus = load_corpus(REAL)
    assert all(corpus.concepts[a["id"]].level == "area" for r in rows for a in r["areas"])
    assert all(corpus.concepts[c["id"]].level == "category" for r in rows for c in r["categories"])


def test_cli_table_names_known_papers(tmp_path: Path):
    titles = tmp_path / "titles.txt"
    titles.write_text(
        "# a comment\nJailbreaking Black Box Large Language Models in Twenty Queries\n\n", encoding="utf-8"
    )
    code, out = run("--input", str(titles))
    assert code == 0, out
    assert "chao2023jailbreaking" in out and "llm.jailbreak-attacks" in out


def test_bib_input_reads_title_and_abstract(tmp_path: Path):
    bib = tmp_path / "in.bib"
    bib.write_text(
        "@inproceedings{a, title={{Stealing} Part of a Production Model}, booktitle={ICML},\n"
        " abstract={We extract the embedding projection layer of black-box production language models.}}\n",
        encoding="utf-8",
    )
    code, out = run("--input", str(bib), "--format", "json")
    assert code == 0, out
    [row] = json.loads(out)
    assert row["title"] == "Stealing Part of a Production Model"
    assert row["areas"][0]["id"].startswith("llm.")


# ---------------------------------------------------------------- placements of CONTRACTS §1 (fixture)


def test_list_placements_train_and_predicted_ones_never_do(mini_copy: Path):
    ttl = mini_copy / "taxonomy.ttl"
    ttl.write_text(ttl.read_text(encoding="utf-8") + PLACEMENTS, encoding="utf-8")
    corpus = load_corpus(mini_copy)
    ex = {e.id: e for e in corpus.examples}
    assert ex["list2025only"].placements == {"llm.jailbreak-defenses": "list"}
    assert ex["list2025only"].labels["area"] == {"llm.jailbreak-defenses"}
    assert ex["list2025only"].survey["area"] == set()  # trains, but is never the truth of the evaluation
    assert ex["pred2025only"].placements == {"llm.jailbreak-attacks": "predicted"}
    trained_on = {e.id for e in corpus_examples(corpus)}
    assert "list2025only" in trained_on and "pred2025only" not in trained_on
    # a list-only paper joins every training fold and is never tested; its rows weigh list_weight
    from kb.classify.model import head_rows

    rows = head_rows([ex["list2025only"]], corpus.concepts, "area", 0.5)
    assert rows == ([0], ["llm.jailbreak-defenses"], [0.5])
    assert head_rows([ex["list2025only"]], corpus.concepts, "role", 0.0) == ([], [], [])
    assert head_rows([ex["chang2024play"]], corpus.concepts, "area", 0.0)[2] == [1.0]
    # the evaluation tests the survey's papers only; the list-only paper trains in every fold
    report = evaluate(mini_copy, folds=2, seed=0)
    survey_papers = sum(1 for e in corpus_examples(corpus) if any(e.survey.values()))
    assert report["papers"] == survey_papers == report["training"]["papers"] - 1
    # a graph without placement nodes: every dcterms:subject is the survey's
    assert ex["chang2024play"].placements["llm.jailbreak-attacks"] == "survey"


# ---------------------------------------------------------------- determinism and cache


def test_training_is_deterministic_for_a_seed():
    corpus = load_corpus(MINI)
    a = cache_mod.train(corpus, seed=7).state()
    b = cache_mod.train(corpus, seed=7).state()
    assert a[0] == b[0]
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        assert np.array_equal(a[1][k], b[1][k]), k


def test_cache_is_reused_and_invalidated_when_the_data_changes(mini_copy: Path, model_cache: Path):
    cache_mod._MEMORY.clear()
    first = cache_mod.trained_model(mini_copy)
    assert (model_cache / first.key / "model.npz").exists()
    cache_mod._MEMORY.clear()
    again = cache_mod.trained_model(mini_copy)  # read back from disk, not trained
    assert again.key == first.key and again is not first
    assert classify(["jailbreak"], mini_copy) == classify(["jailbreak"], mini_copy)
    ttl = mini_copy / "taxonomy.ttl"
    ttl.write_text(ttl.read_text(encoding="utf-8") + PLACEMENTS, encoding="utf-8")
    changed = cache_mod.trained_model(mini_copy)
    assert changed.key != first.key
    assert (model_cache / changed.key / "model.json").exists()
    [row] = classify(["A guard model for chat assistants"], mini_copy)
    assert row["known"]["id"] == "list2025only"


def test_evaluate_json_shape_on_the_fixture():
    report = evaluate(MINI, folds=2, seed=0)
    assert report["folds"] == 2 and report["papers"] > 0
    assert set(report["levels"]) == {"family", "area", "category", "subcategory"}
    for m in report["levels"].values():
        assert 0.0 <= m["top1"] <= m["top3"] <= 1.0
    assert 0.0 <= report["ece"] <= 1.0
    assert set(report["variants"]) == {"baseline", "final"}


# ---------------------------------------------------------------- bad input: one line each


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", "", "no title found"),
        ("comments.txt", "# only a comment\n\n", "no title found"),
        ("broken.bib", "@article{x,\n title={A {B}\n", "broken.bib:1: invalid BibTeX"),
        ("notitle.bib", "@article{x, author={A}}\n", "has no title"),
        ("empty.bib", "", "no BibTeX entry found"),
    ],
)
def test_bad_input_files_give_one_line(tmp_path: Path, name: str, content: str, expected: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out = run("--input", str(path))
    assert code == 1
    assert expected in out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out


def test_missing_and_binary_input_give_one_line(tmp_path: Path):
    code, out = run("--input", str(tmp_path / "nope.txt"))
    assert code == 1 and "file not found" in out and len(out.strip().splitlines()) == 1
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    code, out = run("--input", str(binary))
    assert code == 1 and "not UTF-8" in out and len(out.strip().splitlines()) == 1


def test_no_titles_is_a_usage_error():
    code, out = run()
    assert code == 2 and "give one or more titles" in out


# ---------------------------------------------------------------- kb add without --concept

NEW_ENTRY = (
    "@inproceedings{x, title={Defending chat assistants against jailbreak prompts with a guard},\n"
    " author={Doe, Jane}, year={2025}, booktitle={ACL}}\n"
)


def test_add_with_accept_top_places_the_paper_under_the_top_area(mini_copy: Path):
    bib = mini_copy / "new.bib"
    bib.write_text(NEW_ENTRY, encoding="utf-8")
    result = CliRunner().invoke(main, ["add", str(bib), "--accept-top", "--data", str(mini_copy)])
    assert result.exit_code == 0, result.output
    ttl = (mini_copy / "taxonomy.ttl").read_text(encoding="utf-8")
    block = ttl[ttl.index("paper:doe2025defending\n") :].split("\n.\n")[0]
    assert "concept:llm.jailbreak-defenses" in block
    _assert_predicted(mini_copy, "doe2025defending")


def _assert_predicted(data: Path, pid: str) -> None:
    """Every placement of the added paper is a predicted kb:Placement the classifier never trains on."""
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS, PROV, RDF

    from kb.graph import parse_turtle
    from kb.vocab import FACET, KB, PAPER, SOURCE

    g = parse_turtle(data / "taxonomy.ttl")
    subjects = set(g.objects(PAPER[pid], DCTERMS.subject))
    nodes = set(g.subjects(KB.paper, PAPER[pid]))
    assert subjects and {g.value(n, KB.concept) for n in nodes} == subjects
    for n in nodes:
        assert (n, RDF.type, KB.Placement) in g
        assert g.value(n, KB.how) == FACET["how-predicted"]
        assert g.value(n, PROV.wasDerivedFrom) == SOURCE["kb-classifier"]
        assert 0 < float(g.value(n, KB.score)) <= 1
    assert isinstance(g.value(SOURCE["kb-classifier"], RDF.type), URIRef)
    corpus = load_corpus(data)
    ex = next(e for e in corpus.examples if e.id == pid)
    assert set(ex.placements.values()) == {"predicted"}
    assert pid not in {e.id for e in corpus_examples(corpus)}


def test_add_asks_and_takes_the_chosen_number(mini_copy: Path):
    bib = mini_copy / "new.bib"
    bib.write_text(NEW_ENTRY, encoding="utf-8")
    result = CliRunner().invoke(main, ["add", str(bib), "--data", str(mini_copy)], input="1\n")
    assert result.exit_code == 0, result.output
    assert " 1. llm.jailbreak-" in result.output
    assert "added paper:doe2025defending" in result.output
    _assert_predicted(mini_copy, "doe2025defending")


def test_add_with_concept_records_no_predicted_placement(mini_copy: Path):
    bib = mini_copy / "new.bib"
    bib.write_text(NEW_ENTRY, encoding="utf-8")
    args = ["add", str(bib), "--concept", "llm.jailbreak-defenses", "--data", str(mini_copy)]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert "how-predicted" not in (mini_copy / "taxonomy.ttl").read_text(encoding="utf-8")


def test_add_from_stdin_without_concept_says_what_to_pass(mini_copy: Path):
    result = CliRunner().invoke(main, ["add", "--data", str(mini_copy)], input=NEW_ENTRY)
    assert result.exit_code == 2
    assert "pass --concept ID or --accept-top" in result.output


def test_cli_evaluate_prints_both_models_and_draws_the_figure(tmp_path: Path):
    png = tmp_path / "confusion.png"
    code, out = run("--evaluate", "--folds", "2", "--data", str(MINI), "--figure", str(png))
    assert code == 0, out
    assert "baseline" in out and "final" in out and "ECE" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out = run("--evaluate", "Some title")
    assert code == 2 and "--evaluate takes no titles" in out
