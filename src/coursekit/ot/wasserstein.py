r"""The Wasserstein distance between one-dimensional samples, by quantile functions.

On the line the optimal plan is monotone: it sends the :math:`t`-quantile of :math:`\alpha` to
the :math:`t`-quantile of :math:`\beta`, so

.. math::

    W_p(\alpha, \beta) = \Big( \int_0^1 |F_\alpha^{-1}(t) - F_\beta^{-1}(t)|^p \, dt
    \Big)^{1/p},

an infimum over couplings computed by sorting. For two samples of equal size with uniform
weights it is :math:`(\frac1n \sum_k |x_{(k)} - y_{(k)}|^p)^{1/p}`; with weights, the quantile
functions are steps that change at the cumulative weights of either sample, and the integral is
a sum over the merged breakpoints.

Taught in: the optimal transport chapter (chapters/optimal_transport/optimal_transport.ipynb).

References
----------
G. Peyré and M. Cuturi, Computational optimal transport (2019), section 2.6. F. Santambrogio,
Optimal Transport for Applied Mathematicians, Birkhäuser, 2015, section 2.2.
"""

from __future__ import annotations

import torch

from coursekit._checks import check_real
from coursekit.ot._common import as_tensor, check_weights, uniform

__all__ = ["wasserstein_1d"]


def _sample(x, name, dtype=None, device=None):
    x = as_tensor(x, name, dtype=dtype, device=device)
    if x.ndim != 1 or x.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sample, got shape {tuple(x.shape)}")
    return x


def _quantiles(t, cum, values):
    """The step quantile function of (values, cumulative weights cum) at levels t."""
    idx = torch.searchsorted(cum.detach().contiguous(), t.detach().contiguous())
    return values[idx.clamp_max(values.numel() - 1)]


def wasserstein_1d(x, y, p=1, *, a=None, b=None) -> torch.Tensor:
    r"""The Wasserstein distance :math:`W_p` (the p-th root taken) between 1-D samples.

    Parameters
    ----------
    x : Tensor ``(n,)``
        Source sample (sets the dtype and device).
    y : Tensor ``(m,)``
        Target sample.
    p : float
        Order, ``p >= 1``.
    a, b : Tensor ``(n,)``, ``(m,)``, optional
        Weights (non-negative, summing to 1); uniform by default.

    Returns
    -------
    Tensor ``()``
        :math:`W_p`, differentiable in ``x`` and ``y`` (and in ``a``, ``b`` through the widths
        of the quantile steps).

    Examples
    --------
    A translation moves every quantile by the same amount:

    >>> import torch
    >>> x = torch.tensor([0.0, 1.0, 5.0], dtype=torch.float64)
    >>> wasserstein_1d(x, x + 2.0, p=3).item()
    2.0
    >>> wasserstein_1d(torch.tensor([0.0]), torch.tensor([1.0, 3.0])).item()  # (1 + 3) / 2
    2.0
    """
    x = _sample(x, "x")
    y = _sample(y, "y", dtype=x.dtype, device=x.device)
    p = check_real(p, "p", low=1.0)
    a = uniform((x.numel(),), dtype=x.dtype, device=x.device) if a is None else \
        check_weights(a, "a", (x.numel(),), dtype=x.dtype, device=x.device)
    b = uniform((y.numel(),), dtype=x.dtype, device=x.device) if b is None else \
        check_weights(b, "b", (y.numel(),), dtype=x.dtype, device=x.device)
    xs, ix = torch.sort(x)
    ys, iy = torch.sort(y)
    cum_a, cum_b = torch.cumsum(a[ix], 0), torch.cumsum(b[iy], 0)
    # breakpoints of both step functions (the last one, 1, closes both)
    t, _ = torch.sort(torch.cat([cum_a, cum_b]))
    t = t.clamp(0, 1)
    widths = torch.diff(t, prepend=t.new_zeros(1))
    gap = (_quantiles(t, cum_a, xs) - _quantiles(t, cum_b, ys)).abs()
    total = (widths * gap.pow(p)).sum()
    return total.pow(1.0 / p)
