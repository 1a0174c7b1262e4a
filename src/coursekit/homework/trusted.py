"""Grade one submission without trusting it: structure checks, static checks, proxied tests.

The instructor notebook is read here, in the trusted process, and never shown to the sandbox.
:func:`load_homework` derives what grading needs from it: the locked setup code, each question's
solution cell (the names it defines, its ``forbid=`` list) and its test cell (visible and hidden
parts). :func:`grade_submission` then

1. parses the submission as untrusted JSON and checks, per question, that every graded cell of
   the release is present once, with its type, its grading metadata (points) and its place in
   the order of graded cells: otherwise the question is ``integrity`` (0 points, for review);
2. takes ONLY the answer cells' source from the submission (locked and test cells come from the
   instructor notebook; free cells are not executed) and checks each answer statically: hostile
   constructs (:func:`~coursekit.homework.methods.scan_hostile`) give ``integrity``, forbidden
   calls (:func:`~coursekit.homework.methods.check_method`) give ``forbidden``;
3. executes the setup and answer cells in a sandbox (:class:`~coursekit.homework.sandbox.Session`)
   and each test cell in a trusted namespace where the question's names are proxies to the
   sandbox; a question scores its points iff its test cell raised nothing.

References: the same split as PrairieLearn's Python autograder (student code in its own
container, reference and comparison outside it) and otter-grader's containerised grading; the
sandbox is bubblewrap (https://github.com/containers/bubblewrap).

Taught in: not taught; the trusted grader behind ``python -m coursekit.homework grade``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.homework.authoring import BEGIN_SOLUTION, END_SOLUTION, strip_hidden_tests
from coursekit.homework.feedback import QuestionResult, clean_message, hidden_line_numbers
from coursekit.homework.methods import check_method, scan_hostile
from coursekit.homework.sandbox import (
    Client,
    SandboxDied,
    SandboxTimeout,
    Session,
)
from coursekit.homework.wire import CrossingError

__all__ = ["Homework", "Question", "load_homework", "grade_submission", "read_submission",
           "MAX_NOTEBOOK_BYTES"]

#: Largest submitted notebook read, in bytes.
MAX_NOTEBOOK_BYTES = 32 * 2**20


@dataclass
class Question:
    """What the trusted grader knows of one question (from the instructor notebook)."""

    name: str
    points: float
    tests_id: str
    tests_source: str
    visible_source: str
    solution_id: str
    defines: list[str]
    forbid: list[str] = field(default_factory=list)


@dataclass
class Homework:
    """The trusted view of one chapter's homework.

    ``cells`` lists ``(kind, grade_id, source, question)`` in notebook order, ``kind`` being
    ``setup`` (locked code), ``solution``, ``tests`` or ``locked`` (locked markdown).
    """

    chapter: str
    cells: list[tuple[str, str, str, str]]
    questions: dict[str, Question]
    meta: dict[str, dict]
    types: dict[str, str]

    @property
    def order(self) -> list[str]:
        return [gid for _, gid, _, _ in self.cells]

    @property
    def setup_code(self) -> str:
        return "\n".join(src for kind, _, src, _ in self.cells if kind == "setup")

    def owner(self, grade_id: str) -> str | None:
        rest = grade_id[len(self.chapter) + 1:]
        for question in self.questions:
            if rest.startswith(question + "-"):
                return question
        return None


def _defined_names(source: str) -> list[str]:
    names: list[str] = []
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return names
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.append(sub.id)
    return list(dict.fromkeys(names))


def _without_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n")
                     if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def load_homework(nb, chapter: str) -> Homework:
    """The trusted view of an AUTHORED instructor notebook (see ``load_authored``)."""
    cells, questions, meta, types = [], {}, {}, {}
    solutions: dict[str, tuple[str, list[str], list[str]]] = {}
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader")
        if not nbg:
            continue
        gid = nbg["grade_id"]
        meta[gid] = dict(nbg)
        types[gid] = cell.cell_type
        if nbg.get("solution"):
            question = gid[len(chapter) + 1:-len("-solution")]
            forbid = list(cell.metadata.get("coursekit", {}).get("forbid", []))
            solutions[question] = (gid, _defined_names(_without_markers(cell.source)), forbid)
            cells.append(("solution", gid, "", question))
        elif nbg.get("grade"):
            question = gid[len(chapter) + 1:-len("-tests")]
            sol_id, defines, forbid = solutions.get(question, (None, [], []))
            questions[question] = Question(
                question, float(nbg["points"]), gid, cell.source,
                strip_hidden_tests(cell.source), sol_id, defines, forbid)
            cells.append(("tests", gid, cell.source, question))
        elif cell.cell_type == "code":
            cells.append(("setup", gid, cell.source, None))
        else:
            cells.append(("locked", gid, "", None))
    return Homework(chapter, cells, questions, meta, types)


# ----------------------------------------------------------------------------- the submission
def read_submission(path: Path) -> list[dict]:
    """The cells of a submitted notebook as plain dicts, read as untrusted JSON.

    Each cell is ``{"cell_type": str, "source": str, "grade_id": str or None, "meta": dict}``.

    Raises
    ------
    ValueError
        If the file is too large, not JSON, or not shaped like a notebook.
    """
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"file of {size} bytes is over the limit of {MAX_NOTEBOOK_BYTES}")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError("not a notebook (no list of cells)")
    cells = []
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise ValueError(f"cell {index} is not a notebook cell")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise ValueError(f"cell {index} has no text source")
        metadata = cell.get("metadata", {})
        metadata = metadata if isinstance(metadata, dict) else {}
        nbg = metadata.get("nbgrader")
        nbg = nbg if isinstance(nbg, dict) else {}
        gid = nbg.get("grade_id") if isinstance(nbg.get("grade_id"), str) else None
        cells.append({"cell_type": cell["cell_type"], "source": source, "grade_id": gid,
                      "meta": nbg})
    return cells


@dataclass
class _Verdict:
    status: str | None = None
    message: str = ""
    notes: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)


def _check_structure(cells: list[dict], hw: Homework, verdicts: dict[str, _Verdict],
                     chapter_review: list[str], chapter_notes: list[str]) -> dict[str, str]:
    """Mark questions whose graded cells are missing, doubled, retyped, re-pointed or moved."""
    answers: dict[str, str] = {}
    positions: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        if cell["grade_id"]:
            positions.setdefault(cell["grade_id"], []).append(index)

    def flag(gid: str, why: str) -> None:
        question = hw.owner(gid)
        if question is None:
            chapter_review.append(why)
            return
        verdict = verdicts[question]
        verdict.status = "integrity"
        verdict.review.append(why)

    for gid in hw.order:
        where = positions.get(gid, [])
        if not where:
            flag(gid, f"graded cell {gid} is missing (deleted, or its grading metadata removed)")
            continue
        if len(where) > 1:
            flag(gid, f"graded cell {gid} appears {len(where)} times")
            continue
        cell = cells[where[0]]
        if cell["cell_type"] != hw.types[gid]:
            flag(gid, f"graded cell {gid} was changed from {hw.types[gid]} to "
                      f"{cell['cell_type'][:20]}")
            continue
        expected = hw.meta[gid]
        for key in ("grade", "solution", "locked", "points"):
            if cell["meta"].get(key) != expected.get(key):
                flag(gid, f"graded cell {gid}: its grading metadata ({key}) was changed")
                break
        kind = "solution" if expected.get("solution") else "tests" if expected.get("grade") \
            else None
        if kind == "solution":
            answers[hw.owner(gid)] = cell["source"]
        elif kind == "tests":
            question = hw.owner(gid)
            visible = hw.questions[question].visible_source
            full = hw.questions[question].tests_source
            if cell["source"].strip() not in (visible.strip(), full.strip()):
                verdicts[question].notes.append(
                    "Your edits to the read-only test cell were discarded; the original tests ran.")
    unknown = sorted(set(positions) - set(hw.order))
    if unknown:
        chapter_notes.append(f"{len(unknown)} cell(s) carried unknown grading metadata; "
                             "they were ignored.")
    rank = {gid: i for i, gid in enumerate(hw.order)}
    sequence = [g for _, g in sorted((p[0], g) for g, p in positions.items()
                                     if g in rank and len(p) == 1)]
    for gid in _moved(sequence, rank):
        flag(gid, f"graded cell {gid} was moved (the order of graded cells changed)")
    return answers


def _moved(sequence: list[str], rank: dict[str, int]) -> list[str]:
    """The cells outside a longest run of ``sequence`` in the release's order (the moved ones)."""
    n = len(sequence)
    best = [1] * n
    prev = [-1] * n
    for i in range(n):
        for j in range(i):
            if rank[sequence[j]] < rank[sequence[i]] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    keep: set[int] = set()
    i = max(range(n), key=best.__getitem__) if n else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return [g for k, g in enumerate(sequence) if k not in keep]


# ----------------------------------------------------------------------------- running the tests
def _test_line(exc: BaseException, filename: str) -> int | None:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            return tb.tb_lineno
        tb = tb.tb_next
    return None


def _classify(exc: BaseException, question: Question, filename: str, timeout: float):
    """(status, message safe for the student) of a test cell that raised ``exc``."""
    if isinstance(exc, SandboxTimeout):
        return "timeout", (f"your code ran past the time limit of {timeout:g} s for this question "
                           "(an infinite loop, or a far too slow method)")
    if isinstance(exc, SandboxDied):
        return "grading_error", ("your code stopped the process that ran it; your instructor "
                                 "will look")
    line = _test_line(exc, filename)
    student = getattr(exc, "coursekit_student", None)
    if isinstance(exc, CrossingError) and student is None:
        return "grading_error", "the tests could not run (an error of the homework, not yours)"
    if line is None:
        return "failed", f"failed ({type(exc).__name__}); no details are available"
    if line in hidden_line_numbers(question.tests_source):
        return "failed_hidden", (
            "passed the visible tests but failed a hidden test: check the cases the question "
            "names (other shapes, edge cases, errors to raise)")
    if student is not None:
        if student in ("MemoryError", "OutputTooLarge"):
            return "failed", (f"your code raised {student}: it used more memory, or returned "
                              "more data, than grading allows")
        if student == "NotImplementedError":
            return "failed", "NotImplementedError: not answered yet (the stub still raises it)"
        return "failed", f"your code raised {student} in a visible test"
    return "failed", clean_message(type(exc).__name__, str(exc))


def grade_submission(path: Path, hw: Homework, student: str, timeout: float,
                     notebook_timeout: float, bwrap: str | None):
    """Grade one submitted notebook; never raises for anything the submission does.

    Returns
    -------
    results : list of QuestionResult
    chapter_notes : list of str
        Remarks for the student's feedback.
    review : list of (question, status, reason)
        For the instructor's review list.
    problems : list of str
        One line each for the instructor (also on stderr).
    """
    chapter = hw.chapter
    verdicts = {q: _Verdict() for q in hw.questions}
    chapter_review: list[str] = []
    chapter_notes: list[str] = []
    problems: list[str] = []
    try:
        cells = read_submission(path)
    except (OSError, ValueError) as exc:
        note = "The submitted file could not be read as a Jupyter notebook."
        problems.append(f"unreadable notebook {path} ({str(exc)[:200]})")
        rows = [QuestionResult(student, chapter, q.name, 0.0, q.points, "unreadable_notebook")
                for q in hw.questions.values()]
        return rows, [note], [], problems

    answers = _check_structure(cells, hw, verdicts, chapter_review, chapter_notes)
    setup = hw.setup_code
    for question in hw.questions.values():
        verdict = verdicts[question.name]
        source = answers.get(question.name)
        if verdict.status is not None or source is None:
            continue
        hostile = scan_hostile(source, setup)
        if hostile:
            verdict.status = "integrity"
            verdict.review += [f"answer uses {what}" for what in hostile]
            continue
        if question.forbid:
            used = check_method(source, question.forbid, context=setup)
            if used:
                verdict.status = "forbidden"
                verdict.message = ("your answer uses what this question forbids: "
                                   + ", ".join(used))
                verdict.review += [f"forbidden: {u}" for u in used]
    answer_ids = {q.solution_id for q in hw.questions.values()}
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code" and cell["grade_id"] not in answer_ids and \
                cell["grade_id"] not in hw.meta:
            hostile = scan_hostile(cell["source"], setup)
            if hostile:
                chapter_review.append(f"free cell {index} (not executed) uses "
                                      + ", ".join(hostile))

    run_cells = []
    for kind, _, source, question in hw.cells:
        if kind == "setup":
            run_cells.append(("setup", source, None))
        elif kind == "solution" and verdicts[question].status is None and question in answers:
            run_cells.append(("answer", answers[question], question))
    start = time.monotonic()
    notebook_deadline = start + notebook_timeout
    session = Session(run_cells, timeout, notebook_deadline, bwrap,
                      forbid={q.name: q.forbid for q in hw.questions.values()})
    trusted: dict = {"__name__": "__main__"}
    setup_objects: dict = {}
    client = Client(session, setup_objects)
    bound: list[str] = []
    try:
        for kind, gid, source, question in hw.cells:
            if kind == "setup":
                with _quiet():
                    exec(compile(source, f"<setup {gid}>", "exec"), trusted)
                for name in _defined_names(source):
                    if name in trusted and callable(trusted[name]):
                        setup_objects[name] = trusted[name]
            elif kind == "solution" and verdicts[question].status is None:
                bound += hw.questions[question].defines if question in hw.questions else []
            elif kind == "tests":
                _run_tests(hw.questions[question], verdicts[question], session, client, trusted,
                           bound, timeout, notebook_deadline, problems)
    except Exception as exc:  # a setup cell failed in the trusted process: the homework's fault
        problems.append(f"a setup cell failed in the trusted process ({type(exc).__name__}: "
                        f"{str(exc)[:200]})")
        for verdict in verdicts.values():
            if verdict.status is None:
                verdict.status, verdict.message = "grading_error", \
                    "the tests could not run (an error of the homework, not yours)"
    finally:
        session.close()

    results, review = [], []
    for question in hw.questions.values():
        verdict = verdicts[question.name]
        status = verdict.status or "passed"
        score = question.points if status == "passed" else 0.0
        notes = list(verdict.notes)
        error = session.answer_errors.get(question.name)
        if error and status != "passed":
            notes.append(f"Your answer cell raised {error} when it ran.")
        if status == "integrity":
            notes.append("This question was set aside for your instructor to review "
                         "(see the homework's README).")
            problems.append(f"{question.name}: integrity: " + "; ".join(verdict.review))
        if status in ("integrity", "forbidden", "timeout", "grading_error") or verdict.review:
            reasons = verdict.review or [verdict.message or status]
            review += [(question.name, status, r) for r in reasons]
        results.append(QuestionResult(student, chapter, question.name, score, question.points,
                                      status, verdict.message, notes))
    review += [("-", "note", r) for r in chapter_review]
    for r in chapter_review:
        problems.append(f"note: {r}")
    return results, chapter_notes, review, problems


@contextlib.contextmanager
def _quiet():
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _run_tests(question: Question, verdict: _Verdict, session: Session, client: Client,
               trusted: dict, bound: list[str], timeout: float, notebook_deadline: float,
               problems: list[str]) -> None:
    if verdict.status is not None:
        return
    try:  # start (or restart) the sandbox first: its start-up is not the question's time
        session.ensure()
    except SandboxTimeout:
        verdict.status = "timeout"
        verdict.message = "the time budget of the whole notebook ran out before this question"
        return
    except SandboxDied:
        verdict.status = "grading_error"
        verdict.message = "the sandbox could not start; your instructor will look"
        problems.append(f"{question.name}: grading_error: the sandbox could not start")
        return
    if question.name in session.skip:
        why = session.skip[question.name]
        verdict.status = "timeout" if why == "timeout" else "grading_error"
        verdict.message = (f"your answer cell ran past the time limit of {timeout:g} s"
                           if why == "timeout" else "your answer cell stopped the process that "
                           "ran it; your instructor will look")
        return
    if time.monotonic() >= notebook_deadline:
        verdict.status = "timeout"
        verdict.message = "the time budget of the whole notebook ran out before this question"
        return
    client.deadline = min(time.monotonic() + timeout, notebook_deadline)
    client.forbid = question.forbid
    session.tripped = []
    filename = f"<tests {question.tests_id}>"
    try:
        for name in bound:
            trusted.pop(name, None)
            try:
                trusted[name] = client.bind(name)
            except KeyError:
                pass
        with _quiet():
            exec(compile(question.tests_source, filename, "exec"), trusted)
    except (Exception, SandboxTimeout, SandboxDied) as exc:
        if os.environ.get("COURSEKIT_GRADER_DEBUG"):  # the instructor's terminal only
            traceback.print_exception(exc, file=sys.__stderr__)
        if session.tripped:
            verdict.status = "forbidden"
            verdict.message = ("your code called what this question forbids: "
                               + ", ".join(sorted(set(session.tripped))))
            verdict.review.append(f"tripwire: called {', '.join(sorted(set(session.tripped)))}")
            return
        verdict.status, verdict.message = _classify(exc, question, filename, timeout)
        if getattr(exc, "coursekit_student", None) in ("MemoryError", "OutputTooLarge"):
            verdict.review.append(f"resource limit: {exc.coursekit_student}")
        if verdict.status == "grading_error":
            detail = ("the sandbox stopped" if isinstance(exc, SandboxDied) else
                      f"authoring error: {type(exc).__name__}: {str(exc)[:200]}")
            verdict.review.append(detail)
            problems.append(f"{question.name}: grading_error: {detail}")
    else:
        if session.tripped:  # the student's code caught the tripwire's exception
            verdict.status = "forbidden"
            verdict.message = ("your code called what this question forbids: "
                               + ", ".join(sorted(set(session.tripped))))
            verdict.review.append(f"tripwire: called {', '.join(sorted(set(session.tripped)))}")
    finally:
        client.deadline = None
        client.forbid = []
