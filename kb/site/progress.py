"""Progress of the mkdocs step: a line every so many pages, through a hook mkdocs loads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# set by kb.site.build_site around mkdocs build; the hook file calls report() for each page
_state: dict[str, Any] = {"say": None, "total": 0, "done": 0, "every": 250}


def start(say: Callable[[str], None] | None, total: int) -> None:
    _state.update(say=say, total=total, done=0, every=max(50, total // 6))


def stop() -> None:
    _state["say"] = None


def report() -> None:
    """One more page rendered: say so every `every` pages and at the last one."""
    _state["done"] += 1
    say, done, total = _state["say"], _state["done"], _state["total"]
    if say and (done % _state["every"] == 0 or done == total):
        say(f"mkdocs: {done}/{total} pages rendered")
