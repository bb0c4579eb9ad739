"""How important a paper is to its area, from what the graph knows (not how recent it is)."""

from __future__ import annotations

import math

from kb.coverage.records import NO_SIGNALS, Paper

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
