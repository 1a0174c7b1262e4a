"""The normalizing-flows chapter's homework: notebook, release, grading, wrong answers."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "normalizing_flows"
QUESTIONS = {"ess_snis": 2, "planar_flow": 3, "coupling_fix": 3, "moment_match": 2}
# derive the planar log-determinant; diagnose the broken mask; choose the KL and derive its
# Gaussian optimum
THOUGHT = {"planar_flow", "coupling_fix", "moment_match"}
FORBID = {
    "planar_flow": {"numpy.linalg.det", "numpy.linalg.slogdet",
                    "torch.autograd.functional.jacobian"},
    "moment_match": {"numpy.cov"},
}

ESS_WRONG_FORMULA = '''
def ess_snis(log_w, h):
    log_w, h = np.asarray(log_w, dtype=float), np.asarray(h, dtype=float)
    if log_w.ndim != 1 or log_w.size == 0 or h.shape != log_w.shape:
        raise ValueError("shapes")
    w = np.exp(log_w - np.max(log_w))
    return float(len(w) / (w @ w)), float(w @ h / w.sum())  # n / sum w^2
'''
ESS_OVERFLOWS = '''
def ess_snis(log_w, h):
    log_w, h = np.asarray(log_w, dtype=float), np.asarray(h, dtype=float)
    if log_w.ndim != 1 or log_w.size == 0 or h.shape != log_w.shape:
        raise ValueError("shapes")
    w = np.exp(log_w)  # overflows for large log weights
    return float(w.sum() ** 2 / (w @ w)), float(w @ h / w.sum())
'''
PLANAR_TANH_NOT_DERIVATIVE = '''
def planar_forward(z, u, w, b):
    z, u, w = (np.asarray(a, dtype=float) for a in (z, u, w))
    a = np.tanh(z @ w + b)
    return z + np.outer(a, u), np.log(np.abs(1.0 + a * (u @ w)))  # h instead of h'
'''
PLANAR_NO_ABS = '''
def planar_forward(z, u, w, b):
    z, u, w = (np.asarray(a, dtype=float) for a in (z, u, w))
    a = np.tanh(z @ w + b)
    with np.errstate(invalid="ignore"):
        return z + np.outer(a, u), np.log(1.0 + (1.0 - a**2) * (u @ w))  # no |.|
'''
PLANAR_SLOGDET = '''
import numpy.linalg as la


def planar_forward(z, u, w, b):
    z, u, w = (np.asarray(a, dtype=float) for a in (z, u, w))
    a = np.tanh(z @ w + b)
    jac = np.eye(len(u))[None] + (1 - a**2)[:, None, None] * np.einsum("i,j->ij", u, w)
    return z + np.outer(a, u), la.slogdet(jac)[1]  # a banned d x d determinant
'''
COUPLING_AS_GIVEN = '''
def coupling_forward(x, mask, params):
    x, mask = np.asarray(x, dtype=float), np.asarray(mask, dtype=float)
    s, t = conditioner(x, params)
    s, t = s * (1 - mask), t * (1 - mask)
    return x * np.exp(s) + t, s.sum(axis=1)


def coupling_inverse(z, mask, params):
    z, mask = np.asarray(z, dtype=float), np.asarray(mask, dtype=float)
    s, t = conditioner(z, params)
    s, t = s * (1 - mask), t * (1 - mask)
    return (z - t) * np.exp(-s)
'''
COUPLING_LOGDET_ON_KEPT = '''
def coupling_forward(x, mask, params):
    x, mask = np.asarray(x, dtype=float), np.asarray(mask, dtype=float)
    s, t = conditioner(x * mask, params)
    z = x * np.exp(s * (1 - mask)) + t * (1 - mask)
    return z, (s * mask).sum(axis=1)  # sums the scales of the kept coordinates


def coupling_inverse(z, mask, params):
    z, mask = np.asarray(z, dtype=float), np.asarray(mask, dtype=float)
    s, t = conditioner(z * mask, params)
    return (z - t * (1 - mask)) * np.exp(-s * (1 - mask))
'''
MOMENT_UNWEIGHTED = '''
def moment_match(x, log_w):
    x = np.asarray(x, dtype=float)
    mu = x.mean(axis=0)  # ignores the weights
    return mu, (x - mu).T @ (x - mu) / len(x)
'''
MOMENT_UNBIASED = '''
def moment_match(x, log_w):
    x, log_w = np.asarray(x, dtype=float), np.asarray(log_w, dtype=float)
    w = np.exp(log_w - log_w.max())
    w = w / w.sum()
    mu = w @ x
    c = x - mu
    return mu, (c * w[:, None]).T @ c / (1 - w @ w)  # an "unbiased" correction
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "ess_snis": (ESS_WRONG_FORMULA, ("failed",), "the ESS is n"),
        "planar_flow": (PLANAR_TANH_NOT_DERIVATIVE, ("failed",), "log|dx/dz|"),
        "coupling_fix": (COUPLING_AS_GIVEN, ("failed",), "does not undo"),
        "moment_match": (MOMENT_UNWEIGHTED, ("failed",), "weighted mean"),
    },
    "wrong2": {
        "ess_snis": (ESS_OVERFLOWS, ("failed_hidden",), HIDDEN),
        "planar_flow": (PLANAR_NO_ABS, ("failed_hidden",), HIDDEN),
        "coupling_fix": (COUPLING_LOGDET_ON_KEPT, ("failed_hidden",), HIDDEN),
        "moment_match": (MOMENT_UNBIASED, ("failed_hidden",), HIDDEN),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"planar_flow": PLANAR_SLOGDET},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
