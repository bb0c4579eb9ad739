"""Import the Awesome-LM-SSP paper list on top of the survey into data/taxonomy.ttl and references.bib.

usage: scripts/import_lm_ssp.py LIST_DIR [--survey SHARED_DATA_DIR] [--commit SHA] [--out data/]
                                [--bib FILE]... [--no-predict] [--min-score 0.5] [--report]

The survey is imported first (scripts/import_survey.py, in memory), then the list is layered on it
through the reviewed mapping scripts/lm_ssp_mapping.yaml, so a run is idempotent and byte-identical
on a second run; papers imported before keep their IDs. The survey's facts are never overwritten.
Papers whose area the labels leave open are placed by the classifier among the areas consistent with
the labels (how-predicted); below --min-score the placement is marked tentative and the paper flagged for
review. Each --bib file is layered last (its papers have no labels: below --min-score they stay unplaced).
"""

from __future__ import annotations

import argparse
import re
import sys
from fnmatch import fnmatchcase
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from import_survey import Importer, write_files  # noqa: E402

from kb.graph import DataError  # noqa: E402
from kb.ingest.bib_import import BibImport, read_bib_entries  # noqa: E402
from kb.ingest.list_import import ListImport, previous_ids  # noqa: E402
from kb.ingest.lm_ssp import read_list  # noqa: E402
from kb.ingest.mapping import DEFAULT_PATH, Mapping  # noqa: E402

# the least renormalised score a predicted placement needs: see docs/sources.md for the measured choice
MIN_SCORE = 0.5


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
    ap.add_argument("--no-predict", dest="predict", action="store_false",
                    help="leave the papers whose area the list leaves open unplaced (default: the classifier "
                         "places them among the areas consistent with their labels, how-predicted)")
    ap.add_argument("--min-score", type=float, default=MIN_SCORE,
                    help="below this classifier score a predicted placement is tentative (a list paper) or not "
                         "made (a --bib paper) (default: %(default)s)")
    ap.add_argument("--bib", type=Path, action="append", default=[], metavar="FILE",
                    help="also a BibTeX file of papers: new ones are placed by the classifier (how-predicted); "
                         "repeatable")
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
            return report(entries, mapping, commit, args.out, args.bib, args.min_score)
        previous = previous_ids(args.out / "taxonomy.ttl")
        g, bib = Importer(survey, args.out).build()
        imp = ListImport(g, bib, mapping, commit, previous)
        works = imp.plan(entries)
        counts = imp.apply(works)
    except DataError as exc:
        print(f"import: {exc.message}", file=sys.stderr)
        return 1
    write_files(g, sorted(bib, key=lambda e: e.key), args.out)
    try:
        if args.predict:
            for k, v in predict(g, works, args.out, args.min_score).items():
                counts[f"open areas: {k}"] = v
        for path in args.bib:  # classified against the files just written, like the open areas
            imp_bib = BibImport(g, path)
            done, entries_bib = imp_bib.apply(imp_bib.plan(read_bib_entries(path), args.out), args.min_score)
            bib.extend(entries_bib)
            for k, v in done.items():
                counts[f"{path.name}: {k}"] = v
    except DataError as exc:
        print(f"import: {exc.message}", file=sys.stderr)
        return 1
    if args.predict or args.bib:
        write_files(g, sorted(bib, key=lambda e: e.key), args.out)
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{len(entries)} list entries, {len(works)} works: {shown}")
    return 0


def consistent(patterns, area_ids: list[str]) -> list[str]:
    """The classifier's areas (not topics) that match the mapping's candidates (ids or globs)."""
    return [a for a in area_ids if not a.startswith("topic.") and any(fnmatchcase(a, p) for p in patterns)]


def predict(g, works, out: Path, min_score: float) -> dict[str, int]:
    """Place each new paper whose area the list's labels leave open (kb:areaOpen) in the classifier's best
    area among those consistent with its labels (the mapping's `candidates`), the score renormalised over
    them (how-predicted); below min_score the placement is kb:tentative and the paper flagged for review
    (its labels put it in scope, so it gets an area; the flag says how unsure that area is). The
    classifier is trained on the files just written, which hold no predictions, so a re-run predicts the
    same (and its cache, keyed by those files, makes the re-run cheap)."""
    from rdflib import Literal
    from rdflib.namespace import DCTERMS, RDFS

    from kb.classify import classify
    from kb.ingest.placement import CLASSIFIER_SOURCE, classifier_source, placement_iri, placement_triples
    from kb.vocab import KB, PAPER

    open_works = [w for w in works if not w.merged and (PAPER[w.pid], KB.areaOpen, Literal(True)) in g]
    counts = {"predicted": 0, "predicted, tentative (below threshold)": 0, "unplaced (no consistent area)": 0}
    if not open_works:
        return counts
    for triple in classifier_source():
        g.add(triple)
    rows = classify([{"title": str(g.value(PAPER[w.pid], DCTERMS.title))} for w in open_works], data_dir=out,
                    top=1000)
    for w, row in zip(open_works, rows, strict=True):
        s = PAPER[w.pid]
        opens = [pl for pl in w.placements if pl.kind == "open"]
        patterns = sorted({c for pl in opens for c in pl.candidates})
        scores = {a["id"]: a["score"] for a in row["areas"]}
        cands = consistent(patterns, list(scores))
        if not cands:
            why = "; ".join(sorted({pl.note for pl in opens}))
            g.add((s, KB.unplaced, Literal(f"No survey area fits the list's labels: {why}.")))
            counts["unplaced (no consistent area)"] += 1
            continue
        mass = sum(scores[a] for a in cands)
        best = max(cands, key=lambda a: (scores[a], a))
        score = scores[best] / mass if mass > 0 else 1.0 / len(cands)
        labels = "; ".join(sorted({f"{pl.category} ({pl.key})" for pl in opens}))
        for t in placement_triples(w.pid, best, "predicted", CLASSIFIER_SOURCE, score):
            g.add(t)
        g.add((placement_iri(w.pid, best), RDFS.comment, Literal(
            f"Chosen among the {len(cands)} areas consistent with the list's labels {labels}: "
            f"{', '.join(patterns)}; the score is renormalised over them (the classifier gave them "
            f"{mass:.2f} of its mass, this area {scores[best]:.2f}).", lang="en")))
        if score < min_score:  # in scope by its labels, so placed; but more likely wrong than right
            g.add((placement_iri(w.pid, best), KB.tentative, Literal(True)))
            g.add((s, KB.flag, Literal(
                f"Placed tentatively in {best}: the classifier's best area consistent with the list's labels "
                f"scored {score:.2f}, below the import's threshold {min_score}, so it is more likely wrong than "
                "right; a curator should review it.")))
            counts["predicted, tentative (below threshold)"] += 1
        else:
            counts["predicted"] += 1
    return counts


def report(entries, mapping: Mapping, commit: str, out: Path, bibs: list[Path] | None = None,
           min_score: float = MIN_SCORE) -> int:
    """What a newer copy (and each .bib) would add to the graph as it is, and where it would be placed."""
    from kb.graph import parse_turtle
    from kb.ingest.placement import LIST_SOURCE
    from kb.vocab import KB

    g = parse_turtle(out / "taxonomy.ttl")
    for path in bibs or []:
        bib_works = BibImport(g, path).plan(read_bib_entries(path), out)
        bib_new = [w for w in bib_works if not w.known]
        for bw in bib_works:
            e = bw.entry
            if bw.known:
                print(f"known\t{bw.pid}\t{e.year or ''}\t{e.title}\t-")
            else:
                where = (f"predicted {bw.area} {bw.score:.2f}" if bw.score >= min_score
                         else f"unplaced (best {bw.area or '-'} {bw.score:.2f} < {min_score})")
                print(f"new\t{bw.pid}\t{e.year or ''}\t{e.title}\t{where}")
        print(f"{path}: {len(bib_works)} works: {len(bib_new)} new, {len(bib_works) - len(bib_new)} already in "
              "the graph; apply by running without --report", file=sys.stderr)
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
