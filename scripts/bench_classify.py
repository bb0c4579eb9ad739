"""Benchmark kb classify: training time of the model, and `kb classify TITLE` from process start.

Usage: python scripts/bench_classify.py [--data DIR] [--repeat 5]

Targets (2-core machine): training well under a minute (<= 30 s CPU), and `kb classify TITLE` with a
cached model answering in about a second (<= 1.5 s wall, process start included).
Not a test: it prints medians, it does not assert.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.classify.cache import CACHE_ENV, train  # noqa: E402
from kb.classify.data import load_corpus  # noqa: E402

TRAIN_TARGET_S = 30.0
ANSWER_TARGET_S = 1.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    corpus = load_corpus(args.data)
    wall, cpu = [], []
    for _ in range(max(1, args.repeat // 2)):
        t, c = time.perf_counter(), time.process_time()
        train(corpus)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    n = sum(1 for ex in corpus.examples if any(ex.labels.values()))
    print(
        f"train on {n} papers: median {statistics.median(wall):.1f} s wall, "
        f"{statistics.median(cpu):.1f} s CPU (target <= {TRAIN_TARGET_S:.0f} s)"
    )
    kb = Path(sys.executable).parent / "kb"
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, CACHE_ENV: cache}
        cmd = [str(kb), "classify", "Jailbreaking multimodal models with typographic images"]
        if args.data:
            cmd += ["--data", str(args.data)]
        subprocess.run(cmd, env=env, check=True, capture_output=True)  # trains and caches once
        times, cpus = [], []
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    print(
        f"kb classify TITLE (cached model): median {statistics.median(times):.2f} s wall, "
        f"{statistics.median(cpus):.2f} s CPU (target <= {ANSWER_TARGET_S} s)"
    )


if __name__ == "__main__":
    main()
