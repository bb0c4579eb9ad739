"""What a client sends for a named query: its text with the parameters in an inline VALUES block."""

from __future__ import annotations

import json
from typing import Any

from kb.serve.guard import tokens


def _sparql_term(kind: str, lexical: str, datatype: str | None) -> str:
    if kind == "iri":
        return f"<{lexical}>"
    text = json.dumps(lexical)  # JSON string escapes (\", \\, \n, \uXXXX) are SPARQL escapes too
    return f"{text}^^<{datatype}>" if datatype else text


def with_values(text: str, bound: dict[str, tuple[str, str, str | None]]) -> str:
    """`text` with a VALUES block opening its outermost WHERE group, binding each parameter.

    A VALUES block at the start of the group binds the variable for every pattern, FILTER and
    NOT EXISTS of that group, as `kb query` does with its parameters; subqueries compute all
    values and are then joined on it, which gives the same rows.
    """
    if not bound:
        return text
    names = sorted(bound)
    row = " ".join(_sparql_term(*bound[n]) for n in names)
    block = f"\n  VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}\n"
    toks = list(tokens(text))
    is_where = [kind == "word" and tok.upper() == "WHERE" for kind, tok, _, _ in toks]
    # after the first WHERE if there is one (a CONSTRUCT template also opens with a brace)
    start = is_where.index(True) if any(is_where) else 0
    for kind, tok, _, end in toks[start:]:
        if kind == "other" and tok == "{":
            return text[:end] + block + text[end:]
    raise ValueError("no WHERE group found in the query")  # a query always has one


def named_query_text(name: str, params: dict[str, Any] | None = None) -> str:
    """The SPARQL to send over HTTP for `kb query NAME` with `params` (defaults for the rest)."""
    from kb import sparql

    query = sparql.get_query(name)
    return with_values(query.text, sparql.bind_params(query, params))
