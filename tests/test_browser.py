"""The built site in a real browser (Debian's chromium via Playwright): browse, search, offline."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest

from kb.site import build_site
from kb.site.data import load
from kb.site.paths import concept_page

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parent.parent / "build" / "site-browser-test.png"
PAPER = "zou2023universal"  # GCG's paper: in the survey's LLM jailbreak table and in the paper list
METHOD = "llm-gcg"
LIST_ONLY = "accidental2025vulnerability"  # from the second source only: no authors (CONTRACTS §1)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real data's site, built once, served on a free localhost port."""
    out = tmp_path_factory.mktemp("build") / "site"
    build_site(out)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output readable
        pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        assert b.version, "chromium did not start"
        yield b
        b.close()


def _heading(page) -> str:
    """The page's h1 without its permalink sign."""
    return page.locator("h1").first.inner_text().strip().removesuffix("¶").strip()


def test_browse_search_and_stay_offline(site, browser):
    data = load()
    paper = data.papers[PAPER]
    sub = data.methods[METHOD]["sub"]
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("request", lambda r: requests.append(r.url))

    # home page: headline numbers and the family tabs
    page.goto(site + "/")
    assert "Large-Model Safety Knowledge Base" in page.title()
    assert page.locator("text=papers").first.is_visible()
    assert page.locator(".md-tabs__link", has_text="LLM").count() == 1

    # a subcategory page lists the method and links to its paper
    page.goto(site + "/" + concept_page(sub).removesuffix("index.md"))
    assert _heading(page) == data.concepts[sub]["label"]
    page.locator("article a", has_text=paper["title"]).first.click()
    page.wait_for_url(f"**/papers/{PAPER}/")
    assert _heading(page) == paper["title"]
    assert page.locator(f"#m-{METHOD}").inner_text().strip().startswith("GCG")
    assert (
        page.locator("pre code").filter(has_text=PAPER).first.inner_text().lstrip().startswith("@")
    )

    # the built-in search finds the paper by words of its title
    page.goto(site + "/")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").fill("universal transferable adversarial aligned")
    hit = page.locator(".md-search-result__item a", has_text=paper["title"]).first
    hit.wait_for(state="visible", timeout=30_000)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    hit.click()
    page.wait_for_url(f"**/papers/{PAPER}/**")

    # ... and the method by its name, pointing at the method's heading on its paper's page
    page.goto(site + "/")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").fill("GCG")
    method_hit = page.locator(
        f".md-search-result a[href*='papers/{PAPER}/'][href$='#m-{METHOD}']"
    ).first
    method_hit.wait_for(state="attached", timeout=30_000)

    # dark mode is one click away
    page.goto(site + "/")
    before = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    assert page.locator("body").get_attribute("data-md-color-scheme") != before

    outside = [
        u
        for u in requests
        if urlparse(u).scheme in ("http", "https")
        and urlparse(u).hostname not in ("127.0.0.1", "localhost")
    ]
    assert requests and not outside, f"requests outside localhost: {outside[:5]}"
    page.close()


# Pages a researcher reads at 1400 px: home, a threat type, a subcategory with its methods table,
# the gaps page and one query page. (name, path)
READ_PAGES = [
    ("home", "/"),
    ("area", "/llm/jailbreak-attacks/"),
    ("subcategory", "/llm/jailbreak-attacks/black-box/hand-crafted/"),
    ("gaps", "/gaps/"),
    ("query", "/queries/attacks-by-kind-access/"),
    ("papers", "/papers/year-2024/"),
    ("topics", "/topic/"),
    ("topic", "/topic/unlearning/"),
    ("paper", f"/papers/{PAPER}/"),
    ("paper-list-only", f"/papers/{LIST_ONLY}/"),
]
# visible text of the article outside code (commands and ID fields are there to be copied)
_PROSE = """() => { const a = document.querySelector('article').cloneNode(true);
  a.querySelectorAll('code, pre, details:not([open])').forEach(e => e.remove());
  document.body.appendChild(a); const t = a.innerText; a.remove(); return t; }"""
CURIE = re.compile(
    r"\b(?:concept|paper|method|dataset|facet|kb|model|person|source|scheme|impl|link|"
    r"dcterms|skos|rdfs|bibo|fabio|schema|prov):[A-Za-z0-9]"
)
SCREENS = Path(os.environ.get("KB_SCREENS", str(SCREENSHOT.parent / "screens")))
# every element that could hide data by scrolling or clipping: tables and their theme wrappers
_CLIPPED = """() => [...document.querySelectorAll(
    'article table, article .md-typeset__table, article .md-typeset__scrollwrap')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.tagName}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`)"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_read_at_1400px(site, browser, scheme):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for name, path in READ_PAGES:
        page.goto(site + path)
        # open every collapsed section so hidden tables are measured too
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert page.evaluate(_CLIPPED) == [], f"{path}: a table clips its data at 1400 px"
        article = page.locator("article").first
        if name not in ("home", "paper", "paper-list-only"):  # data pages get the wide layout
            assert article.bounding_box()["width"] >= 900, f"{path}: content column too narrow"
        if name in ("gaps", "query"):
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
            found = CURIE.findall(page.evaluate(_PROSE))
            assert not found, f"{path}: raw identifiers in visible text: {found[:5]}"
        page.screenshot(path=str(SCREENS / f"{name}-{scheme}.png"))
    # one breadcrumb on area pages: the theme's
    page.goto(site + "/llm/jailbreak-attacks/")
    assert page.locator("article p", has_text="Home ›").count() == 0
    assert page.locator(".md-path").count() == 1
    page.close()


def test_queries_and_gaps_pages_show_labels_not_ids(site, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(site + "/gaps/")
    # the page leads with the attacks nobody defends
    assert page.locator("article h2").first.inner_text().startswith("Attacks without defenses")
    headers = page.locator("article th").all_inner_texts()
    assert not [h for h in headers if "_" in h], f"snake_case headers: {headers}"
    page.goto(site + "/queries/")
    hrefs = page.eval_on_selector_all("article td a", "els => els.map(e => e.href)")
    assert len(hrefs) >= 20
    for href in [site + "/queries/", *hrefs]:  # every query page, collapsed SPARQL text aside
        page.goto(href)
        found = CURIE.findall(page.evaluate(_PROSE))
        assert not found, f"{href}: raw identifiers in visible text: {found[:5]}"
    page.goto(site + "/queries/")
    links = page.locator("article a[href*='attacks-by-kind-access']")
    assert links.count() >= 1
    links.first.click()
    page.wait_for_url("**/queries/attacks-by-kind-access/")
    # ids become labels linked to their pages; the id stays on hover
    link = page.locator("article td a[title^='llm.']").first
    assert link.get_attribute("title") and ":" not in link.inner_text()
    page.close()


def test_field_pages_show_topics_placements_and_sources(site, browser):
    """The second source on the site: a tab for the topics outside the survey, each placement
    with how it was made, a list-only paper without an empty author line, the gaps it adds."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(site + "/")
    page.locator(".md-tabs__link", has_text="Beyond the survey").click()
    page.wait_for_url("**/topic/")
    assert page.locator("article table tbody tr").count() >= 10
    page.locator("article td a", has_text="Machine Unlearning").click()
    page.wait_for_url("**/topic/unlearning/")
    assert _heading(page) == "Machine Unlearning"
    assert page.locator("article table tbody tr").count() >= 10

    page.goto(site + f"/papers/{PAPER}/")
    classification = page.locator("article ul").filter(has_text="placed by survey").first
    assert "Jailbreak Attacks" in classification.inner_text()
    sources = page.locator("article p", has_text="Sources:").inner_text()
    assert "Survey v6" in sources and "Awesome-LM-SSP" in sources

    page.goto(site + f"/papers/{LIST_ONLY}/")
    facts = page.locator("article p", has_text="Authors:").inner_text()
    assert "not given" in facts and "—" not in facts.split("\n")[0]
    assert "placed by list" in page.locator("article").inner_text()

    page.goto(site + "/gaps/")
    for heading in ("What the field studies beyond the survey", "Stale areas, recomputed on the field"):
        assert page.locator("h2", has_text=heading).count() == 1, heading
    page.close()


def test_search_index_is_clean_and_ranks_areas(site, browser):
    index = json.loads(urlopen(site + "/search/search_index.json").read())
    docs = index["docs"]
    assert not [d["location"] for d in docs if "-;" in d["title"] + d["text"]]
    assert not [d["location"] for d in docs if "&#" in d["title"]]  # words, not references
    assert not [d for d in docs if d["location"].startswith(("datasets/#", "papers/#"))]
    assert max(len(d["text"]) for d in docs) < 20_000, "one search hit holds a whole table"

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(site + "/")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").fill("black box jailbreak")
    first = page.locator(".md-search-result__item a").first
    first.wait_for(state="visible", timeout=30_000)
    assert urlparse(first.get_attribute("href")).path == "/llm/jailbreak-attacks/black-box/"
    page.close()
