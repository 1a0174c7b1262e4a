"""Autograde submissions: ``python -m coursekit.homework grade SUBMISSIONS --out grades.csv``.

For each chapter, nbgrader's ``generate_assignment`` fills a throw-away gradebook from the
instructor notebook and ``autograde`` runs each student's notebook (one kernel per student, a
per-cell timeout). Before that, each submission is checked: a missing or unreadable notebook is
reported, grading metadata is reset to the instructor's (so changed points or flags do not count),
and deleted or edited test cells are detected (nbgrader itself restores edited test cells and
silently scores deleted ones 0). Results go to a CSV and to per-student Markdown feedback that
never shows hidden tests (:mod:`coursekit.homework.feedback`).

Taught in: not taught; the homework pipeline behind ``python -m coursekit.homework``.
"""

from __future__ import annotations

import copy
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import nbformat

from coursekit.homework.authoring import strip_hidden_tests
from coursekit.homework.feedback import (
    QuestionResult,
    analyze_test_cell,
    cell_error,
    clean_message,
    write_csv,
    write_feedback,
)
from coursekit.homework.nbgrader_course import (
    NOTEBOOK,
    Course,
    discover_homeworks,
    find_book_root,
    load_authored,
    select_homeworks,
)

__all__ = ["grade", "GradeReport"]

_BAD_ID = re.compile(r"[*?\[\]]")  # nbgrader finds submissions with glob patterns


@dataclass
class GradeReport:
    """What :func:`grade` did.

    Attributes
    ----------
    results : list of QuestionResult
        One row per student, chapter and question.
    csv_path : Path
        The grades table.
    feedback_dir : Path
        Holds ``<student>/<chapter>.md``.
    problems : list of str
        Missing or unreadable notebooks, deleted test cells, grading errors (also on stderr).
    seconds : dict
        Wall time of nbgrader's autograde per ``(student, chapter)``.
    """

    results: list[QuestionResult] = field(default_factory=list)
    csv_path: Path | None = None
    feedback_dir: Path | None = None
    problems: list[str] = field(default_factory=list)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)

    def total(self, student: str, chapter: str | None = None) -> float:
        """Score of ``student`` (in one chapter, or all)."""
        return sum(
            r.score for r in self.results
            if r.student == student and (chapter is None or r.chapter == chapter)
        )

    def by_question(self, student: str, chapter: str) -> dict[str, QuestionResult]:
        """``{question: result}`` of one student in one chapter."""
        return {
            r.question: r for r in self.results if r.student == student and r.chapter == chapter
        }


@dataclass
class _Expected:
    chapter: str
    nb: object
    meta: dict[str, dict]  # grade_id -> nbgrader metadata of the source
    tests: dict[str, tuple[str, float, str]]  # grade_id -> (question, points, visible source)


def _expected(chapter: str, nb) -> _Expected:
    meta, tests = {}, {}
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader")
        if not nbg:
            continue
        meta[nbg["grade_id"]] = dict(nbg)
        if nbg.get("grade"):
            question = nbg["grade_id"][len(chapter) + 1 : -len("-tests")]
            visible = strip_hidden_tests(cell.source)
            tests[nbg["grade_id"]] = (question, float(nbg["points"]), visible)
    return _Expected(chapter, nb, meta, tests)


def _sanitize(nb, expected: _Expected) -> tuple[set[str], dict[str, list[str]], list[str]]:
    """Reset grading metadata to the source's; find deleted and edited test cells.

    Returns deleted test ids, per-question notes and chapter notes.
    """
    present: set[str] = set()
    notes: dict[str, list[str]] = {}
    chapter_notes: list[str] = []
    last: dict[str, int] = {}  # like nbgrader, the last of several cells with one id counts
    for index, cell in enumerate(nb.cells):
        nbg = cell.metadata.get("nbgrader")
        if isinstance(nbg, dict) and nbg.get("grade_id") in expected.meta:
            last[nbg["grade_id"]] = index
    for index, cell in enumerate(nb.cells):
        nbg = cell.metadata.get("nbgrader")
        if nbg is None:
            continue
        grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
        if grade_id not in expected.meta or last[grade_id] != index:
            del cell.metadata["nbgrader"]
            what = "a copy of a graded cell" if grade_id in expected.meta else "unknown metadata"
            chapter_notes.append(f"Cell {index} carried {what}; it was not graded.")
            continue
        cell.metadata["nbgrader"] = copy.deepcopy(expected.meta[grade_id])
        if grade_id in expected.tests:
            present.add(grade_id)
            question, _, visible = expected.tests[grade_id]
            if cell.get("source", "").strip() != visible.strip():
                notes.setdefault(question, []).append(
                    "Your edits to this read-only test cell were discarded; the original tests ran."
                )
    return set(expected.tests) - present, notes, chapter_notes


def _rows(student, expected: _Expected, status, message="") -> list[QuestionResult]:
    return [
        QuestionResult(student, expected.chapter, q, 0.0, pts, status, message)
        for q, pts, _ in expected.tests.values()
    ]


def grade(submissions: str | Path, out: str | Path, book: str | Path | None = None,
          feedback: str | Path | None = None, timeout: int = 30, chapters=None,
          log: TextIO | None = None) -> GradeReport:
    """Autograde ``submissions/<student>/<chapter>/homework.ipynb`` for every student and chapter.

    Parameters
    ----------
    submissions : str or Path
        Folder with one subfolder per student (its name is the student id), each holding
        ``<chapter>/homework.ipynb``. Only that notebook is used; other files are ignored.
    out : str or Path
        The CSV to write, with columns ``student, chapter, question, score, max_score, status,
        note`` (see :data:`~coursekit.homework.feedback.STATUSES`).
    book : str or Path, optional
        The book's root (default: found from the current directory).
    feedback : str or Path, optional
        Folder for the students' feedback ``<student>/<chapter>.md`` (default: ``feedback/``
        beside the CSV). It never shows hidden tests.
    timeout : int, default 30
        Per-cell execution limit in seconds; a cell past it is interrupted, the rest still runs.
    chapters : str or list of str, optional
        Grade only these chapters (default: every homework chapter some student submitted).
    log : text stream, optional
        Where one line per problem goes (default ``sys.stderr``).

    Returns
    -------
    GradeReport

    Raises
    ------
    ValueError
        If ``submissions`` is not a folder or holds no student folder, ``out`` is a folder,
        ``feedback`` is a file, ``timeout`` is not a positive whole number, or a chapter is
        unknown.
    """
    log = sys.stderr if log is None else log
    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise ValueError(f"submissions={str(submissions)!r} is not a folder")
    if out.is_dir():
        raise ValueError(f"out={str(out)!r} is a folder; --out names the CSV file to write")
    feedback_dir = out.parent / "feedback" if feedback is None else Path(feedback)
    if feedback_dir.exists() and not feedback_dir.is_dir():
        raise ValueError(f"feedback={str(feedback_dir)!r} is a file; it must be a folder")
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise ValueError(f"timeout={timeout!r} must be a whole number of seconds >= 1")
    book_root = find_book_root(book)
    homeworks = discover_homeworks(book_root)
    students = sorted(
        p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if not students:
        raise ValueError(
            f"submissions={str(submissions)!r} holds no student folders "
            f"(expected <student>/<chapter>/{NOTEBOOK}.ipynb)"
        )
    if chapters is None:
        found = set()
        for student in students:
            for sub in (submissions / student).iterdir():
                if sub.is_dir() and not sub.name.startswith("."):
                    if sub.name in homeworks:
                        found.add(sub.name)
                    else:
                        print(f"grade: {student}/{sub.name}: not a homework chapter; ignored",
                              file=log)
        chapters = sorted(found)
        if not chapters:
            raise ValueError(
                f"submissions={str(submissions)!r}: no student has a folder named after a "
                f"homework chapter ({sorted(homeworks)})"
            )
    selected = select_homeworks(homeworks, chapters, book_root)

    report = GradeReport(csv_path=out, feedback_dir=feedback_dir)

    def problem(student: str, chapter: str, text: str) -> None:
        line = f"{student}/{chapter}: {text}"
        report.problems.append(line)
        print(f"grade: {line}", file=log)

    with tempfile.TemporaryDirectory(prefix="coursekit-nbgrader-") as tmp:
        course = Course(tmp, timeout=timeout)
        for chapter, path in selected.items():
            source_nb, _ = load_authored(path, chapter, log)
            expected = _expected(chapter, source_nb)
            course.add_source(chapter, source_nb)
            course.generate(chapter)
            for student in students:
                results, notes, seconds = _grade_one(
                    course, expected, submissions, student, problem
                )
                report.results += results
                if seconds is not None:
                    report.seconds[(student, chapter)] = seconds
                write_feedback(feedback_dir / student / f"{chapter}.md", student, chapter,
                               results, notes)
    write_csv(out, report.results)
    return report


def _grade_one(course: Course, expected: _Expected, submissions: Path, student: str, problem):
    chapter = expected.chapter
    path = submissions / student / chapter / f"{NOTEBOOK}.ipynb"
    if not path.is_file():
        others = sorted(p.name for p in path.parent.glob("*.ipynb")) if path.parent.is_dir() else []
        hint = f" (found {others}; the file must be named {NOTEBOOK}.ipynb)" if others else ""
        problem(student, chapter, f"missing notebook {path}{hint}")
        note = f"No notebook was found at {student}/{chapter}/{NOTEBOOK}.ipynb{hint}."
        return _rows(student, expected, "missing_notebook"), [note], None
    if _BAD_ID.search(student):
        problem(student, chapter, "the folder name cannot be a student id (it has * ? [ or ])")
        note = "Your submission folder's name is not a valid student id; rename it."
        return _rows(student, expected, "invalid_student_id"), [note], None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat repairs e.g. duplicate cell ids, noisily
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # any unreadable file: bad JSON, not a notebook, bad encoding
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        problem(student, chapter, f"unreadable notebook {path} ({reason[:200]})")
        note = "The submitted file could not be read as a Jupyter notebook."
        return _rows(student, expected, "unreadable_notebook"), [note], None

    deleted, question_notes, chapter_notes = _sanitize(nb, expected)
    for grade_id in sorted(deleted):
        question = expected.tests[grade_id][0]
        problem(student, chapter, f"graded test cell {grade_id} ({question}) was deleted; scores 0")
    course.add_submission(student, chapter, nb)
    result = course.autograde(chapter, student)
    if not result["success"]:
        last = (result["error"] or result["log"] or "unknown error").strip().splitlines()[-1]
        problem(student, chapter, f"nbgrader could not grade this notebook ({last[:200]})")
        note = "The notebook could not be graded automatically; your instructor will look at it."
        return _rows(student, expected, "grading_error"), chapter_notes + [note], result["seconds"]

    scores = course.scores(chapter, student)
    graded = nbformat.read(course.autograded_path(student, chapter), as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in graded.cells}
    results = []
    for grade_id, (question, points, _) in expected.tests.items():
        score, max_score = scores.get(grade_id, (0.0, points))
        notes = list(question_notes.get(question, []))
        if grade_id in deleted:
            status = "deleted_test_cell"
            message = ("The test cell was deleted from your notebook (or its grading metadata "
                       "removed), so it scores 0.")
        else:
            status, message = analyze_test_cell(cells[grade_id], course.timeout)
            if score >= max_score:
                status, message = "passed", ""
            elif status == "passed":
                status, message = "failed", "failed; no details are available"
        answer = cells.get(f"{chapter}-{question}-solution")
        error = cell_error(answer) if answer is not None else None
        if error and score < max_score:
            if error[0] in ("KeyboardInterrupt", "CellTimeoutError"):
                notes.append(f"Your answer cell itself was interrupted after {course.timeout} s.")
            else:
                notes.append(f"Your answer cell raised {clean_message(*error)}.")
        results.append(QuestionResult(student, chapter, question, score, max_score, status,
                                      message, notes))
    return results, chapter_notes, result["seconds"]
