"""The built site in a real browser (Debian's chromium via Playwright): browse, search, offline."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlparse

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
