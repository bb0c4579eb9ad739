"""Inspect a SPARQL request before it runs: refuse updates and federation (SERVICE)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

# pyoxigraph has no parse-only API, so we tokenise: strings, comments, IRIs, variables, prefixed
# names and language tags are skipped as whole tokens, so a keyword inside any of them is not one.
# Every alternative consumes what it scans (a run of name characters is one token, with or without
# a colon), so the scan is linear: a run such as `a-a-a-...` is never rescanned from each offset.
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
  | (?P<name>[\w.\-\u00b7]+(?::(?:[\w.\-:%\u00b7]|\\.)*)?
            | :(?:[\w.\-:%\u00b7]|\\.)*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_WORD = re.compile(r"[A-Za-z_]\w*")
OPENERS, CLOSERS = frozenset("{(["), frozenset("})]")


def tokens(text: str) -> Iterator[tuple[str, str, int, int]]:
    """(kind, text, start, end) of each token; kind is comment, string, iri, var, lang, pname,
    word or other. A run of name characters without a colon yields its words (a keyword is
    never refused less often than pyoxigraph would read it)."""
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup or "other", m.group()
        if kind != "name":
            yield kind, tok, m.start(), m.end()
        elif ":" in tok:
            yield "pname", tok, m.start(), m.end()
        elif _WORD.fullmatch(tok):
            yield "word", tok, m.start(), m.end()
        else:
            for w in _WORD.finditer(tok):
                yield "word", w.group(), m.start() + w.start(), m.start() + w.end()


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
    depth: int = 0  # deepest nesting of { ( [
    key: str = ""  # the same for the same query however spaced or commented


def keywords(text: str) -> list[str]:
    """The bare keywords of a SPARQL text, upper-cased, in order (nothing from strings or IRIs)."""
    return [tok.upper() for kind, tok, _, _ in tokens(text) if kind == "word"]


def inspect(text: str) -> Inspection:
    """The query form, keywords, nesting depth and a key of a SPARQL text, in one scan."""
    words: list[str] = []
    canon: list[str] = []
    depth = deepest = nots = 0
    for kind, tok, _, _ in tokens(text):
        if kind == "comment":
            continue
        canon.append(tok)
        # a run of `!` nests too: the parser recurses once per negation (20,000 overflowed it)
        nots = nots + 1 if tok == "!" else 0
        deepest = max(deepest, depth + nots)
        if kind == "word":
            words.append(tok.upper())
        elif kind == "other":
            if tok in OPENERS:
                depth += 1
                deepest = max(deepest, depth)
            elif tok in CLOSERS:
                depth = max(0, depth - 1)
    form = next((w for w in words if w not in PROLOGUE), None)
    key = hashlib.sha1(" ".join(canon).encode()).hexdigest()
    return Inspection(form=form, keywords=frozenset(words), depth=deepest, key=key)


def nesting(text: str) -> int:
    """The deepest nesting of braces, parentheses and brackets outside strings and IRIs."""
    return inspect(text).depth


def check_query(text: str, max_depth: int = 64) -> Inspection:
    """Raise Refused for an update, a federated (SERVICE) query or one nested deeper than
    max_depth (the engine's parser recurses per level and would overflow its stack); else
    return the inspection."""
    found = inspect(text)
    if found.depth > max_depth:
        raise Refused(
            f"query nested {found.depth} levels deep: at most {max_depth} levels of {{ ( [ are "
            "allowed; flatten the query"
        )
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
