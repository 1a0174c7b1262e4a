"""Grade a class: ``python -m coursekit.homework grade SUBMISSIONS --out grades.csv``.

Every ``SUBMISSIONS/<student>/<chapter>/homework.ipynb`` is graded by
:func:`~coursekit.homework.trusted.grade_submission`: the student's answers run in a throw-away
sandbox, the tests in this trusted process. Submissions are graded one by one or by a pool of
``jobs`` worker processes; each finished submission appends its rows to the CSV (flushed, so the
file stays valid if grading is killed), its entries to the review list ``<csv stem>-review.csv``
and writes ``feedback/<student>/<chapter>.md``. At the end both tables are rewritten sorted.

For a class too large for one machine, ``shard=(K, N)`` grades the K-th of N deterministic
slices of the sorted students, and :func:`merge` joins the shards' tables and feedback folders;
an existing batch system (a Slurm array, a Kubernetes indexed Job) runs the shards.

Taught in: not taught; the homework pipeline behind ``python -m coursekit.homework``.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

from coursekit.homework.feedback import (
    CSV_COLUMNS,
    REVIEW_COLUMNS,
    QuestionResult,
    write_feedback,
)
from coursekit.homework.nbgrader_course import (
    NOTEBOOK,
    discover_homeworks,
    find_book_root,
    load_authored,
    select_homeworks,
)
from coursekit.homework.sandbox import sandbox_available
from coursekit.homework.trusted import grade_submission, load_homework

__all__ = ["grade", "merge", "GradeReport", "review_path", "parse_shard", "NO_SANDBOX_MESSAGE"]

NO_SANDBOX_MESSAGE = (
    "no working sandbox: 'bwrap' (Debian/Ubuntu package 'bubblewrap') is missing or cannot run "
    "here, so the students' code would run with your rights and see your files. Install "
    "bubblewrap, or grade in a throw-away container and pass --unsafe-no-sandbox."
)


@dataclass
class GradeReport:
    """What :func:`grade` did.

    Attributes
    ----------
    results : list of QuestionResult
        One row per student, chapter and question.
    csv_path, review_path : Path
        The grades table and the review list.
    feedback_dir : Path
        Holds ``<student>/<chapter>.md``.
    problems : list of str
        Missing or unreadable notebooks, integrity findings, grading errors (also on stderr).
    review : list of dict
        The rows of the review list.
    seconds : dict
        Wall time of grading per ``(student, chapter)``.
    """

    results: list[QuestionResult] = field(default_factory=list)
    csv_path: Path | None = None
    review_path: Path | None = None
    feedback_dir: Path | None = None
    problems: list[str] = field(default_factory=list)
    review: list[dict] = field(default_factory=list)
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


def review_path(csv_path: str | Path) -> Path:
    """The review list written beside a grades CSV: ``grades.csv`` -> ``grades-review.csv``."""
    csv_path = Path(csv_path)
    return csv_path.with_name(f"{csv_path.stem}-review.csv")


def parse_shard(text) -> tuple[int, int]:
    """``"K/N"`` (or a pair) as ``(K, N)`` with ``1 <= K <= N``.

    Raises
    ------
    ValueError
        If it is not of that form.
    """
    try:
        k, n = (int(x) for x in (text.split("/") if isinstance(text, str) else text))
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"shard={text!r}: expected K/N, e.g. 2/8") from None
    if not 1 <= k <= n:
        raise ValueError(f"shard={text!r}: expected K/N with 1 <= K <= N")
    return k, n


def _grade_task(task):
    """Grade one (student, chapter) in a worker; everything returned is plain data."""
    (student, chapter, path, source, timeout, notebook_timeout, bwrap) = task
    start = time.perf_counter()
    if not Path(path).is_file():
        folder = Path(path).parent
        others = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
        hint = f" (found {others}; the file must be named {NOTEBOOK}.ipynb)" if others else ""
        nb, _ = load_authored(source, chapter, open(os.devnull, "w"))
        hw = load_homework(nb, chapter)
        rows = [QuestionResult(student, chapter, q.name, 0.0, q.points, "missing_notebook")
                for q in hw.questions.values()]
        note = f"No notebook was found at {student}/{chapter}/{NOTEBOOK}.ipynb{hint}."
        return rows, [note], [], [f"missing notebook {path}{hint}"], None
    with open(os.devnull, "w") as sink:
        nb, _ = load_authored(source, chapter, sink)
    hw = load_homework(nb, chapter)
    results, notes, review, problems = grade_submission(
        Path(path), hw, student, timeout, notebook_timeout, bwrap)
    return results, notes, review, problems, time.perf_counter() - start


class _Table:
    """A CSV written row by row (flushed), then rewritten sorted by (student, chapter)."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.handle, fieldnames=columns)
        self.writer.writeheader()
        self.handle.flush()
        self.rows: list[dict] = []

    def add(self, rows: list[dict]) -> None:
        for row in rows:
            self.writer.writerow(row)
        self.handle.flush()
        self.rows += rows

    def finish(self) -> None:
        self.handle.close()
        _write_sorted(self.path, self.columns, self.rows)


def _write_sorted(path: Path, columns: list[str], rows: list[dict]) -> None:
    rows = sorted(rows, key=lambda r: (r["student"], r["chapter"]))  # stable: question order
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def grade(submissions: str | Path, out: str | Path, book: str | Path | None = None,
          feedback: str | Path | None = None, timeout: int = 30, chapters=None,
          log: TextIO | None = None, jobs: int = 1, shard=None,
          notebook_timeout: float | None = None, unsafe_no_sandbox: bool = False,
          progress: bool = False) -> GradeReport:
    """Grade ``submissions/<student>/<chapter>/homework.ipynb`` for every student and chapter.

    Parameters
    ----------
    submissions : str or Path
        Folder with one subfolder per student (its name is the student id), each holding
        ``<chapter>/homework.ipynb``. Only that notebook is used; other files are ignored.
    out : str or Path
        The CSV to write, with columns ``student, chapter, question, score, max_score, status,
        note`` (see :data:`~coursekit.homework.feedback.STATUSES`); the review list goes to
        ``<stem>-review.csv`` beside it (:func:`review_path`).
    book : str or Path, optional
        The book's root (default: found from the current directory).
    feedback : str or Path, optional
        Folder for the students' feedback ``<student>/<chapter>.md`` (default: ``feedback/``
        beside the CSV). It never shows hidden tests.
    timeout : int, default 30
        Seconds each question's code may run (its answer cell, and the calls of its tests); past
        it the sandbox is killed, the question scores 0 (``timeout``) and a fresh sandbox
        grades the next question.
    chapters : str or list of str, optional
        Grade only these chapters (default: every homework chapter some student submitted).
    log : text stream, optional
        Where one line per problem (and the progress) goes (default ``sys.stderr``).
    jobs : int, default 1
        Submissions graded in parallel (worker processes).
    shard : str or (int, int), optional
        ``"K/N"``: grade only the K-th of N slices of the sorted students (see :func:`merge`).
    notebook_timeout : float, optional
        Seconds all the code of one submission may run in total (default ``4 * timeout``).
    unsafe_no_sandbox : bool, default False
        Grade without ``bwrap`` (the students' code sees the filesystem with your rights).
    progress : bool, default False
        Write a progress line per graded submission, with the rate per minute, to ``log`` (the
        command line does).

    Returns
    -------
    GradeReport

    Raises
    ------
    ValueError
        On a bad argument (missing folder, ``out`` a folder, bad timeout, jobs or shard, unknown
        chapter), or when no sandbox is available and ``unsafe_no_sandbox`` is False.
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
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs={jobs!r} must be a whole number >= 1")
    if notebook_timeout is None:
        notebook_timeout = 4.0 * timeout
    if not (isinstance(notebook_timeout, (int, float)) and notebook_timeout >= timeout):
        raise ValueError(f"notebook_timeout={notebook_timeout!r} must be a number >= timeout")
    k, n = parse_shard(shard) if shard is not None else (1, 1)
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
    bwrap = sandbox_available()
    if bwrap is None:
        if not unsafe_no_sandbox:
            raise ValueError(NO_SANDBOX_MESSAGE)
        print("grade: WARNING: grading WITHOUT a sandbox (--unsafe-no-sandbox): the students' "
              "code runs with your rights and can read and write your files. The tests still "
              "run outside the students' process.", file=log)
    for chapter, path in selected.items():  # the metadata warning once, here
        load_authored(path, chapter, log)
    students = [s for i, s in enumerate(students) if i % n == k - 1]

    report = GradeReport(csv_path=out, review_path=review_path(out), feedback_dir=feedback_dir)
    tasks = [
        (student, chapter, str(submissions / student / chapter / f"{NOTEBOOK}.ipynb"),
         str(path), timeout, float(notebook_timeout), bwrap)
        for chapter, path in selected.items() for student in students
    ]
    table = _Table(out, CSV_COLUMNS)
    review = _Table(report.review_path, REVIEW_COLUMNS)
    started = time.perf_counter()

    def finished(task, outcome, done):
        student, chapter = task[0], task[1]
        results, notes, review_rows, problems, seconds = outcome
        for line in problems:
            report.problems.append(f"{student}/{chapter}: {line}")
            print(f"grade: {student}/{chapter}: {line}", file=log)
        rows = [{"student": student, "chapter": chapter, "question": q, "status": s,
                 "reason": r} for q, s, r in review_rows]
        report.results += results
        report.review += rows
        table.add([r.as_row() for r in results])
        review.add(rows)
        write_feedback(feedback_dir / student / f"{chapter}.md", student, chapter, results,
                       notes)
        if seconds is not None:
            report.seconds[(student, chapter)] = seconds
        if not progress:
            return
        rate = done / max(time.perf_counter() - started, 1e-9) * 60
        score = sum(r.score for r in results)
        total = sum(r.max_score for r in results)
        print(f"grade: [{done}/{len(tasks)}] {student}/{chapter}: {score:g} / {total:g} "
              f"({rate:.1f} submissions per minute)", file=log, flush=True)

    try:
        if jobs == 1:
            for done, task in enumerate(tasks, start=1):
                finished(task, _grade_task(task), done)
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(_grade_task, task): task for task in tasks}
                for done, future in enumerate(as_completed(futures), start=1):
                    task = futures[future]
                    try:
                        outcome = future.result()
                    except Exception as exc:  # a worker died: this submission only
                        outcome = _worker_failed(task, exc)
                    finished(task, outcome, done)
    finally:
        table.finish()
        review.finish()
    order = {(s, c): i for i, (s, c, *_rest) in enumerate(sorted(tasks))}
    report.results.sort(key=lambda r: order.get((r.student, r.chapter), 0))
    return report


def _worker_failed(task, exc):
    student, chapter, path, source = task[:4]
    with open(os.devnull, "w") as sink:
        nb, _ = load_authored(source, chapter, sink)
    hw = load_homework(nb, chapter)
    rows = [QuestionResult(student, chapter, q.name, 0.0, q.points, "grading_error")
            for q in hw.questions.values()]
    note = "The notebook could not be graded automatically; your instructor will look at it."
    review = [("-", "grading_error", f"worker failed: {type(exc).__name__}")]
    return rows, [note], review, [f"grading_error: worker failed ({type(exc).__name__})"], None


def merge(csvs, out: str | Path, feedback: str | Path | None = None) -> Path:
    """Join the grades of several shards (and their review lists and feedback folders).

    Parameters
    ----------
    csvs : list of str or Path
        The shards' grades CSVs. Each one's review list (``<stem>-review.csv``) and feedback
        folder (``feedback/`` beside it) are merged too when they exist.
    out : str or Path
        The merged CSV; its review list and ``feedback/`` go beside it (or to ``feedback``).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        If an input is missing or not a grades CSV, or two shards graded the same question of the
        same student, or two feedback files collide.
    """
    out = Path(out)
    feedback_dir = out.parent / "feedback" if feedback is None else Path(feedback)
    rows, review_rows, seen = [], [], set()
    for name in csvs:
        path = Path(name)
        if not path.is_file():
            raise ValueError(f"{str(path)!r} is not a file")
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != CSV_COLUMNS:
                raise ValueError(f"{str(path)!r} is not a grades CSV (columns {CSV_COLUMNS})")
            for row in reader:
                key = (row["student"], row["chapter"], row["question"])
                if key in seen:
                    raise ValueError(f"{str(path)!r}: {'/'.join(key)} was graded twice")
                seen.add(key)
                rows.append(row)
        rpath = review_path(path)
        if rpath.is_file():
            with rpath.open(newline="", encoding="utf-8") as handle:
                review_rows += list(csv.DictReader(handle))
    for name in csvs:
        source = Path(name).parent / "feedback"
        if source.is_dir() and source.resolve() != feedback_dir.resolve():
            for file in sorted(source.rglob("*.md")):
                target = feedback_dir / file.relative_to(source)
                if target.exists() and target.read_bytes() != file.read_bytes():
                    raise ValueError(f"feedback {target} exists and differs")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, target)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_sorted(out, CSV_COLUMNS, rows)
    _write_sorted(review_path(out), REVIEW_COLUMNS, review_rows)
    return out
