"""The area confusion matrix of a cross-validation drawn as a heatmap (matplotlib, no pyplot state)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kb.atomic import atomic_write


def confusion_matrix(examples: list[Any], ranked: list[list[tuple[str, float]]], family_of: dict[str, str]):
    """(areas, counts): true area (rows) x top-1 predicted area (columns), areas ordered by family.

    A paper placed in two areas counts once, under the true area the model scored highest.
    """
    pairs = []
    for ex, top in zip(examples, ranked, strict=True):
        truth = ex.survey["area"]
        if not truth or not top:
            continue
        scores = dict(top)
        true = top[0][0] if top[0][0] in truth else max(sorted(truth), key=lambda c: scores.get(c, 0.0))
        pairs.append((true, top[0][0]))
    areas = sorted({a for p in pairs for a in p}, key=lambda a: (family_of.get(a, ""), a))
    pos = {a: i for i, a in enumerate(areas)}
    counts = np.zeros((len(areas), len(areas)), dtype=int)
    for t, p in pairs:
        counts[pos[t], pos[p]] += 1
    return areas, counts


def draw_confusion(areas: list[str], counts: np.ndarray, path: Path, title: str) -> Path:
    """Row-normalised heatmap of the confusion counts, written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    n = len(areas)
    fig = Figure(figsize=(0.2 * n + 4.5, 0.2 * n + 4.0), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(np.where(counts > 0, share, np.nan), cmap="viridis", vmin=0, vmax=1)
    ax.set_facecolor("#f2f2f2")
    ax.set_xticks(range(n), areas, rotation=90, fontsize=6)
    ax.set_yticks(range(n), [f"{a} ({counts[i].sum()})" for i, a in enumerate(areas)], fontsize=6)
    ax.set_xlabel("predicted area (top-1)")
    ax.set_ylabel("survey's area (papers)")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, label="share of the row", shrink=0.6)

    def save(tmp: Path) -> None:
        fig.savefig(tmp, format="png", dpi=130, metadata={"Software": None})

    return atomic_write(path, save)
