"""Coverage of a paper's reference list against the knowledge graph: `kb coverage refs.bib`."""

from kb.coverage.match import Index, Match, Paper
from kb.coverage.render import render, to_html, to_json, to_markdown, write_heatmap
from kb.coverage.report import build_report, coverage_report

__all__ = [
    "Index",
    "Match",
    "Paper",
    "build_report",
    "coverage_report",
    "render",
    "to_html",
    "to_json",
    "to_markdown",
    "write_heatmap",
]
