"""Cell tags to nbgrader metadata: the authoring side of the homework pipeline.

An author marks the cells of ``chapters/<chapter>/homework.ipynb`` with plain cell tags and never
edits nbgrader's JSON by hand:

=================  ==========================================================================
tag                meaning
=================  ==========================================================================
``solution``       a code cell with the answer between ``### BEGIN SOLUTION`` and
                   ``### END SOLUTION``; the student release replaces that region by a stub
``tests``          an autograded test cell (read-only for students); visible asserts first,
                   then ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``
``points=N``       the points of a ``tests`` cell (required there, refused elsewhere)
``q=NAME``         the question a ``solution`` or ``tests`` cell belongs to (required there);
                   optional on ``locked`` cells
``locked``         a read-only cell (prose, setup code): graded from the instructor's copy
``readonly``       same as ``locked``
``forbid=NAME``    on a ``solution`` cell: a dotted name the answer may not use, e.g.
                   ``forbid=numpy.linalg.svd`` (repeatable; nbformat forbids commas in tags); in
                   ``metadata.coursekit.forbid`` and enforced by the grader
                   (:func:`coursekit.homework.methods.check_method`)
=================  ==========================================================================

:func:`author` turns the tags into ``metadata.nbgrader`` (schema version 3) with grade ids derived
from the chapter and the question: ``<chapter>-<q>-solution``, ``<chapter>-<q>-tests`` and
``<chapter>-<q>-locked-<k>`` (``k`` counts the locked cells of a question; a locked cell without a
``q=`` tag belongs to the next tagged question, or to ``end``). Tags are the single source of truth:
an untagged cell loses any nbgrader metadata, and running :func:`author` twice changes nothing.
Code solution cells also get the tag ``hide-input`` and test cells that hold hidden tests get
``remove-input``: a second guard for anyone who renders an instructor notebook directly. The
published book never depends on them: its homework pages are the releases (``coursekit.edition``),
which hold no solution and no hidden test at all.

Taught in: not taught; the instructor's side of the homework notebooks (see the README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit.homework.methods import parse_forbid

__all__ = [
    "AuthoringSummary",
    "author",
    "author_notebook",
    "solution_regions",
    "hidden_test_regions",
    "strip_hidden_tests",
    "SOLUTION_TAG",
    "TESTS_TAG",
    "LOCKED_TAGS",
    "HIDE_INPUT_TAG",
    "REMOVE_INPUT_TAG",
]

SOLUTION_TAG = "solution"
TESTS_TAG = "tests"
LOCKED_TAGS = ("locked", "readonly")
HIDE_INPUT_TAG = "hide-input"
REMOVE_INPUT_TAG = "remove-input"
HIDDEN_TESTS_MARK = "### BEGIN HIDDEN TESTS"
POINTS_PREFIX = "points="
FORBID_PREFIX = "forbid="
QUESTION_PREFIX = "q="
SCHEMA_VERSION = 3

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"

_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass
class AuthoringSummary:
    """What :func:`author` found and did.

    Attributes
    ----------
    chapter : str
        The chapter the grade ids were derived from.
    questions : dict of str to float
        Points of each question, in notebook order.
    grade_ids : list of str
        The grade id of every nbgrader cell, in notebook order.
    changed : bool
        Whether the notebook's metadata changed (and, with ``write=True``, was written).
    """

    chapter: str
    questions: dict[str, float] = field(default_factory=dict)
    grade_ids: list[str] = field(default_factory=list)
    changed: bool = False

    @property
    def total_points(self) -> float:
        """Sum of the points of all questions."""
        return float(sum(self.questions.values()))


def _regions(source: str, begin: str, end: str, where: str) -> list[list[str]]:
    regions: list[list[str]] = []
    current: list[str] | None = None
    for line in source.splitlines():
        if begin in line:
            if current is not None:
                raise ValueError(f"{where}: nested {begin!r}")
            current = []
        elif end in line:
            if current is None:
                raise ValueError(f"{where}: {end!r} without {begin!r}")
            regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        raise ValueError(f"{where}: {begin!r} without {end!r}")
    return regions


def solution_regions(source: str, where: str = "cell") -> list[list[str]]:
    """Lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``, one list per region.

    Raises
    ------
    ValueError
        If the markers are unbalanced or nested (``where`` names the cell in the message).
    """
    return _regions(source, BEGIN_SOLUTION, END_SOLUTION, where)


def hidden_test_regions(source: str, where: str = "cell") -> list[list[str]]:
    """Lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, one list per region.

    Raises
    ------
    ValueError
        If the markers are unbalanced or nested (``where`` names the cell in the message).
    """
    return _regions(source, BEGIN_HIDDEN, END_HIDDEN, where)


def strip_hidden_tests(source: str) -> str:
    """Return ``source`` without its hidden-test regions (markers included), as students see it."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            hidden = True
        elif END_HIDDEN in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


@dataclass
class _Spec:
    index: int
    kind: str | None  # "solution", "tests", "locked" or None
    question: str | None
    points: float | None
    forbid: list[str] = field(default_factory=list)


def _parse_tags(cell, index: int) -> _Spec:
    tags = list(cell.get("metadata", {}).get("tags", []))
    where = f"cell {index}"
    kinds = []
    if SOLUTION_TAG in tags:
        kinds.append("solution")
    if TESTS_TAG in tags:
        kinds.append("tests")
    if any(tag in tags for tag in LOCKED_TAGS):
        kinds.append("locked")
    if len(kinds) > 1:
        raise ValueError(
            f"{where} has the tags {kinds}: a cell is one of 'solution', 'tests' or 'locked'"
        )
    kind = kinds[0] if kinds else None

    points_tags = [t for t in tags if t.startswith(POINTS_PREFIX)]
    question_tags = [t for t in tags if t.startswith(QUESTION_PREFIX)]
    if len(points_tags) > 1 or len(question_tags) > 1:
        raise ValueError(f"{where} has several 'points=' or 'q=' tags: {tags}")

    question = None
    if question_tags:
        question = question_tags[0][len(QUESTION_PREFIX) :]
        if not _NAME.match(question):
            raise ValueError(
                f"{where}: question name {question!r} in tag {question_tags[0]!r} must use "
                "only letters, digits and '_'"
            )
    points = None
    if points_tags:
        raw = points_tags[0][len(POINTS_PREFIX) :]
        try:
            points = float(raw)
        except ValueError:
            raise ValueError(f"{where}: tag {points_tags[0]!r} is not a number of points") from None
        if not points > 0:
            raise ValueError(f"{where}: tag {points_tags[0]!r} must give a positive number")

    forbid_tags = [t for t in tags if t.startswith(FORBID_PREFIX)]
    forbid: list[str] = []
    if forbid_tags:
        if kind != "solution":
            raise ValueError(f"{where} has a {forbid_tags[0]!r} tag but is not tagged 'solution'")
        try:
            forbid = parse_forbid([t[len(FORBID_PREFIX):] for t in forbid_tags])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    if kind in ("solution", "tests"):
        if cell.cell_type != "code":
            raise ValueError(
                f"{where} is tagged {kind!r} but is a {cell.cell_type} cell: "
                "only code cells can be autograded"
            )
        if question is None:
            raise ValueError(f"{where} is tagged {kind!r} but has no 'q=NAME' tag")
    if kind == "tests" and points is None:
        raise ValueError(f"{where} is tagged 'tests' (q={question}) but has no 'points=N' tag")
    if points is not None and kind != "tests":
        raise ValueError(f"{where} has a {points_tags[0]!r} tag but is not tagged 'tests'")

    source = cell.source
    sol = solution_regions(source, where)
    hid = hidden_test_regions(source, where)
    if sol and kind != "solution":
        raise ValueError(f"{where} has solution markers but is not tagged 'solution'")
    if hid and kind != "tests":
        raise ValueError(f"{where} has hidden-test markers but is not tagged 'tests'")
    return _Spec(index, kind, question, points, forbid)


def _number(points: float) -> float | int:
    return int(points) if float(points).is_integer() else points


def author_notebook(nb, chapter: str) -> AuthoringSummary:
    """Write ``metadata.nbgrader`` of every cell of ``nb`` (in place) from its tags.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The instructor notebook.
    chapter : str
        Chapter name, the prefix of every grade id (letters, digits and ``_``).

    Returns
    -------
    AuthoringSummary
        Questions, points and grade ids; ``changed`` says whether any metadata changed.

    Raises
    ------
    ValueError
        On a bad tag (a ``tests`` cell without ``points=N``, a graded cell without ``q=``, ...),
        unbalanced markers, or two cells with the same grade id.
    """
    if not isinstance(chapter, str) or not _NAME.match(chapter):
        raise ValueError(f"chapter={chapter!r}: use only letters, digits and '_'")
    specs = [_parse_tags(cell, i) for i, cell in enumerate(nb.cells)]

    # A locked cell without q= belongs to the next question (its prose introduces it).
    next_question = "end"
    owner: dict[int, str] = {}
    for spec in reversed(specs):
        if spec.kind in ("solution", "tests"):
            next_question = spec.question
        elif spec.kind == "locked":
            owner[spec.index] = spec.question or next_question

    summary = AuthoringSummary(chapter=chapter)
    seen: dict[str, int] = {}
    locked_count: dict[str, int] = {}
    for spec, cell in zip(specs, nb.cells, strict=True):
        old_meta = cell.metadata.get("nbgrader")
        old_tags = list(cell.metadata.get("tags", []))
        if spec.kind is None:
            for key in ("nbgrader", "coursekit"):
                if key in cell.metadata:
                    del cell.metadata[key]
                    summary.changed = True
            continue
        if spec.kind == "locked":
            q = owner[spec.index]
            locked_count[q] = locked_count.get(q, 0) + 1
            grade_id = f"{chapter}-{q}-locked-{locked_count[q]}"
        else:
            grade_id = f"{chapter}-{spec.question}-{spec.kind}"
        if grade_id in seen:
            raise ValueError(
                f"duplicate grade id {grade_id!r} (cells {seen[grade_id]} and {spec.index}): "
                f"give each {spec.kind} cell its own 'q=' tag"
            )
        seen[grade_id] = spec.index
        meta = {
            "grade": spec.kind == "tests",
            "grade_id": grade_id,
            "locked": spec.kind in ("tests", "locked"),
            "schema_version": SCHEMA_VERSION,
            "solution": spec.kind == "solution",
            "task": False,
        }
        if spec.kind == "tests":
            meta["points"] = _number(spec.points)
            summary.questions[spec.question] = float(spec.points)
        summary.grade_ids.append(grade_id)
        if old_meta != meta:
            cell.metadata["nbgrader"] = meta
            summary.changed = True
        old_extra = cell.metadata.get("coursekit")
        new_extra = {"forbid": spec.forbid} if spec.forbid else None
        if old_extra != new_extra:
            if new_extra is None:
                del cell.metadata["coursekit"]
            else:
                cell.metadata["coursekit"] = new_extra
            summary.changed = True
        if spec.kind == "solution" and HIDE_INPUT_TAG not in old_tags:
            cell.metadata["tags"] = old_tags + [HIDE_INPUT_TAG]
            summary.changed = True
        hidden = spec.kind == "tests" and HIDDEN_TESTS_MARK in "".join(cell.source)
        if hidden and REMOVE_INPUT_TAG not in old_tags:
            cell.metadata["tags"] = old_tags + [REMOVE_INPUT_TAG]
            summary.changed = True
    return summary


def author(
    notebook: str | Path, chapter: str | None = None, write: bool = True
) -> AuthoringSummary:
    """Read a homework notebook, derive nbgrader metadata from its tags, and save it if changed.

    Parameters
    ----------
    notebook : str or Path
        Path of the instructor notebook, e.g. ``chapters/svd/homework.ipynb``.
    chapter : str, optional
        Chapter name for the grade ids; defaults to the notebook's folder name.
    write : bool, default True
        Write the notebook back when its metadata changed (outputs and sources are untouched).

    Returns
    -------
    AuthoringSummary

    Raises
    ------
    ValueError
        If ``notebook`` is not an existing ``.ipynb`` file, or on any tag error
        (see :func:`author_notebook`).
    """
    path = Path(notebook)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"notebook={str(notebook)!r} is not an existing .ipynb file")
    if chapter is None:
        chapter = path.resolve().parent.name
    nb = nbformat.read(path, as_version=4)
    try:
        summary = author_notebook(nb, chapter)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if write and summary.changed:
        nbformat.write(nb, path)
    return summary
