"""The homework pipeline: nbgrader, headless and offline, behind three commands.

Each chapter may hold a homework notebook ``chapters/<chapter>/homework.ipynb``: the instructor
version, with solutions and hidden tests, executed and stored like any chapter of the book. From
it:

- :func:`author` turns cell tags (``solution``, ``tests``, ``points=N``, ``q=NAME``, ``locked``)
  into nbgrader's cell metadata (``python -m coursekit.homework author NOTEBOOK``);
- :func:`release` writes the student version of every homework
  (``python -m coursekit.homework release --out DIR``);
- :func:`grade` autogrades ``SUBMISSIONS/<student>/<chapter>/homework.ipynb`` into a CSV and
  per-student Markdown feedback that never shows hidden tests
  (``python -m coursekit.homework grade SUBMISSIONS --out grades.csv``).

nbgrader's course directory and gradebook live in a temporary folder for the duration of a
command; no Jupyter server, JupyterHub or network is involved.

Taught in: not taught; how instructors use it is in the README ("Homework").
"""

from __future__ import annotations

from coursekit.homework.authoring import AuthoringSummary, author, author_notebook
from coursekit.homework.feedback import CSV_COLUMNS, STATUSES, QuestionResult
from coursekit.homework.grading import GradeReport, grade
from coursekit.homework.nbgrader_course import discover_homeworks, find_book_root
from coursekit.homework.release import release

__all__ = [
    "author",
    "author_notebook",
    "release",
    "grade",
    "discover_homeworks",
    "find_book_root",
    "AuthoringSummary",
    "GradeReport",
    "QuestionResult",
    "STATUSES",
    "CSV_COLUMNS",
]
