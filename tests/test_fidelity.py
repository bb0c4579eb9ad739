"""Fidelity to the survey: the errors an audit found (issue #13) stay fixed in the committed data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kb.graph import DataError, load_graph
from kb.ingest.corrections import Corrections
from kb.vocab import BIBO, CONCEPT, DATASET, FABIO, KB, LINK, METHOD, MODEL, PAPER, SOURCE

ROOT = Path(__file__).resolve().parent.parent
CORRECTIONS = ROOT / "scripts" / "corrections.yaml"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="module")
def g():
    return load_graph(ROOT / "data")


@pytest.fixture(scope="module")
def corr():
    return yaml.safe_load(CORRECTIONS.read_text(encoding="utf-8"))


def _id(node) -> str:
    return str(node).rsplit("/", 1)[-1]


def _year(g, paper) -> int:
    return int(str(g.value(paper, FABIO.hasPublicationYear)))


def test_no_invented_subcategory(g):
    labels = {str(label) for c in g.subjects(RDF.type, KB.Subcategory) for label in g.objects(c, SKOS.prefLabel)}
    assert "Unspecified" not in labels
    assert (CONCEPT["llm.jailbreak-defenses.defenses-against-fine-tuning"], None, None) not in g
    booster = METHOD["llm-booster"]
    assert _id(g.value(booster, KB.subcategory)) == (
        "llm.jailbreak-defenses.defenses-against-fine-tuning-attacks.alignment-stage")
    assert any("§3.4.4" in str(f) for f in g.objects(booster, KB.flag))
    cat = CONCEPT["llm.jailbreak-defenses.defenses-against-fine-tuning-attacks"]
    assert Literal("Defenses against Fine-tuning", lang="en") in set(g.objects(cat, SKOS.altLabel))


def test_singular_typo_is_an_alt_label(g):
    sub = CONCEPT["dm.jailbreak-attacks.black-box.target-external-defenses"]
    assert g.value(METHOD["dm-r2a"], KB.subcategory) == sub
    assert Literal("Target External Defense", lang="en") in set(g.objects(sub, SKOS.altLabel))
    assert (CONCEPT["dm.jailbreak-attacks.black-box.target-external-defense"], None, None) not in g


def test_agentic_papers_are_attack_or_defense(g, corr):
    areas = {CONCEPT["agent.agentic-attacks"], CONCEPT["agent.agentic-defenses"]}
    # the survey's own (the second list's papers may be predicted into these areas too)
    papers = {p for a in areas for p in g.subjects(DCTERMS.subject, a)
              if (p, KB.inSource, SOURCE["survey-v6"]) in g}
    assert len(papers) == 9
    for p in papers:
        mine = set(g.objects(p, DCTERMS.subject)) & areas
        assert len(mine) == 1, _id(p)
        # the table row agrees: the method's subcategory lies under the same area
        for m in g.subjects(KB.proposedIn, p):
            sub = g.value(m, KB.subcategory)
            assert g.value(g.value(sub, SKOS.broader), SKOS.broader) in mine, _id(p)
    reasons = [e for e in corr["placements"] if e["areas"][0].startswith("agent.agentic")]
    assert len(reasons) == 9 and all(e["reason"] and e["source"] for e in reasons)


def test_every_vfm_paper_has_a_threat_type(g):
    for sub_model in ("vfm.vit", "vfm.sam"):
        for p in g.subjects(DCTERMS.subject, CONCEPT[sub_model]):
            direct = [c for c in g.objects(p, DCTERMS.subject) if (c, RDF.type, KB.ThreatType) in g]
            assert direct and all(_id(c).startswith(sub_model + ".") for c in direct), _id(p)
    assert len(set(g.subjects(DCTERMS.subject, CONCEPT["vfm.vit.adversarial-attacks"]))) >= 15


def test_list_only_section_is_marked(g):
    isc = CONCEPT["agent.internal-safety-collapse"]
    assert g.value(isc, KB.listOnly) == Literal(True)
    marked = set(g.subjects(KB.listOnly, Literal(True)))
    assert marked == {isc}


@pytest.mark.parametrize("old,new,authors,arxiv", [
    ("legilimens2024legilimens", "wu2024legilimens", 7, "2408.15488"),
    ("mem2024multimodal", "liu2024multimodal", 5, "2407.16307"),
    ("side2024extracting", "chen2024extracting", 4, "2406.12752"),
])
def test_table_only_papers_are_named_and_rekeyed(g, old, new, authors, arxiv):
    assert g.value(PAPER[old], DCTERMS.isReplacedBy) == PAPER[new]
    assert set(g.predicate_objects(PAPER[old])) == {(DCTERMS.isReplacedBy, PAPER[new])}
    assert len(set(g.objects(PAPER[new], DCTERMS.creator))) == authors
    assert str(g.value(PAPER[new], KB.arxivId)) == arxiv
    assert g.value(PAPER[new], KB.needsReview) is None
    assert g.value(PAPER[new], KB.venue) is not None
    assert any("source:" in str(f) for f in g.objects(PAPER[new], KB.flag))


def test_source_conflicts_are_corrected_and_flagged(g):
    vpi = PAPER["cao2024vpi"]
    assert str(g.value(vpi, KB.venue)) == "arXiv" and _year(g, vpi) == 2025
    assert any("Moonlight review" in str(f) and "2506.02456" in str(f) for f in g.objects(vpi, KB.flag))
    assert _year(g, PAPER["nian2024jaildam"]) == 2025
    assert any("gives 'year" in str(f) or "year (the source gives '2024')" in str(f)
               for f in g.objects(PAPER["nian2024jaildam"], KB.flag))


def test_author_lists_are_whole(g):
    names = [str(g.value(a, URIRef("http://xmlns.com/foaf/0.1/name")))
             for a in g.items(g.value(PAPER["gandikota2024unified"], BIBO.authorList))]
    assert names[-2:] == ["Materzyńska, Joanna", "Bau, David"]
    liu = [str(g.value(a, URIRef("http://xmlns.com/foaf/0.1/name")))
           for a in g.items(g.value(PAPER["liu2023prompt"], BIBO.authorList))]
    assert liu[-1] == "Zheng, Yan" and len(liu) == 10


def test_table_years_are_kept_on_methods(g):
    for mid in ("dm-diffusionshield", "dm-pangmi", "dm-pia", "vfm-robust-sam"):
        m = METHOD[mid]
        table = int(str(g.value(m, KB.tableYear)))
        assert table != _year(g, g.value(m, KB.proposedIn)), mid
        assert g.value(m, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) is not None


def test_dataset_cells_are_clean(g):
    ids = {_id(d) for d in g.subjects(RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset"))}
    assert not {"cifar10-100", "llm-based-agents", "wmt13-16"} & ids
    assert {"cifar10", "cifar100", "wmt13", "mcip-bench"} <= ids
    assert (METHOD["llm-poisonedalign"], KB.targetModel, MODEL["gpt-4o-mini"]) in g
    assert not any(_id(m).endswith("4o-min") for m in g.subjects(RDF.type, KB.Model))
    assert len(set(g.subjects(KB.evaluatedOn, DATASET["cifar100"]))) >= 18


def test_easy_arxiv_ids_are_there(g):
    have = {str(g.value(p, KB.arxivId)) for p in g.subjects(RDF.type, BIBO.AcademicArticle)}
    assert {"2406.13352", "2307.12950"} <= have


def test_judgement_links_are_marked(g, corr):
    link = LINK["llm-adversarial-defenses--llm-jailbreak-attacks"]
    assert g.value(link, KB.judgement) == Literal(True)
    assert "jailbreak benchmarks" in str(g.value(link, URIRef("http://www.w3.org/2000/01/rdf-schema#comment")))
    judged = set(g.subjects(KB.judgement, Literal(True)))
    assert len(judged) == len(corr["links"])
    survey = [lk for lk in g.subjects(RDF.type, KB.DefenseLink) if lk not in judged]
    assert survey and all(g.value(lk, KB.judgement) is None for lk in survey)


def test_corrections_name_source_and_reason(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("papers:\n  - title: X\n    set: {year: 2020}\n    reason: because\n", encoding="utf-8")
    with pytest.raises(DataError, match="papers entry 1 has no source"):
        Corrections(bad)
    bad.write_text("paper: []\n", encoding="utf-8")
    with pytest.raises(DataError, match="unknown section 'paper'"):
        Corrections(bad)


def test_unused_correction_is_reported(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("cells:\n  - {cell: a, fixed: b, source: s, reason: r}\n"
                    "  - {cell: c, fixed: d, source: s, reason: r}\n", encoding="utf-8")
    c = Corrections(path)
    assert c.find("cells", cell="a") is not None
    assert [line.split(": ", 1)[1] for line in c.unused()] == [
        "cells entry 2 (c) matches nothing in the sources; update or remove it"]
