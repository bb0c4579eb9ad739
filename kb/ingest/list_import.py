"""Layer a paper list (Awesome-LM-SSP) onto the survey's graph: merge, mint stable IDs, place, cite.

One work per paper (entries sharing an arXiv id or a normalised title are one work), merged with an
existing paper by arXiv id, then normalised title; never a duplicate. A paper the survey holds keeps
every survey fact: the list adds its source, badges, category, month, a missing arXiv id or code link,
and placements in topics the survey does not cover. A list-only paper is placed by the mapping
(how-list), or in its family with kb:areaOpen when the list's labels leave the area open.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

from kb.bib import BibEntry
from kb.ingest.lm_ssp import Entry
from kb.ingest.mapping import Mapping, Placement
from kb.ingest.placement import LIST_SOURCE, placement_triples
from kb.papers import STOPWORDS, bib_entry_for, normalise_title, paper_triples
from kb.vocab import BIBO, CONCEPT, KB, OUTSIDE_SCHEME, PAPER, SCHEMA

LIST_REPO = "https://github.com/CryptoAILab/Awesome-LM-SSP"
VENUE_BADGE = re.compile(r"^(?P<name>.+?)\s*['‘’]\s*(?P<yy>\d{2})\b")


@dataclass
class Work:
    """One paper of the list: its entries (one per category file it appears in)."""

    entries: list[Entry]
    pid: str = ""
    merged: bool = False  # the graph held it already (the survey's, or added by `kb add`)
    placements: list[Placement] = field(default_factory=list)

    @property
    def first(self) -> Entry:
        return self.entries[0]

    @property
    def arxiv(self) -> str | None:
        return next((e.arxiv for e in self.entries if e.arxiv), None)

    @property
    def code(self) -> str | None:
        return next((e.code for e in self.entries if e.code), None)

    def badges(self, kind: str) -> list[str]:
        return sorted({b for e in self.entries for b in getattr(e, kind)})


def group_works(entries: list[Entry]) -> list[Work]:
    """Entries sharing an arXiv id or a normalised title become one work, in list order."""
    parent = list(range(len(entries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        for key in (f"arxiv:{e.arxiv}" if e.arxiv else None, f"title:{normalise_title(e.title)}"):
            if key is None:
                continue
            if key in seen:
                parent[find(i)] = find(seen[key])
            else:
                seen[key] = i
    groups: dict[int, list[Entry]] = defaultdict(list)
    for i, e in enumerate(entries):
        groups[find(i)].append(e)
    return [Work(es) for _, es in sorted(groups.items())]


def venue_of(badges: list[str]) -> tuple[str, int | None]:
    """'ICLR'24 (Spotlight)' -> ('ICLR', 2024); other venue badges as they are."""
    for b in badges:
        m = VENUE_BADGE.match(b)
        if m:
            return m["name"].strip(), 2000 + int(m["yy"])
    return (badges[0], None) if badges else ("", None)


def list_paper_id(title: str, year: int, taken: set[str]) -> str:
    """The ID grammar without an author (the list names none): the title's first significant word in
    the surname's place, the year, the next significant word; b, c, ... on a clash."""
    words = [w for w in normalise_title(title).split() if w not in STOPWORDS] or ["paper"]
    head = re.sub(r"[^a-z]", "", words[0]) or "paper"
    tail = words[1] if len(words) > 1 else "paper"
    base = f"{head}{year:04d}{tail}"
    pid, n = base, 0
    while pid in taken:
        n += 1
        pid = base + ("abcdefghijklmnopqrstuvwxyz"[n] if n < 26 else str(n))
    return pid


class PaperIndex:
    """The papers of a graph by arXiv id and normalised title."""

    def __init__(self, g: rdflib.Graph):
        self.by_arxiv: dict[str, str] = {}
        self.by_title: dict[str, str] = {}
        self.ids: set[str] = set()
        for p in sorted(g.subjects(RDF.type, BIBO.AcademicArticle), key=str):
            pid = str(p).rsplit("/", 1)[-1]
            self.ids.add(pid)
            for a in g.objects(p, KB.arxivId):
                self.by_arxiv.setdefault(str(a), pid)
            for t in g.objects(p, DCTERMS.title):
                self.by_title.setdefault(normalise_title(str(t)), pid)

    def match(self, arxiv: str | None, titles: list[str]) -> str | None:
        if arxiv and arxiv in self.by_arxiv:
            return self.by_arxiv[arxiv]
        for t in titles:
            pid = self.by_title.get(normalise_title(t))
            if pid:
                return pid
        return None


def previous_ids(path: Path) -> PaperIndex | None:
    """The list's papers of an earlier import (so their IDs stay stable), or None without one."""
    if not path.exists():
        return None
    from kb.graph import parse_turtle

    old = parse_turtle(path)
    keep = rdflib.Graph()
    for p in old.subjects(KB.inSource, LIST_SOURCE):
        for pred in (RDF.type, KB.arxivId, DCTERMS.title):
            for o in old.objects(p, pred):
                keep.add((p, pred, o))
    return PaperIndex(keep)


class ListImport:
    """Adds one list's works to a graph and its bib entries."""

    def __init__(self, g: rdflib.Graph, bib: list[BibEntry], mapping: Mapping, commit: str,
                 previous: PaperIndex | None = None, source: URIRef = LIST_SOURCE):
        self.g, self.bib, self.mapping, self.commit = g, bib, mapping, commit
        self.previous = previous
        self.source = source
        self.index = PaperIndex(g)
        self.taken = set(self.index.ids) | (previous.ids if previous else set())

    def plan(self, entries: list[Entry]) -> list[Work]:
        """Works with their IDs (existing or new) and placements; nothing is written."""
        works = group_works(entries)
        for w in works:
            titles = [e.title for e in w.entries]
            pid = self.index.match(w.arxiv, titles)
            w.merged = pid is not None
            if pid is None and self.previous:
                pid = self.previous.match(w.arxiv, titles)
            if pid is None:
                pid = list_paper_id(w.first.title, w.first.year, self.taken)
            self.taken.add(pid)
            w.pid = pid
            seen = set()
            for e in w.entries:
                for pl in self.mapping.place(e.category, e.models, e.tags, e.title):
                    if (pl.kind, pl.targets) not in seen:
                        seen.add((pl.kind, pl.targets))
                        w.placements.append(pl)
        return works

    def apply(self, works: list[Work]) -> dict[str, int]:
        """Write the works into the graph and the bib list; returns counts for the report."""
        self.source_node()
        self.topics()
        counts: dict[str, int] = defaultdict(int)
        for w in works:
            if w.merged:
                self.merge(w, counts)
            else:
                self.new_paper(w, counts)
        return dict(counts)

    def source_node(self) -> None:
        s, g = self.source, self.g
        g.add((s, RDF.type, KB.Source))
        g.add((s, RDFS.label, Literal(f"Awesome-LM-SSP paper list at commit {self.commit}")))
        g.add((s, FOAF.page, URIRef(f"{LIST_REPO}/tree/{self.commit}")))
        g.add((s, KB.sourceCommit, Literal(self.commit)))
        g.add((s, KB.locator, Literal("collection/paper/{safety,security,privacy}/*.md")))

    def topics(self) -> None:
        g = self.g
        g.add((OUTSIDE_SCHEME, RDF.type, SKOS.ConceptScheme))
        g.add((OUTSIDE_SCHEME, SKOS.prefLabel, Literal("Topics outside the survey", lang="en")))
        g.add((OUTSIDE_SCHEME, RDFS.comment, Literal(
            "Research topics of the field that the survey does not cover, from the second paper list's categories.",
            lang="en")))
        for slug, t in sorted(self.mapping.topics.items()):
            c = CONCEPT[f"topic.{slug}"]
            g.add((c, RDF.type, SKOS.Concept))
            g.add((c, RDF.type, KB.Topic))
            g.add((c, SKOS.inScheme, OUTSIDE_SCHEME))
            g.add((c, SKOS.topConceptOf, OUTSIDE_SCHEME))
            g.add((c, SKOS.prefLabel, Literal(t["label"], lang="en")))
            g.add((c, SKOS.notation, Literal(f"topic.{slug}")))
            g.add((c, SKOS.definition, Literal(t["definition"], lang="en")))
            g.add((c, KB.outsideSurvey, Literal(True)))
            g.add((c, DCTERMS.source, self.source))

    def evidence(self, w: Work) -> URIRef:
        """The list's file at its commit, where the paper's line can be read."""
        return URIRef(f"{LIST_REPO}/blob/{self.commit}/collection/paper/{w.first.category}.md")

    def list_facts(self, w: Work, s: URIRef) -> None:
        g = self.g
        g.add((s, KB.inSource, self.source))
        g.add((s, PROV.wasDerivedFrom, self.source))
        for e in w.entries:
            g.add((s, KB.listCategory, Literal(e.category)))
        for b in w.badges("badges"):
            g.add((s, KB.badge, Literal(b)))
        f = w.first
        g.add((s, KB.month, Literal(f"{f.year:04d}-{f.month:02d}", datatype=XSD.gYearMonth)))

    def place(self, w: Work, counts: dict[str, int], topics_only: bool) -> None:
        for pl in w.placements:
            if pl.kind == "out" or (topics_only and (pl.kind != "topic" or pl.from_role)):
                continue
            for cid in pl.targets:
                for t in placement_triples(w.pid, cid, "list", self.source):
                    self.g.add(t)
            if pl.kind == "open":
                self.g.add((PAPER[w.pid], KB.areaOpen, Literal(True)))
            counts[f"placements ({pl.kind})"] += 1

    def merge(self, w: Work, counts: dict[str, int]) -> None:
        s, g = PAPER[w.pid], self.g
        self.list_facts(w, s)
        counts["merged"] += 1
        if w.arxiv and g.value(s, KB.arxivId) is None and w.arxiv not in self.index.by_arxiv:
            g.add((s, KB.arxivId, Literal(w.arxiv)))
            g.add((s, FOAF.page, URIRef(f"https://arxiv.org/abs/{w.arxiv}")))
            g.add((s, KB.flag, Literal(f"arXiv id {w.arxiv} from the Awesome-LM-SSP list ({w.first.where}).")))
            g.add((s, KB.arxivEvidence, self.evidence(w)))
            self.index.by_arxiv[w.arxiv] = w.pid
        if w.code and g.value(s, SCHEMA.codeRepository) is None:
            g.add((s, SCHEMA.codeRepository, URIRef(w.code)))
            g.add((s, KB.codeEvidence, self.evidence(w)))
        # the survey's placements stand; the list adds only topics the survey does not cover
        self.place(w, counts, topics_only=True)

    def new_paper(self, w: Work, counts: dict[str, int]) -> None:
        f = w.first
        venue, _ = venue_of(w.badges("venues"))
        venue = venue or ("arXiv" if w.arxiv else "")
        if not [p for p in w.placements if p.kind != "out"]:
            counts["left out"] += 1
            return
        for t in paper_triples(w.pid, f.title, [], f.year, venue, arxiv=w.arxiv, code=w.code):
            self.g.add(t)
        s = PAPER[w.pid]
        self.list_facts(w, s)
        if w.arxiv:
            self.g.add((s, KB.arxivEvidence, self.evidence(w)))
        if w.code:
            self.g.add((s, KB.codeEvidence, self.evidence(w)))
        if not w.arxiv and f.url:
            self.g.add((s, FOAF.page, URIRef(f.url)))
        titles = {e.title for e in w.entries}
        if len(titles) > 1:
            self.g.add((s, KB.flag, Literal("The list gives this work under several titles: "
                                            + " | ".join(sorted(titles)))))
        self.place(w, counts, topics_only=False)
        self.bib.append(bib_entry_for(w.pid, f.title, [], f.year, venue, w.arxiv, None, w.code))
        self.index.ids.add(w.pid)
        counts["new"] += 1
