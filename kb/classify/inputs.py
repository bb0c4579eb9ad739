"""Papers to classify from a file: a .bib (title, abstract, keywords, venue) or one title per line."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from kb.bib import parse_bib_text
from kb.graph import DataError

_BIB = re.compile(r"^\s*@\s*\w+\s*[{(]", re.MULTILINE)
_ARXIV = re.compile(r"(\d{4}\.\d{4,5})")


def _plain(value: str) -> str:
    """A BibTeX field value without braces, simple LaTeX commands and doubled spaces."""
    value = re.sub(r"\\[a-zA-Z]+\s*", " ", value)
    return " ".join(value.replace("{", "").replace("}", "").split())


def _bib_items(path: Path, text: str) -> list[dict[str, Any]]:
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # a broken block is reported once below, with its line
    try:
        bib = parse_bib_text(text)
    finally:
        logger.setLevel(level)
    if bib.failed:
        line, reason = bib.failed[0]
        raise DataError(f"{path}:{line}: invalid BibTeX ({reason}); fix the entry starting there")
    items = []
    for e in bib.entries:
        f = e.fields
        title = _plain(f.get("title", ""))
        if not title:
            raise DataError(f"{path}:{e.line}: entry {e.key!r} has no title; add one or remove the entry")
        arxiv = _ARXIV.search(f.get("eprint", "") or f.get("url", "") or "")
        item: dict[str, Any] = {"title": title}
        for name, value in (
            ("abstract", _plain(f.get("abstract", ""))),
            ("keywords", _plain(f.get("keywords", ""))),
            ("venue", _plain(f.get("booktitle") or f.get("journal") or "")),
            ("doi", f.get("doi", "").strip().lower()),
            ("arxiv", arxiv.group(1) if arxiv else ""),
        ):
            if value:
                item[name] = value
        items.append(item)
    return items


def read_items(path: Path) -> list[dict[str, Any]]:
    """The papers in a .bib file, or in a text file of titles (one a line; a line starting with '#' is a comment)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; give a .bib file or a text file with one title per line") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory; give a .bib file or a text file with one title per line") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text; save it as UTF-8 (a .bib, or one title per line)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror}); check the path and its permissions") from None
    if path.suffix.lower() == ".bib" or _BIB.search(text):
        items = _bib_items(path, text)
        what = "no BibTeX entry"
    else:
        items = [{"title": t} for line in text.splitlines() if (t := line.strip()) and not t.startswith("#")]
        what = "no title"
    if not items:
        raise DataError(f"{path}: {what} found; give a .bib file or a text file with one title per line")
    return items
