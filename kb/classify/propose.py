"""Placements proposed for a paper that `kb add` is given without `--concept`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kb.bib import parse_bib_text
from kb.graph import DataError

# with --accept-top, a category joins the top area only when the model is at least this sure of it
CATEGORY_FLOOR = 0.5


def proposals(bib_text: str, data_dir: Path | None = None, top: int = 3) -> list[dict[str, Any]]:
    """Numbered choices for the first entry of bib_text: each top area, then its best category.

    Each choice is {"concepts": [ids], "score": float, "label": str}; an area's best category is
    offered as a choice of its own (area and category together).
    """
    from kb.classify import classify
    from kb.curate import entry_facts

    parsed = parse_bib_text(bib_text)
    if not parsed.entries:
        raise DataError("no BibTeX entry found; pass one complete BibTeX entry")
    entry = parsed.entries[0]
    facts = entry_facts(entry)
    [row] = classify(
        [{"title": facts.title, "abstract": entry.fields.get("abstract", ""), "arxiv": facts.arxiv or ""}],
        data_dir,
        top=max(top, 10),
    )
    if row["known"]:
        raise DataError(f"'{facts.title}' is already in the knowledge base as paper '{row['known']['id']}'")
    choices = []
    for area in row["areas"][:top]:
        choices.append({"concepts": [area["id"]], "score": area["score"], "label": area["id"]})
        best = next((c for c in row["categories"] if c["id"].startswith(area["id"] + ".")), None)
        if best is not None:
            choices.append(
                {
                    "concepts": [area["id"], best["id"]],
                    "score": best["score"],
                    "label": f"{area['id']} + {best['id']}",
                }
            )
    return choices


def accept_top(choices: list[dict[str, Any]]) -> list[str]:
    """The top area, with its best category when that is at least CATEGORY_FLOOR sure."""
    if len(choices) > 1 and len(choices[1]["concepts"]) == 2 and choices[1]["score"] >= CATEGORY_FLOOR:
        return choices[1]["concepts"]
    return choices[0]["concepts"]
