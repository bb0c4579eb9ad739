"""Changing the curated files: canonical formatting (`kb fmt`) and adding a paper (`kb add`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rdflib import Literal
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from kb.atomic import recover, write_together
from kb.bib import BibEntry, parse_bib_text, read_bib, render_bib
from kb.graph import DataError, bib_path, parse_turtle, taxonomy_path
from kb.papers import (
    CURATED_SOURCE,
    OTHERS,
    bib_entry_for,
    decode_latex,
    make_paper_id,
    normalise_title,
    paper_triples,
)
from kb.turtle import render_turtle
from kb.vocab import BIBO, CONCEPT, KB, PAPER

ARXIV_IN_TEXT = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
NOT_IN_IRI = re.compile(r'[\s<>"{}|^`\\]')  # characters an IRI (Turtle's <...>) may not hold


def _write_both(files: dict[Path, str]) -> None:
    """Replace the curated files as one change (a journal beside taxonomy.ttl; see kb.atomic)."""
    write_together(files, next(iter(files)).parent)


def recover_data(data_dir: Path | None = None) -> str | None:
    """Finish (or undo) a `kb add` or `kb fmt` that was killed halfway; say which, or None."""
    ttl = taxonomy_path(data_dir)
    return recover(ttl.parent, {ttl: "", bib_path(data_dir): ""})


def format_files(data_dir: Path | None = None, check_only: bool = False) -> list[Path]:
    """Rewrite taxonomy.ttl and references.bib canonically; return the files that were not canonical."""
    ttl, bib = taxonomy_path(data_dir), bib_path(data_dir)
    if not check_only:
        recover_data(data_dir)
    graph = parse_turtle(ttl)
    entries = read_bib(bib).entries
    wanted = {ttl: render_turtle(graph), bib: render_bib(entries)}
    changed = [p for p, text in wanted.items() if p.read_text(encoding="utf-8") != text]
    if changed and not check_only:
        _write_both({p: wanted[p] for p in changed})
    return changed


@dataclass
class NewPaper:
    """The facts `kb add` takes from one BibTeX entry."""

    title: str
    authors: list[str]
    year: int | None
    venue: str
    arxiv: str | None
    doi: str | None
    code: str | None


def _bib_authors(text: str) -> list[str]:
    out = []
    for name in re.split(r"\s+and\s+", decode_latex(text).strip()):
        name = " ".join(name.split())
        if not name:
            continue
        if name.lower() == "others":
            out.append(OTHERS)
        elif "," in name:
            out.append(name)
        else:
            first, _, last = name.rpartition(" ")
            out.append(f"{last}, {first}" if first else last)
    return out


def entry_facts(entry: BibEntry) -> NewPaper:
    """Title, authors, year, venue and identifiers of a BibTeX entry."""
    f = entry.fields
    bad = NOT_IN_IRI.search(f.get("url", "").strip())
    if bad:
        raise DataError(
            f"entry '{entry.key}' (line {entry.line}): the url holds {bad.group()!r}, which a URL "
            "may not contain; percent-encode it (a space is %20) or remove the url field"
        )
    title = " ".join(decode_latex(f.get("title", "")).split())
    if not title:
        raise DataError(f"entry '{entry.key}' (line {entry.line}): no title; add a title field")
    year_match = re.search(r"\d{4}", f.get("year", ""))
    arxiv = None
    for key in ("eprint", "journal", "url", "note", "howpublished"):
        m = ARXIV_IN_TEXT.search(f.get(key, ""))
        if m and (key == "eprint" or "arxiv" in f.get(key, "").lower()):
            arxiv = m.group(1)
            break
    venue = f.get("booktitle") or f.get("journal") or ("arXiv" if arxiv else "")
    venue = re.sub(r"\s*arxiv[:\s]*\d{4}\.\d{4,5}(v\d+)?", "", decode_latex(venue), flags=re.I).strip()
    code = f.get("url") if "github.com" in f.get("url", "") else None
    return NewPaper(title, _bib_authors(f.get("author", "")), int(year_match.group()) if year_match else None,
                    venue or ("arXiv" if arxiv else ""), arxiv, f.get("doi") or None, code)


def add_paper(bib_text: str, concepts: list[str], data_dir: Path | None = None,
              source_name: str = "<stdin>") -> str:
    """Add the first entry of bib_text under the given concepts; return the new paper ID."""
    parsed = parse_bib_text(bib_text)
    if not parsed.entries:
        where = f":{parsed.failed[0][0]}" if parsed.failed else ""
        reason = parsed.failed[0][1] if parsed.failed else "no BibTeX entry found"
        raise DataError(f"{source_name}{where}: {reason}; pass one complete BibTeX entry")
    facts = entry_facts(parsed.entries[0])
    if not concepts:
        raise DataError("no concept given; pass --concept ID (see `kb query concepts` for IDs)")
    ttl, bib = taxonomy_path(data_dir), bib_path(data_dir)
    recover_data(data_dir)
    graph = parse_turtle(ttl)
    entries = read_bib(bib).entries
    known = {str(c).rsplit("/", 1)[-1] for c in graph.subjects(RDF.type, SKOS.Concept)
             if str(c).startswith(str(CONCEPT))}
    for cid in concepts:
        if cid not in known:
            near = [m[0] for m in process.extract(cid, sorted(known), limit=3)]
            raise DataError(f"unknown concept '{cid}'; did you mean {', '.join(near)}?")
    for paper in graph.subjects(RDF.type, BIBO.AcademicArticle):
        pid = str(paper).rsplit("/", 1)[-1]
        if facts.arxiv and (paper, KB.arxivId, Literal(facts.arxiv)) in graph:
            raise DataError(f"arXiv {facts.arxiv} is already in the knowledge base as paper '{pid}'")
        for t in graph.objects(paper, DCTERMS.title):
            if normalise_title(str(t)) == normalise_title(facts.title):
                raise DataError(f"'{facts.title}' is already in the knowledge base as paper '{pid}'")
    taken = {e.key for e in entries} | {str(p).rsplit("/", 1)[-1]
                                        for p in graph.subjects(RDF.type, BIBO.AcademicArticle)}
    pid = make_paper_id([a for a in facts.authors if a != OTHERS], facts.year, facts.title, taken)
    for triple in paper_triples(pid, facts.title, facts.authors, facts.year, facts.venue, facts.arxiv,
                                facts.doi, facts.code, concepts):
        graph.add(triple)
    graph.add((PAPER[pid], DCTERMS.source, CURATED_SOURCE))
    graph.add((PAPER[pid], PROV.wasDerivedFrom, CURATED_SOURCE))
    if (CURATED_SOURCE, RDF.type, KB.Source) not in graph:
        graph.add((CURATED_SOURCE, RDF.type, KB.Source))
        graph.add((CURATED_SOURCE, RDFS.label, Literal("Added with `kb add` by a curator")))
    if not facts.year:
        graph.add((PAPER[pid], KB.needsReview, Literal(True)))
    entries.append(bib_entry_for(pid, facts.title, facts.authors, facts.year, facts.venue,
                                 facts.arxiv, facts.doi, facts.code))
    _write_both({ttl: render_turtle(graph), bib: render_bib(entries)})
    return pid
