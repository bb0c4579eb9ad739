"""The second source: the Awesome-LM-SSP paper list (collection/paper/*/*.md), parsed into entries.

One line per paper: `- [YYYY/MM] **[Title](link)**`, an optional code link (a GitHub icon), then
shields.io badges whose colour says what they are: a model (LLM, VLM, Diffusion, ...), a comment
(Defense, Benchmark, Agent, RAG, ...) or a venue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from kb.graph import DataError
from kb.papers import ARXIV_RE

LINE = re.compile(r"^- \[(\d{4})/(\d{2})\] \*\*\[(?P<title>.+?)\]\(\s*(?P<url>[^)\s]*)\s*\)\*\*(?P<rest>.*)$")
BADGE = re.compile(r"!\[[^\]]*\]\(https://img\.shields\.io/badge/(?P<text>[^)]+?)-(?P<colour>[0-9a-fA-F]{6})\)")
CODE = re.compile(r"alt=\"Code\"[^\]]*\]\((?P<url>[^)\s]+)\)")
VENUE_COLOUR = "f1b800"
# The README's model badges (and the few model-like ones the list also uses)
MODEL_BADGES = {"LLM", "VLM", "SLM", "Diffusion", "Audio", "Video", "ALM", "Speech", "Voice"}


@dataclass
class Entry:
    """One line of the list."""

    title: str
    url: str
    year: int
    month: int
    category: str  # the category file, e.g. "safety/jailbreak"
    line: int
    arxiv: str | None = None
    code: str | None = None
    models: list[str] = field(default_factory=list)  # model badges, e.g. ["LLM", "VLM"]
    tags: list[str] = field(default_factory=list)  # comment badges, e.g. ["Defense", "Benchmark"]
    venues: list[str] = field(default_factory=list)  # venue badges, e.g. ["ICLR'24"]

    @property
    def badges(self) -> list[str]:
        return self.models + self.tags + self.venues

    @property
    def where(self) -> str:
        return f"collection/paper/{self.category}.md:{self.line}"


def badge_text(raw: str) -> str:
    """shields.io badge text: '--' is a dash, '__' an underscore, '_' a space."""
    text = unquote(raw).replace("--", "\0").replace("__", "\1").replace("_", " ")
    return text.replace("\0", "-").replace("\1", "_").strip()


def clean_url(url: str) -> str | None:
    """An absolute http(s) URL, or None: the list writes a few without their scheme."""
    url = url.strip()
    if url and not re.match(r"https?://", url):
        url = "https://" + url.lstrip("/")
    return url if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", url) else None


def parse_line(text: str, category: str, line: int) -> Entry | None:
    m = LINE.match(text.strip())
    if not m:
        return None
    url = clean_url(m["url"]) or ""
    am = ARXIV_RE.search(url) if "arxiv.org" in url else None
    e = Entry(m["title"].strip(), url, int(m.group(1)), int(m.group(2)), category, line,
              arxiv=am.group(1) if am else None)
    rest = m["rest"]
    cm = CODE.search(rest)
    if cm:
        e.code = clean_url(cm["url"])
    for b in BADGE.finditer(rest):
        name = badge_text(b["text"])
        if b["colour"].lower() == VENUE_COLOUR:
            e.venues.append(name)
        else:
            for part in name.split("/"):  # "LLM/VLM": two model badges in one
                part = part.strip()
                (e.models if part in MODEL_BADGES else e.tags).append(part)
    return e


def read_list(folder: Path) -> list[Entry]:
    """Every paper line of the list's category files, in file and line order."""
    root = folder / "collection" / "paper"
    if not root.is_dir():
        raise DataError(f"{folder}: no collection/paper/ folder; pass the list's copy "
                        "(e.g. ../shared/data/awesome-lm-ssp)")
    entries = []
    for path in sorted(root.glob("*/*.md")):
        category = f"{path.parent.name}/{path.stem}"
        for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not text.startswith("- ["):
                continue
            e = parse_line(text, category, i)
            if e is None:
                raise DataError(f"{path}:{i}: not a list entry '- [YYYY/MM] **[Title](link)** badges'; fix the line")
            entries.append(e)
    return entries
