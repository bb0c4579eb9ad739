"""The library of named queries: .rq files, their headers, and parameter values as RDF terms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import click

from kb.vocab import (
    CONCEPT,
    DATASET,
    FACET,
    METHOD,
    MODEL,
    NAMESPACES,
    PAPER,
    PERSON,
    valid_id,
)

QUERY_DIR = Path(__file__).resolve().parent.parent / "queries"
XSD = "http://www.w3.org/2001/XMLSchema#"


class QueryError(click.ClickException):
    """A bad query name, parameter or query text: one line saying what to do."""


@dataclass(frozen=True)
class Param:
    """A declared parameter: `# param NAME (TYPE): meaning (default: VALUE)`."""

    name: str
    type: str
    description: str
    default: str | None


@dataclass(frozen=True)
class NamedQuery:
    """One question: its name (the file stem), one-line description, parameters and SPARQL text."""

    name: str
    description: str
    params: tuple[Param, ...]
    text: str
    path: Path | None = None


# How a parameter value becomes an RDF term: (namespace, id prefix, id grammar kind) per IRI type.
_IRI_TYPES: dict[str, tuple[str, str, str]] = {
    "concept": (str(CONCEPT), "", "concept"),
    "paper": (str(PAPER), "", "paper"),
    "person": (str(PERSON), "", "person"),
    "method": (str(METHOD), "", "method"),
    "dataset": (str(DATASET), "", "dataset"),
    "model": (str(MODEL), "", "model"),
    "kind": (str(FACET), "kind-", "facet"),
    "role": (str(FACET), "role-", "facet"),
    "access": (str(FACET), "access-", "facet"),
}
PARAM_TYPES = tuple(_IRI_TYPES) + ("resource", "text", "integer")
_IRI_SAFE = re.compile(r"https?://[^\s<>\"{}|\\^`]+")

_HEADER = re.compile(r"^#\s*(name|description|param)\b\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*\((\w+)\)\s*:\s*(.*?)\s*(?:\(default:\s*([^()]*)\))?\s*$")


def parse_header(text: str, where: str = "<query>") -> tuple[str | None, str, tuple[Param, ...]]:
    """Read the leading comment block: `# name:`, `# description:` and `# param` lines."""
    name, description, params = None, "", []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, rest = m.group(1), m.group(2).lstrip(":").strip()
        if key == "name":
            name = rest
        elif key == "description":
            description = rest
        else:
            pm = _PARAM.match(rest)
            if not pm or pm.group(2) not in PARAM_TYPES:
                raise QueryError(
                    f"{where}:{lineno}: bad param line; write `# param NAME (TYPE): meaning "
                    f"(default: VALUE)` with TYPE one of {', '.join(PARAM_TYPES)}"
                )
            default = pm.group(4).strip() if pm.group(4) is not None else None
            if default in ('""', "''"):
                default = ""
            elif default == "all" and pm.group(2) != "text":
                default = None  # unbound: the query answers for every value
            params.append(Param(pm.group(1), pm.group(2), pm.group(3), default))
    return name, description, tuple(params)


def load_query(path: Path) -> NamedQuery:
    """Read one .rq file into a NamedQuery."""
    text = path.read_text(encoding="utf-8")
    name, description, params = parse_header(text, str(path))
    if name is not None and name != path.stem:
        raise QueryError(f"{path}:1: `# name: {name}` differs from the file name; make them equal")
    return NamedQuery(path.stem, description, params, text, path)


@lru_cache(maxsize=1)
def _all_queries(query_dir: str) -> tuple[NamedQuery, ...]:
    return tuple(load_query(p) for p in sorted(Path(query_dir).glob("*.rq")))


def list_queries(query_dir: Path | None = None) -> list[NamedQuery]:
    """Every named query, sorted by name."""
    return list(_all_queries(str(query_dir or QUERY_DIR)))


def get_query(name: str, query_dir: Path | None = None) -> NamedQuery:
    """The named query `name`; a QueryError says how to list the names."""
    for q in list_queries(query_dir):
        if q.name == name:
            return q
    raise QueryError(f"unknown query {name!r}; run `kb query --list` to see the names")


def _param_value(param: Param, value: Any) -> tuple[str, str, str | None]:
    """(kind, lexical form, datatype) for a parameter value, validated against its type."""
    text = str(value).strip()
    if param.type == "text":
        return "literal", str(value), None
    if param.type == "integer":
        try:
            return "literal", str(int(text)), XSD + "integer"
        except ValueError:
            raise QueryError(f"--param {param.name}={value!r}: not an integer") from None
    if param.type == "resource":
        prefix_name, _, local = text.partition(":")
        iri = str(NAMESPACES[prefix_name]) + local if prefix_name in NAMESPACES else text
        if not _IRI_SAFE.fullmatch(iri):
            raise QueryError(
                f"--param {param.name}={value!r}: not an IRI or a CURIE like paper:zou2023universal"
            )
        return "iri", iri, None
    base, prefix, kind = _IRI_TYPES[param.type]
    ident = text.removeprefix(base)
    if ":" in ident and ident.split(":", 1)[0] in NAMESPACES:
        ident = ident.split(":", 1)[1]  # accept a CURIE such as concept:llm
    if prefix and not ident.startswith(prefix):
        ident = prefix + ident
    if not valid_id(kind, ident):
        raise QueryError(
            f"--param {param.name}={value!r}: not a {param.type} id "
            f"(e.g. {param.default or 'see docs/queries.md'})"
        )
    return "iri", base + ident, None


def bind_params(
    query: NamedQuery, params: dict[str, Any] | None
) -> dict[str, tuple[str, str, str | None]]:
    """Check names and types, add defaults; the result maps variable name to a term description."""
    params = dict(params or {})
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise QueryError(
            f"query {query.name!r} has no parameter {unknown[0]!r} (its parameters: {names})"
        )
    bound = {}
    for p in query.params:
        value = params.get(p.name, p.default)
        if value is None or (value == "" and p.type != "text"):
            continue  # unbound: the query answers for every value
        bound[p.name] = _param_value(p, value)
    return bound


def projected_variables(text: str) -> list[str]:
    """The variables of the outer SELECT clause (parameters must be among them for oxigraph)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    m = re.search(
        r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\bWHERE\b",
        body,
        re.DOTALL | re.IGNORECASE,
    )
    if not m:
        return []
    clause = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\bAS\s+\?(\w+)\s*\)", r"?\1", m.group(1))
    return re.findall(r"\?(\w+)", clause)
