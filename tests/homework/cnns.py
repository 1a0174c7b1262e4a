"""The cnns chapter's homework: notebook, release, grading, and wrong answers per question."""

from __future__ import annotations

from _hwcommon import chapter_tests

CHAPTER = "cnns"
QUESTIONS = {"conv2d": 2, "conv_transpose": 3, "receptive": 2, "im2col": 2}
THOUGHT = {"conv_transpose", "receptive"}  # the adjoint and the dilated formula are derived
FORBID = {
    "conv2d": {"torch.nn.functional.conv2d", "scipy.signal.correlate2d"},
    "conv_transpose": {"torch.nn.functional.conv_transpose2d", "torch.autograd.grad"},
    "im2col": {"torch.nn.functional.unfold"},
}

FLIPPED_KERNEL = '''
def conv2d_numpy(x, w, b, stride=1, padding=0):
    x, w, b = (np.asarray(a, dtype=float) for a in (x, w, b))
    if x.shape[0] != w.shape[1] or stride < 1 or padding < 0:
        raise ValueError("bad arguments")
    w = w[:, :, ::-1, ::-1]  # a true convolution: the library's layer does not flip
    k = w.shape[-1]
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    if xp.shape[1] < k or xp.shape[2] < k:
        raise ValueError("does not fit")
    Ho, Wo = (xp.shape[1] - k) // stride + 1, (xp.shape[2] - k) // stride + 1
    y = np.empty((w.shape[0], Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, i, j] = np.tensordot(w, patch, axes=3) + b
    return y
'''
NO_PLUS_ONE = '''
def conv2d_numpy(x, w, b, stride=1, padding=0):
    x, w, b = (np.asarray(a, dtype=float) for a in (x, w, b))
    if x.shape[0] != w.shape[1] or stride < 1 or padding < 0:
        raise ValueError("bad arguments")
    k = w.shape[-1]
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    Ho, Wo = (xp.shape[1] - k) // stride, (xp.shape[2] - k) // stride  # the +1 dropped
    if Ho < 1 or Wo < 1:
        raise ValueError("does not fit")
    y = np.empty((w.shape[0], Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, i, j] = np.tensordot(w, patch, axes=3) + b
    return y
'''
TORCH_UNDER_AN_ALIAS = '''
import torch
from torch.nn.functional import conv2d as correlate  # a banned function under another name


def conv2d_numpy(x, w, b, stride=1, padding=0):
    x, w, b = (np.asarray(a, dtype=float) for a in (x, w, b))
    if x.shape[0] != w.shape[1] or stride < 1 or padding < 0:
        raise ValueError("bad arguments")
    k = w.shape[-1]
    if x.shape[1] + 2 * padding < k or x.shape[2] + 2 * padding < k:
        raise ValueError("does not fit")
    T = torch.from_numpy
    return correlate(T(x)[None], T(w), T(b), stride=stride, padding=padding)[0].numpy()
'''
STRIDE_IGNORED = '''
def conv_transpose2d_numpy(y, w, stride=1):
    y, w = np.asarray(y, dtype=float), np.asarray(w, dtype=float)
    if stride < 1 or y.shape[0] != w.shape[0]:
        raise ValueError("bad arguments")
    k = w.shape[-1]
    _, Ho, Wo = y.shape
    x = np.zeros((w.shape[1], (Ho - 1) * stride + k, (Wo - 1) * stride + k))
    for i in range(Ho):
        for j in range(Wo):  # scatters at i, j: right for stride 1 only
            x[:, i:i + k, j:j + k] += np.tensordot(y[:, i, j], w, axes=1)
    return x
'''
DENSE_MATRIX = '''
def conv_transpose2d_numpy(y, w, stride=1):
    y, w = np.asarray(y, dtype=float), np.asarray(w, dtype=float)
    if stride < 1 or y.shape[0] != w.shape[0]:
        raise ValueError("bad arguments")
    (C_out, Ho, Wo), (_, C_in, k, _) = y.shape, w.shape
    H, W = (Ho - 1) * stride + k, (Wo - 1) * stride + k
    M = np.zeros((C_out * Ho * Wo, C_in * H * W))  # the dense matrix the question rules out
    for o in range(C_out):
        for i in range(Ho):
            for j in range(Wo):
                row = np.zeros((C_in, H, W))
                row[:, stride * i:stride * i + k, stride * j:stride * j + k] = w[o]
                M[(o * Ho + i) * Wo + j] = row.ravel()
    return (M.T @ y.ravel()).reshape(C_in, H, W)
'''
DILATION_IGNORED = '''
def receptive_field(layers):
    r, jump = 1, 1
    for k, s, d in layers:
        if min(k, s, d) < 1:
            raise ValueError("bad layer")
        r += (k - 1) * jump  # forgets that dilation spreads the taps
        jump *= s
    return int(r)
'''
OWN_STRIDE_COUNTED = '''
def receptive_field(layers):
    r, jump = 1, 1
    for k, s, d in layers:
        if min(k, s, d) < 1:
            raise ValueError("bad layer")
        jump *= s  # the layer's own stride applied to its own kernel
        r += d * (k - 1) * jump
    return int(r)
'''
CHANNELS_LAST = '''
def im2col(x, k, stride=1, padding=0):
    x = np.asarray(x, dtype=float)
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    C, Hp, Wp = xp.shape
    if Hp < k or Wp < k:
        raise ValueError("does not fit")
    Ho, Wo = (Hp - k) // stride + 1, (Wp - k) // stride + 1
    cols = np.empty((C * k * k, Ho * Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, i * stride:i * stride + k, j * stride:j * stride + k]
            cols[:, i * Wo + j] = window.transpose(1, 2, 0).ravel()  # rows, columns, channel
    return cols
'''
UNFOLD_UNDER_AN_ALIAS = '''
import torch
import torch.nn.functional as nnf  # a banned function through a module alias


def im2col(x, k, stride=1, padding=0):
    x = np.asarray(x, dtype=float)
    if x.shape[1] + 2 * padding < k or x.shape[2] + 2 * padding < k:
        raise ValueError("does not fit")
    return nnf.unfold(torch.from_numpy(x)[None], k, padding=padding, stride=stride)[0].numpy()
'''

HIDDEN = "hidden test"
WRONG = {  # student -> question -> (answer, accepted statuses, part of the message)
    "wrong1": {
        "conv2d": (FLIPPED_KERNEL, ("failed",), "no flip"),
        "conv_transpose": (STRIDE_IGNORED, ("failed_hidden",), HIDDEN),
        "receptive": (DILATION_IGNORED, ("failed_hidden",), HIDDEN),
        "im2col": (CHANNELS_LAST, ("failed",), "channel first"),
    },
    "wrong2": {
        "conv2d": (NO_PLUS_ONE, ("failed",), "should have shape"),
        "conv_transpose": (DENSE_MATRIX, ("failed_hidden", "timeout"), ""),
        "receptive": (OWN_STRIDE_COUNTED, ("failed",), "29 pixels"),
    },
}
FORBIDDEN = {  # correct values through a banned call: only the forbid= check catches them
    "aliases": {"conv2d": TORCH_UNDER_AN_ALIAS, "im2col": UNFOLD_UNDER_AN_ALIAS},
}

globals().update(chapter_tests(CHAPTER, QUESTIONS, THOUGHT, FORBID, WRONG, FORBIDDEN))
