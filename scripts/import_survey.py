"""Import the survey's facts into data/taxonomy.ttl and references.bib (at the top level).

Usage: python scripts/import_survey.py SHARED_DATA_DIR [--out data]

SHARED_DATA_DIR holds survey-v6/, awesome-large-model-safety/ and enrichment/ (see its README).
The import is idempotent: a second run leaves both files byte-identical. Papers added later
with `kb add` (marked as curated) are kept.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, RDFS, SKOS, XSD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.bib import BibEntry, read_bib, write_bib  # noqa: E402
from kb.graph import bib_path, new_graph, parse_turtle  # noqa: E402
from kb.ingest.corrections import Corrections  # noqa: E402
from kb.ingest.placement import SURVEY_SOURCE, how_facets, placement_triples  # noqa: E402
from kb.papers import (  # noqa: E402
    CURATED_SOURCE,
    OTHERS,
    bib_entry_for,
    make_paper_id,
    normalise_title,
    paper_triples,
    parse_authors,
    parse_venue,
)
from kb.turtle import write_turtle  # noqa: E402
from kb.vocab import (  # noqa: E402
    ACCESS_SCHEME,
    CONCEPT,
    DATASET,
    FACET,
    FOAF,
    IMPL,
    KB,
    KIND_SCHEME,
    LINK,
    METHOD,
    MODEL,
    PAPER,
    ROLE_SCHEME,
    SOURCE,
    TAXONOMY_SCHEME,
    TERM_DOCS,
    slugify,
)

SURVEY_URL = "https://arxiv.org/pdf/2502.05206v6"
LIST_URL = "https://github.com/xingjunm/Awesome-Large-Model-Safety/blob/f97deb0e4a1cdb27a9eb5652e514bf7756dcb10b/README.md"
FAMILY_ORDER = ["VFM", "LLM", "VLP", "VLM", "DM", "Agent"]
CHAPTER_FAMILY = {"ch2": "VFM", "ch3": "LLM", "ch4": "VLP", "ch5": "VLM", "ch6": "DM", "ch7": "Agent"}

# Threat kind of a threat-type name: first matching keyword wins (order matters).
KIND_RULES = [
    ("indirect prompt injection", "prompt-injection"),
    ("prompt injection", "prompt-injection"),
    ("agent memory", "agent-memory"),
    ("tool-calling", "tool-calling"),
    ("vlm agent", "vlm-agent"),
    ("multi-agent", "multi-agent"),
    ("embodied", "embodied"),
    ("agentic", "agentic"),
    ("benchmark", "evaluation"),
    ("datasets", "evaluation"),
    ("internal safety collapse", "safety-collapse"),
    ("adversarial", "adversarial"),
    ("backdoor", "backdoor-poisoning"),
    ("poisoning", "backdoor-poisoning"),
    ("jailbreak", "jailbreak"),
    ("energy latency", "energy-latency"),
    ("membership inference", "membership-inference"),
    ("model extraction", "model-extraction"),
    ("data extraction", "data-extraction"),
    ("intellectual property", "ip-protection"),
    ("safety alignment", "alignment"),
]
KIND_LABELS = {
    "adversarial": "adversarial", "backdoor-poisoning": "backdoor / poisoning", "jailbreak": "jailbreak",
    "prompt-injection": "prompt injection", "energy-latency": "energy-latency",
    "membership-inference": "membership inference", "model-extraction": "model extraction",
    "data-extraction": "data extraction", "ip-protection": "intellectual-property protection",
    "alignment": "safety alignment", "agent-memory": "agent memory", "tool-calling": "agent tool calling",
    "vlm-agent": "VLM agent", "multi-agent": "multi-agent system", "embodied": "embodied agent",
    "agentic": "agentic (autonomous behaviour)", "evaluation": "evaluation (datasets and benchmarks)",
    "safety-collapse": "internal safety collapse",
}
ROLE_LABELS = {
    "attack": "attack", "defense": "defense", "alignment": "alignment", "evaluation": "evaluation",
}
ACCESS_LABELS = {"white-box": "white-box", "gray-box": "gray-box", "black-box": "black-box"}

# Spelling variants of dataset and model names that denote the same resource (keys after norm_key).
NAME_ALIASES = {
    "mscoco": "coco", "coco2014": "coco", "coco2017": "coco", "agsnews": "agnews",
    "imagenet1k": "imagenet", "sd": "stablediffusion", "midjounery": "midjourney",
    "flowers": "flowers102", "oxfordflowers": "flowers102", "pets": "oxfordpets", "pet": "oxfordpets",
    "fgvcaircrafts": "fgvcaircraft", "aircraft": "fgvcaircraft", "i2pdataset": "i2p",
    "pokemonn": "pokemon", "imagenetv2": "imagenetv2", "vqav2": "vqav2", "tweetemo": "tweetevalemotion",
    "anthropicrlhf": "hhrlhf", "enronemail": "enron", "smsspam": "sms", "naturalquestions": "nq",
    "maliciousinstructions": "maliciousinstruct", "alpaca": "stanfordalpaca",
    "alpacainstruction": "stanfordalpaca", "stl10": "stl10",
    "llama2chat": "llama2chat", "gpt4v": "gpt4v", "chatgpt": "chatgpt", "gpt35turbo": "gpt35",
    "dalle": "dalle", "dalle2": "dalle2", "dalle3": "dalle3",
}
# Cells the PDF extraction ran together or hyphenated across lines, repaired before splitting.
CELL_REPAIRS = {
    "compe-tition": "competition", "De-tection": "Detection", "Harm-fulQA": "HarmfulQA",
    "train-ing": "training", "Xme-diaNet": "XmediaNet", "UniAni-mate": "UniAnimate",
    "SBU Captions ImageNet": "SBU Captions, ImageNet", "GTSRB StandfordCars": "GTSRB, StanfordCars",
    "CIFAR-10 LAION-5B": "CIFAR-10, LAION-5B", " and ": ", ",
}
# Names with a slash that are one resource, not two.
ONE_NAME_WITH_SLASH = {"cnn/daily mail", "dog/cat-100", "black/white-box", "tox100/1k"}
# Not a named, reusable dataset: the survey's "self-built" and "custom (...)" cells.
NOT_A_DATASET = re.compile(r"^(custom\b|self[- ]|crafted|curated|real conversation|custom benchmarks)", re.I)
NAMED_BENCHMARK = re.compile(r"[A-Z][A-Za-z0-9]*-?Bench")  # MCIP-Bench, ToolBench
UNNAMED = "Unspecified"  # a Subcategory cell the source could not read
DROP_CELLS = {"", "-", "etc", "etc.", "others", "and others", "n/a", "na"}


def norm_key(name: str) -> str:
    """The de-duplication key of a dataset or model name: case, spaces, punctuation and 'dataset' ignored."""
    key = slugify(name.replace("·", "").replace("’", "").replace("'", ""))
    key = re.sub(r"-(dataset|datasets|data set)$", "", key)
    key = re.sub(r"[^a-z0-9]", "", key)
    return NAME_ALIASES.get(key, key)


def split_cell(cell: str | None, datasets: bool = False) -> list[str]:
    """Split a table cell listing several names; parentheses keep their commas."""
    if not cell:
        return []
    for bad, good in CELL_REPAIRS.items():
        cell = cell.replace(bad, good)
    parts, depth, cur = [], 0, ""
    for ch in cell:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch in ",;" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = re.sub(r"^\s*and\s+", "", p.strip()).strip().rstrip(".")
        two = re.fullmatch(r"(.*?[A-Za-z][-\s]?)(\d+)/(\d+)", p)
        if two and p.lower() not in ONE_NAME_WITH_SLASH:  # "CIFAR-10/100": two datasets
            out += [two.group(1) + two.group(2), two.group(1) + two.group(3)]
            continue
        if "/" in p and p.lower() not in ONE_NAME_WITH_SLASH and "(" not in p:
            pieces = [x.strip() for x in p.split("/")]
            if all(len(x) >= 3 and x[0].isalpha() for x in pieces):
                out.extend(x for x in pieces if x.lower() not in DROP_CELLS)
                continue
        if p.lower() in DROP_CELLS or not re.search(r"[A-Za-z0-9]", p):
            continue
        if datasets and NOT_A_DATASET.search(p):
            # "Custom (MCIP-Bench)": a self-built set, but a named benchmark inside is kept
            out += [n for n in re.split(r"[,;]\s*", "".join(re.findall(r"\(([^)]*)\)", p)))
                    if NAMED_BENCHMARK.fullmatch(n.strip())]
            continue
        if out and re.fullmatch(r"\d+(\.\d+)?[BM]?|\d+x\d+B", p):
            # "LLaMA-2-7B, 13B" and "GPT-3.5, 4": a size or version of the previous model
            base = re.sub(r"[-\s]?\d+(\.\d+)?[BM]?$", "", out[-1])
            p = f"{base}-{p}" if base else p
        out.append(p)
    return out


@dataclass
class ListEntry:
    """One entry of the survey's public paper list."""

    title: str
    authors: list[str]
    venue_raw: str
    section: str
    chapter: str
    line: int
    year: int | None = None
    venue: str = ""
    arxiv: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class Paper:
    """A paper as the importer assembles it from every source."""

    pid: str
    title: str
    authors: list[str]
    year: int | None
    venue: str
    arxiv: str | None = None
    doi: str | None = None
    code: str | None = None
    evidence: dict[str, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    concepts: set[str] = field(default_factory=set)
    flags: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    table_only: bool = False
    dup_of: set[str] = field(default_factory=set)
    survey_refs: set[int] = field(default_factory=set)
    redirects: set[str] = field(default_factory=set)  # former IDs that now point here
    needs_area: bool = False  # its list section names a family only, not the threat type


class Importer:
    """Builds the RDF graph and the bib entries from the shared data folder."""

    def __init__(self, shared: Path, out: Path):
        self.shared = shared
        self.out = out
        self.g = new_graph()
        self.tax = yaml.safe_load((shared / "survey-v6/taxonomy.yaml").read_text())
        self.rows = yaml.safe_load((shared / "survey-v6/paper_labels.yaml").read_text())["papers"]
        self.dsets = yaml.safe_load((shared / "survey-v6/datasets.yaml").read_text())
        self.enrich = yaml.safe_load((shared / "enrichment/identifiers.yaml").read_text())
        defs_path = Path(__file__).with_name("definitions.yaml")
        self.defs = yaml.safe_load(defs_path.read_text()) if defs_path.exists() else {}
        self.corr = Corrections(Path(__file__).with_name("corrections.yaml"))
        self.corr_src = self.source("kb-corrections", "Curated corrections of the sources", None,
                                    "scripts/corrections.yaml: each fact with its source and reason")
        self.concepts: dict[str, URIRef] = {}
        self.tt_by_family_name: dict[tuple[str, str], str] = {}  # (family or sub-model, name) -> id
        self.cat_norm: dict[str, str] = {}
        self.sub_norm: dict[tuple[str, str, str, str], str] = {}  # (owner, threat type, cell, sub) -> node name
        self.papers: dict[str, Paper] = {}
        self.paper_by_title: dict[str, str] = {}
        self.order = 0

    # ----------------------------------------------------------------- helpers
    def next_order(self) -> Literal:
        self.order += 1
        return Literal(self.order)

    def source(self, sid: str, label: str, url: str | None, locator: str | None = None,
               page: int | None = None) -> URIRef:
        s = SOURCE[sid]
        if (s, RDF.type, KB.Source) not in self.g:
            self.g.add((s, RDF.type, KB.Source))
            self.g.add((s, RDFS.label, Literal(label)))
            if url:
                self.g.add((s, FOAF.page, URIRef(url)))
            if locator:
                self.g.add((s, KB.locator, Literal(locator)))
            if page:
                self.g.add((s, KB.page, Literal(page)))
            if url and "2502.05206" in url:
                self.g.add((s, KB.surveyVersion, Literal("arXiv v6 (14 Apr 2026)")))
        return s

    def table_source(self, table: str, page: int | None) -> URIRef:
        loc = f"{table} (p. {page})" if page else table
        return self.source(slugify(f"survey-v6-{table}"), f"Survey v6, {loc}", SURVEY_URL, loc, page)

    def definition(self, kind: str, key: str, override_key: str, area: str = "") -> str | None:
        """Our definition of a node: its override (FAMILY/...) if any, else the text for its name."""
        plural = {"threat_type": "threat_types", "category": "categories"}[kind]
        over = (self.defs.get(f"{kind}_overrides") or {}).get(override_key)
        text = over or (self.defs.get(plural) or {}).get(key)
        if text:
            return str(text).replace("{area}", area).strip()
        return None

    # ---------------------------------------------------------------- taxonomy
    def facets(self) -> None:
        g = self.g
        for scheme, label, comment in [
            (KIND_SCHEME, "Threat kinds", "Kinds of threat that cut across model families."),
            (ROLE_SCHEME, "Roles", "Whether an area attacks, defends, aligns or evaluates."),
            (ACCESS_SCHEME, "Access levels", "How much of the model an attacker sees."),
            (TAXONOMY_SCHEME, "Safety at Scale taxonomy",
             "Model family, threat type, Category and Subcategory of the survey arXiv:2502.05206 (v6)."),
        ]:
            g.add((scheme, RDF.type, SKOS.ConceptScheme))
            g.add((scheme, SKOS.prefLabel, Literal(label, lang="en")))
            g.add((scheme, RDFS.comment, Literal(comment, lang="en")))
        g.add((TAXONOMY_SCHEME, DCTERMS.source, URIRef(SURVEY_URL)))
        self.source("survey-v6", "Survey v6 (Wang et al., Safety at Scale, arXiv:2502.05206v6) and its paper list",
                    SURVEY_URL, "the survey's tables, text and public paper list")
        for t in how_facets():
            g.add(t)
        for prefix, labels, scheme, cls in [
            ("kind", KIND_LABELS, KIND_SCHEME, KB.ThreatKind),
            ("role", ROLE_LABELS, ROLE_SCHEME, KB.Role),
            ("access", ACCESS_LABELS, ACCESS_SCHEME, KB.AccessLevel),
        ]:
            for key, label in labels.items():
                f = FACET[f"{prefix}-{key}"]
                g.add((f, RDF.type, SKOS.Concept))
                g.add((f, RDF.type, cls))
                g.add((f, SKOS.inScheme, scheme))
                g.add((f, SKOS.topConceptOf, scheme))
                g.add((f, SKOS.prefLabel, Literal(label, lang="en")))

    def concept(self, cid: str, label: str, cls: URIRef, parent: str | None, src: URIRef,
                definition: str | None, family: str) -> URIRef:
        g = self.g
        c = CONCEPT[cid]
        if cid in self.concepts:
            raise SystemExit(f"import: duplicate concept id {cid}; extend the ID grammar")
        self.concepts[cid] = c
        g.add((c, RDF.type, SKOS.Concept))
        g.add((c, RDF.type, cls))
        g.add((c, SKOS.inScheme, TAXONOMY_SCHEME))
        g.add((c, SKOS.prefLabel, Literal(label, lang="en")))
        g.add((c, SKOS.notation, Literal(cid)))
        g.add((c, DCTERMS.source, src))
        g.add((c, KB.order, self.next_order()))
        g.add((c, KB.modelFamily, CONCEPT[family.lower()]))
        if definition:
            g.add((c, SKOS.definition, Literal(definition, lang="en")))
        if parent is None:
            g.add((c, SKOS.topConceptOf, TAXONOMY_SCHEME))
            g.add((TAXONOMY_SCHEME, SKOS.hasTopConcept, c))
        else:
            g.add((c, SKOS.broader, CONCEPT[parent]))
            g.add((CONCEPT[parent], SKOS.narrower, c))
        return c

    def alt_labels(self, c: URIRef, name: str, verbatim: str | None = None) -> None:
        variants = set((self.defs.get("alt_labels") or {}).get(name, []) or [])
        if verbatim and verbatim != name:
            variants.add(verbatim)
        for v in sorted(variants):
            self.g.add((c, SKOS.altLabel, Literal(v, lang="en")))

    @staticmethod
    def threat_kind(name: str) -> str:
        low = name.lower()
        for key, kind in KIND_RULES:
            if key in low:
                return kind
        raise SystemExit(f"import: no threat kind for threat type {name!r}; add a rule to KIND_RULES")

    @staticmethod
    def role(name: str) -> str:
        low = name.lower()
        if "benchmark" in low or low.startswith("datasets"):
            return "evaluation"
        if "alignment" in low:
            return "alignment"
        if "defense" in low or "protection" in low:
            return "defense"
        return "attack"

    @staticmethod
    def access(category: str) -> list[str]:
        low = category.lower()
        out = []
        if "white" in low:
            out.append("white-box")
        if "gray" in low or "grey" in low:
            out.append("gray-box")
        if "black" in low:
            out.append("black-box")
        return out

    def add_facets(self, c: URIRef, kind: str, role: str, access: list[str]) -> None:
        self.g.add((c, KB.threatKind, FACET[f"kind-{kind}"]))
        self.g.add((c, KB.role, FACET[f"role-{role}"]))
        for a in access:
            self.g.add((c, KB.accessLevel, FACET[f"access-{a}"]))

    def taxonomy(self) -> None:
        for row in self.rows:
            if row.get("category_normalized"):
                self.cat_norm[row["category"]] = row["category_normalized"]
        for fam in self.tax["model_families"]:
            fid = fam["id"]
            src = self.source(slugify(f"survey-v6-{fam['section']}"), f"Survey v6, {fam['section']} ({fam['name']})",
                              SURVEY_URL, fam["source"]["locator"])
            self.concept(fid.lower(), fam["name"], KB.ModelFamily, None, src,
                         (self.defs.get("families") or {}).get(fid), fid)
            subs = fam.get("sub_models") or [None]
            for sub in subs:
                owner = sub or fam
                key = owner["id"]
                base = fid.lower() if sub is None else f"{fid.lower()}.{sub['id'].lower()}"
                if sub is not None:
                    ssrc = self.source(slugify(f"survey-v6-{sub['section']}"),
                                       f"Survey v6, {sub['section']} ({sub['name']})", SURVEY_URL,
                                       sub["source"]["locator"])
                    self.concept(base, sub["name"], KB.ModelFamily, fid.lower(), ssrc,
                                 (self.defs.get("families") or {}).get(key), fid)
                for tt in owner.get("threat_types", []):
                    self.threat_type(fid, key, base, tt)
        # list-only section of the agent chapter
        tt = {"name": "Internal Safety Collapse", "section": "paper list",
              "source": {"locator": "Paper list, Agent Safety: Internal Safety Collapse"}}
        self.threat_type("Agent", "Agent", "agent", tt, list_only=True)

    def rows_moved(self, fid: str, threat_type: str, category: str) -> bool:
        """True when every table row without a Subcategory in this cell is placed by a correction."""
        rows = [r["id"] for r in self.rows if r["model_family"] == fid and r["threat_type"] == threat_type
                and r["category"] == category and not r.get("subcategory")]
        moved = {e["row"] for e in self.corr.of("methods")}
        return bool(rows) and set(rows) <= moved

    def threat_type(self, fid: str, key: str, base: str, tt: dict, list_only: bool = False) -> None:
        name = tt["name"]
        tid = f"{base}.{slugify(name)}"
        if list_only:
            src = self.source("list-internal-safety-collapse", "Paper list, section 'Internal Safety Collapse'",
                              LIST_URL, tt["source"]["locator"])
        else:
            src = self.source(slugify(f"survey-v6-{tt['section']}"), f"Survey v6, {tt['section']} {name}",
                              SURVEY_URL, tt["source"]["locator"])
        family_name = {"ViT": "ViTs", "SAM": "SAM", "VFM": "vision foundation models", "LLM": "LLMs",
                       "VLP": "vision-language pre-training models", "VLM": "VLMs",
                       "DM": "diffusion models", "Agent": "agents"}[key]
        area = f"{name.lower()} on {family_name}"
        definition = self.definition("threat_type", name, f"{key}/{name}", area)
        c = self.concept(tid, name, KB.ThreatType, base, src, definition, fid)
        if list_only:
            self.g.add((c, KB.listOnly, Literal(True)))
        else:
            self.g.add((c, KB.section, Literal(tt["section"])))
        kind, role = self.threat_kind(name), self.role(name)
        self.add_facets(c, kind, role, [])
        self.tt_by_family_name[(key, name)] = tid
        for cat in tt.get("categories", []):
            verb = cat["name"]
            same = self.corr.find("categories", path=[key, name, verb])
            cname = same["same_as"] if same else self.cat_norm.get(verb, verb)
            self.cat_norm[verb] = cname
            cid = f"{tid}.{slugify(cname)}"
            access = self.access(cname) if role == "attack" else []
            if same:  # the same node as a sibling: keep the cell's spelling, no second node
                if cid not in self.concepts:
                    raise SystemExit(f"import: corrections.yaml: category {same['same_as']!r} is not a sibling")
                self.g.add((CONCEPT[cid], SKOS.altLabel, Literal(verb, lang="en")))
                self.g.add((CONCEPT[cid], KB.flag, Literal(Corrections.note(same))))
                self.g.add((CONCEPT[cid], PROV.wasDerivedFrom, self.corr_src))
            else:
                csrc = self.table_source(cat["source"]["locator"].split(" (")[0],
                                         _page(cat["source"]["locator"]))
                cdef = self.definition("category", cname, f"{key}/{name}/{cname}", area)
                cc = self.concept(cid, cname, KB.Category, tid, csrc, cdef, fid)
                self.alt_labels(cc, cname, verb)
                self.add_facets(cc, kind, role, access)
            for sub in cat.get("subcategories", []):
                if sub["name"] is None and self.rows_moved(fid, name, verb):
                    continue  # its rows are placed by a correction; no invented node
                sname = sub["name"] or UNNAMED
                ssame = self.corr.find("subcategories", path=[key, name, verb, sname])
                if ssame:
                    target = CONCEPT[f"{cid}.{slugify(ssame['same_as'])}"]
                    if target not in self.concepts.values():
                        raise SystemExit(f"import: corrections.yaml: subcategory {ssame['same_as']!r} is not a sibling")
                    self.g.add((target, SKOS.altLabel, Literal(sname, lang="en")))
                    self.g.add((target, KB.flag, Literal(Corrections.note(ssame))))
                    self.g.add((target, PROV.wasDerivedFrom, self.corr_src))
                    self.sub_norm[(key, name, verb, sname)] = ssame["same_as"]
                    continue
                sid = f"{cid}.{slugify(sname)}"
                ssrc = self.table_source(sub["source"].split(" — ")[-1].split(" (")[0],
                                         _page(sub["source"]))
                sdef = (self.defs.get("subcategory_overrides") or {}).get(f"{key}/{name}/{cname}/{sname}")
                sdef = sdef or (self.defs.get("subcategories") or {}).get(sname)
                sc = self.concept(sid, sname, KB.Subcategory, cid, ssrc,
                                  sdef.replace("{area}", area) if sdef else None, fid)
                self.alt_labels(sc, sname)
                if sub.get("unverified") or sub.get("note"):
                    self.g.add((sc, KB.flag, Literal(sub.get("note") or "Unverified in the source.")))
                self.add_facets(sc, kind, role, access)

    # ------------------------------------------------------------------ papers
    def read_list(self) -> list[ListEntry]:
        path = self.shared / "awesome-large-model-safety/README.md"
        lines = path.read_text(encoding="utf-8").splitlines()
        entries: list[ListEntry] = []
        chapter, section = None, None
        i = 0
        while i < len(lines):
            line = lines[i]
            m = re.search(r'<span id="(ch\d)">', line)
            if m:
                chapter = m.group(1)
            elif line.startswith("## ") and chapter:
                chapter = None
            elif line.startswith("##### "):
                section = line[6:].strip()
            elif chapter and line.startswith("- "):
                title = line[2:].strip().rstrip()
                title = re.sub(r"\.\s*$", "", title)
                authors_line = lines[i + 1].strip() if i + 1 < len(lines) else ""
                venue_line = lines[i + 2].strip() if i + 2 < len(lines) else ""
                if not (authors_line.startswith("- ") and venue_line.startswith("- ")):
                    raise SystemExit(f"{path}:{i + 1}: list entry without author and venue lines")
                e = ListEntry(title, parse_authors(authors_line[2:]), venue_line[2:].strip(),
                              section or "", chapter, i + 1)
                e.venue, e.year, e.arxiv = parse_venue(e.venue_raw)
                if not e.venue:
                    e.flags.append(f"The source list names no venue (line {i + 3}: '{e.venue_raw}').")
                if authors_line.count("{") != authors_line.count("}"):
                    e.flags.append(f"An author name is cut off in the source list (line {i + 2}).")
                entries.append(e)
                i += 3
                continue
            i += 1
        return entries

    def section_concepts(self, chapter: str, section: str) -> list[str]:
        fam = CHAPTER_FAMILY[chapter]
        if fam == "VFM":
            return ["vfm.vit" if "ViT" in section else "vfm.sam"]
        if section == "Agentic Attacks & Defenses":
            return ["agent.agentic-attacks", "agent.agentic-defenses"]
        want = slugify(section).rstrip("s")
        for (owner, name), tid in self.tt_by_family_name.items():
            if owner == fam and slugify(name).rstrip("s") == want:
                return [tid]
        raise SystemExit(f"import: list section {section!r} ({chapter}) matches no threat type")

    def papers_from_list(self) -> None:
        entries = self.read_list()
        self.list_entries = entries
        taken: set[str] = set()
        for e in entries:
            key = normalise_title(e.title)
            sec_src = self.source(f"list-{slugify(e.chapter + '-' + e.section)}",
                                  f"Paper list, {e.section} ({CHAPTER_FAMILY[e.chapter]})", LIST_URL,
                                  f"section '{e.section}' of chapter {e.chapter}")
            if key in self.paper_by_title:
                p = self.papers[self.paper_by_title[key]]
                if e.year != p.year or e.venue != p.venue:
                    p.flags.append(
                        f"Listed again under '{e.section}' with venue '{e.venue_raw}' (line {e.line})."
                    )
                if _extends(e.authors, p.authors):
                    p.flags.append(f"Listed again under '{e.section}' (line {e.line}) with a longer author "
                                   "list, which is kept.")
                    p.authors = e.authors
            else:
                pid = make_paper_id(e.authors, e.year, e.title, taken)
                taken.add(pid)
                p = Paper(pid, e.title, e.authors, e.year, e.venue, arxiv=e.arxiv)
                if e.arxiv:
                    p.evidence["arxiv_list"] = LIST_URL
                self.papers[pid] = p
                self.paper_by_title[key] = pid
            p.sections.append(e.section)
            p.flags.extend(f for f in e.flags if f not in p.flags)
            p.sources.add(str(sec_src))
            areas = self.section_concepts(e.chapter, e.section)
            if len(areas) > 1:  # one heading for attacks and defenses: the paper's own correction decides
                fix = self.placement_fix(e.title)
                if fix is None:
                    raise SystemExit(f"import: '{e.title}' (line {e.line}) is listed under '{e.section}'; "
                                     "add it to placements in scripts/corrections.yaml")
                areas = list(fix["areas"])
                p.flags.append(f"Area {', '.join(areas)}: {Corrections.note(fix)}")
                p.sources.add(str(self.corr_src))
            elif self.concepts_are_families(areas):
                p.needs_area = True
            p.concepts.update(areas)
        self.taken = taken

    def paper_fix(self, title: str) -> dict | None:
        """The corrections.yaml papers entry for a title (compared normalised), marked as applied."""
        key = normalise_title(title)
        for e in self.corr.of("papers"):
            if normalise_title(e["title"]) == key:
                return self.corr.use("papers", e)
        return None

    def placement_fix(self, title: str) -> dict | None:
        key = normalise_title(title)
        for e in self.corr.of("placements"):
            if normalise_title(e["title"]) == key:
                for cid in e["areas"]:
                    if cid not in self.concepts:
                        raise SystemExit(f"import: corrections.yaml: placement of '{title}': unknown concept {cid}")
                return self.corr.use("placements", e)
        return None

    def concepts_are_families(self, cids: list[str]) -> bool:
        return all((CONCEPT[c], RDF.type, KB.ModelFamily) in self.g for c in cids)

    def enrichment(self) -> None:
        by_arxiv: dict[str, list[str]] = defaultdict(list)
        for rec in self.enrich:
            key = normalise_title(rec["title"])
            pid = self.paper_by_title.get(key)
            if pid is None:
                print(f"warning: enrichment title not in the list: {rec['title']!r}", file=sys.stderr)
                continue
            p = self.papers[pid]
            ev = rec.get("evidence")
            if rec.get("arxiv"):
                if p.arxiv and p.arxiv != rec["arxiv"]:
                    p.flags.append(f"Enrichment gives arXiv {rec['arxiv']}, the list {p.arxiv}.")
                else:
                    p.arxiv = str(rec["arxiv"])
                    p.evidence["arxiv"] = ev
            if rec.get("doi"):
                p.doi = str(rec["doi"])
                p.evidence["doi"] = rec.get("doi_evidence") or ev
            if rec.get("code"):
                p.code = str(rec["code"])
                p.evidence["code"] = rec.get("code_evidence") or ev
            if rec.get("note"):
                p.flags.append(f"Enrichment note: {rec['note']}")
        for p in self.papers.values():
            if p.arxiv:
                by_arxiv[p.arxiv].append(p.pid)
        for arxiv, pids in by_arxiv.items():
            if len(pids) > 1:
                for pid in pids:
                    others = [o for o in pids if o != pid]
                    self.papers[pid].dup_of.update(others)
                    self.papers[pid].flags.append(
                        f"Shares arXiv id {arxiv} with {', '.join(others)}: probably the same work under two titles."
                    )

    # ----------------------------------------------------------------- methods
    def methods(self) -> None:
        g = self.g
        fig3 = self.source("survey-v6-fig-3", "Survey v6, Fig. 3 (road map)", SURVEY_URL, "Fig. 3 (p. 3)", 3)
        used: set[str] = set()
        self.dataset_keys: dict[str, URIRef] = {}
        self.model_keys: dict[str, URIRef] = {}
        for row in self.rows:
            fam = row["model_family"]
            owner = row.get("sub_model") or fam
            tid = self.tt_by_family_name.get((owner, row["threat_type"]))
            if tid is None:
                raise SystemExit(f"import: row {row['id']}: threat type {row['threat_type']!r} unknown")
            fix = self.corr.find("methods", row=row["id"], method=row["method"])
            cname = (fix or {}).get("category") or row.get("category_normalized") or self.cat_norm.get(
                row["category"], row["category"])
            cid = f"{tid}.{slugify(cname)}"
            sname = (fix or {}).get("subcategory") or row["subcategory"] or UNNAMED
            sname = self.sub_norm.get((owner, row["threat_type"], row["category"], sname), sname)
            sid = f"{cid}.{slugify(sname)}"
            if sid not in self.concepts:
                raise SystemExit(f"import: row {row['id']}: subcategory {sid} not in the taxonomy")
            mid = f"{fam.lower()}-{slugify(row['method'])}"
            n = 2
            while mid in used:
                mid = f"{fam.lower()}-{slugify(row['method'])}-{n}"
                n += 1
            used.add(mid)
            m = METHOD[mid]
            src = self.table_source(row["source"]["table"], row["source"].get("page"))
            g.add((m, RDF.type, KB.Method))
            g.add((m, RDF.type, PROV.Entity))
            g.add((m, RDFS.label, Literal(row["method"])))
            g.add((m, KB.subcategory, CONCEPT[sid]))
            g.add((m, KB.sourceRow, Literal(row["id"])))
            g.add((m, KB.order, self.next_order()))
            g.add((m, PROV.wasDerivedFrom, src))
            g.add((m, KB.modelFamily, CONCEPT[fam.lower()]))
            if row.get("year"):  # the table's own year, which may differ from the paper list's
                g.add((m, KB.tableYear, Literal(f"{int(row['year']):04d}", datatype=XSD.gYear)))
            if fix:
                g.add((m, KB.flag, Literal(Corrections.note(fix))))
                g.add((m, PROV.wasDerivedFrom, self.corr_src))
            for o in g.objects(CONCEPT[sid], KB.threatKind):
                g.add((m, KB.threatKind, o))
            for o in g.objects(CONCEPT[sid], KB.role):
                g.add((m, KB.role, o))
            for o in g.objects(CONCEPT[sid], KB.accessLevel):
                g.add((m, KB.accessLevel, o))
            for ref in row["refs"]:
                g.add((m, KB.surveyRef, Literal(int(ref))))
            if row["category"] != cname:
                g.add((m, KB.rawCell, Literal(f"Category: {row['category']}")))
            if row["subcategory"] and row["subcategory"] != sname:
                g.add((m, KB.rawCell, Literal(f"Subcategory: {row['subcategory']}")))
            if row.get("threat_type_unverified"):
                g.add((m, KB.threatTypeUnverified, Literal(True)))
            if row.get("subcategory_unverified"):
                g.add((m, KB.subcategoryUnverified, Literal(True)))
            if row.get("access_to_llms"):
                g.add((m, KB.accessToLLMs, Literal(row["access_to_llms"])))
            for note in row.get("notes") or []:
                g.add((m, KB.flag, Literal(note)))
            rcs = row.get("fig3_roadmap_category") or []
            rcs = [rcs] if isinstance(rcs, str) else rcs
            for rc in rcs:
                g.add((m, KB.roadmapCategory, Literal(rc)))
                g.add((m, KB.roadmapSource, fig3))
            same = {slugify(cname).replace("attacks", "attack")}
            if rcs and not same & {slugify(rc).replace("attacks", "attack") for rc in rcs}:
                g.add((m, KB.roadmapDisagrees, Literal(True)))
            # the paper
            pid = self.paper_for_row(row)
            p = self.papers[pid]
            p.concepts.add(sid)
            if p.needs_area:  # e.g. "Attacks and Defense for ViT": the table row names the threat type
                p.concepts.add(tid)
            p.survey_refs.update(int(r) for r in row["refs"])
            p.sources.add(str(src))
            if row.get("year") and p.year and int(row["year"]) != p.year and not p.table_only:
                p.flags.append(f"Survey table {row['source']['table']} gives year {row['year']}, the list {p.year}.")
            g.add((m, KB.proposedIn, PAPER[pid]))
            for name in split_cell(self.fix_cell(row.get("target_models"))):
                g.add((m, KB.targetModel, self.named_resource(name, MODEL, KB.Model, self.model_keys)))
            for name in split_cell(self.fix_cell(row.get("datasets")), datasets=True):
                if self.not_a_dataset(name):
                    continue
                d = self.named_resource(name, DATASET, DCAT.Dataset, self.dataset_keys)
                g.add((m, KB.evaluatedOn, d))
                g.add((d, KB.evaluates, CONCEPT[tid]))
                g.add((d, KB.modelFamily, CONCEPT[fam.lower()]))

    def fix_cell(self, cell: str | None) -> str | None:
        """A table cell with the cut-off names of corrections.yaml repaired."""
        for e in self.corr.of("cells"):
            if cell and re.search(rf"{re.escape(e['cell'])}(?=,|$)", cell):
                cell = re.sub(rf"{re.escape(e['cell'])}(?=,|$)", e["fixed"], cell)
                self.corr.use("cells", e)
        return cell

    def not_a_dataset(self, name: str) -> bool:
        return self.corr.find("not_datasets", name=name) is not None

    def named_resource(self, name: str, ns, cls: URIRef, index: dict[str, URIRef]) -> URIRef:
        key = norm_key(name)
        if key in index:
            r = index[key]
            if (r, RDFS.label, Literal(name)) not in self.g:
                self.g.add((r, SKOS.altLabel, Literal(name)))
            return r
        rid = slugify(name)
        r = ns[rid]
        while (r, RDF.type, None) in self.g:
            rid += "-x"
            r = ns[rid]
        index[key] = r
        self.g.add((r, RDF.type, cls))
        self.g.add((r, RDFS.label, Literal(name)))
        if cls == DCAT.Dataset:
            self.g.add((r, DCTERMS.title, Literal(name)))
        return r

    def paper_for_row(self, row: dict) -> str:
        if row.get("awesome_title"):
            pid = self.paper_by_title.get(normalise_title(row["awesome_title"]))
            if pid:
                return pid
        key = normalise_title(row["ref_title"])
        if key in self.paper_by_title:
            return self.paper_by_title[key]
        # a reference of the survey's tables that the paper list lacks
        title = row["ref_title"]
        pid = make_paper_id([], row.get("year"), title, self.taken, fallback=row["method"])
        self.taken.add(pid)
        fix = self.paper_fix(title)
        authors = list((fix or {}).get("set", {}).get("authors") or [])
        p = Paper(pid, title, [], row.get("year"), "", table_only=True)
        if authors:  # named by a correction: the ID follows the grammar, the former one redirects
            if fix.get("redirect_from") != pid:
                raise SystemExit(f"import: corrections.yaml: '{title}' needs redirect_from: {pid}")
            p.pid = pid = make_paper_id(authors, row.get("year"), title, self.taken)
            self.taken.add(pid)
            p.redirects.add(fix["redirect_from"])
            p.flags.append("Only in the survey's tables (not in its paper list); the title is the reference "
                           "list's lower-cased form.")
        else:
            p.flags.append(
                "Only in the survey's tables (not in its paper list): authors and venue are unknown to the "
                "sources; the title is the reference list's lower-cased form."
            )
        self.papers[pid] = p
        self.paper_by_title[key] = pid
        return pid

    def settle_areas(self) -> None:
        """Papers whose list section names a family only and no table row placed: a correction decides."""
        for p in self.papers.values():
            if not p.needs_area or any((CONCEPT[c], RDF.type, KB.ModelFamily) not in self.g for c in p.concepts):
                continue
            fix = self.placement_fix(p.title)
            if fix is None:
                raise SystemExit(f"import: '{p.title}' is listed under {', '.join(p.sections)} without a threat "
                                 "type; add it to placements in scripts/corrections.yaml")
            p.concepts.update(fix["areas"])
            p.flags.append(f"Area {', '.join(fix['areas'])}: {Corrections.note(fix)}")
            p.sources.add(str(self.corr_src))

    def apply_paper_fixes(self) -> None:
        """Set the bibliographic facts of corrections.yaml, flagging what the sources said."""
        by_title = {normalise_title(p.title): p for p in self.papers.values()}
        for e in self.corr.of("papers"):
            p = by_title.get(normalise_title(e["title"]))
            if p is None:
                continue
            self.corr.use("papers", e)
            changes = []
            for name, value in e["set"].items():
                old = getattr(p, name)
                value = [str(v) for v in value] if name == "authors" else value
                if old == value:
                    continue
                shown = "; ".join(x for x in old if x != OTHERS) if name == "authors" else old
                changes.append(f"{name} (the source gives '{shown}')" if shown else f"{name} (added)")
                setattr(p, name, value)
            if changes:
                p.flags.append(f"Corrected {', '.join(changes)}: {Corrections.note(e)}")
            p.sources.add(str(self.corr_src))

    # ---------------------------------------------------------------- datasets
    def datasets(self) -> None:
        g = self.g
        for table in self.dsets["tables"]:
            fam = table["model_family"]
            src = self.table_source(table["table"], table.get("page"))
            section_tt = self.tt_by_family_name.get(
                (fam, {"LLM": "Datasets & Benchmarks", "VLM": "Datasets & Benchmarks",
                       "Agent": "Agent Safety Benchmarks"}[fam])
            )
            for row in table["rows"]:
                d = self.named_resource(row["name"], DATASET, DCAT.Dataset, self.dataset_keys)
                g.add((d, DCTERMS.source, src))
                g.add((d, KB.modelFamily, CONCEPT[fam.lower()]))
                if row.get("year"):
                    g.add((d, DCTERMS.issued, Literal(str(row["year"]), datatype=XSD.gYear)))
                if row.get("size"):
                    g.add((d, KB.size, Literal(str(row["size"]))))
                if row.get("times") and row["times"] != "-":
                    g.add((d, KB.timesUsed, Literal(str(row["times"]))))
                if row.get("evaluation_focus"):
                    g.add((d, KB.evaluationFocus, Literal(row["evaluation_focus"])))
                if row.get("group"):
                    g.add((d, KB.group, Literal(row["group"])))
                if row.get("ref"):
                    g.add((d, KB.surveyRef, Literal(int(row["ref"]))))
                g.add((d, KB.evaluates, CONCEPT[section_tt]))
                for tid in self.dataset_areas(fam, row):
                    g.add((d, KB.evaluates, CONCEPT[tid]))
                pid = self.paper_by_title.get(normalise_title(row.get("ref_title") or ""))
                if pid:
                    g.add((d, KB.introducedBy, PAPER[pid]))
                for note in [row.get("text_subsection_note")]:
                    if note:
                        g.add((d, KB.flag, Literal(note)))
        for sec in self.dsets["text_only_sections"]:
            fam = sec["model_family"]
            owner = sec.get("sub_model") or fam
            src = self.source(slugify(f"survey-v6-{sec['section']}"), f"Survey v6, {sec['section']}",
                              SURVEY_URL, sec["source"]["locator"])
            section_tt = next(t for (o, n), t in self.tt_by_family_name.items()
                              if o == owner and n.startswith("Datasets"))
            for name in sorted(set(_names_in(sec))):
                if name.startswith("(") or name in {"others", "mIoU"}:
                    continue
                d = self.named_resource(name, DATASET, DCAT.Dataset, self.dataset_keys)
                g.add((d, DCTERMS.source, src))
                g.add((d, KB.modelFamily, CONCEPT[fam.lower()]))
                g.add((d, KB.evaluates, CONCEPT[section_tt]))

    def dataset_areas(self, fam: str, row: dict) -> list[str]:
        text = (row.get("text_subsection") or "") + " " + (row.get("evaluation_focus") or "")
        low = text.lower()
        out = []
        if fam == "LLM":
            if "adversarial" in low:
                out.append("llm.adversarial-attacks")
            if "backdoor" in low:
                out.append("llm.backdoor-attacks")
            if any(w in low for w in ("toxicity", "value", "truthful")):
                out.append("llm.safety-alignment")
            if any(w in low for w in ("toxicity", "value")):
                out.append("llm.jailbreak-attacks")
        elif fam == "Agent":
            rules = [("ipi", "agent.indirect-prompt-injection-attacks"),
                     ("prompt injection", "agent.indirect-prompt-injection-attacks"),
                     ("memory", "agent.agent-memory-attacks"), ("tool", "agent.agent-tool-calling-attacks"),
                     ("multi-agent", "agent.multi-agent-system-attacks"),
                     ("embodied", "agent.embodied-agent-attacks"), ("web", "agent.vlm-agent-attacks"),
                     ("gui", "agent.vlm-agent-attacks")]
            out += [tid for key, tid in rules if key in low and tid in self.concepts]
        elif fam == "VLM":
            out.append("vlm.jailbreak-attacks")
        return sorted(set(out))

    # ------------------------------------------------------------ defense links
    def defense_links(self) -> None:
        g = self.g
        org = self.source("list-organization", "Paper list, 'Organization' note", LIST_URL,
                          "Survey structure: each defense section follows the attacks it answers")
        lead = self.source("kb-curation", "Curated by the knowledge-base maintainers", None,
                           "Reasoned link, not stated by the survey (scripts/corrections.yaml, links)")
        pairs = []
        by_owner: dict[str, dict[str, str]] = defaultdict(dict)
        for (owner, name), tid in self.tt_by_family_name.items():
            by_owner[owner][name] = tid
        for names in by_owner.values():
            for name, tid in names.items():
                if name.endswith("Defenses"):
                    attack = name[: -len("Defenses")] + "Attacks"
                    if attack in names:
                        pairs.append((tid, names[attack], org,
                                      f"{name} answer the {attack.lower()} of the section before them."))
        for e in self.corr.of("links"):
            for cid in (e["defense"], e["attack"]):
                if cid not in self.concepts:
                    raise SystemExit(f"import: corrections.yaml: link names unknown concept {cid}")
            self.corr.use("links", e)
            pairs.append((e["defense"], e["attack"], lead, " ".join(e["reason"].split())))
        for d, a, src, note in pairs:
            g.add((CONCEPT[d], KB.answers, CONCEPT[a]))
            link = LINK[f"{d}--{a}".replace(".", "-")]
            g.add((link, RDF.type, KB.DefenseLink))
            g.add((link, KB.defense, CONCEPT[d]))
            g.add((link, KB.attack, CONCEPT[a]))
            g.add((link, RDFS.comment, Literal(note, lang="en")))
            g.add((link, DCTERMS.source, src))
            if src == lead:
                g.add((link, KB.judgement, Literal(True)))

    # ----------------------------------------------------------- the documents
    def vocabulary_docs(self) -> None:
        base = URIRef(str(KB._NS))
        self.g.add((base, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Ontology")))
        self.g.add((base, RDFS.label, Literal("Large-model safety knowledge-base vocabulary", lang="en")))
        for term, (label, comment) in TERM_DOCS.items():
            iri = KB[term]
            is_class = term[0].isupper()
            self.g.add((iri, RDF.type, RDFS.Class if is_class else RDF.Property))
            self.g.add((iri, RDFS.label, Literal(label, lang="en")))
            self.g.add((iri, RDFS.comment, Literal(comment, lang="en")))
            self.g.add((iri, RDFS.isDefinedBy, base))

    def implementations(self) -> None:
        try:
            from kb.reference import registry  # noqa: PLC0415

            metas = registry()
        except ImportError as exc:
            print(f"warning: reference implementations not linked ({exc})", file=sys.stderr)
            return
        for meta in metas:
            i = IMPL[meta.name]
            self.g.add((i, RDF.type, KB.Implementation))
            self.g.add((i, RDFS.label, Literal(meta.title)))
            self.g.add((i, RDFS.comment, Literal(meta.description, lang="en")))
            self.g.add((i, KB.modulePath, Literal(meta.module)))
            self.g.add((i, KB.entryPoint, Literal(meta.name)))
            for cid in meta.concept_ids:
                self.g.add((i, KB.implements, CONCEPT[cid]))
            for mid in meta.method_ids:
                self.g.add((i, KB.implements, METHOD[mid]))

    def emit_papers(self) -> list[BibEntry]:
        bib = []
        for p in self.papers.values():
            for t in paper_triples(
                p.pid, p.title, p.authors, p.year, p.venue, arxiv=p.arxiv, doi=p.doi, code=p.code,
                concepts=sorted(p.concepts),
            ):
                self.g.add(t)
            s = PAPER[p.pid]
            for kind, url in sorted(p.evidence.items()):
                prop = {"arxiv": KB.arxivEvidence, "arxiv_list": KB.arxivEvidence,
                        "doi": KB.doiEvidence, "code": KB.codeEvidence}[kind]
                self.g.add((s, prop, URIRef(url)))
            self.g.add((s, KB.inSource, SURVEY_SOURCE))
            for cid in sorted(p.concepts):
                for t in placement_triples(p.pid, cid, "survey", SURVEY_SOURCE):
                    self.g.add(t)
            for src in sorted(p.sources):
                self.g.add((s, PROV.wasDerivedFrom, URIRef(src)))
                if "/source/list-" in src:
                    self.g.add((s, KB.listedIn, URIRef(src)))
            for flag in p.flags:
                self.g.add((s, KB.flag, Literal(flag)))
            for other in sorted(p.dup_of):
                self.g.add((s, KB.possibleDuplicateOf, PAPER[other]))
            for ref in sorted(p.survey_refs):
                self.g.add((s, KB.surveyRef, Literal(ref)))
            if p.table_only and not p.authors:
                self.g.add((s, KB.needsReview, Literal(True)))
            for old in sorted(p.redirects):
                self.g.add((PAPER[old], DCTERMS.isReplacedBy, s))
            bib.append(bib_entry_for(p.pid, p.title, p.authors, p.year, p.venue, p.arxiv, p.doi, p.code))
        self.merge_person_names()
        return bib

    def merge_person_names(self) -> None:
        """One foaf:name per person: spelling variants of the same slug become alternative labels."""
        for person in set(self.g.subjects(RDF.type, FOAF.Person)):
            for pred in (FOAF.name, FOAF.familyName, FOAF.givenName):
                names = sorted(self.g.objects(person, pred), key=lambda n: (str(n).isascii(), str(n)))
                for extra in names[1:]:
                    self.g.remove((person, pred, extra))
                    if pred == FOAF.name:
                        self.g.add((person, SKOS.altLabel, extra))

    def keep_curated(self, bib: list[BibEntry]) -> None:
        """Carry over papers that `kb add` put into the existing files."""
        ttl, bibfile = self.out / "taxonomy.ttl", bib_path(self.out)
        if not ttl.exists():
            return
        old = parse_turtle(ttl)
        old_bib = {e.key: e for e in read_bib(bibfile).entries} if bibfile.exists() else {}
        for s in old.subjects(DCTERMS.source, CURATED_SOURCE):
            for t in _closure(old, s):
                self.g.add(t)
            key = str(s).rsplit("/", 1)[-1]
            if key in old_bib:
                bib.append(old_bib[key])

    def run(self) -> None:
        g, bib = self.build()
        write_files(g, bib, self.out)

    def build(self) -> tuple:
        """The survey's graph and bib entries (papers kept from `kb add` included), not yet written."""
        self.vocabulary_docs()
        self.facets()
        self.taxonomy()
        self.papers_from_list()
        self.enrichment()
        self.methods()
        self.settle_areas()
        self.apply_paper_fixes()
        self.datasets()
        self.defense_links()
        unused = self.corr.unused()
        if unused:
            raise SystemExit("import: " + unused[0])
        self.implementations()
        bib = self.emit_papers()
        self.keep_curated(bib)
        return self.g, bib


def write_files(g, bib: list[BibEntry], out: Path) -> None:
    """taxonomy.ttl and references.bib in their canonical form (atomic writes)."""
    out.mkdir(parents=True, exist_ok=True)
    bibfile = bib_path(out)
    write_turtle(g, out / "taxonomy.ttl")
    write_bib(bib, bibfile)
    print(f"wrote {out / 'taxonomy.ttl'} ({len(g)} triples) and {bibfile} ({len(bib)} entries)")


def _extends(longer: list[str], shorter: list[str]) -> bool:
    """True when `longer` names every author of `shorter`, in order, and more."""
    a = [x for x in longer if x != OTHERS]
    b = [x for x in shorter if x != OTHERS]
    return len(a) > len(b) and a[: len(b)] == b


def _closure(g, s):
    """The triples about s and the blank nodes and authors it owns."""
    seen, todo = set(), [s]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in g.predicate_objects(node):
            yield (node, p, o)
            if isinstance(o, BNode) or (p == DCTERMS.creator):
                todo.append(o)


def _page(locator: str) -> int | None:
    m = re.search(r"p\.\s*(\d+)", locator)
    return int(m.group(1)) if m else None


def _names_in(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, list):
        return [n for x in obj for n in _names_in(x)]
    if isinstance(obj, dict):
        return [n for k, v in obj.items() if k not in {"source", "model_family", "sub_model",
                                                       "section", "metric"} for n in _names_in(v)]
    return []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shared", type=Path, help="the shared data folder (holds survey-v6/, ...)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data",
                    help="folder of taxonomy.ttl (default data/); references.bib goes beside it if one is "
                         "there, else one folder up, as in the repository")
    ap.add_argument("--survey-only", action="store_true",
                    help="write the survey alone even when the files hold a later source's papers (they are dropped)")
    args = ap.parse_args(argv)
    ttl = args.out / "taxonomy.ttl"
    if not args.survey_only and ttl.exists() and "source:awesome-lm-ssp" in ttl.read_text(encoding="utf-8"):
        print(f"{ttl}: holds the Awesome-LM-SSP list's papers; run scripts/import_lm_ssp.py LIST_DIR (it imports "
              "the survey first), or pass --survey-only to drop them", file=sys.stderr)
        return 2
    for sub in ("survey-v6/taxonomy.yaml", "survey-v6/paper_labels.yaml", "survey-v6/datasets.yaml",
                "enrichment/identifiers.yaml", "awesome-large-model-safety/README.md"):
        if not (args.shared / sub).exists():
            print(f"{args.shared / sub}: not found; pass the shared data folder", file=sys.stderr)
            return 2
    Importer(args.shared, args.out).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
