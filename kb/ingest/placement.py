"""Placements (CONTRACTS §1): a paper in a concept, how (survey, list, predicted) and from which source.

Every importer places papers through `placement_triples`, so the graph can tell, for each placement,
whether the survey made it, the second list's labels through the mapping, or a classifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS, XSD

from kb.vocab import CONCEPT, FACET, HOW_SCHEME, KB, PAPER, PLACEMENT, SOURCE

SURVEY_SOURCE = SOURCE["survey-v6"]
LIST_SOURCE = SOURCE["awesome-lm-ssp"]
CLASSIFIER_SOURCE = SOURCE["kb-classifier"]
HOW = {
    "survey": ("how-survey", "from the survey", "Placed by the survey's own tables, text or paper list."),
    "list": ("how-list", "from the list's labels",
             "Placed by a paper list's category and badges through the reviewed mapping."),
    "predicted": ("how-predicted", "predicted", "Placed by the classifier, with its score; not asserted by a source."),
}


def how_facets() -> Iterator[tuple]:
    """The scheme and the three facets of `kb:how`."""
    yield (HOW_SCHEME, RDF.type, SKOS.ConceptScheme)
    yield (HOW_SCHEME, SKOS.prefLabel, Literal("How a placement was made", lang="en"))
    for fid, label, comment in HOW.values():
        f = FACET[fid]
        yield (f, RDF.type, SKOS.Concept)
        yield (f, SKOS.inScheme, HOW_SCHEME)
        yield (f, SKOS.topConceptOf, HOW_SCHEME)
        yield (f, SKOS.prefLabel, Literal(label, lang="en"))
        yield (f, SKOS.definition, Literal(comment, lang="en"))


def placement_iri(pid: str, cid: str) -> URIRef:
    return PLACEMENT[f"{pid}--{cid}"]


def placement_triples(pid: str, cid: str, how: str, source: URIRef, score: float | None = None) -> Iterator[tuple]:
    """The subject triple and the placement node of one placement."""
    if how not in HOW:
        raise ValueError(f"how must be one of {', '.join(HOW)}")
    p, c, node = PAPER[pid], CONCEPT[cid], placement_iri(pid, cid)
    yield (p, DCTERMS.subject, c)
    yield (node, RDF.type, KB.Placement)
    yield (node, KB.paper, p)
    yield (node, KB.concept, c)
    yield (node, KB.how, FACET[HOW[how][0]])
    yield (node, PROV.wasDerivedFrom, source)
    if how == "predicted" and score is not None:
        yield (node, KB.score, Literal(Decimal(f"{score:.4f}"), datatype=XSD.decimal))
