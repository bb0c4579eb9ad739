"""The curated data: complete against the sources, valid, canonical, and the commands over it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
import yaml
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kb.bib import read_bib
from kb.checks import run_checks
from kb.cli import main
from kb.graph import load_graph, parse_turtle
from kb.papers import normalise_title
from kb.turtle import write_turtle
from kb.vocab import BASE, BIBO, CONCEPT, DATASET, KB, LINK, METHOD, PAPER, SOURCE

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CORRECTIONS = ROOT / "scripts" / "corrections.yaml"
MINI = ROOT / "tests" / "data" / "mini"
SHARED = ROOT.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason=f"source data not found at {SHARED}")


@pytest.fixture(scope="module")
def graph():
    return load_graph(DATA)


@pytest.fixture(scope="module")
def rows():
    return yaml.safe_load((SHARED / "survey-v6/paper_labels.yaml").read_text())["papers"]


def _list_titles() -> list[tuple[int, str]]:
    text = (SHARED / "awesome-large-model-safety/README.md").read_text(encoding="utf-8").splitlines()
    out, in_papers = [], False
    for i, line in enumerate(text, 1):
        if '<span id="ch' in line:
            in_papers = True
        elif line.startswith("## "):
            in_papers = False
        elif in_papers and line.startswith("- "):
            out.append((i, re.sub(r"\.\s*$", "", line[2:].strip())))
    return out


# ---------------------------------------------------------------- completeness
@needs_shared
def test_every_list_entry_is_a_paper(graph):
    titles = {
        normalise_title(str(t))
        for p in graph.subjects(RDF.type, BIBO.AcademicArticle)
        for t in graph.objects(p, DCTERMS.title)
    }
    entries = _list_titles()
    assert len(entries) == 575
    missing = [f"line {i}: {t}" for i, t in entries if normalise_title(t) not in titles]
    assert not missing, missing[:5]


@needs_shared
def test_every_table_row_is_a_method(graph, rows):
    rows_in_graph = {str(o) for o in graph.objects(None, KB.sourceRow)}
    assert len(rows) == 516
    assert [r["id"] for r in rows if r["id"] not in rows_in_graph] == []
    assert len(set(graph.subjects(RDF.type, KB.Method))) == 516


@pytest.fixture(scope="module")
def corrections():
    return yaml.safe_load(CORRECTIONS.read_text(encoding="utf-8"))


@needs_shared
def test_methods_keep_their_labels(graph, rows, corrections):
    by_row = {str(graph.value(m, KB.sourceRow)): m for m in graph.subjects(RDF.type, KB.Method)}
    moved = {e["row"]: e["subcategory"] for e in corrections["methods"]}
    for r in rows:
        m = by_row[r["id"]]
        assert str(graph.value(m, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) == r["method"], r["id"]
        sub = graph.value(m, KB.subcategory)
        labels = {str(graph.value(sub, SKOS.prefLabel))} | {str(x) for x in graph.objects(sub, SKOS.altLabel)}
        assert moved.get(r["id"], r["subcategory"]) in labels, r["id"]
        paper = graph.value(m, KB.proposedIn)
        assert (paper, DCTERMS.subject, sub) in graph, r["id"]
        assert bool(r.get("threat_type_unverified")) == ((m, KB.threatTypeUnverified, Literal(True)) in graph)


def test_taxonomy_counts(graph):
    count = lambda cls: len(set(graph.subjects(RDF.type, cls)))  # noqa: E731
    # the extraction's 107 / 217 cells, less Booster's cut-off category with its empty subcategory
    # and R2A's singular subcategory (scripts/corrections.yaml)
    assert count(KB.Category) == 106
    assert count(KB.Subcategory) == 215
    families = set(graph.subjects(SKOS.topConceptOf, URIRef("https://w3id.org/lmsafety/scheme/taxonomy")))
    assert {str(f).rsplit("/", 1)[-1] for f in families} == {"vfm", "llm", "vlp", "vlm", "dm", "agent"}
    table_sections = [
        t for t in graph.subjects(RDF.type, KB.ThreatType) if any(True for _ in graph.subjects(SKOS.broader, t))
    ]
    assert len(table_sections) == 52


@needs_shared
def test_every_dataset_table_row_is_a_dataset(graph):
    tables = yaml.safe_load((SHARED / "survey-v6/datasets.yaml").read_text())["tables"]
    titles = {
        str(t)
        for d in graph.subjects(RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset"))
        for p in (DCTERMS.title, SKOS.altLabel)
        for t in graph.objects(d, p)
    }
    names = [r["name"] for t in tables for r in t["rows"]]
    assert len(names) == 54
    assert [n for n in names if n not in titles] == []


def test_dataset_spellings_are_one_resource(graph):
    imagenet = DATASET["imagenet"]
    users = set(graph.subjects(KB.evaluatedOn, imagenet))
    assert len(users) >= 20
    coco = [
        d
        for d in graph.subjects(RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset"))
        if re.sub(r"[^a-z]", "", str(graph.value(d, DCTERMS.title)).lower()) in {"coco", "mscoco"}
    ]
    assert len(coco) == 1, coco


def test_facets_answer_cross_family_questions(graph):
    q = """
    PREFIX kb: <https://w3id.org/lmsafety/vocab#>
    PREFIX facet: <https://w3id.org/lmsafety/facet/>
    SELECT DISTINCT ?family WHERE {
      ?m a kb:Method ; kb:threatKind facet:kind-jailbreak ; kb:accessLevel facet:access-black-box ;
         kb:role facet:role-attack ; kb:modelFamily ?family .
    }"""
    families = {str(r.family).rsplit("/", 1)[-1] for r in graph.query(q)}
    assert {"llm", "vlm", "dm"} <= families


def test_roadmap_disagreement_is_a_secondary_assertion(graph):
    gcg = METHOD["llm-gcg"]
    assert str(graph.value(graph.value(gcg, KB.subcategory), SKOS.broader)).endswith(".white-box")
    assert graph.value(gcg, KB.roadmapCategory) is not None
    assert graph.value(gcg, KB.roadmapSource) is not None


def test_attack_areas_without_defense_is_a_query(graph):
    q = """
    PREFIX kb: <https://w3id.org/lmsafety/vocab#>
    PREFIX facet: <https://w3id.org/lmsafety/facet/>
    SELECT ?attack WHERE {
      ?attack a kb:ThreatType ; kb:role facet:role-attack .
      MINUS { ?d kb:answers ?attack }
    }"""
    open_areas = {str(r.attack).rsplit("/", 1)[-1] for r in graph.query(q)}
    assert "llm.energy-latency-attacks" in open_areas
    assert "llm.jailbreak-attacks" not in open_areas


def test_every_fact_has_provenance(graph):
    for m in graph.subjects(RDF.type, KB.Method):
        assert graph.value(m, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) is not None, m
    for p in graph.subjects(RDF.type, BIBO.AcademicArticle):
        assert graph.value(p, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) is not None, p
    for c in graph.subjects(SKOS.inScheme, URIRef("https://w3id.org/lmsafety/scheme/taxonomy")):
        assert graph.value(c, DCTERMS.source) is not None, c


def test_duplicates_under_two_titles_are_flagged(graph):
    flagged = set(graph.subjects(KB.possibleDuplicateOf, None))
    arxiv = {p: str(graph.value(p, KB.arxivId)) for p in flagged}
    assert "2305.10701" in arxiv.values()


def test_enrichment_keeps_its_evidence(graph):
    for p in graph.subjects(URIRef("https://schema.org/codeRepository"), None):
        assert graph.value(p, KB.codeEvidence) is not None, p


# ------------------------------------------------------------------- validity
def test_check_passes_on_real_data():
    violations = run_checks(DATA)
    assert violations == [], violations[:10]


def test_second_parser_reads_the_same_triples(graph):
    store = pyoxigraph.Store()
    store.bulk_load(path=str(DATA / "taxonomy.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(graph)


def test_bib_keys_equal_paper_ids(graph):
    keys = {e.key for e in read_bib(ROOT / "references.bib").entries}
    ids = {str(p).rsplit("/", 1)[-1] for p in graph.subjects(RDF.type, BIBO.AcademicArticle)}
    assert keys - ids == set(), "bib entries without a paper"
    assert ids - keys == set(), "papers without a bib entry"


def test_committed_files_are_canonical():
    from kb.curate import format_files

    changed = format_files(DATA, check_only=True)
    assert changed == [], f"{changed} not canonical: run `kb fmt`"


@needs_shared
def test_importer_is_idempotent_and_up_to_date(tmp_path):
    # one run over a copy of the committed files: the same bytes back shows both that they are what
    # the importers write and that a second run changes nothing (the list's IDs are read back)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    script = ROOT / "scripts" / "import_lm_ssp.py"
    subprocess.run([sys.executable, str(script), str(SHARED / "awesome-lm-ssp"), "--out", str(data)],
                   check=True, capture_output=True)
    for written, committed in ((data / "taxonomy.ttl", DATA / "taxonomy.ttl"),
                               (tmp_path / "references.bib", ROOT / "references.bib")):
        assert written.read_bytes() == committed.read_bytes(), (
            f"{committed.relative_to(ROOT)} is not what the importers write: rerun scripts/import_lm_ssp.py"
        )


@needs_shared
def test_survey_importer_will_not_drop_the_list(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "taxonomy.ttl", data / "taxonomy.ttl")
    script = ROOT / "scripts" / "import_survey.py"
    r = subprocess.run([sys.executable, str(script), str(SHARED), "--out", str(data)], capture_output=True, text=True)
    assert r.returncode == 2 and "run scripts/import_lm_ssp.py" in r.stderr
    assert (data / "taxonomy.ttl").read_bytes() == (DATA / "taxonomy.ttl").read_bytes()


# --------------------------------------------------------- each rule can fail
@pytest.fixture()
def mini(tmp_path):
    dest = tmp_path / "data"
    shutil.copytree(MINI, dest)
    return dest


def _break(data: Path, edit) -> list:
    g = parse_turtle(data / "taxonomy.ttl")
    edit(g)
    write_turtle(g, data / "taxonomy.ttl")
    return run_checks(data, skip=frozenset({"implementations"}))


def test_mini_fixture_is_valid(mini):
    assert run_checks(mini, skip=frozenset({"implementations"})) == []


def _paper(g):
    return sorted(g.subjects(RDF.type, BIBO.AcademicArticle))[0]


def _method(g):
    return sorted(g.subjects(RDF.type, KB.Method))[0]


BREAKS = {
    "paper-title": lambda g: g.remove((_paper(g), DCTERMS.title, None)),
    "paper-year": lambda g: g.remove((_paper(g), URIRef("http://purl.org/spar/fabio/hasPublicationYear"), None)),
    "paper-concept": lambda g: g.remove((_paper(g), DCTERMS.subject, None)),
    "paper-author": lambda g: g.remove((_paper(g), DCTERMS.creator, None)),
    "method-paper": lambda g: g.remove((_method(g), KB.proposedIn, None)),
    "method-subcategory": lambda g: g.remove((_method(g), KB.subcategory, None)),
    "concept-definition": lambda g: g.remove((CONCEPT["llm.jailbreak-attacks"], SKOS.definition, None)),
    "concept-broader": lambda g: g.remove((CONCEPT["llm.jailbreak-attacks"], SKOS.broader, None)),
    "dangling-link": lambda g: g.add((_paper(g), DCTERMS.subject, CONCEPT["llm.no-such-area"])),
    "id-grammar": lambda g: g.add((PAPER["Bad_Key!"], RDF.type, BIBO.AcademicArticle)),
    "duplicate-title": lambda g: [
        g.set((p, DCTERMS.title, Literal("The Same Title")))
        for p in sorted(g.subjects(RDF.type, BIBO.AcademicArticle))[:2]
    ],
    "paper-arxiv": lambda g: g.add((_paper(g), KB.arxivId, Literal("arXiv:2301.1234v2"))),
    "method-name": lambda g: g.remove((_method(g), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), None)),
    "concept-label": lambda g: g.add((CONCEPT["llm.jailbreak-attacks"], SKOS.prefLabel, Literal("Second label"))),
    "concept-source": lambda g: g.remove((CONCEPT["llm.jailbreak-attacks"], DCTERMS.source, None)),
    "dataset-title": lambda g: g.remove(
        (sorted(g.subjects(RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset")))[0], DCTERMS.title, None)
    ),
    "person-name": lambda g: g.remove(
        (
            sorted(g.subjects(RDF.type, URIRef("http://xmlns.com/foaf/0.1/Person")))[0],
            URIRef("http://xmlns.com/foaf/0.1/name"),
            None,
        )
    ),
    "answers-target": lambda g: g.add((CONCEPT["llm.jailbreak-defenses"], KB.answers, CONCEPT["llm"])),
    "answers-roles": lambda g: g.add((CONCEPT["llm.jailbreak-attacks"], KB.answers, CONCEPT["llm.jailbreak-attacks"])),
    "redirect": lambda g: g.add((PAPER["old2020key"], DCTERMS.isReplacedBy, CONCEPT["llm.jailbreak-attacks"])),
    "sibling-labels": lambda g: g.set((CONCEPT["llm.jailbreak-attacks"], SKOS.prefLabel, Literal("Jailbreak Defense"))),
    "list-only": lambda g: g.set((CONCEPT["llm.jailbreak-attacks"], DCTERMS.source, URIRef(BASE + "source/some-list"))),
    "paper-area": lambda g: [g.remove((_paper(g), DCTERMS.subject, None)),
                             g.add((_paper(g), DCTERMS.subject, CONCEPT["llm"]))],
    "duplicate-arxiv": lambda g: [g.set((p, KB.arxivId, Literal("2401.00001")))
                                  for p in sorted(g.subjects(RDF.type, BIBO.AcademicArticle))[:2]],
    "link-reason": lambda g: [g.add((LINK["x--y"], RDF.type, KB.DefenseLink)),
                              g.add((LINK["x--y"], DCTERMS.source, SOURCE["kb-curation"]))],
    "paper-venue": lambda g: g.set((_paper(g), KB.venue, Literal("based on available information"))),
}


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_rule_fails_on_a_broken_fixture(mini, rule):
    violations = _break(mini, BREAKS[rule])
    assert rule in {v.rule for v in violations}, violations
    hit = [v for v in violations if v.rule == rule][0]
    assert re.match(
        r"(paper|concept|method|bib|impl|dataset|person|link):[^ ]+$", hit.resource
    ) or hit.resource.startswith("https://")


def test_bib_rules_fail_both_ways(mini):
    bib = mini / "references.bib"
    text = bib.read_text()
    first_key = re.search(r"@\w+\{([^,]+),", text).group(1)
    bib.write_text(text.replace(first_key + ",", "renamed2020key,", 1))
    rules = {(v.rule, v.resource) for v in run_checks(mini, skip=frozenset({"implementations"}))}
    assert ("paper-bib", f"paper:{first_key}") in rules
    assert ("bib-paper", "bib:renamed2020key") in rules


def test_implementation_rule_both_ways(tmp_path):
    pytest.importorskip("kb.reference")
    from kb.reference import registry

    names = [m.name for m in registry()]
    assert names, "no reference implementations registered"
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    g = parse_turtle(data / "taxonomy.ttl")
    impl = URIRef(f"https://w3id.org/lmsafety/impl/{names[0]}")
    g.remove((impl, None, None))
    g.add((URIRef("https://w3id.org/lmsafety/impl/not-registered"), RDF.type, KB.Implementation))
    write_turtle(g, data / "taxonomy.ttl")
    # only the rule under test: the others run over the real data in test_check_passes_on_real_data
    others = frozenset({"shapes", "sparql", "ids", "titles", "list mapping"})
    found = {(v.rule, v.resource) for v in run_checks(data, skip=others)}
    assert ("implementation-graph", f"impl:{names[0]}") in found
    assert ("implementation-registry", "impl:not-registered") in found


# ------------------------------------------------------------------ commands
def test_cli_check_exit_codes(mini):
    runner = CliRunner()
    ok = runner.invoke(main, ["check", "--data", str(mini), "--quiet"])
    # the mini fixture has no implementations; only that rule may speak
    assert all(line.startswith("implementation-") for line in ok.output.splitlines() if "\t" in line)
    _break(mini, BREAKS["paper-title"])
    bad = runner.invoke(main, ["check", "--data", str(mini), "--quiet"])
    assert bad.exit_code == 1
    assert any(line.startswith("paper-title\tpaper:") for line in bad.output.splitlines())


def test_malformed_turtle_is_one_line(mini):
    ttl = mini / "taxonomy.ttl"
    lines = ttl.read_text().splitlines()
    lines.insert(20, "this is not turtle ;;")
    ttl.write_text("\n".join(lines))
    result = CliRunner().invoke(main, ["check", "--data", str(mini)])
    assert result.exit_code == 1
    err = result.output.strip().splitlines()[-1]
    assert re.search(r"taxonomy\.ttl:21: invalid Turtle \(.+\); fix the file there", err), err
    assert "Traceback" not in result.output


def test_malformed_bib_names_file_and_line(mini):
    bib = mini / "references.bib"
    bib.write_text(bib.read_text() + "\n@article{broken2020x,\n  title = {unbalanced\n")
    result = CliRunner().invoke(main, ["fmt", "--data", str(mini)])
    assert result.exit_code == 1
    assert re.search(r"references\.bib:\d+: invalid BibTeX", result.output)


def test_fmt_rewrites_a_shuffled_file(mini):
    bib = mini / "references.bib"
    entries = bib.read_text().strip().split("\n\n")
    bib.write_text("\n\n".join(reversed(entries)) + "\n")
    runner = CliRunner()
    assert runner.invoke(main, ["fmt", "--check", "--data", str(mini)]).exit_code == 1
    assert runner.invoke(main, ["fmt", "--data", str(mini)]).exit_code == 0
    assert runner.invoke(main, ["fmt", "--check", "--data", str(mini)]).exit_code == 0


NEW = """@inproceedings{whatever,
  title = {A Study of {M}ulti-Turn Jailbreaks in M{\\"u}nchen},
  author = {M{\\"u}ller, Anna and Bob Smith and others},
  booktitle = {Proceedings of ACL},
  year = {2025},
  url = {https://arxiv.org/abs/2501.01234v2},
}"""


def test_add_writes_both_files(mini):
    runner = CliRunner()
    result = runner.invoke(
        main, ["add", "--concept", "llm.jailbreak-attacks.black-box", "--data", str(mini)], input=NEW
    )
    assert result.exit_code == 0, result.output
    pid = re.search(r"paper:(\w+)", result.output).group(1)
    assert pid == "muller2025study"
    g = parse_turtle(mini / "taxonomy.ttl")
    assert str(g.value(PAPER[pid], DCTERMS.title)) == "A Study of Multi-Turn Jailbreaks in München"
    assert (PAPER[pid], DCTERMS.subject, CONCEPT["llm.jailbreak-attacks.black-box"]) in g
    assert str(g.value(PAPER[pid], KB.arxivId)) == "2501.01234"
    assert pid in {e.key for e in read_bib(mini / "references.bib").entries}
    assert run_checks(mini, skip=frozenset({"implementations"})) == []
    assert runner.invoke(main, ["fmt", "--check", "--data", str(mini)]).exit_code == 0
    again = runner.invoke(
        main,
        ["add", "--concept", "llm.jailbreak-attacks", "--data", str(mini)],
        input=NEW.replace("Multi-Turn", "Multi-turn"),
    )
    assert again.exit_code == 1 and "already in the knowledge base" in again.output


def test_add_refuses_unknown_concept_and_keeps_files(mini):
    before = (mini / "taxonomy.ttl").read_bytes()
    result = CliRunner().invoke(main, ["add", "--concept", "llm.jailbrek-attacks", "--data", str(mini)], input=NEW)
    assert result.exit_code == 1
    assert "unknown concept 'llm.jailbrek-attacks'; did you mean" in result.output
    assert (mini / "taxonomy.ttl").read_bytes() == before


def test_add_refuses_known_arxiv_id(mini):
    g = parse_turtle(mini / "taxonomy.ttl")
    known = next(str(o) for o in g.objects(None, KB.arxivId))
    entry = f"@misc{{x, title={{Something Else Entirely}}, author={{Doe, Jane}}, year={{2024}}, eprint={{{known}}}}}"
    result = CliRunner().invoke(main, ["add", "--concept", "llm", "--data", str(mini)], input=entry)
    assert result.exit_code == 1 and f"arXiv {known} is already" in result.output


@needs_shared
def test_importer_keeps_curated_papers(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    CliRunner().invoke(main, ["add", "--concept", "llm.jailbreak-attacks", "--data", str(data)], input=NEW)
    script = ROOT / "scripts" / "import_survey.py"
    subprocess.run([sys.executable, str(script), str(SHARED), "--out", str(data), "--survey-only"], check=True,
                   capture_output=True)
    g = parse_turtle(data / "taxonomy.ttl")
    assert (PAPER["muller2025study"], RDF.type, BIBO.AcademicArticle) in g
    assert "muller2025study" in {e.key for e in read_bib(tmp_path / "references.bib").entries}


def test_stats_reproduce_independent_counts(graph):
    import json

    result = CliRunner().invoke(main, ["stats", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    # by default the survey's papers only (kb:inSource source:survey-v6), whatever later sources add
    papers = len(set(graph.subjects(KB.inSource, SOURCE["survey-v6"])))
    assert papers == 564
    total = next(r for r in rows if r["section"] == "total" and r["key"] == "papers")
    assert total["kb"] == papers and total["survey"] == 574 and total["difference"] == papers - 574
    years = [r for r in rows if r["section"] == "year"]
    assert sum(r["kb"] for r in years) == papers
    assert sum(r["survey"] for r in years) == 574
    shares = [r["kb"] for r in rows if r["section"] == "family"]
    assert abs(sum(shares) - 100) < 0.1


def test_every_command_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from kb.cli import COMMANDS

    missing = [c for c in COMMANDS if f"kb {c}" not in readme]
    assert missing == [], f"commands not in README.md: {missing}"
