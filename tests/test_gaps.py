"""Gap analysis: known answers on the gaps_mini fixture, independent checks on the real graph."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF

from kb.cli import main
from kb.gaps import SECTIONS, analyse, write_outputs
from kb.graph import default_data_dir, load_graph
from kb.vocab import CONCEPT, FACET, KB, split_iri

FIXTURE = Path(__file__).parent / "data" / "gaps_mini.ttl"
REAL = default_data_dir()


@pytest.fixture(scope="module")
def mini_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("gaps_mini")
    shutil.copy(FIXTURE, d / "taxonomy.ttl")
    return d


@pytest.fixture(scope="module")
def mini(mini_dir: Path) -> dict:
    return analyse(mini_dir)


def by(rows: list[dict], key: str) -> dict:
    return {r[key]: r for r in rows}


def test_every_section_is_present_and_documented(mini):
    assert list(mini) == list(SECTIONS)


def test_matrix_counts_distinct_papers(mini):
    matrix = by(mini["matrix"], "family")
    assert list(matrix) == ["vfm", "llm", "dm"]  # kb:order of the families
    assert matrix["vfm"]["adversarial"] == 3  # Patch-Fool, SlowFormer, ARD-PRM
    assert matrix["vfm"]["backdoor-poisoning"] == 1
    assert matrix["llm"]["jailbreak"] == 4  # GCG, AutoDAN, PAIR, PPL papers
    assert matrix["llm"]["energy-latency"] == 1
    assert matrix["llm"]["evaluation"] == 1  # the undated paper under the dataset section
    assert matrix["dm"]["backdoor-poisoning"] == 2
    assert [r["total"] for r in mini["matrix"]] == [4, 6, 3]
    methods = by(mini["matrix_methods"], "family")
    assert methods["llm"]["jailbreak"] == 4 and methods["llm"]["evaluation"] == 0


def test_empty_cells_are_exactly_the_zero_cells(mini):
    zero = {
        (r["family"], k)
        for r in mini["matrix"]
        for k, n in r.items()
        if k not in ("family", "total") and n == 0
    }
    assert {(r["family"], r["threat_kind"]) for r in mini["empty_cells"]} == zero
    assert ("llm", "adversarial") in zero
    cell = next(
        r for r in mini["empty_cells"] if (r["family"], r["threat_kind"]) == ("llm", "adversarial")
    )
    assert "DM and VFM have some" in cell["reading"]


def test_undefended_attack_areas(mini):
    rows = by(mini["undefended"], "area")
    assert set(rows) == {
        "llm.energy-latency-attacks",
        "vfm.vit.backdoor-attacks",
        "dm.adversarial-attacks",
    }
    assert rows["dm.adversarial-attacks"]["defended_elsewhere"] == "VFM"
    assert "VFM has an adversarial defense area" in rows["dm.adversarial-attacks"]["reading"]
    assert rows["llm.energy-latency-attacks"]["defended_elsewhere"] is None


def test_single_method_subcategories(mini):
    rows = by(mini["single_method"], "subcategory")
    assert "llm.jailbreak-attacks.white-box.gradient-based" not in rows  # GCG and AutoDAN
    assert "vfm.vit.adversarial-attacks.white-box.patch-attack" not in rows
    pair = rows["llm.jailbreak-attacks.black-box.llm-based-generation"]
    assert (pair["method"], pair["paper"], pair["year"]) == ("PAIR", "chao2023jailbreaking", 2023)
    assert len(rows) == 8


def test_areas_without_benchmark(mini):
    areas = {r["area"] for r in mini["no_benchmark"]}
    assert "llm.jailbreak-attacks" not in areas  # AdvBench evaluates it
    assert "llm.datasets-and-benchmarks" not in areas  # evaluation sections are not asked
    assert "llm.jailbreak-defenses" not in areas  # its method PPL is evaluated on AdvBench
    assert len(areas) == 7
    dm = by(mini["no_benchmark"], "area")["dm.adversarial-attacks"]
    assert dm["most_used"] == "ImageNet; LAION-5B" or dm["most_used"] == "LAION-5B; ImageNet"


def test_stale_areas(mini):
    rows = by(mini["stale"], "area")
    assert rows["llm.energy-latency-attacks"]["newest_year"] == 2022
    assert rows["dm.adversarial-attacks"]["newest_year"] == 2023
    assert "llm.jailbreak-attacks" not in rows  # AutoDAN is from 2024
    assert "vfm.vit.adversarial-attacks" not in rows  # SlowFormer is from 2024
    years = [r["newest_year"] for r in mini["stale"]]
    assert years[:-1] == sorted(years[:-1]) == [2022, 2022, 2022, 2023, 2023, 2023]  # oldest first
    assert mini["stale"][-1]["area"] == "llm.datasets-and-benchmarks"  # papers, but none dated
    assert years[-1] is None


def test_bridges_are_cross_family_datasets_and_concepts(mini):
    datasets = [r for r in mini["bridges"] if r["kind"] == "dataset"]
    assert [r["id"] for r in datasets] == ["imagenet", "cifar-10"]  # AdvBench serves LLM only
    assert datasets[0]["families"] == "VFM; DM"
    assert datasets[0]["reading"].startswith("ImageNet is used in 4 areas of 2 families")
    assert all(len(r["families"].split("; ")) >= 2 for r in mini["bridges"])
    scores = [r["betweenness"] for r in datasets]
    assert scores == sorted(scores, reverse=True)


def test_every_finding_has_a_reading(mini):
    for name, rows in mini.items():
        if name.startswith("matrix"):
            continue
        for row in rows:
            assert row["reading"] and "{" not in row["reading"], (name, row)


def test_write_outputs(mini_dir, mini, tmp_path):
    paths = write_outputs(tmp_path, data_dir=mini_dir)
    assert sorted(p.name for p in paths) == [
        "gaps-matrix.png",
        "gaps-matrix.svg",
        "gaps.json",
        "gaps.md",
    ]
    assert json.loads((tmp_path / "gaps.json").read_text()) == json.loads(json.dumps(mini))
    assert (tmp_path / "gaps-matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ET.parse(tmp_path / "gaps-matrix.svg").getroot()
    assert svg.tag.endswith("svg")
    assert "## Attack areas without a defense area" in (tmp_path / "gaps.md").read_text()
    first = (tmp_path / "gaps-matrix.svg").read_bytes()
    write_outputs(tmp_path, result=mini)
    assert (tmp_path / "gaps-matrix.svg").read_bytes() == first  # reproducible build output


def test_cli_csv_needs_one_section(mini_dir):
    result = CliRunner().invoke(main, ["gaps", "--data", str(mini_dir), "--format", "csv"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: --format csv prints one table; add --section NAME")


def test_cli_formats(mini_dir):
    runner = CliRunner()
    out = runner.invoke(
        main, ["gaps", "--data", str(mini_dir), "--section", "undefended", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    assert {r["area"] for r in json.loads(out.output)} >= {"dm.adversarial-attacks"}
    out = runner.invoke(
        main, ["gaps", "--data", str(mini_dir), "--section", "stale", "--format", "csv"]
    )
    assert out.output.splitlines()[0] == "family,area,label,papers,newest_year,reading"
    out = runner.invoke(main, ["gaps", "--data", str(mini_dir), "--format", "md"])
    assert "| family | adversarial |" in out.output
    out = runner.invoke(main, ["gaps", "--data", str(mini_dir)])
    assert "Bridges between families [bridges, " in out.output


# --- the real graph --------------------------------------------------------------------------

needs_real = pytest.mark.skipif(
    not (REAL / "taxonomy.ttl").exists(), reason="data/taxonomy.ttl not built"
)


@pytest.fixture(scope="module")
def real() -> dict:
    return analyse()


@needs_real
def test_real_undefended_matches_the_graph(real):
    g = load_graph()
    attacks = {
        a for a in g.subjects(RDF.type, KB.ThreatType) if (a, KB.role, FACET["role-attack"]) in g
    }
    answered = set(g.objects(None, KB.answers))
    expected = {split_iri(str(a))[1] for a in attacks - answered}
    assert {r["area"] for r in real["undefended"]} == expected


@needs_real
def test_real_matrix_covers_six_families_and_every_method(real):
    g = load_graph()
    assert [r["family"] for r in real["matrix"]] == ["vfm", "llm", "vlp", "vlm", "dm", "agent"]
    methods = sum(1 for _ in g.subjects(RDF.type, KB.Method))
    counted = sum(
        n for r in real["matrix_methods"] for k, n in r.items() if k not in ("family", "total")
    )
    assert counted == methods  # every method has exactly one family and one threat kind


@needs_real
def test_real_single_method_subcategories_have_one_method(real):
    g = load_graph()
    for row in real["single_method"]:
        n = sum(1 for _ in g.subjects(KB.subcategory, CONCEPT[row["subcategory"]]))
        assert n == row["methods"] <= 1, row["subcategory"]


@needs_real
def test_real_undefended_by_the_survey_alone(real):
    # issue #13: 12 attack areas the survey leaves undefended; our judgement links answer two of
    # them (DM extraction), and the list-only Internal Safety Collapse is not the survey's area
    rows = by(real["undefended_survey"], "area")
    assert len(rows) == 12
    assert "agent.internal-safety-collapse" not in rows
    assert rows["dm.data-extraction-attacks"]["our_links"] == "dm.intellectual-property-protection"
    assert rows["dm.model-extraction-attacks"]["our_links"] == "dm.intellectual-property-protection"
    assert set(rows) - {r["area"] for r in real["undefended"]} == {
        "dm.data-extraction-attacks", "dm.model-extraction-attacks"}
