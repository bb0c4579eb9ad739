"""The trained model on disk, keyed by a hash of the data: trained once per version of the graph.

A cache entry is a folder `<key>/` holding `model.json` (spec, vocabulary, classes, temperatures, the
concept tree and the known papers) and `model.npz` (the weights), written aside and renamed into place.
The key hashes the Turtle file, the lexicon, the model spec, the seed and MODEL_VERSION, so any change
to the data or to the model's definition trains a new model; the three newest entries are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from kb.classify.data import Concept, Corpus, definition_examples, file_digest, load_corpus
from kb.classify.features import Lexicon, fold, lexicon_digest
from kb.classify.model import FINAL, Model, ModelSpec, corpus_examples

# bump when the meaning of a saved model changes (features, decoding, file layout)
MODEL_VERSION = 2
CACHE_ENV = "KB_CLASSIFY_CACHE"  # a folder to keep trained models in; "0" keeps them in memory only
KEEP = 3


def cache_root() -> Path | None:
    """Where trained models are kept: build/classify/ at the repository's top, or $KB_CLASSIFY_CACHE."""
    env = os.environ.get(CACHE_ENV)
    if env == "0":
        return None
    return Path(env) if env else Path(__file__).resolve().parents[2] / "build" / "classify"


def cache_key(data_digest: str, spec: ModelSpec = FINAL, seed: int = 0) -> str:
    """The hash that names a trained model: data, lexicon, spec, seed and code version."""
    parts = [data_digest, lexicon_digest(), json.dumps(spec.as_dict(), sort_keys=True), str(seed), str(MODEL_VERSION)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


class Trained:
    """A trained model with what answering needs besides it: the concept tree and the known papers."""

    def __init__(self, model: Model, concepts: dict[str, Concept], known: list[dict[str, Any]], key: str) -> None:
        self.model = model
        self.concepts = concepts
        self.known = known
        self.key = key
        self.by_title = {k["title_key"]: k for k in known}
        self.by_arxiv = {k["arxiv"]: k for k in known if k.get("arxiv")}
        self.by_doi = {k["doi"]: k for k in known if k.get("doi")}


def title_key(title: str) -> str:
    """A title folded to letters and digits, for recognising a paper the graph already has."""
    return "".join(ch for ch in fold(title) if ch.isalnum())


def train(corpus: Corpus, spec: ModelSpec = FINAL, seed: int = 0, lexicon: Lexicon | None = None) -> Model:
    """The model trained on every placed paper of the corpus (and the taxonomy's definitions)."""
    lexicon = lexicon or Lexicon.load()
    return Model(spec, corpus.concepts, lexicon).fit(corpus_examples(corpus), seed, definition_examples(corpus))


def _known(corpus: Corpus) -> list[dict[str, Any]]:
    return [
        {
            "id": ex.id,
            "title_key": title_key(ex.title),
            "arxiv": ex.arxiv,
            "doi": ex.doi,
            "placements": [{"id": c, "how": how} for c, how in sorted(ex.placements.items())],
        }
        for ex in corpus.examples
    ]


def _save(folder: Path, trained: Trained) -> None:
    meta, arrays = trained.model.state()
    meta = {
        "version": MODEL_VERSION,
        "model": meta,
        "concepts": [asdict(c) for c in trained.concepts.values()],
        "known": trained.known,
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
    try:
        (tmp / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        np.savez(tmp / "model.npz", **arrays)  # type: ignore[arg-type]  # numpy's stub mistypes **kwds
        os.replace(tmp, folder)  # atomic; fails harmlessly if another process got there first
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    olds = sorted(
        (p for p in folder.parent.iterdir() if not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )[KEEP:]
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)


def _load(folder: Path, key: str) -> Trained | None:
    try:
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        with np.load(folder / "model.npz") as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, KeyError):
        return None  # half-written or foreign: train again
    if meta.get("version") != MODEL_VERSION:
        return None
    concepts = {c["id"]: Concept(**c) for c in meta["concepts"]}
    spec = ModelSpec.from_dict(meta["model"]["spec"])
    lexicon = Lexicon.load() if spec.features.lexicon else None
    model = Model.restore(meta["model"], arrays, concepts, lexicon)
    return Trained(model, concepts, meta["known"], key)


_MEMORY: dict[str, Trained] = {}


def trained_model(data_dir: Path | None = None, spec: ModelSpec = FINAL, seed: int = 0) -> Trained:
    """The model of the graph in `data_dir`: from memory, else from the cache, else trained and saved."""
    key = cache_key(file_digest(data_dir), spec, seed)
    if key in _MEMORY:
        return _MEMORY[key]
    root = cache_root()
    trained = _load(root / key, key) if root is not None and (root / key).exists() else None
    if trained is None:
        corpus = load_corpus(data_dir)
        trained = Trained(train(corpus, spec, seed), corpus.concepts, _known(corpus), key)
        if root is not None:
            _save(root / key, trained)
    _MEMORY[key] = trained
    return trained
