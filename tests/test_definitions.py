"""Coverage and integrity of scripts/definitions.yaml against the survey taxonomy."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFINITIONS = ROOT / "scripts" / "definitions.yaml"
SHARED = Path(
    os.environ.get("KB_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
TAXONOMY = SHARED / "survey-v6" / "taxonomy.yaml"
LABELS = SHARED / "survey-v6" / "paper_labels.yaml"
PAPER_LIST = SHARED / "awesome-large-model-safety" / "README.md"

# Name scripts/import_survey.py gives the one empty Subcategory cell (Booster [121]).
UNNAMED = "Unspecified"
# List-only sections of the paper list that have no summary table, hence no taxonomy.yaml entry.
LIST_ONLY_THREAT_TYPES = {"Agent": ["Internal Safety Collapse"]}

DEFINITION_SECTIONS = (
    "families",
    "threat_types",
    "threat_type_overrides",
    "categories",
    "category_overrides",
    "subcategories",
    "subcategory_overrides",
)

pytestmark = pytest.mark.skipif(
    not TAXONOMY.is_file(),
    reason=f"survey source data not found at {SHARED} (set KB_SHARED_DATA to its folder)",
)


@pytest.fixture(scope="module")
def defs() -> dict:
    return yaml.safe_load(DEFINITIONS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tree() -> dict:
    """Nodes of the taxonomy as key strings: families, 'F/TT', 'F/TT/Cat', 'F/TT/Cat/Sub'."""
    taxonomy = yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    normalise = {
        row["category"]: row["category_normalized"]
        for row in labels["papers"]
        if row.get("category_normalized")
    }
    nodes: dict = {"families": [], "threat_types": [], "categories": [], "subcategories": []}

    def add_threat_types(family: str, threat_types: list) -> None:
        for tt in threat_types:
            nodes["threat_types"].append((family, tt["name"]))
            for cat in tt.get("categories") or []:
                cname = normalise.get(cat["name"], cat["name"])
                nodes["categories"].append((family, tt["name"], cname))
                for sub in cat.get("subcategories") or []:
                    sname = sub["name"] or UNNAMED
                    nodes["subcategories"].append((family, tt["name"], cname, sname))

    for fam in taxonomy["model_families"]:
        nodes["families"].append(fam["id"])
        for sub_model in fam.get("sub_models") or []:
            nodes["families"].append(sub_model["id"])
            add_threat_types(sub_model["id"], sub_model.get("threat_types") or [])
        add_threat_types(fam["id"], fam.get("threat_types") or [])
        for name in LIST_ONLY_THREAT_TYPES.get(fam["id"], []):
            nodes["threat_types"].append((fam["id"], name))
    return nodes


OVERRIDES = {
    "threat_types": "threat_type_overrides",
    "categories": "category_overrides",
    "subcategories": "subcategory_overrides",
}


def lookup(defs: dict, level: str, node: tuple) -> str | None:
    """The definition the importer would use: the override for this place, else the generic text."""
    text = (defs.get(OVERRIDES[level]) or {}).get("/".join(node)) or (defs.get(level) or {}).get(
        node[-1]
    )
    return text.strip() if isinstance(text, str) and text.strip() else None


def test_list_only_sections_exist_in_paper_list():
    headings = re.findall(r"^#{2,6}\s+(.+?)\s*$", PAPER_LIST.read_text(encoding="utf-8"), re.M)
    for names in LIST_ONLY_THREAT_TYPES.values():
        for name in names:
            assert name in headings, f"list section {name!r} is gone from {PAPER_LIST}"


def test_every_family_has_a_definition(defs, tree):
    missing = [f for f in tree["families"] if not (defs.get("families") or {}).get(f, "").strip()]
    assert not missing, f"families without a definition: {missing}"


@pytest.mark.parametrize("level", ["threat_types", "categories", "subcategories"])
def test_every_node_has_a_definition(defs, tree, level):
    missing = sorted({"/".join(n) for n in tree[level] if lookup(defs, level, n) is None})
    assert not missing, f"{len(missing)} {level} without a definition: {missing}"


def test_override_keys_refer_to_existing_nodes(defs, tree):
    valid = {
        "threat_type_overrides": {"/".join(n) for n in tree["threat_types"]},
        "category_overrides": {"/".join(n) for n in tree["categories"]},
        "subcategory_overrides": {"/".join(n) for n in tree["subcategories"]},
    }
    unknown = [
        f"{section}: {key}"
        for section, keys in valid.items()
        for key in defs.get(section) or {}
        if key not in keys
    ]
    assert not unknown, f"override keys that match no taxonomy node: {unknown}"


def test_generic_keys_refer_to_existing_names(defs, tree):
    names = {
        "families": set(tree["families"]),
        "threat_types": {n[-1] for n in tree["threat_types"]},
        "categories": {n[-1] for n in tree["categories"]},
        "subcategories": {n[-1] for n in tree["subcategories"] if n[-1] != UNNAMED},
    }
    unknown = [
        f"{s}: {k}" for s, known in names.items() for k in defs.get(s) or {} if k not in known
    ]
    all_names = set().union(*names.values())
    unknown += [f"alt_labels: {k}" for k in defs.get("alt_labels") or {} if k not in all_names]
    assert not unknown, f"keys that name no taxonomy concept: {unknown}"


def test_definitions_are_short_plain_sentences(defs):
    problems = []
    for section in DEFINITION_SECTIONS:
        for key, text in (defs.get(section) or {}).items():
            words = len(text.split())
            if not 20 <= words <= 45:
                problems.append(f"{section}/{key}: {words} words (want 20-45)")
            if not text.rstrip().endswith("."):
                problems.append(f"{section}/{key}: does not end with a full stop")
            placeholders = set(re.findall(r"\{[^}]*\}", text))
            allowed = {"{area}"} if section.startswith("categor") else set()
            if placeholders - allowed:
                problems.append(f"{section}/{key}: placeholder(s) {sorted(placeholders - allowed)}")
    assert not problems, "\n".join(problems)


def test_alt_labels_are_distinct_from_their_concept(defs):
    problems = []
    for key, variants in (defs.get("alt_labels") or {}).items():
        if not isinstance(variants, list) or not variants:
            problems.append(f"{key}: want a non-empty list")
        elif key in variants or len(set(variants)) != len(variants):
            problems.append(f"{key}: repeats its own name or a variant")
    assert not problems, problems


def test_keys_sorted_in_every_mapping(defs):
    """Canonical form: keys in code-point order, as yaml.safe_dump(sort_keys=True) writes them."""
    unsorted = [] if list(defs) == sorted(defs) else ["<top level>"]
    unsorted += [s for s, m in defs.items() if isinstance(m, dict) and list(m) != sorted(m)]
    assert not unsorted, f"mappings whose keys are not sorted: {unsorted}"
