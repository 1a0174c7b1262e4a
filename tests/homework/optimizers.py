"""The optimizers chapter's homework: notebook, release, grading, and wrong answers per question."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "optimizers"
QUESTIONS = {"adam_step": 2, "dropout": 2, "leaky_init": 3, "fold_batchnorm": 3}
THOUGHT = {"leaky_init", "fold_batchnorm"}  # derive the variance recursion; derive the folding
FORBID = {
    "adam_step": {"torch.optim.Adam"},
    "dropout": {"torch.nn.functional.dropout"},
    "leaky_init": {"torch.nn.init.calculate_gain"},
}

NO_BIAS_CORRECTION = '''
def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, g = np.asarray(theta, dtype=float), np.asarray(g, dtype=float)
    if t < 1:
        raise ValueError("t")
    m_new = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * g
    v_new = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * g * g
    return theta - lr * m_new / (np.sqrt(v_new) + eps), m_new, v_new  # no correction
'''
EPS_INSIDE = '''
def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, g = np.asarray(theta, dtype=float), np.asarray(g, dtype=float)
    if t < 1:
        raise ValueError("t")
    m_new = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * g
    v_new = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * g * g
    m_hat, v_hat = m_new / (1 - beta1**t), v_new / (1 - beta2**t)
    return theta - lr * m_hat / np.sqrt(v_hat + eps), m_new, v_new  # eps inside the root
'''
NOT_INVERTED = '''
def dropout(a, p, seed, train=True):
    a = np.asarray(a, dtype=float)
    if not 0 <= p < 1:
        raise ValueError("p")
    if not train:
        return a.copy(), np.ones(a.shape, dtype=bool)
    mask = np.random.default_rng(seed).random(a.shape) >= p
    return a * mask, mask  # forgets to divide by 1 - p
'''
NO_P_CHECK = '''
def dropout(a, p, seed, train=True):
    a = np.asarray(a, dtype=float)
    if not train:
        return a.copy(), np.ones(a.shape, dtype=bool)
    mask = np.random.default_rng(seed).random(a.shape) >= p
    return a * mask / (1 - p), mask
'''
HE_FOR_EVERY_SLOPE = '''
def leaky_init_std(fan_in, slope):
    if fan_in < 1 or not 0 <= slope <= 1:
        raise ValueError("fan_in, slope")
    return float(np.sqrt(2.0 / fan_in))  # ignores the slope
'''
NO_EPS = '''
def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5):
    W = np.asarray(W, dtype=float)
    b, gamma, beta, mean, var = (np.asarray(a, dtype=float)
                                 for a in (b, gamma, beta, running_mean, running_var))
    if W.ndim != 2 or any(x.shape != (W.shape[0],) for x in (b, gamma, beta, mean, var)):
        raise ValueError("shapes")
    if np.any(var < 0):
        raise ValueError("running_var")
    scale = gamma / np.sqrt(var)  # forgets eps
    return W * scale[:, None], (b - mean) * scale + beta
'''
BIAS_NOT_SCALED = '''
def fold_batchnorm(W, b, gamma, beta, running_mean, running_var, eps=1e-5):
    W = np.asarray(W, dtype=float)
    b, gamma, beta, mean, var = (np.asarray(a, dtype=float)
                                 for a in (b, gamma, beta, running_mean, running_var))
    if W.ndim != 2 or any(x.shape != (W.shape[0],) for x in (b, gamma, beta, mean, var)):
        raise ValueError("shapes")
    if np.any(var < 0):
        raise ValueError("running_var")
    scale = gamma / np.sqrt(var + eps)
    return W * scale[:, None], b - mean * scale + beta  # b left unscaled
'''
TORCH_ADAM = '''
import torch
from torch.optim import Adam as Optimizer  # a banned class under another name


def adam_step(theta, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, g = np.asarray(theta, dtype=float), np.asarray(g, dtype=float)
    if t < 1:
        raise ValueError("t")
    m_new = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * g
    v_new = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * g * g
    w = torch.tensor(theta, requires_grad=True)
    opt = Optimizer([w], lr=lr, betas=(beta1, beta2), eps=eps)
    return theta - lr * (m_new / (1 - beta1**t)) / (np.sqrt(v_new / (1 - beta2**t)) + eps), \\
        m_new, v_new
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "adam_step": (NO_BIAS_CORRECTION, ("failed",), "is the bias corrected?"),
        "dropout": (NOT_INVERTED, ("failed",), "divided by 1 - p"),
        "leaky_init": (HE_FOR_EVERY_SLOPE, ("failed",), "keeps more variance"),
        "fold_batchnorm": (BIAS_NOT_SCALED, ("failed",), "(W x + b - mean) / std"),
    },
    "wrong2": {
        "adam_step": (EPS_INSIDE, ("failed_hidden",), HIDDEN),
        "dropout": (NO_P_CHECK, ("failed_hidden",), HIDDEN),
        "fold_batchnorm": (NO_EPS, ("failed_hidden",), HIDDEN),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"adam_step": TORCH_ADAM},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
