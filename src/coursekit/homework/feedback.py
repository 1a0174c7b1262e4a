"""Per-question results of an autograded notebook, and the feedback students may see.

nbgrader's own feedback HTML prints the hidden tests, so it is never handed out. Instead,
:func:`analyze_test_cell` reads one executed test cell and classifies it: passed, failed a
*visible* test (its assertion message is safe to show: the student has the same test), failed a
*hidden* test (reported only as such), timed out, or wrote to standard error (which nbgrader scores
0). Which part of the cell failed is read from the traceback's first ``Cell In[n], line k`` frame,
the line of the test cell that raised; when it cannot be found, nothing is revealed.

:func:`write_feedback` renders a short Markdown report per student and chapter, and
:func:`write_csv` the instructor's table.

Taught in: not taught; the homework pipeline behind ``python -m coursekit.homework``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.homework.authoring import BEGIN_HIDDEN, END_HIDDEN

__all__ = [
    "QuestionResult",
    "STATUSES",
    "CSV_COLUMNS",
    "analyze_test_cell",
    "hidden_line_numbers",
    "failing_line",
    "clean_message",
    "cell_error",
    "write_feedback",
    "write_csv",
]

#: Every status a row of the grades can have, with its meaning.
STATUSES = {
    "passed": "all tests passed",
    "failed": "a visible test failed",
    "failed_hidden": "the visible tests passed but a hidden test failed",
    "timeout": "a cell ran past the time limit and was interrupted",
    "stderr": "the test cell wrote to standard error (nbgrader scores that 0)",
    "deleted_test_cell": "the graded test cell is missing from the submission",
    "missing_notebook": "no notebook was submitted",
    "unreadable_notebook": "the submitted file is not a readable notebook",
    "grading_error": "nbgrader could not grade the notebook (e.g. the kernel died)",
    "invalid_student_id": "the student folder's name cannot be an nbgrader student id",
}
CSV_COLUMNS = ["student", "chapter", "question", "score", "max_score", "status", "note"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")
_TIMEOUT_ERRORS = ("KeyboardInterrupt", "CellTimeoutError")
_MAX_MESSAGE = 600


@dataclass
class QuestionResult:
    """One row of the grades: a student's result on one question of one chapter.

    ``message`` and ``notes`` are safe to show the student: they never quote hidden tests.
    """

    student: str
    chapter: str
    question: str
    score: float
    max_score: float
    status: str
    message: str = ""
    notes: list[str] = field(default_factory=list)

    def as_row(self) -> dict[str, object]:
        """The CSV row (see :data:`CSV_COLUMNS`)."""
        return {
            "student": self.student,
            "chapter": self.chapter,
            "question": self.question,
            "score": _fmt(self.score),
            "max_score": _fmt(self.max_score),
            "status": self.status,
            "note": " ".join(self.notes),
        }


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines of ``source`` inside hidden-test regions, markers included."""
    hidden, inside = set(), False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN_HIDDEN in line:
            inside = True
        if inside:
            hidden.add(number)
        if END_HIDDEN in line:
            inside = False
    return hidden


def failing_line(traceback: list[str]) -> int | None:
    """Line of the executed cell that raised: the first ``Cell In[n], line k`` frame, or None."""
    match = _FRAME.search(_ANSI.sub("", "\n".join(traceback)))
    return int(match.group(1)) if match else None


def clean_message(ename: str, evalue: str) -> str:
    """``ename: evalue`` without the arrays numpy's assertions print (``ACTUAL``/``DESIRED``)."""
    kept: list[str] = []
    for line in _ANSI.sub("", evalue).strip("\n").split("\n"):
        stripped = line.strip()
        if re.match(r"^(ACTUAL|DESIRED|x|y):", stripped):
            break  # the arrays themselves, possibly over several lines
        if stripped.startswith("Mismatch at index") or re.match(r"^\[.*\]:.*\(ACTUAL\)", stripped):
            continue
        if stripped:
            kept.append(stripped)
    text = "; ".join(kept)
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE] + " ..."
    return f"{ename}: {text}" if text else ename


def cell_error(cell) -> tuple[str, str] | None:
    """``(ename, evalue)`` of the first error output of a code cell, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", "Error"), output.get("evalue", "")
    return None


def analyze_test_cell(cell, timeout: int) -> tuple[str, str]:
    """Classify one executed test cell.

    Parameters
    ----------
    cell : nbformat.NotebookNode
        The test cell from nbgrader's autograded notebook (hidden tests included).
    timeout : int
        The per-cell timeout the cell ran under, for the message.

    Returns
    -------
    status, message : str
        A key of :data:`STATUSES` and a message safe to show the student.
    """
    outputs = cell.get("outputs", [])
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        error = errors[0]
        ename = error.get("ename", "Error")
        if any(o.get("ename") in _TIMEOUT_ERRORS for o in errors):
            return "timeout", (
                f"interrupted after the time limit of {timeout} s per cell "
                "(an infinite loop, or a far too slow method)"
            )
        line = failing_line(error.get("traceback", []))
        if line is None:
            return "failed", f"failed ({ename}); no details are available"
        if line in hidden_line_numbers(cell.source):
            return "failed_hidden", (
                "passed the visible tests but failed a hidden test: check the cases the question "
                "names (other shapes, edge cases, errors to raise)"
            )
        if ename == "NotImplementedError":
            return "failed", "NotImplementedError: not answered yet (the stub still raises it)"
        return "failed", clean_message(ename, error.get("evalue", ""))
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outputs):
        return "stderr", (
            "the test cell wrote to standard error (usually a warning from your code, e.g. a "
            "division by zero); nbgrader scores that 0. Run the test cell to see it"
        )
    return "passed", ""


def write_feedback(path: str | Path, student: str, chapter: str, results: list[QuestionResult],
                   notes: list[str] | None = None) -> Path:
    """Write a student's Markdown feedback for one chapter and return its path.

    Parameters
    ----------
    path : str or Path
        The file to write (its folder is created).
    student, chapter : str
        Who and what, for the heading.
    results : list of QuestionResult
        The student's rows for this chapter.
    notes : list of str, optional
        Chapter-wide remarks (a missing notebook, tampered cells, ...).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    lines = [
        f"# Homework `{chapter}`: feedback for {student}",
        "",
        f"**Score: {_fmt(score)} / {_fmt(total)}**",
        "",
    ]
    for note in notes or []:
        lines.append(f"- {note}")
    if notes:
        lines.append("")
    lines += ["| question | score | result |", "|---|---|---|"]
    for r in results:
        lines.append(f"| {r.question} | {_fmt(r.score)} / {_fmt(r.max_score)} | {r.status} |")
    details = [r for r in results if r.message or r.notes]
    if details:
        lines += ["", "## Details", ""]
        for r in details:
            parts = [p.strip().rstrip(".") + "." for p in [r.message, *r.notes] if p.strip()]
            text = " ".join(parts).replace("\n", " ")
            lines.append(f"- **{r.question}** ({_fmt(r.score)} / {_fmt(r.max_score)}): {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: str | Path, results: list[QuestionResult]) -> Path:
    """Write the grades table (columns :data:`CSV_COLUMNS`) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.as_row())
    return path
