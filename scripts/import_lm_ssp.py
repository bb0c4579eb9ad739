"""Import the Awesome-LM-SSP paper list on top of the survey into data/taxonomy.ttl and references.bib.

usage: scripts/import_lm_ssp.py LIST_DIR [--survey SHARED_DATA_DIR] [--commit SHA] [--out data/]

The survey is imported first (scripts/import_survey.py, in memory), then the list is layered on it
through the reviewed mapping scripts/lm_ssp_mapping.yaml, so a run is idempotent and byte-identical
on a second run; papers imported before keep their IDs. The survey's facts are never overwritten.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from import_survey import Importer, write_files  # noqa: E402

from kb.graph import DataError  # noqa: E402
from kb.ingest.list_import import ListImport, previous_ids  # noqa: E402
from kb.ingest.lm_ssp import read_list  # noqa: E402
from kb.ingest.mapping import DEFAULT_PATH, Mapping  # noqa: E402


def pinned_commit(list_dir: Path) -> str | None:
    """The commit the shared data's README names for this list copy (`... at commit 56d0110`)."""
    readme = list_dir.parent / "README.md"
    if not readme.exists():
        return None
    for line in readme.read_text(encoding="utf-8").splitlines():
        if f"`{list_dir.name}/`" in line:
            m = re.search(r"at commit ([0-9a-f]{7,40})", line)
            if m:
                return m.group(1)
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("list_dir", type=Path,
                    help="the list's copy (holds collection/paper/), e.g. ../shared/data/awesome-lm-ssp")
    ap.add_argument("--survey", type=Path, default=None,
                    help="the shared data folder with survey-v6/ (default: the list folder's parent)")
    ap.add_argument("--commit", default=None, help="the list's commit (default: as the shared README names it)")
    ap.add_argument("--mapping", type=Path, default=DEFAULT_PATH, help="the reviewed mapping (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=HERE.parent / "data", help="folder of taxonomy.ttl (default data/)")
    ap.add_argument("--predict", action="store_true",
                    help="then place the papers whose area the list leaves open by the classifier (how-predicted)")
    ap.add_argument("--min-score", type=float, default=0.5,
                    help="the least classifier score a predicted placement needs (default: %(default)s)")
    ap.add_argument("--report", action="store_true",
                    help="only report what is new since the graph's import and where it would go; write nothing")
    args = ap.parse_args(argv)
    survey = args.survey or args.list_dir.resolve().parent
    commit = args.commit or pinned_commit(args.list_dir.resolve())
    if not commit:
        print(f"{args.list_dir}: no commit found in {args.list_dir.resolve().parent / 'README.md'}; pass --commit SHA",
              file=sys.stderr)
        return 2
    if not args.report and not (survey / "survey-v6/taxonomy.yaml").exists():
        print(f"{survey}: no survey-v6/ here; pass --survey SHARED_DATA_DIR", file=sys.stderr)
        return 2
    try:
        entries = read_list(args.list_dir)
        mapping = Mapping(args.mapping)
        if args.report:
            return report(entries, mapping, commit, args.out)
        previous = previous_ids(args.out / "taxonomy.ttl")
        g, bib = Importer(survey, args.out).build()
        imp = ListImport(g, bib, mapping, commit, previous)
        works = imp.plan(entries)
        counts = imp.apply(works)
    except DataError as exc:
        print(f"import: {exc.message}", file=sys.stderr)
        return 1
    write_files(g, sorted(bib, key=lambda e: e.key), args.out)
    if args.predict:
        counts["placements (predicted)"] = predict(g, args.out, args.min_score)
        write_files(g, sorted(bib, key=lambda e: e.key), args.out)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{len(entries)} list entries, {len(works)} works: {shown}")
    return 0


def predict(g, out: Path, min_score: float) -> int:
    """Place each paper marked kb:areaOpen in the classifier's best area of its own family, with its
    score (how-predicted), when the score reaches min_score. The classifier is trained on the files
    just written, which hold no predictions, so a re-run predicts the same."""
    from rdflib import Literal
    from rdflib.namespace import DCTERMS, RDF, RDFS

    from kb.classify import classify
    from kb.ingest.placement import CLASSIFIER_SOURCE, placement_triples
    from kb.vocab import KB

    g.add((CLASSIFIER_SOURCE, RDF.type, KB.Source))
    g.add((CLASSIFIER_SOURCE, RDFS.label, Literal("The knowledge base's classifier (kb classify), trained on the "
                                                  "survey's and the list's placements")))
    papers = sorted(g.subjects(KB.areaOpen, Literal(True)))
    rows = classify([{"title": str(g.value(p, DCTERMS.title))} for p in papers], data_dir=out, top=100)
    n = 0
    for p, row in zip(papers, rows, strict=True):
        families = {str(c).rsplit("/", 1)[-1] for c in g.objects(p, DCTERMS.subject)
                    if (c, RDF.type, KB.ModelFamily) in g}
        best = next((a for a in row["areas"] if a["id"].split(".")[0] in families), None)
        if best and best["score"] >= min_score:
            for t in placement_triples(str(p).rsplit("/", 1)[-1], best["id"], "predicted", CLASSIFIER_SOURCE,
                                       best["score"]):
                g.add(t)
            n += 1
    return n


def report(entries, mapping: Mapping, commit: str, out: Path) -> int:
    """What a newer copy would add to the graph as it is, and where the mapping would place it."""
    from kb.graph import parse_turtle
    from kb.ingest.placement import LIST_SOURCE
    from kb.vocab import KB

    g = parse_turtle(out / "taxonomy.ttl")
    imp = ListImport(g, [], mapping, commit)
    works = imp.plan(entries)
    new = [w for w in works if not w.merged]
    for w in new:
        where = "; ".join(f"{p.kind} {', '.join(p.targets) or '-'}" for p in w.placements)
        print(f"new\t{w.pid}\t{w.first.year}-{w.first.month:02d}\t{w.first.title}\t{where}")
    listed = {w.pid for w in works if w.merged}
    gone = sorted(str(p).rsplit("/", 1)[-1] for p in g.subjects(KB.inSource, LIST_SOURCE)
                  if str(p).rsplit("/", 1)[-1] not in listed)
    for pid in gone:
        print(f"gone\t{pid}\t(no longer in this copy; kept until applied)")
    print(f"{len(entries)} entries, {len(works)} works: {len(new)} new, {len(works) - len(new)} already in the "
          f"graph, {len(gone)} of the graph's list papers not in this copy; apply by running without --report",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
