r"""Stochastic differential equations: Brownian increments and the Euler-Maruyama scheme.

An Itô SDE with drift :math:`b` and diagonal diffusion :math:`\sigma`,

.. math::
    dX_t = b(X_t, t)\, dt + \sigma(X_t, t) \odot dW_t, \qquad X_{t_0} = x_0,

is advanced on a grid :math:`t_0 < t_1 < \dots < t_N` with steps :math:`h_k = t_{k+1} - t_k`
by the Euler-Maruyama recursion

.. math::
    X_{k+1} = X_k + b(X_k, t_k)\, h_k + \sigma(X_k, t_k) \odot \Delta W_k, \qquad
    \Delta W_k = W_{t_{k+1}} - W_{t_k} \sim \mathcal N(0, h_k I),

independent across steps and coordinates. Its strong error :math:`E|X_N - X_{t_N}|` is
:math:`O(h^{1/2})` in general (:math:`O(h)` for additive noise) and its weak error
:math:`|E f(X_N) - E f(X_{t_N})|` is :math:`O(h)`. Every path of a batch is advanced at once:
``x0`` holds the starting points of all paths (any shape, e.g. ``(n_paths, d)``), the noise has
that shape too, and the work is done in place on the device and dtype of ``x0``. The Brownian
increments can be supplied (``dW``), so that a solution is compared with the exact solution
driven by the same path, which is how a strong error is measured.

Taught in: the SDEs and diffusion chapter (chapters/sdes/sdes.ipynb), which writes the scheme
in the notebook and checks it against this copy.

References
----------
P. E. Kloeden and E. Platen, *Numerical solution of stochastic differential equations*,
Springer (1992), chapters 9-10. D. J. Higham, An algorithmic introduction to numerical
simulation of stochastic differential equations, SIAM Review 43 (2001) 525-546.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch

from coursekit._checks import as_array, check_bool, check_callable, check_real
from coursekit.runtime import as_generator, resolve_device, torch_generator

__all__ = ["brownian_increments", "euler_maruyama"]

#: Elements of Gaussian noise drawn per call of the generator (a block of steps at once).
_BLOCK_ELEMENTS = 1 << 18


def _as_state(x0) -> torch.Tensor:
    """``x0`` as a non-empty finite floating tensor (a copy); arrays become float64 on the CPU."""
    if isinstance(x0, torch.Tensor):
        x = x0.detach()
        if x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"x0 must hold real numbers, got dtype {x.dtype}")
        if not x.is_floating_point():
            x = x.to(torch.get_default_dtype())
        if x.numel() == 0:
            raise ValueError(f"x0 must not be empty, got shape {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError("x0 must be finite (it holds NaN or inf)")
        return x.clone()
    return torch.from_numpy(as_array(x0, "x0", nonempty=True).copy())


def _as_grid(t_grid) -> np.ndarray:
    """``t_grid`` as a strictly increasing float64 vector of at least two times."""
    t = as_array(t_grid, "t_grid", ndim=1)
    if t.size < 2:
        raise ValueError(f"t_grid must hold at least 2 times, got {t.size}")
    if not np.all(np.diff(t) > 0):
        raise ValueError("t_grid must be strictly increasing")
    return t


def brownian_increments(shape, t_grid, *, rng=None, device=None, dtype=torch.float64):
    r"""Independent Brownian increments :math:`\Delta W_k \sim \mathcal N(0, h_k I)` on a grid.

    Parameters
    ----------
    shape : tuple of int
        Shape of one increment (the state's shape, e.g. ``(n_paths, d)``).
    t_grid : array_like, shape (N + 1,)
        Strictly increasing times; :math:`h_k = t_{k+1} - t_k`.
    rng : numpy.random.Generator, int or None
        The package's convention (:func:`coursekit.runtime.torch_generator`).
    device : None, str or torch.device
        Where the increments live (the CPU by default).
    dtype : torch.dtype
        A floating dtype (float64 by default).

    Returns
    -------
    torch.Tensor, shape (N, *shape)
        Row ``k`` is :math:`W_{t_{k+1}} - W_{t_k}`; ``W_{t_k} - W_{t_0}`` is the cumulative sum.

    Examples
    --------
    >>> dW = brownian_increments((4000,), [0.0, 0.5, 2.0], rng=0)
    >>> dW.shape
    torch.Size([2, 4000])
    >>> [round(v, 1) for v in dW.var(dim=1).tolist()]    # the variances h_k = 0.5 and 1.5
    [0.5, 1.5]
    """
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_))
            and s >= 0 for s in shape):
        raise TypeError(f"shape must be a tuple of non-negative ints, got {shape!r}")
    t = _as_grid(t_grid)
    dev = torch.device("cpu") if device is None else resolve_device(device)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    gen = torch_generator(rng, dev)
    z = torch.randn((t.size - 1, *map(int, shape)), generator=gen, device=dev, dtype=dtype)
    h = torch.as_tensor(np.sqrt(np.diff(t)), dtype=dtype, device=dev)
    return z.mul_(h.reshape(-1, *([1] * len(shape))))


def _checked_increments(dW, x: torch.Tensor, n_steps: int) -> torch.Tensor:
    want = (n_steps, *x.shape)
    if isinstance(dW, torch.Tensor):
        d = dW.detach()
        if d.is_complex() or d.dtype == torch.bool:
            raise TypeError(f"dW must hold real numbers, got dtype {d.dtype}")
    else:
        d = torch.from_numpy(as_array(dW, "dW"))
    if tuple(d.shape) != want:
        raise ValueError(f"dW must have shape (len(t_grid) - 1, *x0.shape) = {want}, "
                         f"got {tuple(d.shape)}")
    d = d.to(device=x.device, dtype=x.dtype)
    if not bool(torch.isfinite(d).all()):
        raise ValueError("dW must be finite (it holds NaN or inf)")
    return d


def _own(value, x: torch.Tensor, name: str):
    """A drift or diffusion value that broadcasts to x's shape and shares no memory with x."""
    if isinstance(value, torch.Tensor):
        if value.shape != x.shape:
            try:
                shape = torch.broadcast_shapes(value.shape, x.shape)
            except RuntimeError:
                shape = None
            if shape != x.shape:
                raise ValueError(f"{name}(x, t) must return a tensor that broadcasts to x's "
                                 f"shape {tuple(x.shape)}, got shape {tuple(value.shape)}")
        if value is x or (value._base is not None and value.untyped_storage().data_ptr()
                          == x.untyped_storage().data_ptr()):
            value = value.clone()  # a view of x would change under the in-place update
        return value
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{name}(x, t) must return a tensor or a real number, "
                    f"got {type(value).__name__}")


def euler_maruyama(drift, diffusion, x0, t_grid, *, dW=None, rng=None, return_path=False):
    r"""Integrate :math:`dX = b(X, t)\,dt + \sigma(X, t) \odot dW` by Euler-Maruyama, batched.

    Parameters
    ----------
    drift : callable
        ``drift(x, t) -> b`` with ``x`` the current state (a tensor of ``x0``'s shape) and ``t``
        a float; ``b`` is a tensor that broadcasts to ``x``'s shape (or a real number).
    diffusion : callable or float
        ``diffusion(x, t) -> sigma``, multiplied coordinate-wise with the increment (diagonal
        noise), or a constant real :math:`\sigma` (additive noise, the fastest path).
    x0 : torch.Tensor or array_like
        Starting points of every path, any non-empty shape (e.g. ``(n_paths, d)``). A tensor
        fixes the device and floating dtype of the computation; other arrays are float64 on the
        CPU. It is not modified.
    t_grid : array_like, shape (N + 1,)
        Strictly increasing times :math:`t_0 < \dots < t_N` (non-uniform steps are allowed).
    dW : torch.Tensor or array_like, shape (N, *x0.shape), optional
        The Brownian increments to use (variance :math:`h_k`, e.g. from
        :func:`brownian_increments`); drawn from ``rng`` when omitted.
    rng : numpy.random.Generator, int or None
        Randomness when ``dW`` is omitted (the package's convention; seed 0 by default).
    return_path : bool
        Return every state, shape ``(N + 1, *x0.shape)`` (row 0 is ``x0``), instead of the last.

    Returns
    -------
    torch.Tensor
        :math:`X_N`, of ``x0``'s shape, or the whole path; on ``x0``'s device and dtype.

    Raises
    ------
    ValueError
        If the solution becomes NaN or infinite (a step too large for the drift, say), besides
        the argument checks (shapes, grid, finiteness).

    Examples
    --------
    Ornstein-Uhlenbeck :math:`dX = -X\,dt + \sqrt 2\, dW` from 0: at time 3 the variance is
    :math:`1 - e^{-6}`.

    >>> x0, grid = torch.zeros(50_000), torch.linspace(0, 3, 301)
    >>> x = euler_maruyama(lambda x, t: -x, 2**0.5, x0, grid)
    >>> round(x.var().item(), 1)
    1.0

    With the increments given, a path of :math:`dX = dW` is the Brownian path itself:

    >>> dW = brownian_increments((3,), [0.0, 1.0, 2.0], rng=1)
    >>> x = euler_maruyama(lambda x, t: 0.0, 1.0, torch.zeros(3, dtype=torch.float64),
    ...                    [0.0, 1.0, 2.0], dW=dW)
    >>> bool(torch.allclose(x, dW.sum(0)))
    True
    """
    check_callable(drift, "drift", "drift(x, t)")
    constant = not callable(diffusion)
    if constant:
        if not isinstance(diffusion, Real) or isinstance(diffusion, (bool, np.bool_)):
            raise TypeError("diffusion must be callable as diffusion(x, t) or a real number, "
                            f"got {type(diffusion).__name__}")
        sigma = check_real(diffusion, "diffusion")
    x = _as_state(x0)
    t = _as_grid(t_grid)
    return_path = check_bool(return_path, "return_path")
    n_steps = t.size - 1
    h = np.diff(t)
    sqrt_h = np.sqrt(h)
    if dW is not None:
        as_generator(rng)  # checked even when unused
        noise, scale = _checked_increments(dW, x, n_steps), np.ones(n_steps)
        block = n_steps
    else:
        gen = torch_generator(rng, x.device)
        scale = sqrt_h
        block = max(1, min(n_steps, _BLOCK_ELEMENTS // x.numel()))
        buffer = torch.empty((block, *x.shape), dtype=x.dtype, device=x.device)
    times, steps = t[:-1].tolist(), h.tolist()
    noise_scale = (scale * (sigma if constant else 1.0)).tolist()
    path = None
    if return_path:
        path = torch.empty((n_steps + 1, *x.shape), dtype=x.dtype, device=x.device)
        path[0] = x
    for start in range(0, n_steps, block):
        if dW is None:
            stop = min(start + block, n_steps)
            noise = torch.randn(buffer[: stop - start].shape, generator=gen, dtype=x.dtype,
                                device=x.device, out=buffer[: stop - start])
            offset = start
        else:
            stop, offset = n_steps, 0
        for k in range(start, stop):
            b = _own(drift(x, times[k]), x, "drift")
            z = noise[k - offset]
            if constant:
                x.add_(b, alpha=steps[k])
                x.add_(z, alpha=noise_scale[k])
            else:
                inc = z * _own(diffusion(x, times[k]), x, "diffusion")
                x.add_(b, alpha=steps[k])
                x.add_(inc, alpha=noise_scale[k])
            if path is not None:
                path[k + 1] = x
    out = x if path is None else path
    if not bool(torch.isfinite(out).all()):
        raise ValueError("euler_maruyama: the solution became NaN or infinite; the step is too "
                         "large for this drift, or drift/diffusion returned NaN")
    return out

