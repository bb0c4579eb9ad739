"""Uncited papers of an area: importance from the graph (not recency), grouped by what is lacking."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from kb.coverage.records import NO_SIGNALS, Paper
from kb.coverage.source import Area

# "the bibliography lacks older work" in an area it cites at least this much, all from this year on
HEAVY = 3
RECENT = 2024
LACKS = {
    "older": "older work",
    "benchmark": "benchmarks and datasets",
    "important": "most important",
}

# weights of what the graph knows; the report states them (RANKED_BY)
METHOD_ROW = 3.0  # proposes a method row of the survey's tables
PER_TARGET = 1.0  # x log2(1 + target models its methods were run against)
DATASET = 2.0  # introduced a dataset or benchmark
PER_USE = 1.0  # x log2(1 + other papers' methods evaluated on that dataset)
IMPLEMENTED = 2.0  # has a reference implementation in the knowledge base
SEVERAL_SOURCES = 1.0  # listed by more than one source
CODE = 0.5  # a code repository is known
PER_YEAR = 0.5  # each year before the newest paper of the graph: older work is foundational...
MAX_YEARS = 3  # ...up to this many years

RANKED_BY = (
    "ranked by what the knowledge base knows of each paper, not by recency: a method row in the "
    f"survey's tables (+{METHOD_ROW:g}), target models its methods were run against "
    f"(+{PER_TARGET:g} x log2(1 + n)), introducing a dataset or benchmark (+{DATASET:g}) and other "
    f"methods evaluated on it (+{PER_USE:g} x log2(1 + n)), a reference implementation "
    f"(+{IMPLEMENTED:g}), listed by several sources (+{SEVERAL_SOURCES:g}), a code repository "
    f"(+{CODE:g}), and age (+{PER_YEAR:g} a year before the newest paper, at most {MAX_YEARS} "
    "years); ties go to the older paper"
)


def importance(p: Paper, newest: int) -> float:
    """The paper's weight in its field (RANKED_BY says how), rounded to two places."""
    s = p.signals
    age = PER_YEAR * min(MAX_YEARS, max(0, newest - p.year)) if p.year else 0.0
    if s is NO_SIGNALS:  # most records of a large synthetic or list-only graph: age alone
        return age
    score = age + (
        METHOD_ROW * (s.methods > 0)
        + PER_TARGET * math.log2(1 + s.targets)
        + DATASET * (s.datasets > 0)
        + PER_USE * math.log2(1 + s.dataset_uses)
        + IMPLEMENTED * (s.implemented > 0)
        + SEVERAL_SOURCES * (s.sources > 1)
        + CODE * s.code
    )
    return round(score, 2)


def why(p: Paper) -> str:
    """The signals behind a paper's rank, in words ('method row, 6 target models, dataset ...')."""
    s = p.signals
    parts = []
    if s.methods:
        parts.append("method row" + (f" ({s.methods})" if s.methods > 1 else ""))
    if s.targets:
        parts.append(f"{s.targets} target model{'s' if s.targets != 1 else ''}")
    if s.datasets:
        parts.append(
            "introduces a dataset"
            + (f" used by {s.dataset_uses} other method{'s' * (s.dataset_uses != 1)}"
               if s.dataset_uses else "")
        )
    if s.implemented:
        parts.append("reference implementation")
    if s.sources > 1:
        parts.append(f"in {s.sources} sources")
    if s.code:
        parts.append("code")
    return ", ".join(parts)


def rank_key(p: Paper, newest: int) -> tuple[float, int, str]:
    """Sort key: most important first, then oldest, then id (stable)."""
    return (-importance(p, newest), p.year or 9999, p.id)


class Ranking:
    """The graph's papers per area in rank order, in memory (kb.store.records.StoreRanking reads a store's).

    What the report needs of all the papers: the newest year, how many papers each area holds,
    and an area's first uncited papers in rank order (`ranked`).
    """

    def __init__(self, papers: list[Paper]) -> None:
        self.newest = max((p.year for p in papers if p.year), default=0)
        self._papers = papers
        self._in_area: dict[str, list[Paper]] | None = None
        self._keys: dict[str, tuple[float, int, str]] = {}  # a paper may sit in several areas

    def key(self, p: Paper) -> tuple[float, int, str]:
        """rank_key of `p` against this graph's newest year."""
        k = self._keys.get(p.id)
        if k is None:
            k = self._keys[p.id] = rank_key(p, self.newest)
        return k

    def _areas(self) -> dict[str, list[Paper]]:
        if self._in_area is None:
            self._in_area = {}
            for p in self._papers:
                for a in p.areas:
                    self._in_area.setdefault(a, []).append(p)
        return self._in_area

    def totals(self) -> dict[str, int]:
        """Area id -> papers in it."""
        return {a: len(ps) for a, ps in self._areas().items()}

    def ranked(self, area: str, lack: str | None, k: int, exclude: set[str]) -> list[Paper]:
        """The area's first `k` papers in rank order whose ids are not in `exclude`, of group `lack`."""
        keep = in_group(lack)
        members = [p for p in self._areas().get(area, ()) if p.id not in exclude and keep(p)]
        return heapq.nsmallest(k, members, key=self.key)


def in_group(lack: str | None) -> Callable[[Paper], bool]:
    """Whether a paper can fill a lack: 'older' (before RECENT), 'benchmark' (introduces a dataset)."""
    if lack == "older":
        return lambda p: bool(p.year) and p.year < RECENT  # type: ignore[operator]
    if lack == "benchmark":
        return lambda p: bool(p.signals.datasets)
    return lambda p: True


def uncited(
    area: Area, mine: list[Paper], exclude: set[str], ranking: Ranking, top: int
) -> tuple[list[dict], list[dict]]:
    """The area's most important uncited papers, grouped by what the bibliography lacks there.

    `mine` are the cited papers in the area; `exclude` the ids never to suggest (cited, or
    suggested as possible matches).
    """
    candidates: list[tuple[str, str]] = []
    if len(mine) >= HEAVY and all((p.year or RECENT) >= RECENT for p in mine):
        candidates.append(("older", f"cites {len(mine)} papers on {area.name}, none before {RECENT}"))
    if not any(p.signals.datasets for p in mine):
        candidates.append(("benchmark", f"cites no paper introducing a dataset or benchmark of {area.name}"))
    share = max(1, top // 3)
    lacks: list[dict] = []
    chosen: dict[str, str] = {}
    found: dict[str, Paper] = {}
    for lack, message in candidates:
        members = ranking.ranked(area.id, lack, share, exclude)
        if members:  # a lack only counts when the graph has papers to fill it
            lacks.append({"area": area.id, "lack": lack, "message": message})
            for p in members:
                chosen.setdefault(p.id, lack)
                found[p.id] = p
    for p in ranking.ranked(area.id, None, top + len(chosen), exclude):
        if len(chosen) >= top:
            break
        chosen.setdefault(p.id, "important")
        found[p.id] = p
    order = {g: i for i, g in enumerate(LACKS)}
    rows = sorted(found.values(), key=lambda p: (order[chosen[p.id]], ranking.key(p)))[:top]
    newest = ranking.newest
    return [
        {
            "area": area.id,
            "id": p.id,
            "title": p.title,
            "year": p.year,
            "links": p.links,
            "arxiv": p.arxiv,
            "score": importance(p, newest),
            "why": why(p),
            "group": chosen[p.id],
        }
        for p in rows
    ], lacks
