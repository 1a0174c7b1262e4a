"""The trusted grader against submissions that attack it (issue 7: every attack class a test).

One small homework (tests/homework_helpers.py: four questions, 10 points) is graded for an honest
student and one attacker per attack class, in ONE run (module-scoped fixture). Each attack must
score 0 on the question it targets, be reported (a status and an entry of the review list), leak
nothing of a solution or a hidden test, and leave the honest student (and the attacker's other,
correct answers) graded correctly.

Two layers protect the grades: the static scan of answers (``scan_hostile``, ``check_method``)
and the design (tests run outside the student's process, in a sandbox that sees nothing). The
second run grades the same attackers with the static checks switched off: the design alone must
still give 0 points and spare the others.
"""

from __future__ import annotations

import copy
import csv
import io
import time
from pathlib import Path

import nbformat
import pytest
from homework_helpers import TOY_POINTS, fill_answers, grade_id, make_toy_book

from coursekit.homework import grade, release
from coursekit.homework.sandbox import Client, Session, sandbox_available

CHAPTER = "toy"
TIMEOUT = 3
HOME = Path.home()
STARTUP = HOME / ".ipython" / "profile_default" / "startup" / "00-coursekit-attack.py"
CANARY = "LEAK-CANARY-7f3a"

WRONG_SQUARE = "def square(x):\n    return x  # wrong: x, not x * x\n"

# name -> (question attacked, answer source, statuses accepted with the static checks on)
ANSWER_ATTACKS = {
    "ipython_ast": ("square", '''import ast


class _Blank(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.Module(body=[], type_ignores=[])


get_ipython().ast_transformers.append(_Blank())
''' + WRONG_SQUARE, {"integrity"}),
    "ipython_input": ("square", '''get_ipython().input_transformers_cleanup.append(lambda lines: [])
''' + WRONG_SQUARE, {"integrity"}),
    "ipython_exc_hook": ("square", '''ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
ip.events.register("post_run_cell", lambda result: None)
''' + WRONG_SQUARE, {"integrity"}),
    "patch_assert": ("square", '''import numpy.testing
numpy.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_allclose = lambda *args, **kwargs: None
assert_allclose = lambda *args, **kwargs: None
''' + WRONG_SQUARE, {"integrity"}),
    "patch_code": ("square", '''assert_allclose.__code__ = (lambda *args, **kwargs: None).__code__
''' + WRONG_SQUARE, {"integrity"}),
    "patch_internals": ("square", '''import numpy.testing._private.utils as utils
utils.assert_array_compare = lambda *args, **kwargs: None
''' + WRONG_SQUARE, {"integrity"}),
    "patch_norm": ("square", '''np.linalg.norm = lambda *args, **kwargs: 0.0
setattr(np.linalg, "norm", lambda *args, **kwargs: 0.0)
''' + WRONG_SQUARE, {"integrity"}),
    "frame": ("square", '''import sys


def square(x):
    caller = sys._getframe(1)
    caller.f_globals["assert_allclose"] = lambda *args, **kwargs: None
    caller.f_globals["np"] = None
    return x
''', {"integrity"}),
    "detached_writer": ("square", '''import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(2)
        for path in TARGETS:
            try:
                with open(path, "a") as handle:
                    handle.write("HACKED")
            except OSError:
                pass
    os._exit(0)
''' + WRONG_SQUARE, {"integrity"}),
    "startup_file": ("square", '''import os

for home in ("~", HOME):
    folder = os.path.join(os.path.expanduser(home), ".ipython", "profile_default", "startup")
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "00-coursekit-attack.py"), "w") as handle:
            handle.write("get_ipython().ast_transformers.clear()")
    except OSError:
        pass
''' + WRONG_SQUARE, {"integrity"}),
    "kill_parent": ("square", '''import os

os.kill(os.getppid(), 9)
''' + WRONG_SQUARE, {"integrity"}),
    "kill_group": ("square", '''import os

os.killpg(0, 9)
''' + WRONG_SQUARE, {"integrity"}),
    "kill_in_call": ("square", '''import os


def square(x):
    os.kill(os.getpid(), 9)
''', {"integrity"}),
    "fill_disk": ("square", '''chunk = b"0" * 2**20
for path in ("/tmp/fill", "fill"):
    try:
        with open(path, "wb") as handle:
            for _ in range(1024):
                handle.write(chunk)
    except OSError:
        pass
''' + WRONG_SQUARE, {"integrity"}),
    "fill_memory": ("square", '''def square(x):
    hog = np.ones(2**31)
    return x
''', {"failed"}),
    "sigint_loop": ("total", '''import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)


def total(x):
    while True:
        pass
''', {"integrity"}),
    "always_equal": ("total", '''class _Anything(float):
    def __eq__(self, other):
        return True

    __ne__ = __lt__ = __gt__ = lambda self, other: False
    __hash__ = float.__hash__


def total(x):
    return _Anything(0.0)
''', {"failed"}),
    "plain_loop": ("total", '''def total(x):
    while True:
        pass
''', {"timeout"}),
    "sleepy_answer": ("total", '''import time

time.sleep(600)


def total(x):
    return float(np.sum(x))
''', {"timeout"}),
    "huge_output": ("square", '''def square(x):
    print("x" * 50_000_000)
    return np.zeros(12_000_000)
''', {"failed"}),
    "leaky_exception": ("square", f'''def square(x):
    texts = ["{CANARY}", repr(x)]
    for path in ("/proc/self/cmdline", "/proc/1/cmdline", "/etc/hostname"):
        try:
            texts.append(open(path).read())
        except OSError:
            pass
    raise ValueError(" ".join(texts))
''', {"failed"}),
    "odd_exception_name": ("square", '''def square(x):
    raise type("Boom\\n| injected | markdown |", (ValueError,), {})()
''', {"failed"}),
    "forbid_module_alias": ("norm", '''import numpy.linalg as la


def vec_norm(x):
    return float(la.norm(x))
''', {"forbidden"}),
    "forbid_from_as": ("norm", '''from numpy.linalg import norm as n


def vec_norm(x):
    return float(n(x))
''', {"forbidden"}),
    "forbid_attribute": ("norm", '''def vec_norm(x):
    return float(np.linalg.norm(x))
''', {"forbidden"}),
    "forbid_getattr_literal": ("norm", '''def vec_norm(x):
    return float(getattr(np.linalg, "norm")(x))
''', {"forbidden"}),
    "forbid_getattr_computed": ("norm", '''def vec_norm(x):
    return float(getattr(np.linalg, "no" + "rm")(x))
''', {"forbidden"}),
    "forbid_dunder_import": ("norm", '''def vec_norm(x):
    return float(__import__("numpy").linalg.norm(x))
''', {"integrity", "forbidden"}),
}
# Attacks on the notebook's structure: (question, statuses accepted).
STRUCTURE_ATTACKS = {
    "moved_below_free": ("square", {"failed"}),
    "moved_order": ("square", {"integrity"}),
    "points_raised": ("square", {"integrity"}),
    "test_deleted": ("square", {"integrity"}),
    "metadata_removed": ("norm", {"integrity"}),
    "retyped": ("square", {"integrity"}),
    "copied_test": ("square", {"integrity"}),
}


def _move(nb, gid, before_gid=None, after_gid=None):
    cells = nb.cells
    cell = next(c for c in cells if grade_id(c) == gid)
    cells.remove(cell)
    anchor = next(i for i, c in enumerate(cells) if grade_id(c) == (before_gid or after_gid))
    cells.insert(anchor if before_gid else anchor + 1, cell)


def _structure_attack(name, rel, src):
    question = STRUCTURE_ATTACKS[name][0]
    wrong = {"square": WRONG_SQUARE, "norm": "def vec_norm(x):\n    return 0.0\n"}[question]
    nb = fill_answers(rel, src, CHAPTER, {question: wrong})
    cells = {grade_id(c): c for c in nb.cells if grade_id(c)}
    tests = cells[f"{CHAPTER}-square-tests"]
    if name == "moved_below_free":
        # the stub answer, then a free cell with the right answer, then the test cell
        nb = fill_answers(rel, src, CHAPTER, {"square": None})
        index = [grade_id(c) for c in nb.cells].index(f"{CHAPTER}-square-tests")
        nb.cells.insert(index, nbformat.v4.new_code_cell(
            "def square(x):\n    return np.asarray(x, dtype=float) ** 2"))
    elif name == "moved_order":
        _move(nb, tests_id := f"{CHAPTER}-square-tests", after_gid=f"{CHAPTER}-norm-tests")
        assert tests_id
    elif name == "points_raised":
        tests.metadata.nbgrader["points"] = 100
        tests.source = 'print("square: visible tests passed")'
    elif name == "test_deleted":
        nb.cells.remove(tests)
    elif name == "metadata_removed":
        del cells[f"{CHAPTER}-norm-tests"].metadata["nbgrader"]
        cells[f"{CHAPTER}-norm-tests"].source = "pass"
    elif name == "retyped":
        answer = cells[f"{CHAPTER}-square-solution"]
        index = nb.cells.index(answer)
        nb.cells[index] = nbformat.v4.new_markdown_cell(answer.source, metadata=answer.metadata)
    elif name == "copied_test":
        copied = copy.deepcopy(tests)
        copied.id = "copied-test"
        copied.source = 'print("square: visible tests passed")'
        nb.cells.insert(nb.cells.index(cells[f"{CHAPTER}-square-solution"]), copied)
    return nb


def _secret_lines(src):
    lines = []
    for cell in src.cells:
        inside = False
        for line in cell.source.split("\n"):
            if "### BEGIN" in line:
                inside = True
            elif "### END" in line:
                inside = False
            elif inside and len(line.strip()) > 8:
                lines.append(line.strip())
    return lines


def _submit(subs, student, nb):
    path = subs / student / CHAPTER / "homework.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)


def _build(base):
    book = base / "book"
    make_toy_book(book)
    release(base / "release", book=book)
    rel = nbformat.read(base / "release" / CHAPTER / "homework.ipynb", as_version=4)
    src = nbformat.read(book / "chapters" / CHAPTER / "homework.ipynb", as_version=4)
    subs = base / "submissions"
    out = base / "out" / "grades.csv"
    targets = [str(out), str(out.with_name("grades-review.csv")),
               str(base / "out" / "feedback" / "honest" / f"{CHAPTER}.md")]
    _submit(subs, "honest", fill_answers(rel, src, CHAPTER))
    _submit(subs, "instructor", src)
    for name, (question, answer, _) in ANSWER_ATTACKS.items():
        answer = answer.replace("TARGETS", repr(targets)).replace("HOME", repr(str(HOME)))
        _submit(subs, name, fill_answers(rel, src, CHAPTER, {question: answer}))
    for name in STRUCTURE_ATTACKS:
        _submit(subs, name, _structure_attack(name, rel, src))
    sleepy = fill_answers(rel, src, CHAPTER)
    for _ in range(10):
        sleepy.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    sleepy.cells.append(nbformat.v4.new_code_cell("def square(x):\n    return x"))
    _submit(subs, "sleepy_free_cells", sleepy)
    corrupt = subs / "corrupt" / CHAPTER / "homework.ipynb"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"cells": [ not json', encoding="utf-8")
    return book, src, subs, out


def _run(tmp_path_factory, name, jobs):
    base = tmp_path_factory.mktemp(name)
    book, src, subs, out = _build(base)
    log = io.StringIO()
    start = time.perf_counter()
    report = grade(subs, out, book=book, timeout=TIMEOUT, log=log, jobs=jobs)
    elapsed = time.perf_counter() - start
    print(f"\n{name}: graded {len(report.seconds)} submissions in {elapsed:.1f} s "
          f"with jobs={jobs}")
    return report, log.getvalue(), base, src, out


pytestmark = pytest.mark.skipif(sandbox_available() is None, reason="needs bwrap (bubblewrap)")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if STARTUP.exists():
        STARTUP.unlink()
    return _run(tmp_path_factory, "attacks", jobs=2)


@pytest.fixture(scope="module")
def graded_without_static_checks(tmp_path_factory):
    """The same class with scan_hostile and check_method switched off: the design alone."""
    import coursekit.homework.trusted as trusted

    saved = trusted.scan_hostile, trusted.check_method
    trusted.scan_hostile = lambda source, context="": []
    trusted.check_method = lambda source, forbid, context="": []
    try:
        return _run(tmp_path_factory, "design-only", jobs=1)
    finally:
        trusted.scan_hostile, trusted.check_method = saved


def _by_question(report, student):
    return report.by_question(student, CHAPTER)


def _review(base):
    with open(base / "out" / "grades-review.csv", newline="") as handle:
        return list(csv.DictReader(handle))


ALL_ATTACKS = {**{k: (q, s) for k, (q, _, s) in ANSWER_ATTACKS.items()}, **STRUCTURE_ATTACKS}


def test_honest_and_instructor_get_full_marks_without_review(graded):
    report, _, base, _, _ = graded
    for student in ("honest", "instructor", "sleepy_free_cells"):
        results = _by_question(report, student)
        assert {q: r.status for q, r in results.items()} == {q: "passed" for q in TOY_POINTS}
        assert report.total(student, CHAPTER) == 10
    assert not [r for r in _review(base)
                if r["student"] in ("honest", "instructor", "sleepy_free_cells")]


@pytest.mark.parametrize("attack", sorted(ALL_ATTACKS))
def test_attack_scores_zero_is_reported_and_spares_the_rest(graded, attack):
    report, _, base, _, _ = graded
    question, statuses = ALL_ATTACKS[attack]
    results = _by_question(report, attack)
    assert results[question].score == 0
    assert results[question].status in statuses, (results[question].status, results[question])
    for other, points in TOY_POINTS.items():
        if other != question and attack not in ("moved_order",):
            assert results[other].score == points, (other, results[other])
    if results[question].status != "failed":
        assert [r for r in _review(base) if r["student"] == attack and r["question"] == question]


@pytest.mark.parametrize("attack", sorted(ALL_ATTACKS))
def test_attack_gains_nothing_even_without_static_checks(graded_without_static_checks, attack):
    report, _, _, _, _ = graded_without_static_checks
    question, _ = ALL_ATTACKS[attack]
    results = _by_question(report, attack)
    assert results[question].score == 0, results[question]
    assert report.total("honest", CHAPTER) == 10


def test_forbidden_calls_are_caught_by_the_tripwire_alone(graded_without_static_checks):
    report, _, _, _, _ = graded_without_static_checks
    for attack in ("forbid_module_alias", "forbid_from_as", "forbid_attribute",
                   "forbid_getattr_literal", "forbid_getattr_computed", "forbid_dunder_import"):
        result = _by_question(report, attack)["norm"]
        assert result.status == "forbidden", (attack, result)
        assert "numpy.linalg.norm" in result.message


def test_a_loop_that_ignores_sigint_costs_only_its_question(graded_without_static_checks):
    report, _, _, _, _ = graded_without_static_checks
    results = _by_question(report, "sigint_loop")
    assert results["total"].status == "timeout"
    assert report.total("sigint_loop", CHAPTER) == 7


def test_killed_sandbox_is_a_grading_error_of_that_question_only(graded_without_static_checks):
    report, _, _, _, _ = graded_without_static_checks
    for attack in ("kill_group", "kill_in_call"):
        results = _by_question(report, attack)
        assert results["square"].status == "grading_error", attack
        assert report.total(attack, CHAPTER) == 8


def test_nothing_leaks_into_feedback_csv_or_review(graded):
    _, log, base, src, out = graded
    secrets = _secret_lines(src)
    assert len(secrets) >= 8
    texts = [p.read_text() for p in (base / "out").rglob("*") if p.is_file()] + [log]
    assert len(texts) > 30
    for text in texts:
        assert CANARY not in text
        assert "HIDDEN-LINE" not in text and "SOLUTION-LINE" not in text
        assert not [line for line in secrets if line in text]
    feedback = (base / "out" / "feedback" / "leaky_exception" / f"{CHAPTER}.md").read_text()
    assert "your code raised ValueError" in feedback
    feedback = (base / "out" / "feedback" / "odd_exception_name" / f"{CHAPTER}.md").read_text()
    assert "injected" not in feedback and "your code raised an exception" in feedback


def test_outputs_survive_detached_processes_and_no_startup_file_is_planted(graded):
    _, _, base, _, out = graded
    time.sleep(TIMEOUT)  # the detached writer sleeps 2 s before it writes
    for path in base.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".md"):
            assert "HACKED" not in path.read_text(), path
    assert not STARTUP.exists()
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    students = {r["student"] for r in rows}
    assert len(students) == 3 + len(ALL_ATTACKS) + 1  # + corrupt
    assert len(rows) == len(students) * len(TOY_POINTS)


def test_corrupt_notebook_is_reported_and_others_graded(graded):
    report, log, _, _, _ = graded
    assert {r.status for r in _by_question(report, "corrupt").values()} == {
        "unreadable_notebook"}
    assert "corrupt/toy: unreadable notebook" in log
    assert report.total("honest", CHAPTER) == 10


def test_ten_sleeping_free_cells_are_not_run(graded):
    """Had they run, each would have hit the deadline and the budget: full marks say they did
    not (and the last free cell would have replaced square by a wrong one)."""
    report, _, _, _, _ = graded
    assert report.total("sleepy_free_cells", CHAPTER) == 10
    print(f"\nsleepy_free_cells graded in {report.seconds[('sleepy_free_cells', CHAPTER)]:.1f} s")


# --------------------------------------------------------------------------- the sandbox itself
PROBE = '''import os
import socket


def probe(paths):
    seen = {p: os.path.exists(p) for p in paths}
    written = {}
    for p in paths:
        try:
            with open(os.path.join(p, "planted.txt"), "w") as handle:
                handle.write("x")
            written[p] = True
        except OSError:
            written[p] = False
    try:
        socket.create_connection(("10.0.0.1", 80), timeout=2)
        network = True
    except OSError:
        network = False
    return {"seen": seen, "written": written, "network": network, "uid": os.getuid(),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
'''


def test_the_sandbox_sees_no_book_no_submissions_no_outputs_and_no_network(tmp_path):
    ROOT = Path(__file__).resolve().parents[1]
    secret = tmp_path / "course"
    secret.mkdir()
    (secret / "gradebook.db").write_text("secret")
    # /work and /root exist inside only as the paths to the bound venv and Python
    paths = [str(ROOT / "chapters"), str(ROOT / "README.md"), str(ROOT / "tests"), str(secret),
             str(Path.cwd() / "tests"), str(HOME / ".bashrc"), str(HOME / ".cache"), "/etc/passwd",
             "/work/wt-grader", "/var", "/tmp/pytest-of-root"]
    session = Session([("setup", "import numpy as np", None), ("answer", PROBE, "q")], 30,
                      time.monotonic() + 60, sandbox_available())
    try:
        found = Client(session, {}).bind("probe")(paths)
    finally:
        session.close()
    assert found["seen"] == {p: False for p in paths}
    assert not any(found["written"].values())
    assert found["network"] is False
    assert found["uid"] != 0
    assert max(found["pids"]) < 20  # its own PID namespace
    assert not (secret / "planted.txt").exists()


def test_the_tests_numpy_error_state_applies_in_the_sandbox():
    import numpy as np

    cells = [("setup", "import numpy as np", None),
             ("answer", "def grow(x):\n    return np.exp(np.asarray(x, dtype=float))\n", "q")]
    session = Session(cells, 30, time.monotonic() + 60, sandbox_available())
    try:
        grow = Client(session, {}).bind("grow")
        assert np.isinf(grow([1e4]))[0]
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            grow([1e4])
    finally:
        session.close()


def test_arrays_changed_in_place_by_the_students_code_change_in_the_test():
    import numpy as np

    cells = [("answer", "def scale(x, d):\n    x *= 2\n    d['y'][0] = -1\n    return None\n"
                        "def keep(x):\n    return x.sum()\n", "q")]
    session = Session(cells, 30, time.monotonic() + 60, sandbox_available())
    try:
        client = Client(session, {})
        x, y = np.arange(3.0), np.ones(2, dtype=np.int64)
        assert client.bind("scale")(x, {"y": y}) is None
        assert np.array_equal(x, [0.0, 2.0, 4.0]) and np.array_equal(y, [-1, 1])
        z = np.arange(4.0)
        assert client.bind("keep")(z) == 6.0 and np.array_equal(z, np.arange(4.0))
    finally:
        session.close()


def test_a_question_past_its_deadline_is_killed_and_the_next_one_gets_a_fresh_sandbox():
    cells = [("answer", "def spin():\n    while True:\n        pass\n\n\ndef one():\n"
                        "    return 1\n", "q")]
    session = Session(cells, 30, time.monotonic() + 60, sandbox_available())
    client = Client(session, {})
    try:
        spin = client.bind("spin")
        client.deadline = time.monotonic() + 1
        from coursekit.homework.sandbox import SandboxTimeout

        with pytest.raises(SandboxTimeout):
            spin()
        assert session.process is None  # killed
        client.deadline = None
        assert client.bind("one")() == 1
        assert session.starts == 2
    finally:
        session.close()


def test_the_notebook_budget_bounds_a_submission_of_slow_answers(tmp_path):
    """Every answer cell sleeps 2 s (under the 3 s question limit): the 5 s budget of the whole
    notebook stops the grading of this submission early; the honest classmate is unaffected."""
    book = tmp_path / "book"
    make_toy_book(book)
    release(tmp_path / "release", book=book)
    rel = nbformat.read(tmp_path / "release" / CHAPTER / "homework.ipynb", as_version=4)
    src = nbformat.read(book / "chapters" / CHAPTER / "homework.ipynb", as_version=4)
    subs = tmp_path / "subs"
    _submit(subs, "honest", fill_answers(rel, src, CHAPTER))
    sleepy = fill_answers(rel, src, CHAPTER)
    for cell in sleepy.cells:
        if grade_id(cell) and grade_id(cell).endswith("-solution"):
            cell.source = "import time\ntime.sleep(2)\n" + cell.source
    _submit(subs, "slow", sleepy)
    report = grade(subs, tmp_path / "grades.csv", book=book, timeout=3, notebook_timeout=5,
                   log=io.StringIO())
    results = list(_by_question(report, "slow").values())
    assert [r.status for r in results].count("timeout") >= 1
    assert any("whole notebook" in r.message for r in results)
    assert report.total("honest", CHAPTER) == 10
    print(f"\nslow graded in {report.seconds[('slow', CHAPTER)]:.1f} s")


def test_private_tmp_is_mounted_before_the_environment_is_bound():
    """A book or venv below /tmp (a CI clone) stays visible: its binds land on the tmpfs."""
    import shutil

    from coursekit.homework import sandbox

    bwrap = shutil.which("bwrap") or "bwrap"
    cmd = sandbox._bwrap_command(bwrap)
    tmpfs = [i for i, arg in enumerate(cmd) if arg == "--tmpfs"]
    binds = [i for i, arg in enumerate(cmd) if arg == "--ro-bind" and cmd[i + 2] != "/usr"]
    assert tmpfs and binds and max(tmpfs) < min(binds), cmd
