"""The optimal-transport homework: notebook, release, grading, wrong answers per question."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "optimal_transport"
QUESTIONS = {"sinkhorn_log": 2, "eps_scaling": 3, "w1_line": 3, "breakdown": 2}
# design the annealing schedule; derive W1 from the CDFs; diagnose the exp-domain failure
THOUGHT = {"eps_scaling", "w1_line", "breakdown"}
FORBID = {
    "sinkhorn_log": {"ot.sinkhorn", "ot.bregman.sinkhorn_log", "coursekit.ot.sinkhorn"},
    "eps_scaling": {"ot.bregman.sinkhorn_epsilon_scaling", "coursekit.ot.sinkhorn"},
    "w1_line": {"scipy.stats.wasserstein_distance", "ot.wasserstein_1d", "ot.emd2",
                "coursekit.ot.wasserstein_1d", "scipy.optimize.linprog"},
}

EXP_DOMAIN = '''
def sinkhorn_log(a, b, C, eps, tol=1e-6, max_iter=10_000):
    a, b, C = (np.asarray(v, dtype=float) for v in (a, b, C))
    if not eps > 0:
        raise ValueError("eps")
    K = np.exp(-C / eps)  # underflows at small eps
    u, v, n_iter = np.ones(len(a)), np.ones(len(b)), 0
    with np.errstate(all="ignore"):
        while n_iter < max_iter:
            n_iter += 1
            v = b / (K.T @ u)
            u_next = a / (K @ v)
            if np.abs(a * (u / u_next - 1)).sum() <= tol:
                break
            u = u_next
        return eps * np.log(u / a), eps * np.log(v / b), n_iter
'''
NO_STOPPING_RULE = '''
def sinkhorn_log(a, b, C, eps, tol=1e-6, max_iter=10_000):
    a, b, C = (np.asarray(v, dtype=float) for v in (a, b, C))
    log_a, log_b = np.log(a), np.log(b)
    f, g = np.zeros(len(a)), np.zeros(len(b))
    for _ in range(50):  # a fixed number of iterations, whatever tol
        g = -eps * logsumexp(log_a[:, None] + (f[:, None] - C) / eps, axis=0)
        f = -eps * logsumexp(log_b[None, :] + (g[None, :] - C) / eps, axis=1)
    return f, g, 50
'''
PLAIN_WITHIN_BUDGET = '''
def sinkhorn_scaled(a, b, C, eps, tol, budget):
    a, b, C = (np.asarray(v, dtype=float) for v in (a, b, C))
    log_a, log_b = np.log(a), np.log(b)
    g, n_iter = np.zeros(len(b)), 0
    f = -eps * logsumexp(log_b[None, :] + (g[None, :] - C) / eps, axis=1)
    while n_iter < budget:  # no annealing: plain Sinkhorn at the target eps
        n_iter += 1
        g = -eps * logsumexp(log_a[:, None] + (f[:, None] - C) / eps, axis=0)
        f_next = -eps * logsumexp(log_b[None, :] + (g[None, :] - C) / eps, axis=1)
        if np.abs(a * np.expm1((f - f_next) / eps)).sum() <= tol:
            return f, g, n_iter
        f = f_next
    raise RuntimeError("budget")
'''
IGNORES_BUDGET = '''
def sinkhorn_scaled(a, b, C, eps, tol, budget):
    a, b, C = (np.asarray(v, dtype=float) for v in (a, b, C))
    log_a, log_b = np.log(a), np.log(b)
    g, n_iter, stage = np.zeros(len(b)), 0, C.max()
    while True:
        stage = max(stage / 2, eps)
        f = -stage * logsumexp(log_b[None, :] + (g[None, :] - C) / stage, axis=1)
        while True:  # never gives up: no RuntimeError
            n_iter += 1
            g = -stage * logsumexp(log_a[:, None] + (f[:, None] - C) / stage, axis=0)
            f_next = -stage * logsumexp(log_b[None, :] + (g[None, :] - C) / stage, axis=1)
            if np.abs(a * np.expm1((f - f_next) / stage)).sum() <= tol:
                break
            f = f_next
        if stage == eps:
            return f, g, min(n_iter, budget)
'''
SORT_ONLY = '''
def w1_line(x, y, a=None, b=None):
    x, y = np.sort(np.asarray(x, dtype=float)), np.sort(np.asarray(y, dtype=float))
    n = min(len(x), len(y))  # truncates to the shorter sample, ignores the weights
    return float(np.mean(np.abs(x[:n] - y[:n])))
'''
NO_WEIGHT_CHECKS = '''
def w1_line(x, y, a=None, b=None):
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    a = np.full(len(x), 1 / len(x)) if a is None else np.asarray(a, dtype=float)
    b = np.full(len(y), 1 / len(y)) if b is None else np.asarray(b, dtype=float)
    z = np.concatenate([x, y])
    order = np.argsort(z, kind="stable")
    gap = np.cumsum(np.concatenate([a, -b])[order])[:-1]
    return float(np.sum(np.abs(gap) * np.diff(z[order])))
'''
LARGEST_ENTRY = '''
def breakdown_eps(C, dtype):
    C = np.asarray(C, dtype=float)
    t_max = np.log(2.0) - np.log(float(np.finfo(np.dtype(dtype)).smallest_subnormal))
    return float(C.max() / t_max)  # the largest entry does not decide
'''
FLOAT64_ONLY = '''
def breakdown_eps(C, dtype):
    C = np.asarray(C, dtype=float)
    worst = max(C.min(axis=1).max(), C.min(axis=0).max())
    return float(worst / 745.1332191019411)  # float64's threshold for every dtype
'''
POT_SINKHORN = '''
import ot as transport


def sinkhorn_log(a, b, C, eps, tol=1e-6, max_iter=10_000):
    a, b, C = (np.asarray(v, dtype=float) for v in (a, b, C))
    if not eps > 0:
        raise ValueError("eps")
    P, log = transport.bregman.sinkhorn_log(a, b, C, eps, stopThr=tol / 10,
                                            numItermax=max_iter, log=True)
    return eps * log["log_u"], eps * log["log_v"], max(1, log["niter"])
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "sinkhorn_log": (NO_STOPPING_RULE, ("failed",), "marginal error should be <= tol"),
        "eps_scaling": (IGNORES_BUDGET, ("failed",), "RuntimeError"),
        "w1_line": (SORT_ONLY, ("failed",), "0.25 * 0 + 0.75 * 1"),
        "breakdown": (LARGEST_ENTRY, ("failed",), "1% "),
    },
    "wrong2": {
        "sinkhorn_log": (EXP_DOMAIN, ("failed_hidden",), HIDDEN),
        "eps_scaling": (PLAIN_WITHIN_BUDGET, ("failed_hidden",), HIDDEN),
        "w1_line": (NO_WEIGHT_CHECKS, ("failed_hidden",), HIDDEN),
        "breakdown": (FLOAT64_ONLY, ("failed_hidden",), HIDDEN),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"sinkhorn_log": POT_SINKHORN},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
