r"""The Sinkhorn divergence between point clouds, and their cost matrix.

Entropic transport is biased: :math:`\mathrm{OT}_\varepsilon(\alpha, \alpha) > 0`, and for a few
thousand points at :math:`\varepsilon = 0.01 \max C` the entropic cost is many times the exact
one. The Sinkhorn divergence removes the bias of each measure against itself,

.. math::

    S_\varepsilon(\alpha, \beta) = \mathrm{OT}_\varepsilon(\alpha, \beta)
    - \tfrac12 \mathrm{OT}_\varepsilon(\alpha, \alpha)
    - \tfrac12 \mathrm{OT}_\varepsilon(\beta, \beta),

so that :math:`S_\varepsilon(\alpha, \alpha) = 0`; it is non-negative, and interpolates between
:math:`\mathrm{OT}_0` (as :math:`\varepsilon \to 0`) and a kernel MMD (as
:math:`\varepsilon \to \infty`). Between point clouds :math:`\alpha = \sum_i a_i \delta_{x_i}`,
:math:`\beta = \sum_j b_j \delta_{y_j}` the cost is :math:`C_{ij} = |x_i - y_j|^p`
(:math:`p = 2`: squared Euclidean, :math:`\mathrm{OT}_0 = W_2^2`).

Taught in: the optimal transport chapter (chapters/optimal_transport/optimal_transport.ipynb);
the GAN and diffusion chapters use it as a loss between samples.

References
----------
J. Feydy, T. Séjourné, F.-X. Vialard, S. Amari, A. Trouvé and G. Peyré, Interpolating between
optimal transport and MMD using Sinkhorn divergences, AISTATS 2019. G. Peyré and M. Cuturi,
Computational optimal transport (2019), section 4.5.
"""

from __future__ import annotations

import torch

from coursekit._checks import check_real
from coursekit.ot._common import as_tensor, uniform
from coursekit.ot.sinkhorn import sinkhorn

__all__ = ["sinkhorn_divergence"]


def _points(x, name):
    x = as_tensor(x, name)
    if x.ndim not in (2, 3) or x.shape[-1] == 0 or x.shape[-2] == 0:
        raise ValueError(f"{name} must be a non-empty (n, d) or (B, n, d) point cloud, got "
                         f"shape {tuple(x.shape)}")
    return x


def _cost(x, y, p):
    """|x_i - y_j|^p, shape (..., n, m); differentiable, with gradient 0 at coincident points."""
    if p == 2:
        return (x.unsqueeze(-2) - y.unsqueeze(-3)).square().sum(-1)
    d = (x.unsqueeze(-2) - y.unsqueeze(-3)).square().sum(-1)
    # sqrt has an infinite derivative at 0: take it on the positive entries only
    safe = torch.where(d > 0, d, torch.ones_like(d))
    return torch.where(d > 0, safe.pow(p / 2), torch.zeros_like(d))


def sinkhorn_divergence(x, y, eps, *, a=None, b=None, p=2, **sinkhorn_kwargs) -> torch.Tensor:
    r"""The debiased Sinkhorn divergence :math:`S_\varepsilon` between two point clouds.

    Parameters
    ----------
    x : Tensor ``(n, d)`` or ``(B, n, d)``
        Source points (sets the dtype and device).
    y : Tensor ``(m, d)`` or ``(B, m, d)``
        Target points.
    eps : float
        Regularisation ε > 0, in the units of the cost :math:`|x - y|^p`.
    a, b : Tensor ``(n,)``, ``(m,)`` (or batched), optional
        Weights (uniform by default).
    p : float
        Exponent of the ground cost :math:`|x - y|^p`, ``p >= 1``.
    **sinkhorn_kwargs
        Passed to :func:`coursekit.ot.sinkhorn` (``tol``, ``max_iter``, ``scaling``, ...).

    Returns
    -------
    Tensor ``()`` or ``(B,)``
        :math:`S_\varepsilon`, differentiable in ``x``, ``y``, ``a`` and ``b`` (envelope
        theorem on each of the three entropic problems).

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=torch.float64)
    >>> sinkhorn_divergence(x, x, eps=0.01).item()
    0.0
    >>> s = sinkhorn_divergence(x, x + torch.tensor([3.0, 0.0], dtype=torch.float64), eps=0.01)
    >>> abs(s.item() - 9.0) < 1e-3  # a translation by 3: W_2^2 = 9
    True
    """
    x = _points(x, "x")
    y = as_tensor(y, "y", dtype=x.dtype, device=x.device)
    y = _points(y, "y")
    if y.ndim != x.ndim or y.shape[-1] != x.shape[-1] or y.shape[:-2] != x.shape[:-2]:
        raise ValueError(f"x and y must have the same dimension and batch, got x of shape "
                         f"{tuple(x.shape)} and y of shape {tuple(y.shape)}")
    eps = check_real(eps, "eps", positive=True)
    p = check_real(p, "p", low=1.0)
    batch = tuple(x.shape[:-2])
    n, m = x.shape[-2], y.shape[-2]
    a = uniform((*batch, n), dtype=x.dtype, device=x.device) if a is None else a
    b = uniform((*batch, m), dtype=x.dtype, device=x.device) if b is None else b
    # checked by sinkhorn (names a, b), converted here to the points' dtype
    a = as_tensor(a, "a", dtype=x.dtype, device=x.device)
    b = as_tensor(b, "b", dtype=x.dtype, device=x.device)
    xy = sinkhorn(a, b, _cost(x, y, p), eps, **sinkhorn_kwargs).value
    xx = sinkhorn(a, a, _cost(x, x, p), eps, **sinkhorn_kwargs).value
    yy = sinkhorn(b, b, _cost(y, y, p), eps, **sinkhorn_kwargs).value
    return xy - 0.5 * (xx + yy)
