"""The README's figures are what the tools say (scripts/readme_figures.py writes them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("readme_figures", REPO / "scripts/readme_figures.py")
assert _spec and _spec.loader
figures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(figures)


def _blocks() -> dict[str, str]:
    return figures.current_blocks((REPO / "README.md").read_text(encoding="utf-8"))


def test_readme_stats_block_is_what_kb_stats_says():
    assert _blocks().get("stats") == figures.stats_block(), (
        "README's kb stats block is stale: run python scripts/readme_figures.py"
    )


def test_readme_counts_block_is_what_the_graph_holds():
    assert _blocks().get("counts") == figures.counts_block(), (
        "README's data table is stale: run python scripts/readme_figures.py"
    )


def test_readme_timings_state_their_conditions():
    body = _blocks().get("timings", "")
    assert "Measured by `python scripts/readme_figures.py --timings` on " in body
    assert "cores at load average" in body


def test_rewrite_replaces_only_the_marked_body():
    text = "a\n<!-- readme:x begin note -->\nold\n<!-- readme:x end -->\nb\n"
    assert figures.rewrite(text, {"x": "new\n"}) == (
        "a\n<!-- readme:x begin note -->\nnew\n<!-- readme:x end -->\nb\n"
    )
