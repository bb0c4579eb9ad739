"""Build the coverage report (a plain dict in the stable JSON shape) from entries and the graph."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import click

from kb.coverage.bibin import BibEntry, Malformed, read_aux, read_references, restrict
from kb.coverage.match import Index, Match, Paper, Possible
from kb.coverage.predict import placed, predict
from kb.coverage.rank import RANKED_BY, Ranking, uncited
from kb.coverage.source import Area, load

METHODS = ("doi", "arxiv", "title", "fuzzy")
# below this share of entries known to the graph, the summary warns that the report describes
# only a small part of the bibliography
KNOWN_WARN = 0.5
# an attack area is reported without its defenses only when this many cited papers are in it
UNANSWERED_MIN = 2


def _match_row(m: Match | None) -> dict | None:
    if m is None:
        return None
    row = {"id": m.paper.id, "title": m.paper.title, "method": m.method, "score": m.score}
    row["areas"] = [{"id": a, "how": how, "score": score} for a, how, score in m.paper.placed()]
    if m.flag:
        row["flag"] = m.flag
    return row


def _area_order(areas: dict[str, Area]) -> list[Area]:
    return sorted(areas.values(), key=lambda a: (a.order, a.id))


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def build_report(
    entries: list[BibEntry],
    malformed: list[Malformed],
    papers: list[Paper] | None,
    areas: dict[str, Area],
    top: int = 10,
    index: Index | None = None,
    predicted: dict[str, list[dict]] | None = None,
    matches: list[Match | None] | None = None,
    ranking: Ranking | None = None,
) -> dict:
    """The report for already-read entries against paper records and areas.

    `predicted` maps unmatched entry keys to the classifier's areas (kb.coverage.predict); None
    when no classifier is installed. `matches` are the entries' matches when already computed.
    `index` and `ranking` stand for `papers` when given (a store's: kb.store.records.open_coverage).
    """
    if index is None or ranking is None:
        assert papers is not None, "build_report needs the papers, or both an index and a ranking"
        index = index or Index(papers)
        ranking = ranking or Ranking(papers)
    notes = [m for m in malformed if not m.skipped]
    malformed = [m for m in malformed if m.skipped]
    matches = index.match_all(entries) if matches is None else matches
    possibles = [[] if m else index.possible(e) for e, m in zip(entries, matches, strict=True)]
    by_method = Counter(m.method for m in matches if m)
    cited: dict[str, Paper] = {m.paper.id: m.paper for m in matches if m}
    keys_of: dict[str, list[str]] = defaultdict(list)
    for e, m in zip(entries, matches, strict=True):
        if m:
            keys_of[m.paper.id].append(e.key)
    maybe = {p.paper.id for ps in possibles for p in ps} - set(cited)
    totals = ranking.totals()
    cited_papers: dict[str, list[Paper]] = defaultdict(list)
    for p in cited.values():
        for a in p.areas:
            cited_papers[a].append(p)
    cited_in = {a: len(ps) for a, ps in cited_papers.items()}
    placed_in: dict[str, list[str]] = defaultdict(list)  # area -> unmatched keys placed there
    for e, m in zip(entries, matches, strict=True):
        if not m and predicted:
            for a in placed(predicted.get(e.key)):
                placed_in[a].append(e.key)

    coverage = []
    for area in _area_order(areas):
        total = totals.get(area.id, 0)
        if total:
            row = {
                "model_family": area.family,
                "threat_type": area.id,
                "cited": cited_in.get(area.id, 0),
                "total": total,
                "label": area.name,
                "role": area.role,
                "kind": area.kind,
                "parent": area.parent,
                "papers": [
                    {"id": p.id, "title": p.title, "keys": keys_of[p.id]}
                    for p in sorted(cited_papers.get(area.id, ()), key=lambda p: p.id)
                ],
            }
            if predicted is not None:
                row["predicted"] = len(placed_in.get(area.id, ()))
            coverage.append(row)

    touched = [a for a in _area_order(areas) if cited_in.get(a.id)]
    missing, lacks = [], []
    exclude = set(cited) | maybe
    for area in touched:
        rows, gaps = uncited(area, cited_papers[area.id], exclude, ranking, top)
        missing += rows
        lacks += gaps

    known = len([m for m in matches if m])
    with_possible = sum(1 for ps in possibles if ps)
    share = _share(known, len(entries))
    summary = {
        "entries": len(entries),
        "matched": known,
        "unmatched": len(entries) - known,
        "malformed": len(malformed),
        "by_method": {k: by_method.get(k, 0) for k in METHODS},
        "papers_cited": len(cited),
        "areas_touched": len(touched),
        "known_share": share,
        "possible": with_possible,
        "flagged": sum(1 for m in matches if m and m.flag),
        "predicted": None if predicted is None else sum(1 for k in placed_keys(predicted)),
    }
    if share < KNOWN_WARN:
        summary["warning"] = (
            f"the knowledge base knows only {share:.0%} of these entries: the areas and the "
            "papers you do not cite below describe that part of the bibliography, not all of it"
        )
    return {
        "summary": summary,
        "ranked_by": RANKED_BY,
        "entries": [
            _entry_row(e, m, ps, predicted) for e, m, ps in zip(entries, matches, possibles, strict=True)
        ],
        "malformed": [{"line": b.line, "error": b.error} for b in malformed],
        "notes": [{"line": n.line, "note": n.error} for n in notes],
        "coverage": coverage,
        "missing": missing,
        "lacks": lacks,
        "unanswered": _unanswered(areas, cited_in, placed_in),
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


def placed_keys(predicted: dict[str, list[dict]]) -> list[str]:
    """Keys of the entries the classifier places in some area."""
    return [k for k, areas in predicted.items() if placed(areas)]


def _entry_row(e: BibEntry, m: Match | None, ps: list[Possible], predicted: dict | None) -> dict:
    row: dict = {"key": e.key, "title": e.title or e.arxiv or e.doi or e.key, "match": _match_row(m)}
    row["possible"] = [{"id": p.paper.id, "title": p.paper.title, "reason": p.reason} for p in ps]
    if m is None:
        if ps:
            row["group"] = "possible"
        elif predicted is not None and placed(predicted.get(e.key)):
            row["group"] = "placed"
        else:
            row["group"] = "outside"
        if predicted is not None:
            row["predicted"] = predicted.get(e.key, [])
    return row


def _unanswered(
    areas: dict[str, Area], cited_in: dict[str, int], placed_in: dict[str, list[str]]
) -> list[dict]:
    """Attack areas cited >= UNANSWERED_MIN times none of whose defenses is cited, and the reverse.

    Counts the unmatched entries the classifier places in the missing side; when there are some,
    the row says so instead of claiming there are none.
    """
    defenders: dict[str, list[Area]] = defaultdict(list)
    for d in areas.values():
        for attack in d.answers:
            defenders[attack].append(d)
    rows = []
    for area in _area_order(areas):
        n = cited_in.get(area.id, 0)
        if n < UNANSWERED_MIN:
            continue
        if area.id in defenders:  # an attack area (or anything that something answers)
            others = [d for d in defenders[area.id] if not cited_in.get(d.id)]
            if len(others) == len(defenders[area.id]):
                rows.append(_unanswered_row(area, n, others, "attack-without-defense", placed_in))
        if area.answers:
            others = [areas[a] for a in area.answers if a in areas and not cited_in.get(a)]
            if others and len(others) == len(area.answers):
                rows.append(_unanswered_row(area, n, others, "defense-without-attack", placed_in))
    return rows


def _unanswered_row(
    area: Area, n: int, others: list[Area], direction: str, placed_in: dict[str, list[str]]
) -> dict:
    others = sorted(others, key=lambda a: a.order)
    names = " or ".join(d.name for d in others)
    keys = sorted({k for d in others for k in placed_in.get(d.id, ())})
    message = f"cites {n} {_papers(n)} on {area.name} and none that the knowledge base knows on {names}"
    if keys:
        message += (
            f", though the classifier places {len(keys)} of your unmatched entries there "
            f"({', '.join(keys[:5])}{', ...' if len(keys) > 5 else ''})"
        )
    return {
        "area": area.id,
        "cited": n,
        "direction": direction,
        "uncited": [d.id for d in others],
        "predicted": keys,
        "message": message,
    }


def _papers(n: int) -> str:
    return "paper" if n == 1 else "papers"


def read_input(
    bib_path: Path, aux_path: Path | None = None
) -> tuple[list[BibEntry], list[Malformed]]:
    """Entries (only the cited ones when an .aux or id list is given) and malformed blocks."""
    entries, malformed = read_references(Path(bib_path))
    if not entries:
        malformed = [m for m in malformed if m.skipped] or malformed
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

    With `store` (a `kb store build` directory) the records are looked up in its side index as
    matching and ranking need them, never all read (kb.store.records).
    """
    entries, malformed = read_input(Path(bib_path), Path(aux_path) if aux_path else None)
    papers: list[Paper] | None = None
    index: Index
    ranking: Ranking
    if store is not None:
        from kb.store import records

        index, ranking, areas = records.open_coverage(Path(store))
    else:
        papers, areas = load(data_dir)
        index, ranking = Index(papers), Ranking(papers)
    matches = index.match_all(entries)
    predicted = predict([e for e, m in zip(entries, matches, strict=True) if m is None], data_dir)
    return build_report(
        entries, malformed, papers, areas, top=top, index=index, predicted=predicted,
        matches=matches, ranking=ranking,
    )
