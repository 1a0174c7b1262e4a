"""The SDEs chapter's homework: notebook, release, grading, and wrong answers per question."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "sdes"
QUESTIONS = {"milstein": 3, "ou_density": 2, "reverse_drift": 3, "dsm": 2}
THOUGHT = {"milstein", "reverse_drift"}  # derive the Milstein term; diagnose the reverse drift
FORBID = {
    "milstein": {"coursekit.sde.euler_maruyama"},
    "ou_density": {"scipy.stats.norm"},
}

EULER_MARUYAMA = '''
def milstein_gbm(x0, mu, sigma, t_grid, dW):
    x = np.array(x0, dtype=float)
    t_grid, dW = np.asarray(t_grid, dtype=float), np.asarray(dW, dtype=float)
    if dW.shape != (len(t_grid) - 1, x.shape[0]):
        raise ValueError("dW")
    for k, h in enumerate(np.diff(t_grid)):
        x = x + mu * x * h + sigma * x * dW[k]  # no correction term: order 1/2
    return x
'''
UNIFORM_STEP = '''
def milstein_gbm(x0, mu, sigma, t_grid, dW):
    x = np.array(x0, dtype=float)
    t_grid, dW = np.asarray(t_grid, dtype=float), np.asarray(dW, dtype=float)
    if dW.shape != (len(t_grid) - 1, x.shape[0]):
        raise ValueError("dW")
    h = (t_grid[-1] - t_grid[0]) / (len(t_grid) - 1)  # assumes a uniform grid
    for k in range(len(t_grid) - 1):
        dw = dW[k]
        x = x + mu * x * h + sigma * x * dw + 0.5 * sigma**2 * x * (dw**2 - h)
    return x
'''
VARIANCE_TWICE = '''
def ou_transition_logpdf(y, x, t, theta, mu, sigma):
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    if not (t > 0 and theta > 0 and sigma > 0):
        raise ValueError("t, theta, sigma")
    mean = mu + (x - mu) * np.exp(-theta * t)
    var = sigma**2 / theta * (1 - np.exp(-2 * theta * t))  # the factor 1/2 is missing
    return -0.5 * np.log(2 * np.pi * var) - (y - mean) ** 2 / (2 * var)
'''
NO_CHECKS = '''
def ou_transition_logpdf(y, x, t, theta, mu, sigma):
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    mean = mu + (x - mu) * np.exp(-theta * t)
    var = sigma**2 / (2 * theta) * (1 - np.exp(-2 * theta * t))
    return -0.5 * np.log(2 * np.pi * var) - (y - mean) ** 2 / (2 * var)
'''
FORWARD_DRIFT = '''
def reverse_sampler(y0, t_grid, dW):
    y = np.array(y0, dtype=float)
    for k in range(len(t_grid) - 1):
        t, h = t_grid[k], t_grid[k] - t_grid[k + 1]
        y = y + (-y - 2 * ring_score(y, t)) * h + np.sqrt(2) * dW[k]  # the broken drift
    return y
'''
SCORE_AT_END_OF_STEP = '''
def reverse_sampler(y0, t_grid, dW):
    y = np.array(y0, dtype=float)
    for k in range(len(t_grid) - 1):
        t, h = t_grid[k + 1], t_grid[k] - t_grid[k + 1]  # score at the end of the step
        y = y + (y + 2 * ring_score(y, t)) * h + np.sqrt(2) * dW[k]
    return y
'''
TARGET_TIMES_SIGMA = '''
def dsm_pair(x0, t, eps):
    x0, t, eps = (np.asarray(a, dtype=float) for a in (x0, t, eps))
    if np.any(t <= 0):
        raise ValueError("t")
    a, s = np.exp(-t)[:, None], np.sqrt(1 - np.exp(-2 * t))[:, None]
    return a * x0 + s * eps, -eps * s  # multiplies by sigma_t instead of dividing
'''
SCIPY_NORM = '''
from scipy.stats import norm as gaussian  # a banned object under another name


def ou_transition_logpdf(y, x, t, theta, mu, sigma):
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    if not (t > 0 and theta > 0 and sigma > 0):
        raise ValueError("t, theta, sigma")
    mean = mu + (x - mu) * np.exp(-theta * t)
    var = sigma**2 / (2 * theta) * (1 - np.exp(-2 * theta * t))
    return gaussian.logpdf(y, mean, np.sqrt(var))
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "milstein": (EULER_MARUYAMA, ("failed",), "the term of order h"),
        "ou_density": (VARIANCE_TWICE, ("failed",), "check the variance"),
        "reverse_drift": (FORWARD_DRIFT, ("failed",), "ring of radius 2"),
        "dsm": (TARGET_TIMES_SIGMA, ("failed",), "conditional score"),
    },
    "wrong2": {
        "milstein": (UNIFORM_STEP, ("failed_hidden",), HIDDEN),
        "ou_density": (NO_CHECKS, ("failed_hidden",), HIDDEN),
        "reverse_drift": (SCORE_AT_END_OF_STEP, ("failed_hidden",), HIDDEN),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"ou_density": SCIPY_NORM},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
