"""tools/bookrun.py: the notebook cache of ``make book`` and the pages written from measurements.

The cache key must change with everything that can change a notebook's outputs (its code, its
tags, the coursekit sources it imports, the run mode) and with nothing else (prose, modules it
never imports), so that editing one chapter re-executes that chapter only.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import bookrun  # noqa: E402


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for kind, source, *tags in cells:
        cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(
            source)
        if tags:
            cell.metadata["tags"] = list(tags)
        nb.cells.append(cell)
    return nb


@pytest.fixture
def package(tmp_path):
    """A small fake ``coursekit`` with known imports between its modules."""
    pkg = tmp_path / "coursekit"
    files = {
        "__init__.py": "from coursekit.runtime import seed\n",
        "runtime.py": "def seed(): pass\n",
        "a.py": "from coursekit.b import g\n\ndef f(): return g()\n",
        "b.py": "def g(): return 1\n",
        "c.py": "def h(): return 2\n",
        "lazy.py": "def k():\n    from coursekit import c\n    return c.h()\n",
        "sub/__init__.py": "from .x import y\n",
        "sub/x.py": "from ..b import g\n\ndef y(): return g()\n",
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    (tmp_path / "requirements.txt").write_text("numpy\n")
    return pkg


def _deps(nb, package):
    return {p.relative_to(package).as_posix() for p in bookrun.dependencies(nb, package)}


def test_dependencies_follow_the_package_imports(package):
    assert _deps(_nb(("code", "from coursekit import a")), package) == {
        "__init__.py", "runtime.py", "a.py", "b.py"}
    # a function-level import counts; so does an attribute chain on an alias
    assert "c.py" in _deps(_nb(("code", "import coursekit as ck\nck.lazy.k()")), package)
    # relative imports inside a subpackage
    assert _deps(_nb(("code", "from coursekit.sub import y")), package) == {
        "__init__.py", "runtime.py", "sub/__init__.py", "sub/x.py", "b.py"}
    # a notebook using no submodule depends on the package's __init__ and what it imports
    assert _deps(_nb(("code", "import coursekit\ncoursekit.seed()")), package) == {
        "__init__.py", "runtime.py"}


def test_the_key_changes_with_code_tags_imports_and_mode_only(package, tmp_path):
    def key(nb, environ=None):
        return bookrun.notebook_key(nb, package, tmp_path, environ or {})

    base = _nb(("markdown", "# Title"), ("code", "from coursekit import a\nprint(a.f())"))
    k = key(base)
    assert key(base) == k  # deterministic
    prose = _nb(("markdown", "# Another title, more prose"),
                ("code", "from coursekit import a\nprint(a.f())"))
    assert key(prose) == k
    assert key(_nb(("markdown", "# Title"), ("code", "from coursekit import a\nprint(2)"))) != k
    tagged = _nb(("markdown", "# Title"),
                 ("code", "from coursekit import a\nprint(a.f())", "raises-exception"))
    assert key(tagged) != k
    assert key(base, {"COURSEKIT_FULL": "1"}) != k
    assert key(base, {"COURSEKIT_DEVICE": "cuda"}) != k
    (package / "c.py").write_text("def h(): return 3\n")  # never imported by the notebook
    assert key(base) == k
    (package / "b.py").write_text("def g(): return 5\n")  # imported through a.py
    assert key(base) != k
    k2 = key(base)
    (tmp_path / "requirements.txt").write_text("numpy==2\n")
    assert key(base) != k2


def _staged(tmp_path, notebooks, exclude=()):
    staged = tmp_path / "staged"
    (staged / "chapters").mkdir(parents=True)
    (staged / "_config.yml").write_text(
        "execute:\n  exclude_patterns: [" + ", ".join(exclude) + "]\n")
    (staged / "_toc.yml").write_text("\n".join(f"- file: {n}" for n in notebooks) + "\n")
    return staged


def test_execute_runs_once_then_reuses_the_cache(tmp_path):
    staged = _staged(tmp_path, ["chapters/one/one", "chapters/one/homework"],
                     exclude=["chapters/one/homework.ipynb"])
    (staged / "chapters" / "one").mkdir()
    counter = tmp_path / "runs.txt"
    code = textwrap.dedent(f"""\
        from pathlib import Path
        p = Path({str(counter)!r})
        p.write_text(p.read_text() + "x" if p.exists() else "x")
        print(len(p.read_text()))""")
    nbformat.write(_nb(("markdown", "# One"), ("code", code)), staged / "chapters/one/one.ipynb")
    nbformat.write(_nb(("code", "raise NotImplementedError")),
                   staged / "chapters/one/homework.ipynb")  # excluded: never run
    cache, runs = tmp_path / "cache", tmp_path / "runs.json"

    first = bookrun.execute(staged, cache, runs)
    assert list(first["notebooks"]) == ["chapters/one/one.ipynb"]
    assert first["notebooks"]["chapters/one/one.ipynb"]["cached"] is False
    out = nbformat.read(staged / "chapters/one/one.ipynb", as_version=4).cells[1].outputs
    assert out[0]["text"].strip() == "1"

    # a fresh staging with only prose changed: not run again, same outputs copied in
    nbformat.write(_nb(("markdown", "# One, reworded"), ("code", code)),
                   staged / "chapters/one/one.ipynb")
    second = bookrun.execute(staged, cache, runs)
    assert second["notebooks"]["chapters/one/one.ipynb"]["cached"] is True
    assert counter.read_text() == "x"
    nb = nbformat.read(staged / "chapters/one/one.ipynb", as_version=4)
    assert nb.cells[0].source == "# One, reworded"
    assert nb.cells[1].outputs[0]["text"].strip() == "1"
    assert json.loads(runs.read_text())["notebooks"]["chapters/one/one.ipynb"]["cached"]

    # changed code: run again
    nbformat.write(_nb(("markdown", "# One"), ("code", code + "\nprint('more')")),
                   staged / "chapters/one/one.ipynb")
    third = bookrun.execute(staged, cache, runs)
    assert third["notebooks"]["chapters/one/one.ipynb"]["cached"] is False
    assert counter.read_text() == "xx"


def _record(**seconds):
    m = {"cpu": "Test CPU 3000", "cores": 2, "python": "3.11", "torch": "2.x", "mode": "default"}
    return {"source": "a test", "machine": m, "notebooks": {
        f"chapters/{k}/{k}.ipynb": {"seconds": v, "machine": m, "measured": "2026-01-01 00:00 UTC"}
        for k, v in seconds.items()}}


def test_pages_fill_the_tables_and_badge_every_chapter(tmp_path):
    staged = _staged(tmp_path, ["chapters/aa/aa", "chapters/bb/bb", "chapters/aa/homework"])
    for ch in ("aa", "bb"):
        (staged / "chapters" / ch).mkdir()
        nbformat.write(_nb(("markdown", f"# Chapter {ch}\n\nIntro."), ("code", "1")),
                       staged / f"chapters/{ch}/{ch}.ipynb")
    nbformat.write(_nb(("markdown", "# Homework")), staged / "chapters/aa/homework.ipynb")
    (staged / "runs.md").write_text(f"# Runs\n\n{bookrun.RUNS_MARKER}\n")
    (staged / "performance.md").write_text(f"# Perf\n\n{bookrun.BENCH_MARKER}\n")
    gpu = tmp_path / "gpu.json"
    gpu.write_text(json.dumps({"machine": {"gpu": "Test GPU", "cpu": "x", "cores": 16},
                               "jobs": 3, "runs": [{"notebook": "chapters/aa/aa.ipynb",
                                                    "seconds": 71.2, "error": None}]}))
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "ot.json").write_text(json.dumps({
        "script": "bench/ot.py", "what": "Sinkhorn against POT", "command": "python bench/ot.py",
        "when": "2026-01-01 00:00 UTC", "machine": {"cpu": "Bench CPU", "cores": 2},
        "returncode": 0, "output": "ratio vs POT: 0.08\n"}))

    bookrun.pages(staged, _record(aa=12.4, bb=40.0), gpu, bench)

    runs = (staged / "runs.md").read_text()
    assert bookrun.RUNS_MARKER not in runs
    assert "{doc}`/chapters/aa/aa` | 12 s" in runs and "{doc}`/chapters/bb/bb` | 40 s" in runs
    assert "| 71 s |" in runs and "not recorded" in runs  # bb has no GPU run
    assert "Test CPU 3000" in runs and "Test GPU" in runs and "**52 s**" in runs
    assert runs.index("chapters/aa/aa") < runs.index("chapters/bb/bb")  # book order
    assert "3 notebooks at a time" in runs
    assert "load average" not in runs  # no load was recorded for these runs
    perf = (staged / "performance.md").read_text()
    assert "ratio vs POT: 0.08" in perf and "Bench CPU" in perf and "bench/ot.py" in perf
    aa = nbformat.read(staged / "chapters/aa/aa.ipynb", as_version=4).cells[0].source
    assert aa.splitlines()[0] == "# Chapter aa"
    assert "Runs in about 12 s in default mode" in aa and "71 s in full mode on Test GPU" in aa
    assert "(../../runs.md)" in aa
    bb = nbformat.read(staged / "chapters/bb/bb.ipynb", as_version=4).cells[0].source
    assert "Runs in about 40 s" in bb and "full mode" not in bb
    hw = nbformat.read(staged / "chapters/aa/homework.ipynb", as_version=4).cells[0].source
    assert hw == "# Homework"  # homework pages carry no badge


def test_pages_say_so_when_nothing_was_measured(tmp_path):
    staged = _staged(tmp_path, [])
    (staged / "runs.md").write_text(f"{bookrun.RUNS_MARKER}\n")
    (staged / "performance.md").write_text(f"{bookrun.BENCH_MARKER}\n")
    bookrun.pages(staged, {"source": "x", "machine": {}, "notebooks": {}}, None, None)
    assert "no time was measured" in (staged / "runs.md").read_text()
    assert "run `make bench`" in (staged / "performance.md").read_text()
    (staged / "runs.md").write_text("no marker\n")
    with pytest.raises(ValueError, match="coursekit:runs"):
        bookrun.pages(staged, _record(), None, None)


def test_times_from_nbval_junit_are_summed_per_notebook(tmp_path):
    junit = tmp_path / "nbval.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="chapters.aa.aa.ipynb" name="Cell 0" time="1.25" />'
        '<testcase classname="chapters.aa.aa.ipynb" name="Cell 1" time="2.5" />'
        '<testcase classname="chapters.bb.homework.ipynb" name="Cell 0" time="0.5" />'
        '<testcase classname="tests.test_x" name="test_y" time="9" />'
        '</testsuite></testsuites>')
    record = bookrun.runs_from_junit(junit)
    assert record["notebooks"].keys() == {"chapters/aa/aa.ipynb", "chapters/bb/homework.ipynb"}
    assert record["notebooks"]["chapters/aa/aa.ipynb"]["seconds"] == pytest.approx(3.8, abs=0.06)


def test_the_book_lists_both_generated_pages():
    toc = (ROOT / "_toc.yml").read_text()
    assert "file: runs" in toc and "file: performance" in toc
    assert bookrun.RUNS_MARKER in (ROOT / "runs.md").read_text()
    assert bookrun.BENCH_MARKER in (ROOT / "performance.md").read_text()
