"""Write a synthetic knowledge base: the real taxonomy plus N papers and their methods.

    python scripts/synth.py 100000 /tmp/kb-synth [--bib 2000] [--seed 1]

Writes OUT/synth-N.nt (N-Triples) and, with --bib, OUT/synth-N.bib. The taxonomy, sources,
vocabulary and defense links are copied from data/taxonomy.ttl; every paper and method is drawn
from a random real one as its template, so families, threat types, subcategories, years, venues,
author counts and the presence of arXiv ids, DOIs, code links and flags follow the real joint
distribution. Authors, datasets and target models grow by a Yule process (a slot reuses an
existing one in proportion to its use so far, or mints a new one), which gives the heavy-tailed
productivity seen in real bibliographies.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from array import array
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.vocab import NAMESPACES, slugify  # noqa: E402

NS = {p: str(ns) for p, ns in NAMESPACES.items()}
P_NEW_AUTHOR, P_NEW_DATASET, P_NEW_MODEL = 0.3, 0.15, 0.1


def iri(prefix: str, local: str) -> str:
    return f"<{NS[prefix]}{local}>"


def lit(text: str, datatype: str | None = None) -> str:
    esc = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{esc}"^^<{datatype}>' if datatype else f'"{esc}"'


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


T = {  # predicate and class IRIs in N-Triples form
    "type": iri("rdf", "type"),
    "first": iri("rdf", "first"),
    "rest": iri("rdf", "rest"),
    "nil": iri("rdf", "nil"),
    "label": iri("rdfs", "label"),
    "title": iri("dcterms", "title"),
    "identifier": iri("dcterms", "identifier"),
    "creator": iri("dcterms", "creator"),
    "issued": iri("dcterms", "issued"),
    "authorList": iri("bibo", "authorList"),
    "doi": iri("bibo", "doi"),
    "page": iri("foaf", "page"),
    "name": iri("foaf", "name"),
    "familyName": iri("foaf", "familyName"),
    "givenName": iri("foaf", "givenName"),
    "Person": iri("foaf", "Person"),
    "code": iri("schema", "codeRepository"),
    "arxivId": iri("kb", "arxivId"),
    "proposedIn": iri("kb", "proposedIn"),
    "targetModel": iri("kb", "targetModel"),
    "evaluatedOn": iri("kb", "evaluatedOn"),
    "modelFamily": iri("kb", "modelFamily"),
    "evaluates": iri("kb", "evaluates"),
    "introducedBy": iri("kb", "introducedBy"),
    "possibleDuplicateOf": iri("kb", "possibleDuplicateOf"),
    "Model": iri("kb", "Model"),
    "Dataset": iri("dcat", "Dataset"),
}
XSD_GYEAR = NS["xsd"] + "gYear"
PAPER_REGENERATED = {
    T[k]
    for k in (
        "creator",
        "authorList",
        "title",
        "identifier",
        "arxivId",
        "page",
        "code",
        "doi",
        "possibleDuplicateOf",
    )
}
METHOD_REGENERATED = {T[k] for k in ("proposedIn", "label", "targetModel", "evaluatedOn")}


def rows(store: ox.Store, query: str) -> list[dict]:
    res = store.query(query, prefixes=NS)
    names = [v.value for v in res.variables]
    return [{n: sol[n] for n in names} for sol in res]


class Real:
    """Templates and pools read from the real graph."""

    def __init__(self, taxonomy: Path) -> None:
        store = ox.Store()
        store.bulk_load(path=str(taxonomy), format=ox.RdfFormat.TURTLE)
        self.triples = len(store)
        papers = [
            r["p"] for r in rows(store, "SELECT ?p { ?p a bibo:AcademicArticle } ORDER BY ?p")
        ]
        methods = [r["m"] for r in rows(store, "SELECT ?m { ?m a kb:Method } ORDER BY ?m")]
        persons = {r["x"] for r in rows(store, "SELECT ?x { ?x a foaf:Person }")}
        self.paper_iris = {str(p) for p in papers}
        self.papers = []  # (iri, [(pred, obj)], year, n_authors, title words, has arxiv/code/doi)
        for p in papers:
            po = [(str(q.predicate), str(q.object)) for q in store.quads_for_pattern(p, None, None)]
            year = next(o.split('"')[1] for pr, o in po if pr == iri("fabio", "hasPublicationYear"))
            title = next(
                q.object.value
                for q in store.quads_for_pattern(p, ox.NamedNode(NS["dcterms"] + "title"), None)
            )
            n_auth = sum(1 for pr, _ in po if pr == T["creator"])
            keep = [(pr, o) for pr, o in po if pr not in PAPER_REGENERATED]
            has = {k for k in ("arxivId", "code", "doi") if any(pr == T[k] for pr, _ in po)}
            self.papers.append((str(p), keep, int(year), max(n_auth, 1), len(title.split()), has))
        self.methods_of: dict[str, list[tuple[str, list, int, int, str]]] = {}
        for m in methods:
            po = [(str(q.predicate), str(q.object)) for q in store.quads_for_pattern(m, None, None)]
            paper = next((o for pr, o in po if pr == T["proposedIn"]), None)
            label = next(
                q.object.value
                for q in store.quads_for_pattern(m, ox.NamedNode(NS["rdfs"] + "label"), None)
            )
            n_models = sum(1 for pr, _ in po if pr == T["targetModel"])
            n_data = sum(1 for pr, _ in po if pr == T["evaluatedOn"])
            keep = [(pr, o) for pr, o in po if pr not in METHOD_REGENERATED]
            family = m.value[len(NS["method"]) :].split("-")[0]
            self.methods_of.setdefault(paper, []).append((family, keep, n_models, n_data, label))
        # subcategory -> its threat type, so a new dataset evaluates the area its method is in
        self.area_of = {
            str(r["s"]): str(r["t"])
            for r in rows(
                store, "SELECT ?s ?t { ?s a kb:Subcategory ; skos:broader/skos:broader ?t }"
            )
        }
        self.words = [
            w
            for r in rows(store, "SELECT ?t { ?p a bibo:AcademicArticle ; dcterms:title ?t }")
            for w in r["t"].value.split()
        ]
        names = rows(
            store,
            "SELECT ?f ?g { ?x a foaf:Person ; foaf:familyName ?f "
            "OPTIONAL { ?x foaf:givenName ?g } }",
        )
        self.family_names = [r["f"].value for r in names]
        self.given_names = [r["g"].value for r in names if r["g"] is not None]
        self.datasets = [
            str(r["d"]) for r in rows(store, "SELECT ?d { ?d a dcat:Dataset } ORDER BY ?d")
        ]
        self.models = [str(r["m"]) for r in rows(store, "SELECT ?m { ?m a kb:Model } ORDER BY ?m")]
        # everything that is not a paper, person, method or author-list node is kept as it is
        drop = set(map(str, papers)) | set(map(str, methods)) | set(map(str, persons))
        self.base = []
        for q in store:
            s = str(q.subject)
            if s in drop or isinstance(q.subject, ox.BlankNode):
                continue
            self.base.append((s, str(q.predicate), str(q.object)))


class Yule:
    """Slots filled by reuse in proportion to past use, or by a new item with probability p_new."""

    def __init__(self, rng: random.Random, seed_items: int, p_new: float) -> None:
        self.rng, self.p_new, self.count = rng, p_new, seed_items
        self.uses = array("l", range(seed_items))

    def draw(self) -> tuple[int, bool]:
        if not self.uses or self.rng.random() < self.p_new:
            item, new = self.count, True
            self.count += 1
        else:
            item, new = self.uses[self.rng.randrange(len(self.uses))], False
        self.uses.append(item)
        return item, new


def synthesize(real: Real, n: int, out, rng: random.Random, bib_pick: set[int]) -> dict:
    """Write n synthetic papers (and their methods, authors, datasets, models); return counts."""
    authors = Yule(rng, 0, P_NEW_AUTHOR)
    datasets = Yule(rng, len(real.datasets), P_NEW_DATASET)
    models = Yule(rng, len(real.models), P_NEW_MODEL)
    first_of_template: dict[str, str] = {}
    person_iri: list[str] = []
    person_name = (array("l"), array("l"))  # indexes into the real family and given names
    arxiv_seq: dict[str, int] = {}
    picked: list[dict] = []
    n_methods = 0
    w = out.write
    started, step = time.monotonic(), max(1, n // 10)
    for i in range(n):
        t_iri, keep, year, n_auth, n_words, has = real.papers[rng.randrange(len(real.papers))]
        title = " ".join(rng.choice(real.words) for _ in range(n_words)).capitalize()
        creators = []
        for _ in range(n_auth):
            a, new = authors.draw()
            for _retry in range(5):  # one person appears once per author list
                if a not in creators:
                    break
                a, new = authors.draw()
            if a in creators:
                continue
            if new:
                fi, gi = rng.randrange(len(real.family_names)), rng.randrange(len(real.given_names))
                person_name[0].append(fi)
                person_name[1].append(gi)
                fam, giv = real.family_names[fi], real.given_names[gi]
                person_iri.append(iri("person", f"{slugify(fam + '-' + giv)}-{b36(a)}"))
                pi = person_iri[a]
                w(
                    f"{pi} {T['type']} {T['Person']} .\n{pi} {T['name']} {lit(f'{fam}, {giv}')} .\n"
                    f"{pi} {T['familyName']} {lit(fam)} .\n{pi} {T['givenName']} {lit(giv)} .\n"
                )
            creators.append(a)
        surname = re.sub(r"[^a-z]", "", slugify(real.family_names[person_name[0][creators[0]]]))
        surname = surname or "anon"
        word = re.sub(r"[^a-z0-9]", "", title.split()[0].lower()) or "x"
        pid = f"{surname}{year}{word}{b36(i)}"
        p = iri("paper", pid)
        first_of_template.setdefault(t_iri, p)
        lines = [f"{p} {pr} {o} .\n" for pr, o in keep]
        lines.append(f"{p} {T['title']} {lit(title)} .\n{p} {T['identifier']} {lit(pid)} .\n")
        creators_nt = [person_iri[a] for a in creators]
        lines += [f"{p} {T['creator']} {c} .\n" for c in creators_nt]
        node = f"_:l{b36(i)}x"
        lines.append(f"{p} {T['authorList']} {node}0 .\n")
        for j, c in enumerate(creators_nt):
            nxt = T["nil"] if j == len(creators) - 1 else f"{node}{j + 1}"
            lines.append(f"{node}{j} {T['first']} {c} .\n{node}{j} {T['rest']} {nxt} .\n")
        arxiv = None
        if "arxivId" in has:
            ym = f"{year % 100:02d}{rng.randint(1, 12):02d}"
            arxiv_seq[ym] = arxiv_seq.get(ym, 0) + 1
            arxiv = f"{ym}.{arxiv_seq[ym]:05d}"
            lines.append(
                f"{p} {T['arxivId']} {lit(arxiv)} .\n"
                f"{p} {T['page']} <https://arxiv.org/abs/{arxiv}> .\n"
            )
        if "code" in has:
            lines.append(f"{p} {T['code']} <https://github.com/synth/{pid}> .\n")
        doi = f"10.5555/{pid}" if "doi" in has else None
        if doi:
            lines.append(f"{p} {T['doi']} {lit(doi)} .\n")
        w("".join(lines))
        for family, mkeep, n_models, n_data, label in real.methods_of.get(t_iri, []):
            m = iri("method", f"{family}-{slugify(label)}-{b36(n_methods)}")
            n_methods += 1
            mlines = [f"{m} {pr} {o} .\n" for pr, o in mkeep]
            mlines.append(
                f"{m} {T['label']} {lit(f'{label}-{b36(n_methods)}')} .\n"
                f"{m} {T['proposedIn']} {p} .\n"
            )
            fam_iri = iri("concept", family)
            sub = next((o for pr, o in mkeep if pr == iri("kb", "subcategory")), None)
            for _ in range(n_models):
                k, new = models.draw()
                mi = (
                    real.models[k]
                    if k < len(real.models)
                    else iri("model", f"synth-model-{b36(k)}")
                )
                if new:
                    mlines.append(
                        f"{mi} {T['type']} {T['Model']} .\n"
                        f"{mi} {T['label']} {lit(f'Model {b36(k)}')} .\n"
                    )
                mlines.append(f"{m} {T['targetModel']} {mi} .\n")
            for _ in range(n_data):
                k, new = datasets.draw()
                di = (
                    real.datasets[k]
                    if k < len(real.datasets)
                    else iri("dataset", f"synth-bench-{b36(k)}")
                )
                if new:
                    name = f"{rng.choice(real.words).capitalize()}Bench-{b36(k)}"
                    mlines.append(
                        f"{di} {T['type']} {T['Dataset']} .\n{di} {T['title']} {lit(name)} .\n"
                        f"{di} {T['label']} {lit(name)} .\n{di} {T['modelFamily']} {fam_iri} .\n"
                        f"{di} {T['issued']} {lit(str(year), XSD_GYEAR)} .\n"
                        f"{di} {T['introducedBy']} {p} .\n"
                    )
                    if sub and sub in real.area_of:
                        mlines.append(f"{di} {T['evaluates']} {real.area_of[sub]} .\n")
                mlines.append(f"{m} {T['evaluatedOn']} {di} .\n")
            w("".join(mlines))
        if i in bib_pick:
            picked.append(
                {
                    "id": pid,
                    "title": title,
                    "year": year,
                    "arxiv": arxiv,
                    "doi": doi,
                    "authors": [
                        f"{real.family_names[person_name[0][a]]}, "
                        f"{real.given_names[person_name[1][a]]}"
                        for a in creators
                    ],
                }
            )
        if (i + 1) % step == 0:
            print(f"  {i + 1:>9} papers  {time.monotonic() - started:6.1f} s", file=sys.stderr)
    # base triples last, so links to real papers can point at a paper drawn from them
    for s, pr, o in real.base:
        if o in real.paper_iris:
            o = first_of_template.get(o)
            if o is None:
                continue
        w(f"{s} {pr} {o} .\n")
    return {
        "papers": n,
        "methods": n_methods,
        "persons": authors.count,
        "datasets": datasets.count,
        "models": models.count,
        "picked": picked,
    }


def write_bib(
    path: Path, picked: list[dict], n_extra: int, rng: random.Random, words: list[str]
) -> None:
    """A bib of known papers (by arXiv id, DOI or a lightly altered title) and unknown ones."""
    entries = []
    for k, e in enumerate(picked):
        fields = {"title": e["title"], "year": str(e["year"]), "author": " and ".join(e["authors"])}
        how = k % 3
        if how == 0 and e["arxiv"]:
            fields["eprint"], fields["archiveprefix"] = e["arxiv"], "arXiv"
        elif how == 1 and e["doi"]:
            fields["doi"] = e["doi"]
        else:  # title only, altered the way copied references are
            fields["title"] = e["title"].lower().rstrip(".") + ("." if k % 2 else "")
        entries.append((f"known{k}", fields))
    for k in range(n_extra):
        title = " ".join(rng.choice(words) for _ in range(9)).capitalize()
        entries.append(
            (
                f"unknown{k}",
                {"title": title, "year": str(rng.randint(2019, 2026)), "author": "Doe, Jane"},
            )
        )
    text = "".join(
        f"@article{{{key},\n"
        + "".join(
            f"  {f} = {{{v.replace('{', '').replace('}', '')}}},\n" for f, v in fields.items()
        )
        + "}\n\n"
        for key, fields in entries
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of synthetic papers")
    ap.add_argument("out", type=Path, help="output directory (never data/)")
    ap.add_argument("--taxonomy", type=Path, default=ROOT / "data" / "taxonomy.ttl")
    ap.add_argument(
        "--bib", type=int, default=0, help="also write a bib of this many entries (3/4 known)"
    )
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.out.resolve().is_relative_to((ROOT / "data").resolve()):
        sys.exit(f"{args.out}: refusing to write synthetic data into data/; pick another directory")
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    t0 = time.monotonic()
    real = Real(args.taxonomy)
    print(
        f"real graph: {real.triples} triples, {len(real.papers)} paper templates", file=sys.stderr
    )
    n_known = (args.bib * 3) // 4 if args.bib else 0
    bib_pick = set(rng.sample(range(args.n), min(n_known, args.n)))
    target = args.out / f"synth-{args.n}.nt"
    tmp = target.with_suffix(".nt.tmp")
    with open(tmp, "w", encoding="utf-8", buffering=1 << 20) as out:
        counts = synthesize(real, args.n, out, rng, bib_pick)
    os.replace(tmp, target)
    if args.bib:
        write_bib(
            args.out / f"synth-{args.n}.bib",
            counts["picked"],
            args.bib - len(counts["picked"]),
            rng,
            real.words,
        )
    counts.pop("picked")
    size = target.stat().st_size / 1e6
    print(
        f"wrote {target} ({size:.0f} MB) {counts} in {time.monotonic() - t0:.1f} s", file=sys.stderr
    )


if __name__ == "__main__":
    main()
