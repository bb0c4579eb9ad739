"""Layer a BibTeX file of papers onto the graph: what is new, where the classifier would place it.

A .bib names no area, so its new papers are placed by the classifier only (how-predicted, with its
score, derived from source:kb-classifier) when the score reaches the import's threshold, and are
marked kb:unplaced with the reason otherwise. A paper the graph holds already (matched by arXiv id,
DOI, then normalised title) only gains `kb:inSource` of the file: nothing the survey or the list
asserted is changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rdflib
from rdflib import Literal
from rdflib.namespace import PROV, RDF, RDFS

from kb.bib import BibEntry as OutEntry
from kb.coverage.bibin import BibEntry, parse_bib
from kb.coverage.textin import read_text
from kb.graph import DataError
from kb.ingest.list_import import PaperIndex
from kb.ingest.placement import CLASSIFIER_SOURCE, placement_iri, placement_triples
from kb.papers import bib_entry_for, make_paper_id, normalise_title, paper_triples
from kb.vocab import BIBO, KB, PAPER, SOURCE, slugify


@dataclass
class BibWork:
    entry: BibEntry
    pid: str = ""
    known: bool = False
    area: str = ""  # the classifier's best area (or topic)
    score: float = 0.0


def read_bib_entries(path: Path) -> list[BibEntry]:
    """The entries of a .bib; one clear line (DataError) when it cannot be read or holds none."""
    import click

    try:
        text, _ = read_text(path)
    except click.ClickException as exc:
        raise DataError(exc.message) from None
    entries, malformed = parse_bib(text)
    entries = [e for e in entries if e.title or e.arxiv or e.doi]
    if not entries:
        first = f" (line {malformed[0].line}: {malformed[0].error})" if malformed else ""
        raise DataError(f"{path}: no BibTeX entry with a title, arXiv id or DOI{first}; give a .bib file of papers")
    return entries


def bib_source(path: Path) -> rdflib.URIRef:
    return SOURCE[f"bib-{slugify(path.stem) or 'file'}"]


class BibImport:
    """Plans (report) and applies one .bib file against a graph."""

    def __init__(self, g: rdflib.Graph, path: Path, taken: set[str] | None = None):
        self.g, self.path = g, path
        self.source = bib_source(path)
        self.index = PaperIndex(g)
        self.by_doi = {str(d).lower(): str(p).rsplit("/", 1)[-1] for p, d in g.subject_objects(BIBO.doi)}
        self.taken = set(self.index.ids) | (taken or set())

    def plan(self, entries: list[BibEntry], data_dir: Path | None) -> list[BibWork]:
        """Each entry matched to the graph, or given a new ID and the classifier's best area."""
        from kb.classify import classify

        works, seen = [], {}
        for e in entries:
            pid = (self.index.match(e.arxiv, []) or (self.by_doi.get(e.doi.lower()) if e.doi else None)
                   or self.index.match(None, [e.title] if e.title else []))
            key = pid or f"title:{normalise_title(e.title)}"
            if key in seen:  # the same work twice in the file
                continue
            w = BibWork(e, known=pid is not None)
            if pid is None:
                pid = make_paper_id(e.authors, e.year, e.title or e.arxiv or e.doi or "", self.taken)
                self.taken.add(pid)
            w.pid = pid
            seen[key] = w
            works.append(w)
        new = [w for w in works if not w.known]
        rows = classify([_item(w.entry) for w in new], data_dir=data_dir, top=1) if new else []
        for w, row in zip(new, rows, strict=True):
            if row["areas"]:
                w.area, w.score = row["areas"][0]["id"], float(row["areas"][0]["score"])
        return works

    def apply(self, works: list[BibWork], min_score: float) -> tuple[dict[str, int], list[OutEntry]]:
        g, s = self.g, self.source
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]
        g.add((s, RDF.type, KB.Source))
        g.add((s, RDFS.label, Literal(f"BibTeX file {self.path.name} (sha256 {digest})")))
        g.add((s, KB.locator, Literal(self.path.name)))
        counts = {"known": 0, "new": 0, "predicted": 0, "unplaced": 0}
        bib = []
        for w in works:
            p = PAPER[w.pid]
            if w.known:
                g.add((p, KB.inSource, s))  # the survey's and the list's facts stand
                counts["known"] += 1
                continue
            e = w.entry
            venue = e.venue or ("arXiv" if e.arxiv else "")
            # authors are left out: the file's reader keeps family names only, too little for a person
            for t in paper_triples(w.pid, e.title, [], e.year, venue, arxiv=e.arxiv, doi=e.doi):
                g.add(t)
            g.add((p, KB.inSource, s))
            g.add((p, PROV.wasDerivedFrom, s))
            counts["new"] += 1
            if w.area and w.score >= min_score:
                for t in placement_triples(w.pid, w.area, "predicted", CLASSIFIER_SOURCE, w.score):
                    g.add(t)
                g.add((placement_iri(w.pid, w.area), RDFS.comment, Literal(
                    "The classifier's best area for the title (a BibTeX file gives no labels).", lang="en")))
                counts["predicted"] += 1
            else:
                g.add((p, KB.unplaced, Literal(
                    f"The classifier's best area, {w.area or 'none'}, scored {w.score:.2f}, below the import's "
                    f"threshold {min_score}; the BibTeX file gives no labels.")))
                counts["unplaced"] += 1
            bib.append(bib_entry_for(w.pid, e.title, [], e.year, venue, e.arxiv, e.doi))
        if counts["predicted"]:
            g.add((CLASSIFIER_SOURCE, RDF.type, KB.Source))
        return counts, bib


def _item(e: BibEntry) -> dict[str, Any]:
    return {"title": e.title, "abstract": e.abstract, "keywords": e.keywords}
