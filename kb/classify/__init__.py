"""Place any paper in the survey's taxonomy: top areas and categories with calibrated probabilities.

`classify(items)` is the library call behind `kb classify` (and `kb coverage`, `kb add`): each item is
a dict {title, abstract?, keywords?, venue?, arxiv?, doi?}; the answer rows are exactly the JSON rows of
`kb classify --format json`. The model is trained on the graph's own placements and cached by a hash
of the data (kb/classify/cache.py); evaluation lives in kb/classify/evaluate.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kb.classify.cache import Trained, title_key, trained_model

__all__ = ["classify", "item_text"]


def item_text(item: dict[str, Any]) -> str:
    """The text the model reads: the title, then keywords and abstract when given.

    The venue is accepted but not read: the model is trained on titles, and a venue name says little
    about the threat a paper studies.
    """
    parts = [item.get("title") or "", item.get("keywords") or "", item.get("abstract") or ""]
    return ". ".join(p.strip() for p in parts if p and p.strip())


def _known(trained: Trained, item: dict[str, Any]) -> dict[str, Any] | None:
    arxiv = (item.get("arxiv") or "").strip()
    doi = (item.get("doi") or "").strip().lower()
    hit = (
        (trained.by_arxiv.get(arxiv) if arxiv else None)
        or (trained.by_doi.get(doi) if doi else None)
        or trained.by_title.get(title_key(item.get("title") or ""))
    )
    if hit is None or not (item.get("title") or arxiv or doi):
        return None
    return {"id": hit["id"], "placements": hit["placements"]}


def classify(items: Iterable[dict[str, Any] | str], data_dir: Path | None = None, top: int = 3) -> list[dict[str, Any]]:
    """Rows {title, known, areas, categories, subcategories} for each item, in input order, best first.

    `known` is null, or the graph's id of the paper with its recorded placements (concept id and how
    it was placed); the predictions are given for known papers too.
    """
    rows = [{"title": it} if isinstance(it, str) else dict(it) for it in items]
    if not rows:
        return []
    trained = trained_model(data_dir)
    feat = trained.model.featurizer
    pred = trained.model.predict_vectors([feat.vector(item_text(r)) for r in rows])
    out = []
    for i, r in enumerate(rows):

        def ranked(level: str, i: int = i) -> list[dict[str, Any]]:
            if level not in pred.levels:
                return []
            return [{"id": c, "score": round(s, 4)} for c, s in pred.top(level, i, top)]

        out.append(
            {
                "title": r.get("title") or "",
                "known": _known(trained, r),
                "areas": ranked("area"),
                "categories": ranked("category"),
                "subcategories": ranked("subcategory"),
            }
        )
    return out
