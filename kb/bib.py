"""references.bib: read and write BibTeX with bibtexparser v2, in one canonical form."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from bibtexparser.model import Entry, Field

from kb.atomic import atomic_write_text
from kb.graph import DataError

# bibtexparser logs each broken block itself ("Unknown block type ..."); we report them as one
# line naming file and line (read_bib), so its own messages stay out of the output.
_bibtexparser_log = logging.getLogger("bibtexparser")
_bibtexparser_log.addHandler(logging.NullHandler())
_bibtexparser_log.propagate = False

# Canonical field order; fields not listed follow in alphabetical order.
FIELD_ORDER = [
    "title", "author", "year", "booktitle", "journal", "volume", "pages",
    "eprint", "archiveprefix", "doi", "url", "note",
]


@dataclass
class BibEntry:
    """One BibTeX entry as plain data."""

    key: str
    entry_type: str
    fields: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass
class BibFile:
    """Entries read from a file, and the blocks that could not be parsed."""

    entries: list[BibEntry]
    failed: list[tuple[int, str]]  # (1-based line, reason)


def parse_bib_text(text: str) -> BibFile:
    """Parse BibTeX text; broken blocks are reported, not raised."""
    library = bibtexparser.parse_string(text)
    entries = [
        BibEntry(
            key=e.key,
            entry_type=e.entry_type.lower(),
            fields={f.key.lower(): str(f.value) for f in e.fields},
            line=(e.start_line or 0) + 1,
        )
        for e in library.entries
    ]
    failed = []
    for block in library.failed_blocks:
        reason = str(getattr(block, "error", "") or type(block).__name__)
        reason = reason.strip().splitlines()[0] if reason.strip() else "could not parse the block"
        if type(getattr(block, "error", None)).__name__ == "BlockAbortedException":
            reason = "unbalanced braces or quotes"
        failed.append(((block.start_line or 0) + 1, reason))
    return BibFile(entries, failed)


def read_bib(path: Path, strict: bool = True) -> BibFile:
    """Read a .bib file; with strict, a broken block is one error line naming file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc}); check the path and that it is UTF-8") from None
    bib = parse_bib_text(text)
    if strict and bib.failed:
        line, reason = bib.failed[0]
        raise DataError(f"{path}:{line}: invalid BibTeX ({reason}); fix the entry starting there")
    return bib


def _ordered(fields: dict[str, str]) -> list[tuple[str, str]]:
    known = [(k, fields[k]) for k in FIELD_ORDER if k in fields]
    rest = sorted((k, v) for k, v in fields.items() if k not in FIELD_ORDER)
    return known + rest


def render_bib(entries: list[BibEntry]) -> str:
    """Canonical BibTeX text: entries sorted by key, fields in a fixed order, two-space indent."""
    library = bibtexparser.Library()
    for e in sorted(entries, key=lambda e: e.key):
        library.add(Entry(e.entry_type, e.key, [Field(k, v) for k, v in _ordered(e.fields)]))
    fmt = bibtexparser.BibtexFormat()
    fmt.indent = "  "
    fmt.block_separator = "\n"
    return bibtexparser.write_string(library, bibtex_format=fmt).strip() + "\n"


def write_bib(entries: list[BibEntry], path: Path) -> None:
    """Write entries canonically and atomically."""
    atomic_write_text(path, render_bib(entries))
