"""Named SPARQL questions (kb/queries/*.rq): list them, bind parameters as values, run them."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import click
import pyoxigraph as ox

from kb import graph as kbgraph
from kb.vocab import CONCEPT, DATASET, FACET, METHOD, MODEL, NAMESPACES, PAPER, PERSON, valid_id

QUERY_DIR = Path(__file__).resolve().parent / "queries"
ENGINES = ("oxigraph", "rdflib")
DEFAULT_ENGINE = "oxigraph"

XSD = "http://www.w3.org/2001/XMLSchema#"
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


class QueryError(click.ClickException):
    """A bad query name, parameter or query text: one line saying what to do."""


class Rows(list):
    """Result rows (plain dicts, in query order) that know their column names even when empty."""

    def __init__(self, rows=(), columns=()):
        super().__init__(rows)
        self.columns = list(columns)


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
    ident = text[len(base) :] if text.startswith(base) else text
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


CACHE_ENV = "KB_STORE_CACHE"  # "0" turns the on-disk store cache off; a path moves it


def cache_root() -> Path | None:
    """Where on-disk stores are kept: build/oxigraph/ beside data/, or $KB_STORE_CACHE."""
    env = os.environ.get(CACHE_ENV)
    if env == "0":
        return None
    return Path(env) if env else Path(__file__).resolve().parent.parent / "build" / "oxigraph"


def _build_disk_store(path: Path, target: Path) -> None:
    """Parse the Turtle once into a RocksDB store at `target` (built aside, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    try:
        store = ox.Store(str(tmp / "db"))
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        store.flush()
        del store
        os.replace(tmp, target)  # atomic; fails if another process got there first
    except SyntaxError:
        shutil.rmtree(tmp, ignore_errors=True)
        kbgraph.load_store(path.parent)  # raises the loader's one-line error for bad Turtle
        raise
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    # keep the three newest stores; older ones belong to earlier versions of the file
    olds = sorted(
        (p for p in target.parent.iterdir() if not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )[3:]
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)


def disk_store(path: Path) -> ox.Store | None:
    """A read-only on-disk store of the Turtle file, keyed by its SHA-256; None if unavailable.

    Opening it takes ~20 ms where parsing the Turtle again takes ~70 ms of CPU today and grows
    with the graph (about 1.3 s at 10k papers), so `kb query` stays well under a second.
    """
    root = cache_root()
    if root is None:
        return None
    target = root / hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    try:
        if not target.exists():
            _build_disk_store(path, target)
        return ox.Store.read_only(str(target / "db"))
    except OSError:
        return None  # read-only checkout, full disk, ...: fall back to memory


@lru_cache(maxsize=4)
def _oxigraph_store(path: str, mtime: float, size: int) -> ox.Store:
    return disk_store(Path(path)) or kbgraph.load_store(Path(path).parent)


def oxigraph_store(data_dir: Path | None = None) -> ox.Store:
    """The graph in pyoxigraph: the on-disk cache when possible, else parsed into memory."""
    path = kbgraph.taxonomy_path(data_dir)
    if not path.exists():
        kbgraph.load_store(data_dir)  # raises the loader's one-line error
    stat = path.stat()
    return _oxigraph_store(str(path), stat.st_mtime, stat.st_size)


def load_file(path: Path, engine: str = DEFAULT_ENGINE) -> Any:
    """Any Turtle file as a `source` for run_named/run_text (pyoxigraph Store or rdflib Graph)."""
    if engine == "rdflib":
        return kbgraph.parse_turtle(Path(path))
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
    except (SyntaxError, OSError) as exc:
        raise QueryError(f"{path}: cannot load Turtle ({exc})") from None
    return store


_IRIREF = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_WHERE = re.compile(r"WHERE\b", re.I)


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


def projected_variables(text: str) -> list[str]:
    """The variables of the outer SELECT clause (parameters must be among them for oxigraph)."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    m = re.search(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\bWHERE\b", body, re.S | re.I)
    if not m:
        return []
    clause = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\bAS\s+\?(\w+)\s*\)", r"?\1", m.group(1))
    return re.findall(r"\?(\w+)", clause)


DOCS_BEGIN = "<!-- BEGIN generated by `python -m kb.sparql` -->"
DOCS_END = "<!-- END generated -->"


def reference_markdown() -> str:
    """The reference part of docs/queries.md: every query with its description and parameters."""
    out = []
    for q in list_queries():
        out += [f"### `{q.name}`", "", q.description, ""]
        for p in q.params:
            shown = p.default or '""'
            default = "unset (every value)" if p.default is None else f"`{shown}`"
            out.append(f"- `{p.name}` ({p.type}): {p.description}; default {default}")
        if q.params:
            out.append("")
        example = " ".join(f"-p {p.name}={p.default}" for p in q.params if p.default)
        out += [
            f"`kb query {q.name}{' ' + example if example else ''}` · [{q.name}.rq]"
            f"(../kb/queries/{q.name}.rq)",
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"


def write_docs(path: Path) -> None:
    """Rewrite the generated part of docs/queries.md in place (atomically)."""
    import os
    import tempfile

    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(DOCS_BEGIN)
    _, _, tail = rest.partition(DOCS_END)
    new = f"{head}{DOCS_BEGIN}\n\n{reference_markdown()}\n{DOCS_END}{tail}"
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new)
    os.replace(tmp, path)


if __name__ == "__main__":
    write_docs(Path(__file__).resolve().parent.parent / "docs" / "queries.md")
