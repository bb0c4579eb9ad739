"""Text features: TF-IDF over word and character n-grams, plus the lexicon's family/kind/role cues.

Written here rather than taken from scikit-learn's vectorisers so that a trained model answers from
plain numpy arrays: `kb classify` then starts without importing scikit-learn (about a second).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
LEXICON_FILE = HERE / "lexicon.yaml"
# the parts of a long text (an abstract) that are read; titles are far shorter
MAX_CHARS = 4000
# the lexicon's first facets; `stance` (attack versus defense framing) and `agent-kind` came later
# (docs/classify.md)
BASE_FACETS = ("family", "kind", "role")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model uses: the knobs that evaluation compares."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = 2  # a character n-gram must occur in this many training texts
    lexicon: bool = False  # the lexicon's cue features (family, threat kind, attack/defense words)
    lexicon_weight: float = 1.0
    # the lexicon's facets (top-level keys of lexicon.yaml) that are read; a later facet is a later idea
    # of the ablation, so the models before it stay as they were measured
    facets: tuple[str, ...] = BASE_FACETS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureSpec:
        return cls(
            word_ngrams=tuple(d["word_ngrams"]),  # type: ignore[arg-type]
            char_ngrams=tuple(d["char_ngrams"]),  # type: ignore[arg-type]
            min_df=int(d["min_df"]),
            lexicon=bool(d["lexicon"]),
            lexicon_weight=float(d["lexicon_weight"]),
            facets=tuple(d.get("facets", BASE_FACETS)),
        )


def fold(text: str) -> str:
    """Lower-case ASCII text with punctuation as spaces, hyphenated words kept whole."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS]).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9\-]+", " ", text).replace(" -", " ").replace("- ", " ").split())


def words(folded: str) -> list[str]:
    """Word tokens: hyphenated compounds split ('text-to-image' -> text, to, image)."""
    return [w for w in re.split(r"[\s\-]+", folded) if w]


@dataclass
class Lexicon:
    """Named cue groups (`family:vlm`, `kind:jailbreak`, `role:defense`), each a set of regexes."""

    groups: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = LEXICON_FILE) -> Lexicon:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        groups = {}
        for facet, entries in raw.items():
            for name, patterns in (entries or {}).items():
                groups[f"{facet}:{name}"] = [re.compile(rf"(?<![a-z0-9]){p}(?![a-z0-9])") for p in patterns]
        return cls(groups)

    def cues(self, folded: str, facets: tuple[str, ...] | None = None) -> list[str]:
        """The groups (of the given facets, or all) whose patterns occur in a folded text."""
        return [
            name
            for name, pats in self.groups.items()
            if (facets is None or name.split(":", 1)[0] in facets) and any(p.search(folded) for p in pats)
        ]


def lexicon_digest(path: Path = LEXICON_FILE) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class Featurizer:
    """TF-IDF (sublinear tf, smoothed idf, l2 per block) over word and char n-grams, plus cue flags."""

    BLOCKS = ("word", "char", "cue")

    def __init__(self, spec: FeatureSpec, lexicon: Lexicon | None = None) -> None:
        self.spec = spec
        self.lexicon = lexicon if spec.lexicon else None
        self.vocab: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.block_of = np.zeros(0, dtype=np.int8)

    # -- terms
    def terms(self, text: str) -> dict[str, Counter[str]]:
        folded = fold(text)
        toks = words(folded)
        lo, hi = self.spec.word_ngrams
        wc: Counter[str] = Counter()
        for n in range(lo, hi + 1):
            for i in range(len(toks) - n + 1):
                wc["w:" + " ".join(toks[i : i + n])] += 1
        cc: Counter[str] = Counter()
        clo, chi = self.spec.char_ngrams
        for tok in folded.split():
            padded = f" {tok} "
            for n in range(clo, chi + 1):
                for i in range(len(padded) - n + 1):
                    cc["c:" + padded[i : i + n]] += 1
        cues: Counter[str] = Counter()
        if self.lexicon is not None:
            cues.update("x:" + c for c in self.lexicon.cues(folded, self.spec.facets))
        return {"word": wc, "char": cc, "cue": cues}

    # -- fitting
    def fit(self, texts: list[str]) -> Featurizer:
        df: Counter[str] = Counter()
        for text in texts:
            for block in self.terms(text).values():
                df.update(block.keys())
        n = len(texts)
        keep = sorted(t for t, d in df.items() if not t.startswith("c:") or d >= self.spec.min_df)
        self.vocab = {t: i for i, t in enumerate(keep)}
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in keep], dtype=np.float32)
        self.block_of = np.array([self.BLOCKS.index(_block(t)) for t in keep], dtype=np.int8)
        return self

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, values) of one text: each block l2-normalised; cue flags weighted."""
        cols: list[int] = []
        vals: list[float] = []
        for name, counts in self.terms(text).items():
            idx = [self.vocab[t] for t in counts if t in self.vocab]
            if not idx:
                continue
            if name == "cue":
                v = np.full(len(idx), self.spec.lexicon_weight, dtype=np.float32)
            else:
                tf = np.array([1 + math.log(counts[t]) for t in counts if t in self.vocab], dtype=np.float32)
                v = tf * self.idf[idx]
                v /= float(np.linalg.norm(v)) or 1.0
            cols.extend(idx)
            vals.extend(v.tolist())
        return np.array(cols, dtype=np.int64), np.array(vals, dtype=np.float32)

    def transform(self, texts: list[str]):
        """A scipy CSR matrix of the texts (training and evaluation only)."""
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for text in texts:
            c, v = self.vector(text)
            indices.append(c)
            data.append(v)
            indptr.append(indptr[-1] + len(c))
        return csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.array(indptr),
            ),
            shape=(len(texts), len(self.vocab)),
            dtype=np.float32,
        )

    # -- persistence
    def state(self) -> dict[str, Any]:
        return {"spec": self.spec.as_dict(), "terms": list(self.vocab)}

    def arrays(self) -> dict[str, np.ndarray]:
        return {"idf": self.idf}

    @classmethod
    def restore(cls, state: dict[str, Any], arrays: dict[str, np.ndarray], lexicon: Lexicon | None) -> Featurizer:
        f = cls(FeatureSpec.from_dict(state["spec"]), lexicon)
        f.vocab = {t: i for i, t in enumerate(state["terms"])}
        f.idf = np.asarray(arrays["idf"], dtype=np.float32)
        return f


def _block(term: str) -> str:
    return {"w": "word", "c": "char", "x": "cue"}[term[0]]
