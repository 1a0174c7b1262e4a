"""The GANs chapter's homework: notebook, release, grading, and wrong answers per question."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "gans"
QUESTIONS = {"js": 3, "collapse": 3, "penalty": 2, "linear_ae": 2}
THOUGHT = {"js", "collapse"}  # derive D* and V(D*) = 2 JS - log 4; diagnose and repair a run
FORBID = {
    "linear_ae": {"numpy.linalg.svd", "numpy.linalg.eigh", "sklearn.decomposition.PCA"},
}

SWAPPED = '''
def optimal_discriminator(log_p, log_q):
    log_p, log_q = np.asarray(log_p, dtype=float), np.asarray(log_q, dtype=float)
    return np.exp(-np.logaddexp(0.0, log_p - log_q))  # q / (p + q): the model's share


def js_estimate(log_p_xp, log_q_xp, log_p_xq, log_q_xq):
    d_xp = optimal_discriminator(log_p_xp, log_q_xp)
    d_xq = optimal_discriminator(log_p_xq, log_q_xq)
    return float((np.mean(np.log(d_xp)) + np.mean(np.log1p(-d_xq)) + np.log(4.0)) / 2)
'''
NAIVE_RATIO = '''
def optimal_discriminator(log_p, log_q):
    p, q = np.exp(np.asarray(log_p, dtype=float)), np.exp(np.asarray(log_q, dtype=float))
    return p / (p + q)  # 0 / 0 = NaN once both densities underflow


def js_estimate(log_p_xp, log_q_xp, log_p_xq, log_q_xq):
    d_xp = optimal_discriminator(log_p_xp, log_q_xp)
    d_xq = optimal_discriminator(log_p_xq, log_q_xq)
    return float((np.mean(np.log(d_xp)) + np.mean(np.log1p(-d_xq)) + np.log(4.0)) / 2)
'''
TRAIN_LONGER = '''
def fixed_config():
    config = dict(BROKEN)
    config["steps"] = 2000  # more of the same: over the budget
    return config
'''
SMALLER_BATCH = '''
def fixed_config():
    config = dict(BROKEN)
    config["batch"] = 128  # the batch was not the problem: five generator steps still collapse
    return config
'''
SQUARED_NORM = '''
def gradient_penalty(critic, real, fake, t, lam=10.0):
    real = torch.as_tensor(np.asarray(real, dtype=float))
    fake = torch.as_tensor(np.asarray(fake, dtype=float))
    t = torch.as_tensor(np.asarray(t, dtype=float))
    x_hat = (t[:, None] * real + (1 - t[:, None]) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return float(lam * (((grad**2).sum(dim=1) - 1) ** 2).mean())  # |g|^2, not |g|
'''
MIDPOINT = '''
def gradient_penalty(critic, real, fake, t, lam=10.0):
    real = torch.as_tensor(np.asarray(real, dtype=float))
    fake = torch.as_tensor(np.asarray(fake, dtype=float))
    x_hat = (0.5 * real + 0.5 * fake).requires_grad_(True)  # ignores t
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return float(lam * ((grad.norm(dim=1) - 1) ** 2).mean())
'''
NOT_ORTHONORMAL = '''
def linear_autoencoder(X, k, steps=3000, lr=0.05, seed=0):
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    N, d = Xc.shape
    h = np.random.default_rng(seed)
    E, W = 0.1 * h.standard_normal((k, d)), 0.1 * h.standard_normal((d, k))
    for _ in range(steps):
        C = Xc @ E.T
        R = C @ W.T - Xc
        W, E = W - lr * 2 * R.T @ C / N, E - lr * 2 * W.T @ R.T @ Xc / N
    return W  # the decoder itself: spans the subspace, but is not orthonormal
'''
SVD_ALIAS = '''
from numpy.linalg import svd as decompose


def linear_autoencoder(X, k, steps=3000, lr=0.05, seed=0):
    X = np.asarray(X, dtype=float)
    return decompose(X - X.mean(axis=0), full_matrices=False)[2][:k].T
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "js": (SWAPPED, ("failed",), "the data's share of p + q"),
        "collapse": (TRAIN_LONGER, ("failed",), "stay within the budget"),
        "penalty": (SQUARED_NORM, ("failed",), "the penalty is (5 - 1)^2"),
        "linear_ae": (NOT_ORTHONORMAL, ("failed",), "must be orthonormal"),
    },
    "wrong2": {
        "js": (NAIVE_RATIO, ("failed_hidden",), HIDDEN),
        "collapse": (SMALLER_BATCH, ("failed_hidden",), HIDDEN),
        "penalty": (MIDPOINT, ("failed_hidden",), HIDDEN),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"linear_ae": SVD_ALIAS},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
