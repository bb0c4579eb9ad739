"""The classifier: linear heads over text features, decoded down the taxonomy, with calibrated scores.

Training (scikit-learn's LinearSVC, one-vs-rest) happens only here; a trained `Model` predicts with
numpy alone. Heads:
- flat heads, one per level: family, area, category, subcategory (the baseline uses only these);
- factor heads for the structured model: the area's parent (family or sub-model such as ViT), its
  threat kind and its role (attack, defense, ...). Every area is one (parent, kind, role) triple, and
  each of the three is learned from all papers at once, so an area with few papers borrows strength
  from the other areas of its family and of its kind.
The structured decoder scores an area as a weighted geometric mean of the flat area head and the
product of the factor heads, reads the family off the areas (so family and area always agree), and
scores a category as P(area) x P(category | area), a subcategory as P(category) x P(sub | category).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from kb.classify.data import LEVELS, Concept, Corpus, Example, family_of
from kb.classify.features import BASE_FACETS, FeatureSpec, Featurizer, Lexicon

FACTORS = ("parent", "kind", "role")
HEADS = LEVELS + FACTORS
EPS = 1e-6


@dataclass(frozen=True)
class ModelSpec:
    """A model variant: features, regularisation, structure, calibration."""

    features: FeatureSpec = field(default_factory=FeatureSpec)
    C: float = 0.5  # LinearSVC's inverse regularisation
    structured: bool = False  # factor heads + decoding down the tree
    alpha: float = 0.5  # weight of the flat area head against the product of the factor heads
    calibrate: bool = False  # temperatures fitted on inner cross-validation
    inner_folds: int = 3
    definitions: bool = False  # the taxonomy's own definitions as extra training texts
    # weight of a training row that only a list's placement gives (the reviewed mapping agrees with the
    # survey on about two thirds of shared papers); 0 leaves the list's placement labels out, the
    # list's titles still shape the vocabulary. 0 by default: weighted in, they lowered every level of
    # the survey's cross-validation (docs/classify.md)
    list_weight: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["features"] = self.features.as_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        return cls(**{**d, "features": FeatureSpec.from_dict(d["features"])})


BASELINE = ModelSpec()
# each step below measurably beat the one before in `kb classify --evaluate --ablation` (docs/classify.md)
LEXICON = ModelSpec(features=FeatureSpec(lexicon=True))
STRUCTURED = ModelSpec(features=FeatureSpec(lexicon=True), structured=True)
CALIBRATED = ModelSpec(features=FeatureSpec(lexicon=True), structured=True, calibrate=True)
DEFINITIONS = ModelSpec(features=FeatureSpec(lexicon=True), structured=True, calibrate=True, definitions=True)
# + the lexicon's `stance` cues (attack versus defense framing)
STANCE = replace(DEFINITIONS, features=FeatureSpec(lexicon=True, facets=(*BASE_FACETS, "stance")))
# + the lexicon's `agent-kind` cues (which threat kind of the agent family)
FINAL = replace(DEFINITIONS, features=FeatureSpec(lexicon=True, facets=(*BASE_FACETS, "stance", "agent-kind")))
# the final model with the list's placements weighted in at half a survey placement: measured, not kept
WITH_LIST = replace(FINAL, list_weight=0.5)


@dataclass
class Head:
    """One linear head: classes, weights (features x classes), intercepts, softmax temperature."""

    classes: list[str]
    W: np.ndarray
    b: np.ndarray
    T: float = 1.0

    def margins(self, X: Any) -> np.ndarray:
        if len(self.classes) == 1:
            return np.zeros((X.shape[0], 1), dtype=np.float32)
        return np.asarray(X @ self.W) + self.b


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def facets(concepts: dict[str, Concept], area: str) -> tuple[str, str, str]:
    """(parent, kind, role) of an area; a topic outside the survey is its own kind."""
    c = concepts[area]
    return (c.parent or "-", c.kind or area, c.role or "-")


def head_rows(
    examples: list[Example], concepts: dict[str, Concept], head: str, list_weight: float = 1.0
) -> tuple[list[int], list[str], list[float]]:
    """Training rows of a head: (example index, label, weight), one row per label of a multi-placed paper.

    A label that only a list's placement gives weighs `list_weight`; with 0 it is left out.
    """
    idx, ys, ws = [], [], []
    for i, ex in enumerate(examples):
        if head in FACTORS:
            f = FACTORS.index(head)
            listed = ex.listed.get("area", set())
            strong = {facets(concepts, a)[f] for a in ex.labels["area"] - listed}
            weights = {
                y: 1.0 if y in strong else list_weight for y in (facets(concepts, a)[f] for a in ex.labels["area"])
            }
        else:
            listed = ex.listed.get(head, set())
            weights = {y: list_weight if y in listed else 1.0 for y in ex.labels[head]}
        for y, w in sorted(weights.items()):
            if w > 0:
                idx.append(i)
                ys.append(y)
                ws.append(w)
    return idx, ys, ws


def fit_head(X: Any, idx: list[int], ys: list[str], C: float, seed: int, ws: list[float] | None = None) -> Head | None:
    if not ys:
        return None
    classes = sorted(set(ys))
    if len(classes) == 1:
        return Head(classes, np.zeros((X.shape[1], 1), np.float32), np.zeros(1, np.float32))
    from sklearn.svm import LinearSVC

    clf = LinearSVC(C=C, random_state=seed, max_iter=5000)
    with warnings.catch_warnings():  # "more classes than half the samples" is expected of a subcategory head
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X[idx], ys, sample_weight=ws if ws and min(ws) < 1.0 else None)
    W, b = clf.coef_, clf.intercept_
    if len(classes) == 2:  # binary: one weight vector for the second class
        W = np.vstack([-W, W]) / 2
        b = np.array([-b[0], b[0]]) / 2
    return Head([str(c) for c in clf.classes_], np.ascontiguousarray(W.T, dtype=np.float32), b.astype(np.float32))


def fit_temperature(logits: np.ndarray, truth: list[set[int]]) -> float:
    """The softmax temperature that minimises the negative log-likelihood of the true labels."""
    rows = [i for i, t in enumerate(truth) if t]
    if not rows:
        return 1.0
    L = logits[rows]
    mask = np.zeros_like(L, dtype=bool)
    for k, i in enumerate(rows):
        mask[k, list(truth[i])] = True

    def nll(T: float) -> float:
        P = softmax(L * T)
        return float(-np.log(np.maximum((P * mask).sum(axis=1), 1e-12)).mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(200.0), 60))
    best = min(grid, key=nll)
    lo, hi = best / 1.2, best * 1.2  # refine around the best grid point
    for _ in range(30):
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        lo, hi = (lo, b) if nll(a) < nll(b) else (a, hi)
    return float((lo + hi) / 2)


@dataclass
class Prediction:
    """Ranked scores per level for a batch: level -> (class ids, probability matrix rows x classes)."""

    levels: dict[str, tuple[list[str], np.ndarray]]

    def top(self, level: str, row: int, k: int) -> list[tuple[str, float]]:
        classes, P = self.levels[level]
        order = np.argsort(-P[row], kind="stable")[:k]
        return [(classes[j], float(P[row, j])) for j in order]


class Model:
    """A trained classifier (see the module docstring)."""

    def __init__(self, spec: ModelSpec, concepts: dict[str, Concept], lexicon: Lexicon | None = None) -> None:
        self.spec = spec
        self.concepts = concepts
        self.lexicon = lexicon if spec.features.lexicon else None
        self.featurizer = Featurizer(spec.features, self.lexicon)
        self.heads: dict[str, Head] = {}
        self.level_T: dict[str, float] = {}

    # ------------------------------------------------------------------ training
    def fit(self, examples: list[Example], seed: int = 0, extra: list[Example] | None = None) -> Model:
        """Train on papers; `extra` examples (the taxonomy's definitions) join every training set."""
        self.extra = list(extra or []) if self.spec.definitions else []
        train = examples + self.extra
        texts = [ex.title for ex in train]
        self.featurizer.fit(texts)
        X = self.featurizer.transform(texts)
        self._fit_heads(X, train, seed)
        if self.spec.calibrate:
            self._calibrate(examples, seed)
        return self

    def _head_names(self) -> tuple[str, ...]:
        return HEADS if self.spec.structured else LEVELS

    def _fit_heads(self, X: Any, examples: list[Example], seed: int) -> None:
        self.heads = {}
        for h in self._head_names():
            idx, ys, ws = head_rows(examples, self.concepts, h, self.spec.list_weight)
            head = fit_head(X, idx, ys, self.spec.C, seed, ws)
            if head is not None:
                self.heads[h] = head

    def _calibrate(self, examples: list[Example], seed: int) -> None:
        """Temperatures of every head, then of every decoded level, on inner out-of-fold predictions."""
        k = self.spec.inner_folds
        order = np.random.default_rng(seed).permutation(len(examples))
        folds = [order[i::k] for i in range(k)]
        held: list[int] = []
        inner_models = []
        for f in range(k):
            test = sorted(int(i) for i in folds[f])
            train = sorted(set(range(len(examples))) - set(test))
            inner = Model(
                ModelSpec(**{**asdict(self.spec), "features": self.spec.features, "calibrate": False}),
                self.concepts,
                self.lexicon,
            )
            inner.fit([examples[i] for i in train], seed, self.extra)
            Xt = inner.featurizer.transform([examples[i].title for i in test])
            inner_models.append((inner, test, Xt))
            held.extend(test)
        held_ex = [examples[i] for i in held]
        # head temperatures: out-of-fold margins mapped into this model's class lists
        for h, head in self.heads.items():
            L = np.full((len(held), len(head.classes)), -5.0, dtype=np.float32)
            row = 0
            for inner, test, Xt in inner_models:
                ih = inner.heads.get(h)
                if ih is not None:
                    m = ih.margins(Xt)
                    pos = {c: j for j, c in enumerate(head.classes)}
                    for j, c in enumerate(ih.classes):
                        L[row : row + len(test), pos[c]] = m[:, j]
                row += len(test)
            # temperatures are fitted on the sources' own labels: a list's placement through the mapping
            # is a weaker truth (it trains, weighted, but does not set how sure the model should be)
            idx, ys, _ = head_rows(held_ex, self.concepts, h, 0.0)
            truth: list[set[int]] = [set() for _ in held]
            cls = {c: j for j, c in enumerate(head.classes)}
            for i, y in zip(idx, ys, strict=True):
                truth[i].add(cls[y])
            head.T = fit_temperature(L, truth)
        # level temperatures: decode the held-out texts with the inner models under these head temperatures
        for inner, _, _ in inner_models:
            for h, ih in inner.heads.items():
                ih.T = self.heads[h].T
        if not self.spec.structured:
            return
        logs: dict[str, list[np.ndarray]] = {lv: [] for lv in LEVELS}
        for inner, _, Xt in inner_models:
            pred = inner._decode(Xt, raw=True)
            for lv in LEVELS:
                classes, S = pred.levels[lv]
                full = np.full((S.shape[0], len(self._level_classes(lv))), np.log(EPS), dtype=np.float64)
                pos = {c: j for j, c in enumerate(self._level_classes(lv))}
                for j, c in enumerate(classes):
                    if c in pos:
                        full[:, pos[c]] = S[:, j]
                logs[lv].append(full)
        for lv in LEVELS:
            classes = self._level_classes(lv)
            cls = {c: j for j, c in enumerate(classes)}
            truth = [{cls[y] for y in ex.labels[lv] - ex.listed.get(lv, set()) if y in cls} for ex in held_ex]
            self.level_T[lv] = fit_temperature(np.vstack(logs[lv]), truth)

    # ------------------------------------------------------------------ prediction
    def _level_classes(self, level: str) -> list[str]:
        return self.heads[level].classes if level in self.heads else []

    def predict_texts(self, texts: list[str]) -> Prediction:
        return self.predict_matrix(self.featurizer.transform(texts))

    def predict_vectors(self, vectors: list[tuple[np.ndarray, np.ndarray]]) -> Prediction:
        """Prediction from (indices, values) vectors, without scipy: the fast path of `kb classify`."""
        return self._decode(_Dense(vectors, len(self.featurizer.vocab)))

    def predict_matrix(self, X: Any) -> Prediction:
        return self._decode(X)

    def _decode(self, X: Any, raw: bool = False) -> Prediction:
        """Per-level probabilities; with raw, the structured decoder's log-scores before level temperatures."""
        probs = {h: softmax(head.margins(X) * head.T) for h, head in self.heads.items()}
        if not self.spec.structured:
            return Prediction({lv: (self.heads[lv].classes, probs[lv]) for lv in LEVELS if lv in self.heads})
        out: dict[str, tuple[list[str], np.ndarray]] = {}
        areas = self.heads["area"].classes
        log_area = self.spec.alpha * np.log(probs["area"] + EPS)
        for f, name in enumerate(FACTORS):
            head = self.heads[name]
            pos = {c: j for j, c in enumerate(head.classes)}
            cols = [pos.get(facets(self.concepts, a)[f], -1) for a in areas]
            P = np.concatenate([probs[name], np.full((probs[name].shape[0], 1), EPS)], axis=1)
            log_area = log_area + (1 - self.spec.alpha) * np.log(P[:, cols] + EPS)
        out["area"] = (areas, self._finish(log_area, "area", raw))
        # the levels below read the untempered chain; each level's temperature applies to its output only
        p_area = softmax(log_area)
        # family: the areas' mass per family, so the two levels never disagree
        fams = self.heads["family"].classes
        fam_of = [family_of(self.concepts, a) for a in areas]
        pf = np.full((p_area.shape[0], len(fams)), EPS)
        fpos = {c: j for j, c in enumerate(fams)}
        for j, fam in enumerate(fam_of):
            if fam in fpos:
                pf[:, fpos[fam]] += p_area[:, j]
        out["family"] = (fams, self._finish(np.log(pf), "family", raw))
        parent_p, parent_classes = p_area, areas
        for lv in ("category", "subcategory"):
            if lv not in self.heads:
                break
            head = self.heads[lv]
            up = {c: j for j, c in enumerate(parent_classes)}
            cols = [up.get(self.concepts[c].parent, -1) for c in head.classes]
            keep = [j for j, col in enumerate(cols) if col >= 0]
            classes = [head.classes[j] for j in keep]
            m = head.margins(X)[:, keep] * head.T
            groups = np.array([cols[j] for j in keep])
            # softmax within each parent: P(child | parent)
            e = np.exp(m - m.max(axis=1, keepdims=True))
            den = np.zeros((e.shape[0], len(parent_classes)))
            np.add.at(den.T, groups, e.T)
            cond = e / np.maximum(den[:, groups], 1e-30)
            log_p = np.log(parent_p[:, groups] * cond + EPS)
            out[lv] = (classes, self._finish(log_p, lv, raw))
            parent_p, parent_classes = softmax(log_p), classes
        return Prediction(out)

    def _finish(self, log_scores: np.ndarray, level: str, raw: bool) -> np.ndarray:
        if raw:
            return log_scores
        return softmax(log_scores * self.level_T.get(level, 1.0))

    # ------------------------------------------------------------------ persistence
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """(JSON-able description, named arrays) of the trained model."""
        meta = {
            "spec": self.spec.as_dict(),
            "featurizer": self.featurizer.state(),
            "heads": {h: {"classes": head.classes, "T": head.T} for h, head in self.heads.items()},
            "level_T": self.level_T,
        }
        arrays = {f"feat_{k}": v for k, v in self.featurizer.arrays().items()}
        for h, head in self.heads.items():
            arrays[f"W_{h}"] = head.W
            arrays[f"b_{h}"] = head.b
        return meta, arrays

    @classmethod
    def restore(cls, meta: dict[str, Any], arrays: Any, concepts: dict[str, Concept], lexicon: Lexicon | None) -> Model:
        spec = ModelSpec.from_dict(meta["spec"])
        m = cls(spec, concepts, lexicon)
        m.featurizer = Featurizer.restore(meta["featurizer"], {"idf": arrays["feat_idf"]}, m.lexicon)
        for h, d in meta["heads"].items():
            m.heads[h] = Head(list(d["classes"]), arrays[f"W_{h}"], arrays[f"b_{h}"], float(d["T"]))
        m.level_T = {k: float(v) for k, v in meta["level_T"].items()}
        return m


class _Dense:
    """A few sparse vectors that multiply a dense weight matrix by gathering rows (no scipy needed)."""

    def __init__(self, vectors: list[tuple[np.ndarray, np.ndarray]], n_features: int) -> None:
        self.vectors = vectors
        self.shape = (len(vectors), n_features)

    def __matmul__(self, W: np.ndarray) -> np.ndarray:
        out = np.zeros((len(self.vectors), W.shape[1]), dtype=np.float32)
        for i, (cols, vals) in enumerate(self.vectors):
            if len(cols):
                out[i] = vals @ np.asarray(W[cols])
        return out


def corpus_examples(corpus: Corpus) -> list[Example]:
    """The papers that can train or test: those with at least one training placement."""
    return [ex for ex in corpus.examples if any(ex.labels[lv] for lv in LEVELS)]
