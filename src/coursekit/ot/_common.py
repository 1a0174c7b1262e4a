"""Argument checks and conversions shared by the modules of :mod:`coursekit.ot` (private).

Inputs are torch tensors; NumPy arrays, lists and scalars are accepted and converted (float64).
The computation runs in the dtype and on the device of the cost matrix (float32 or float64;
integer and reduced-precision tensors are widened), and every check raises a ``TypeError`` or
``ValueError`` whose message starts with the name of the offending argument.

Taught in: not taught (scaffolding of the optimal transport chapter).
"""

from __future__ import annotations

import torch

from coursekit._checks import as_array

__all__: list[str] = []


def as_tensor(x, name: str, *, dtype: torch.dtype | None = None,
              device: torch.device | None = None, finite: bool = True) -> torch.Tensor:
    """``x`` as a real floating tensor (float32 or float64), refusing NaN/inf when ``finite``.

    Tensors keep their autograd graph (the conversion is differentiable); anything else goes
    through :func:`coursekit._checks.as_array` (ragged, complex, boolean, object data refused).
    """
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a complex tensor")
        if x.dtype == torch.bool:
            raise TypeError(f"{name} must hold real numbers, got booleans")
        if not x.is_floating_point():
            x = x.to(torch.float64)
        elif x.dtype not in (torch.float32, torch.float64):
            x = x.to(torch.float32)
    else:
        x = torch.from_numpy(as_array(x, name, finite=False).copy())
    if dtype is not None or device is not None:
        x = x.to(dtype=dtype or x.dtype, device=device or x.device)
    # NaN propagates to both extremes and an infinity is one of them: one read of x, no
    # boolean copy (about 20x faster than isfinite(x).all() on a large cost matrix)
    if finite and x.numel() and not bool(torch.isfinite(torch.stack(
            torch.aminmax(x.detach().reshape(-1)))).all()):
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return x


def check_weights(w, name: str, shape: tuple, *, dtype, device) -> torch.Tensor:
    """Probability weights of the given ``shape``: non-negative, each row summing to 1."""
    w = as_tensor(w, name)
    # the rounding slack of the dtype the weights came in (float32 sums stray by ~1e-7 n^0.5)
    slack = 1e-8 if w.dtype == torch.float64 else 1e-5 * max(1.0, w.shape[-1] ** 0.5 if w.ndim
                                                             else 1.0)
    w = w.to(dtype=dtype, device=device)
    if tuple(w.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(w.shape)}")
    wd = w.detach()
    if bool((wd < 0).any()):
        raise ValueError(f"{name} must be non-negative weights (it has a negative entry)")
    total = wd.double().sum(-1)
    if bool(((total - 1).abs() > slack).any()):
        worst = float(total.flatten()[(total - 1).abs().argmax()])
        raise ValueError(f"{name} must be normalised weights summing to 1, got a sum of {worst!r}")
    return w


def check_problem(a, b, C):
    """Check and convert ``(a, b, C)`` of an OT problem; returns ``(a, b, C)`` as tensors.

    ``C`` is ``(n, m)`` with ``a (n,)``, ``b (m,)``, or batched ``(B, n, m)`` with ``a (B, n)``,
    ``b (B, m)``; ``a`` and ``b`` are moved to ``C``'s dtype and device.
    """
    C = as_tensor(C, "C")
    if C.ndim not in (2, 3):
        raise ValueError(f"C must be a 2-D (n, m) or 3-D (B, n, m) cost matrix, got shape "
                         f"{tuple(C.shape)}")
    if C.shape[-1] == 0 or C.shape[-2] == 0 or (C.ndim == 3 and C.shape[0] == 0):
        raise ValueError(f"C must not be empty, got shape {tuple(C.shape)}")
    batch = tuple(C.shape[:-2])
    a = check_weights(a, "a", (*batch, C.shape[-2]), dtype=C.dtype, device=C.device)
    b = check_weights(b, "b", (*batch, C.shape[-1]), dtype=C.dtype, device=C.device)
    return a, b, C


def uniform(shape: tuple, *, dtype, device) -> torch.Tensor:
    """Uniform probability weights of the given shape (last axis summing to 1)."""
    return torch.full(shape, 1.0 / shape[-1], dtype=dtype, device=device)
