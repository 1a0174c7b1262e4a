r"""Exact (unregularised) optimal transport through SciPy, with its dual potentials.

The Kantorovich problem :math:`\min_{P \in \Pi(a, b)} \langle P, C \rangle` is a linear program
in the :math:`nm` entries of :math:`P` with the :math:`n + m` marginal constraints; its dual is
:math:`\max_{f_i + g_j \le C_{ij}} \langle a, f \rangle + \langle b, g \rangle`, and at the
optimum the two values agree and :math:`P_{ij} > 0` only where :math:`f_i + g_j = C_{ij}`
(complementary slackness). For uniform weights with :math:`n = m` a vertex of the transport
polytope is a permutation matrix over :math:`n` (Birkhoff), so the problem is an assignment,
solved by :func:`scipy.optimize.linear_sum_assignment`; its potentials then come from the
optimal permutation :math:`\sigma` as shortest paths: :math:`g_j - g_{\sigma(i)} \le C_{ij} -
C_{i\sigma(i)}` (no negative cycle, since :math:`\sigma` is optimal) and :math:`f_i =
C_{i\sigma(i)} - g_{\sigma(i)}`. Otherwise the LP is solved by HiGHS
(:func:`scipy.optimize.linprog`), whose equality marginals are the potentials.

Taught in: the optimal transport chapter (chapters/optimal_transport/optimal_transport.ipynb).

References
----------
G. Peyré and M. Cuturi, Computational optimal transport (2019), chapter 3. H. W. Kuhn, The
Hungarian method for the assignment problem, Naval Res. Logist. Q. 2 (1955).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from coursekit.ot._common import check_problem

__all__ = ["ExactResult", "exact"]


@dataclasses.dataclass(frozen=True, eq=False)
class ExactResult:
    """What :func:`exact` returns (leading ``B`` for a batch), in the dtype/device of ``C``.

    Attributes
    ----------
    plan : Tensor ``(B, n, m)``
        An optimal coupling.
    cost : Tensor ``(B,)``
        The optimal cost :math:`\\langle P, C\\rangle = \\langle a, f\\rangle + \\langle b,
        g\\rangle`.
    f, g : Tensor ``(B, n)``, ``(B, m)``
        Optimal dual potentials: :math:`f_i + g_j \\le C_{ij}`, with equality where
        :math:`P_{ij} > 0`.

    Examples
    --------
    >>> import torch
    >>> from coursekit import ot
    >>> a = b = torch.full((2,), 0.5, dtype=torch.float64)
    >>> C = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    >>> res = ot.exact(a, b, C)
    >>> res.plan.tolist(), float(res.cost), float((res.f[:, None] + res.g - C).max()) <= 1e-12
    ([[0.5, 0.0], [0.0, 0.5]], 0.0, True)
    """

    plan: torch.Tensor
    cost: torch.Tensor
    f: torch.Tensor
    g: torch.Tensor


def _assignment_duals(C, sigma):
    """Potentials of the optimal permutation sigma, by Bellman-Ford on difference constraints."""
    n = C.shape[0]
    rows = np.arange(n)
    # g_j <= g_sigma(i) + C_ij - C_i sigma(i): edges sigma(i) -> j, from a virtual source at 0
    w = C - C[rows, sigma][:, None]
    g = np.zeros(n)
    for _ in range(n + 1):
        g_new = np.minimum(g, (g[sigma][:, None] + w).min(0))
        if np.array_equal(g_new, g):
            break
        g = g_new
    return C[rows, sigma] - g[sigma], g


def _solve_one(a, b, C):
    from scipy.optimize import linear_sum_assignment, linprog
    from scipy.sparse import coo_array, vstack

    n, m = C.shape
    if n == m and np.allclose(a, 1.0 / n, rtol=0, atol=1e-12) and np.allclose(
            b, 1.0 / n, rtol=0, atol=1e-12):
        _, sigma = linear_sum_assignment(C)
        f, g = _assignment_duals(C, sigma)
        P = np.zeros((n, n))
        P[np.arange(n), sigma] = 1.0 / n
        return P, float(C[np.arange(n), sigma].mean()), f / 1.0, g / 1.0
    idx = np.arange(n * m)
    rows = coo_array((np.ones(n * m), (idx // m, idx)), shape=(n, n * m))
    cols = coo_array((np.ones(n * m), (idx % m, idx)), shape=(m, n * m))
    res = linprog(C.ravel(), A_eq=vstack([rows, cols]).tocsr(), b_eq=np.concatenate([a, b]),
                  bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - a transport LP is always feasible and bounded
        raise RuntimeError(f"linprog failed: {res.message}")
    duals = res.eqlin.marginals
    return res.x.reshape(n, m), float(res.fun), duals[:n], duals[n:]


def exact(a, b, C) -> ExactResult:
    r"""Exact optimal transport :math:`\min_{P \in \Pi(a, b)} \langle P, C\rangle` (no entropy).

    Parameters
    ----------
    a : Tensor ``(n,)`` or ``(B, n)``
        Source weights (non-negative, summing to 1).
    b : Tensor ``(m,)`` or ``(B, m)``
        Target weights.
    C : Tensor ``(n, m)`` or ``(B, n, m)``
        Finite costs (the result takes their dtype and device; the solve runs in float64 on
        the CPU).

    Returns
    -------
    ExactResult
        ``plan``, ``cost``, and the dual potentials ``f``, ``g``.

    Examples
    --------
    Two points swapped: the optimal plan is the anti-diagonal, of cost 0.

    >>> import torch
    >>> a = torch.tensor([0.5, 0.5], dtype=torch.float64)
    >>> C = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    >>> res = exact(a, a, C)
    >>> res.plan
    tensor([[0.0000, 0.5000],
            [0.5000, 0.0000]], dtype=torch.float64)
    >>> res.cost.item()
    0.0
    """
    a, b, C = check_problem(a, b, C)
    batched = C.ndim == 3
    A = a.detach().cpu().double().numpy().reshape(-1, C.shape[-2])
    Bw = b.detach().cpu().double().numpy().reshape(-1, C.shape[-1])
    Cs = C.detach().cpu().double().numpy().reshape(-1, *C.shape[-2:])
    out = [_solve_one(A[k], Bw[k], Cs[k]) for k in range(Cs.shape[0])]

    def stack(i):
        t = torch.as_tensor(np.stack([np.asarray(o[i]) for o in out]), dtype=C.dtype,
                            device=C.device)
        return t if batched else t[0]

    return ExactResult(plan=stack(0), cost=stack(1), f=stack(2), g=stack(3))
