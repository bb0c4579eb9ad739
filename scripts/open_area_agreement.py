"""How right the classifier is when it only chooses the area within a family the labels already give.

usage: scripts/open_area_agreement.py [--data data/] [--family agent] [--folds 5]

The importer places a paper whose list labels name its family but leave the area open in the
classifier's best area consistent with the labels, its score renormalised over them
(scripts/import_lm_ssp.py). This measures that rule on the papers whose area is known: out-of-fold
predictions (kb/classify/evaluate.py), restricted to the areas of the paper's own family (or of
`--family` only), renormalised; printed per score bin: papers, mean score, share right (the chosen
area is one of the paper's areas from the survey or the list's labels).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kb.classify.data import load_corpus  # noqa: E402
from kb.classify.evaluate import FOLDS, cross_validate  # noqa: E402
from kb.classify.model import FINAL  # noqa: E402

BINS = ((0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.3, 0.5), (0.0, 0.3))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE.parent / "data")
    ap.add_argument("--family", default=None, help="only papers of this family (e.g. agent)")
    ap.add_argument("--folds", type=int, default=FOLDS)
    args = ap.parse_args(argv)
    corpus = load_corpus(args.data)
    outcome = cross_validate(corpus, FINAL, folds=args.folds, progress=lambda m: print(m, file=sys.stderr))
    rows = []
    for ex, dist in zip(outcome.examples, outcome.ranked["area"], strict=True):
        truth = {a for a in ex.labels.get("area", set()) if not a.startswith("topic.")}
        families = {a.split(".")[0] for a in truth}
        if len(families) != 1 or (args.family and families != {args.family}):
            continue
        fam = families.pop()
        cands = [(c, s) for c, s in dist if c.split(".")[0] == fam and not c.startswith("topic.")]
        mass = sum(s for _, s in cands)
        if not cands or mass <= 0:
            continue
        best, s = max(cands, key=lambda cs: (cs[1], cs[0]))
        rows.append((s / mass, best in truth))
    print("| renormalised score | papers | mean score | right |")
    print("| --- | --- | --- | --- |")
    for lo, hi in BINS:
        b = [(s, ok) for s, ok in rows if lo <= s < hi]
        if b:
            print(f"| {lo:.1f}–{min(hi, 1.0):.1f} | {len(b)} | {sum(s for s, _ in b) / len(b):.3f} | "
                  f"{sum(ok for _, ok in b) / len(b):.3f} |")
    right = sum(ok for _, ok in rows)
    print(f"{len(rows)} papers of one family{f' ({args.family})' if args.family else ''}: "
          f"{right} right ({right / max(len(rows), 1):.3f}) when the area is chosen within the family")
    return 0


if __name__ == "__main__":
    sys.exit(main())
