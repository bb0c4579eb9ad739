"""Resolve references to papers: DOI, arXiv id, exact title, then fuzzy title confirmed by author or year."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kb.coverage.bibin import BibEntry
from kb.coverage.latex import fold

# A fuzzy match needs this ratio (0-100) on whole normalised titles...
FULL_RATIO = 90.0
# ...or this on a title against the other's main title (a dropped or added subtitle), plus the
# first author's surname: the main title alone is short, so the year is not enough there.
MAIN_RATIO = 95.0
MAIN_MIN_CHARS = 8
# how many of the query's rarest tokens pull candidates from the inverted index
RARE_TOKENS = 3
_STOP = frozenset(
    "a an the of for and or in on to with by from via is are be as at its it we our do does can "
    "towards toward into against using under through than not".split()
)
_MAIN_SPLIT = re.compile(r"\s*[:?!]\s+|\s+[-–—]+\s+|\s*[?!]$")


@dataclass(frozen=True)
class Paper:
    """A paper record as the matcher needs it, wherever it came from."""

    id: str
    title: str
    authors: tuple[str, ...] = ()  # family names, first author first
    year: int | None = None
    doi: str | None = None
    arxiv: str | None = None
    areas: tuple[str, ...] = ()
    links: int = 0  # methods + datasets + areas that link to the paper: its weight in "missing"


@dataclass(frozen=True)
class Match:
    paper: Paper
    method: str  # doi | arxiv | title | fuzzy
    score: float  # 1.0 for identifiers and exact titles, the fuzzy ratio / 100 otherwise


def main_title(title: str) -> str:
    """The title before its subtitle (':' or ' - '), normalised."""
    return fold(_MAIN_SPLIT.split(title.strip(), maxsplit=1)[0])


def surname(name: str) -> str:
    """The last word of a folded family name ('van der Berg' -> 'berg')."""
    words = fold(name).split()
    return words[-1] if words else ""


@dataclass
class _Rec:
    paper: Paper
    norm: str
    main: str
    surnames: frozenset[str]


@dataclass
class Index:
    """An in-memory index of paper records for matching references."""

    papers: list[Paper]
    by_doi: dict[str, Paper] = field(default_factory=dict)
    by_arxiv: dict[str, Paper] = field(default_factory=dict)
    by_title: dict[str, list[_Rec]] = field(default_factory=lambda: defaultdict(list))
    postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    recs: list[_Rec] = field(default_factory=list)

    def __post_init__(self) -> None:
        for i, p in enumerate(self.papers):
            if p.doi:
                self.by_doi.setdefault(p.doi.lower(), p)
            if p.arxiv:
                self.by_arxiv.setdefault(p.arxiv, p)
            norm = fold(p.title)
            rec = _Rec(p, norm, main_title(p.title), frozenset(surname(a) for a in p.authors))
            self.recs.append(rec)
            self.by_title[norm].append(rec)
            for tok in set(norm.split()):
                if tok not in _STOP:
                    self.postings[tok].append(i)
        self.by_title = dict(self.by_title)
        self.postings = dict(self.postings)

    def match(self, entry: BibEntry) -> Match | None:
        """The paper an entry refers to, with the method and score, or None."""
        if entry.doi and entry.doi in self.by_doi:
            return Match(self.by_doi[entry.doi], "doi", 1.0)
        if entry.arxiv and entry.arxiv in self.by_arxiv:
            return Match(self.by_arxiv[entry.arxiv], "arxiv", 1.0)
        if not entry.title:
            return None
        norm = fold(entry.title)
        first = surname(entry.authors[0]) if entry.authors else ""
        exact = self.by_title.get(norm)
        if exact:
            best = max(
                exact, key=lambda r: (self._author_ok(r, first), self._year_ok(r, entry.year))
            )
            return Match(best.paper, "title", 1.0)
        return self._fuzzy(entry, norm, first)

    @staticmethod
    def _author_ok(rec: _Rec, first: str) -> bool:
        return bool(first) and first in rec.surnames

    @staticmethod
    def _year_ok(rec: _Rec, year: int | None) -> bool:
        # an arXiv year and a venue year may differ by one
        return year is not None and rec.paper.year is not None and abs(rec.paper.year - year) <= 1

    def _candidates(self, *texts: str) -> list[int]:
        found: set[int] = set()
        for text in texts:
            toks = [t for t in set(text.split()) if t in self.postings]
            toks.sort(key=lambda t: len(self.postings[t]))
            for tok in toks[:RARE_TOKENS]:
                found.update(self.postings[tok])
        return list(found)

    def _fuzzy(self, entry: BibEntry, norm: str, first: str) -> Match | None:
        main = main_title(entry.title)
        cands = self._candidates(norm, main) if main != norm else self._candidates(norm)
        if not cands:
            return None
        recs = [self.recs[i] for i in cands]
        best: Match | None = None
        # whole title against whole title, confirmed by the first author or the year
        choices = [r.norm for r in recs] if len(norm) >= MAIN_MIN_CHARS else []
        for _, score, j in process.extract(
            norm, choices, scorer=fuzz.ratio, score_cutoff=FULL_RATIO, limit=5
        ):
            rec = recs[j]
            if self._author_ok(rec, first) or self._year_ok(rec, entry.year):
                best = Match(rec.paper, "fuzzy", round(score / 100, 4))
                break
        if best and best.score >= MAIN_RATIO / 100:
            return best
        # one side lacks the subtitle: compare it with the other's main title; needs the surname
        if first:
            for rec in recs:
                if first not in rec.surnames:
                    continue
                if min(len(main), len(rec.main)) < MAIN_MIN_CHARS:
                    # a short main title ("SATA") only counts when equal and the year agrees too
                    dropped = (norm == rec.main != rec.norm) or (main == rec.norm != norm)
                    if dropped and self._year_ok(rec, entry.year):
                        best = best or Match(rec.paper, "fuzzy", MAIN_RATIO / 100)
                    continue
                score = max(
                    fuzz.ratio(norm, rec.main) if rec.main != rec.norm else 0.0,
                    fuzz.ratio(main, rec.norm) if main != norm else 0.0,
                )
                if score >= MAIN_RATIO and (best is None or score / 100 > best.score):
                    best = Match(rec.paper, "fuzzy", round(score / 100, 4))
        return best

    def match_all(self, entries: list[BibEntry]) -> list[Match | None]:
        return [self.match(e) for e in entries]
