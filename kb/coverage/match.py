"""Resolve references to papers: DOI, arXiv id, exact title, then fuzzy title plus author/year."""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, MutableSequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from kb.coverage.bibin import BibEntry
from kb.coverage.latex import fold, fold_tokens
from kb.coverage.records import Paper

# A fuzzy match needs this ratio (0-100) on whole normalised titles...
FULL_RATIO = 90.0
# ...or this on a title against the other's main title (a dropped or added subtitle), plus the
# first author's surname: the main title alone is short, so the year is not enough there.
MAIN_RATIO = 95.0
MAIN_MIN_CHARS = 8
# how many of the query's rarest tokens pull candidates from the inverted index
RARE_TOKENS = 3
# a one-word title ("SATA") pulls candidates from its token only when that token is this rare
SINGLE_TOKEN_CAP = 200
STOP_WORDS = frozenset(
    "a an the of for and or in on to with by from via is are be as at its it we our do does can "
    "towards toward into against using under through than not".split()
)
# an entry naming one author for a paper with this many is taken as citing a group author
GROUP_AUTHOR = 5
_MAIN_SPLIT = re.compile(r"\s*[:?!]\s+|\s+[-–—]+\s+|\s*[?!]$")
# The possible-match tier (a renamed version of a known paper, to confirm, never a silent match):
# same first author, year within one, and main titles this close (0-100) ...
POSSIBLE_MAIN = 90.0
# ... or subtitles this close, each at least this long (a renamed main title, the subtitle kept)
POSSIBLE_SUB = 88.0
POSSIBLE_SUB_CHARS = 15
# ... or the same author list in the same order (at least this many names compared), years within
# this many (a conference version two years after its preprint), sharing a content word of the title
POSSIBLE_AUTHORS = 3
POSSIBLE_AUTHOR_YEARS = 2
POSSIBLE_WORDS = 2  # content words (4+ letters, plural folded) the two titles must share


@dataclass(frozen=True)
class Match:
    paper: Paper
    method: str  # doi | arxiv | title | fuzzy
    score: float  # 1.0 for identifiers and exact titles, the fuzzy ratio / 100 otherwise
    flag: str | None = None  # why the match deserves a look (a title match by other authors)


@dataclass(frozen=True)
class Possible:
    paper: Paper
    reason: str  # why it may be the same work, in words


def main_title(title: str) -> str:
    """The title before its subtitle (':' or ' - '), normalised."""
    return fold(_MAIN_SPLIT.split(title.strip(), maxsplit=1)[0])


def subtitle(title: str) -> str:
    """The title after its main title, normalised ('' when there is none)."""
    parts = _MAIN_SPLIT.split(title.strip(), maxsplit=1)
    return fold(parts[1]) if len(parts) == 2 else ""


def _content(norm: str) -> set[str]:
    """A normalised title's content words, plurals folded ('injections' -> 'injection')."""
    return {t.removesuffix("s") for t in norm.split() if len(t) >= 4 and t not in STOP_WORDS}


def _etal(names: list[str] | tuple[str, ...]) -> str:
    return names[0] + (" et al." if len(names) > 2 else f" and {names[1]}" if len(names) == 2 else "")


def surname(name: str) -> str:
    """The last word of a folded family name ('van der Berg' -> 'berg')."""
    words = fold(name).split()
    return words[-1] if words else ""


def title_key(title: str) -> str:
    """A title as the index keys it: its folded words, one space apart."""
    return " ".join(fold_tokens(title))


def title_postings(norms: Iterable[str], factory: Callable[[], MutableSequence[int]] = list) -> dict:
    """Word -> positions of the normalised titles (title_key) holding it, once per occurrence; no stop words.

    `norms` may be a stream (the store's build passes one); `factory` makes each posting list
    (a compact `array("i")` there).
    """
    postings: dict[str, MutableSequence[int]] = defaultdict(factory)
    for i, norm in enumerate(norms):
        for tok in norm.split():
            postings[tok].append(i)
    for tok in STOP_WORDS:
        postings.pop(tok, None)
    return dict(postings)


@dataclass
class _Rec:
    paper: Paper
    norm: str
    main: str
    surnames: frozenset[str]


class Index:
    """An in-memory index of paper records for matching references.

    Matching reads the records only through the lookups below (`paper`, `_norm`, `_lookup`,
    `_counts`, `_set`, `_by_first`); kb.store.records.StoreIndex answers the same lookups from a
    prebuilt store's tables, so the two give the same matches by the same code.
    """

    def __init__(self, papers: list[Paper]) -> None:
        # a 100,000-paper index allocates millions of small objects; the cyclic GC would rescan
        # them over and over (about a quarter of the build time) and none of them form cycles
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(papers)
        finally:
            if enabled:
                gc.enable()

    def _build(self, papers: list[Paper]) -> None:
        self.papers = papers
        # one id may name two records (the sources list some papers twice under two titles)
        self.by_doi: dict[str, list[int]] = defaultdict(list)
        self.by_arxiv: dict[str, list[int]] = defaultdict(list)
        self.norms: list[str] = []
        by_title: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(papers):
            if p.doi:
                self.by_doi[p.doi.lower()].append(i)
            if p.arxiv:
                self.by_arxiv[p.arxiv].append(i)
            norm = title_key(p.title)
            self.norms.append(norm)
            by_title[norm].append(i)
        self.by_title = dict(by_title)
        self.by_doi, self.by_arxiv = dict(self.by_doi), dict(self.by_arxiv)
        # posting lists become sets only when a query needs them (few tokens are ever rare enough)
        self.postings = title_postings(self.norms)
        self._sets: dict[str, set[int]] = {}
        # main titles and surnames are needed only for candidates: computed on first use
        self._recs: dict[int, _Rec] = {}
        self._first: dict[str, list[int]] | None = None

    # -- the lookups matching makes (overridden by kb.store.records.StoreIndex) --

    def paper(self, i: int) -> Paper:
        """The record at position `i` (records are numbered in id order)."""
        return self.papers[i]

    def _prefetch(self, ids: list[int]) -> None:
        """Records about to be read (an on-disk index fetches them in one query)."""

    def _norm(self, i: int) -> str:
        return self.norms[i]

    def _norms(self, ids: list[int]) -> list[str]:
        return [self.norms[i] for i in ids]

    def _lookup(self, key: str, value: str) -> list[int]:
        """Records whose DOI (lower case), arXiv id or normalised title (`key`) is `value`."""
        table = {"doi": self.by_doi, "arxiv": self.by_arxiv, "title": self.by_title}[key]
        return table.get(value) or []

    def _counts(self, tokens: set[str]) -> dict[str, int]:
        """How many records have each of these indexed (non-stop) title tokens; absent ones left out."""
        return {t: len(self.postings[t]) for t in tokens if t in self.postings}

    def _set(self, tok: str) -> set[int]:
        found = self._sets.get(tok)
        if found is None:
            found = self._sets[tok] = set(self.postings[tok])
        return found

    def _by_first(self, name: str) -> list[int]:
        """Records whose first author has this surname, in order (the index is built on first use)."""
        if self._first is None:
            self._first = defaultdict(list)
            for i, p in enumerate(self.papers):
                if p.authors:
                    self._first[surname(p.authors[0])].append(i)
        return self._first.get(name, [])

    # -- matching --

    def _rec(self, i: int) -> _Rec:
        rec = self._recs.get(i)
        if rec is None:
            p = self.paper(i)
            rec = _Rec(
                p, self._norm(i), main_title(p.title), frozenset(surname(a) for a in p.authors)
            )
            self._recs[i] = rec
        return rec

    def match(self, entry: BibEntry) -> Match | None:
        """The paper an entry refers to, with the method and score, or None."""
        found = self._lookup("doi", entry.doi) if entry.doi else []
        if found:
            return Match(self._closest(found, entry.title), "doi", 1.0)
        found = self._lookup("arxiv", entry.arxiv) if entry.arxiv else []
        if found:
            return Match(self._closest(found, entry.title), "arxiv", 1.0)
        if not entry.title:
            return None
        norm = fold(entry.title)
        first = surname(entry.authors[0]) if entry.authors else ""
        exact = self._lookup("title", norm)
        if exact:
            self._prefetch(exact)
            recs = [self._rec(i) for i in exact]
            best = max(
                recs, key=lambda r: (self._author_ok(r, first), self._year_ok(r, entry.year))
            )
            return self._flagged(Match(best.paper, "title", 1.0), entry)
        fuzzy = self._fuzzy(entry, norm, first)
        return self._flagged(fuzzy, entry) if fuzzy else None

    def _flagged(self, m: Match, entry: BibEntry) -> Match:
        """The match, flagged when both sides name authors and they share nobody."""
        if not entry.authors or not m.paper.authors:
            return m
        if len(entry.authors) == 1 and len(m.paper.authors) >= GROUP_AUTHOR:
            return m  # one name against a long list: a group author ("OpenAI", "Gemini Team")
        theirs = {surname(a) for a in m.paper.authors}
        if any(surname(a) in theirs for a in entry.authors):
            return m
        return Match(
            m.paper,
            m.method,
            m.score,
            flag=f"same title, but the author lists share nobody (yours: {_etal(entry.authors)}; "
            f"the knowledge base's: {_etal(m.paper.authors)}): another work of that title?",
        )

    def _closest(self, ids: list[int], title: str) -> Paper:
        """Of records sharing an identifier, the one whose title is nearest the reference's."""
        if len(ids) == 1 or not title:
            return self.paper(ids[0])
        norm = fold(title)
        norms = dict(zip(ids, self._norms(ids), strict=True))
        return self.paper(max(ids, key=lambda i: fuzz.ratio(norm, norms[i])))

    @staticmethod
    def _author_ok(rec: _Rec, first: str) -> bool:
        return bool(first) and first in rec.surnames

    @staticmethod
    def _year_ok(rec: _Rec, year: int | None) -> bool:
        # an arXiv year and a venue year may differ by one
        return year is not None and rec.paper.year is not None and abs(rec.paper.year - year) <= 1

    def _candidates(self, text: str) -> set[int]:
        """Records sharing two of the text's three rarest indexed tokens (one may be a typo)."""
        words = set(text.split())
        counts = self._counts(words)
        # ties broken by the token itself, so the choice does not follow the set's (hash-seeded) order
        toks = sorted((t for t in words if t in counts), key=lambda t: (counts[t], t))
        lists = [self._set(t) for t in toks[:RARE_TOKENS]]
        if len(lists) == 1:
            return set(lists[0]) if len(lists[0]) <= SINGLE_TOKEN_CAP else set()
        found: set[int] = set()
        for a in range(len(lists)):
            for b in range(a + 1, len(lists)):
                found |= lists[a] & lists[b]
        return found

    def _fuzzy(self, entry: BibEntry, norm: str, first: str) -> Match | None:
        main = main_title(entry.title)
        cands = self._candidates(norm)
        if main != norm:
            cands |= self._candidates(main)
        if not cands:
            return None
        ids = sorted(cands)
        norms = self._norms(ids)
        best: Match | None = None
        # whole title against whole title, confirmed by the first author or the year
        if len(norm) >= MAIN_MIN_CHARS:
            choices = norms
            for _, score, j in process.extract(
                norm, choices, scorer=fuzz.ratio, score_cutoff=FULL_RATIO, limit=5
            ):
                rec = self._rec(ids[j])
                # below MAIN_RATIO (more than one edit in 20 characters) the year is too weak a
                # witness: "Membership inference attacks against diffusion models" is 91 from
                # "White-box membership inference attacks against diffusion models", same year
                year_ok = score >= MAIN_RATIO and self._year_ok(rec, entry.year)
                if self._author_ok(rec, first) or year_ok:
                    best = Match(rec.paper, "fuzzy", round(score / 100, 4))
                    break
        if (best and best.score >= MAIN_RATIO / 100) or not first:
            return best
        # one side lacks the subtitle: compare it with the other's main title; needs the surname.
        # rapidfuzz pre-filters the candidates in C; only survivors get a full record.
        hits: set[int] = set()
        if main != norm and len(main) >= MAIN_MIN_CHARS:  # the graph's title has no subtitle
            hits.update(
                ids[j]
                for _, _, j in process.extract(
                    main,
                    norms,
                    scorer=fuzz.ratio,
                    score_cutoff=MAIN_RATIO,
                    limit=None,
                )
            )
        if len(norm) >= MAIN_MIN_CHARS:  # the reference dropped the subtitle: compare prefixes
            n = len(norm)
            hits.update(
                ids[j]
                for _, _, j in process.extract(
                    norm,
                    [t[:n] for t in norms],
                    scorer=fuzz.ratio,
                    score_cutoff=85,
                    limit=None,
                )
            )
        else:  # a short title ("SATA") can only be the other's main title, word for word
            hits.update(i for i, t in zip(ids, norms, strict=True) if t.startswith(norm + " "))
        self._prefetch(sorted(hits))
        for i in sorted(hits):
            rec = self._rec(i)
            if first not in rec.surnames:
                continue
            if min(len(main), len(rec.main)) < MAIN_MIN_CHARS:
                # a short main title only counts when equal and the year agrees too
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

    def possible(self, entry: BibEntry, limit: int = 3) -> list[Possible]:
        """Papers that may be this entry under another title: to confirm, never a match.

        Same first author and year within one with a close main title or subtitle, or the same
        author list in the same order sharing a content word of the title.
        """
        if not entry.authors or not entry.title:
            return []
        first = surname(entry.authors[0])
        if not first:
            return []
        mine = [surname(a) for a in entry.authors]
        norm, main, sub = fold(entry.title), main_title(entry.title), subtitle(entry.title)
        words = _content(norm)
        found: list[tuple[float, int, Possible]] = []
        same_first = self._by_first(first)
        self._prefetch(same_first)
        for i in same_first:
            p = self.paper(i)
            gap = abs(p.year - entry.year) if p.year and entry.year else None
            rec = self._rec(i)
            reason, score = "", 0.0
            if gap is not None and gap <= 1:
                m = fuzz.ratio(main, rec.main) if min(len(main), len(rec.main)) >= 6 else 0.0
                other = subtitle(p.title)
                s_ = (
                    fuzz.ratio(sub, other)
                    if min(len(sub), len(other)) >= POSSIBLE_SUB_CHARS
                    else 0.0
                )
                when = f"same first author ({p.authors[0]}), " + (
                    "same year" if gap == 0 else "a year apart"
                )
                if m >= POSSIBLE_MAIN and (sub or other):
                    reason, score = f"{when}, same main title; the subtitle differs", m
                elif s_ >= POSSIBLE_SUB:
                    reason, score = f"{when}, same subtitle; the main title differs", s_
            if not reason and gap is not None and gap <= POSSIBLE_AUTHOR_YEARS:
                theirs = [surname(a) for a in p.authors]
                n = min(len(mine), len(theirs))
                same_list = theirs[:n] == mine[:n] and (
                    n >= POSSIBLE_AUTHORS or (len(mine) == len(theirs) >= 2)
                )
                if same_list and len(words & _content(rec.norm)) >= POSSIBLE_WORDS:
                    names = ", ".join(p.authors[:n]) + (" ..." if len(p.authors) > n else "")
                    years = f"{entry.year}" if gap == 0 else f"{entry.year} vs {p.year}"
                    reason = f"same authors in the same order ({names}), {years}: a renamed version?"
                    score = 50.0 + 10 * n
            if reason:
                found.append((-score, i, Possible(p, reason)))
        found.sort(key=lambda t: (t[0], t[1]))
        return [f[2] for f in found[:limit]]
