"""The knowledge base's vocabulary, IRIs and identifier grammar, defined once."""

from __future__ import annotations

import re
import unicodedata

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

BASE = "https://w3id.org/lmsafety/"

BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SCHEMA = Namespace("https://schema.org/")


class KB(DefinedNamespace):
    """Terms minted by this project; everything else reuses SKOS, DCTerms, BIBO, FaBiO, PROV, DCAT."""

    _fail = True
    _NS = Namespace(BASE + "vocab#")

    # classes
    ModelFamily: URIRef  # a model family (VFM, LLM, ...) or sub-model (ViT, SAM)
    ThreatType: URIRef  # a numbered attack/defense section of the survey
    Category: URIRef  # a Category cell of a summary table (threat model or defense subtask)
    Subcategory: URIRef  # a Subcategory cell: the technique
    Method: URIRef  # a named attack or defense method (one table row)
    Model: URIRef  # a model that a method targets or is evaluated against
    DefenseLink: URIRef  # a typed, annotated link from a defense area to an attack area
    Source: URIRef  # a place in a source document (table, figure, list section, web page)
    Implementation: URIRef  # an executable reference implementation shipped in kb.reference
    ThreatKind: URIRef
    Role: URIRef
    AccessLevel: URIRef

    # facets
    threatKind: URIRef
    role: URIRef
    accessLevel: URIRef
    modelFamily: URIRef

    # papers
    venue: URIRef
    arxivId: URIRef
    arxivEvidence: URIRef
    doiEvidence: URIRef
    codeEvidence: URIRef
    listedIn: URIRef
    possibleDuplicateOf: URIRef
    flag: URIRef
    needsReview: URIRef

    # methods
    proposedIn: URIRef
    subcategory: URIRef
    targetModel: URIRef
    evaluatedOn: URIRef
    surveyRef: URIRef
    sourceRow: URIRef
    roadmapCategory: URIRef
    roadmapSource: URIRef
    roadmapDisagrees: URIRef
    threatTypeUnverified: URIRef
    subcategoryUnverified: URIRef
    accessToLLMs: URIRef
    rawCell: URIRef
    tableYear: URIRef

    # datasets
    size: URIRef
    evaluates: URIRef
    introducedBy: URIRef
    timesUsed: URIRef
    evaluationFocus: URIRef
    group: URIRef

    # defense links
    answers: URIRef
    defense: URIRef
    attack: URIRef
    judgement: URIRef

    # sources
    locator: URIRef
    page: URIRef
    surveyVersion: URIRef
    section: URIRef
    order: URIRef
    listOnly: URIRef

    # placements and sources of papers (CONTRACTS §1)
    Placement: URIRef
    Topic: URIRef
    paper: URIRef
    concept: URIRef
    how: URIRef
    score: URIRef
    inSource: URIRef
    badge: URIRef
    listCategory: URIRef
    month: URIRef
    outsideSurvey: URIRef
    areaOpen: URIRef
    unplaced: URIRef
    tentative: URIRef
    sourceCommit: URIRef

    # implementations
    implements: URIRef
    modulePath: URIRef
    entryPoint: URIRef


# Where each kind of resource lives. IDs follow the grammar in ID_GRAMMAR.
CONCEPT = Namespace(BASE + "concept/")
PAPER = Namespace(BASE + "paper/")
PERSON = Namespace(BASE + "person/")
METHOD = Namespace(BASE + "method/")
DATASET = Namespace(BASE + "dataset/")
MODEL = Namespace(BASE + "model/")
SOURCE = Namespace(BASE + "source/")
LINK = Namespace(BASE + "link/")
IMPL = Namespace(BASE + "impl/")
FACET = Namespace(BASE + "facet/")
PLACEMENT = Namespace(BASE + "placement/")
SCHEME = Namespace(BASE + "scheme/")

TAXONOMY_SCHEME = SCHEME["taxonomy"]
KIND_SCHEME = SCHEME["threat-kind"]
ROLE_SCHEME = SCHEME["role"]
ACCESS_SCHEME = SCHEME["access-level"]
HOW_SCHEME = SCHEME["how"]
OUTSIDE_SCHEME = SCHEME["outside-survey"]

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
# The written grammar of every ID; `kb check` enforces it.
ID_GRAMMAR: dict[str, re.Pattern[str]] = {
    # family[.sub-model][.threat-type[.category[.subcategory]]], e.g. llm.jailbreak-attacks.black-box
    "concept": re.compile(rf"(?:vfm|llm|vlp|vlm|dm|agent)(?:\.{SLUG}){{0,4}}|topic\.{SLUG}"),
    # first author's surname + year + first title word, e.g. zou2023universal (b, c... on collision)
    "paper": re.compile(r"[a-z]+[0-9]{4}[a-z0-9]+"),
    # surname-givenname initials, e.g. zou-andy
    "person": re.compile(SLUG),
    # family + method name, e.g. llm-gcg
    "method": re.compile(rf"(?:vfm|llm|vlp|vlm|dm|agent)-{SLUG}"),
    "dataset": re.compile(SLUG),
    "model": re.compile(SLUG),
    "source": re.compile(SLUG),
    "link": re.compile(rf"{SLUG}--{SLUG}"),
    "impl": re.compile(SLUG),
    "facet": re.compile(rf"(?:kind|role|access|how)-{SLUG}"),
    # paper id + "--" + concept id, e.g. zou2023universal--llm.jailbreak-attacks
    "placement": re.compile(
        rf"[a-z]+[0-9]{{4}}[a-z0-9]+--(?:(?:vfm|llm|vlp|vlm|dm|agent)(?:\.{SLUG}){{0,4}}|topic\.{SLUG})"
    ),
}

NAMESPACES = {
    "kb": KB._NS,
    "concept": CONCEPT,
    "paper": PAPER,
    "person": PERSON,
    "method": METHOD,
    "dataset": DATASET,
    "model": MODEL,
    "source": SOURCE,
    "link": LINK,
    "impl": IMPL,
    "facet": FACET,
    "placement": PLACEMENT,
    "scheme": SCHEME,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "prov": PROV,
    "bibo": BIBO,
    "fabio": FABIO,
    "foaf": FOAF,
    "schema": SCHEMA,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
}

KIND_OF_PREFIX = {
    str(CONCEPT): "concept",
    str(PAPER): "paper",
    str(PERSON): "person",
    str(METHOD): "method",
    str(DATASET): "dataset",
    str(MODEL): "model",
    str(SOURCE): "source",
    str(LINK): "link",
    str(IMPL): "impl",
    str(FACET): "facet",
    str(PLACEMENT): "placement",
}

SPARQL_PREFIXES = "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in NAMESPACES.items()) + "\n"


def slugify(text: str) -> str:
    """Lower-case ASCII slug: letters and digits joined by single hyphens."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.replace("&", " and ").replace("+", " plus ")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def split_iri(iri: str) -> tuple[str, str] | None:
    """Return (kind, id) for one of our resource IRIs, or None."""
    for prefix, kind in KIND_OF_PREFIX.items():
        if iri.startswith(prefix):
            return kind, iri[len(prefix) :]
    return None


def valid_id(kind: str, ident: str) -> bool:
    """True when `ident` follows the grammar for resources of `kind`."""
    pattern = ID_GRAMMAR.get(kind)
    return bool(pattern and pattern.fullmatch(ident))


# Human documentation of every minted term, written into the graph by the importer.
TERM_DOCS: dict[str, tuple[str, str]] = {
    "Placement": (
        "placement",
        "One placement of a paper in a concept: how it was made (survey, list mapping, predicted) and by which source.",
    ),
    "Topic": ("topic", "A research topic of the field that the survey does not cover (scheme outside-survey)."),
    "paper": ("paper", "The paper a placement places."),
    "concept": ("concept", "The concept (area, topic, family) a placement places the paper in."),
    "how": ("how", "How a placement was made: facet:how-survey, facet:how-list or facet:how-predicted."),
    "score": ("score", "The classifier's score of a predicted placement."),
    "inSource": ("in source", "A source that lists the paper (source:survey-v6, source:awesome-lm-ssp, ...)."),
    "badge": ("badge", "A badge the second paper list gives the paper (model, comment or venue)."),
    "listCategory": ("list category", "The category file of the second paper list that holds the paper."),
    "month": ("month", "The year and month the second paper list gives (the arXiv month)."),
    "outsideSurvey": ("outside survey", "True on a topic that the survey does not cover."),
    "areaOpen": (
        "area open",
        "True on a paper whose list labels name its family but leave its area open (a classifier may place it).",
    ),
    "unplaced": (
        "unplaced",
        "Why a paper has no area: the survey has none consistent with its list labels, or (a paper from a "
        "BibTeX file, which gives no labels) the classifier's best area scored below the import's threshold.",
    ),
    "tentative": (
        "tentative",
        "True on a predicted placement whose score is below the import's threshold: the best of the areas the "
        "paper's list labels allow, but more often wrong than right; the paper's flag asks a curator to confirm it.",
    ),
    "sourceCommit": ("source commit", "The commit of the source repository the facts were read from."),
    "ModelFamily": (
        "model family",
        "A family of large models the survey treats on its own (or a sub-model such as ViT or SAM).",
    ),
    "ThreatType": (
        "threat type",
        "One attack or defense section of the survey for one model family, e.g. LLM jailbreak attacks.",
    ),
    "Category": (
        "category",
        "The first level below a threat type: a threat model (white-, gray-, black-box) or a defense subtask.",
    ),
    "Subcategory": ("subcategory", "The second level below a threat type: the technique a method uses."),
    "Method": ("method", "A named attack or defense from one row of the survey's summary tables."),
    "Model": ("model", "A model or system that a method attacks, defends or is evaluated on."),
    "DefenseLink": (
        "defense link",
        "An annotated statement that a defense area answers an attack area within one model family.",
    ),
    "Source": (
        "source",
        "A located part of a source document: a survey table or figure, a paper-list section or a web page.",
    ),
    "Implementation": (
        "implementation",
        "An executable reference implementation of a method, shipped in the kb.reference package.",
    ),
    "ThreatKind": (
        "threat kind",
        "A kind of threat that cuts across model families, e.g. jailbreak or backdoor/poisoning.",
    ),
    "Role": ("role", "Whether an area or method attacks, defends, aligns or evaluates."),
    "AccessLevel": ("access level", "How much of the model an attacker is assumed to see: white-, gray- or black-box."),
    "threatKind": ("threat kind", "The cross-family threat kind of a concept or method."),
    "role": ("role", "The role (attack, defense, alignment, evaluation) of a concept or method."),
    "accessLevel": ("access level", "The access level a category states, inherited by its subcategories and methods."),
    "modelFamily": ("model family", "The model family (top concept) a concept, method or dataset belongs to."),
    "venue": (
        "venue",
        "Where the paper appeared, as the paper list writes it (conference, journal or preprint server).",
    ),
    "arxivId": ("arXiv id", "The paper's arXiv identifier without version, e.g. 2307.15043."),
    "arxivEvidence": (
        "arXiv id evidence",
        "The page on which the arXiv id was seen, when it came from the enrichment file.",
    ),
    "doiEvidence": ("DOI evidence", "The page on which the DOI was seen."),
    "codeEvidence": ("code evidence", "The page that confirms the official code repository."),
    "listedIn": ("listed in", "A paper-list section in which the paper is listed."),
    "possibleDuplicateOf": (
        "possible duplicate of",
        "Another paper resource that the sources suggest is the same work.",
    ),
    "flag": ("flag", "A note on a disagreement or oddity in the sources that a curator should know about."),
    "needsReview": (
        "needs review",
        "True when a required fact is missing from every source and a curator must supply it.",
    ),
    "proposedIn": ("proposed in", "The paper that introduces the method."),
    "subcategory": ("subcategory", "The Subcategory under which the survey's table lists the method."),
    "targetModel": ("target model", "A model the method was evaluated against, per the survey's table."),
    "evaluatedOn": ("evaluated on", "A dataset or benchmark the method was evaluated on, per the survey's table."),
    "surveyRef": ("survey reference", "The reference number the survey (v6) gives the paper."),
    "sourceRow": ("source row", "The identifier of the table row in the extracted survey tables, e.g. T3-001."),
    "roadmapCategory": (
        "road-map category",
        "The category under which the survey's road-map figure (Fig. 3) lists the method; a secondary assertion.",
    ),
    "roadmapSource": ("road-map source", "The source of the road-map category assertion."),
    "roadmapDisagrees": ("road-map disagrees", "True when the road-map category differs from the table's Category."),
    "threatTypeUnverified": (
        "threat type unverified",
        "The source could only infer the method's threat type from the row position.",
    ),
    "subcategoryUnverified": ("subcategory unverified", "The source could not read the method's Subcategory cell."),
    "accessToLLMs": ("access to LLMs", "For agent methods: the access to the underlying LLM the method assumes."),
    "rawCell": ("raw cell", "The verbatim table cell where it differs from the clean label."),
    "tableYear": (
        "table year",
        "The year the survey's table gives for the method's paper; it can differ from the paper list's year.",
    ),
    "judgement": (
        "judgement",
        "True on a defense link that is the knowledge base's own reasoned judgement, not stated by the survey.",
    ),
    "listOnly": (
        "list only",
        "True on a taxonomy concept that comes from the survey's public paper list only, not from the survey text.",
    ),
    "size": ("size", "The size of a dataset or benchmark as the survey states it."),
    "evaluates": ("evaluates", "A threat type (area) that the dataset or benchmark is used to evaluate."),
    "introducedBy": ("introduced by", "The paper that introduced the dataset or benchmark."),
    "timesUsed": (
        "times used",
        "The '#Times' column of the survey's LLM dataset table (its meaning is not explained there).",
    ),
    "evaluationFocus": ("evaluation focus", "What an agent benchmark evaluates, per the survey's table."),
    "group": ("group", "The group a benchmark belongs to in the survey's table."),
    "answers": ("answers", "A defense area that answers (defends against) an attack area."),
    "defense": ("defense", "The defense area of a defense link."),
    "attack": ("attack", "The attack area of a defense link."),
    "locator": ("locator", "Where in the source document: table, page, section or figure."),
    "page": ("page", "The PDF page of the survey (v6)."),
    "surveyVersion": ("survey version", "The version of the survey a source belongs to."),
    "section": ("section", "The survey section number, e.g. §3.3."),
    "order": ("order", "The position of a resource in its source, for stable ordering."),
    "implements": ("implements", "The method or concept an executable implementation implements."),
    "modulePath": ("module path", "The Python module of an implementation."),
    "entryPoint": ("entry point", "The `kb run` name of an implementation."),
}
