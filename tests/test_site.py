"""The static site: escaping of data text, a page for every record, strict mkdocs builds."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import main
from kb.site import SiteError, build_site, generate, run_mkdocs
from kb.site.data import load
from kb.site.escape import code_block, esc, safe_url
from kb.site.paths import anchor, concept_page, dataset_page, paper_page

DATA = Path(__file__).parent / "data"
EVIL = "<script>alert(1)</script> *bold* [x](javascript:alert(1))"
# Markup that must never reach a built page from the fixture's data.
INJECTED = (
    "<script>alert",
    "<img src=x",
    "<b>Venue",
    "<i>markup",
    'href="javascript:',
    "<em>bold",
    "<u>jailbreak",
    "&amp;lt;",
)  # the last one: escaped twice


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """tests/data/site_mini.ttl (+ .bib) as a data folder."""
    data = tmp_path_factory.mktemp("data")
    shutil.copy(DATA / "site_mini.ttl", data / "taxonomy.ttl")
    shutil.copy(DATA / "site_mini.bib", data / "references.bib")
    return data


@pytest.fixture(scope="module")
def mini_site(mini, tmp_path_factory):
    """The fixture's site, built with KB_DATA pointing at it."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KB_DATA", str(mini))
    out = tmp_path_factory.mktemp("build") / "site"
    stats = build_site(out)
    mp.undo()
    return out, stats


class _Text(HTMLParser):
    """The text of the first element with a given tag (entities decoded, markup dropped)."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag, self.depth, self.done, self.parts = tag, 0, False, []

    def handle_starttag(self, tag, attrs):
        if tag == self.tag and not self.done:
            self.depth += 1
        elif self.depth and tag == "a" and ("class", "headerlink") in attrs:
            self.depth += 1  # the permalink sign is not part of the heading

    def handle_endtag(self, tag):
        if self.depth and tag in (self.tag, "a"):
            self.depth -= 1
            if self.depth == 0:
                self.done = True

    def handle_data(self, data):
        if self.depth == 1 and not self.done:
            self.parts.append(data)


def text_of(page: Path, tag: str) -> str:
    parser = _Text(tag)
    parser.feed(page.read_text(encoding="utf-8"))
    return "".join(parser.parts).strip()


def test_esc_makes_markup_literal():
    out = esc(EVIL)
    assert html.unescape(out) == EVIL
    assert not set(out) & set("<>*[]()`_|")


def test_esc_folds_newlines_and_none():
    assert esc("a\n\nb") == "a b"
    assert esc(None) == ""


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,x", " ", "ftp://x", 'https://x"y']
)
def test_unsafe_urls_are_dropped(url):
    assert safe_url(url) is None


def test_http_urls_are_kept():
    assert (
        safe_url("https://github.com/llm-attacks/llm-attacks")
        == "https://github.com/llm-attacks/llm-attacks"
    )


def test_code_block_fence_outruns_backticks():
    block = code_block("a ```` b", "bibtex")
    assert block.startswith("`````bibtex\n") and block.endswith("\n`````")


def test_hostile_title_renders_literally(mini_site):
    out, _ = mini_site
    page = out / "papers" / "evil2024script" / "index.html"
    assert text_of(page, "h1") == EVIL
    assert text_of(page, "title") == f"{EVIL} - Large-Model Safety Knowledge Base"
    assert text_of(page, "h3") == "<script>alert(4)</script>"  # the method's name


def test_no_page_carries_injected_markup(mini_site):
    out, _ = mini_site
    pages = list(out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for bad in INJECTED:
            assert bad not in text, f"{page.relative_to(out)} contains {bad!r}"
    index = (out / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "<script>alert" not in index and "&lt;script&gt;alert" in index


def test_hostile_concept_label_is_literal_in_nav_and_page(mini_site):
    out, _ = mini_site
    label = "<img src=x onerror=alert(5)> & Co"
    page = out / "llm" / "jailbreak-defenses" / "hostile" / "index.html"
    assert text_of(page, "h1") == label
    # the browser tab names the area's family and threat type, since many areas share a label
    assert text_of(page, "title") == (
        f"{label} · LLM Jailbreak Defenses - Large-Model Safety Knowledge Base"
    )
    parent = (out / "llm" / "jailbreak-defenses" / "index.html").read_text(encoding="utf-8")
    assert html.escape(label, quote=True) in parent  # its nav entry, escaped exactly once
    # a definition that starts like a list item stays a paragraph
    assert "<p>&#45; a definition that &#42;looks&#42; like" in page.read_text(encoding="utf-8")


def test_bibtex_entry_is_shown_verbatim(mini_site):
    out, _ = mini_site
    code = text_of(out / "papers" / "zou2023universal" / "index.html", "pre")
    assert code.startswith("@article{zou2023universal,") and "Zou, Andy and Wang, Zifan" in code


def test_fixture_site_has_every_page(mini_site, mini):
    out, stats = mini_site
    d = load(mini)
    assert stats["concepts"] == len(d.concepts) == 7
    for cid in d.concepts:
        assert (out / concept_page(cid).replace("index.md", "index.html")).exists(), cid
    for pid in d.papers:
        assert (out / paper_page(pid).removesuffix(".md") / "index.html").exists(), pid
    sub = out / concept_page("llm.jailbreak-attacks.white-box.token-level").replace(".md", ".html")
    page = sub.read_text(encoding="utf-8")
    assert 'href="../../../../papers/zou2023universal/#m-llm-gcg"' in page  # method -> paper anchor
    assert "https://arxiv.org/abs/2307.15043" in page
    attack = (out / "llm" / "jailbreak-attacks" / "index.html").read_text(encoding="utf-8")
    assert "Defenses that answer it" in attack and "../jailbreak-defenses/" in attack
    assert "kb run gcg" in page  # the reference implementation linked to the subcategory


def test_site_is_offline(mini_site):
    out, _ = mini_site
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis" not in home and "fonts.gstatic" not in home
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', home)
    assert srcs and not [s for s in srcs if s.startswith(("http:", "https:", "//"))]


def test_downloads_offer_the_curated_files(mini_site):
    out, stats = mini_site
    assert stats["downloads"][:2] == ["taxonomy.ttl", "references.bib"]
    assert (out / "downloads" / "taxonomy.ttl").exists()
    assert 'href="downloads/taxonomy.ttl"' in (out / "index.html").read_text(encoding="utf-8")


def test_cli_builds_and_prints_counts(mini, tmp_path):
    result = CliRunner().invoke(
        main, ["site", "--out", str(tmp_path / "site"), "--json"], env={"KB_DATA": str(mini)}
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["papers"] == 2 and stats["html_pages"] >= 14


def test_cli_missing_data_is_one_line(tmp_path):
    result = CliRunner().invoke(
        main, ["site", "--out", str(tmp_path / "site")], env={"KB_DATA": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "taxonomy.ttl: file not found" in result.output and "Traceback" not in result.output


def test_strict_build_fails_on_a_broken_link(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n[gone](missing.md)\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\ntheme:\n  name: material\n  font: false\n", encoding="utf-8"
    )
    with pytest.raises(SiteError, match="missing.md"):
        run_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "out")


@pytest.mark.slow
def test_real_data_every_record_has_a_page(tmp_path):
    """Every concept, paper and dataset of data/taxonomy.ttl gets a page; every method an anchor."""
    d = load()
    generate(tmp_path / "src", tmp_path, None, lambda m: None)
    docs = tmp_path / "src" / "docs"
    missing = [c for c in d.concepts if not (docs / concept_page(c)).exists()]
    missing += [p for p in d.papers if not (docs / paper_page(p)).exists()]
    missing += [x for x in d.datasets if not (docs / dataset_page(x)).exists()]
    assert not missing, f"no page for {missing[:5]}"
    for mid, m in d.methods.items():
        if m["paper"] in d.papers:
            text = (docs / paper_page(m["paper"])).read_text(encoding="utf-8")
            assert f"{{#{anchor(mid)}}}" in text, mid
    nav = (tmp_path / "src" / "mkdocs.yml").read_text(encoding="utf-8")
    for tab in ("VFM", "LLM", "VLP", "VLM", "DM", "Agent", "Papers", "Gaps", "Queries"):
        assert f"- {tab}:" in nav, tab


def _mini_plus(mini: Path, tmp_path: Path, turtle: str) -> Path:
    """A copy of the fixture's data folder with some Turtle appended to its graph."""
    data = tmp_path / "data"
    shutil.copytree(mini, data)
    ttl = data / "taxonomy.ttl"
    ttl.write_text(ttl.read_text(encoding="utf-8") + "\n" + turtle, encoding="utf-8")
    return data


def test_paper_page_says_how_each_placement_was_made(mini, tmp_path):
    """kb:Placement nodes (CONTRACTS §1) show as "placed by survey/predicted" beside the area."""
    from kb.site.data import load
    from kb.site.records import paper_markdown

    data = _mini_plus(
        mini,
        tmp_path,
        "<https://w3id.org/lmsafety/placement/zou2023universal--llm.jailbreak-attacks>"
        " a kb:Placement ; kb:paper paper:zou2023universal ;"
        " kb:concept concept:llm.jailbreak-attacks ; kb:how facet:how-survey .\n"
        "<https://w3id.org/lmsafety/placement/zou2023universal--llm.jailbreak-defenses>"
        " a kb:Placement ; kb:paper paper:zou2023universal ;"
        " kb:concept concept:llm.jailbreak-defenses ; kb:how facet:how-predicted ;"
        ' kb:score "0.82"^^xsd:decimal .\n'
        "<https://w3id.org/lmsafety/placement/zou2023universal--llm.prompt-injection-attacks>"
        " a kb:Placement ; kb:paper paper:zou2023universal ;"
        " kb:concept concept:llm.prompt-injection-attacks ; kb:how facet:how-predicted ;"
        ' kb:score "0.31"^^xsd:decimal ; kb:tentative true .\n',
    )
    d = load(data)
    assert d.placements[("zou2023universal", "llm.jailbreak-attacks")] == "survey"
    assert d.placements[("zou2023universal", "llm.jailbreak-defenses")] == "predicted, score 0.82"
    assert d.placements[("zou2023universal", "llm.prompt-injection-attacks")] == (
        "predicted, score 0.31, tentative: to be confirmed")
    page = paper_markdown(d, "zou2023universal")
    assert "placed by survey" in page
    assert "placed by" not in paper_markdown(load(mini), "zou2023universal")


def test_second_source_topics_and_list_only_papers(mini, tmp_path):
    """A topic outside the survey (kb:Topic) gets a page and a nav tab; a list-only paper (no
    authors) names where it comes from: its source, the list's category file and badges."""
    from kb.site import concepts
    from kb.site.data import load
    from kb.site.records import paper_markdown

    data = _mini_plus(
        mini,
        tmp_path,
        "concept:topic.unlearning a skos:Concept, kb:Topic ; skos:inScheme scheme:outside-survey ;"
        ' skos:prefLabel "Machine Unlearning"@en ; skos:definition "Removing data from a model."@en ;'
        " kb:outsideSurvey true .\n"
        "paper:forget2025list a bibo:AcademicArticle ; dcterms:title \"Forget It: a list-only paper\" ;"
        ' fabio:hasPublicationYear "2025"^^xsd:gYear ; dcterms:subject concept:topic.unlearning ;'
        ' kb:badge "LLM" ; kb:listCategory "privacy/unlearning" ;'
        " kb:inSource <https://w3id.org/lmsafety/source/awesome-lm-ssp> .\n",
    )
    d = load(data)
    assert d.topics() == ["topic.unlearning"] and "topic.unlearning" not in d.roots()
    assert d.areas() == load(mini).areas()
    ix = concepts.Index(d)
    page = concepts.concept_markdown(d, ix, "topic.unlearning", {})
    assert "# Machine Unlearning" in page and "**1** papers are filed here" in page
    assert "| Paper |" in page and "Method" not in page  # no empty method columns
    assert "[Machine Unlearning](unlearning/index.md)" in concepts.topics_index(d, ix)
    assert concepts.topics_nav(d) == [
        {"Beyond the survey": ["topic/index.md", {"Machine Unlearning": "topic/unlearning/index.md"}]}
    ]
    paper = paper_markdown(d, "forget2025list")
    assert "**Authors:** not given" in paper
    assert "**Sources:**" in paper and "<code>privacy/unlearning</code>" in paper and "badge LLM" in paper
    assert "[Machine Unlearning](../topic/unlearning/index.md)" in paper
    assert concepts.topics_nav(load(mini)) == []


def test_titles_lose_bibtex_braces_and_links_use_resolvers(mini):
    from kb.site.data import clean_title, load
    from kb.site.records import paper_markdown

    assert clean_title("Attacks on {LLM} agents") == "Attacks on LLM agents"
    page = paper_markdown(load(mini), "zou2023universal")
    assert "https://arxiv.org/abs/" in page
    assert "evidence" not in page.lower()


def test_run_results_show_metric_labels_and_setup():
    """Reference run records (CONTRACTS §4, the shape `kb run --format json` writes) read as
    labelled metrics with their set-up; a toy target is marked before the numbers."""
    import re

    from kb.site.concepts import _metrics

    record = {  # trimmed from a real `kb run jailbreak-transforms` record
        "name": "jailbreak-transforms",
        "metrics": {"asr_base64": 1, "asr_none": 0.0, "n_requests": 20},
        "metric_labels": {"asr_base64": "ASR, base64", "asr_none": "ASR, none", "n_requests": "Requests"},
        "toy_target": True,
        "setup": "rule-based stand-in (KeywordGuardedToy answering in kind), not a language model",
        "date": "2026-12-01T05:09:42Z",
    }
    shown = _metrics(record)
    assert shown.startswith('<strong class="kb-toy"')
    text = html.unescape(re.sub(r"<[^>]+>", "", shown))
    assert text.startswith("toy target: ASR, base64: 1; ASR, none: 0; Requests: 20 (rule-based stand-in")
    assert text.endswith("not a language model, run 2026-12-01)")
    assert "asr_base64" not in text
    real = _metrics({**record, "toy_target": False})
    assert "toy target" not in real and real.startswith("ASR, base64")
    assert html.unescape(_metrics({"metrics": {"asr": 0.5}})) == "asr: 0.5"


def test_a_long_year_is_split_by_letter(mini):
    """With a second source a year can hold a thousand papers: its page collapses by letter."""
    from kb.site import records
    from kb.site.data import load

    d = load(mini)
    pid = next(iter(d.papers))
    base = d.papers[pid]
    for i in range(records.LETTER_SPLIT + 1):
        d.papers[f"x{i}"] = {**base, "id": f"x{i}", "title": f"{'ABZ9'[i % 4]} paper {i}"}
    pids = sorted(x for x in d.papers if x.startswith("x"))
    page = records.papers_year_page(d, "2024", pids)
    assert page.count("<details") == 4
    assert "<summary>A (51)</summary>" in page and "0–9 and others (50)" in page
