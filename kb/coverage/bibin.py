"""Read a reference list (BibTeX, or a plain list of DOIs / arXiv ids) and a LaTeX .aux file."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
import click
from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

from kb.coverage.latex import decode

# new-style (2307.15043v2) and old-style (hep-th/9901001, cs.CL/0601001) arXiv identifiers
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv(?:\s+preprint)?\s*(?:arxiv)?\s*[:/]?\s*|arxiv\.org/(?:abs|pdf|html)/|10\.48550/arxiv\.)"
    rf"({_NEW_ID}|{_OLD_ID})(?:v\d+)?",
    re.IGNORECASE,
)
_BARE_ID = re.compile(
    rf"^\s*(?:arxiv:)?\s*({_NEW_ID}|{_OLD_ID})(?:v\d+)?(?:\.pdf)?\s*$", re.IGNORECASE
)
_DOI = re.compile(r"(10\.\d{4,9}/[^\s\"<>{}]+)", re.IGNORECASE)
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
# fields where tools put an arXiv id (Scholar: journal; DBLP: eprint; Zotero: note, url, doi)
_ARXIV_FIELDS = (
    "eprint",
    "journal",
    "journaltitle",
    "volume",
    "note",
    "howpublished",
    "url",
    "booktitle",
    "number",
    "publisher",
    "archiveprefix",
    "doi",
)


@dataclass
class BibEntry:
    """One reference: what matching needs, decoded from LaTeX."""

    key: str
    title: str = ""
    authors: list[str] = field(default_factory=list)  # family names, in order
    year: int | None = None
    doi: str | None = None
    arxiv: str | None = None
    line: int = 0


@dataclass
class Malformed:
    """An entry that could not be read: its 1-based line and why."""

    line: int
    error: str


def read_text(path: Path) -> str:
    """The file's text, or one clear ClickException line."""
    try:
        return Path(path).read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        raise click.ClickException(
            f"{path}: file not found; give the path of a .bib file"
        ) from None
    except IsADirectoryError:
        raise click.ClickException(
            f"{path}: is a directory; give the path of a .bib file"
        ) from None
    except OSError as exc:
        raise click.ClickException(
            f"{path}: cannot read ({exc.strerror}); check its permissions"
        ) from None


def normalise_doi(text: str | None) -> str | None:
    """A DOI in lower case without resolver prefix, or None."""
    if not text:
        return None
    m = _DOI.search(text)
    return m.group(1).rstrip(".,;)").lower() if m else None


def find_arxiv(text: str | None, bare: bool = False) -> str | None:
    """The arXiv id (without version) in a field's text; `bare` accepts an id with no prefix."""
    if not text:
        return None
    m = _ARXIV_IN_TEXT.search(text) or (_BARE_ID.match(text) if bare else None)
    return m.group(1) if m else None


def family_names(author_field: str) -> list[str]:
    """Family names from a BibTeX author field; LaTeX is decoded before splitting on 'and'."""
    text = decode(author_field, keep_braces=True)
    names, start = [], 0
    parts: list[str] = []
    # split on " and " only outside braces, so "{Barnes and Noble}" stays one (corporate) name
    for m in _AND.finditer(text):
        depth = text.count("{", 0, m.start()) - text.count("}", 0, m.start())
        if depth == 0:
            parts.append(text[start : m.start()])
            start = m.end()
    parts.append(text[start:])
    for part in parts:
        part = part.strip()
        if not part or part.lower() == "others":
            continue
        if part.startswith("{") and part.endswith("}") and part.count("{") == 1:
            names.append(part[1:-1].strip())
            continue
        part = part.replace("{", "").replace("}", "")
        names.append(part.split(",")[0].strip() if "," in part else part.split()[-1])
    return names


def _entry(key: str, fields: dict[str, str], line: int) -> BibEntry:
    f = {k.lower(): v for k, v in fields.items()}
    arxiv = None
    eprint_type = (f.get("archiveprefix") or f.get("eprinttype") or "arxiv").lower()
    if "eprint" in f and "arxiv" in eprint_type:
        arxiv = find_arxiv(f["eprint"], bare=True)
    for name in _ARXIV_FIELDS:
        if arxiv:
            break
        arxiv = find_arxiv(f.get(name))
    doi = normalise_doi(f.get("doi")) or (
        normalise_doi(f["url"]) if "doi.org" in f.get("url", "") else None
    )
    if doi and doi.startswith("10.48550/arxiv."):
        arxiv, doi = arxiv or find_arxiv(doi), None
    ym = _YEAR.search(f.get("year") or f.get("date") or "")
    return BibEntry(
        key=key,
        title=decode(f.get("title", "")),
        authors=family_names(f["author"]) if "author" in f else [],
        year=int(ym.group(1)) if ym else None,
        doi=doi,
        arxiv=arxiv,
        line=line,
    )


def _reason(error: Exception) -> str:
    reason = getattr(error, "abort_reason", None) or str(error).strip() or type(error).__name__
    reason = " ".join(reason.split()).rstrip(".")
    if "closing" in reason or "end of file" in reason:
        reason += " (unbalanced braces or quotes?)"
    elif "comma after entry key" in reason:
        reason += " (missing comma after the key?)"
    return reason


def parse_bib(text: str) -> tuple[list[BibEntry], list[Malformed]]:
    """Entries and malformed blocks of a BibTeX text (bibtexparser v2; macros resolved)."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.ERROR)  # failed blocks are reported by us, once, with their line
    try:
        library = bibtexparser.parse_string(text)
    finally:
        logger.setLevel(level)
    entries, malformed = [], []
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            malformed.append(
                Malformed(line, f"duplicate key {block.key!r}; the first entry is kept")
            )
        elif isinstance(block, ParsingFailedBlock):
            malformed.append(Malformed(line, _reason(block.error)))
    for entry in library.entries:
        fields = {
            fl.key: fl.value if isinstance(fl.value, str) else str(fl.value) for fl in entry.fields
        }
        entries.append(_entry(entry.key, fields, (entry.start_line or 0) + 1))
    return entries, malformed


def parse_id_list(text: str) -> tuple[list[BibEntry], list[Malformed]]:
    """A plain list of DOIs or arXiv ids, one a line ('#' starts a comment)."""
    entries, malformed = [], []
    for n, raw in enumerate(text.splitlines(), 1):
        item = raw.split("#", 1)[0].strip()
        if not item:
            continue
        arxiv = find_arxiv(item, bare=True)
        doi = None if arxiv else normalise_doi(item)
        if doi and doi.startswith("10.48550/arxiv."):
            arxiv, doi = find_arxiv(doi), None
        if arxiv or doi:
            entries.append(BibEntry(key=item, doi=doi, arxiv=arxiv, line=n))
        else:
            malformed.append(Malformed(n, f"not a DOI or arXiv id: {item[:60]!r}"))
    return entries, malformed


def looks_like_bibtex(text: str) -> bool:
    return re.search(r"^\s*@\s*\w+\s*[{(]", text, re.MULTILINE) is not None


def read_references(path: Path) -> tuple[list[BibEntry], list[Malformed]]:
    """Read a .bib file, or a plain list of ids when the file has no BibTeX entry."""
    text = read_text(path)
    return parse_bib(text) if looks_like_bibtex(text) else parse_id_list(text)


_CITATION = re.compile(r"\\(?:citation|abx@aux@cite)\s*(?:\{\d+\})?\{([^}]*)\}")


def read_aux(path: Path) -> tuple[set[str], set[str]]:
    """Cited keys of a .aux file (\\citation / biblatex), or (empty, ids) for a list of ids."""
    text = read_text(path)
    keys = {k.strip() for m in _CITATION.finditer(text) for k in m.group(1).split(",") if k.strip()}
    if keys or "\\" in text:
        return keys, set()
    entries, _ = parse_id_list(text)
    return set(), {e.arxiv or e.doi or "" for e in entries}


def restrict(entries: list[BibEntry], keys: set[str], ids: set[str]) -> list[BibEntry]:
    """The entries cited in the paper: by key, or by DOI / arXiv id."""
    if "*" in keys:  # \nocite{*} cites everything
        return entries
    return [
        e
        for e in entries
        if e.key in keys or (e.arxiv and e.arxiv in ids) or (e.doi and e.doi in ids)
    ]
