"""Where each generated page lives in the docs folder, and relative links between pages."""

from __future__ import annotations

import posixpath
import re

from kb.vocab import slugify

_SAFE = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*\Z")


def _seg(ident: str) -> str:
    """An id as a path segment (ids follow the grammar; anything else is slugified)."""
    return ident if _SAFE.match(ident) else slugify(ident)


def concept_page(cid: str) -> str:
    """llm.jailbreak-attacks.black-box -> llm/jailbreak-attacks/black-box/index.md"""
    return "/".join(_seg(p) for p in cid.split(".")) + "/index.md"


def paper_page(pid: str) -> str:
    return f"papers/{_seg(pid)}.md"


def dataset_page(did: str) -> str:
    return f"datasets/{_seg(did)}.md"


def anchor(ident: str) -> str:
    """An HTML id for a method heading."""
    return "m-" + slugify(ident)


def rel(src: str, dst: str) -> str:
    """The link from page `src` to file `dst` (both relative to the docs folder)."""
    return posixpath.relpath(dst, posixpath.dirname(src) or ".")
