"""`kb check`: SHACL shapes, SPARQL violation queries and cross-file rules over the curated data.

Every rule yields Violation(rule, resource, message); no violations means the data holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import cast

import rdflib
from rdflib.namespace import DCTERMS, RDF

from kb.bib import read_bib
from kb.graph import DataError, bib_path, parse_turtle, taxonomy_path
from kb.papers import normalise_title
from kb.vocab import BASE, BIBO, KB, split_iri, valid_id

CHECKS_PACKAGE = "kb.checks"


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule at one resource."""

    rule: str
    resource: str
    message: str


def _short(iri: str) -> str:
    parts = split_iri(iri)
    return f"{parts[0]}:{parts[1]}" if parts else iri


def violation_queries() -> dict[str, str]:
    """The rule name and text of every .rq violation query, sorted by name."""
    folder = resources.files(CHECKS_PACKAGE)
    return {
        p.name[:-3]: p.read_text(encoding="utf-8")
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".rq")
    }


def check_sparql(g: rdflib.Graph) -> Iterator[Violation]:
    """Run each violation query; every row is a violation."""
    for rule, text in violation_queries().items():
        for row in g.query(text):
            resource, message = cast(tuple, row)
            yield Violation(rule, _short(str(resource)), str(message))


def check_shacl(g: rdflib.Graph) -> Iterator[Violation]:
    """Validate against kb/checks/shapes.ttl with pyshacl."""
    import pyshacl

    shapes = rdflib.Graph().parse(
        data=resources.files(CHECKS_PACKAGE).joinpath("shapes.ttl").read_text(encoding="utf-8"),
        format="turtle",
    )
    conforms, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none", allow_warnings=True)
    if conforms:
        return
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        message = str(report.value(result, SH.resultMessage) or "shape violated")
        rule, _, text = message.partition(": ")
        yield Violation(rule if text else "shacl", _short(str(focus)), text or message)


def check_ids(g: rdflib.Graph) -> Iterator[Violation]:
    """Every IRI we mint follows the written ID grammar (kb.vocab.ID_GRAMMAR)."""
    seen: set[str] = set()
    for node in set(g.subjects()) | set(g.objects()):
        iri = str(node)
        if not isinstance(node, rdflib.URIRef) or not iri.startswith(BASE) or iri in seen:
            continue
        seen.add(iri)
        parts = split_iri(iri)
        if parts and not valid_id(*parts):
            yield Violation("id-grammar", iri, f"{parts[0]} id '{parts[1]}' does not follow the ID grammar")


def check_titles(g: rdflib.Graph) -> Iterator[Violation]:
    """No two papers share a normalised title (case, accents and punctuation ignored)."""
    by_title: dict[str, list[str]] = defaultdict(list)
    for paper in g.subjects(RDF.type, BIBO.AcademicArticle):
        for title in g.objects(paper, DCTERMS.title):
            by_title[normalise_title(str(title))].append(_short(str(paper)))
    for papers in by_title.values():
        if len(papers) > 1:
            for p in sorted(papers):
                others = ", ".join(o for o in sorted(papers) if o != p)
                yield Violation("duplicate-title", p, f"has the same title as {others}")


def check_bib(g: rdflib.Graph, bib_file: Path) -> Iterator[Violation]:
    """Every paper has a bib entry with its ID as key, and every bib entry has a paper."""
    keys = {e.key for e in read_bib(bib_file).entries}
    papers = {str(p).rsplit("/", 1)[-1] for p in g.subjects(RDF.type, BIBO.AcademicArticle)}
    for pid in sorted(papers - keys):
        yield Violation("paper-bib", f"paper:{pid}", f"has no entry in {bib_file.name}; run `kb fmt` after adding it")
    for key in sorted(keys - papers):
        yield Violation("bib-paper", f"bib:{key}", "bib entry has no paper in the graph")


def check_implementations(g: rdflib.Graph) -> Iterator[Violation]:
    """Registered reference implementations and kb:Implementation resources match one to one."""
    try:
        from kb.reference import registry
    except ImportError:
        return
    registered = {meta.name for meta in registry()}
    in_graph = {str(i).rsplit("/", 1)[-1] for i in g.subjects(RDF.type, KB.Implementation)}
    for name in sorted(registered - in_graph):
        yield Violation(
            "implementation-graph", f"impl:{name}", "is registered but not in the graph; rerun the importer"
        )
    for name in sorted(in_graph - registered):
        yield Violation("implementation-registry", f"impl:{name}", "is in the graph but not registered in kb.reference")


def check_list_mapping(g: rdflib.Graph) -> Iterator[Violation]:
    """The reviewed list mapping covers every (category file, badge) combination of the graph's list
    papers, and names only areas and topics that exist."""
    from kb.graph import DataError
    from kb.ingest.lm_ssp import MODEL_BADGES
    from kb.ingest.mapping import DEFAULT_PATH, Mapping

    papers = set(g.subjects(KB.listCategory, None))
    if not papers:
        return
    where = f"file:{DEFAULT_PATH.relative_to(DEFAULT_PATH.parent.parent)}"
    try:
        mapping = Mapping()
    except DataError as exc:
        yield Violation("list-mapping", where, exc.message)
        return
    combos: dict[tuple[str, str], str] = {}
    for p in sorted(papers, key=str):
        badges = {str(b) for b in g.objects(p, KB.badge)}
        models = badges & MODEL_BADGES
        for cat in sorted(str(c) for c in g.objects(p, KB.listCategory)):
            for key in mapping.keys_of(cat, models, badges - models):
                combos.setdefault((cat, key), _short(str(p)))
    for cat, key in mapping.unmapped(combos):
        yield Violation("list-mapping", combos[(cat, key)],
                        f"category '{cat}' with badge '{key}' is not in the mapping; map it or leave it out")
    from kb.vocab import CONCEPT

    for cid in sorted(mapping.areas()) + sorted(f"topic.{t}" for t in mapping.topics):
        if (CONCEPT[cid], RDF.type, None) not in g:
            yield Violation("list-mapping", where, f"names concept {cid}, which is not in the graph")


RULES: list[tuple[str, Callable[..., Iterator[Violation]]]] = [
    ("shapes", check_shacl),
    ("sparql", check_sparql),
    ("ids", check_ids),
    ("titles", check_titles),
    ("implementations", check_implementations),
    ("list mapping", check_list_mapping),
]


def run_checks(
    data_dir: Path | None = None, progress: Callable[[str], None] | None = None, skip: frozenset[str] = frozenset()
) -> list[Violation]:
    """All rules (but those in skip) over the data folder's two files; returns sorted violations."""
    ttl = taxonomy_path(data_dir)
    if progress:
        progress(f"parsing {ttl}")
    g = parse_turtle(ttl)
    if len(g) == 0:  # every rule would fire on every bib entry; one line says what happened
        raise DataError(
            f"{ttl}: the graph is empty (no triples); restore the file (git checkout) or rerun the importer"
        )
    found: set[Violation] = set()
    for name, rule in RULES:
        if name in skip:
            continue
        if progress:
            progress(f"checking {name}")
        found.update(rule(g))
    if progress:
        progress("checking references.bib")
    found.update(check_bib(g, bib_path(data_dir)))
    return sorted(found)
