"""Static checks of answers: forbidden calls under any alias (check_method), hostile constructs
(scan_hostile) with no false alarm on the instructor solutions, the forbid= authoring tag, and the
crossing rules of the wire format."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coursekit.homework import author_notebook, check_method, scan_hostile, wire
from coursekit.homework.authoring import BEGIN_SOLUTION, END_SOLUTION

ROOT = Path(__file__).resolve().parents[1]
SETUP = "import numpy as np\nfrom numpy.testing import assert_allclose"
SVD = ["numpy.linalg.svd"]


@pytest.mark.parametrize("source", [
    "def f(A):\n    return np.linalg.svd(A)",
    "import numpy\ndef f(A):\n    return numpy.linalg.svd(A)",
    "import numpy.linalg as la\ndef f(A):\n    return la.svd(A)",
    "from numpy.linalg import svd as s\ndef f(A):\n    return s(A)",
    "from numpy import linalg\ndef f(A):\n    return linalg.svd(A)",
    "def f(A):\n    return getattr(np.linalg, 'svd')(A)",
    "lin = np.linalg\ndef f(A):\n    return lin.svd(A)",
    "def f(A):\n    return getattr(np.linalg, 's' + 'vd')(A)",
    "def f(A):\n    return __import__('numpy').linalg.svd(A)",
    "import importlib\ndef f(A):\n    return importlib.import_module('numpy.linalg').svd(A)",
    "def f(A):\n    return eval('np.linalg.svd')(A)",
    "def f(A):\n    return np.linalg.__dict__['svd'](A)",
    "import sys\ndef f(A):\n    return sys.modules['numpy.linalg'].svd(A)",
    "from numpy.linalg import *\ndef f(A):\n    return svd(A)",
    "def f(A):\n    return vars(np.linalg)['svd'](A)",
])
def test_check_method_finds_forbidden_calls_under_any_name(source):
    assert check_method(source, SVD, context=SETUP)


@pytest.mark.parametrize("source", [
    "def f(A):\n    return np.linalg.eigh(A.T @ A)",
    "import numpy.linalg as la\ndef f(A):\n    return la.qr(A)",
    "def f(A):\n    svd = 3\n    return A * svd",  # a local name, not the library's
    "def f(A):\n    return getattr(np.linalg, 'norm')(A)",
])
def test_check_method_accepts_other_calls(source):
    assert check_method(source, SVD, context=SETUP) == []


def test_check_method_names_the_call_and_line_and_takes_functions():
    source = "from numpy import var as v\n\ndef f(x):\n    return v(x)"
    assert check_method(source, "numpy.var") == ["numpy.var (line 1)", "numpy.var (line 4)"]
    assert check_method(source, []) == []

    def honest(x):
        return np.mean((x - np.mean(x)) ** 2)

    def banned(x):
        return np.var(x)

    assert check_method(honest, ["numpy.var"]) == []
    assert check_method(banned, ["numpy.var"])


@pytest.mark.parametrize("bad", ["svd", "numpy..svd", "numpy.linalg.svd()", 3])
def test_check_method_rejects_bad_names(bad):
    with pytest.raises(ValueError, match="forbid"):
        check_method("x = 1", [bad])


@pytest.mark.parametrize("source, construct", [
    ("get_ipython().ast_transformers.append(None)", "get_ipython"),
    ("import sys\nf = sys._getframe(1)", "frame"),
    ("import inspect\nf = inspect.currentframe().f_back", "frame"),
    ("f.__code__ = g.__code__", "__code__"),
    ("np.linalg.norm = abs", "patching a library"),
    ("setattr(np.testing, 'assert_allclose', print)", "patching a library"),
    ("import os\nos.kill(os.getppid(), 9)", "os.kill"),
    ("import subprocess", "subprocess"),
    ("import ctypes", "ctypes"),
    ("import gc\ngc.get_objects()", "gc"),
    ("import sys\nsys.modules['numpy'] = None", "sys.modules"),
    ("open('x.txt', 'w').write('1')", "writing a file"),
    ("p = '~/.ipython/profile_default/startup/a.py'", "start-up"),
    ("import builtins\nbuiltins.len = None", "builtins"),
    ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)", "signal"),
])
def test_scan_hostile_flags_attacks(source, construct):
    found = scan_hostile(source, SETUP)
    assert found and any(construct in f for f in found), found


def _solutions(chapter):
    nb = nbformat.read(ROOT / "chapters" / chapter / "homework.ipynb", as_version=4)
    setup = "\n".join(c.source for c in nb.cells if c.cell_type == "code"
                      and c.metadata.get("nbgrader", {}).get("locked")
                      and not c.metadata["nbgrader"].get("grade"))
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    return setup, answers


@pytest.mark.parametrize("chapter", sorted(p.parent.name for p in
                                           (ROOT / "chapters").glob("*/homework.ipynb")))
def test_no_false_alarm_on_the_instructor_solutions(chapter):
    setup, answers = _solutions(chapter)
    assert answers
    for cell in answers:
        source = "\n".join(line for line in cell.source.split("\n")
                           if BEGIN_SOLUTION not in line and END_SOLUTION not in line)
        assert scan_hostile(source, setup) == [], cell.metadata["nbgrader"]["grade_id"]
        forbid = cell.metadata.get("coursekit", {}).get("forbid", [])
        assert check_method(source, forbid, context=setup) == []


def test_forbid_tag_is_validated_and_stored_by_author():
    def nb(*tags):
        return new_notebook(cells=[
            new_code_cell("def f(A):\n    ### BEGIN SOLUTION\n    return A\n    ### END SOLUTION",
                          metadata={"tags": ["solution", "q=one", *tags]}),
            new_code_cell("assert f(1) == 1", metadata={"tags": ["tests", "q=one", "points=1"]}),
        ])

    book = nb("forbid=numpy.linalg.svd", "forbid=numpy.var", "forbid=numpy.std")
    summary = author_notebook(book, "toy")
    assert summary.changed
    assert book.cells[0].metadata["coursekit"] == {
        "forbid": ["numpy.linalg.svd", "numpy.var", "numpy.std"]}
    assert author_notebook(book, "toy").changed is False
    book.cells[0].metadata["tags"] = ["solution", "q=one"]
    assert author_notebook(book, "toy").changed and "coursekit" not in book.cells[0].metadata
    with pytest.raises(ValueError, match="dotted name"):
        author_notebook(nb("forbid=svd"), "toy")
    bad = nb()
    bad.cells[1].metadata["tags"].append("forbid=numpy.var")
    with pytest.raises(ValueError, match="not tagged 'solution'"):
        author_notebook(bad, "toy")


# --------------------------------------------------------------------------- the crossing rules
class Dual:
    def __init__(self, val, dot):
        self.val, self.dot = val, dot


def _round_trip(value, setup=None):
    import json

    return wire.decode(json.loads(json.dumps(wire.encode(value, setup))), setup)


def test_data_crosses_exactly():
    import torch

    value = {"a": [1, 2.5, -0.0, float("inf"), 1 + 2j, None, True, "s", b"\x00\xff"],
             "t": (np.arange(6, dtype=np.int16).reshape(2, 3), np.float32(1.5),
                   np.array([1 + 1j]), np.zeros((0, 3)))}
    back = _round_trip(value)
    assert back["a"] == value["a"] and type(back["t"]) is tuple
    for x, y in zip(back["t"], value["t"], strict=True):
        assert np.array_equal(x, y) and np.asarray(x).dtype == np.asarray(y).dtype
        assert np.shape(x) == np.shape(y)
    assert isinstance(back["t"][1], np.float32)
    tensor = _round_trip(torch.arange(4.0, dtype=torch.float64))
    assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.float64
    assert torch.equal(tensor, torch.arange(4.0, dtype=torch.float64))


def test_setup_classes_cross_by_value_and_functions_by_name():
    setup = {"Dual": Dual, "len": len}
    back = _round_trip([Dual(1.0, np.ones(2)), len], setup)
    assert isinstance(back[0], Dual) and back[0].val == 1.0
    assert np.array_equal(back[0].dot, np.ones(2)) and back[1] is len


@pytest.mark.parametrize("value", [lambda x: x, object(), np.array([object()]), {1: 2},
                                   Dual(1.0, 2.0)])
def test_other_values_do_not_cross(value):
    with pytest.raises(wire.CrossingError):
        wire.encode(value, {})


@pytest.mark.parametrize("data", [
    {"$nd": ["|O", [1], ""]},
    {"$nd": ["<f8", [2], "AAAAAAAA8D8="]},  # 8 bytes for 2 floats
    {"$nd": ["<f8", [-1], ""]},
    {"$obj": ["os", {"$d": []}]},
    {"$ref": "print"},
    {"$h": 3},
    {"x": 1},
    [1, 2],
    1.5,
])
def test_malformed_data_is_refused(data):
    with pytest.raises(wire.WireError):
        wire.decode(data, {"Dual": Dual})


def test_check_method_with_imports_as_context_and_grader_proxies():
    found = check_method("def f(A):\n    return s(A)", SVD,
                         context="from numpy.linalg import svd as s")
    assert found == ["numpy.linalg.svd (line 2)"]
    from coursekit.homework.sandbox import Remote

    assert check_method(Remote(None, {"$name": "f"}, None), SVD) == []
