"""Read a reference list (BibTeX, or a plain list of DOIs / arXiv ids) and a LaTeX .aux file."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

from kb.coverage.latex import decode
from kb.coverage.textin import read_text

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
    venue: str | None = None  # journal or booktitle, decoded: what the classifier reads
    abstract: str | None = None
    keywords: str | None = None


@dataclass
class Malformed:
    """An entry that could not be read (its 1-based line and why), or a note on reading the file."""

    line: int
    error: str
    skipped: bool = True  # False: a note (e.g. how the file was decoded); nothing was skipped


# Braces deeper than this are no title: the entry is reported and skipped (BibTeX itself
# handles about a dozen levels; real titles use three or four).
MAX_DEPTH = 32
# A field longer than this is cut before decoding and matching (a title is under 300 characters;
# an author field of 1,000 names is about 30,000).
MAX_FIELD = 50_000
MONTHS = dict(
    zip(
        "jan feb mar apr may jun jul aug sep oct nov dec".split(),
        "January February March April May June July August September October November December"
        .split(),
        strict=True,
    )
)


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
    names: list[str] = []
    parts: list[str] = []
    # split on " and " only outside braces, so "{Barnes and Noble}" stays one (corporate) name;
    # the depth is carried from one " and " to the next, so a long author list stays linear
    start = depth_at = depth = 0
    for m in _AND.finditer(text):
        depth += text.count("{", depth_at, m.start()) - text.count("}", depth_at, m.start())
        depth_at = m.start()
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
    venue = f.get("booktitle") or f.get("journal") or f.get("journaltitle")
    return BibEntry(
        key=key,
        title=decode(f.get("title", "")),
        authors=family_names(f["author"]) if "author" in f else [],
        year=int(ym.group(1)) if ym else None,
        doi=doi,
        arxiv=arxiv,
        line=line,
        venue=decode(venue) if venue else None,
        abstract=decode(f["abstract"]) if f.get("abstract") else None,
        keywords=decode(f["keywords"]) if f.get("keywords") else None,
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
    """Entries and malformed blocks of a BibTeX text (bibtexparser v2 splits; we resolve values)."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.ERROR)  # failed blocks are reported by us, once, with their line
    try:
        # no middleware: values stay raw ('"Safe" # nips'), so that @string macros joined with '#'
        # resolve here; bibtexparser's own resolution handles a lone macro only
        library = bibtexparser.parse_string(text, parse_stack=[])
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
    macros = dict(MONTHS)
    for string in library.strings:
        macros[string.key.lower()] = resolve_value(str(string.value), macros)
    for entry in library.entries:
        line = (entry.start_line or 0) + 1
        fields, problem = {}, None
        for fl in entry.fields:
            raw = fl.value if isinstance(fl.value, str) else str(fl.value)
            depth = brace_depth(raw)
            if depth > MAX_DEPTH:
                problem = (
                    f"braces nested {depth} deep in field {fl.key!r} (the limit is {MAX_DEPTH}); "
                    "the entry is skipped: check its braces"
                )
                break
            fields[fl.key] = resolve_value(raw[:MAX_FIELD], macros)
        if problem:
            malformed.append(Malformed(line, problem))
        else:
            entries.append(_entry(entry.key, fields, line))
    malformed.sort(key=lambda m: m.line)
    return entries, malformed


def brace_depth(text: str) -> int:
    """The deepest brace nesting in a text (unbalanced closing braces count as level 0)."""
    if "{" not in text:
        return 0
    deepest = depth = 0
    for c in text:
        if c == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif c == "}" and depth:
            depth -= 1
    return deepest


def resolve_value(raw: str, macros: dict[str, str]) -> str:
    """A raw BibTeX value ('"Proc. " # nips # {, 2023}', 'jan', '{X}') with macros resolved."""
    raw = raw.strip()
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "{" or c == '"':
            end = _closing(raw, i)
            if end < 0:  # unbalanced: keep what is there rather than lose the field
                return "".join(out) + raw[i + 1 :]
            out.append(raw[i + 1 : end])
            i = end + 1
        else:
            m = _TOKEN.match(raw, i)
            if not m:
                return raw if not out else "".join(out) + raw[i:]
            word = m.group(0)
            out.append(word if word.isdigit() else macros.get(word.lower(), word))
            i = m.end()
        while i < n and raw[i] in " \t\r\n":
            i += 1
        if i < n:
            if raw[i] != "#":  # not a concatenation: take the value as written
                return raw if len(out) == 1 and raw[0] not in '{"' else "".join(out) + raw[i:]
            i += 1
            while i < n and raw[i] in " \t\r\n":
                i += 1
    return "".join(out)


_TOKEN = re.compile(r"[^\s#{}\"]+")


def _closing(raw: str, start: int) -> int:
    """Index of the delimiter closing the braced or quoted value that opens at `start`, or -1."""
    depth = 0
    quote = raw[start] == '"'
    for j in range(start + 1 if quote else start, len(raw)):
        c = raw[j]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0 and not quote:
                return j
        elif c == '"' and quote and depth == 0 and raw[j - 1] != "\\":
            return j
    return -1


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
    """Read a .bib file, or a plain list of ids when the file has no BibTeX entry.

    How the file was decoded (a BOM, lines that are not UTF-8) comes back as Malformed notes
    with `skipped=False`.
    """
    text, notes = read_text(path)
    entries, malformed = parse_bib(text) if looks_like_bibtex(text) else parse_id_list(text)
    return entries, [Malformed(line, note, skipped=False) for line, note in notes] + malformed


_CITATION = re.compile(r"\\(?:citation|abx@aux@cite)\s*(?:\{\d+\})?\{([^}]*)\}")


def read_aux(path: Path) -> tuple[set[str], set[str]]:
    """Cited keys of a .aux file (\\citation / biblatex), or (empty, ids) for a list of ids."""
    text, _ = read_text(path, "the .aux file LaTeX wrote")
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
