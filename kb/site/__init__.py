"""The static site: pages generated from the graph, built with mkdocs-material into build/site/."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml

from kb.site import concepts, data, extras, home, records
from kb.site import progress as pages_done
from kb.site.paths import concept_page, dataset_page, paper_page

REPO = Path(__file__).resolve().parent.parent.parent
SITE_DIR = REPO / "site"  # hand-written pages and mkdocs.yml
Progress = Callable[[str], None]


class SiteError(click.ClickException):
    """The site could not be built: one line saying why and what to do."""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate(src_dir: Path, build_dir: Path, data_dir: Path | None, progress: Progress) -> dict[str, Any]:
    """Write build/site-src/: the hand-written docs, every generated page and mkdocs.yml."""
    if src_dir.exists():
        shutil.rmtree(src_dir)
    docs = src_dir / "docs"
    shutil.copytree(SITE_DIR / "docs", docs)
    progress("reading the graph")
    d = data.load(data_dir)
    ix = concepts.Index(d)
    results = extras.load_results(build_dir)
    progress(f"writing {d.areas()} area pages and {len(d.topics())} topic pages")
    for cid in d.concepts:
        _write(docs / concept_page(cid), concepts.concept_markdown(d, ix, cid, results))
    if d.topics():
        _write(docs / concepts.TOPICS_PAGE, concepts.topics_index(d, ix))
    progress(f"writing {len(d.papers)} paper and {len(d.datasets)} dataset pages")
    for pid in d.papers:
        _write(docs / paper_page(pid), records.paper_markdown(d, pid))
    for did in d.datasets:
        _write(docs / dataset_page(did), records.dataset_markdown(d, did))
    by_year = records.year_pages(d)
    for key, pids in by_year.items():
        _write(docs / f"papers/year-{key}.md", records.papers_year_page(d, key, pids))
    _write(docs / "papers/index.md", records.papers_index(d, ix, by_year))
    _write(docs / "datasets/index.md", records.datasets_index(d))
    progress("gap analysis, queries and figures")
    _write(docs / "gaps.md", extras.gaps_markdown(d, data_dir))
    query_pages = extras.queries_pages(d, data_dir)
    for rel_path, text in query_pages.items():
        _write(docs / rel_path, text)
    home.figures(d, docs)
    found = extras.copy_downloads(docs, build_dir, data_dir)
    index = (docs / "index.md").read_text(encoding="utf-8")
    index = index.replace("<!-- kb:headline -->", home.headline(d, ix))
    index = index.replace("<!-- kb:downloads -->", extras.downloads_markdown(found))
    _write(docs / "index.md", index)

    config = yaml.safe_load((SITE_DIR / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = "docs"
    config["hooks"] = [str(Path(__file__).with_name("mkdocs_hook.py"))]
    config["nav"] = [
        {"Home": "index.md"},
        *concepts.nav_tree(d, ix),
        *concepts.topics_nav(d),
        {"Papers": "papers/index.md"},
        {"Datasets": "datasets/index.md"},
        {"Gaps": "gaps.md"},
        {"Queries": extras.query_nav(query_pages)},
    ]
    _write(src_dir / "mkdocs.yml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    pages = sum(1 for _ in docs.rglob("*.md"))
    return {
        "pages": pages,
        "concepts": d.areas(),
        "topics": len(d.topics()),
        "papers": len(d.papers),
        "methods": len(d.methods),
        "datasets": len(d.datasets),
        "downloads": [f for f, _, _ in found],
    }


class _Collect(logging.Handler):
    """Keeps mkdocs' warnings so a strict failure can name them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: Path, site_dir: Path) -> None:
    """mkdocs build --strict, in process; any warning fails the build."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    handler = _Collect()
    log = logging.getLogger("mkdocs")
    log.addHandler(handler)
    try:
        cfg = load_config(config_file=str(config_file), strict=True, site_dir=str(site_dir))
        build(cfg)
    except (Abort, MkDocsException) as exc:
        first = handler.messages[0] if handler.messages else str(exc)
        raise SiteError(
            f"{config_file}: mkdocs build --strict failed ({len(handler.messages)} warnings; "
            f"first: {first.splitlines()[0]}); fix the page generator or site/docs"
        ) from None
    finally:
        log.removeHandler(handler)


def build_site(
    out_dir: Path = Path("build/site"),
    data_dir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Generate the pages and build the site into out_dir; return counts and timings."""
    say = progress or (lambda msg: None)
    out_dir = Path(out_dir).resolve()
    build_dir = out_dir.parent
    src_dir = build_dir / "site-src"
    t0 = time.perf_counter()
    stats = generate(src_dir, build_dir, data_dir, say)
    t1 = time.perf_counter()
    say(f"mkdocs build --strict ({stats['pages']} pages)")
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    pages_done.start(say, stats["pages"])
    try:
        run_mkdocs(src_dir / "mkdocs.yml", tmp)
    finally:
        pages_done.stop()
    # swap in the finished site so a failed build never leaves half a site behind
    old = out_dir.with_name(out_dir.name + ".old")
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old.exists():
        shutil.rmtree(old)
    t2 = time.perf_counter()
    stats.update(
        {
            "html_pages": sum(1 for _ in out_dir.rglob("*.html")),
            "generate_seconds": round(t1 - t0, 2),
            "mkdocs_seconds": round(t2 - t1, 2),
            "seconds": round(t2 - t0, 2),
            "out_dir": str(out_dir),
        }
    )
    return stats
