"""Tests of the homework pipeline (coursekit.homework) and of the first homework (svd).

The release and one grading run over several simulated students are shared by the tests
(module-scoped fixtures): the whole file takes well under two minutes on 2 cores.
"""

from __future__ import annotations

import copy
import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from homework_helpers import fill_answers, grade_id
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.homework import CSV_COLUMNS, author, author_notebook, grade
from coursekit.homework.__main__ import main
from coursekit.homework.authoring import hidden_test_regions, solution_regions

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "svd"
SOURCE = ROOT / "chapters" / CHAPTER / "homework.ipynb"
QUESTIONS = ["power_iteration", "rank_k", "sherman_morrison", "pca"]
TIMEOUT = 5  # seconds per cell in the grading run below


_gid = grade_id


def _source_nb():
    return nbformat.read(SOURCE, as_version=4)


def _region_lines(nb, regions):
    lines = []
    for index, cell in enumerate(nb.cells):
        for region in regions(cell.source, f"cell {index}"):
            lines += [line.strip() for line in region if line.strip()]
    return lines


# --------------------------------------------------------------------------- submissions
WRONG_POWER = '''
def top_singular_pair(A, tol=1e-10, max_iter=10_000, seed=0):
    A = np.asarray(A, dtype=float)
    rng = np.random.default_rng(seed)

    def power(B):
        v = rng.standard_normal(B.shape[1])
        for _ in range(500):
            w = B.T @ (B @ v)
            v = w / np.linalg.norm(w)
        return v

    v1 = power(A)
    v2 = power(A - np.outer(A @ v1, v1))  # deflated once too often: the second pair
    u = A @ v2
    return float(np.linalg.norm(u)), u / np.linalg.norm(u), v2
'''
OFF_BY_ONE_RANK = '''
def rank_k_approx(A, k):
    A = np.asarray(A, dtype=float)
    if not 0 <= k <= min(A.shape):
        raise ValueError("bad k")
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    A_k = (U[:, :k + 1] * s[:k + 1]) @ Vt[:k + 1]  # keeps k + 1 terms
    return A_k, float(np.sqrt(np.sum(s[k + 1:] ** 2)))
'''
NO_SINGULAR_CHECK = '''
def sherman_morrison(A_inv, u, v, tol=1e-12):
    A_inv = np.asarray(A_inv, dtype=float)
    w = A_inv @ u
    return A_inv - np.outer(w, v @ A_inv) / (1.0 + v @ w)  # never raises ValueError
'''
INFINITE_LOOP_RANK = '''
def rank_k_approx(A, k):
    while True:
        pass
'''


def _filled(release_nb, source_nb, answers=None):
    return fill_answers(release_nb, source_nb, CHAPTER, answers)


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    proc = subprocess.run(
        [sys.executable, "-m", "coursekit.homework", "release", "--out", str(out),
         "--chapter", CHAPTER],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{CHAPTER}: " in proc.stdout
    return out


@pytest.fixture(scope="module")
def release_nb(release_dir):
    return nbformat.read(release_dir / CHAPTER / "homework.ipynb", as_version=4)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, release_nb):
    """One grading run over eleven simulated students; returns (report, stderr, folder)."""
    source = _source_nb()
    base = tmp_path_factory.mktemp("grading")
    subs = base / "submissions"

    def submit(student, nb):
        path = subs / student / CHAPTER / "homework.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)

    submit("instructor", source)
    submit("perfect", _filled(release_nb, source))
    submit("stub", release_nb)
    submit("wrong", _filled(release_nb, source, {
        "power_iteration": WRONG_POWER,
        "rank_k": OFF_BY_ONE_RANK,
        "sherman_morrison": NO_SINGULAR_CHECK,
    }))
    loop = _filled(release_nb, source, {"rank_k": INFINITE_LOOP_RANK})
    index = [_gid(c) for c in loop.cells].index(f"{CHAPTER}-rank_k-solution")
    assert _gid(loop.cells[index + 1]) is None  # the example cell that calls rank_k_approx
    del loop.cells[index + 1]  # so that only the test cell hits the loop
    submit("loop", loop)
    # Tampering: stub answers except pca; test cells edited, re-pointed and deleted.
    tamper = _filled(release_nb, source, {q: None for q in QUESTIONS[:3]})
    cells = {_gid(c): c for c in tamper.cells}
    cells[f"{CHAPTER}-power_iteration-tests"].source = 'print("visible tests passed")'
    cells[f"{CHAPTER}-power_iteration-tests"].metadata.nbgrader["points"] = 100
    cells[f"{CHAPTER}-rank_k-tests"].source = "pass"
    del cells[f"{CHAPTER}-rank_k-tests"].metadata["nbgrader"]
    tamper.cells.remove(cells[f"{CHAPTER}-pca-tests"])  # its answer is right, but no test ran
    cells[f"{CHAPTER}-sherman_morrison-tests"].source = "pass"  # edited, points kept
    submit("tamper", tamper)
    # A copy of a test cell above the answer, a sandbox that dies, an odd folder name.
    dup = _filled(release_nb, source)
    index = [_gid(c) for c in dup.cells].index(f"{CHAPTER}-rank_k-tests")
    dup.cells.insert(index - 2, copy.deepcopy(dup.cells[index]))
    dup.cells[index - 2].id = "copied-test-cell"
    submit("dup", dup)
    submit("dies", _filled(release_nb, source, {"rank_k": "import os\nos._exit(1)"}))
    submit("bad[id]", _filled(release_nb, source))
    (subs / "missing").mkdir()
    bad = subs / "unreadable" / CHAPTER / "homework.ipynb"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"cells": [ this is not JSON', encoding="utf-8")

    log = io.StringIO()
    start = time.perf_counter()
    report = grade(subs, base / "grades.csv", book=ROOT, timeout=TIMEOUT, log=log)
    elapsed = time.perf_counter() - start
    print(f"\ngraded {len(report.seconds)} submissions in {elapsed:.1f} s; per submission: "
          + ", ".join(f"{s}: {t:.1f} s" for (s, _), t in sorted(report.seconds.items())))
    return report, log.getvalue(), base


def _scores(report, student):
    return {q: r.score for q, r in report.by_question(student, CHAPTER).items()}


def _statuses(report, student):
    return {q: r.status for q, r in report.by_question(student, CHAPTER).items()}


# --------------------------------------------------------------------------- the homework
def test_homework_notebook_is_authored_executed_and_complete():
    nb = _source_nb()
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert author(SOURCE, write=False).changed is False, "run: python -m coursekit.homework author"
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [_gid(c) for c in tests] == [f"{CHAPTER}-{q}-tests" for q in QUESTIONS]
    for cell in tests:
        (hidden,) = hidden_test_regions(cell.source)
        assert any(line.strip() for line in hidden), _gid(cell)
        assert "assert" in cell.source.split("### BEGIN HIDDEN TESTS")[0], _gid(cell)
        texts = [o.get("text", "") for o in cell.outputs if o.output_type == "stream"]
        assert texts and texts[0].endswith("visible tests passed\n"), _gid(cell)
        assert "remove-input" in cell.metadata["tags"], "the book must not show hidden tests"
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert "hide-input" in cell.metadata["tags"]
            assert solution_regions(cell.source)
        if cell.cell_type == "code":
            assert cell.execution_count is not None, "store the notebook executed"
            assert not [o for o in cell.outputs if o.output_type == "error"]


# --------------------------------------------------------------------------- release
def test_release_holds_only_the_student_notebook_and_readme(release_dir):
    files = sorted(str(p.relative_to(release_dir)) for p in release_dir.rglob("*") if p.is_file())
    assert files == [f"{CHAPTER}/README.txt", f"{CHAPTER}/homework.ipynb"]


def test_release_contains_no_solution_and_no_hidden_test(release_dir, release_nb):
    source = _source_nb()
    secret = _region_lines(source, solution_regions) + _region_lines(source, hidden_test_regions)
    # Not secret (coursekit.edition's rule): a line that also stands outside every region of the
    # source, or a trivial one (fewer than 12 characters, such as ``)``).
    from coursekit.edition import notebook_secrets

    keep = {s.text for s in notebook_secrets(source)}
    secret = [line for line in secret if " ".join(line.split()) in keep]
    assert len(secret) > 40
    released = "\n".join(c.source for c in release_nb.cells)
    released += "\n" + (release_dir / CHAPTER / "README.txt").read_text()
    released_lines = {line.strip() for line in released.split("\n")}
    leaked = [line for line in secret
              if line in released_lines or (len(line) > 25 and line in released)]
    assert not leaked
    raw = (release_dir / CHAPTER / "homework.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in raw
    for cell in release_nb.cells:
        assert "hide-input" not in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    code = [c.source for c in release_nb.cells if c.cell_type == "code"]
    stubs = [source for source in code if "raise NotImplementedError()" in source]
    assert len(stubs) == 4


# --------------------------------------------------------------------------- grading
def test_instructor_and_perfect_submissions_get_full_marks(graded):
    report, _, _ = graded
    for student in ("instructor", "perfect"):
        assert _statuses(report, student) == {q: "passed" for q in QUESTIONS}
        assert report.total(student, CHAPTER) == 10


def test_stub_release_scores_zero_without_crashing(graded):
    report, _, base = graded
    assert _scores(report, "stub") == {q: 0 for q in QUESTIONS}
    assert set(_statuses(report, "stub").values()) == {"failed"}
    text = (base / "feedback" / "stub" / f"{CHAPTER}.md").read_text()
    assert "not answered yet" in text


def test_wrong_answers_fail_exactly_their_questions(graded):
    report, _, base = graded
    assert _scores(report, "wrong") == {
        "power_iteration": 0, "rank_k": 0, "sherman_morrison": 0, "pca": 3,
    }
    results = report.by_question("wrong", CHAPTER)
    assert results["power_iteration"].status == "failed"
    assert "not the largest one" in results["power_iteration"].message
    assert results["rank_k"].status == "failed"
    assert "rank k = 2, got 3" in results["rank_k"].message
    # passes the visible tests, fails a hidden one: said so, without the hidden test
    assert results["sherman_morrison"].status == "failed_hidden"
    text = (base / "feedback" / "wrong" / f"{CHAPTER}.md").read_text()
    assert "hidden test" in text and "Score: 3 / 10" in text
    assert "ACTUAL" not in text and "DESIRED" not in text  # numpy's arrays are not shown


def test_feedback_never_reveals_hidden_tests(graded):
    _, _, base = graded
    hidden = [line for line in _region_lines(_source_nb(), hidden_test_regions) if len(line) > 12]
    files = list((base / "feedback").rglob("*.md"))
    assert len(files) == 11
    for path in files:
        text = path.read_text()
        assert "HIDDEN TESTS" not in text
        assert not [line for line in hidden if line in text], path


def test_infinite_loop_costs_only_its_question(graded):
    report, _, _ = graded
    assert _statuses(report, "loop") == {
        "power_iteration": "passed", "rank_k": "timeout",
        "sherman_morrison": "passed", "pca": "passed",
    }
    assert f"{TIMEOUT} s" in report.by_question("loop", CHAPTER)["rank_k"].message
    assert report.total("loop", CHAPTER) == 8


def test_edited_or_deleted_test_cells_gain_nothing_and_are_reported(graded):
    report, stderr, base = graded
    results = report.by_question("tamper", CHAPTER)
    assert report.total("tamper", CHAPTER) == 0
    # raised points, removed metadata, a deleted test cell: set aside for review, 0 points
    for question in ("power_iteration", "rank_k", "pca"):
        assert results[question].status == "integrity", question
        assert f"tamper/{CHAPTER}: {question}: integrity: graded cell" in stderr
    assert results["power_iteration"].max_score == 3  # the release's points, not the student's
    # an edited test cell (points kept) is restored: the stub fails the original tests
    assert results["sherman_morrison"].status == "failed"
    with open(base / "grades-review.csv", newline="") as handle:
        review = [r for r in csv.DictReader(handle) if r["student"] == "tamper"]
    assert {(r["question"], r["status"]) for r in review} == {
        (q, "integrity") for q in ("power_iteration", "rank_k", "pca")}
    assert any("svd-pca-tests is missing" in r["reason"] for r in review)
    assert "review" in (base / "feedback" / "tamper" / f"{CHAPTER}.md").read_text()


def test_missing_and_unreadable_notebooks_are_reported_and_others_graded(graded):
    report, stderr, base = graded
    assert set(_statuses(report, "missing").values()) == {"missing_notebook"}
    assert set(_statuses(report, "unreadable").values()) == {"unreadable_notebook"}
    assert f"missing/{CHAPTER}: missing notebook" in stderr
    assert f"unreadable/{CHAPTER}: unreadable notebook" in stderr
    assert report.total("perfect", CHAPTER) == 10
    with open(base / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == CSV_COLUMNS
    assert len(rows) == 11 * len(QUESTIONS)
    assert {r["status"] for r in rows if r["student"] == "missing"} == {"missing_notebook"}
    assert (base / "feedback" / "missing" / f"{CHAPTER}.md").exists()


def test_copied_test_cell_dead_sandbox_and_odd_id_affect_only_that_question(graded):
    report, stderr, _ = graded
    assert _statuses(report, "dup")["rank_k"] == "integrity"  # a graded cell twice
    assert report.total("dup", CHAPTER) == 8
    # os._exit in an answer cell: set aside (tests/test_grader_attacks.py checks that a sandbox
    # that dies costs only its question even when the static scan is off)
    assert _statuses(report, "dies")["rank_k"] == "integrity"
    assert report.total("dies", CHAPTER) == 8
    assert report.total("bad[id]", CHAPTER) == 10
    assert report.total("perfect", CHAPTER) == 10


def test_grading_one_submission_takes_seconds(tmp_path, release_nb):
    """The command line end to end on one submission; prints the measured time."""
    path = tmp_path / "subs" / "alice" / CHAPTER / "homework.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(_filled(release_nb, _source_nb()), path)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "coursekit.homework", "grade", str(tmp_path / "subs"),
         "--out", str(tmp_path / "grades.csv"), "--feedback", str(tmp_path / "fb")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    elapsed = time.perf_counter() - start
    print(f"\ngrading one submission with the CLI took {elapsed:.1f} s")
    assert proc.returncode == 0, proc.stderr
    assert f"alice/{CHAPTER}: 10 / 10" in proc.stdout
    assert (tmp_path / "fb" / "alice" / f"{CHAPTER}.md").exists()


def test_grade_timing_per_submission(graded):
    report, _, _ = graded
    seconds = report.seconds[("perfect", CHAPTER)]
    print(f"\ngrading one submission took {seconds:.1f} s")  # measured, not asserted
    assert seconds > 0


# --------------------------------------------------------------------------- CLI errors
def _cli_error(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


def test_cli_rejects_bad_arguments(tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert "is a file" in _cli_error(capsys, ["release", "--out", str(a_file), "--book", str(ROOT)])
    err = _cli_error(capsys, ["release", "--out", str(tmp_path / "r"), "--book", str(ROOT),
                              "--chapter", "nope"])
    assert "nope" in err
    err = _cli_error(capsys, ["release", "--out", str(ROOT / "chapters"), "--book", str(ROOT)])
    assert "inside the book" in err
    (tmp_path / "subs" / "bob").mkdir(parents=True)
    err = _cli_error(capsys, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path)])
    assert "is a folder" in err
    err = _cli_error(capsys, ["grade", str(tmp_path / "nowhere"), "--out", str(a_file)])
    assert "not a folder" in err
    err = _cli_error(capsys, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv"),
                              "--timeout", "0", "--book", str(ROOT)])
    assert "timeout" in err


def test_release_refuses_to_overwrite_foreign_folders(tmp_path, capsys):
    (tmp_path / CHAPTER).mkdir()
    (tmp_path / CHAPTER / "mine.txt").write_text("not a release")
    err = _cli_error(capsys, ["release", "--out", str(tmp_path), "--book", str(ROOT)])
    assert "not an earlier release" in err


# --------------------------------------------------------------------------- authoring
def _toy(*cells):
    return new_notebook(cells=list(cells))


def _code(source, *tags):
    return new_code_cell(source, metadata={"tags": list(tags)})


GOOD = [
    new_markdown_cell("Question one", metadata={"tags": ["locked"]}),
    _code("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
          "solution", "q=one"),
    _code("assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f() + 1 == 2\n### END HIDDEN TESTS",
          "tests", "q=one", "points=2"),
    _code("print('free cell')"),
]


def test_author_writes_nbgrader_metadata_idempotently(tmp_path, capsys):
    path = tmp_path / "toy" / "homework.ipynb"
    path.parent.mkdir()
    nbformat.write(_toy(*copy.deepcopy(GOOD)), path)
    first = author(path)
    assert first.changed and first.questions == {"one": 2.0}
    after_first = path.read_bytes()
    assert author(path).changed is False
    assert path.read_bytes() == after_first
    assert main(["author", str(path)]) == 0
    assert "1 questions, 2 points, metadata unchanged" in capsys.readouterr().out
    nb = nbformat.read(path, as_version=4)
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    assert meta[0] == {"grade": False, "grade_id": "toy-one-locked-1", "locked": True,
                       "schema_version": 3, "solution": False, "task": False}
    assert meta[1]["grade_id"] == "toy-one-solution" and meta[1]["solution"] is True
    assert meta[2] == {"grade": True, "grade_id": "toy-one-tests", "locked": True, "points": 2,
                       "schema_version": 3, "solution": False, "task": False}
    assert meta[3] is None
    assert "hide-input" in nb.cells[1].metadata["tags"]
    # removing a tag removes the metadata; --check notices, without writing
    nb.cells[0].metadata["tags"] = []
    nbformat.write(nb, path)
    assert main(["author", "--check", str(path)]) == 1
    assert "OUT OF DATE" in capsys.readouterr().out
    assert author_notebook(nb, "toy").changed and "nbgrader" not in nb.cells[0].metadata


@pytest.mark.parametrize(
    "cells, message",
    [
        ([_code("assert True", "tests", "q=one")], "points"),
        ([_code("x = 1", "solution", "q=one"), _code("x = 2", "solution", "q=one")], "duplicate"),
        ([_code("assert True", "tests", "points=1")], "q=NAME"),
        ([_code("assert True", "tests", "q=one", "points=zero")], "points"),
        ([_code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")], "not tagged 'solution'"),
        ([_code("### BEGIN HIDDEN TESTS\nassert 1", "tests", "q=a", "points=1")], "without"),
        ([_code("x = 1", "solution", "tests", "q=a", "points=1")], "a cell is one of"),
        ([new_markdown_cell("text", metadata={"tags": ["solution", "q=a"]})], "only code cells"),
    ],
)
def test_author_rejects_bad_tags(cells, message):
    with pytest.raises(ValueError, match=message):
        author_notebook(_toy(*cells), "toy")


def test_author_rejects_bad_paths_and_chapters(tmp_path):
    with pytest.raises(ValueError, match="notebook="):
        author(tmp_path / "missing.ipynb")
    with pytest.raises(ValueError, match="chapter="):
        author_notebook(_toy(), "bad name")


def test_run_all_on_the_release_reaches_every_test_cell(release_dir, release_nb):
    """A student's "Run All" goes past unanswered questions: every test cell runs and reports."""
    import nbclient

    nb = copy.deepcopy(release_nb)
    assert all("raises-exception" in c.metadata.get("tags", [])
               for c in nb.cells if c.cell_type == "code")
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(release_dir / CHAPTER)}}).execute()
    tests = [c for c in nb.cells if (_gid(c) or "").endswith("-tests")]
    assert len(tests) == len(QUESTIONS)
    for cell in tests:  # the stubs are unanswered: each test cell says so
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert [e.ename for e in errors] == ["NotImplementedError"], _gid(cell)
