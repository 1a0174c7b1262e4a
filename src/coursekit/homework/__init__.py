"""The homework pipeline: nbgrader, headless and offline, behind three commands.

Each chapter may hold a homework notebook ``chapters/<chapter>/homework.ipynb``: the instructor
version, with solutions and hidden tests, executed and stored like any chapter of the book. From
it:

- :func:`author` turns cell tags (``solution``, ``tests``, ``points=N``, ``q=NAME``, ``locked``)
  into nbgrader's cell metadata (``python -m coursekit.homework author NOTEBOOK``);
- :func:`release` writes the student version of every homework
  (``python -m coursekit.homework release --out DIR``);
- :func:`grade` grades ``SUBMISSIONS/<student>/<chapter>/homework.ipynb`` into a CSV, a review
  list and per-student Markdown feedback that never shows hidden tests
  (``python -m coursekit.homework grade SUBMISSIONS --out grades.csv``): each submission's
  answers run in a throw-away ``bwrap`` sandbox, the tests in the trusted grader, which talks to
  the sandbox through proxies (:mod:`coursekit.homework.sandbox`, :mod:`coursekit.homework.wire`);
- :func:`merge` joins the grades of shards graded apart (``grade --shard K/N``);
- :func:`check_method` tells whether an answer uses a forbidden call (``forbid=`` tags).

nbgrader is used only by :func:`release` (stubbing solutions, removing hidden tests), in a
temporary folder; no Jupyter server, JupyterHub or network is involved.

Taught in: not taught; how instructors use it is in the README ("Homework").
"""

from __future__ import annotations

from coursekit.homework.authoring import AuthoringSummary, author, author_notebook
from coursekit.homework.feedback import CSV_COLUMNS, STATUSES, QuestionResult
from coursekit.homework.grading import GradeReport, grade, merge
from coursekit.homework.methods import check_method, scan_hostile
from coursekit.homework.nbgrader_course import discover_homeworks, find_book_root
from coursekit.homework.release import release

__all__ = [
    "author",
    "author_notebook",
    "release",
    "grade",
    "merge",
    "check_method",
    "scan_hostile",
    "discover_homeworks",
    "find_book_root",
    "AuthoringSummary",
    "GradeReport",
    "QuestionResult",
    "STATUSES",
    "CSV_COLUMNS",
]
