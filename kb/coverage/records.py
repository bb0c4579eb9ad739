"""Paper records as coverage needs them, wherever they came from (the graph, a benchmark, a test)."""

from __future__ import annotations

from dataclasses import dataclass

HOWS = ("survey", "list", "predicted")  # how a placement was made (CONTRACTS §1), strongest first


@dataclass(frozen=True)
class Signals:
    """What the graph knows of a paper's weight in its field (its importance, kb.coverage.rank)."""

    methods: int = 0  # method rows of the survey's tables proposed in it
    targets: int = 0  # distinct target models its methods were run against
    datasets: int = 0  # datasets / benchmarks it introduced
    dataset_uses: int = 0  # other papers' methods evaluated on those datasets
    implemented: int = 0  # reference implementations of its methods in kb.reference
    sources: int = 0  # sources that list it (kb:inSource); 0 when the graph does not say
    code: bool = False  # a code repository is known


NO_SIGNALS = Signals()  # the shared default: a record the graph knows nothing more of


@dataclass(frozen=True)
class Paper:
    """A paper record: what matching, placing and ranking need."""

    id: str
    title: str
    authors: tuple[str, ...] = ()  # family names, in the paper's order
    year: int | None = None
    doi: str | None = None
    arxiv: str | None = None
    areas: tuple[str, ...] = ()
    links: int = 0  # methods + datasets + areas that link to the paper
    # (area id, how, score): how the paper came to be in each area; score only for "predicted"
    placements: tuple[tuple[str, str, float | None], ...] = ()
    signals: Signals = NO_SIGNALS

    def placed(self) -> list[tuple[str, str, float | None]]:
        """(area, how, score) for every area, 'survey' where no placement says otherwise."""
        known = {a for a, _, _ in self.placements}
        return list(self.placements) + [(a, "survey", None) for a in self.areas if a not in known]
