"""Helpers shared by the homework tests: grade ids and submissions built from a release."""

from __future__ import annotations

import copy

from coursekit.homework.authoring import BEGIN_SOLUTION, END_SOLUTION


def grade_id(cell):
    """The nbgrader grade id of a cell, or None for an ungraded cell."""
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def fill_answers(release_nb, source_nb, chapter, answers=None):
    """The release with every answer filled in, as a student would submit it.

    ``answers[question]`` replaces that question's solution cell; an answer of ``None`` keeps
    the stub; a question not in ``answers`` gets the instructor's solution (markers removed).
    """
    answers = answers or {}
    nb = copy.deepcopy(release_nb)
    solutions = {grade_id(c): c.source for c in source_nb.cells}
    for cell in nb.cells:
        gid = grade_id(cell)
        if not (gid and gid.endswith("-solution")):
            continue
        question = gid[len(chapter) + 1 : -len("-solution")]
        if question not in answers:
            cell.source = "\n".join(
                line for line in solutions[gid].split("\n")
                if BEGIN_SOLUTION not in line and END_SOLUTION not in line
            )
        elif answers[question] is not None:
            cell.source = answers[question].strip()
    return nb
