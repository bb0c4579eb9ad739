"""How often the list mapping puts a paper the survey also holds in the survey's own area.

usage: scripts/mapping_agreement.py LIST_DIR [--data data/] [--disagreements] [--classifier]

For every work of the list that the graph's survey papers hold (matched by arXiv id, then title), the
mapping's areas (from the list's category and badges) are compared with the survey's areas (the
threat types at or above the paper's survey placements). Printed: shared papers, how many the mapping
gives an area, and of those how many share an area / a family with the survey. With --classifier,
the same papers' out-of-fold predictions of `kb classify --evaluate` (titles only) are scored against
the survey beside them: a second expert curation and the classifier on the same footing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rdflib.namespace import RDF, SKOS  # noqa: E402

from kb.graph import load_graph  # noqa: E402
from kb.ingest.list_import import PaperIndex, group_works  # noqa: E402
from kb.ingest.lm_ssp import read_list  # noqa: E402
from kb.ingest.mapping import Mapping  # noqa: E402
from kb.ingest.placement import SURVEY_SOURCE  # noqa: E402
from kb.vocab import FACET, KB, PAPER  # noqa: E402


def survey_areas(g, paper) -> set[str]:
    out = set()
    for pl in g.subjects(KB.paper, paper):
        if (pl, KB.how, FACET["how-survey"]) not in g:
            continue
        c = g.value(pl, KB.concept)
        while c is not None:
            if (c, RDF.type, KB.ThreatType) in g:
                out.add(str(c).rsplit("/", 1)[-1])
            c = g.value(c, SKOS.broader)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("list_dir", type=Path)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--disagreements", action="store_true", help="also list each paper where they differ")
    ap.add_argument("--classifier", action="store_true", help="also score the classifier's out-of-fold areas")
    args = ap.parse_args(argv)
    oof = out_of_fold(args.data) if args.classifier else {}
    g = load_graph(args.data)
    survey = g.__class__()
    for p in g.subjects(KB.inSource, SURVEY_SOURCE):
        for t in g.triples((p, None, None)):
            survey.add(t)
    index = PaperIndex(survey)
    mapping = Mapping()
    n = Counter()
    for w in group_works(read_list(args.list_dir)):
        pid = index.match(w.arxiv, [e.title for e in w.entries])
        if pid is None:
            continue
        n["shared"] += 1
        paper = PAPER[pid]
        theirs = survey_areas(g, paper)
        placed = [pl for e in w.entries for pl in mapping.place(e.category, e.models, e.tags, e.title)]
        mine = {t for pl in placed if pl.kind == "area" for t in pl.targets}
        if not mine:
            n["no area: " + "/".join(sorted({pl.kind for pl in placed}))] += 1
            continue
        n["with an area"] += 1
        n["mapping areas"] += len(mine)
        if pid in oof:
            n["classifier scored"] += 1
            n["classifier top-1"] += oof[pid][0] in theirs
            n["classifier top-3"] += bool(set(oof[pid][:3]) & theirs)
        if mine & theirs:
            n["same area"] += 1
        elif {a.split(".")[0] for a in mine} & {a.split(".")[0] for a in theirs}:
            n["same family only"] += 1
            if args.disagreements:
                print(f"family  {pid}: mapping {sorted(mine)}, survey {sorted(theirs)}")
        else:
            n["other family"] += 1
            if args.disagreements:
                print(f"other   {pid}: mapping {sorted(mine)}, survey {sorted(theirs)}")
    placed = n["with an area"]
    print(f"shared papers: {n['shared']}; the mapping gives {placed} an area "
          f"({', '.join(f'{k} {v}' for k, v in sorted(n.items()) if k.startswith('no area'))})")
    for key in ("same area", "same family only", "other family"):
        print(f"{key}: {n[key]} of {placed} ({100 * n[key] / placed:.1f} %)")
    if args.classifier:
        scored = n["classifier scored"]
        print(f"the mapping gives these papers {n['mapping areas'] / placed:.2f} areas each (same area: any of them)")
        for key in ("classifier top-1", "classifier top-3"):
            print(f"{key} in the survey's areas, out of fold: {n[key]} of {scored} ({100 * n[key] / scored:.1f} %)")
    return 0


def out_of_fold(data: Path | None) -> dict[str, list[str]]:
    """Paper id -> the classifier's areas, best first, from `kb classify --evaluate`'s folds."""
    from kb.classify.data import load_corpus
    from kb.classify.evaluate import cross_validate
    from kb.classify.model import FINAL

    outcome = cross_validate(load_corpus(data), FINAL)
    return {ex.id: [a for a, _ in top] for ex, top in zip(outcome.examples, outcome.ranked["area"], strict=True)}


if __name__ == "__main__":
    sys.exit(main())
