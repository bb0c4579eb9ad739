"""Benchmark `kb coverage`: 2,000 references against the real graph and a 100,000-paper one.

Usage: python scripts/bench_coverage.py [--runs 5]. Prints medians (target: <= 2 s wall each).
The synthetic records are generated here, in memory, from the real titles' vocabulary.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from kb.coverage import source
from kb.coverage.bibin import read_references
from kb.coverage.match import Index, Paper
from kb.coverage.report import build_report, coverage_report


def _bib_entry(key: str, title: str, authors: list[str], year: int | None, extra: str = "") -> str:
    author = " and ".join(f"{a}, A." for a in authors) or "Anonymous"
    year = year or 2024
    return (
        f"@article{{{key},\n  title = {{{title}}},\n  author = {{{author}}},\n"
        f"  year = {{{year}}},{extra}\n}}\n"
    )


def make_bib(papers: list[Paper], vocab: list[str], n: int, rng: random.Random) -> str:
    """n entries: half survey papers (ids, exact titles, typos, braces), half unknown ones."""
    out = ["@string{neurips = {Advances in Neural Information Processing Systems}}\n"]
    for i in range(n):
        if i % 2 == 0:
            p = papers[(i // 2) % len(papers)]
            title, extra = p.title, ""
            kind = i % 8
            if kind == 0 and p.arxiv:
                extra = f"\n  journal = {{arXiv preprint arXiv:{p.arxiv}}}"
            elif kind == 2:
                words = title.split()
                j = max(range(len(words)), key=lambda k: len(words[k]))
                w = words[j]
                words[j] = w[:2] + w[3:] if len(w) > 4 else w
                title = " ".join(words)
            elif kind == 4:
                title = "{" + title.replace("LLM", "{LLM}") + "}"
            elif kind == 6:
                title = title.lower()
            out.append(_bib_entry(f"k{i}", title, list(p.authors[:3]), p.year, extra))
        else:
            title = " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 12))).capitalize()
            out.append(_bib_entry(f"k{i}", title, ["Doe", "Roe"], rng.randint(2015, 2025)))
    return "".join(out)


def synthetic_papers(real: list[Paper], n: int, rng: random.Random) -> list[Paper]:
    """n paper records whose titles draw on the real titles' word frequencies."""
    counts = Counter(w for p in real for w in p.title.split())
    words, weights = list(counts), list(counts.values())
    surnames = sorted({a for p in real for a in p.authors})
    areas = sorted({a for p in real for a in p.areas})
    out = list(real)
    for i in range(n - len(real)):
        title = " ".join(rng.choices(words, weights, k=rng.randint(5, 14)))
        out.append(
            Paper(
                id=f"syn{i}",
                title=title,
                authors=tuple(rng.sample(surnames, 3)),
                year=rng.randint(2012, 2026),
                arxiv=f"{rng.randint(1501, 2512)}.{rng.randint(10000, 99999)}",
                areas=(rng.choice(areas),),
                links=rng.randint(0, 5),
            )
        )
    return out


CPU: list[float] = []  # CPU-time median of the last timed() call: the machine is shared


def correct(report: dict, papers: list[Paper]) -> str:
    """How many of the survey entries (even keys) resolved to their own paper, and false matches."""
    right = wrong = 0
    for e in report["entries"]:
        i = int(e["key"][1:])
        want = papers[(i // 2) % len(papers)] if i % 2 == 0 else None
        got = e["match"]["id"] if e["match"] else None
        right += bool(want and got == want.id)
        wrong += bool(got and (want is None or got != want.id))
    return f"right {right}, wrong {wrong}"


def timed(fn, runs: int) -> tuple[float, object]:
    """Median wall time of `runs` calls (CPU-time median left in CPU[-1]) and the last result."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU.append(statistics.median(cpu))
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--entries", type=int, default=2000)
    ap.add_argument("--papers", type=int, default=100_000)
    args = ap.parse_args()
    rng = random.Random(7)
    real, areas = source.load()
    vocab = sorted({w for p in real for w in p.title.split()})
    with tempfile.TemporaryDirectory() as tmp:
        bib = Path(tmp) / "refs.bib"
        bib.write_text(make_bib(real, vocab, args.entries, rng))

        parse_s, (entries, _) = timed(lambda: read_references(bib), args.runs)
        print(
            f"parse {len(entries)} entries (bibtexparser v2 + own LaTeX decoding): "
            f"median {parse_s:.3f} s wall, {CPU[-1]:.3f} s CPU"
        )

        def real_graph() -> dict:
            source._cached.cache_clear()  # include loading the graph (pyoxigraph + papers.rq)
            return coverage_report(bib, top=10)

        real_s, rep = timed(real_graph, args.runs)
        s = rep["summary"]
        print(
            f"real graph ({len(real)} papers), end to end: median {real_s:.3f} s wall, "
            f"{CPU[-1]:.3f} s CPU "
            f"[matched {s['matched']}/{s['entries']}: {s['by_method']}; {correct(rep, real)}]"
        )

        syn = synthetic_papers(real, args.papers, rng)
        index_s, index = timed(lambda: Index(syn), args.runs)
        match_s, rep2 = timed(
            lambda: build_report(entries, [], syn, areas, top=10, index=index), args.runs
        )

        def synthetic_end_to_end() -> dict:
            e, m = read_references(bib)
            return build_report(e, m, syn, areas, top=10, index=Index(syn))

        syn_s, _ = timed(synthetic_end_to_end, args.runs)
        s2 = rep2["summary"]
        print(
            f"synthetic graph ({len(syn)} papers): index {index_s:.3f} s, "
            f"match+report {match_s:.3f} s, "
            f"end to end (parse+index+match+report) median {syn_s:.3f} s wall, {CPU[-1]:.3f} s CPU "
            f"[matched {s2['matched']}/{s2['entries']}: {s2['by_method']}; {correct(rep2, real)}]"
        )
        print(
            f"targets <= 2 s: real {'ok' if real_s <= 2 else 'MISSED'}, "
            f"synthetic {'ok' if syn_s <= 2 else 'MISSED'}; "
            f"synthetic/real ratio {syn_s / real_s:.1f}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
