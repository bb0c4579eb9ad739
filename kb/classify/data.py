"""Training data of the classifier: the graph's papers with their placements, and the concept tree."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from kb.graph import taxonomy_path
from kb.vocab import CONCEPT, FACET, PAPER, SPARQL_PREFIXES

HERE = Path(__file__).resolve().parent
LEVELS = ("family", "area", "category", "subcategory")
# placements made from a source's labels train the model; predicted ones never do (they would feed
# the classifier its own guesses)
TRAINING_HOW = ("survey", "list")


@dataclass(frozen=True)
class Concept:
    """A node of the taxonomy the classifier predicts into."""

    id: str
    label: str
    level: str  # family | area | category | subcategory
    parent: str  # "" for a top family or a topic outside the survey
    kind: str = ""  # an area's threat kind (jailbreak, backdoor-poisoning, ...)
    role: str = ""  # an area's role (attack, defense, alignment, evaluation)
    definition: str = ""


@dataclass
class Example:
    """One paper of the graph: its text, identifiers, and labels per level with how they were made."""

    id: str
    title: str
    venue: str = ""
    arxiv: str | None = None
    doi: str | None = None
    year: int | None = None
    # concept id -> how ("survey" | "list" | "predicted"); every recorded placement, predicted included
    placements: dict[str, str] = field(default_factory=dict)
    # level -> concept ids at that level reached from the training placements (survey and list only)
    labels: dict[str, set[str]] = field(default_factory=dict)
    # level -> concept ids reached from the survey's placements alone: the truth of the evaluation
    survey: dict[str, set[str]] = field(default_factory=dict)
    # level -> the training labels that only a list's placements give (weighted by ModelSpec.list_weight)
    listed: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Corpus:
    """Everything the classifier learns from, read once from the graph."""

    concepts: dict[str, Concept]
    examples: list[Example]
    digest: str  # SHA-256 of the Turtle file the corpus was read from

    def family(self, cid: str) -> str:
        """The top family of a concept (`vfm` for `vfm.vit.adversarial-attacks`); "" outside the families."""
        return family_of(self.concepts, cid)

    def ancestors(self, cid: str) -> dict[str, str]:
        """level -> concept id for the concept and every concept above it."""
        out: dict[str, str] = {}
        seen = set()
        while cid and cid in self.concepts and cid not in seen:
            seen.add(cid)
            c = self.concepts[cid]
            # walking up overwrites a sub-model (vfm.vit) with its top family (vfm)
            out[c.level] = cid
            cid = c.parent
        return out


def family_of(concepts: dict[str, Concept], cid: str) -> str:
    """The top family above a concept (a sub-model such as `vfm.vit` is not a top family: its parent `vfm`
    is); "" for a concept under no family (a topic outside the survey). The one definition every part of
    the classifier uses (decoding, evaluation, figure)."""
    seen = set()
    top = ""
    while cid in concepts and cid not in seen:
        seen.add(cid)
        if concepts[cid].level == "family":
            top = cid
        cid = concepts[cid].parent
    return top


def _value(term: object) -> str:
    return getattr(term, "value", "") or ""


def _local(term: object, ns: str) -> str:
    value = _value(term)
    return value[len(ns) :] if value.startswith(ns) else value


def _query(store: pyoxigraph.Store, name: str) -> list:
    text = (HERE / name).read_text(encoding="utf-8")
    result = store.query(SPARQL_PREFIXES + text)
    assert isinstance(result, pyoxigraph.QuerySolutions), name  # both files are SELECT queries
    return list(result)


def file_digest(data_dir: Path | None = None) -> str:
    """SHA-256 of the graph's Turtle file: the key of every cached model built from it."""
    return hashlib.sha256(taxonomy_path(data_dir).read_bytes()).hexdigest()


def concepts_from_store(store: pyoxigraph.Store) -> dict[str, Concept]:
    ns = str(CONCEPT)
    out = {}
    for row in _query(store, "concepts.rq"):
        cid = _local(row["concept"], ns)
        parent = _local(row["broader"], ns) if row["broader"] else ""
        kind = _local(row["kind"], str(FACET)).removeprefix("kind-") if row["kind"] else ""
        role = _local(row["role"], str(FACET)).removeprefix("role-") if row["role"] else ""
        label = _value(row["label"]) if row["label"] else cid
        definition = _value(row["definition"]) if row["definition"] else ""
        out[cid] = Concept(cid, label, _value(row["level"]), parent, kind, role, definition)
    return out


def _how(raw: str) -> str:
    # facet:how-survey -> survey; no placement node (a graph from before placements) -> survey
    return raw.removeprefix("how-") if raw else "survey"


def corpus_from_store(store: pyoxigraph.Store, digest: str = "") -> Corpus:
    """Papers, placements and concept tree of a loaded graph."""
    concepts = concepts_from_store(store)
    corpus = Corpus(concepts, [], digest)
    by_id: dict[str, Example] = {}
    cns, pns = str(CONCEPT), str(PAPER)
    for row in _query(store, "placements.rq"):
        pid = _local(row["paper"], pns)
        ex = by_id.get(pid)
        if ex is None:
            year = _value(row["year"])[:4] if row["year"] else ""
            ex = by_id[pid] = Example(
                id=pid,
                title=" ".join(_value(row["title"]).split()),
                venue=_value(row["venue"]) if row["venue"] else "",
                arxiv=_value(row["arxiv"]) or None if row["arxiv"] else None,
                doi=_value(row["doi"]).lower() or None if row["doi"] else None,
                year=int(year) if year.isdigit() else None,
            )
        if not row["concept"]:
            continue
        cid = _local(row["concept"], cns)
        how = _how(_value(row["how"]) if row["how"] else "")
        # a concept with several placement nodes keeps the strongest: survey, then list, then predicted
        old = ex.placements.get(cid)
        if old is None or _rank(how) < _rank(old):
            ex.placements[cid] = how
    for ex in by_id.values():
        ex.labels = {level: set() for level in LEVELS}
        ex.survey = {level: set() for level in LEVELS}
        for cid, how in ex.placements.items():
            if how not in TRAINING_HOW:
                continue
            for level, anc in corpus.ancestors(cid).items():
                ex.labels[level].add(anc)
                if how == "survey":
                    ex.survey[level].add(anc)
        ex.listed = {level: ex.labels[level] - ex.survey[level] for level in LEVELS}
    corpus.examples = sorted(by_id.values(), key=lambda e: e.id)
    return corpus


def _rank(how: str) -> int:
    return {"survey": 0, "list": 1}.get(how, 2)


def definition_examples(corpus: Corpus) -> list[Example]:
    """One pseudo-paper per area, category and subcategory: its labels down the tree and its definition.

    They give every node of the taxonomy the words that define it, even a subcategory with one paper;
    they only ever train, never test.
    """
    out = []
    for cid, c in sorted(corpus.concepts.items()):
        if c.level not in ("area", "category", "subcategory"):
            continue
        anc = corpus.ancestors(cid)
        path = [
            corpus.concepts[a].label
            for lv, a in sorted(anc.items(), key=lambda kv: LEVELS.index(kv[0]))
            if lv != "family"
        ]
        parent = corpus.concepts.get(anc.get("area", ""), c).parent
        family = corpus.concepts[parent].label if parent in corpus.concepts else ""
        labels = {lv: {a} for lv, a in anc.items()}
        ex = Example(id=f"concept:{cid}", title=" ".join([family, *path, c.definition]).strip())
        ex.labels = {lv: labels.get(lv, set()) for lv in LEVELS}
        ex.survey = {lv: set() for lv in LEVELS}
        out.append(ex)
    return out


def load_corpus(data_dir: Path | None = None) -> Corpus:
    """The corpus of the graph in `data_dir` (its Turtle parsed into an in-memory store)."""
    from kb.graph import load_store

    digest = file_digest(data_dir)
    return corpus_from_store(load_store(data_dir), digest)
