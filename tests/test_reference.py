"""The reference-implementation registry, `kb run`, the runner's records, and links to the graph."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kb import __version__, reference
from kb.cli import main
from kb.graph import taxonomy_path
from kb.vocab import CONCEPT, KB, METHOD, PAPER, valid_id

REGISTRY = reference.registry()
NAMES = [m.name for m in REGISTRY]


def test_registry_names_are_unique_slugs():
    assert len(NAMES) == len(set(NAMES)) == 13
    for name in NAMES:
        assert valid_id("impl", name), name


def test_registry_imports_without_torch_or_sklearn():
    # the graph importer and `kb check` read the registry on machines without the extra
    code = (
        "import sys\n"
        "for m in ('torch', 'sklearn', 'numpy', 'transformers'): sys.modules[m] = None\n"
        "import kb.reference as r\n"
        "print(len(r.registry()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "13"


@pytest.mark.parametrize("meta", REGISTRY, ids=NAMES)
def test_metadata_matches_the_run_signature(meta):
    import importlib

    module = importlib.import_module(meta.module)
    assert meta.module.startswith("kb.reference.")
    sig = inspect.signature(module.run)
    declared = {n: p.default for n, p in sig.parameters.items() if n != "seed"}
    assert declared == meta.defaults(), f"{meta.name}: META.params and run() disagree"
    assert sig.parameters["seed"].default == 0
    assert meta.title and meta.description and meta.shows and meta.concept_ids
    for p in meta.params:
        assert p.help, f"{meta.name}.{p.name} has no help"
    for cid in meta.concept_ids:
        assert valid_id("concept", cid), cid
    for mid in meta.method_ids:
        assert valid_id("method", mid), mid
    for pid in meta.paper_ids:
        assert valid_id("paper", pid), pid
    # `needs` names what run() imports with its default parameters (kb build checks for them)
    missing = set(meta.needs) - imported_modules(meta.module)
    assert not missing, f"{meta.name} needs {missing} but neither it nor its helpers import them"


def imported_modules(module: str, seen: set[str] | None = None) -> set[str]:
    """Top-level names a module imports anywhere, following its kb.reference helpers."""
    import ast
    import importlib

    seen = set() if seen is None else seen
    seen.add(module)
    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in found:
            names.add(name.split(".")[0])
            if name.startswith("kb.reference.") and name not in seen:
                try:
                    importlib.import_module(name)
                except ImportError:
                    continue  # `from kb.reference.x import f`: f is not a module
                names |= imported_modules(name, seen)
    return names


def test_the_needs_check_reads_helpers_and_misses_what_is_not_imported():
    assert {"torch", "sklearn", "numpy"} <= imported_modules("kb.reference.fgsm")  # via _digits
    assert {"torch", "transformers"} <= imported_modules("kb.reference.gcg")
    assert "scipy" not in imported_modules("kb.reference.fgsm")
    assert "sklearn" not in imported_modules("kb.reference.gcg")


@pytest.fixture(scope="module")
def graph():
    if not taxonomy_path().exists():
        pytest.skip("data/taxonomy.ttl not imported yet")
    from kb.graph import load_graph

    return load_graph()


@pytest.mark.parametrize("meta", REGISTRY, ids=NAMES)
def test_registry_ids_exist_in_the_graph(meta, graph):
    from rdflib import RDF
    from rdflib.namespace import SKOS

    claimed = {CONCEPT[c] for c in meta.concept_ids}
    for cid in meta.concept_ids:
        kinds = set(graph.objects(CONCEPT[cid], RDF.type))
        assert kinds & {KB.Subcategory, KB.Category, KB.ThreatType}, f"{meta.name}: concept {cid}"
    for mid in meta.method_ids:
        assert (METHOD[mid], RDF.type, KB.Method) in graph, f"{meta.name}: method {mid}"
        # the method's subcategory is one of the claimed concepts or lies below one
        sub = graph.value(METHOD[mid], KB.subcategory)
        above = set(graph.transitive_objects(sub, SKOS.broader))
        assert above & claimed, f"{meta.name}: {mid} is under {sub}, outside {meta.concept_ids}"
    for pid in meta.paper_ids:
        assert (PAPER[pid], None, None) in graph, f"{meta.name}: paper {pid}"


def test_method_papers_are_listed_as_paper_ids(graph):
    for meta in REGISTRY:
        for mid in meta.method_ids:
            paper = graph.value(METHOD[mid], KB.proposedIn)
            assert paper is not None and str(paper).rsplit("/", 1)[1] in meta.paper_ids, mid


def test_resolve_parses_and_rejects_parameters():
    meta = reference.get("fgsm")
    assert meta.resolve({"eps": "0.25"}) == {"eps": 0.25, "epochs": 30}
    with pytest.raises(reference.ReferenceInputError, match="has no parameter 'foo'"):
        meta.resolve({"foo": "1"})
    with pytest.raises(reference.ReferenceInputError, match="not a valid float"):
        meta.resolve({"eps": "abc"})
    with pytest.raises(reference.ReferenceInputError, match="write it as NAME=VALUE"):
        reference.parse_assignments(["eps"])


def test_cli_list_json_is_the_registry():
    result = CliRunner().invoke(main, ["run", "--list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == NAMES
    gcg = rows[NAMES.index("gcg")]
    assert gcg["method_ids"] == ["llm-gcg"]
    assert gcg["entry_point"] == "kb.reference.gcg:run"
    assert {"name": "steps", "default": 40, "type": "int"}.items() <= gcg["params"][4].items()


def test_cli_list_table_names_every_implementation():
    result = CliRunner().invoke(main, ["run", "--list"])
    assert result.exit_code == 0
    for name in NAMES:
        assert f"\n{name} " in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nope"], "Error: no reference implementation named 'nope'; choose one of: fgsm,"),
        (
            ["run", "fgsm", "--param", "foo=1"],
            "Error: fgsm has no parameter 'foo' (parameters: eps, epochs)",
        ),
        (["run", "fgsm", "--param", "eps"], "Error: --param 'eps': write it as NAME=VALUE"),
        (["run", "--all", "--param", "eps=1"], "Error: --param applies to one NAME, not to --all"),
        (["run"], "Error: give exactly one of NAME, --list or --all"),
    ],
)
def test_cli_bad_input_is_one_line(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_runs_one_with_params_as_json():
    result = CliRunner().invoke(
        main,
        [
            "run",
            "jailbreak-transforms",
            "--param",
            "transforms=none,base64",
            "--seed",
            "3",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["params"] == {"transforms": "none,base64", "target": "toy"}
    assert record["seed"] == 3
    assert record["metrics"]["asr_none"] == 0.0
    assert record["metrics"]["asr_base64"] == 1.0
    assert record["kb_version"] == __version__


def test_cli_table_output_shows_metrics():
    result = CliRunner().invoke(main, ["run", "indirect-prompt-injection"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("indirect-prompt-injection: Indirect prompt injection")
    # toy-target results say so before any number
    assert lines[2] == "setup: rule-based stand-in (InstructionFollowingToy), not a language model"
    assert lines[3].startswith("TOY TARGET: a stand-in, not a real model")
    rows = {line.split(None, 1)[0]: line.split(None, 2)[1:] for line in lines[6:]}
    assert rows["detection_true_positive_rate"] == [
        "1",
        "Known-answer detection, true-positive rate",
    ]
    assert rows["detection_false_positive_rate"][0] == "0"


def test_cli_table_of_a_real_model_has_no_toy_label():
    result = CliRunner().invoke(main, ["run", "fgsm", "--param", "epochs=1"])
    assert result.exit_code == 0, result.output
    assert "TOY TARGET" not in result.output
    assert "setup: SmallCNN (~40k parameters) trained on scikit-learn's 8x8 digits" in result.output


def test_run_all_writes_records_atomically_and_load_results_reads_them(tmp_path):
    lines: list[str] = []
    names = ["jailbreak-transforms", "indirect-prompt-injection"]
    records = reference.run_all(tmp_path, names=names, progress=lines.append)
    assert [r["name"] for r in records] == names
    assert lines[0] == "[1/2] jailbreak-transforms ..."
    assert lines[-1].startswith("[2/2] indirect-prompt-injection done in ")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "index.json",
        "indirect-prompt-injection.json",
        "jailbreak-transforms.json",
    ]
    index = json.loads((tmp_path / "index.json").read_text())
    assert [row["file"] for row in index] == [f"{n}.json" for n in names]
    loaded = reference.load_results(tmp_path)
    assert [r["name"] for r in loaded] == names
    rec = loaded[0]
    assert rec["toy_target"] is True and rec["setup"].startswith("rule-based stand-in")
    assert set(rec["metric_labels"]) == set(rec["metrics"])
    assert rec["metric_labels"]["asr_base64"] == "ASR, base64"
    assert index[0]["toy_target"] is True and index[0]["setup"] == rec["setup"]
    assert set(rec) >= {
        "metrics",
        "params",
        "seed",
        "kb_version",
        "date",
        "duration_s",
        "concept_ids",
    }
    assert rec["date"].endswith("Z") and rec["duration_s"] >= 0
    # the site passes build/ itself, and the records sit in build/runs/
    runs = tmp_path / "build" / "runs"
    runs.mkdir(parents=True)
    for f in ("index.json", "jailbreak-transforms.json", "indirect-prompt-injection.json"):
        (runs / f).write_text((tmp_path / f).read_text())
    assert [r["name"] for r in reference.load_results(tmp_path / "build")] == names
    by_concept = reference.results_by_concept(tmp_path)
    assert [r["name"] for r in by_concept["llm.jailbreak-attacks.black-box.hand-crafted"]] == [
        "jailbreak-transforms"
    ]
    # a second partial run keeps the earlier records in the index, in registry order
    reference.run_all(tmp_path, names=["smoothllm"])
    assert [r["name"] for r in reference.load_results(tmp_path)] == [
        "jailbreak-transforms",
        "smoothllm",
        "indirect-prompt-injection",
    ]


def test_load_results_of_nothing_and_of_garbage(tmp_path):
    assert reference.load_results(tmp_path) == []
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(reference.ReferenceInputError, match="re-run `kb run --all`"):
        reference.load_results(tmp_path)


def test_cli_all_writes_under_out(tmp_path, monkeypatch):
    # --all over a registry cut to the two fast implementations, to keep this test quick
    fast = [reference.get("jailbreak-transforms"), reference.get("smoothllm")]
    monkeypatch.setattr(reference, "registry", lambda: fast)
    result = CliRunner().invoke(main, ["run", "--all", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "[1/2] jailbreak-transforms ..." in result.output
    assert (tmp_path / "smoothllm.json").exists() and (tmp_path / "index.json").exists()


def test_missing_extra_is_a_one_line_error():
    code = (
        "import sys\nsys.modules['torch'] = None\nfrom kb.cli import main\nmain(['run', 'fgsm'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "Error: fgsm needs torch; install the extra: pip install -e '.[reference]'"
    )


def test_implementations_needing_nothing_run_without_the_extra():
    free = [m.name for m in REGISTRY if not m.needs]
    assert free == ["jailbreak-transforms", "smoothllm", "indirect-prompt-injection"]
    code = (
        "import sys\n"
        "for m in ('torch', 'sklearn', 'numpy', 'transformers'): sys.modules[m] = None\n"
        "from kb import reference\n"
        f"for n in {free!r}: print(n, len(reference.run(n)['metrics']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [
        "jailbreak-transforms",
        "16",
        "smoothllm",
        "6",
        "indirect-prompt-injection",
        "14",
    ]
