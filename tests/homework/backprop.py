"""The backprop chapter's homework: notebook, release, grading, and wrong answers per question."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "backprop"
QUESTIONS = {"residual": 3, "dual": 2, "reverse_mode": 3, "gradient_check": 2}
THOUGHT = {"residual", "dual", "reverse_mode"}  # derivatives derived, not printed
FORBID = {
    "residual": {"torch.autograd.grad", "torch.autograd.backward"},
    "reverse_mode": {"torch.autograd.grad", "coursekit.autodiff.Value"},
}

NO_SKIP_PATH = '''
def residual_backward(X, W, b, dH):
    X, W, b, dH = (np.asarray(a, dtype=float) for a in (X, W, b, dH))
    Z = X @ W.T + b
    e = np.exp(-np.abs(Z))
    dZ = dH * np.where(Z >= 0, 1 / (1 + e), e / (1 + e))
    return dZ @ W, dZ.T @ X, dZ.sum(axis=0)  # forgets the skip connection's dH
'''
NAN_SIGMOID = '''
def residual_backward(X, W, b, dH):
    X, W, b, dH = (np.asarray(a, dtype=float) for a in (X, W, b, dH))
    Z = X @ W.T + b
    with np.errstate(over="ignore", invalid="ignore"):
        sig = np.exp(Z) / (1.0 + np.exp(Z))  # inf / inf = nan for Z > 709
    dZ = dH * sig
    return dH + dZ @ W, dZ.T @ X, dZ.sum(axis=0)
'''
_GOOD_SQRT = '''
def d_sqrt(x):
    x = Dual.lift(x)
    if not x.val > 0:
        raise ValueError("x <= 0")
    root = math.sqrt(x.val)
    return Dual(root, x.dot / (2.0 * root))
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
POW_IGNORES_THE_EXPONENT = _GOOD_SQRT + '''

def d_pow(x, y):
    x, y = Dual.lift(x), Dual.lift(y)
    if x.val <= 0:
        raise ValueError("x <= 0")
    return Dual(x.val ** y.val, y.val * x.val ** (y.val - 1) * x.dot)  # the power rule only
'''
_SWEEP = '''
def backward(tape, values):
    values = np.asarray(values, dtype=float)
    adjoint = np.zeros(len(tape))
    adjoint[-1] = 1.0
    for k in range(len(tape) - 1, -1, -1):
        op, args = tape[k]
        if op == "input":
            continue
        local = {"add": lambda: (1.0, 1.0), "sub": lambda: (1.0, -1.0),
                 "mul": lambda: (values[args[1]], values[args[0]]),
                 "div": lambda: (1.0 / values[args[1]], -values[k] / values[args[1]]),
                 "tanh": lambda: (1.0 - values[k] ** 2,), "exp": lambda: (values[k],),
                 "log": lambda: (1.0 / values[args[0]],)}
'''
NO_ACCUMULATION = _SWEEP + '''
        for i, d in zip(args, local[op](), strict=True):
            adjoint[i] = adjoint[k] * d  # = instead of +=: a node feeding two operations
    return adjoint
'''
SKIPS_UNKNOWN_OPS = _SWEEP + '''
        if op not in local:
            continue  # silently ignores an unknown operation: a wrong gradient, no error
        for i, d in zip(args, local[op](), strict=True):
            adjoint[i] += adjoint[k] * d
    return adjoint
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
OTHER_RELATIVE_ERROR = '''
def gradient_check(f, grad, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.asarray(grad, dtype=float)
    g_num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        up = f(x)
        x[idx] = old - h
        g_num[idx] = (up - f(x)) / (2 * h)
        x[idx] = old
    scale = max(np.linalg.norm(grad) + np.linalg.norm(g_num), 1e-12)  # another normalisation
    return float(np.linalg.norm(grad - g_num) / scale), g_num
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "residual": (NO_SKIP_PATH, ("failed",), "dX does not match central differences"),
        "dual": (POW_IGNORES_THE_EXPONENT, ("failed",), "the exponent carries the tangent"),
        "reverse_mode": (NO_ACCUMULATION, ("failed",), "do not match central differences"),
        "gradient_check": (FORWARD_DIFFERENCES, ("failed",), "not accurate enough"),
    },
    "wrong2": {
        "residual": (NAN_SIGMOID, ("failed_hidden",), HIDDEN),
        "dual": (SQRT_WITHOUT_DOMAIN_CHECK, ("failed_hidden",), HIDDEN),
        "reverse_mode": (SKIPS_UNKNOWN_OPS, ("failed_hidden",), HIDDEN),
        "gradient_check": (OTHER_RELATIVE_ERROR, ("failed_hidden",), HIDDEN),
    },
}
ALIASED_AUTOGRAD = '''
import torch
from torch.autograd import grad as adjoints_of  # a banned function under another name


def residual_backward(X, W, b, dH):
    Xt, Wt, bt = (torch.tensor(np.asarray(a, dtype=float), requires_grad=True) for a in (X, W, b))
    Zt = Xt @ Wt.T + bt
    Ht = Xt + torch.nn.functional.softplus(Zt)
    dX, dW, db = adjoints_of((Ht * torch.tensor(np.asarray(dH, dtype=float))).sum(), (Xt, Wt, bt))
    return dX.numpy(), dW.numpy(), db.numpy()
'''
FORBIDDEN = {"aliases": {"residual": ALIASED_AUTOGRAD}}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
