"""Per-question results of a graded notebook, and the feedback students may see.

Feedback quotes only what instructors wrote: the message of a failed *visible* test (without the
arrays numpy's assertions print, :func:`clean_message`); a failed hidden test is reported only as
such, and an exception of the student's code only by its type. :func:`write_feedback` renders a
short Markdown report per student and chapter; :func:`write_csv` the instructor's
table.

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
    "REVIEW_COLUMNS",
    "hidden_line_numbers",
    "clean_message",
    "write_feedback",
    "write_csv",
]

#: Every status a row of the grades can have, with its meaning.
STATUSES = {
    "passed": "all tests passed",
    "failed": "a visible test failed",
    "failed_hidden": "the visible tests passed but a hidden test failed",
    "timeout": "the student's code ran past the question's (or the notebook's) time limit",
    "forbidden": "the answer uses a call the question forbids (static check or tripwire)",
    "integrity": "graded cells missing, doubled, moved or re-pointed, or the answer holds a "
                 "construct that attacks grading; 0 points, listed for review",
    "missing_notebook": "no notebook was submitted",
    "unreadable_notebook": "the submitted file is not a readable notebook",
    "grading_error": "the sandbox stopped (killed by the student's code, out of memory) or the "
                     "homework itself could not run",
}
CSV_COLUMNS = ["student", "chapter", "question", "score", "max_score", "status", "note"]
REVIEW_COLUMNS = ["student", "chapter", "question", "status", "reason"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
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
