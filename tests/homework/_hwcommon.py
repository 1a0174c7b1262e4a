"""The tests every chapter's homework gets, built from a short description of the chapter.

A chapter file ``tests/homework/<chapter>.py`` states its questions and points, which questions
need thought (no formula printed), the bans (``forbid=`` tags) of each solution cell, and
wrong-but-plausible answers with the status each must get; then it calls
:func:`chapter_tests` and puts the returned fixtures and tests in its namespace. One release and
ONE grading run per chapter are shared by the tests (module-scoped fixtures).
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import nbformat
import pytest
from homework_helpers import fill_answers, grade_id

from coursekit.homework import author, grade, release
from coursekit.homework.authoring import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    hidden_test_regions,
    solution_regions,
    strip_hidden_tests,
)

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20  # seconds per cell in the grading run


def source_nb(chapter):
    return nbformat.read(ROOT / "chapters" / chapter / "homework.ipynb", as_version=4)


def _outside_regions(source):
    """The stripped lines of ``source`` outside solution and hidden-test regions."""
    inside = False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line or BEGIN_HIDDEN in line:
            inside = True
        elif END_SOLUTION in line or END_HIDDEN in line:
            inside = False
        elif not inside:
            yield line.strip()


def chapter_tests(chapter, questions, thought, forbid, wrong, forbidden):
    """Fixtures and tests for one chapter's homework.

    Parameters
    ----------
    chapter : str
    questions : dict of str to int
        Points of each question, in notebook order.
    thought : set of str
        The questions that need thought (no formula printed): at least half of the points.
    forbid : dict of str to set of str
        For each question, dotted names its solution cell must ban with ``forbid=`` tags.
    wrong : dict
        ``student -> question -> (answer, statuses, message)``: ``statuses`` a tuple of the
        accepted statuses, ``message`` a part of the expected message (visible failures).
    forbidden : dict
        ``student -> question -> answer``: a correct answer that calls a banned function (under
        an alias); it must get the status ``forbidden`` once the grader checks the tags.
    """
    students = {**{s: {q: a for q, (a, _, _) in qs.items()} for s, qs in wrong.items()},
                **forbidden}

    @pytest.fixture(scope="module")
    def release_dir(tmp_path_factory):
        out = tmp_path_factory.mktemp("release")
        written = release(out, book=ROOT, chapters=[chapter], log=io.StringIO())
        assert list(written) == [chapter]
        return out

    def _release_nb(release_dir):
        return nbformat.read(release_dir / chapter / "homework.ipynb", as_version=4)

    @pytest.fixture(scope="module")
    def graded(tmp_path_factory, release_dir):
        """ONE grading run over every simulated student. Returns (report, log, folder)."""
        base = tmp_path_factory.mktemp("grading")
        subs = base / "submissions"
        source, released = source_nb(chapter), _release_nb(release_dir)
        notebooks = {"instructor": source, "perfect": fill_answers(released, source, chapter),
                     "stub": released}
        for student, answers in students.items():
            notebooks[student] = fill_answers(released, source, chapter, answers)
        for student, nb in notebooks.items():
            path = subs / student / chapter / "homework.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)
        log = io.StringIO()
        start = time.perf_counter()
        report = grade(subs, base / "grades.csv", book=ROOT, timeout=TIMEOUT, chapters=[chapter],
                       log=log)
        elapsed = time.perf_counter() - start
        print(f"\ngraded {len(report.seconds)} {chapter} notebooks in {elapsed:.1f} s")
        return report, log.getvalue(), base

    def statuses(report, student):
        return {q: r.status for q, r in report.by_question(student, chapter).items()}

    def test_homework_is_authored_executed_and_complete():
        nb = source_nb(chapter)
        summary = author(ROOT / "chapters" / chapter / "homework.ipynb", write=False)
        assert summary.changed is False, "run: python -m coursekit.homework author"
        assert summary.questions == questions
        assert nb.metadata["kernelspec"]["name"] == "python3"
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert [grade_id(c) for c in tests] == [f"{chapter}-{q}-tests" for q in questions]
        for cell in tests:
            (hidden,) = hidden_test_regions(cell.source)
            assert len([line for line in hidden if line.strip()]) >= 8, grade_id(cell)
            assert "assert" in strip_hidden_tests(cell.source), grade_id(cell)
            assert "remove-input" in cell.metadata["tags"], "the book must not show hidden tests"
            # the visible tests pass and say so; the hidden tests print nothing
            assert [(o.output_type, o.get("name")) for o in cell.outputs] == [("stream", "stdout")]
            assert cell.outputs[0]["text"].endswith(": visible tests passed\n"), grade_id(cell)
            # tests reach answers through the grader's proxies: no introspection of them
            for banned in ("__code__", "__globals__", "co_names", "setattr("):
                assert banned not in cell.source, (grade_id(cell), banned)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                assert "hide-input" in cell.metadata["tags"] and solution_regions(cell.source)
            if cell.cell_type == "code":
                assert cell.execution_count is not None, "store the notebook executed"
                kinds = {(o.output_type, o.get("name")) for o in cell.outputs}
                assert not kinds & {("error", None), ("stream", "stderr")}, cell.source[:60]

    def test_half_of_the_points_need_thought():
        assert thought <= set(questions)
        assert 2 * sum(questions[q] for q in thought) >= sum(questions.values())

    def test_solution_cells_declare_their_bans():
        tags = {}
        for cell in source_nb(chapter).cells:
            gid = grade_id(cell) or ""
            if gid.endswith("-solution"):
                question = gid[len(chapter) + 1: -len("-solution")]
                tags[question] = {t[len("forbid="):] for t in cell.metadata["tags"]
                                  if t.startswith("forbid=")}
        for question, names in forbid.items():
            assert names <= tags[question], (question, names - tags[question])

    def test_release_leaks_no_solution_and_no_hidden_test(release_dir):
        source = source_nb(chapter)
        secret, public = set(), set()
        for index, cell in enumerate(source.cells):
            regions = solution_regions(cell.source, f"cell {index}")
            regions += hidden_test_regions(cell.source, f"cell {index}")
            secret |= {line.strip() for region in regions for line in region if line.strip()}
            public |= set(_outside_regions(cell.source))
        # A line that also stands outside the regions (e.g. ``return out``) is not secret, nor is
        # a trivial one such as ``)`` or ``]`` (coursekit.edition's rule: < 12 characters).
        # Also not secret: a line inside a public line (a split continuation of a draft's line).
        blob = "\n".join(public)
        secret = {line for line in secret - public
                  if len(line.replace(" ", "")) >= 12 and line not in blob}
        assert len(secret) > 60
        files = [release_dir / chapter / "homework.ipynb", release_dir / chapter / "README.txt"]
        assert sorted((release_dir / chapter).iterdir()) == sorted(files)
        raw = "\n".join(path.read_text(encoding="utf-8") for path in files)
        released = _release_nb(release_dir)
        released_lines = {line.strip() for c in released.cells for line in c.source.split("\n")}
        released_lines |= {line.strip() for line in raw.split("\n")}
        leaked = [line for line in sorted(secret)
                  if line in released_lines or (len(line) > 20 and line in raw)]
        assert not leaked
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
            assert marker not in raw
        n_regions = sum(len(solution_regions(c.source)) for c in source.cells)
        stubs = sum(c.source.count("raise NotImplementedError()") for c in released.cells
                    if c.cell_type == "code")
        assert stubs == n_regions >= len(questions)  # one stub per solution region
        for cell in released.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None

    def test_instructor_and_filled_release_get_full_marks(graded):
        report, _, _ = graded
        for student in ("instructor", "perfect"):
            assert statuses(report, student) == {q: "passed" for q in questions}
            assert report.total(student, chapter) == sum(questions.values())

    def test_release_as_is_scores_zero(graded):
        report, _, base = graded
        assert statuses(report, "stub") == {q: "failed" for q in questions}
        assert report.total("stub", chapter) == 0
        assert "not answered yet" in (base / "feedback" / "stub" / f"{chapter}.md").read_text()

    @pytest.mark.parametrize("student", sorted(wrong))
    def test_wrong_answers_fail_exactly_their_questions(graded, student):
        report, _, _ = graded
        answers = wrong[student]
        results = report.by_question(student, chapter)
        for question, result in results.items():
            if question in answers:
                assert result.status in answers[question][1], (question, result.status)
                assert result.score == 0, question
                assert answers[question][2] in result.message, (question, result.message)
            else:
                assert result.status == "passed", (question, result.status, result.message)
        expected = sum(p for q, p in questions.items() if q not in answers)
        assert report.total(student, chapter) == expected

    @pytest.mark.parametrize("student", sorted(forbidden))
    def test_banned_calls_do_not_break_the_other_questions(graded, student):
        report, _, _ = graded
        results = report.by_question(student, chapter)
        for question, result in results.items():
            if question not in forbidden[student]:
                assert result.status == "passed", (question, result.status)

    @pytest.mark.parametrize("student", sorted(forbidden))
    def test_banned_calls_under_an_alias_are_forbidden(graded, student):
        report, _, _ = graded
        results = report.by_question(student, chapter)
        for question in forbidden[student]:
            assert results[question].status == "forbidden", (question, results[question].status)
            assert results[question].score == 0

    def test_feedback_never_reveals_hidden_tests(graded):
        report, log, base = graded
        assert not report.problems and not log
        files = sorted((base / "feedback").rglob("*.md"))
        assert len(files) == 3 + len(students)
        hidden = [line.strip() for c in source_nb(chapter).cells
                  for region in hidden_test_regions(c.source) for line in region
                  if len(line.strip()) > 12]
        for path in files:
            text = path.read_text()
            assert "HIDDEN TESTS" not in text and "ACTUAL" not in text
            assert not [line for line in hidden if line in text], path

    def test_grading_time_is_measured(graded):
        report, _, _ = graded  # measured and printed, not asserted (the machine varies)
        seconds = report.seconds[("perfect", chapter)]
        print(f"\nautograding one {chapter} homework took {seconds:.1f} s")
        assert seconds > 0

    return {name: value for name, value in locals().items()
            if name.startswith("test_") or name in ("release_dir", "graded")}
