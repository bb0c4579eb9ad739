"""Inspect a SPARQL request before it runs: refuse updates and federation (SERVICE)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# pyoxigraph has no parse-only API, so we tokenise: strings, comments, IRIs, variables, prefixed
# names and language tags are skipped as whole tokens, so a keyword inside any of them is not one.
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              | '''(?:[^'\\]|\\.|'(?!''))*'''
              | "(?:[^"\\\n\r]|\\.)*"
              | '(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>[\w.\-\u00b7]*:(?:[\w.\-:%\u00b7]|\\.)*)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_FORMS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)
PROLOGUE = frozenset({"BASE", "PREFIX"})


class Refused(Exception):
    """A request the endpoint will not run; the message says why and what to do instead."""


@dataclass(frozen=True)
class Inspection:
    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK, an update keyword, or None if unknown
    keywords: frozenset[str]  # every bare keyword, upper-cased


def keywords(text: str) -> list[str]:
    """The bare keywords of a SPARQL text, upper-cased, in order (nothing from strings or IRIs)."""
    return [m.group("word").upper() for m in _TOKEN.finditer(text) if m.lastgroup == "word"]


def inspect(text: str) -> Inspection:
    """The query form and the set of keywords of a SPARQL text."""
    words = keywords(text)
    form = next((w for w in words if w not in PROLOGUE), None)
    return Inspection(form=form, keywords=frozenset(words))


def check_query(text: str) -> Inspection:
    """Raise Refused for an update or a federated (SERVICE) query; else return the inspection."""
    found = inspect(text)
    if found.form in UPDATE_FORMS:
        raise Refused(
            f"SPARQL Update ({found.form}) is not allowed: this endpoint is read-only; "
            "edit data/taxonomy.ttl and run `kb check` instead"
        )
    if "SERVICE" in found.keywords:
        raise Refused(
            "SERVICE (federated query) is not allowed: it would make this server fetch URLs; "
            "run the remote part against that endpoint yourself"
        )
    return found
