"""The one escape helper: every string from the data passes through here before a page."""

from __future__ import annotations

import html
import re
from typing import Any

# Characters that mean something to Markdown or its extensions (emphasis, links, tables, headings,
# lists, attribute lists, footnotes) or to HTML. Each becomes a numeric character reference, which
# Python-Markdown passes through untouched and the browser shows as the character itself, so the
# same escaped text is safe in a paragraph, a table cell, a heading, a link label or raw HTML.
_SPECIAL = set("&<>\"'\\`*_{}[]()#+-.!|~^=:$@%")
_TABLE = {ord(ch): f"&#{ord(ch)};" for ch in _SPECIAL}
_SAFE_URL = re.compile(r"https?://[^\s<>\"'`]+\Z", re.IGNORECASE)


def esc(value: Any) -> str:
    """Data text made literal for Markdown and HTML; newlines fold to spaces (one-line contexts)."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return text.translate(_TABLE)


def attr(value: Any) -> str:
    """Data text for an HTML attribute value (quoted)."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_url(value: Any) -> str | None:
    """The URL if it is a plain http(s) URL, else None (never emit javascript: and friends)."""
    if not value:
        return None
    url = str(value).strip()
    return url if _SAFE_URL.match(url) else None


def ext_link(url: Any, label: str) -> str:
    """An external link as raw HTML (label already escaped), or the bare label for an unsafe URL."""
    ok = safe_url(url)
    if not ok:
        return label
    return f'<a href="{attr(ok)}" rel="noopener">{label}</a>'


def code_block(text: str, lang: str = "") -> str:
    """A fenced code block whose fence outruns any backtick run inside (content is literal)."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def plain(value: Any) -> str:
    """Data text for places that are HTML but never Markdown (page titles, nav labels, search).

    Only <, >, & and quotes become references, so the search index holds the words themselves
    ("Black-box", not "Black&#45;box", which the search separator used to cut into "Black-;box").
    """
    if value is None:
        return ""
    # apostrophes stay as they are (titles like "Bard's"); double quotes are escaped for attributes
    return html.escape(" ".join(str(value).split()), quote=False).replace('"', "&quot;")


def yaml_str(value: Any) -> str:
    """A page title as a double-quoted YAML scalar; themes print front matter as raw HTML."""
    text = plain(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
