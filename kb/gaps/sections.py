"""The gap sections, each a function from the graph view to rows with a one-line reading."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import networkx as nx

from kb.gaps.view import Rows, View, and_list, article, n_of, short

RECENT_YEAR = 2024  # an area whose newest paper is older than this has seen no recent work
TOP_BRIDGES = 10  # bridges reported per kind of node (datasets, concepts)


def cells(v: View) -> tuple[dict[tuple[str, str], set[str]], dict[tuple[str, str], set[str]]]:
    """(family, kind) -> papers and -> methods."""
    papers: dict[tuple[str, str], set[str]] = defaultdict(set)
    methods: dict[tuple[str, str], set[str]] = defaultdict(set)
    for u, w, rel in v.g.edges(data="rel"):
        if rel == "subject" and v.nodes[w].get("threat_kind") and v.fam(w):
            papers[(v.fam(w), v.nodes[w]["threat_kind"])].add(u)
    for area in v.areas:
        if v.nodes[area]["role"] == "role-evaluation" and v.nodes[area].get("threat_kind"):
            papers[(v.fam(area), v.nodes[area]["threat_kind"])].update(v.papers_of[area])
    for n, a in v.g.nodes(data=True):
        if a["kind"] == "method" and a.get("threat_kind") and a.get("family"):
            methods[(a["family"], a["threat_kind"])].add(n)
            papers[(a["family"], a["threat_kind"])].update(v.out(n, "proposedIn"))
    return papers, methods


def matrix(v: View, cells: dict[tuple[str, str], set[str]]) -> Rows:
    rows = []
    for f in v.families:
        fid = v.nodes[f]["id"]
        row: dict[str, Any] = {"family": fid}
        row.update({k: len(cells.get((fid, k), ())) for k in v.kinds})
        row["total"] = len(set().union(*(cells.get((fid, k), set()) for k in v.kinds)))
        rows.append(row)
    return rows


def empty_cells(v: View, papers: dict[tuple[str, str], set[str]]) -> Rows:
    rows = []
    for f in v.families:
        fid = v.nodes[f]["id"]
        for k in v.kinds:
            if papers.get((fid, k)):
                continue
            areas = [a for a in v.areas if v.fam(a) == fid and v.nodes[a]["threat_kind"] == k]
            others = sorted(
                {short(fam) for (fam, kk), ps in papers.items() if kk == k and ps and fam != fid}
            )
            if areas:
                reading = (
                    f"{short(fid)} has {article(k)} {k} area "
                    f"({', '.join(v.nodes[a]['id'] for a in areas)}) "
                    "but no paper is classified under it"
                )
            elif others:
                have = "has" if len(others) == 1 else "have"
                reading = (
                    f"No {short(fid)} paper on {k} threats, though {and_list(others)} {have} some: "
                    f"an open question for {short(fid)}"
                )
            else:
                reading = f"No family has a {k} paper; the kind exists only as a label"
            rows.append({"family": fid, "threat_kind": k, "areas": len(areas), "reading": reading})
    return rows


def undefended(v: View, survey_only: bool = False) -> Rows:
    """Attack areas no defense area answers: with every link, or (survey_only) with the sources' links
    alone, each row then naming the links of our own judgement that answer it."""
    judged = None if not survey_only else False
    # kind -> families with a defense area that answers an attack area of that kind
    defended_kinds: dict[str, set[str]] = defaultdict(set)
    for u, w, a in v.g.edges(data=True):
        if a["rel"] == "answers" and v.nodes[w].get("threat_kind"):
            if judged is None or a.get("judgement", False) == judged:
                defended_kinds[v.nodes[w]["threat_kind"]].add(short(v.fam(u)))
    rows = []
    for a in v.areas:
        attrs = v.nodes[a]
        if attrs["role"] != "role-attack" or v.answered_by(a, judged):
            continue
        if survey_only and attrs.get("list_only"):  # not the survey's area (its paper list's only)
            continue
        k, fam = attrs["threat_kind"], short(attrs["family"])
        elsewhere = sorted(defended_kinds.get(k, set()) - {fam})
        papers = n_of(len(v.papers_of[a]), "paper")
        if survey_only:
            reading = f"The survey gives no defense area for {v.name(a)} ({papers})"
        else:
            reading = f"No defense area answers {v.name(a)} ({papers})"
        if elsewhere:
            have = "has" if len(elsewhere) == 1 else "have"
            reading += f"; {and_list(elsewhere)} {have} {article(k)} {k} defense area to start from"
        else:
            reading += f"; no family has {article(k)} {k} defense area"
        row = {
            "family": attrs["family"],
            "area": attrs["id"],
            "label": attrs["label"],
            "threat_kind": k,
            "papers": len(v.papers_of[a]),
            "methods": len(v.methods_of[a]),
            "defended_elsewhere": "; ".join(elsewhere) or None,
        }
        if survey_only:
            ours = sorted(v.nodes[d]["id"] for d in v.answered_by(a, True))
            row["our_links"] = "; ".join(ours) or None
            if ours:
                reading += f"; our own judgement links {and_list(ours)} to it"
        row["reading"] = reading
        rows.append(row)
    return rows


def single_method(v: View) -> Rows:
    rows = []
    for n, a in sorted(v.g.nodes(data=True)):
        if a["kind"] != "concept" or a["type"] != "Subcategory":
            continue
        methods = sorted(v.into(n, "subcategory"))
        if len(methods) > 1:
            continue
        area = v.area_of.get(n)
        row = {
            "family": a["family"],
            "area": v.nodes[area]["id"] if area else None,
            "subcategory": a["id"],
            "label": a["label"],
            "methods": len(methods),
            "method": None,
            "paper": None,
            "year": None,
        }
        if methods:
            m = methods[0]
            paper = next(iter(v.out(m, "proposedIn")), None)
            row.update(
                method=v.nodes[m]["label"],
                paper=v.nodes[paper]["id"] if paper else None,
                year=v.nodes[paper]["year"] if paper else None,
            )
            when = f", {row['year']}" if row["year"] else ""
            row["reading"] = (
                f"'{a['label']}' in {v.name(area) if area else short(a['family'])} rests on "
                f"{row['method']} alone ({row['paper'] or 'no paper'}{when}): "
                "one result, not yet a line of work"
            )
        else:
            row["reading"] = (
                f"'{a['label']}' is named by the survey but no method is listed under it"
            )
        rows.append(row)
    return rows


def no_benchmark(v: View) -> Rows:
    rows = []
    for a in v.areas:
        attrs = v.nodes[a]
        if attrs["role"] not in ("role-attack", "role-defense"):
            continue
        # a benchmark is a dataset the survey lists in a dataset table or section (it has a
        # dcterms:source); the importer also links every ad-hoc evaluation dataset with kb:evaluates
        used = v.datasets_of[a]
        evaluated = {d for c in v.subtree(a) for d in v.into(c, "evaluates")} | set(used)
        if any(v.nodes[d].get("benchmark") for d in evaluated):
            continue
        top = [v.nodes[d]["label"] for d, _ in used.most_common(3)]
        if used:
            reading = (
                f"No benchmark of the survey's dataset tables evaluates {v.name(a)}; "
                f"its {n_of(len(v.methods_of[a]), 'method')} "
                f"{'uses' if len(v.methods_of[a]) == 1 else 'use'} {n_of(len(used), 'dataset')} "
                f"chosen case by case (most often {', '.join(top)})"
            )
        else:
            reading = (
                f"No benchmark and no evaluation dataset recorded for {v.name(a)}: "
                "results cannot be compared"
            )
        rows.append(
            {
                "family": attrs["family"],
                "area": attrs["id"],
                "label": attrs["label"],
                "methods": len(v.methods_of[a]),
                "eval_datasets": len(used),
                "most_used": "; ".join(top),
                "reading": reading,
            }
        )
    rows.sort(key=lambda r: (r["eval_datasets"] > 0, r["family"] or "", r["area"]))
    return rows


def stale(v: View) -> Rows:
    rows = []
    for a in v.areas:
        attrs = v.nodes[a]
        years = [v.nodes[p]["year"] for p in v.papers_of[a] if v.nodes[p].get("year")]
        newest = max(years) if years else None
        if not v.papers_of[a] or (newest is not None and newest >= RECENT_YEAR):
            continue
        if newest is None:
            reading = (
                f"{v.name(a)} has no dated paper ({n_of(len(v.papers_of[a]), 'paper')} in all)"
            )
        else:
            reading = (
                f"The newest {v.name(a)} paper is from {newest} "
                f"({n_of(len(years), 'dated paper')}): "
                f"nothing from {RECENT_YEAR} on - settled, abandoned or waiting to be revisited"
            )
        rows.append(
            {
                "family": attrs["family"],
                "area": attrs["id"],
                "label": attrs["label"],
                "papers": len(v.papers_of[a]),
                "newest_year": newest,
                "reading": reading,
            }
        )
    rows.sort(key=lambda r: (r["newest_year"] is None, r["newest_year"] or 0, r["area"]))
    return rows


def outside_survey(field: View, survey: View) -> Rows:
    """Topics the survey does not cover, with the field's papers per year (newest first by size); a topic
    the mapping holds ready for later sources but no paper is in yet is left out."""
    rows = []
    for t in field.topics:
        a = field.nodes[t]
        papers = field.into(t, "subject")
        if not papers:
            continue
        years = Counter(field.nodes[p]["year"] for p in papers if field.nodes[p].get("year"))
        ours = [p for p in survey.into(t, "subject")] if t in survey.g else []
        recent = sum(n for y, n in years.items() if y >= RECENT_YEAR)
        per_year = "; ".join(f"{y}: {n}" for y, n in sorted(years.items()))
        reading = (f"{a['label']}: {n_of(len(papers), 'paper')} in the field ({recent} from {RECENT_YEAR} on), "
                   f"a topic the survey does not cover")
        if ours:
            reading += f"; {n_of(len(ours), 'survey paper')} touch it"
        rows.append({"topic": a["id"], "label": a["label"], "papers": len(papers), "survey_papers": len(ours),
                     "since_recent": recent, "newest_year": max(years) if years else None,
                     "per_year": per_year, "reading": reading})
    rows.sort(key=lambda r: (-r["papers"], r["topic"]))
    return rows


def stale_field(survey: View, field: View, rests_on: str) -> Rows:
    """The stale-area finding recomputed on every source: each area stale in the survey or the field,
    with the newest year in each, and the sources the field's answer rests on."""
    def newest(v: View, a: str) -> int | None:
        years = [v.nodes[p]["year"] for p in v.papers_of.get(a, ()) if v.nodes[p].get("year")]
        return max(years) if years else None

    rows = []
    for a in field.areas:
        s_new, f_new = newest(survey, a), newest(field, a)
        stale_s = bool(survey.papers_of.get(a)) and (s_new is None or s_new < RECENT_YEAR)
        stale_f = bool(field.papers_of.get(a)) and (f_new is None or f_new < RECENT_YEAR)
        if not (stale_s or stale_f):
            continue
        attrs = field.nodes[a]
        recent = sum(1 for p in field.papers_of[a] if (field.nodes[p].get("year") or 0) >= RECENT_YEAR)
        if stale_f:
            reading = (f"{field.name(a)} stays stale on the field too: newest paper {f_new} "
                       f"(resting on {rests_on})")
        else:
            reading = (f"{field.name(a)} looked stale in the survey (newest {s_new}), but the field has "
                       f"{n_of(recent, 'paper')} from {RECENT_YEAR} on, newest {f_new} (resting on {rests_on})")
        rows.append({"family": attrs["family"], "area": attrs["id"], "label": attrs["label"],
                     "survey_papers": len(survey.papers_of.get(a, ())), "survey_newest": s_new,
                     "field_papers": len(field.papers_of[a]), "field_newest": f_new,
                     "stale_in_field": stale_f, "rests_on": rests_on, "reading": reading})
    rows.sort(key=lambda r: (not r["stale_in_field"], r["area"]))
    return rows


def bridge_graph(v: View) -> nx.Graph:
    """The undirected family-concept-dataset graph: the concept tree plus datasets where used."""
    h = nx.Graph()
    for n, a in v.g.nodes(data=True):
        if a["kind"] == "concept" and a["type"] != "Topic":
            h.add_node(n)
            for p in v.out(n, "broader"):
                h.add_edge(n, p)
    for n, a in v.g.nodes(data=True):
        if a["kind"] == "method":
            for sub in v.out(n, "subcategory"):
                for d in v.out(n, "evaluatedOn"):
                    h.add_edge(d, sub)
        elif a["kind"] == "dataset":
            for c in v.out(n, "evaluates"):
                h.add_edge(n, c)
    return h


def _dataset_bridge(v: View, h: nx.Graph, n: str) -> tuple[list[str], str]:
    a = v.nodes[n]
    fams = sorted({v.fam(c) for c in h.neighbors(n) if v.fam(c)}, key=_fam_rank(v))
    areas = {v.area_of.get(c) for c in h.neighbors(n)} - {None}
    reading = (
        f"{a['label']} is used in {n_of(len(areas), 'area')} of {len(fams)} families "
        f"({', '.join(map(short, fams))}): a shared yardstick across them"
    )
    return fams, reading


def _concept_bridge(v: View, h: nx.Graph, n: str) -> tuple[list[str], str]:
    own = v.fam(n)
    shared = {d for c in v.subtree(n) for d in h.neighbors(c) if v.nodes[d]["kind"] == "dataset"}
    crossing = {d: {v.fam(c) for c in h.neighbors(d)} - {own, ""} for d in shared}
    others = sorted(set[str]().union(*crossing.values()), key=_fam_rank(v))
    names = sorted(v.nodes[d]["label"] for d, fams in crossing.items() if fams)
    reading = (
        f"{v.name(n)} shares {n_of(len(names), 'dataset')} ({', '.join(names[:3])}"
        f"{', ...' if len(names) > 3 else ''}) with {and_list([short(f) for f in others])}: "
        "its results can be set beside theirs"
    )
    return [own, *others] if own else others, reading


def bridges(v: View) -> Rows:
    h = bridge_graph(v)
    if h.number_of_nodes() < 3:
        return []
    centrality = nx.betweenness_centrality(h)
    found: dict[str, Rows] = {"dataset": [], "concept": []}
    for n, score in sorted(centrality.items(), key=lambda x: (-x[1], x[0])):
        a = v.nodes[n]
        if a.get("type") == "ModelFamily" or len(found[a["kind"]]) >= TOP_BRIDGES:
            continue
        bridge = _dataset_bridge if a["kind"] == "dataset" else _concept_bridge
        fams, reading = bridge(v, h, n)
        if len(fams) < 2:
            continue
        found[a["kind"]].append(
            {
                "kind": a["kind"],
                "id": a["id"],
                "label": a["label"],
                "betweenness": round(score, 4),
                "families": "; ".join(map(short, fams)),
                "reading": reading,
            }
        )
    return found["dataset"] + found["concept"]


def _fam_rank(v: View) -> Callable[[str], int]:
    order = {v.nodes[f]["id"]: i for i, f in enumerate(v.families)}
    return lambda f: order.get(f, len(order))
