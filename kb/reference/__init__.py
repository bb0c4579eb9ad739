"""Executable reference implementations of methods the survey lists, with a registry and a runner.

The registry and metadata import no torch or scikit-learn, so the graph importer and `kb check` can
read them; each implementation imports its heavy dependencies inside `run()`.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb import __version__
from kb.atomic import atomic_write_text
from kb.reference.base import Implementation, Param, ReferenceInputError, parse_assignments

__all__ = [
    "Implementation",
    "Param",
    "ReferenceInputError",
    "get",
    "load_results",
    "parse_assignments",
    "registry",
    "results_by_concept",
    "run",
    "run_all",
]

# Modules in the order `kb run --list` shows them: vision attacks, defenses, privacy, then LLM.
MODULES = (
    "fgsm",
    "pgd",
    "simba",
    "adversarial_training",
    "badnets",
    "spectral_signatures",
    "membership_inference",
    "model_extraction",
    "sponge_early_exit",
    "gcg",
    "jailbreak_transforms",
    "smoothllm",
    "prompt_injection",
)

INDEX_FILE = "index.json"
# What the `reference` extra installs (top-level module names)
EXTRA_MODULES = frozenset({"torch", "sklearn", "numpy", "scipy", "transformers", "tokenizers"})


def registry() -> list[Implementation]:
    """Every registered implementation's metadata, in a stable order."""
    return [importlib.import_module(f"kb.reference.{m}").META for m in MODULES]


def get(name: str) -> Implementation:
    """The metadata of one implementation by its `kb run` name."""
    for meta in registry():
        if meta.name == name:
            return meta
    names = ", ".join(m.name for m in registry())
    raise ReferenceInputError(f"no reference implementation named {name!r}; choose one of: {names}")


def run(name: str, seed: int = 0, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one implementation; a record of metrics, parameters, seed, version, date, duration."""
    meta = get(name)
    values = meta.resolve(params)
    module = importlib.import_module(meta.module)
    started = datetime.now(UTC)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        metrics = module.run(seed=seed, **values)
    except ModuleNotFoundError as exc:
        # only a missing third-party dependency is the user's to fix; any other is a bug to see
        if (exc.name or "").split(".")[0] not in EXTRA_MODULES:
            raise
        raise ReferenceInputError(
            f"{name} needs {exc.name}; install the extra: pip install -e '.[reference]'"
        ) from None
    except ReferenceInputError as exc:  # a bad parameter value found inside run()
        raise ReferenceInputError(f"{name}: {exc}") from None
    return {
        "name": name,
        "title": meta.title,
        # what it ran on; toy_target: a stand-in whose numbers say nothing about a real model
        "setup": meta.describe_setup(values),
        "toy_target": meta.is_toy(values),
        "metrics": metrics,
        "metric_labels": {key: meta.label(key) for key in metrics},
        "params": values,
        "seed": seed,
        "kb_version": __version__,
        "date": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(time.perf_counter() - t0, 3),
        # CPU seconds of this process: on a shared machine a fairer measure than wall time
        "cpu_s": round(time.process_time() - c0, 3),
        "concept_ids": list(meta.concept_ids),
        "method_ids": list(meta.method_ids),
    }


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=float) + "\n")


def run_all(
    out_dir: Path | str,
    seed: int = 0,
    names: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Run implementations (all by default), writing out_dir/<name>.json and out_dir/index.json."""
    out = Path(out_dir)
    chosen = [get(n) for n in names] if names else registry()
    records = []
    for i, meta in enumerate(chosen, 1):
        if progress:
            progress(f"[{i}/{len(chosen)}] {meta.name} ...")
        record = run(meta.name, seed=seed)
        _write_json(out / f"{meta.name}.json", record)
        records.append(record)
        if progress:
            progress(f"[{i}/{len(chosen)}] {meta.name} done in {record['duration_s']:.1f} s")
    previous = {r["name"]: r for r in load_results(out)} if (out / INDEX_FILE).exists() else {}
    previous.update({r["name"]: r for r in records})
    order = {m.name: k for k, m in enumerate(registry())}
    index = sorted(
        (_summary(r) for r in previous.values()), key=lambda r: order.get(r["name"], len(order))
    )
    _write_json(out / INDEX_FILE, index)
    return records


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "name",
        "title",
        "setup",
        "toy_target",
        "seed",
        "kb_version",
        "date",
        "duration_s",
        "cpu_s",
        "concept_ids",
        "method_ids",
    )
    return {k: record.get(k) for k in keys} | {"file": f"{record['name']}.json"}


def load_results(out_dir: Path | str) -> list[dict[str, Any]]:
    """The records listed in out_dir/index.json, or in out_dir/runs/ when given build/ itself."""
    out = Path(out_dir)
    if not (out / INDEX_FILE).exists() and (out / "runs" / INDEX_FILE).exists():
        out = out / "runs"
    index_path = out / INDEX_FILE
    if not index_path.exists():
        return []
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        return [json.loads((out / row["file"]).read_text(encoding="utf-8")) for row in index]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReferenceInputError(
            f"{index_path}: unreadable run results ({exc}); re-run `kb run --all`"
        ) from None


def results_by_concept(out_dir: Path | str) -> dict[str, list[dict[str, Any]]]:
    """Run records grouped by each concept ID their implementation implements (concept pages)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in load_results(out_dir):
        for cid in record.get("concept_ids", []):
            grouped.setdefault(cid, []).append(record)
    return grouped
