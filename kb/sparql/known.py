"""Parameter values that name nothing: an error naming the nearest valid values (rapidfuzz).

A typo such as `-p kind=jailbrake` is a well-formed id, so the query would silently answer with no
rows; `check_values` turns it into one line that says what was meant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from kb.sparql.engine import run_text
from kb.sparql.library import _IRI_TYPES, QueryError, bind_params, get_query

_HERE = Path(__file__).parent
_EXISTS = (_HERE / "id-exists.rq").read_text(encoding="utf-8")
_KNOWN = (_HERE / "known-ids.rq").read_text(encoding="utf-8")


def known_values(
    param_type: str, engine: str = "oxigraph", data_dir: Path | None = None, source: Any = None
) -> list[str]:
    """Every value a parameter of this type can take in the graph (ids without their prefix)."""
    base, prefix, _ = _IRI_TYPES[param_type]
    rows = run_text(
        _KNOWN,
        {"prefix": base + prefix},
        engine=engine,
        data_dir=data_dir,
        source=source,
        compact_iris=False,
        where="kb/sparql/known-ids.rq",
    )
    start = len(base + prefix)
    return sorted({str(r["iri"])[start:] for r in rows if "/" not in str(r["iri"])[start:]})


def check_values(
    name: str,
    params: dict[str, Any] | None,
    engine: str = "oxigraph",
    data_dir: Path | None = None,
    source: Any = None,
) -> None:
    """Raise a QueryError for a given parameter value whose IRI is nowhere in the graph."""
    query = get_query(name)
    given = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    bound = bind_params(query, given)
    types = {p.name: p.type for p in query.params}
    for key in given:
        kind, iri, _ = bound[key]
        if kind != "iri" or types[key] not in _IRI_TYPES:
            continue
        found = run_text(
            _EXISTS,
            {"iri": iri},
            engine=engine,
            data_dir=data_dir,
            source=source,
            where="kb/sparql/id-exists.rq",
        )
        if found and found[0].get("ask"):
            continue
        known = known_values(types[key], engine, data_dir, source)
        value = str(given[key])
        near = [m[0] for m in process.extract(value, known, scorer=fuzz.ratio, limit=3)] if known else []
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise QueryError(
            f"--param {key}={value!r} names no {types[key]} in the knowledge base{hint} "
            f"(`kb query {name} --show` shows what the parameter means)"
        )
