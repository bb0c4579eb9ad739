"""Running a query on pyoxigraph or rdflib with bound parameters; rows as plain Python values."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import pyoxigraph as ox

from kb import graph as kbgraph
from kb.sparql.library import (
    XSD,
    NamedQuery,
    QueryError,
    bind_params,
    get_query,
    parse_header,
)
from kb.sparql.store import DEFAULT_ENGINE, oxigraph_store
from kb.vocab import NAMESPACES

ENGINES = ("oxigraph", "rdflib")
_INT_TYPES = {
    XSD + t
    for t in (
        "integer",
        "int",
        "long",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "gYear",
    )
}
_FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}

# Result IRIs in a known namespace become CURIEs (concept:llm); longest namespace first.
_PREFIX_OF = {str(ns): p for p, ns in NAMESPACES.items()}


class Rows(list):
    """Result rows (plain dicts, in query order) that know their column names even when empty."""

    def __init__(self, rows=(), columns=()):
        super().__init__(rows)
        self.columns = list(columns)


def _ox_term(kind: str, lexical: str, datatype: str | None) -> ox.NamedNode | ox.Literal:
    if kind == "iri":
        return ox.NamedNode(lexical)
    return ox.Literal(lexical, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(lexical)


def _rdflib_term(kind: str, lexical: str, datatype: str | None):
    import rdflib

    if kind == "iri":
        return rdflib.URIRef(lexical)
    return rdflib.Literal(lexical, datatype=rdflib.URIRef(datatype) if datatype else None)


@lru_cache(maxsize=65536)
def compact(iri: str) -> str:
    """`concept:llm` for an IRI in one of the known namespaces, else the IRI unchanged."""
    # every namespace ends in / or #, so the candidates are the IRI up to its last / or #
    for cut in sorted((iri.rfind("#"), iri.rfind("/")), reverse=True):
        prefix = _PREFIX_OF.get(iri[: cut + 1]) if cut >= 0 else None
        if prefix:
            return f"{prefix}:{iri[cut + 1 :]}"
    return iri


def _python_value(lexical: str, datatype: str | None, is_iri: bool, compact_iris: bool) -> Any:
    if is_iri:
        return compact(lexical) if compact_iris else lexical
    if datatype in _INT_TYPES:
        try:
            return int(lexical)
        except ValueError:
            return lexical
    if datatype in _FLOAT_TYPES:
        try:
            return round(float(Decimal(lexical)), 6)
        except ArithmeticError:
            return lexical
    if datatype == XSD + "boolean":
        return lexical in ("true", "1")
    return lexical


_IRIREF = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_WHERE = re.compile(r"WHERE\b", re.IGNORECASE)


def _outer_group_start(text: str) -> int | None:
    """Index just after the `{` opening the outer WHERE group (skips comments, IRIs, strings)."""
    i, n, seen_where = 0, len(text), False
    while i < n:
        c = text[i]
        if c == "#":
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif c == "<" and (m := _IRIREF.match(text, i)):
            i = m.end()
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            i = j + len(quote)
        elif not seen_where and _WHERE.match(text, i) and (i == 0 or not text[i - 1].isalnum()):
            seen_where, i = True, i + 5
        elif c == "{":
            return i + 1 if seen_where else None
        else:
            i += 1
    return None


def with_values(text: str, terms: dict[str, str]) -> str | None:
    """The query with `VALUES (?a ?b) { (t1 t2) }` opening its WHERE group; None if it has none.

    `terms` are serialised RDF terms (N-Triples syntax from pyoxigraph), so a value is one term.
    """
    pos = _outer_group_start(text)
    if pos is None:
        return None
    names = " ".join(f"?{k}" for k in terms)
    row = " ".join(terms.values())
    return f"{text[:pos]}\n  VALUES ({names}) {{ ({row}) }}{text[pos:]}"


def _one_line(exc: Exception, limit: int = 160) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _run_oxigraph(text: str, bound: dict, source: Any, compact_iris: bool, where: str) -> Rows:
    store = source if isinstance(source, ox.Store) else oxigraph_store(source)
    terms = {k: _ox_term(*v) for k, v in bound.items()}
    injected = with_values(text, {k: str(t) for k, t in terms.items()}) if terms else text
    # pyoxigraph's own substitutions are correct but not pushed into the plan (20 ms instead of
    # 0.5 ms on papers-under-concept); a VALUES block opening the WHERE group is.
    subs: dict[ox.Variable, Any] = (
        {ox.Variable(k): t for k, t in terms.items()} if injected is None else {}
    )
    try:
        result = store.query(injected or text, substitutions=subs)
    except SyntaxError as exc:
        raise QueryError(f"{where}: invalid SPARQL ({_one_line(exc)})") from None
    except (OSError, ValueError) as exc:
        raise QueryError(f"{where}: query failed ({_one_line(exc)})") from None
    if isinstance(result, ox.QueryBoolean):
        return Rows([{"ask": bool(result)}], ["ask"])
    if isinstance(result, ox.QueryTriples):
        rows = [{"s": t.subject, "p": t.predicate, "o": t.object} for t in result]
        names = ["s", "p", "o"]
    else:
        names = [v.value for v in result.variables]
        rows = [{n: sol[n] for n in names} for sol in result]

    def conv(term: Any) -> Any:
        if term is None:
            return None
        if isinstance(term, ox.Literal):
            return _python_value(term.value, term.datatype.value, False, compact_iris)
        if isinstance(term, ox.NamedNode):
            return _python_value(term.value, None, True, compact_iris)
        return str(term)

    return Rows(({n: conv(r[n]) for n in names} for r in rows), names)


def _run_rdflib(text: str, bound: dict, source: Any, compact_iris: bool, where: str) -> Rows:
    import rdflib

    graph = source if isinstance(source, rdflib.Graph) else kbgraph.load_graph(source)
    init: dict[str, Any] = {k: _rdflib_term(*v) for k, v in bound.items()}
    try:
        result = graph.query(text, initBindings=init)
    except Exception as exc:  # rdflib raises pyparsing and assorted errors for bad queries
        raise QueryError(f"{where}: invalid SPARQL or query failed ({_one_line(exc)})") from None
    if result.type == "ASK":
        return Rows([{"ask": bool(result.askAnswer)}], ["ask"])
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        names = ["s", "p", "o"]
        raw = [dict(zip(names, cast(tuple, t), strict=True)) for t in result]
    else:
        names = [str(v) for v in result.vars or []]
        raw = [{n: cast(tuple, row)[i] for i, n in enumerate(names)} for row in result]

    def conv(term: Any) -> Any:
        if term is None:
            return None
        if isinstance(term, rdflib.Literal):
            dt = str(term.datatype) if term.datatype else None
            if dt is None and term.language is None:
                dt = XSD + "string"
            return _python_value(str(term), dt, False, compact_iris)
        if isinstance(term, rdflib.URIRef):
            return _python_value(str(term), None, True, compact_iris)
        return str(term)

    return Rows(({n: conv(r[n]) for n in names} for r in raw), names)


def run_text(
    text: str,
    params: dict[str, Any] | None = None,
    engine: str = DEFAULT_ENGINE,
    data_dir: Path | None = None,
    *,
    source: Any = None,
    compact_iris: bool = True,
    where: str = "<query>",
) -> Rows:
    """Run SPARQL text; params bind the `# param` variables its header declares, as values.

    `source` may be an rdflib.Graph or pyoxigraph.Store to query instead of the data folder's graph.
    """
    _, description, declared = parse_header(text, where)
    query = NamedQuery(Path(where).stem, description, declared, text)
    return _run(query, params, engine, data_dir, source, compact_iris, where)


def run_named(
    name: str,
    params: dict[str, Any] | None = None,
    engine: str = DEFAULT_ENGINE,
    data_dir: Path | None = None,
    *,
    source: Any = None,
    compact_iris: bool = True,
) -> Rows:
    """Run the named query `name` with `params` (name -> value; missing ones take their default)."""
    query = get_query(name)
    return _run(query, params, engine, data_dir, source, compact_iris, str(query.path or name))


def _run(query: NamedQuery, params, engine, data_dir, source, compact_iris, where) -> Rows:
    if engine not in ENGINES:
        raise QueryError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if source is not None:  # a given graph or store decides the engine
        engine = "oxigraph" if isinstance(source, ox.Store) else "rdflib"
    bound = bind_params(query, params)
    src = source if source is not None else data_dir
    runner = _run_oxigraph if engine == "oxigraph" else _run_rdflib
    return runner(query.text, bound, src, compact_iris, where)
