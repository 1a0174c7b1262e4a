"""The book in JupyterLab, as a reader and a student run it: driven through chromium.

Starts JupyterLab 4 on 127.0.0.1 with the readers' set-up of ``make lab`` (the
``jupyter/reader`` configuration: nbgrader's extension disabled, no news or update checks; the
notebooks trusted with ``jupyter trust``) in a temporary copy of one chapter and one homework
release, and drives it with the system's chromium (playwright). Every request that leaves
127.0.0.1 is blocked and recorded. Checks that

- the chapter opens with its MyST markup rendered (admonitions, no raw ``:::{``, ``{cite:p}`` or
  ``{math}`` text), its solutions folded and the inputs the book folds folded;
- a stored interactive figure moves on open, without re-running its cell (trusted notebook);
- *Run All Cells* from the menu runs every cell, with no error outside the cells tagged
  ``raises-exception``, and the check cells print what they printed when stored;
- a ``coursekit.interactive.live_slider`` built in the running kernel changes its figure when its
  slider moves;
- in a homework release, *Restart Kernel and Run All Cells* runs every cell, so that every test
  cell reports (an unanswered question's test reports that it is not answered).

Each run is read back from the notebook JupyterLab saves, not guessed from the screen.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from browser_helpers import chromium

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "svd"  # short in the default mode, with players, solutions and folded cells
HOMEWORK = "svd"
JUPYTER = Path(sys.executable).with_name("jupyter")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of one chapter and one homework release; yields (url, root)."""
    from coursekit.homework.release import release

    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing (CI installs it: apt-get install chromium)")
        pytest.skip("no chromium on this machine")
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(ROOT / "chapters" / CHAPTER, root / CHAPTER,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "homework.ipynb"))
    released = release(base / "release", book=ROOT, chapters=[HOMEWORK])
    shutil.copy(released[HOMEWORK], root / CHAPTER / "homework.ipynb")
    # the readers' settings of `make lab`, plus every cell rendered (no windowing) for the test
    settings = base / "settings"
    overrides = json.loads((ROOT / "jupyter/reader/settings/overrides.json").read_text())
    overrides["@jupyterlab/notebook-extension:tracker"] = {"windowingMode": "none"}
    settings.mkdir()
    (settings / "overrides.json").write_text(json.dumps(overrides))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTER_DATA_DIR=str(base / "data"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               JUPYTER_CONFIG_PATH=str(ROOT / "jupyter" / "reader"),
               COURSEKIT_DEVICE="cpu", COURSEKIT_PROGRESS="0")
    env.pop("COURSEKIT_FULL", None)
    env.pop("MPLBACKEND", None)
    subprocess.run([str(JUPYTER), "trust", *map(str, root.rglob("*.ipynb"))], env=env,
                   check=True, capture_output=True)
    port = _free_port()
    log = open(base / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root",
         f"--ServerApp.root_dir={root}", f"--LabServerApp.app_settings_dir={settings}"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(f"{url}/api", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {(base / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield url, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium(),
                               args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                     "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def route(r):
        if urlparse(r.request.url).hostname in ("127.0.0.1", None) or r.request.url.startswith(
                ("data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.blocked = blocked
    yield pg
    context.close()
    assert not blocked, f"requests left 127.0.0.1: {blocked[:5]}"


def _open(page, url: str, path: str):
    page.goto(f"{url}/lab/tree/{path}?reset")  # a fresh workspace: only this notebook open
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    page.wait_for_timeout(1000)
    dialog = page.locator(".jp-Dialog button.jp-mod-accept")
    if dialog.count():  # "Select Kernel": take the proposed Python kernel
        dialog.first.click()
    page.wait_for_function(  # the kernel is up and idle
        "() => document.querySelector('.jp-Notebook-ExecutionIndicator') && "
        "document.querySelector('.jp-Notebook-ExecutionIndicator')"
        ".getAttribute('data-status') === 'idle'", timeout=90_000)


def _menu(page, menu: str, item: str):
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def _wait_all_ran(page, n_code: int, timeout_s: float):
    """Wait until ``n_code`` prompts show an execution count and none shows ``*``."""
    state = """() => {
        const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
        return {done: prompts.filter(p => /\\[\\d+\\]/.test(p.textContent)).length,
                busy: prompts.filter(p => p.textContent.includes('*')).length,
                total: prompts.length};
    }"""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        s = page.evaluate(state)
        if s["done"] >= n_code and not s["busy"]:
            return
        page.wait_for_timeout(500)
    page.screenshot(path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "coursekit-lab.png"))
    pytest.fail(f"Run All did not finish in {timeout_s} s: {page.evaluate(state)}, "
                f"{n_code} code cells")


def _save(page):
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)


def _frame(page, i: int = 0) -> str:
    return page.locator(".animation img").nth(i).get_attribute("src")


def test_a_chapter_opens_rendered_folded_and_runs_all(lab, page):
    url, root = lab
    path = root / CHAPTER / f"{CHAPTER}.ipynb"
    stored = nbformat.read(path, as_version=4)
    _open(page, url, f"{CHAPTER}/{CHAPTER}.ipynb")

    # nbgrader is hidden from readers
    assert page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").count() == 0
    # the MyST markup is rendered, not shown as source
    page.wait_for_selector("aside.myst-admonition", timeout=30_000)
    texts = "\n".join(page.locator(".jp-MarkdownOutput").all_inner_texts())
    for raw in (":::{", "{cite:p}", "{cite:t}", "{math}", "```{"):
        assert raw not in texts, f"raw MyST {raw!r} is shown"
    # solutions folded
    n_solutions = sum(c.source.count("{solution}") for c in stored.cells
                      if c.cell_type == "markdown")
    page.wait_for_function("n => document.querySelectorAll('details.myst-exercise').length >= n",
                           arg=n_solutions, timeout=30_000)
    solutions = page.locator("details.myst-exercise", has_text="Solution to")
    assert n_solutions >= 1 and solutions.count() == n_solutions
    assert page.locator("details.myst-exercise[open]", has_text="Solution to").count() == 0
    # the plotting inputs the book folds are folded
    hidden = sum(1 for c in stored.cells if c.metadata.get("jupyter", {}).get("source_hidden"))
    assert hidden >= 1 and page.locator(".jp-InputPlaceholder").count() == hidden

    # a stored player moves without any cell being run (the notebook is trusted)
    slider = page.locator("input.anim-slider").first
    slider.scroll_into_view_if_needed()
    first = _frame(page)
    slider.focus()
    slider.press("End")
    page.wait_for_timeout(200)
    assert _frame(page) != first, "the stored player did not move"

    # Run All through the menu; read the result back from the saved notebook
    n_code = sum(c.cell_type == "code" for c in stored.cells)
    _menu(page, "Run", "Run All Cells")
    _wait_all_ran(page, n_code - hidden, timeout_s=240)  # a folded cell shows no prompt
    _save(page)
    ran = nbformat.read(path, as_version=4)
    checks = []
    for cell in (c for c in ran.cells if c.cell_type == "code"):
        assert cell.execution_count is not None, "a cell did not run"
        tags = cell.metadata.get("tags", [])
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors or "raises-exception" in tags, f"error: {errors[0].get('ename')}"
        checks += [ln for o in cell.outputs if o.output_type == "stream"
                   for ln in o.get("text", "").splitlines() if ln.startswith("check passed")]
    stored_checks = [ln for c in stored.cells if c.cell_type == "code" for o in c.outputs
                     if o.output_type == "stream"
                     for ln in o.get("text", "").splitlines() if ln.startswith("check passed")]
    assert checks == stored_checks


def test_a_live_slider_changes_its_figure(lab, page):
    url, root = lab
    path = root / CHAPTER / "scratch.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nfrom coursekit import interactive\n"
        "fig, ax = plt.subplots(figsize=(3, 2))\n"
        "def update(a):\n    ax.clear()\n    ax.plot([0, 1], [0, a])\n    ax.set_ylim(0, 3)\n"
        "interactive.live_slider(fig, update, [1, 2, 3])")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, path)
    _open(page, url, f"{CHAPTER}/scratch.ipynb")
    _menu(page, "Run", "Run All Cells")
    image = page.locator(".jp-OutputArea img.widget-image").first
    try:
        image.wait_for(timeout=120_000)
    except Exception:
        page.screenshot(path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "coursekit-lab.png"))
        raise
    page.wait_for_function("() => document.querySelector('.jp-OutputArea img.widget-image')"
                           ".getAttribute('src')", timeout=30_000)
    before = image.get_attribute("src")
    handle = page.locator(".jp-OutputArea .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("s => { const i = document.querySelector("
                           "'.jp-OutputArea img.widget-image');"
                           " return i && i.getAttribute('src') !== s; }", arg=before,
                           timeout=30_000)


def test_run_all_in_a_homework_release_reaches_every_test(lab, page):
    url, root = lab
    path = root / CHAPTER / "homework.ipynb"
    release = nbformat.read(path, as_version=4)
    tests = [c for c in release.cells if c.cell_type == "code"
             and c.metadata.get("nbgrader", {}).get("grade") and not
             c.metadata.get("nbgrader", {}).get("solution")]
    assert len(tests) >= 4
    _open(page, url, f"{CHAPTER}/homework.ipynb")
    _menu(page, "Kernel", "Restart Kernel and Run All Cells")
    page.locator(".jp-Dialog button.jp-mod-accept").click()
    hidden = sum(1 for c in release.cells if c.metadata.get("jupyter", {}).get("source_hidden"))
    _wait_all_ran(page, sum(c.cell_type == "code" for c in release.cells) - hidden,
                  timeout_s=120)
    _save(page)
    ran = nbformat.read(path, as_version=4)
    cells = {c.get("id"): c for c in ran.cells}
    for cell in ran.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, "Run All stopped before this cell"
    for test in tests:
        out = cells[test.get("id")].outputs
        assert out, "a test cell ran without reporting"
        text = json.dumps(out)
        assert "NotImplementedError" in text or "passed" in text.lower()
