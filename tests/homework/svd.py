"""The SVD chapter's homework: notebook, release, grading, and wrong answers per question.

``tests/test_homework.py`` also grades this homework, to test the grading pipeline itself
(tampering, timeouts, missing notebooks); this file tests the questions.
"""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "svd"
QUESTIONS = {"power_iteration": 3, "rank_k": 2, "sherman_morrison": 2, "pca": 3}
THOUGHT = {"power_iteration", "pca"}  # design the iteration; diagnose a broken PCA
FORBID = {
    "power_iteration": {"numpy.linalg.svd", "numpy.linalg.eig", "numpy.linalg.eigh"},
    "sherman_morrison": {"numpy.linalg.inv", "numpy.linalg.solve", "numpy.linalg.pinv"},
    "pca": {"numpy.cov"},
}

FIXED_200_STEPS = '''
def top_singular_pair(A, tol=1e-10, max_iter=10_000, seed=0):
    A = np.asarray(A, dtype=float)
    if not tol > 0 or not max_iter >= 1:
        raise ValueError("tol, max_iter")
    v = np.random.default_rng(0).standard_normal(A.shape[1])  # ignores seed
    v /= np.linalg.norm(v)
    for _ in range(200):  # ignores tol and max_iter
        v = A.T @ (A @ v)
        v /= np.linalg.norm(v)
    Av = A @ v
    sigma = float(np.linalg.norm(Av))
    return sigma, Av / sigma, v
'''
ALIASED_SVD = '''
from numpy.linalg import svd as decompose  # a banned function under another name


def top_singular_pair(A, tol=1e-10, max_iter=10_000, seed=0):
    A = np.asarray(A, dtype=float)
    if not tol > 0 or not max_iter >= 1:
        raise ValueError("tol, max_iter")
    U, s, Vt = decompose(A)
    return float(s[0]), U[:, 0], Vt[0]
'''
ERROR_SQUARED = '''
def rank_k_approx(A, k):
    A = np.asarray(A, dtype=float)
    if not 0 <= k <= min(A.shape):
        raise ValueError("bad k")
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (U[:, :k] * s[:k]) @ Vt[:k], float(np.sum(s[k:] ** 2))  # the square of the error
'''
PLUS_SIGN = '''
def sherman_morrison(A_inv, u, v, tol=1e-12):
    A_inv, u, v = (np.asarray(a, dtype=float) for a in (A_inv, u, v))
    w, z = A_inv @ u, v @ A_inv
    d = 1.0 + v @ w
    if abs(d) <= tol:
        raise ValueError("singular")
    return A_inv + np.outer(w, z) / d  # the sign of the correction
'''
NO_SINGULAR_CHECK = '''
def sherman_morrison(A_inv, u, v, tol=1e-12):
    A_inv = np.asarray(A_inv, dtype=float)
    w = A_inv @ u
    return A_inv - np.outer(w, v @ A_inv) / (1.0 + v @ w)  # never raises ValueError
'''
ALIASED_INV = '''
import numpy.linalg as la  # a banned function through a module alias


def sherman_morrison(A_inv, u, v, tol=1e-12):
    A_inv, u, v = (np.asarray(a, dtype=float) for a in (A_inv, u, v))
    d = 1.0 + v @ A_inv @ u
    if abs(d) <= tol:
        raise ValueError("singular")
    return la.inv(la.inv(A_inv) + np.outer(u, v))
'''
RATIO_OF_THE_KEPT = '''
def pca(X, n_components):
    X = np.asarray(X, dtype=float)
    if not 1 <= n_components <= min(X.shape):
        raise ValueError("n_components")
    X_c = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X_c, full_matrices=False)
    ratio = s[:n_components] ** 2 / np.sum(s[:n_components] ** 2)  # the draft's second bug kept
    return Vt[:n_components], ratio, X_c @ Vt[:n_components].T
'''
NO_K_CHECK = '''
def pca(X, n_components):
    X = np.asarray(X, dtype=float)
    X_c = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X_c, full_matrices=False)
    return Vt[:n_components], s[:n_components] ** 2 / np.sum(s ** 2), X_c @ Vt[:n_components].T
'''
COVARIANCE_UNDER_AN_ALIAS = '''
from numpy import cov as covariance  # a banned function under another name


def pca(X, n_components):
    X = np.asarray(X, dtype=float)
    if not 1 <= n_components <= min(X.shape):
        raise ValueError("n_components")
    evals, evecs = np.linalg.eigh(covariance(X, rowvar=False))
    evals, evecs = evals[::-1], evecs[:, ::-1]
    components = evecs[:, :n_components].T
    return components, evals[:n_components] / evals.sum(), (X - X.mean(axis=0)) @ components.T
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "power_iteration": (FIXED_200_STEPS, ("failed_hidden",), HIDDEN),
        "rank_k": (ERROR_SQUARED, ("failed",), "err should be the Frobenius norm"),
        "sherman_morrison": (PLUS_SIGN, ("failed",), "check the sign"),
        "pca": (RATIO_OF_THE_KEPT, ("failed",), "cannot explain all the variance"),
    },
    "wrong2": {
        # caught by the method checks now (max_iter, seed), by the ban later
        "power_iteration": (ALIASED_SVD, ("failed_hidden", "forbidden"), ""),
        "sherman_morrison": (NO_SINGULAR_CHECK, ("failed_hidden",), HIDDEN),
        "pca": (NO_K_CHECK, ("failed_hidden",), HIDDEN),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"sherman_morrison": ALIASED_INV, "pca": COVARIANCE_UNDER_AN_ALIAS},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
