"""Content negotiation and serialisation of SPARQL results, with a row cap and a deadline."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# name -> media type written in Content-Type; the first of each kind is the default.
TABLE_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
}
RDF_FORMAT = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
BOOLEAN_FORMAT = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
# Accepted media types (and `format=` short names) for each result kind.
TABLE_ALIASES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "text/javascript": "json",
    "application/javascript": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    **{name: name for name in TABLE_FORMATS},
}
GRAPH_ALIASES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "ttl": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "json-ld": "jsonld",
    "json": "jsonld",
    **{name: name for name in GRAPH_FORMATS},
}


class Deadline(Exception):
    """The query ran past its time limit while results were being read."""


class TooLarge(Exception):
    """The answer would be larger than the response limit."""


def _term_size(t) -> int:
    if t is None:
        return 0
    value = getattr(t, "value", None)
    if isinstance(value, str):
        return len(value) + 16  # markup around each value in any format
    return sum(_term_size(x) for x in t)  # a triple: its three terms


def _accept_list(accept: str) -> list[str]:
    """Media ranges of an Accept header, best first (stable for equal q)."""
    ranked = []
    for i, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, fields[0].lower()))
    return [m for _, _, m in sorted(ranked)]


def negotiate(kind: str, accept: str | None, fmt: str | None) -> str | None:
    """The format name for a result kind ('table' or 'graph'), or None when nothing acceptable."""
    aliases = GRAPH_ALIASES if kind == "graph" else TABLE_ALIASES
    default = "turtle" if kind == "graph" else "json"
    if fmt:
        return aliases.get(fmt.strip().lower())
    if not accept:
        return default
    for media in _accept_list(accept):
        if media in aliases:
            return aliases[media]
        if media in ("*/*", "application/*", "text/*"):
            return default
    return None


def media_type(name: str) -> str:
    """The Content-Type of a format name."""
    return TABLE_FORMATS.get(name) or GRAPH_FORMATS[name]


def _capped(
    items: Iterable, max_rows: int, deadline: float, max_bytes: int | None = None
) -> tuple[list, bool]:
    """Read up to max_rows items, checking the deadline and the answer's size per row; return
    (items, truncated). TooLarge once the values read add up to more than max_bytes."""
    out: list = []
    size = 0
    it: Iterator = iter(items)
    for item in it:
        if time.monotonic() > deadline:
            raise Deadline()
        if len(out) == max_rows:
            return out, True
        if max_bytes is not None:
            size += _term_size(item)
            if size > max_bytes:
                raise TooLarge()
        out.append(item)
    return out, False


def _json_term(t) -> dict:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        d = {"type": "literal", "value": t.value}
        if t.language:
            d["xml:lang"] = t.language
        elif t.datatype.value != XSD_STRING:
            d["datatype"] = t.datatype.value
        return d
    return {  # an RDF-star triple term
        "type": "triple",
        "value": {k: _json_term(getattr(t, k)) for k in ("subject", "predicate", "object")},
    }


def _xml_term(t) -> str:
    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if isinstance(t, ox.Literal):
        if t.language:
            return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
        if t.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
        return f"<literal>{escape(t.value)}</literal>"
    parts = "".join(
        f"<{k}>{_xml_term(getattr(t, k))}</{k}>" for k in ("subject", "predicate", "object")
    )
    return f"<triple>{parts}</triple>"


def _csv_term(t) -> str:
    if t is None:
        return ""
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    if isinstance(t, (ox.NamedNode, ox.Literal)):
        return t.value
    return str(t)


def write_table(names: list[str], rows: list, fmt: str) -> bytes:
    """SELECT solutions in one of the W3C result formats (JSON, XML, CSV, TSV)."""
    if fmt == "json":
        bindings = [{n: _json_term(row[n]) for n in names if row[n] is not None} for row in rows]
        doc = {"head": {"vars": names}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(names)
        w.writerows([_csv_term(row[n]) for n in names] for row in rows)
        return buf.getvalue().encode()
    if fmt == "tsv":
        # str() of a pyoxigraph term is its N-Triples form, which is what TSV results use
        lines = ["\t".join("?" + n for n in names)]
        lines += ["\t".join("" if row[n] is None else str(row[n]) for n in names) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
    body = "".join(
        "<result>"
        + "".join(
            f"<binding name={quoteattr(n)}>{_xml_term(row[n])}</binding>"
            for n in names
            if row[n] is not None
        )
        + "</result>"
        for row in rows
    )
    return (
        '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
        f"<head>{head}</head><results>{body}</results></sparql>"
    ).encode()


def serialise(
    result,
    fmt: str,
    max_rows: int,
    deadline: float,
    prefixes: dict[str, str],
    max_bytes: int | None = None,
):
    """(body, truncated) for a pyoxigraph query result in the chosen format; TooLarge when the
    answer would exceed max_bytes (checked while reading rows, and on the finished body)."""
    if isinstance(result, ox.QueryBoolean):
        return result.serialize(format=BOOLEAN_FORMAT[fmt]), False
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows, truncated = _capped(result, max_rows, deadline, max_bytes)
        body = write_table(names, rows, fmt)
    else:
        triples, truncated = _capped(result, max_rows, deadline, max_bytes)
        used = prefixes if fmt == "turtle" else None
        body = ox.serialize(triples, format=RDF_FORMAT[fmt], prefixes=used) or b""
    if max_bytes is not None and len(body) > max_bytes:
        raise TooLarge()
    return body, truncated


def kind_of(result) -> str:
    """'graph' for CONSTRUCT/DESCRIBE results, else 'table' (SELECT and ASK)."""
    return "graph" if isinstance(result, ox.QueryTriples) else "table"
