"""Areas the classifier (kb.classify, when installed) proposes for references the graph lacks."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from kb.coverage.bibin import BibEntry

# an unmatched entry counts as placed in an area when the classifier's score reaches this
PLACED_SCORE = 0.5


def classifier() -> Any | None:
    """kb.classify.classify, or None when the module or scikit-learn is not installed."""
    try:
        return importlib.import_module("kb.classify").classify
    except (ImportError, AttributeError):
        return None


def predict(entries: list[BibEntry], data_dir: Path | None = None) -> dict[str, list[dict]] | None:
    """Entry key -> [{"id", "score"}] areas (CONTRACTS §2), or None without a classifier."""
    classify = classifier()
    if classify is None or not entries:
        return None if classify is None else {}
    items = [
        {
            "title": e.title,
            "abstract": e.abstract or "",
            "keywords": e.keywords or "",
            "venue": e.venue or "",
            "arxiv": e.arxiv or "",
            "doi": e.doi or "",
        }
        for e in entries
    ]
    try:
        rows = classify(items, data_dir=data_dir, top=3)
    except ImportError:  # the module imports, but scikit-learn does not
        return None
    return {
        e.key: [
            {"id": a["id"], "score": round(float(a["score"]), 4)} for a in (row.get("areas") or [])
        ]
        for e, row in zip(entries, rows, strict=True)
    }


def placed(areas: list[dict] | None) -> list[str]:
    """The area ids a prediction places the entry in (score >= PLACED_SCORE)."""
    return [a["id"] for a in areas or () if a["score"] >= PLACED_SCORE]
