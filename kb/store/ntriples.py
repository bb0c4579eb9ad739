"""A streaming N-Triples reader that decodes only the triples of the predicates asked for.

pyoxigraph's parser hands every triple to Python as objects (about 1.5 µs each); the side index
needs under half of a large graph's triples, so lines are split as bytes first and only the
wanted ones are decoded. Lines in the canonical form `kb export` and pyoxigraph write
(`<s> <p> o .`, single spaces) take the fast path; any other valid line goes through a regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_LINE = re.compile(
    rb"^\s*(<[^>]*>|_:\S+)\s+(<[^>]*>)\s+(<[^>]*>|_:\S+|\"(?:[^\"\\]|\\.)*\"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?)\s*\.\s*(?:#.*)?$"
)


class NTriplesError(ValueError):
    """A line that is not N-Triples: its number and text."""


def _unescape_match(m: re.Match) -> str:
    code = m.group(1) or m.group(2)
    return chr(int(code, 16)) if code else _SIMPLE.get(m.group(3), m.group(3))


def unescape(text: str) -> str:
    """The value of an N-Triples string body (`\\n`, `\\"`, `\\u00e9` ...)."""
    return _ESCAPE.sub(_unescape_match, text) if "\\" in text else text


def term(raw: bytes) -> tuple[str, str, str | None]:
    """(kind, value, datatype) of one N-Triples term: kind is iri, bnode or literal."""
    if raw[:1] == b"<":
        return "iri", raw[1:-1].decode("utf-8"), None
    if raw[:2] == b"_:":
        return "bnode", raw.decode("utf-8"), None
    text = raw.decode("utf-8")
    end = text.rfind('"')
    tail = text[end + 1 :]
    datatype = tail[3:-1] if tail.startswith("^^<") else None
    return "literal", unescape(text[1:end]), datatype


def scan(path: Path, wanted: set[bytes]) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(subject, predicate, object) as raw N-Triples terms, for the predicates in `wanted`.

    `wanted` holds predicates in their N-Triples form (`<http://...>`). Blank lines and comments
    are skipped; a line that is not N-Triples raises NTriplesError with its number.
    """
    with open(path, "rb", buffering=1 << 22) as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.split(b" ", 2)
            if len(parts) == 3 and parts[1][:1] == b"<" and parts[1][-1:] == b">" and line.endswith(b" .\n"):
                if parts[1] not in wanted:
                    continue
                obj = parts[2][:-3]
                if obj[:1] in (b"<", b'"', b"_") and parts[0][:1] in (b"<", b"_"):
                    yield parts[0], parts[1], obj
                    continue
            stripped = line.strip()
            if not stripped or stripped.startswith(b"#"):
                continue
            m = _LINE.match(stripped)
            if not m:
                shown = stripped[:80].decode("utf-8", "replace")
                raise NTriplesError(f"line {lineno}: not an N-Triples statement: {shown}")
            if m.group(2) in wanted:
                yield m.group(1), m.group(2), m.group(3)
