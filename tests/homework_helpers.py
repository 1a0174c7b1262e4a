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


# --------------------------------------------------------------------------- a small homework
TOY_SETUP = '''import numpy as np
from numpy.testing import assert_allclose


class Pair:
    """Two numbers."""

    def __init__(self, a, b):
        self.a, self.b = a, b'''

TOY_CELLS = [
    ("markdown", "# A toy homework\nFour small questions.", ["locked"]),
    ("code", TOY_SETUP, ["locked"]),
    ("markdown", "**square**: `square(x)` returns x squared, elementwise.", ["locked"]),
    ("code", '''def square(x):
    """x squared, elementwise."""
    ### BEGIN SOLUTION
    return np.asarray(x, dtype=float) ** 2  # SOLUTION-LINE-SQUARE
    ### END SOLUTION''', ["solution", "q=square"]),
    ("code", "print(square(3.0))", []),
    ("code", '''x = np.array([1.0, -2.0, 3.0])
assert_allclose(square(x), x * x, err_msg="square(x) should be x * x")
assert np.linalg.norm(square(x) - x * x) < 1e-12, "square(x) should be x * x (norm)"
print("square: visible tests passed")
### BEGIN HIDDEN TESTS
_z = np.linspace(-3.0, 3.0, 7)
assert_allclose(square(_z), _z * _z, rtol=1e-12)  # HIDDEN-LINE-SQUARE
### END HIDDEN TESTS''', ["tests", "q=square", "points=2"]),
    ("markdown", "**norm**: `vec_norm(x)`, the Euclidean norm, without `numpy.linalg.norm`.",
     ["locked"]),
    ("code", '''def vec_norm(x):
    """Euclidean norm of a vector."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    return float(np.sqrt(np.sum(x * x)))  # SOLUTION-LINE-NORM
    ### END SOLUTION''', ["solution", "q=norm", "forbid=numpy.linalg.norm"]),
    ("code", '''assert abs(vec_norm([3.0, 4.0]) - 5.0) < 1e-12, "vec_norm([3, 4]) should be 5"
print("vec_norm: visible tests passed")
### BEGIN HIDDEN TESTS
_v = np.arange(5.0)
assert abs(vec_norm(_v) - np.sqrt(30.0)) < 1e-12  # HIDDEN-LINE-NORM
### END HIDDEN TESTS''', ["tests", "q=norm", "points=3"]),
    ("markdown", "**pair**: `make_pair(a, b)` returns `Pair(float(a), float(b))`; a class "
                 "`Counter` whose `bump()` counts its calls.", ["locked"]),
    ("code", '''def make_pair(a, b):
    """A Pair of floats."""
    ### BEGIN SOLUTION
    return Pair(float(a), float(b))  # SOLUTION-LINE-PAIR
    ### END SOLUTION


class Counter:
    """Counts the calls of bump()."""

    def __init__(self):
        ### BEGIN SOLUTION
        self.n = 0
        ### END SOLUTION

    def bump(self):
        ### BEGIN SOLUTION
        self.n += 1
        return self.n
        ### END SOLUTION''', ["solution", "q=pair"]),
    ("code", '''p = make_pair(1, 2)
assert isinstance(p, Pair), "make_pair should return a Pair"
assert (p.a, p.b) == (1.0, 2.0), "make_pair(1, 2) should hold 1.0 and 2.0"
c = Counter()
assert c.bump() == 1 and c.bump() == 2, "Counter().bump() should return 1, then 2"
print("pair: visible tests passed")
### BEGIN HIDDEN TESTS
try:
    make_pair("not a number", 1)
except ValueError:
    pass
else:
    raise AssertionError("no ValueError")  # HIDDEN-LINE-PAIR
### END HIDDEN TESTS''', ["tests", "q=pair", "points=2"]),
    ("markdown", "**total**: `total(x)`, the sum of the entries, as a float.", ["locked"]),
    ("code", '''def total(x):
    """Sum of the entries."""
    ### BEGIN SOLUTION
    return float(np.sum(x))  # SOLUTION-LINE-TOTAL
    ### END SOLUTION''', ["solution", "q=total"]),
    ("code", '''assert total([1, 2, 3]) == 6.0, "total([1, 2, 3]) should be 6"
print("total: visible tests passed")
### BEGIN HIDDEN TESTS
assert total(np.ones(10)) == 10.0  # HIDDEN-LINE-TOTAL
### END HIDDEN TESTS''', ["tests", "q=total", "points=3"]),
]
TOY_POINTS = {"square": 2, "norm": 3, "pair": 2, "total": 3}


def make_toy_book(root, chapter="toy"):
    """Write a book with one small authored homework ``chapters/<chapter>/homework.ipynb``."""
    from pathlib import Path

    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from coursekit.homework import author

    cells = [
        (new_code_cell if kind == "code" else new_markdown_cell)(source, metadata={"tags": tags})
        for kind, source, tags in TOY_CELLS
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = Path(root) / "chapters" / chapter / "homework.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    author(path)
    return path
