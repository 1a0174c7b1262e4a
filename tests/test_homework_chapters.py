"""Tests of the homework of the MLE and backprop chapters (the pipeline is tested in test_homework).

For each chapter: the instructor notebook is authored, executed and complete; the release leaks
no solution and no hidden test; the instructor notebook and the release with the solutions filled
in get full marks, the release as it is gets zero, and plausible wrong answers fail exactly their
question (a visible test, or a hidden one that an answer tuned to the visible tests misses). One
release and ONE grading run (five simulated students, both chapters) are shared by the tests
through module-scoped fixtures, so that the file runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import nbformat
import pytest
from homework_helpers import fill_answers, grade_id

from coursekit.homework import author, grade, release
from coursekit.homework.authoring import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    hidden_test_regions,
    solution_regions,
    strip_hidden_tests,
)

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {  # chapter -> {question: points}, in notebook order
    "mle": {"gaussian_mle": 2, "log_softmax": 3, "logistic": 3, "ridge_gd": 2},
    "backprop": {"residual": 3, "dual": 2, "reverse_mode": 3, "gradient_check": 2},
}
CHAPTERS = list(QUESTIONS)
TIMEOUT = 20  # seconds per cell in the grading run (the slowest cell takes about 2 s)


def _source(chapter):
    return nbformat.read(ROOT / "chapters" / chapter / "homework.ipynb", as_version=4)


_gid = grade_id


# --------------------------------------------------------------------------- wrong answers
BESSEL_IN_THE_MLE = '''
def gaussian_mle(x):
    x = np.asarray(x, dtype=float)
    if x.shape[0] < 1:
        raise ValueError("empty")
    mu = x.mean(axis=0)
    return mu, np.sum((x - mu) ** 2, axis=0) / (x.shape[0] - 1)  # 1/(n - 1): not the MLE


def unbiased_variance(x):
    x = np.asarray(x, dtype=float)
    if x.shape[0] < 2:
        raise ValueError("n < 2")
    return np.sum((x - x.mean(axis=0)) ** 2, axis=0) / (x.shape[0] - 1)
'''
NO_MAX_SHIFT = '''
def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))  # exp overflows for z > 709
'''
LOG_OF_SOFTMAX = '''
def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return np.log(e / np.sum(e, axis=axis, keepdims=True))  # log(0) once a probability underflows
'''
TEXTBOOK_BCE = '''
def logistic_loss_and_grad(w, X, y):
    w, X, y = (np.asarray(a, dtype=float) for a in (w, X, y))
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))  # 1 - p rounds to 0 for z > 37
    return float(loss), X.T @ (p - y) / len(y)
'''
FIXED_STEP_RIDGE = '''
def ridge_gd(X, y, lam, tol=1e-10, max_steps=100_000):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if not lam > 0:
        raise ValueError("lam > 0")
    beta, n_steps = np.zeros(X.shape[1]), 0
    grad = -X.T @ y
    while np.linalg.norm(grad) > tol * max(1.0, np.linalg.norm(X.T @ y)) and n_steps < max_steps:
        beta = beta - 0.01 * grad  # a fixed step: diverges when L > 200
        grad = X.T @ (X @ beta - y) + lam * beta
        n_steps += 1
    return beta, n_steps
'''
NO_SKIP_PATH = '''
def residual_backward(X, W, b, dH):
    X, W, b, dH = (np.asarray(a, dtype=float) for a in (X, W, b, dH))
    Z = X @ W.T + b
    e = np.exp(-np.abs(Z))
    dZ = dH * np.where(Z >= 0, 1 / (1 + e), e / (1 + e))
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)  # forgets the skip connection's dH
'''
NAIVE_SIGMOID = '''
def residual_backward(X, W, b, dH):
    X, W, b, dH = (np.asarray(a, dtype=float) for a in (X, W, b, dH))
    Z = X @ W.T + b
    dZ = dH / (1.0 + np.exp(-Z))  # exp(-Z) overflows for Z < -709
    return dH + dZ @ W, dZ.T @ X, dZ.sum(axis=0)
'''
SQRT_WITHOUT_DOMAIN_CHECK = '''
def d_sqrt(x):
    x = Dual.lift(x)
    root = x.val ** 0.5  # no ValueError for x <= 0
    return Dual(root, x.dot / (2 * root))


def d_pow(x, y):
    x, y = Dual.lift(x), Dual.lift(y)
    if x.val <= 0:
        raise ValueError("x <= 0")
    value = x.val ** y.val
    return Dual(value, y.val * x.val ** (y.val - 1) * x.dot + value * math.log(x.val) * y.dot)
'''
NO_ACCUMULATION = '''
def v_tanh(x):
    x = as_value(x)
    out = Value(math.tanh(x.data), (x,))
    def _backward():
        x.grad = (1 - out.data ** 2) * out.grad  # = instead of +=
    out._backward = _backward
    return out


def v_div(a, b):
    a, b = as_value(a), as_value(b)
    out = Value(a.data / b.data, (a, b))
    def _backward():
        a.grad = out.grad / b.data  # = instead of +=
        b.grad = -out.grad * a.data / b.data ** 2
    out._backward = _backward
    return out
'''
FORWARD_DIFFERENCES = '''
def gradient_check(f, grad, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.asarray(grad, dtype=float)
    g_num, f0 = np.zeros_like(x), f(x)
    for idx in np.ndindex(x.shape):
        x[idx] += h
        g_num[idx] = (f(x) - f0) / h  # forward differences: an O(h) error
        x[idx] -= h
    scale = max(np.linalg.norm(grad), np.linalg.norm(g_num), 1e-12)
    return float(np.linalg.norm(grad - g_num) / scale), g_num
'''

# student -> chapter -> question -> (answer, expected status, part of the expected message)
WRONG = {
    "wrong": {
        "mle": {
            "gaussian_mle": (BESSEL_IN_THE_MLE, "failed", "the MLE divides by n"),
            "log_softmax": (LOG_OF_SOFTMAX, "failed_hidden", "hidden test"),
        },
        "backprop": {
            "residual": (NO_SKIP_PATH, "failed", "dX does not match central differences"),
            "reverse_mode": (NO_ACCUMULATION, "failed_hidden", "hidden test"),
        },
    },
    "wrong2": {
        "mle": {
            "log_softmax": (NO_MAX_SHIFT, "failed", "overflowed for logits near 1e4"),
            "logistic": (TEXTBOOK_BCE, "failed", "floating-point error for logits of size 40"),
            "ridge_gd": (FIXED_STEP_RIDGE, "failed_hidden", "hidden test"),
        },
        "backprop": {
            "residual": (NAIVE_SIGMOID, "failed_hidden", "hidden test"),
            "dual": (SQRT_WITHOUT_DOMAIN_CHECK, "failed_hidden", "hidden test"),
            "gradient_check": (FORWARD_DIFFERENCES, "failed", "not accurate enough"),
        },
    },
}


_filled = fill_answers


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    written = release(out, book=ROOT, chapters=CHAPTERS, log=io.StringIO())
    assert sorted(written) == sorted(CHAPTERS)
    return out


def _release_nb(release_dir, chapter):
    return nbformat.read(release_dir / chapter / "homework.ipynb", as_version=4)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, release_dir):
    """ONE grading run: five students, each with both chapters. Returns (report, log, folder)."""
    base = tmp_path_factory.mktemp("grading")
    subs = base / "submissions"
    for chapter in CHAPTERS:
        source, released = _source(chapter), _release_nb(release_dir, chapter)
        notebooks = {
            "instructor": source,
            "perfect": _filled(released, source, chapter, {}),
            "stub": released,
        }
        for student, chapters in WRONG.items():
            answers = {q: answer for q, (answer, _, _) in chapters.get(chapter, {}).items()}
            notebooks[student] = _filled(released, source, chapter, answers)
        for student, nb in notebooks.items():
            path = subs / student / chapter / "homework.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)
    log = io.StringIO()
    start = time.perf_counter()
    report = grade(subs, base / "grades.csv", book=ROOT, timeout=TIMEOUT, chapters=CHAPTERS,
                   log=log)
    elapsed = time.perf_counter() - start
    print(f"\ngraded {len(report.seconds)} notebooks in {elapsed:.1f} s; per notebook: "
          + ", ".join(f"{s}/{c}: {t:.1f} s" for (s, c), t in sorted(report.seconds.items())))
    return report, log.getvalue(), base


def _outside_regions(source):
    """The stripped lines of ``source`` outside solution and hidden-test regions."""
    inside = False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line or BEGIN_HIDDEN in line:
            inside = True
        elif END_SOLUTION in line or END_HIDDEN in line:
            inside = False
        elif not inside:
            yield line.strip()


def _statuses(report, student, chapter):
    return {q: r.status for q, r in report.by_question(student, chapter).items()}


# --------------------------------------------------------------------------- the notebooks
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_homework_is_authored_executed_and_complete(chapter):
    nb = _source(chapter)
    summary = author(ROOT / "chapters" / chapter / "homework.ipynb", write=False)
    assert summary.changed is False, "run: python -m coursekit.homework author"
    assert summary.questions == QUESTIONS[chapter]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [_gid(c) for c in tests] == [f"{chapter}-{q}-tests" for q in QUESTIONS[chapter]]
    for cell in tests:
        (hidden,) = hidden_test_regions(cell.source)
        assert len([line for line in hidden if line.strip()]) >= 8, _gid(cell)
        assert "assert" in strip_hidden_tests(cell.source), _gid(cell)
        assert "remove-input" in cell.metadata["tags"], "the book must not show hidden tests"
        # the visible tests pass and say so; the hidden tests print nothing
        assert [(o.output_type, o.get("name")) for o in cell.outputs] == [("stream", "stdout")]
        assert cell.outputs[0]["text"].endswith(": visible tests passed\n"), _gid(cell)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert "hide-input" in cell.metadata["tags"] and solution_regions(cell.source)
        if cell.cell_type == "code":
            assert cell.execution_count is not None, "store the notebook executed"
            kinds = {(o.output_type, o.get("name")) for o in cell.outputs}
            assert not kinds & {("error", None), ("stream", "stderr")}, cell.source[:60]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_leaks_no_solution_and_no_hidden_test(release_dir, chapter):
    source = _source(chapter)
    secret, public = set(), set()
    for index, cell in enumerate(source.cells):
        regions = solution_regions(cell.source, f"cell {index}")
        regions += hidden_test_regions(cell.source, f"cell {index}")
        secret |= {line.strip() for region in regions for line in region if line.strip()}
        public |= set(_outside_regions(cell.source))
    # A line that also stands outside the regions (e.g. ``return out`` in a given class) is not
    # secret; every other non-blank line of a solution or a hidden test is searched for.
    secret -= public
    assert len(secret) > 60
    files = [release_dir / chapter / "homework.ipynb", release_dir / chapter / "README.txt"]
    assert sorted((release_dir / chapter).iterdir()) == sorted(files)  # nothing else is released
    raw = "\n".join(path.read_text(encoding="utf-8") for path in files)
    released = _release_nb(release_dir, chapter)
    released_lines = {line.strip() for c in released.cells for line in c.source.split("\n")}
    released_lines |= {line.strip() for line in raw.split("\n")}
    leaked = [line for line in sorted(secret)
              if line in released_lines or (len(line) > 20 and line in raw)]
    assert not leaked
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in raw
    n_regions = sum(len(solution_regions(c.source)) for c in source.cells)
    stubs = sum(c.source.count("raise NotImplementedError()") for c in released.cells
                if c.cell_type == "code")
    assert stubs == n_regions >= len(QUESTIONS[chapter])  # one stub per solution region
    for cell in released.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


# --------------------------------------------------------------------------- grading
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_instructor_and_filled_release_get_full_marks(graded, chapter):
    report, _, _ = graded
    for student in ("instructor", "perfect"):
        assert _statuses(report, student, chapter) == {q: "passed" for q in QUESTIONS[chapter]}
        assert report.total(student, chapter) == 10


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_as_is_scores_zero(graded, chapter):
    report, _, base = graded
    assert _statuses(report, "stub", chapter) == {q: "failed" for q in QUESTIONS[chapter]}
    assert report.total("stub", chapter) == 0
    assert "not answered yet" in (base / "feedback" / "stub" / f"{chapter}.md").read_text()


@pytest.mark.parametrize("student", list(WRONG))
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_wrong_answers_fail_exactly_their_questions(graded, chapter, student):
    report, _, _ = graded
    wrong = WRONG[student][chapter]
    results = report.by_question(student, chapter)
    assert {q: r.status for q, r in results.items()} == {
        q: wrong[q][1] if q in wrong else "passed" for q in QUESTIONS[chapter]
    }
    for question, (_, _, message) in wrong.items():
        assert message in results[question].message, results[question].message
    expected = sum(p for q, p in QUESTIONS[chapter].items() if q not in wrong)
    assert report.total(student, chapter) == expected


def test_feedback_never_reveals_hidden_tests(graded):
    report, log, base = graded
    assert not report.problems and not log
    files = sorted((base / "feedback").rglob("*.md"))
    assert len(files) == 5 * len(CHAPTERS)
    for chapter in CHAPTERS:
        hidden = [line.strip() for c in _source(chapter).cells
                  for region in hidden_test_regions(c.source) for line in region
                  if len(line.strip()) > 12]
        for path in files:
            text = path.read_text()
            assert "HIDDEN TESTS" not in text and "ACTUAL" not in text
            assert not [line for line in hidden if line in text], path


def test_grading_one_notebook_takes_seconds(graded):
    report, _, _ = graded
    for chapter in CHAPTERS:
        seconds = report.seconds[("perfect", chapter)]
        print(f"\nautograding one {chapter} homework took {seconds:.1f} s")
        assert seconds < 30
