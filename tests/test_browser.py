"""The built book in a real browser: math renders, figures move, nothing needs the network.

Serves ``_build/html`` on 127.0.0.1 and drives the system's chromium with playwright (never a
downloaded browser). Every request that leaves 127.0.0.1 is blocked and recorded, so a page that
only works online fails here. Skips when no chromium is installed, except in CI, where it fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from browser_helpers import chromium

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _toc_pages() -> list[str]:
    """Every page of _toc.yml, as paths relative to the HTML root (e.g. chapters/svd/svd.html)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            pages.append(chapter["file"])
            pages.extend(s["file"] for s in chapter.get("sections", []))
    return [f"{p}.html" for p in pages]


CHAPTERS = [p for p in _toc_pages() if p.startswith("chapters/")]


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html is missing: build the book first (make test builds it)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    path = chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("no chromium on this machine (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(profile), executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield ctx
        ctx.close()


class PageVisit:
    """A page opened with the network cut off at 127.0.0.1, recording what went wrong."""

    def __init__(self, context, url: str):
        self.page = context.new_page()
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on(
            "response", lambda r: self.failed.append(f"{r.url} (HTTP {r.status})")
            if r.status >= 400 else None
        )
        self.page.goto(url, wait_until="load")

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith("data:") or host == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def local_failures(self) -> list[str]:
        return [f for f in self.failed if urlparse(f.split(" ")[0]).hostname == "127.0.0.1"]

    def close(self):
        self.page.close()


@pytest.fixture
def visit(browser, server):
    opened = []

    def _open(path: str) -> PageVisit:
        v = PageVisit(browser, f"{server}/{path}")
        opened.append(v)
        return v

    yield _open
    for v in opened:
        v.close()


def test_toc_lists_chapters():
    assert CHAPTERS, "_toc.yml lists no chapter"


@pytest.mark.parametrize("page", _toc_pages())
def test_every_page_loads_without_failed_local_requests(visit, page):
    assert (HTML / page).exists(), f"{page} was not built"
    v = visit(page)
    assert v.page.title(), f"{page} has no title"
    assert v.local_failures() == [], f"{page}: failed requests {v.local_failures()}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_math_is_rendered_by_the_local_mathjax(visit, page):
    v = visit(page)
    src = v.page.eval_on_selector("script[src*='mathjax']", "s => s.getAttribute('src')")
    assert "tex-chtml.js" in src and "://" not in src, f"MathJax not served locally: {src}"
    v.page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    v.page.evaluate("() => MathJax.startup.promise")
    if v.page.locator(".math").count() == 0:
        pytest.skip(f"{page} has no math")
    # attached, not visible: some math sits in collapsed blocks (solutions, dropdowns)
    v.page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
    rendered = v.page.locator("mjx-container").count()
    raw_tex = v.page.locator(".math:not(:has(mjx-container))").count()
    assert rendered > 0 and raw_tex == 0, f"{page}: {raw_tex} math blocks left as raw TeX"
    assert not any("mathjax" in u.lower() for u in v.blocked), v.blocked


def _frame_src(v: PageVisit, index: int) -> str:
    return v.page.locator(".animation img").nth(index).get_attribute("src")


@pytest.mark.parametrize("page", [p for p in CHAPTERS if not p.endswith("/homework.html")])
def test_interactive_figures_change_frame_when_the_slider_moves(visit, page):
    v = visit(page)
    sliders = v.page.locator("input.anim-slider")
    n = sliders.count()
    assert n >= 1, f"{page} has no interactive figure"
    for i in range(n):
        slider = sliders.nth(i)
        slider.scroll_into_view_if_needed()
        first = _frame_src(v, i)
        last = int(slider.get_attribute("max"))
        assert last >= 1, f"figure {i} on {page} has a single frame"
        # Move the slider as a user would: focus it and press End (jump to the last frame).
        slider.focus()
        slider.press("End")
        v.page.wait_for_timeout(100)
        moved = _frame_src(v, i)
        assert slider.input_value() == str(last)
        assert moved != first, f"figure {i} on {page} did not change frame"
        # And the step button goes back one frame.
        v.page.locator(".anim-buttons").nth(i).locator("button[title='Previous frame']").click()
        assert slider.input_value() == str(last - 1)
        assert _frame_src(v, i) != moved


@pytest.fixture(scope="module")
def secrets():
    """The solution and hidden-test lines of every instructor homework (coursekit.edition)."""
    from coursekit.edition import secret_lines

    lines = [s.text for s in secret_lines(ROOT)]
    assert lines, "the homework notebooks have no solution or hidden-test line to look for"
    return lines


@pytest.mark.parametrize("page", [p for p in CHAPTERS if p.endswith("/homework.html")])
def test_homework_pages_show_the_release_and_serve_it(visit, secrets, page):
    """The student edition: no secret on the page or in the notebook its download button serves."""
    from coursekit.edition import find_secrets
    from coursekit.homework.nbgrader_course import CODE_STUB

    v = visit(page)
    leaked = find_secrets(v.page.content(), secrets)  # the DOM, collapsed blocks included
    assert not leaked, f"{page} shows solution or hidden-test lines: {leaked[:3]}"
    assert find_secrets(v.page.inner_text("main"), [CODE_STUB.splitlines()[0]]), (
        f"{page} does not show the stubs of the release")
    link = v.page.locator("a[href$='.ipynb']").first
    href = link.get_attribute("href")
    assert href.endswith(page.replace(".html", ".ipynb")), f"{page}: download link {href}"
    served = v.page.request.get(v.page.url.rsplit("/", 1)[0] + "/" + href)
    assert served.status == 200, f"{page}: the download button's notebook is missing"
    notebook = served.text()
    assert "NotImplementedError" in notebook, f"{page}: the download is not the release"
    leaked = find_secrets(notebook, secrets)
    assert not leaked, f"{page}: the downloaded notebook holds {leaked[:3]}"


def test_index_redirects_to_the_first_page(visit):
    v = visit("index.html")
    v.page.wait_for_url(f"**/{_toc_pages()[0]}")


def test_sidebar_links_every_chapter(visit):
    v = visit(_toc_pages()[0])
    hrefs = v.page.eval_on_selector_all(
        "nav.bd-docs-nav a.reference.internal", "as => as.map(a => a.getAttribute('href'))"
    )
    linked = {re.sub(r"^(\./)+", "", h.split("#")[0]) for h in hrefs}
    missing = [c for c in CHAPTERS if c not in linked]
    assert not missing, f"sidebar does not link {missing}; it links {sorted(linked)}"
    for chapter in CHAPTERS:
        v.page.locator(f"nav.bd-docs-nav a[href$='{chapter}']").first.click()
        v.page.wait_for_load_state("load")
        assert v.page.url.endswith(chapter)
        v.page.go_back()


@pytest.mark.parametrize("page", [p for p in CHAPTERS if not p.endswith("/homework.html")])
def test_each_chapter_shows_its_measured_run_time_and_links_the_runs_page(visit, page):
    """The badge under the title (tools/bookrun.py), with the time the runs page lists."""
    v = visit(page)
    badge = v.page.locator("main p", has_text="Runs in about").first
    text = badge.inner_text()
    seconds = re.search(r"Runs in about (\d+) s", text)
    assert seconds, f"{page} has no run-time badge"
    link = badge.locator("a", has_text="How this book runs")
    assert link.count() == 1
    runs = visit("runs.html")
    row = runs.page.locator("table tr", has=runs.page.locator(f"a[href*='{page}']")).first
    assert row.inner_text().split("\t")[1].strip() == f"{seconds.group(1)} s"
