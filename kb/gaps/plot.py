"""The family x threat-kind matrix drawn as a heatmap (matplotlib, no pyplot state)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

# Fixed salt and no dates, so that rebuilding the same data gives the same SVG/PNG bytes.
matplotlib.rcParams["svg.hashsalt"] = "kb-gaps"


def draw_heatmap(matrix: list[dict[str, Any]], path: Path, fmt: str) -> None:
    """Draw matrix rows (family, one count per kind, total) to path in fmt (png or svg)."""
    kinds = [k for k in (matrix[0] if matrix else {}) if k not in ("family", "total")]
    families = [r["family"] for r in matrix]
    values = [[r[k] for k in kinds] for r in matrix]
    top = max((x for row in values for x in row), default=0) or 1

    fig = Figure(
        figsize=(max(6.0, 0.62 * len(kinds) + 2.2), 0.55 * len(families) + 2.2),
        layout="constrained",
    )
    ax = fig.add_subplot()
    masked = [[x if x else float("nan") for x in row] for row in values]
    image = ax.imshow(masked, cmap="viridis", vmin=0, vmax=top, aspect="auto")
    ax.set_facecolor("#eeeeee")  # empty cells (NaN) show the background: the gaps
    ax.set_xticks(range(len(kinds)), kinds, rotation=50, ha="right", fontsize=8)
    ax.set_yticks(
        range(len(families)), [f.upper() if len(f) <= 3 else f.capitalize() for f in families]
    )
    for i, row in enumerate(values):
        for j, x in enumerate(row):
            colour = "black" if not x or x > 0.6 * top else "white"
            ax.text(j, i, str(x) if x else "-", ha="center", va="center", fontsize=7, color=colour)
    ax.set_title("Papers per model family and threat kind (grey = empty cell)", fontsize=10)
    fig.colorbar(image, ax=ax, label="papers", shrink=0.8)
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(path, format=fmt, dpi=150, metadata=metadata)
