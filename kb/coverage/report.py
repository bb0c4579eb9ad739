"""Build the coverage report (a plain dict in the stable JSON shape) from entries and the graph."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from pathlib import Path

import click

from kb.coverage.bibin import BibEntry, Malformed, read_aux, read_references, restrict
from kb.coverage.match import Index, Match, Paper
from kb.coverage.source import Area, load

METHODS = ("doi", "arxiv", "title", "fuzzy")


def _match_row(m: Match | None) -> dict | None:
    if m is None:
        return None
    return {"id": m.paper.id, "title": m.paper.title, "method": m.method, "score": m.score}


def _area_order(areas: dict[str, Area]) -> list[Area]:
    return sorted(areas.values(), key=lambda a: (a.order, a.id))


def build_report(
    entries: list[BibEntry],
    malformed: list[Malformed],
    papers: list[Paper],
    areas: dict[str, Area],
    top: int = 10,
    index: Index | None = None,
) -> dict:
    """The report for already-read entries against paper records and areas."""
    index = index or Index(papers)
    matches = index.match_all(entries)
    by_method = Counter(m.method for m in matches if m)
    cited: dict[str, Paper] = {m.paper.id: m.paper for m in matches if m}

    in_area: dict[str, list[Paper]] = defaultdict(list)
    for p in papers:
        for a in p.areas:
            in_area[a].append(p)
    cited_in = {a: sum(1 for p in ps if p.id in cited) for a, ps in in_area.items()}

    coverage = []
    for area in _area_order(areas):
        total = len(in_area.get(area.id, ()))
        if total:
            coverage.append(
                {
                    "model_family": area.family,
                    "threat_type": area.id,
                    "cited": cited_in.get(area.id, 0),
                    "total": total,
                    "label": area.name,
                    "role": area.role,
                    "kind": area.kind,
                    "parent": area.parent,
                }
            )

    touched = [a for a in _area_order(areas) if cited_in.get(a.id)]
    missing = []
    for area in touched:
        gaps = (p for p in in_area[area.id] if p.id not in cited)
        # most-linked first (methods, datasets, areas), then most recent, then id for stability
        for p in heapq.nsmallest(top, gaps, key=lambda p: (-p.links, -(p.year or 0), p.id)):
            missing.append(
                {
                    "area": area.id,
                    "id": p.id,
                    "title": p.title,
                    "year": p.year,
                    "links": p.links,
                    "arxiv": p.arxiv,
                }
            )

    return {
        "summary": {
            "entries": len(entries),
            "matched": len(
                cited_keys := [e.key for e, m in zip(entries, matches, strict=True) if m]
            ),
            "unmatched": len(entries) - len(cited_keys),
            "malformed": len(malformed),
            "by_method": {k: by_method.get(k, 0) for k in METHODS},
            "papers_cited": len(cited),
            "areas_touched": len(touched),
        },
        "entries": [
            {"key": e.key, "title": e.title or e.arxiv or e.doi or e.key, "match": _match_row(m)}
            for e, m in zip(entries, matches, strict=True)
        ],
        "malformed": [{"line": b.line, "error": b.error} for b in malformed],
        "coverage": coverage,
        "missing": missing,
        "unanswered": _unanswered(areas, cited_in),
        "areas": {
            a.id: {
                "label": a.name,
                "role": a.role,
                "kind": a.kind,
                "family": a.family,
                "parent": a.parent or a.family,
            }
            for a in _area_order(areas)
        },
    }


def _unanswered(areas: dict[str, Area], cited_in: dict[str, int]) -> list[dict]:
    """Cited attack areas none of whose defense areas is cited, and the reverse (kb:answers)."""
    defenders: dict[str, list[Area]] = defaultdict(list)
    for d in areas.values():
        for attack in d.answers:
            defenders[attack].append(d)
    rows = []
    for area in _area_order(areas):
        n = cited_in.get(area.id, 0)
        if not n:
            continue
        if area.id in defenders:  # an attack area (or anything that something answers)
            others = [d for d in defenders[area.id] if not cited_in.get(d.id)]
            if len(others) == len(defenders[area.id]):
                names = " or ".join(d.name for d in sorted(others, key=lambda a: a.order))
                rows.append(
                    {
                        "area": area.id,
                        "cited": n,
                        "direction": "attack-without-defense",
                        "uncited": [d.id for d in others],
                        "message": f"cites {n} {_papers(n)} on {area.name} and none on {names}",
                    }
                )
        if area.answers:
            others = [areas[a] for a in area.answers if a in areas and not cited_in.get(a)]
            if others and len(others) == len(area.answers):
                names = " or ".join(a.name for a in sorted(others, key=lambda a: a.order))
                rows.append(
                    {
                        "area": area.id,
                        "cited": n,
                        "direction": "defense-without-attack",
                        "uncited": [a.id for a in others],
                        "message": f"cites {n} {_papers(n)} on {area.name} and none on {names}",
                    }
                )
    return rows


def _papers(n: int) -> str:
    return "paper" if n == 1 else "papers"


def read_input(
    bib_path: Path, aux_path: Path | None = None
) -> tuple[list[BibEntry], list[Malformed]]:
    """Entries (only the cited ones when an .aux or id list is given) and malformed blocks."""
    entries, malformed = read_references(Path(bib_path))
    if not entries:
        first = (
            f"; first problem at line {malformed[0].line}: {malformed[0].error}"
            if malformed
            else ""
        )
        raise click.ClickException(
            f"{bib_path}: no reference could be read ({len(malformed)} malformed){first}; "
            "give a BibTeX file or a list of DOIs / arXiv ids, one a line"
        )
    if aux_path is not None:
        keys, ids = read_aux(Path(aux_path))
        if not keys and not ids:
            raise click.ClickException(
                f"{aux_path}: no \\citation{{...}} line and no DOI or arXiv id found; "
                "give the .aux file LaTeX wrote for the paper"
            )
        entries = restrict(entries, keys, ids)
    return entries, malformed


def coverage_report(
    bib_path: Path | str,
    aux_path: Path | str | None = None,
    top: int = 10,
    data_dir: Path | None = None,
    store: Path | None = None,
) -> dict:
    """The coverage report of a reference list against the knowledge graph, as the JSON shape.

    With `store` (a `kb store build` directory) the paper records come from its side index.
    """
    entries, malformed = read_input(Path(bib_path), Path(aux_path) if aux_path else None)
    if store is not None:
        from kb.store import records

        papers, areas = records.load(Path(store))
    else:
        papers, areas = load(data_dir)
    return build_report(entries, malformed, papers, areas, top=top)
