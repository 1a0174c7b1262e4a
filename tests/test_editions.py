"""The two editions of the book (coursekit.edition): the student edition holds no secret line.

Unit tests (fake books and fake builds, plus staging the real book) run in ``make test-unit``.
Tests marked ``build`` read the built book and run after the strict build (``make test-editions``):
they skip when ``_build/html`` is missing, except in CI, where they fail.
"""

from __future__ import annotations

import doctest
import html
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import coursekit.edition as edition
from coursekit.edition import (
    SECRET_MARKERS,
    Secret,
    find_secrets,
    notebook_secrets,
    scan,
    secret_identifiers,
    secret_lines,
    stage,
)

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
HOMEWORKS = sorted(p.parent.name for p in ROOT.glob("chapters/*/homework.ipynb"))
SOLUTION_LINE = "return np.sqrt(x) * scale + offset # the answer"
HIDDEN_LINE = "assert_allclose(f(_h.standard_normal(7)), _expected, rtol=1e-9)"


def _homework_nb(extra_public: str = "") -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# Homework\nWrite `f(x)`; hidden tests check more.",
                          metadata={"tags": ["locked"]}),
        new_code_cell(
            "def f(x, scale=2.0, offset=1.0):\n"
            '    """f."""\n'
            "    ### BEGIN SOLUTION\n"
            "    y = np.asarray(x, dtype=float)\n"
            f"    {SOLUTION_LINE}\n"
            "    pass\n"
            "    ### END SOLUTION",
            metadata={"tags": ["solution", "q=f", "hide-input"]}),
        new_code_cell(
            "print(f(4.0))\n" + extra_public,
        ),
        new_code_cell(
            'assert f(0.0) == 1.0, "f(0) should be the offset"\n'
            'print("f: visible tests passed")\n'
            "### BEGIN HIDDEN TESTS\n"
            "_h = np.random.default_rng(7)\n"
            "_expected = np.sqrt(_h.standard_normal(7))\n"
            f"{HIDDEN_LINE}\n"
            "### END HIDDEN TESTS",
            metadata={"tags": ["tests", "q=f", "points=2", "remove-input"]}),
    ])


def _fake_book(tmp_path: Path, chapter_code: str = "x = 1") -> Path:
    book = tmp_path / "book"
    (book / "chapters" / "ch").mkdir(parents=True)
    (book / "_config.yml").write_text("title: t\nexclude_patterns:\n  - README.md\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (book / "intro.md").write_text("# Intro\n")
    (book / "README.md").write_text("### BEGIN SOLUTION\nnot part of the book\n")
    nbformat.write(_homework_nb(), book / "chapters" / "ch" / "homework.ipynb")
    nbformat.write(new_notebook(cells=[new_code_cell(chapter_code)]),
                   book / "chapters" / "ch" / "ch.ipynb")
    return book


# ---------------------------------------------------------------------------- secret lines


def test_module_doctests():
    result = doctest.testmod(edition)
    assert result.attempted >= 2 and result.failed == 0


def test_secret_lines_are_the_regions_less_trivial_and_public_lines(tmp_path):
    book = _fake_book(tmp_path)
    secrets = {s.text: s for s in secret_lines(book)}
    assert set(secrets) == {
        "y = np.asarray(x, dtype=float)",
        SOLUTION_LINE,
        "_expected = np.sqrt(_h.standard_normal(7))",
        "_h = np.random.default_rng(7)",
        HIDDEN_LINE,
    }
    assert secrets[SOLUTION_LINE].kind == "solution"
    assert secrets[HIDDEN_LINE].kind == "hidden test"
    assert secrets[HIDDEN_LINE].where == "chapters/ch/homework.ipynb, cell 3"
    # "pass" is trivial; the def line, the docstring and the visible tests are outside regions


def test_a_secret_line_shown_elsewhere_in_the_book_is_public(tmp_path):
    book = _fake_book(tmp_path, chapter_code="y = np.asarray(x, dtype=float)")
    texts = {s.text for s in secret_lines(book)}
    assert "y = np.asarray(x, dtype=float)" not in texts
    assert SOLUTION_LINE in texts
    # the same line outside a region of the homework itself is public too
    nb = _homework_nb(extra_public=HIDDEN_LINE)
    assert HIDDEN_LINE not in {s.text for s in notebook_secrets(nb)}


def test_a_solution_cell_without_markers_is_secret_as_a_whole():
    nb = new_notebook(cells=[new_code_cell("answer = compute_the_answer(42)",
                                           metadata={"tags": ["solution", "q=a"]})])
    assert [s.text for s in notebook_secrets(nb)] == ["answer = compute_the_answer(42)"]


def test_unbalanced_markers_are_an_error():
    nb = new_notebook(cells=[new_code_cell("### BEGIN HIDDEN TESTS\nassert f(1) == 3.0000001")])
    with pytest.raises(ValueError, match="BEGIN HIDDEN TESTS"):
        notebook_secrets(nb, "hw.ipynb")


def test_secret_identifiers_are_code_names_of_secret_regions_only(tmp_path):
    book = _fake_book(tmp_path)
    # code names of the regions; _h and np are too short, dtype has no "_" or digit
    assert set(secret_identifiers(book)) == {
        "_expected", "standard_normal", "default_rng", "assert_allclose"}
    nbformat.write(new_notebook(cells=[new_code_cell("rng.standard_normal(3)")]),
                   book / "chapters" / "ch" / "ch.ipynb")
    assert "standard_normal" not in secret_identifiers(book)
    # the search index folds case: a public name differing only in case makes it public
    nbformat.write(new_notebook(cells=[new_code_cell("_EXPECTED = 1")]),
                   book / "chapters" / "ch" / "ch.ipynb")
    assert set(secret_identifiers(book)) == {"standard_normal", "default_rng", "assert_allclose"}


def test_the_real_book_has_secrets_of_both_kinds():
    secrets = secret_lines(ROOT)
    kinds = {s.kind for s in secrets}
    assert kinds == {"solution", "hidden test"}, kinds
    for s in secrets:  # the rule of the module docstring, checked on every line kept
        assert len(s.text.replace(" ", "")) >= edition.MIN_SECRET_CHARS
        assert not any(marker in s.text for marker in SECRET_MARKERS)


# ---------------------------------------------------------------------------- the scanner


def _inventory(text: str) -> bytes:
    head = b"# Sphinx inventory version 2\n# Project: t\n# Version: \n"
    return head + b"# The remainder of this file is compressed using zlib.\n" + zlib.compress(
        text.encode())


def _spans(line: str) -> str:
    """The line as Sphinx highlights it: one span per token, entities for quotes and <>."""
    tokens = re.findall(r"\w+|\s+|[^\w\s]", line)
    return "".join(f'<span class="n">{html.escape(t, quote=True)}</span>' for t in tokens)


def _pygments(line: str) -> str:
    return f'<div class="highlight"><pre>{_spans(line)}</pre></div>'


def _fake_build(root: Path, planted: dict[str, str] | None = None) -> Path:
    """A small built book; ``planted`` maps a file to the text placed into it."""
    planted = planted or {}
    (root / "_sources" / "chapters" / "ch").mkdir(parents=True)
    (root / "_static").mkdir()
    (root / "_downloads").mkdir()
    page = "<html><body><h1>Homework</h1><p>Write f.</p>{}</body></html>"
    (root / "index.html").write_text(page.format(planted.get("index.html", "")))
    nb = new_notebook(cells=[new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()\n"
                                           + planted.get("ipynb", ""))])
    nbformat.write(nb, root / "_sources" / "chapters" / "ch" / "homework.ipynb")
    index = {"terms": {"homework": 0, "write": 0}, "titleterms": {}}
    if "term" in planted:
        index["terms"][planted["term"]] = [0]
    (root / "searchindex.js").write_text(f"Search.setIndex({json.dumps(index)})")
    (root / "objects.inv").write_bytes(_inventory("std:doc 0 index " + planted.get("inv", "")))
    (root / "_static" / "vendor.js").write_text("var _expected = 1;" + planted.get("js", ""))
    (root / "_downloads" / "script.py").write_text("x = 1\n" + planted.get("py", ""))
    return root


QUOTED_LINE = 'raise AssertionError("f(-1) should raise a \'ValueError\'")'
SECRETS = [Secret(SOLUTION_LINE, "solution", "hw, cell 1"),
           Secret(HIDDEN_LINE, "hidden test", "hw, cell 3"),
           Secret(QUOTED_LINE, "hidden test", "hw, cell 3")]
NAMES = {"_expected": "hw, cell 3"}


def test_a_clean_fake_build_has_no_leak(tmp_path):
    # _expected in the vendored script is not the book's (theme and MathJax code use such names)
    assert scan(_fake_build(tmp_path), SECRETS, NAMES) == []


@pytest.mark.parametrize("where, text, expected", [
    ("index.html", _pygments(SOLUTION_LINE), ("index.html", "solution")),
    ("index.html", _pygments(HIDDEN_LINE), ("index.html", "hidden test")),
    ("index.html", f"<p>{HIDDEN_LINE.replace(', ', ',<br/>   ')}</p>",
     ("index.html", "hidden test")),
    ("ipynb", SOLUTION_LINE.replace("offset", "offset2"), None),  # a near miss is no leak
    ("ipynb", 'assert x, "a \\"quoted\\" <b>" ' + HIDDEN_LINE,
     ("_sources/chapters/ch/homework.ipynb", "hidden test")),
    ("ipynb", "    " + SOLUTION_LINE, ("_sources/chapters/ch/homework.ipynb", "solution")),
    # JSON escapes the quotes: only the decoded notebook shows the line
    ("ipynb", QUOTED_LINE, ("_sources/chapters/ch/homework.ipynb", "hidden test")),
    ("index.html", f"<pre>{html.escape(QUOTED_LINE)}</pre>", ("index.html", "hidden test")),
    ("inv", SOLUTION_LINE, ("objects.inv", "solution")),
    ("js", HIDDEN_LINE, ("_static/vendor.js", "hidden test")),
    ("py", SOLUTION_LINE, ("_downloads/script.py", "solution")),
    ("index.html", "<p>Compare with <code>_expected</code>.</p>", ("index.html", "identifier")),
    ("term", "_expect", ("searchindex.js", "search term")),
    ("index.html", "<pre># ### BEGIN HIDDEN TESTS</pre>", ("index.html", "marker")),
])
def test_a_planted_secret_is_found(tmp_path, where, text, expected):
    leaks = scan(_fake_build(tmp_path, {where: text}), SECRETS, NAMES)
    found = {(leak.path, leak.kind) for leak in leaks}
    if expected is None:
        assert found == set()
    else:
        assert expected in found, leaks


def test_find_secrets_reads_html_and_plain_text():
    line = 'assert x < 2, "x & y"'
    assert find_secrets(f"<pre>{html.escape(line)}</pre>", [line]) == [line]
    assert find_secrets(f"<pre>{_spans(line)}</pre>", [line]) == [line]
    assert find_secrets(f"text\n  {line}\n", [line]) == [line]
    assert find_secrets("assert x < 3", [line]) == []


def test_scan_refuses_a_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="html_dir"):
        scan(tmp_path / "nope", SECRETS)


def test_the_command_line_exits_1_on_a_leak(tmp_path):
    book = _fake_book(tmp_path)
    clean = _fake_build(tmp_path / "clean")
    leaky = _fake_build(tmp_path / "leaky", {"index.html": _pygments(SOLUTION_LINE)})
    assert edition.main(["scan", str(clean), "--book", str(book)]) == 0
    assert edition.main(["scan", str(leaky), "--book", str(book)]) == 1
    assert edition.main(["scan", str(tmp_path / "none"), "--book", str(book)]) == 2


# ---------------------------------------------------------------------------- staging


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The real book staged as both editions (the student one runs nbgrader: ~15 s)."""
    tmp = tmp_path_factory.mktemp("editions")
    return {
        "student": stage(ROOT, tmp / "student", "student", execute="off"),
        "instructor": stage(ROOT, tmp / "instructor", "instructor"),
    }


def _graded_cells(nb):
    return [c for c in nb.cells
            if {"solution", "tests"} & set(c.metadata.get("tags", []))]


@pytest.mark.slow
@pytest.mark.parametrize("chapter", HOMEWORKS)
def test_the_student_edition_stages_the_release(staged, chapter):
    from coursekit.homework.nbgrader_course import CODE_STUB

    out = staged["student"]
    instructor = nbformat.read(ROOT / "chapters" / chapter / "homework.ipynb", as_version=4)
    released = nbformat.read(out / "chapters" / chapter / "homework.ipynb", as_version=4)
    text = (out / "chapters" / chapter / "homework.ipynb").read_text()
    assert not [m for m in SECRET_MARKERS if m in text]
    assert find_secrets(text, [s.text for s in secret_lines(ROOT)]) == []
    n_solutions = sum("solution" in c.metadata.get("tags", []) for c in instructor.cells)
    stubs = [c for c in released.cells if "solution" in c.metadata.get("tags", [])
             and all(line in c.source for line in CODE_STUB.splitlines())]
    assert len(stubs) == n_solutions > 0
    assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code")
    for cell in _graded_cells(released):  # shown on the page: stubs and visible tests
        assert not {"hide-input", "remove-input"} & set(cell.metadata.tags), cell.metadata.tags
    # the chapter's own notebook is copied byte for byte
    own = f"chapters/{chapter}/{chapter}.ipynb"
    if (ROOT / own).exists():
        assert (out / own).read_bytes() == (ROOT / own).read_bytes()


@pytest.mark.slow
def test_the_student_config_renders_and_never_runs_the_releases(staged):
    config = yaml.safe_load((staged["student"] / "_config.yml").read_text())
    original = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["execute"]["exclude_patterns"] == [
        f"chapters/{c}/homework.ipynb" for c in HOMEWORKS]
    assert config["title"] == original["title"]
    assert {k: v for k, v in config.items() if k not in ("execute",)} == {
        k: v for k, v in original.items() if k not in ("execute",)}
    assert not (staged["student"] / "README.md").exists()  # excluded by the config
    assert not list(staged["student"].rglob(".ipynb_checkpoints"))


@pytest.mark.slow
@pytest.mark.parametrize("chapter", HOMEWORKS)
def test_the_instructor_edition_shows_every_cell_of_the_instructor_notebook(staged, chapter):
    out = staged["instructor"]
    original = nbformat.read(ROOT / "chapters" / chapter / "homework.ipynb", as_version=4)
    shown = nbformat.read(out / "chapters" / chapter / "homework.ipynb", as_version=4)
    assert [c.source for c in shown.cells] == [c.source for c in original.cells]
    assert [c.get("outputs") for c in shown.cells] == [c.get("outputs") for c in original.cells]
    for cell in _graded_cells(shown):
        assert not {"hide-input", "remove-input"} & set(cell.metadata.tags)
    config = yaml.safe_load((out / "_config.yml").read_text())
    assert config["title"].endswith("(instructor edition)")
    assert config["execute"] == yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]


def test_stage_refuses_bad_arguments(tmp_path):
    book = _fake_book(tmp_path)
    with pytest.raises(ValueError, match="edition"):
        stage(book, tmp_path / "out", "teacher")
    with pytest.raises(ValueError, match="execute"):
        stage(book, tmp_path / "out", "student", execute="sometimes")
    with pytest.raises(ValueError, match="inside the book's chapters"):
        stage(book, book / "chapters" / "staged", "instructor")
    with pytest.raises(ValueError, match="overwrite the book"):
        stage(book, book, "instructor")
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(ValueError, match="not staged by coursekit.edition"):
        stage(book, other, "instructor")
    assert (other / "holiday.jpg").exists()  # nothing was deleted
    out = stage(book, tmp_path / "out", "instructor")
    assert stage(book, out, "instructor") == out  # an earlier staging is replaced


@pytest.mark.slow
def test_a_student_staging_that_would_leak_a_marker_fails_and_leaves_nothing(tmp_path):
    book = _fake_book(tmp_path)
    (book / "intro.md").write_text("# Intro\n\n    ### BEGIN HIDDEN TESTS\n")
    out = tmp_path / "student"
    with pytest.raises(RuntimeError, match="intro.md holds 'BEGIN HIDDEN TESTS'"):
        stage(book, out, "student")
    assert not out.exists()
    (book / "intro.md").write_text("# Intro\n")
    stage(book, out, "student")  # the fake homework is released: stub, no hidden test
    text = (out / "chapters" / "ch" / "homework.ipynb").read_text()
    assert find_secrets(text, [s.text for s in secret_lines(book)]) == []
    assert "NotImplementedError" in text and "visible tests passed" in text


# ---------------------------------------------------------------------------- the real build


def _require_build(folder: Path = HTML) -> Path:
    if not (folder / "index.html").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{folder} is missing: build the book first (make test builds it)")
        pytest.skip(f"{folder} is missing: build the student edition (make test-build)")
    return folder


@pytest.mark.build
def test_the_student_build_holds_no_secret():
    html = _require_build()
    secrets = secret_lines(ROOT)
    names = secret_identifiers(ROOT)
    assert secrets and names
    leaks = scan(html, secrets, names)
    assert leaks == [], "\n".join(map(str, leaks[:20]))


@pytest.mark.build
@pytest.mark.parametrize("chapter", HOMEWORKS)
def test_each_homework_page_serves_the_release(chapter):
    from coursekit.homework.nbgrader_course import CODE_STUB

    html = _require_build()
    page = (html / "chapters" / chapter / "homework.html").read_text()
    source = f"_sources/chapters/{chapter}/homework.ipynb"
    assert f'href="../../{source}"' in page, "the download button does not serve the notebook"
    served = nbformat.read(html / source, as_version=4)
    assert any(all(line in c.source for line in CODE_STUB.splitlines()) for c in served.cells)
    assert not find_secrets(json.dumps(served), [s.text for s in secret_lines(ROOT)])
    # the page shows the stubs and the first line of every test cell
    assert find_secrets(page, [CODE_STUB.splitlines()[0]])
    for cell in served.cells:
        if "tests" in cell.metadata.get("tags", []):
            first = cell.source.strip().splitlines()[0]
            assert find_secrets(page, [first]), f"{chapter}: the page lacks {first!r}"


@pytest.mark.build
def test_a_secret_planted_in_a_copy_of_real_pages_is_found(tmp_path):
    html = _require_build()
    chapter = HOMEWORKS[0]
    secrets = [s for s in secret_lines(ROOT) if f"chapters/{chapter}/" in s.where]
    names = secret_identifiers(ROOT)
    solution = next(s for s in secrets if s.kind == "solution")
    hidden = next(s for s in secrets if s.kind == "hidden test")
    copy = tmp_path / "html"
    for rel in (f"chapters/{chapter}/homework.html", f"_sources/chapters/{chapter}/homework.ipynb",
                "searchindex.js"):
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(html / rel, copy / rel)
    assert scan(copy, secrets, names) == []
    # into the page: right after the stub, as Sphinx would render one more line of code
    page = copy / f"chapters/{chapter}/homework.html"
    text = page.read_text()
    stub = '<span class="ne">NotImplementedError</span><span class="p">()</span>'
    assert stub in text
    page.write_text(text.replace(stub, stub + "\n    " + _spans(solution.text), 1))
    # into the downloaded notebook
    nb_path = copy / f"_sources/chapters/{chapter}/homework.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if "tests" in c.metadata.get("tags", []))
    cell.source += "\n" + hidden.text
    nbformat.write(nb, nb_path)
    # into the search index: the stem of a name used only in hidden tests
    name = next(iter(names))
    index_path = copy / "searchindex.js"
    index = edition._search_index(index_path.read_text())
    index["terms"][edition._stem(name)] = 0
    index_path.write_text(f"Search.setIndex({json.dumps(index)})")
    found = {(leak.path, leak.kind, leak.text) for leak in scan(copy, secrets, names)}
    assert (f"chapters/{chapter}/homework.html", "solution", solution.text) in found
    assert (f"_sources/chapters/{chapter}/homework.ipynb", "hidden test", hidden.text) in found
    assert ("searchindex.js", "search term", name) in found


@pytest.mark.build
@pytest.mark.slow
def test_the_instructor_edition_builds_and_shows_every_secret(tmp_path):
    """Positive control on a real build: rendered (execution off), every secret line is found."""
    _require_build()  # after the student build, as in make test
    src = stage(ROOT, tmp_path / "src", "instructor", execute="off")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src),
         "--path-output", str(tmp_path), "--all", "-W", "-n", "--keep-going"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = tmp_path / "_build" / "html"
    secrets = secret_lines(ROOT)
    leaks = scan(out, secrets, secret_identifiers(ROOT))
    for chapter in HOMEWORKS:
        page = f"chapters/{chapter}/homework.html"
        on_page = {leak.text for leak in leaks if leak.path == page}
        expected = {s.text for s in secrets if f"chapters/{chapter}/" in s.where}
        assert expected <= on_page, sorted(expected - on_page)[:5]
    kinds = {leak.kind for leak in leaks}
    assert kinds >= {"solution", "hidden test", "marker", "identifier", "search term"}, kinds


def test_a_line_inside_a_public_line_is_not_secret():
    """The scan matches substrings: a continuation line found inside a chapter's line is public."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "check(x)\n### BEGIN HIDDEN TESTS\n"
        "assert_allclose(y, z,\n                rtol=1e-8, atol=1e-12)\n"
        "assert_allclose(hidden_value, 3.25)\n### END HIDDEN TESTS")
    cell.metadata["tags"] = ["tests"]
    nb.cells.append(cell)
    public = ["assert_allclose(wood @ X.T, inv_n, rtol=1e-8, atol=1e-12)"]
    texts = [s.text for s in edition.notebook_secrets(nb, public=public)]
    assert texts == ["assert_allclose(y, z,", "assert_allclose(hidden_value, 3.25)"]
