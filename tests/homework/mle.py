"""The MLE chapter's homework: notebook, release, grading, and wrong answers per question."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "mle"
QUESTIONS = {"gaussian_mle": 2, "log_softmax": 3, "logistic": 3, "ridge_gd": 2}
THOUGHT = {"logistic", "ridge_gd"}  # derive a gradient; choose a step size
FORBID = {
    "gaussian_mle": {"numpy.var", "numpy.std", "numpy.cov"},
    "log_softmax": {"scipy.special.logsumexp", "torch.log_softmax", "coursekit.losses.log_softmax"},
    "logistic": {"torch.autograd.grad"},
    "ridge_gd": {"numpy.linalg.solve", "numpy.linalg.inv", "numpy.linalg.lstsq",
                 "numpy.linalg.pinv"},
}

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
ALIASED_VAR = '''
from numpy import var as spread  # a banned function under another name


def gaussian_mle(x):
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 or x.shape[0] < 1:
        raise ValueError("empty")
    return x.mean(axis=0), spread(x, axis=0)


def unbiased_variance(x):
    x = np.asarray(x, dtype=float)
    if x.ndim == 0 or x.shape[0] < 2:
        raise ValueError("n < 2")
    return spread(x, axis=0, ddof=1)
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
ALIASED_LOGSUMEXP = '''
import scipy.special as sp  # a banned function through a module alias


def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    return z - sp.logsumexp(z, axis=axis, keepdims=True)
'''
_LOGISTIC_HEAD = '''
def logistic_loss_and_grad(w, X, y, weights=None, lam=0.0):
    w, X, y = (np.asarray(a, dtype=float) for a in (w, X, y))
'''
_LOGISTIC_CHECKS = '''
    if X.ndim != 2 or w.shape != X.shape[1:] or y.shape != X.shape[:1]:
        raise ValueError("shapes")
    s = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if s.shape != y.shape or np.any(s < 0) or not np.sum(s) > 0 or not lam >= 0:
        raise ValueError("weights or lam")
'''
_STABLE = '''
    z = X @ w
    e = np.exp(-np.abs(z))
    losses = np.maximum(z, 0.0) + np.log1p(e) - y * z
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
'''
WEIGHTS_OVER_N = _LOGISTIC_HEAD + _LOGISTIC_CHECKS + _STABLE + '''
    n = len(y)  # divides by n, not by the sum of the weights
    return float(s @ losses / n + 0.5 * lam * w @ w), X.T @ (s * (sig - y)) / n + lam * w
'''
TEXTBOOK_BCE = _LOGISTIC_HEAD + _LOGISTIC_CHECKS + '''
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))  # 1 - p rounds to 0 for z > 37
    total = np.sum(s)
    return float(s @ losses / total + 0.5 * lam * w @ w), X.T @ (s * (p - y)) / total + lam * w
'''
NO_PENALTY_IN_GRAD = _LOGISTIC_HEAD + _LOGISTIC_CHECKS + _STABLE + '''
    total = np.sum(s)
    return float(s @ losses / total + 0.5 * lam * w @ w), X.T @ (s * (sig - y)) / total
'''
NO_VALIDATION = _LOGISTIC_HEAD + '''
    s = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
''' + _STABLE + '''
    total = np.sum(s)
    return float(s @ losses / total + 0.5 * lam * w @ w), X.T @ (s * (sig - y)) / total + lam * w
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
CLOSED_FORM_FAKE_STEPS = '''
from numpy.linalg import solve as _s  # a banned function under another name


def ridge_gd(X, y, lam, tol=1e-10, max_steps=100_000):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if not lam > 0:
        raise ValueError("lam > 0")
    if np.linalg.norm(X.T @ y) <= tol * max(1.0, np.linalg.norm(X.T @ y)):
        return np.zeros(X.shape[1]), 0
    beta = _s(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)
    return beta, min(max_steps, 100)  # claims steps it never took
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "gaussian_mle": (BESSEL_IN_THE_MLE, ("failed",), "the MLE divides by n"),
        "log_softmax": (LOG_OF_SOFTMAX, ("failed_hidden",), HIDDEN),
        "logistic": (WEIGHTS_OVER_N, ("failed",), "integer weights should act as repeated"),
        "ridge_gd": (FIXED_STEP_RIDGE, ("failed_hidden",), HIDDEN),
    },
    "wrong2": {
        "log_softmax": (NO_MAX_SHIFT, ("failed",), "overflowed for logits near 1e4"),
        "logistic": (TEXTBOOK_BCE, ("failed",), "floating-point error for logits of size 40"),
        # caught by the method checks now (constant-step replay), by the ban later
        "ridge_gd": (CLOSED_FORM_FAKE_STEPS, ("failed_hidden", "forbidden"), ""),
    },
    "wrong3": {
        "logistic": (NO_PENALTY_IN_GRAD, ("failed",), "does not match central differences"),
    },
    "wrong4": {
        "logistic": (NO_VALIDATION, ("failed_hidden",), HIDDEN),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"gaussian_mle": ALIASED_VAR, "log_softmax": ALIASED_LOGSUMEXP},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
