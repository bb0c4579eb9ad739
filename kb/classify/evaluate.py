"""How often the classifier is right: grouped cross-validation on the graph's own placements.

Each paper is one row of the split (a paper with two placements is never in train and test at once);
a multi-placed paper counts as a hit when any of its labels is ranked within the top k. The truth is
the survey's placements; placements from a later list only add training rows; predicted placements
are never used at all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.classify.data import LEVELS, Corpus, Example, definition_examples, load_corpus
from kb.classify.features import Lexicon
from kb.classify.model import (
    BASELINE,
    CALIBRATED,
    DEFINITIONS,
    FINAL,
    LEXICON,
    STANCE,
    STRUCTURED,
    WITH_LIST,
    Model,
    ModelSpec,
    Prediction,
    corpus_examples,
)

FOLDS = 5
BINS = 10

# the variants `--evaluate` compares: the baseline beside the final model
VARIANTS: dict[str, ModelSpec] = {
    "baseline": BASELINE,
    "final": FINAL,
}
# `--evaluate --ablation`: each idea added to the one before, so the docs show what each one buys
ABLATION: dict[str, ModelSpec] = {
    "baseline": BASELINE,
    "+lexicon": LEXICON,
    "+structure": STRUCTURED,
    "+calibration": CALIBRATED,
    "+definitions": DEFINITIONS,
    "+stance cues": STANCE,
    "final": FINAL,
    # the final model with the list's placements weighted in: measured beside it, not kept
    "final +list placements (x0.5)": WITH_LIST,
}


@dataclass
class Outcome:
    """Out-of-fold predictions of one model variant for every paper."""

    examples: list[Example]
    ranked: dict[str, list[list[tuple[str, float]]]]  # level -> per example, the top predictions


def split(examples: list[Example], folds: int, seed: int) -> list[np.ndarray]:
    """Test indices of each fold: grouped by paper, stratified by its first area (or family)."""
    from sklearn.model_selection import StratifiedGroupKFold

    strata = [min(ex.survey["area"] or ex.survey["family"] or ex.labels["area"] or {"-"}) for ex in examples]
    groups = [ex.id for ex in examples]
    # a stratum smaller than the fold count cannot be spread; the splitter still groups it correctly
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sgkf = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        return [test for _, test in sgkf.split(np.zeros(len(examples)), strata, groups)]


def cross_validate(
    corpus: Corpus,
    spec: ModelSpec,
    folds: int = FOLDS,
    seed: int = 0,
    lexicon: Lexicon | None = None,
    progress: Callable[[str], None] | None = None,
    k: int = 3,
) -> Outcome:
    # the papers the survey placed are split into folds and tested; a paper only a list placed is never
    # tested (its labels are the mapping's, not the survey's) and joins every training fold
    examples: list[Example] = []
    pool: list[Example] = []
    for ex in corpus_examples(corpus):
        (examples if any(ex.survey[lv] for lv in LEVELS) else pool).append(ex)
    lexicon = lexicon or Lexicon.load()
    ranked: dict[str, list[list[tuple[str, float]]]] = {lv: [[] for _ in examples] for lv in LEVELS}
    extra = definition_examples(corpus)
    for f, test in enumerate(split(examples, folds, seed)):
        if progress:
            progress(f"fold {f + 1}/{folds}")
        tset = set(int(i) for i in test)
        train = [ex for i, ex in enumerate(examples) if i not in tset] + pool
        model = Model(spec, corpus.concepts, lexicon).fit(train, seed, extra)
        pred: Prediction = model.predict_texts([examples[int(i)].title for i in test])
        for lv in LEVELS:
            if lv not in pred.levels:
                continue
            classes, P = pred.levels[lv]
            # keep the whole distribution of the area level (for calibration), the top k elsewhere
            keep = len(classes) if lv == "area" else k
            for r, i in enumerate(test):
                ranked[lv][int(i)] = pred.top(lv, r, keep)
    return Outcome(examples, ranked)


def accuracy(outcome: Outcome, level: str, k: int) -> tuple[float, int]:
    """Share of the papers with a survey label at `level` that have one among the top k."""
    hits = n = 0
    for ex, top in zip(outcome.examples, outcome.ranked[level], strict=True):
        truth = ex.survey[level]
        if not truth:
            continue
        n += 1
        hits += any(c in truth for c, _ in top[:k])
    return (hits / n if n else 0.0), n


def reliability(outcome: Outcome, level: str = "area", bins: int = BINS) -> dict[str, Any]:
    """Expected calibration error of the top-1 score, and the per-bin confidence and accuracy."""
    conf, correct = [], []
    for ex, top in zip(outcome.examples, outcome.ranked[level], strict=True):
        if ex.survey[level] and top:
            conf.append(top[0][1])
            correct.append(top[0][0] in ex.survey[level])
    c, a = np.array(conf), np.array(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    rows, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (c > lo) & (c <= hi) if lo > 0 else (c >= lo) & (c <= hi)
        if m.any():
            ece += m.sum() / len(c) * abs(a[m].mean() - c[m].mean())
            rows.append(
                {
                    "lo": round(float(lo), 2),
                    "hi": round(float(hi), 2),
                    "n": int(m.sum()),
                    "confidence": round(float(c[m].mean()), 4),
                    "accuracy": round(float(a[m].mean()), 4),
                }
            )
    return {"ece": round(float(ece), 4), "bins": rows}


def confusions(outcome: Outcome, corpus: Corpus, top: int = 12) -> list[dict[str, Any]]:
    """The area mix-ups that cost most top-1 hits: (true, predicted) pairs, most frequent first."""
    pairs: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    for ex, ranked in zip(outcome.examples, outcome.ranked["area"], strict=True):
        truth = ex.survey["area"]
        if not truth or not ranked or ranked[0][0] in truth:
            continue
        scores = dict(ranked)
        true = max(sorted(truth), key=lambda c: scores.get(c, 0.0))
        pair = (true, ranked[0][0])
        pairs[pair] += 1
        example.setdefault(pair, ex.title)
    out = []
    for (true, pred), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        t, p = corpus.concepts.get(true), corpus.concepts.get(pred)
        differ = []
        if t and p:
            if corpus.family(true) != corpus.family(pred) or t.parent != p.parent:
                differ.append("family")
            if t.kind != p.kind:
                differ.append("kind")
            if t.role != p.role:
                differ.append("role")
        out.append(
            {"true": true, "predicted": pred, "papers": n, "differ_in": differ, "example": example[(true, pred)]}
        )
    return out


def by_family(outcome: Outcome, corpus: Corpus) -> list[dict[str, Any]]:
    """Area top-1 / top-3 accuracy per true family: where the classifier fails."""
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ex, ranked in zip(outcome.examples, outcome.ranked["area"], strict=True):
        truth = ex.survey["area"]
        if not truth:
            continue
        for fam in sorted({corpus.family(a) for a in truth}):
            s = stats[fam]
            s[0] += 1
            s[1] += bool(ranked and ranked[0][0] in truth)
            s[2] += any(c in truth for c, _ in ranked[:3])
    return [
        {"family": f, "papers": s[0], "top1": round(s[1] / s[0], 4), "top3": round(s[2] / s[0], 4)}
        for f, s in sorted(stats.items(), key=lambda kv: -kv[1][0])
    ]


def error_kinds(outcome: Outcome, corpus: Corpus) -> dict[str, int]:
    """Top-1 area errors by what the prediction got wrong: family only, kind/role only, or both."""
    out: Counter[str] = Counter()
    for ex, ranked in zip(outcome.examples, outcome.ranked["area"], strict=True):
        truth = ex.survey["area"]
        if not truth or not ranked or ranked[0][0] in truth:
            continue
        pred = ranked[0][0]
        fam_ok = any(corpus.family(a) == corpus.family(pred) for a in truth)
        p = corpus.concepts.get(pred)
        topic_ok = (
            any(
                (corpus.concepts[a].kind, corpus.concepts[a].role) == (p.kind, p.role)
                for a in truth
                if a in corpus.concepts
            )
            if p
            else False
        )
        out["family only" if topic_ok else ("kind or role only" if fam_ok else "family and kind/role")] += 1
    return dict(sorted(out.items()))


def summarise(outcome: Outcome, corpus: Corpus, folds: int) -> dict[str, Any]:
    levels = {}
    for lv in LEVELS:
        top1, n = accuracy(outcome, lv, 1)
        top3, _ = accuracy(outcome, lv, 3)
        levels[lv] = {"top1": round(top1, 4), "top3": round(top3, 4), "papers": n}
    rel = reliability(outcome)
    return {"levels": levels, "ece": rel["ece"], "reliability": rel["bins"]}


def _prefixed(progress: Callable[[str], None] | None, name: str) -> Callable[[str], None] | None:
    """The progress callback with the variant's name in front of each message."""
    if progress is None:
        return None
    report = progress
    return lambda message: report(f"{name}: {message}")


def evaluate(
    data_dir: Path | None = None,
    folds: int = FOLDS,
    seed: int = 0,
    variants: dict[str, ModelSpec] | None = None,
    progress: Callable[[str], None] | None = None,
    figure: Path | None = None,
) -> dict[str, Any]:
    """The `kb classify --evaluate` report: the final model's figures, the baseline's beside them.

    With `figure`, the final model's area confusion matrix is drawn there (PNG).
    """
    corpus = load_corpus(data_dir)
    lexicon = Lexicon.load()
    variants = variants or VARIANTS
    results: dict[str, dict[str, Any]] = {}
    outcomes: dict[str, Outcome] = {}
    for name, spec in variants.items():
        if progress:
            progress(f"cross-validating {name}")
        outcomes[name] = cross_validate(corpus, spec, folds, seed, lexicon, _prefixed(progress, name))
        results[name] = summarise(outcomes[name], corpus, folds)
    final = outcomes["final"]
    if figure is not None:
        from kb.classify.figure import confusion_matrix, draw_confusion

        family_of = {cid: corpus.family(cid) for cid in corpus.concepts}
        areas, counts = confusion_matrix(final.examples, final.ranked["area"], family_of)
        top1 = results["final"]["levels"]["area"]["top1"]
        title = f"Area confusions of kb classify, {folds}-fold cross-validation on titles (area top-1 {top1:.2f})"
        draw_confusion(areas, counts, figure, title)
    hows = Counter(how for ex in corpus.examples for how in ex.placements.values())
    tested = len(final.examples)
    trained = sum(1 for ex in corpus_examples(corpus))
    return {
        "papers": tested,
        "folds": folds,
        "seed": seed,
        "levels": results["final"]["levels"],
        "ece": results["final"]["ece"],
        "training": {"papers": trained, "placements": dict(sorted(hows.items()))},
        "variants": {n: {"levels": r["levels"], "ece": r["ece"]} for n, r in results.items()},
        "reliability": {n: r["reliability"] for n, r in results.items()},
        "confusions": confusions(final, corpus),
        "by_family": by_family(final, corpus),
        "errors": error_kinds(final, corpus),
    }
