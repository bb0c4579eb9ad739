"""Render a coverage report as Markdown, HTML or JSON, and its heatmap as PNG and SVG."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from kb.atomic import atomic_write, atomic_write_text
from kb.coverage.rank import LACKS
from kb.coverage.source import short_name

FIGURE = "coverage"  # coverage.png / coverage.svg beside the report


def _table(columns: list[str], rows: list[list[Any]]) -> dict:
    return {"table": columns, "rows": [["" if c is None else str(c) for c in r] for r in rows]}


def _keys(keys: list[str], limit: int = 6) -> str:
    return ", ".join(keys[:limit]) + (f" (+{len(keys) - limit})" if len(keys) > limit else "")


def _summary(report: dict) -> list[Any]:
    s = report["summary"]
    by = s.get("by_method", {})
    share = s.get("known_share", s["matched"] / s["entries"] if s["entries"] else 0.0)
    text = (
        f"The knowledge base knows {s['matched']} of the {s['entries']} entries ({share:.0%})"
        f"; {s.get('possible', 0)} more may be renamed versions of papers it holds "
        "(possible matches, to confirm)"
    )
    if s.get("predicted") is not None:
        text += f"; the classifier places {s['predicted']} of the unmatched entries in an area"
    blocks: list[Any] = [text + "."]
    if s.get("warning"):
        blocks.append(f"**Warning:** {s['warning']}.")
    blocks.append(
        _table(
            [
                "entries",
                "matched",
                "known share",
                "by DOI",
                "by arXiv id",
                "by title",
                "by fuzzy title",
                "possible",
                "unmatched",
                "malformed",
            ],
            [
                [
                    s["entries"],
                    s["matched"],
                    f"{share:.0%}",
                    by.get("doi", 0),
                    by.get("arxiv", 0),
                    by.get("title", 0),
                    by.get("fuzzy", 0),
                    s.get("possible", 0),
                    s["unmatched"],
                    s["malformed"],
                ]
            ],
        )
    )
    return blocks


def _coverage(report: dict, figure: bool) -> list[Any]:
    cov = report["coverage"]
    touched = [c for c in cov if c["cited"]]
    rest = [c for c in cov if not c["cited"]]
    predicted = any("predicted" in c for c in cov)
    blocks: list[Any] = [
        f"The bibliography cites papers in {len(touched)} of the graph's {len(cov)} areas; "
        "cited / papers in the graph, with the entries of yours that landed in each."
    ]
    if figure:
        blocks.append({"figure": f"{FIGURE}.png", "svg": f"{FIGURE}.svg"})
    columns = ["model family", "area", "role", "cited", "in graph", "share", "your entries"]
    if predicted:
        columns.append("unmatched placed here")
    rows = []
    for c in touched:
        keys = [k for p in c.get("papers", []) for k in p["keys"]]
        row = [
            short_name(c.get("parent") or c["model_family"]),
            c.get("label", c["threat_type"]),
            c.get("role", ""),
            c["cited"],
            c["total"],
            f"{c['cited'] / c['total']:.0%}",
            _keys(keys),
        ]
        if predicted:
            row.append(c.get("predicted", 0))
        rows.append(row)
    if rows:
        blocks.append(_table(columns, rows))
    if rest:
        placed = [c for c in rest if c.get("predicted")]
        line = f"Not cited ({len(rest)} areas): " + ", ".join(
            c.get("label", c["threat_type"]) for c in rest
        ) + "."
        if placed:
            line += " Of these, the classifier places unmatched entries in " + ", ".join(
                f"{c.get('label', c['threat_type'])} ({c['predicted']})" for c in placed
            ) + "."
        blocks.append(line)
    return blocks


def _missing(report: dict, label: Any) -> list[Any]:
    cov = report["coverage"]
    lacks: dict[str, list[str]] = {}
    for lack in report.get("lacks", []):
        lacks.setdefault(lack["area"], []).append(lack["message"])
    blocks: list[Any] = [
        "Per area the bibliography touches, the graph's papers it does not cite, "
        + report.get("ranked_by", "most linked first")
        + ". Papers suggested as possible matches of your entries are left out."
    ]
    by_area: dict[str, list[dict]] = {}
    for m in report["missing"]:
        by_area.setdefault(m["area"], []).append(m)
    for area, rows in by_area.items():
        n = next((c for c in cov if c["threat_type"] == area), None)
        head = f"**{label(area)}** ({n['cited']} of {n['total']} cited)" if n else label(area)
        if lacks.get(area):
            head += "; lacks: " + "; ".join(lacks[area])
        blocks += [
            head,
            _table(
                ["group", "paper", "title", "year", "score", "why"],
                [
                    [
                        LACKS.get(m.get("group", ""), m.get("group", "")),
                        m["id"],
                        m["title"],
                        m["year"],
                        m.get("score", m.get("links", "")),
                        m.get("why", ""),
                    ]
                    for m in rows
                ],
            ),
        ]
    if not by_area:
        blocks.append(
            "Nothing: the bibliography touches no area, or cites every paper in those it touches."
        )
    return blocks


def _unmatched(report: dict, label: Any) -> list[Any]:
    entries = [e for e in report["entries"] if not e["match"]]
    if not entries:
        return ["Every entry matched a paper in the graph."]
    predicted = any("predicted" in e for e in entries)
    blocks: list[Any] = []
    possible = [e for e in entries if e.get("group") == "possible"]
    placed = [e for e in entries if e.get("group") == "placed"]
    outside = [e for e in entries if e.get("group", "outside") == "outside"]
    if possible:
        blocks += [
            f"**Possible matches** ({len(possible)}): the same work under another title? "
            "Confirm, then fix the title or tell the maintainers.",
            _table(
                ["key", "your title", "possibly", "why"],
                [
                    [e["key"], e["title"], f"{p['id']}: {p['title']}", p["reason"]]
                    for e in possible
                    for p in e["possible"]
                ],
            ),
        ]
    if placed:
        blocks += [
            f"**Placed by the classifier** ({len(placed)}): not in the knowledge base, but in its field.",
            _table(
                ["key", "title", "areas (score)"],
                [
                    [
                        e["key"],
                        e["title"],
                        ", ".join(f"{label(a['id'])} ({a['score']:.2f})" for a in e["predicted"]),
                    ]
                    for e in placed
                ],
            ),
        ]
    if outside:
        head = (
            f"**Likely outside the field** ({len(outside)}): the classifier gives none of their "
            "areas a probability of 0.5 or more (outside the survey's field, or in a part it does "
            "not cover)."
            if predicted
            else f"**Not in the knowledge base** ({len(outside)}): no classifier is installed "
            "to say whether they belong to the field."
        )
        blocks += [head, _table(["key", "title"], [[e["key"], e["title"]] for e in outside])]
    return blocks


def sections(report: dict, figure: bool = False) -> list[tuple[str, list[Any]]]:
    """The report as (heading, blocks); a block is a paragraph string, a list or a table."""
    areas = report.get("areas", {})
    label = lambda a: areas.get(a, {}).get("label", a)  # noqa: E731
    out: list[tuple[str, list[Any]]] = [
        ("Summary", _summary(report)),
        ("Coverage by model family and threat type", _coverage(report, figure)),
        (
            "Attacks without defenses, defenses without attacks",
            [
                [u["message"] for u in report.get("unanswered", [])]
                or [
                    "None: every attack area cited at least twice has a defense area the "
                    "knowledge base knows cited, and the reverse."
                ]
            ],
        ),
        ("Papers in these areas that you do not cite", _missing(report, label)),
    ]
    flagged = [e for e in report["entries"] if e["match"] and e["match"].get("flag")]
    if flagged:
        out.append(
            (
                "Title matches to check",
                [
                    _table(
                        ["key", "your title", "matched paper", "why"],
                        [
                            [e["key"], e["title"], e["match"]["id"], e["match"]["flag"]]
                            for e in flagged
                        ],
                    )
                ],
            )
        )
    fuzzy = [e for e in report["entries"] if e["match"] and e["match"]["method"] == "fuzzy"]
    if fuzzy:
        out.append(
            (
                "Fuzzy matches (worth a glance)",
                [
                    _table(
                        ["key", "your title", "matched paper", "score"],
                        [
                            [
                                e["key"],
                                e["title"],
                                f"{e['match']['id']}: {e['match']['title']}",
                                e["match"]["score"],
                            ]
                            for e in fuzzy
                        ],
                    )
                ],
            )
        )
    unmatched = [e for e in report["entries"] if not e["match"]]
    out.append((f"Unmatched entries ({len(unmatched)})", _unmatched(report, label)))
    if report.get("notes"):
        out.append(
            (
                "Reading notes",
                [_table(["line", "note"], [[n["line"], n["note"]] for n in report["notes"]])],
            )
        )
    if report["malformed"]:
        out.append(
            (
                "Malformed entries (skipped)",
                [_table(["line", "error"], [[b["line"], b["error"]] for b in report["malformed"]])],
            )
        )
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict, title: str = "Coverage report", figure: bool = False) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = [f"# {title}", ""]
    for heading, blocks in sections(report, figure):
        lines += [f"## {heading}", ""]
        for b in blocks:
            if isinstance(b, str):
                lines += [b, ""]
            elif isinstance(b, list):
                lines += [f"- {x}" for x in b] + [""]
            elif "figure" in b:
                lines += [f"![Coverage heatmap]({b['figure']})", ""]
            else:
                lines.append("| " + " | ".join(b["table"]) + " |")
                lines.append("|" + "---|" * len(b["table"]))
                lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b["rows"]]
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;
padding:0 1rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1.2rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}h2{margin-top:2rem}"""


def to_html(report: dict, title: str = "Coverage report", figure: bool = False) -> str:
    """The report as one self-contained HTML page (the figure is linked when written beside it)."""
    esc = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    for heading, blocks in sections(report, figure):
        parts.append(f"<h2>{esc(heading)}</h2>")
        for b in blocks:
            if isinstance(b, str):
                text = esc(b)
                if text.startswith("**") and "**" in text[2:]:
                    end = text.index("**", 2)
                    text = f"<strong>{text[2:end]}</strong>{text[end + 2 :]}"
                parts.append(f"<p>{text}</p>")
            elif isinstance(b, list):
                parts.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in b) + "</ul>")
            elif "figure" in b:
                parts.append(f'<p><img src="{esc(b["svg"])}" alt="Coverage heatmap"></p>')
            else:
                head = "".join(f"<th>{esc(c)}</th>" for c in b["table"])
                body = "".join(
                    "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in b["rows"]
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def to_json(report: dict) -> str:
    """The report as JSON (the stable interface documented in docs/coverage.md)."""
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"md": to_markdown, "html": to_html}


def render(report: dict, fmt: str, title: str = "Coverage report", figure: bool = False) -> str:
    """The report in `fmt` (md, html or json)."""
    return to_json(report) if fmt == "json" else RENDERERS[fmt](report, title=title, figure=figure)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file atomically (kb.atomic), text as UTF-8."""
    if isinstance(data, str):
        atomic_write_text(path, data)
    else:
        payload = data

        def write(tmp: Path) -> None:
            tmp.write_bytes(payload)

        atomic_write(path, write)


def heatmap_grid(report: dict) -> tuple[list[str], list[str], list[list[tuple[int, int] | None]]]:
    """Rows (families / sub-models), columns (threat kind x role) and (cited, total) per cell."""
    rows: list[str] = []
    cols: list[str] = []
    cells: dict[tuple[str, str], list[int]] = {}
    for c in report["coverage"]:
        row = c.get("parent") or c["model_family"]
        kind, role = c.get("kind") or "?", c.get("role") or ""
        col = kind if role in ("", kind) else f"{kind} {role}"
        if row not in rows:
            rows.append(row)
        if col not in cols:
            cols.append(col)
        cell = cells.setdefault((row, col), [0, 0])
        cell[0] += c["cited"]
        cell[1] += c["total"]
    cols.sort(key=lambda k: (k in ("evaluation", "alignment"), k))
    grid = [[tuple(cells[(r, k)]) if (r, k) in cells else None for k in cols] for r in rows]
    return [short_name(r) for r in rows], cols, grid  # type: ignore[return-value]


def write_heatmap(report: dict, out_dir: Path) -> list[Path]:
    """coverage.png and coverage.svg: the cited share of each (family, kind x role) cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows, cols, grid = heatmap_grid(report)
    data = np.array([[np.nan if c is None else c[0] / c[1] for c in r] for r in grid], dtype=float)
    fig, ax = plt.subplots(figsize=(max(8, 0.55 * len(cols) + 2), 0.55 * len(rows) + 2.6))
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#eeeeee")
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i, r in enumerate(grid):
        for j, c in enumerate(r):
            if c is not None:
                ax.text(
                    j,
                    i,
                    f"{c[0]}/{c[1]}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if c[1] and c[0] / c[1] > 0.6 else "#222",
                )
    ax.set_xticks(
        range(len(cols)), [k.replace("-", " ") for k in cols], rotation=60, ha="right", fontsize=8
    )
    ax.set_yticks(range(len(rows)), rows, fontsize=9)
    ax.set_title("Cited / papers in the graph, per model family and threat type", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, label="share cited")
    fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        path = out_dir / f"{FIGURE}.{ext}"
        def save(tmp: Path, ext: str = ext) -> None:
            fig.savefig(tmp, dpi=150, format=ext, metadata={"Date": None} if ext == "svg" else None)

        atomic_write(path, save)
        paths.append(path)
    plt.close(fig)
    return paths
