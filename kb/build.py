"""`kb build`: validate, then rebuild every output from the two curated files into build/."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kb.graph import DataError, bib_path, taxonomy_path

Step = tuple[str, Callable[[Path, Path | None], list[Path] | None]]


def _stats(out: Path, data_dir: Path | None) -> list[Path]:
    from kb.stats import compute, write_figure

    rows = compute(data_dir)
    path = out / "stats.json"
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [path, *write_figure(rows, out)]


def _data_files(out: Path, data_dir: Path | None) -> list[Path]:
    dest = out / "data"
    dest.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(src, dest / src.name)) for src in (taxonomy_path(data_dir), bib_path(data_dir))]


def _exports(out: Path, data_dir: Path | None) -> list[Path] | None:
    from kb.export import export_all

    return export_all(out, data_dir=data_dir)


def _gaps(out: Path, data_dir: Path | None) -> list[Path] | None:
    from kb.gaps import write_outputs

    return write_outputs(out, data_dir=data_dir)


def _runs(out: Path, data_dir: Path | None) -> list[Path] | None:
    """Run every reference implementation whose dependencies are installed."""
    import importlib.util

    from kb.reference import registry, run_all

    ready = [m.name for m in registry() if all(importlib.util.find_spec(n) for n in m.needs)]
    missing = len(registry()) - len(ready)
    if missing:
        print(f"      {missing} skipped: they need the extra: pip install -e '.[reference]'", file=sys.stderr)
    if ready:
        run_all(out / "runs", names=ready, progress=lambda m: print(f"      {m}", file=sys.stderr))
    return [out / "runs"]


def _site(out: Path, data_dir: Path | None) -> list[Path] | None:
    from kb.site import build_site

    build_site(out / "site", data_dir=data_dir, progress=lambda m: print(f"      {m}", file=sys.stderr))
    return [out / "site"]


STEPS: list[Step] = [
    ("data files", _data_files),
    ("statistics", _stats),
    ("exports (SQLite, N-Triples, JSON-LD, CSV)", _exports),
    ("gap analysis", _gaps),
    ("reference implementations (kb run --all)", _runs),
    ("static site", _site),
]


def build(out: Path, data_dir: Path | None = None, progress: Callable[[str], None] = print,
          skip: set[str] | None = None) -> dict[str, float]:
    """Run `kb check`, then every build step in order; return each step's duration in seconds."""
    from kb.checks import run_checks

    t0 = time.perf_counter()
    violations = run_checks(data_dir, progress=lambda m: progress(f"check: {m}"))
    if violations:
        first = violations[0]
        raise DataError(f"{len(violations)} violation(s), first: {first.rule} {first.resource} "
                        f"{first.message}; run `kb check` for all")
    timings = {"check": time.perf_counter() - t0}
    out.mkdir(parents=True, exist_ok=True)
    for i, (name, step) in enumerate(STEPS, 1):
        if skip and name.split()[0] in skip:
            continue
        progress(f"[{i}/{len(STEPS)}] {name}")
        t = time.perf_counter()
        step(out, data_dir)
        timings[name] = time.perf_counter() - t
        progress(f"      done in {timings[name]:.1f} s")
    return timings
