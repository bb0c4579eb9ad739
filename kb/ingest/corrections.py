"""Curated corrections of the sources (scripts/corrections.yaml): each fact with its source and reason.

An importer asks for the corrections of one kind and marks each one it applies; `unused()` names
the entries that matched nothing, so a correction that no longer fits its source is noticed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kb.graph import DataError

KINDS = ("categories", "subcategories", "methods", "papers", "placements", "cells", "not_datasets", "links")


class Corrections:
    """The entries of a corrections file, by kind, with a record of which were applied."""

    def __init__(self, path: Path):
        self.path = path
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        if not isinstance(data, dict):
            raise DataError(f"{path}: expected a mapping of correction kinds; see its header comment")
        unknown = sorted(set(data) - set(KINDS))
        if unknown:
            raise DataError(f"{path}: unknown section '{unknown[0]}'; use one of {', '.join(KINDS)}")
        self.entries: dict[str, list[dict[str, Any]]] = {k: list(data.get(k) or []) for k in KINDS}
        for kind, entries in self.entries.items():
            for i, e in enumerate(entries, 1):
                missing = [f for f in ("source", "reason") if not str(e.get(f) or "").strip()]
                if missing:
                    raise DataError(f"{path}: {kind} entry {i} has no {missing[0]}; every correction names both")
        self._used: set[tuple[str, int]] = set()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return self.entries[kind]

    def use(self, kind: str, entry: dict[str, Any]) -> dict[str, Any]:
        """Mark an entry as applied and return it."""
        self._used.add((kind, self.entries[kind].index(entry)))
        return entry

    def find(self, kind: str, **match: Any) -> dict[str, Any] | None:
        """The entry of `kind` whose fields equal `match` (marked as applied), or None."""
        for e in self.entries[kind]:
            if all(e.get(k) == v for k, v in match.items()):
                return self.use(kind, e)
        return None

    def unused(self) -> list[str]:
        """One line per entry that matched nothing in the sources."""
        out = []
        for kind, entries in self.entries.items():
            for i, e in enumerate(entries):
                if (kind, i) not in self._used:
                    what = e.get("title") or e.get("row") or e.get("cell") or e.get("path") or e.get("name") or e
                    out.append(f"{self.path}: {kind} entry {i + 1} ({what}) matches nothing in the sources; "
                               "update or remove it")
        return out

    @staticmethod
    def note(entry: dict[str, Any]) -> str:
        """The flag text an applied correction leaves on the resource."""
        return f"{entry['reason'].strip()} (source: {entry['source'].strip()})"
