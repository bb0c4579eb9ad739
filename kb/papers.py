"""Papers: IDs, title normalisation, author and venue parsing, and their triples and BibTeX entries.

Shared by the importer (scripts/import_survey.py) and `kb add`, so a paper looks the same
whichever way it entered the knowledge base.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD
from rdflib.term import Node

from kb.bib import BibEntry
from kb.vocab import BIBO, CONCEPT, FABIO, FOAF, KB, PAPER, PERSON, SCHEMA, SOURCE, slugify

CURATED_SOURCE = SOURCE["curated"]
OTHERS = "others"  # BibTeX's marker of a truncated author list

STOPWORDS = {
    "a", "an", "the", "on", "of", "in", "for", "to", "and", "towards", "toward", "via", "with",
    "is", "are", "do", "does", "can", "your", "you", "when", "what", "how", "why", "from", "by",
    "at", "as", "be", "not", "all", "we", "its", "it", "this", "that", "into", "through", "over",
}
JOURNAL_WORDS = re.compile(
    r"transactions|journal|letters|information sciences|pattern recognition|patterns|nature|science|"
    r"computers|neurocomputing|access|survey", re.I
)
ARXIV_RE = re.compile(r"(?:arxiv[:/\s]*|abs/|pdf/)?(\d{4}\.\d{4,5})(?:v\d+)?", re.I)


def normalise_title(title: str) -> str:
    """Title key for duplicate detection: accents, case, braces and punctuation ignored."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def parse_authors(text: str) -> list[str]:
    """Authors of the paper list ("Fu, Yonggan, Zhang, Shunyao, **and** Lin, Yingyan") as "Last, First"."""
    etal = re.compile(r"[\s,]*(\*{0,2})(and others|et al\.?)\1\s*$")
    truncated = bool(etal.search(text))
    text = etal.sub("", text)
    text = text.replace("**and**", ",").replace(" and ", ", ")
    text = decode_latex(text)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if all(" " in p for p in parts):  # "First Last, First Last" order
        parts = [x for p in parts for x in (p.rsplit(" ", 1)[1], p.rsplit(" ", 1)[0])]
    authors = []
    for i in range(0, len(parts) - 1, 2):
        authors.append(f"{parts[i]}, {parts[i + 1]}")
    if len(parts) % 2 == 1:
        authors.append(parts[-1])
    if truncated:
        authors.append(OTHERS)
    return authors


ACCENTS = {"`": "\u0300", "'": "\u0301", "^": "\u0302", '"': "\u0308", "~": "\u0303", "c": "\u0327",
           "v": "\u030c", "u": "\u0306", "=": "\u0304", ".": "\u0307", "H": "\u030b", "k": "\u0328"}


def decode_latex(text: str) -> str:
    """Turn LaTeX accent commands ({\\"o}, \\'e, {\\v{s}}) into Unicode and drop grouping braces."""
    def repl(m: re.Match[str]) -> str:
        return unicodedata.normalize("NFC", m.group(2) + ACCENTS[m.group(1)])

    text = re.sub(r"\\([`'^\"~=.])\s*\{?([A-Za-z])\}?", repl, text)
    text = re.sub(r"\\([cvuHk])\s*\{([A-Za-z])\}", repl, text)
    text = re.sub(r"\{([`'^\"~])([A-Za-z])", repl, text)
    text = text.replace("\\ss", "ß").replace("\\o", "ø").replace("\\l", "ł").replace("\\i", "ı")
    return text.replace("{", "").replace("}", "")


def parse_venue(text: str) -> tuple[str, int | None, str | None]:
    """'*ICLR*, 2022.' -> ('ICLR', 2022, None); arXiv ids in the venue text are returned apart."""
    m = re.match(r"\*(.+?)\*(.*)$", text.strip())
    venue, rest = (m.group(1), m.group(2)) if m else (text.strip(), "")
    years = re.findall(r"\b(19\d\d|20\d\d)\b", rest) or re.findall(r"\b(19\d\d|20\d\d)\b", venue)
    year = int(years[-1]) if years else None
    arxiv = None
    am = re.search(r"arxiv[:\s]*(\d{4}\.\d{4,5})", venue, re.I)
    if am:
        arxiv = am.group(1)
        venue = re.sub(r"\s*arxiv[:\s]*\d{4}\.\d{4,5}(v\d+)?", "", venue, flags=re.I).strip() or "arXiv"
    venue = decode_latex(venue.replace("\\&", "&")).strip().rstrip(",")
    if re.fullmatch(r"(19|20)\d\d", venue):  # "*2024*, 2024.": the year in the venue's place, no venue
        venue = ""
    return venue, year, arxiv


def family_name(author: str) -> str:
    """'Fu, Yonggan' -> 'Fu'."""
    return author.split(",")[0].strip()


def given_name(author: str) -> str:
    return author.split(",", 1)[1].strip() if "," in author else ""


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def make_paper_id(authors: list[str], year: int | None, title: str, taken: Iterable[str],
                  fallback: str = "anon") -> str:
    """BibTeX-style key: surname + year + first significant title word, with b, c, ... on a clash."""
    surname = _ascii_word(family_name(authors[0])) if authors else _ascii_word(fallback)
    words = [re.sub(r"[^a-z0-9]", "", w) for w in normalise_title(title).split()]
    words = [w for w in words if w and w not in STOPWORDS] or ["paper"]
    base = f"{surname or 'anon'}{year or 0:04d}{words[0]}"
    taken = set(taken)
    pid, n = base, 0
    while pid in taken:
        n += 1
        pid = base + "abcdefghijklmnopqrstuvwxyz"[n]
    return pid


def person_id(author: str) -> str:
    return slugify(f"{family_name(author)} {given_name(author)}")


def paper_triples(pid: str, title: str, authors: list[str], year: int | None, venue: str,
                  arxiv: str | None = None, doi: str | None = None, code: str | None = None,
                  concepts: Iterable[str] = ()) -> Iterator[tuple]:
    """The core triples of one paper (title, ordered authors, year, venue, identifiers, concepts)."""
    s = PAPER[pid]
    yield (s, RDF.type, BIBO.AcademicArticle)
    yield (s, DCTERMS.identifier, Literal(pid))
    yield (s, DCTERMS.title, Literal(title))
    if year:
        yield (s, FABIO.hasPublicationYear, Literal(f"{int(year):04d}", datatype=XSD.gYear))
    if venue:
        yield (s, KB.venue, Literal(venue))
    if arxiv:
        yield (s, KB.arxivId, Literal(arxiv))
        yield (s, FOAF.page, URIRef(f"https://arxiv.org/abs/{arxiv}"))
    if doi:
        yield (s, BIBO.doi, Literal(doi))
    if code:
        yield (s, SCHEMA.codeRepository, URIRef(code))
    for cid in concepts:
        yield (s, DCTERMS.subject, CONCEPT[cid])
    people: list[Node] = []
    for a in authors:
        if a == OTHERS:
            yield (s, KB.flag, Literal("The source truncates the author list ('and others')."))
            continue
        p = PERSON[person_id(a)]
        people.append(p)
        yield (p, RDF.type, FOAF.Person)
        yield (p, FOAF.name, Literal(a))
        yield (p, FOAF.familyName, Literal(family_name(a)))
        if given_name(a):
            yield (p, FOAF.givenName, Literal(given_name(a)))
        yield (s, DCTERMS.creator, p)
    if people:
        # the list's head is named after the paper so the Turtle stays canonical
        from rdflib import Graph

        tmp = Graph()
        head = BNode(f"authors{pid}")
        Collection(tmp, head, people)
        yield (s, BIBO.authorList, head)
        yield from tmp


def bib_entry_for(pid: str, title: str, authors: list[str], year: int | None, venue: str,
                  arxiv: str | None = None, doi: str | None = None, code: str | None = None) -> BibEntry:
    """The BibTeX entry of a paper, from the same facts as its triples."""
    fields: dict[str, str] = {"title": "{" + title + "}" if title.isupper() else title}
    if authors:
        fields["author"] = " and ".join(authors)
    if year:
        fields["year"] = str(year)
    if arxiv and (not venue or venue.lower().startswith("arxiv")):
        etype = "misc"
        fields["eprint"] = arxiv
        fields["archiveprefix"] = "arXiv"
        fields["howpublished"] = f"arXiv preprint arXiv:{arxiv}"
    elif venue and JOURNAL_WORDS.search(venue):
        etype = "article"
        fields["journal"] = venue
    elif venue:
        etype = "inproceedings"
        fields["booktitle"] = venue
    else:
        etype = "misc"
    if arxiv and "eprint" not in fields:
        fields["eprint"] = arxiv
        fields["archiveprefix"] = "arXiv"
    if doi:
        fields["doi"] = doi
    if code:
        fields["url"] = code
    return BibEntry(pid, etype, {k: v.replace("{", "").replace("}", "") if k != "title" else v
                                 for k, v in fields.items()})


def concept_exists(graph, cid: str) -> bool:
    return (CONCEPT[cid], RDF.type, SKOS.Concept) in graph
