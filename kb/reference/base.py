"""Metadata of a reference implementation, and parsing of its parameters; imports no torch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class ReferenceInputError(ValueError):
    """Bad name or parameter for a reference implementation; the message says what to do."""


@dataclass(frozen=True)
class Param:
    """One parameter of an implementation: its name, default (which fixes its type) and help."""

    name: str
    default: Any
    help: str

    @property
    def type_name(self) -> str:
        return type(self.default).__name__

    def parse(self, text: str) -> Any:
        """Convert a command-line string to this parameter's type."""
        kind = type(self.default)
        try:
            if kind is bool:
                low = text.strip().lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            if kind is int:
                return int(text)
            if kind is float:
                return float(text)
        except ValueError:
            raise ReferenceInputError(
                f"parameter {self.name}: {text!r} is not a valid {kind.__name__}"
            ) from None
        return text


@dataclass(frozen=True)
class Implementation:
    """What the graph and `kb run` know about one implementation, without importing it."""

    name: str  # the `kb run` name and the impl:<name> IRI
    title: str
    description: str
    module: str  # e.g. kb.reference.fgsm; its `run(seed, **params)` returns a dict of metrics
    concept_ids: tuple[str, ...]  # subcategories/categories/threat types in data/taxonomy.ttl
    method_ids: tuple[str, ...] = ()  # survey methods (method:<id>) this implements
    paper_ids: tuple[str, ...] = ()  # BibTeX keys of the papers it follows, when in references.bib
    params: tuple[Param, ...] = ()
    shows: str = ""  # the effect a reader of the paper expects, which the test asserts
    needs: tuple[str, ...] = ("torch", "sklearn")  # modules run() imports with the default params
    setup: str = ""  # what it runs on with a real target; "{value}" is the toy parameter's value
    # (parameter, value, what runs then): the parameter value that selects a toy stand-in target
    toy: tuple[str, str, str] | None = None
    metric_labels: tuple[tuple[str, str], ...] = ()  # (key or "prefix_*", label) overrides

    def __post_init__(self) -> None:
        if not NAME_RE.fullmatch(self.name):
            raise ValueError(f"implementation name {self.name!r} is not a slug")

    @property
    def entry_point(self) -> str:
        return f"{self.module}:run"

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise ReferenceInputError(f"{self.name} has no parameter {name!r} (parameters: {known})")

    def resolve(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated with overrides; strings are parsed to the parameter's type."""
        values = self.defaults()
        for key, value in (overrides or {}).items():
            p = self.param(key)
            if isinstance(value, str) and not isinstance(p.default, str):
                value = p.parse(value)
            values[key] = value
        return values

    def is_toy(self, params: dict[str, Any]) -> bool:
        """True when these parameters run against the toy stand-in, not a real model."""
        return self.toy is not None and params.get(self.toy[0]) == self.toy[1]

    def describe_setup(self, params: dict[str, Any]) -> str:
        """One line saying what the run ran on (the toy stand-in, or the real target's name)."""
        if self.toy is None:
            return self.setup
        name, _, toy_setup = self.toy
        return toy_setup if self.is_toy(params) else self.setup.format(value=params.get(name))

    def label(self, key: str) -> str:
        """A human label for a metric key: this implementation's own, else spelt out from the key."""
        for pattern, label in self.metric_labels:
            if pattern == key:
                return label
            if pattern.endswith("*") and key.startswith(pattern[:-1]):
                rest = key[len(pattern) - 1 :]
                return label.format(rest=_words(rest, capital=False))
        return _words(key)

    def as_row(self) -> dict[str, Any]:
        """A plain-dict view for `kb run --list` and the graph importer."""
        return {
            "name": self.name,
            "title": self.title,
            "module": self.module,
            "entry_point": self.entry_point,
            "concept_ids": list(self.concept_ids),
            "method_ids": list(self.method_ids),
            "paper_ids": list(self.paper_ids),
            "params": [
                {"name": p.name, "default": p.default, "type": p.type_name, "help": p.help}
                for p in self.params
            ],
            "needs": list(self.needs),
            "setup": self.setup,
            "toy": dict(zip(("param", "value", "setup"), self.toy, strict=True))
            if self.toy
            else None,
            "description": self.description,
            "shows": self.shows,
        }


# Abbreviations in metric keys, spelt out once for every implementation's labels
ABBREVIATIONS = {
    "asr": "attack success rate",
    "n": "number of",
    "auc": "AUC",
    "l2": "L2",
    "macs": "MACs",
    "tpr": "TPR",
    "fpr": "FPR",
    "ids": "IDs",
    "adv": "adversarially",
    "via": "via",
}


def _words(key: str, capital: bool = True) -> str:
    """`asr_none_via_tool_output` -> `attack success rate none via tool output`."""
    words = [ABBREVIATIONS.get(w, w) for w in key.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if capital else text


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Parse `k=v` strings (from --param) into a dict."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ReferenceInputError(
                f"--param {item!r}: write it as NAME=VALUE, e.g. --param eps=0.2"
            )
        out[key.strip()] = value.strip()
    return out
