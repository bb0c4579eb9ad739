"""The second source (issue #10): the Awesome-LM-SSP list parsed, mapped, merged and placed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Literal
from rdflib.namespace import DCTERMS, RDF

from kb.cli import main
from kb.graph import DataError, load_graph
from kb.ingest.list_import import ListImport, group_works, list_paper_id
from kb.ingest.lm_ssp import read_list
from kb.ingest.mapping import Mapping
from kb.ingest.placement import LIST_SOURCE, SURVEY_SOURCE
from kb.vocab import BIBO, CONCEPT, FACET, KB, SOURCE, valid_id

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "lm-ssp"
SHARED_LIST = ROOT.parent / "shared" / "data" / "awesome-lm-ssp"
needs_list = pytest.mark.skipif(not SHARED_LIST.exists(), reason=f"list not found at {SHARED_LIST}")


@pytest.fixture(scope="module")
def entries():
    return read_list(FIXTURE)


@pytest.fixture(scope="module")
def mapping():
    return Mapping()


def test_lines_are_parsed_with_their_badges(entries):
    assert len(entries) == 7
    hb = next(e for e in entries if e.category == "safety/jailbreak" and e.title.startswith("HarmBench"))
    assert (hb.year, hb.month, hb.arxiv) == (2024, 2, "2402.04249")
    assert hb.code == "https://github.com/centerforaisafety/HarmBench"
    assert (hb.models, hb.tags, hb.venues) == (["LLM"], ["Benchmark"], ["ICML'24"])
    hp = next(e for e in entries if e.title.startswith("Who's Harry"))
    assert hp.code == "https://github.com/example/hp"  # the list wrote it without https://
    speech = next(e for e in entries if e.title == "A Speech Jailbreak")
    assert speech.url == "https://example.org/speech" and speech.models == ["SLM", "Audio"] and speech.arxiv is None


def test_a_bad_line_names_file_and_line(tmp_path):
    bad = tmp_path / "collection" / "paper" / "safety"
    bad.mkdir(parents=True)
    (bad / "jailbreak.md").write_text("# A1\n- [2024] HarmBench\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"jailbreak\.md:2: not a list entry"):
        read_list(tmp_path)


def test_the_mapping_places_by_category_badge_and_role(entries, mapping):
    def placed(title):
        e = next(x for x in entries if x.title.startswith(title))
        return [(p.kind, p.targets) for p in mapping.place(e.category, e.models, e.tags, e.title)]

    assert placed("HarmBench: A Standardized") == [("area", ("llm.jailbreak-attacks",))]
    assert placed("Baseline Defenses") == [("area", ("llm.jailbreak-defenses",))]  # the Defense badge
    assert placed("Safeguarding") == [("area", ("vlm.jailbreak-defenses",))]  # a defense word in the title
    assert placed("Jailbreaking LLM-Controlled") == [("open", ("agent",))]  # Agent badge: which agent area?
    assert placed("A Speech") == [("topic", ("topic.other-modalities",))]
    assert placed("Who's Harry") == [("topic", ("topic.unlearning",))]


def test_an_unmapped_combination_is_one_clear_line(mapping):
    with pytest.raises(DataError, match="no entry for category 'safety/nothing', badge 'LLM'"):
        mapping.place("safety/nothing", ["LLM"], [], "x")


def test_same_work_twice_is_one_work(entries):
    works = group_works(entries)
    assert len(works) == 6
    hb = next(w for w in works if w.arxiv == "2402.04249")
    assert sorted(e.category for e in hb.entries) == ["privacy/unlearning", "safety/jailbreak"]


def test_ids_follow_the_grammar_without_authors():
    taken: set[str] = set()
    a = list_paper_id("HarmBench: A Standardized Evaluation Framework", 2024, taken)
    taken.add(a)
    b = list_paper_id("HarmBench: A Standardized Evaluation Framework", 2024, taken)
    assert (a, b) == ("harmbench2024standardized", "harmbench2024standardizedb")
    assert valid_id("paper", list_paper_id("3D Gaussian Splatting Attacks", 2025, set()))


def test_a_list_is_layered_on_a_graph_with_placements(entries, mapping):
    from kb.graph import new_graph

    g = new_graph()
    bib: list = []
    imp = ListImport(g, bib, mapping, "abc1234")
    works = imp.plan(entries)
    counts = imp.apply(works)
    assert counts["new"] == 6 and len(bib) == 6
    hb = next(w for w in works if w.arxiv == "2402.04249")
    s = next(iter(g.subjects(KB.arxivId, Literal("2402.04249"))))
    assert (s, KB.inSource, LIST_SOURCE) in g and (s, KB.venue, Literal("ICML")) in g
    assert {str(c) for c in g.objects(s, KB.listCategory)} == {"safety/jailbreak", "privacy/unlearning"}
    nodes = {g.value(n, KB.concept): n for n in g.subjects(KB.paper, s)}
    assert set(nodes) == {CONCEPT["llm.jailbreak-attacks"], CONCEPT["topic.unlearning"]}
    assert g.value(nodes[CONCEPT["llm.jailbreak-attacks"]], KB.how) == FACET["how-list"]
    assert hb.pid == str(s).rsplit("/", 1)[-1]
    robots = next(iter(g.subjects(KB.arxivId, Literal("2410.13691"))))
    assert g.value(robots, KB.areaOpen) == Literal(True)
    assert "abc1234" in str(g.value(LIST_SOURCE, KB.sourceCommit))


# ------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def graph():
    return load_graph()


def test_graph_holds_the_field(graph):
    papers = set(graph.subjects(RDF.type, BIBO.AcademicArticle))
    assert len(papers) >= 2600
    assert len(set(graph.subjects(KB.inSource, SURVEY_SOURCE))) == 564
    assert all(graph.value(p, KB.inSource) is not None for p in papers)


@needs_list
def test_the_lists_arxiv_ids_resolve_to_papers(graph):
    ids = {e.arxiv for e in read_list(SHARED_LIST) if e.arxiv}
    known = {str(a) for a in graph.objects(None, KB.arxivId)}
    assert len(ids & known) / len(ids) >= 0.97, sorted(ids - known)[:10]


def test_survey_papers_keep_their_placements(graph):
    # a paper of both sources: its areas are the survey's; the list adds only topics outside the survey
    for node in graph.subjects(KB.how, FACET["how-list"]):
        paper = graph.value(node, KB.paper)
        if (paper, KB.inSource, SURVEY_SOURCE) in graph:
            assert (graph.value(node, KB.concept), RDF.type, KB.Topic) in graph, node


def test_the_mapping_says_which_areas_fit_an_open_paper(mapping):
    (agent,) = mapping.place("security/agent", ["LLM"], [], "Tool hijacking of LLM agents")
    assert agent.kind == "open" and agent.candidates == ("agent.*",)
    # a role the survey has no area for goes to a topic outside the survey, for the list's own papers only
    (dm_defense,) = mapping.place("security/adversarial_examples", ["Diffusion"], ["Defense"], "A purifier")
    assert dm_defense.kind == "topic" and dm_defense.targets == ("topic.dm-adversarial-defenses",)
    assert dm_defense.from_role and "no Diffusion defense area" in dm_defense.note
    (dm_attack,) = mapping.place("security/adversarial_examples", ["Diffusion"], [], "Breaking a purifier")
    assert dm_attack.kind == "area" and dm_attack.targets == ("dm.adversarial-attacks",)


@pytest.mark.parametrize("title, role", [
    # an attack on a defense: the attack word comes first
    ("DiffAttack: Evasion Attacks Against Diffusion-Based Adversarial Purification", "attack"),
    ("SurrogatePrompt: Bypassing the Safety Filter of Text-To-Image Models via Substitution", "attack"),
    # a defense word after a hyphen names the victim
    ("Logits of API-Protected LLMs Leak Proprietary Information", "attack"),
    # "security" alone is no defense word
    ("The Security Threat of Compressed Projectors in Large Vision-Language Models", "attack"),
    # the defense word first, or an attack word only in the lead-in before the colon
    ("Real-world Adversarial Defense against Patch Attacks based on Diffusion Model", "defense"),
    ("You Can't Steal Nothing: Mitigating Prompt Leakages in LLMs via System Vectors", "defense"),
    ("Break the Breakout: Reinventing LM Defense Against Jailbreak Attacks with Self-Refinement", "defense"),
    # threats are not actions: a jailbreak defense is a defense
    ("SafePTR: Token-Level Jailbreak Defense in Multimodal LLMs via Prune-then-Restore Mechanism", "defense"),
    ("Jailbreak Attacks and Defenses Against Large Language Models: A Survey", "defense"),
])
def test_the_role_rule_reads_who_acts_on_whom(mapping, title, role):
    assert mapping.role(title, [])[0] == role


def test_every_open_paper_is_placed_among_its_consistent_areas(graph):
    from rdflib.namespace import RDFS

    open_papers = set(graph.subjects(KB.areaOpen, Literal(True)))
    assert open_papers
    tentative = 0
    for p in open_papers:
        predicted = [n for n in graph.subjects(KB.paper, p) if (n, KB.how, FACET["how-predicted"]) in graph]
        assert len(predicted) == 1 and graph.value(p, KB.unplaced) is None, p
        (n,) = predicted
        score = float(graph.value(n, KB.score))
        assert 0 < score <= 1
        assert "consistent with the list's labels" in str(graph.value(n, RDFS.comment))
        area = str(graph.value(n, KB.concept)).rsplit("/", 1)[-1]
        if "security/agent" in {str(c) for c in graph.objects(p, KB.listCategory)}:
            assert area.startswith("agent."), p
        # below the threshold: tentative, and the paper flagged for a curator with the area and score
        if score < 0.5:
            tentative += 1
            assert (n, KB.tentative, Literal(True)) in graph, n
            assert any(f"Placed tentatively in {area}" in str(f) for f in graph.objects(p, KB.flag)), p
        else:
            assert (n, KB.tentative, None) not in graph, n
    assert 0 < tentative < len(open_papers)


def test_every_paper_of_the_committed_data_has_an_area_or_a_topic(graph):
    # the done-when of #10: no paper is left without a place (kb:unplaced is for unlabelled .bib papers)
    assert not list(graph.subjects(KB.unplaced, None))
    areas = {c for c, _ in graph.subject_objects(KB.threatKind)} | set(graph.subjects(RDF.type, KB.Topic))
    missing = [p for p in graph.subjects(RDF.type, BIBO.AcademicArticle)
               if not any(c in areas for c in graph.objects(p, DCTERMS.subject))]
    assert not missing, missing[:5]


def test_every_subject_has_its_placement(graph):
    subjects = set(graph.subject_objects(DCTERMS.subject))
    nodes = graph.subjects(RDF.type, KB.Placement)
    placed = {(graph.value(n, KB.paper), graph.value(n, KB.concept)) for n in nodes}
    assert subjects == placed


def test_default_stats_are_the_survey_and_the_field_view_beside(graph):
    rows = json.loads(CliRunner().invoke(main, ["stats", "--format", "json"]).output)
    assert next(r for r in rows if r["key"] == "papers")["kb"] == 564
    field = json.loads(CliRunner().invoke(main, ["stats", "--field", "--format", "json"]).output)
    total = next(r for r in field if r["section"] == "total")
    assert total["survey"] == 564 and total["field"] >= 2600 and total["added"] == total["field"] - 564
    assert {r["key"] for r in field if r["section"] == "topic outside the survey"} >= {
        "topic.hallucination", "topic.fairness", "topic.unlearning"}


def test_a_newer_copy_is_reported_before_it_is_applied():
    import subprocess
    import sys

    script = ROOT / "scripts" / "import_lm_ssp.py"
    r = subprocess.run([sys.executable, str(script), str(FIXTURE), "--commit", "abc1234", "--report"],
                       capture_output=True, text=True, check=True)
    new = [line.split("\t") for line in r.stdout.splitlines() if line.startswith("new\t")]
    assert [(n[1], n[-1]) for n in new] == [("speech2025jailbreak", "topic topic.other-modalities")]
    assert "1 new, 5 already in the graph" in r.stderr


BIB = ROOT / "tests" / "data" / "bib-update" / "papers.bib"


@needs_list
def test_a_bib_is_reported_against_the_graph_then_applied(tmp_path):
    import shutil
    import subprocess
    import sys

    script = ROOT / "scripts" / "import_lm_ssp.py"
    r = subprocess.run([sys.executable, str(script), str(SHARED_LIST), "--bib", str(BIB), "--report"],
                       capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in r.stdout.splitlines() if line.startswith(("new\t", "known\t"))]
    known = {row[1] for row in rows if row[0] == "known"}
    assert len(known) == 3 and "zou2023universal" in known
    new = {row[3]: row[4] for row in rows if row[0] == "new"}
    assert new["Malicious Tool Injection Attacks on Tool-Calling LLM Agents"].startswith("predicted agent.")
    assert new["A Field Guide to Growing Tomatoes"].startswith("unplaced")
    assert "5 works: 2 new, 3 already in the graph" in r.stderr

    # apply into a copy: the graph's papers stay as they are, the new ones are predicted or unplaced
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    before = load_graph(data)
    subprocess.run([sys.executable, str(script), str(SHARED_LIST), "--bib", str(BIB), "--out", str(data)],
                   capture_output=True, text=True, check=True)
    g = load_graph(data)
    zou = next(iter(g.subjects(KB.arxivId, Literal("2307.15043"))))
    # a paper the graph holds only gains the file as a source
    def facts(graph):  # the author list's head is a blank node, named anew on each parse
        return {(p, o) for p, o in graph.predicate_objects(zou) if not isinstance(o, BNode)}

    assert facts(g) - facts(before) == {(KB.inSource, SOURCE["bib-papers"])} and facts(before) <= facts(g)
    tool = next(iter(g.subjects(DCTERMS.title, Literal(
        "Malicious Tool Injection Attacks on Tool-Calling LLM Agents"))))
    (node,) = list(g.subjects(KB.paper, tool))
    assert g.value(node, KB.how) == FACET["how-predicted"] and g.value(node, KB.score) is not None
    tomato = next(iter(g.subjects(DCTERMS.title, Literal("A Field Guide to Growing Tomatoes"))))
    assert g.value(tomato, KB.unplaced) is not None and not list(g.subjects(KB.paper, tomato))
    assert (tmp_path / "references.bib").read_text().count("Growing Tomatoes") == 1
