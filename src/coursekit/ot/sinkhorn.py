r"""Entropic optimal transport by Sinkhorn's algorithm in the log domain, with ε-scaling.

For weights :math:`a \in \Delta_n`, :math:`b \in \Delta_m` and a cost matrix :math:`C \in
\mathbb{R}^{n \times m}`, the entropic problem is

.. math::

    \mathrm{OT}_\varepsilon(a, b) = \min_{P \in \Pi(a, b)} \langle P, C \rangle
    + \varepsilon\, \mathrm{KL}(P \,|\, a \otimes b),

whose solution is :math:`P_{ij} = a_i b_j \exp((f_i + g_j - C_{ij})/\varepsilon)` for the dual
potentials :math:`f, g`. Sinkhorn's algorithm alternates the two *soft c-transforms*

.. math::

    f_i \leftarrow -\varepsilon \log \sum_j b_j e^{(g_j - C_{ij})/\varepsilon}, \qquad
    g_j \leftarrow -\varepsilon \log \sum_i a_i e^{(f_i - C_{ij})/\varepsilon},

each computed by a log-sum-exp, so nothing overflows or underflows even at
:math:`\varepsilon = 10^{-4} \max C`. After the :math:`g` update the columns of :math:`P` sum
to :math:`b` exactly, and the rows sum to :math:`a_i e^{(f_i - f_i^{+})/\varepsilon}` where
:math:`f^{+}` is the next :math:`f`: the L1 marginal error
:math:`\|P\mathbf 1 - a\|_1 + \|P^\top \mathbf 1 - b\|_1` comes for free with the next update,
and the loop stops when it falls below ``tol``. ε-scaling runs one iteration at each of the
temperatures :math:`\varepsilon_k = D s^k` (:math:`D = \max C - \min C`, :math:`s` the
``scaling``) above the target before iterating at the target itself: the potentials of a
warmer problem are a good start for a colder one, and the iteration count falls from
thousands to tens at small ε. At convergence
:math:`\mathrm{OT}_\varepsilon = \langle a, f \rangle + \langle b, g \rangle` and, by the
envelope theorem, its gradients are :math:`\partial/\partial a = f`, :math:`\partial/\partial
b = g`, :math:`\partial/\partial C = P` (nothing is back-propagated through the iterations).

Taught in: the optimal transport chapter (chapters/optimal_transport/optimal_transport.ipynb),
which writes the loop out and checks it against this copy; the GAN and diffusion chapters reuse
it.

References
----------
M. Cuturi, Sinkhorn distances: lightspeed computation of optimal transport, NeurIPS 2013.
G. Peyré and M. Cuturi, Computational optimal transport, Found. Trends Mach. Learn. 11 (2019)
(sections 4.2-4.4). B. Schmitzer, Stabilized sparse scaling algorithms for entropy regularized
transport problems, SIAM J. Sci. Comput. 41 (2019) (log-domain stabilisation, ε-scaling).
J. Feydy et al., Interpolating between optimal transport and MMD using Sinkhorn divergences,
AISTATS 2019.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from coursekit._checks import check_int, check_real
from coursekit.ot._common import as_tensor, check_problem, check_weights

__all__ = ["SinkhornResult", "sinkhorn", "marginal_error"]

#: Elements of a float64 chunk when the marginals and the cost are measured (about 32 MB).
_CHUNK = 1 << 22
#: Exponents below -_EXP_FLOOR are floored in the log-sum-exp (no subnormal arithmetic).
_EXP_FLOOR = 80.0
#: Largest over-relaxation factor (convergence needs omega < 2).
_OMEGA_MAX = 1.98
#: Factor on omega - 1 when the marginal error rises between two checks.
_OMEGA_BACK = 0.7


def _omega_estimate(ratio, omega, steps):
    """The optimal over-relaxation from the error ratio seen over ``steps`` relaxed iterations.

    With factor w, the error contracts per iteration by the root l of (l + w - 1)^2 = l w^2 r,
    where r is the rate of plain Sinkhorn (w = 1: l = r); the optimal factor for that r is
    2 / (1 + sqrt(1 - r)) (Young's SOR theory, applied to Sinkhorn by Lehmann et al.).
    """
    lam = min(max(ratio, 1e-300) ** (1.0 / steps), 1.0)
    r = min(1.0, (lam + omega - 1.0) ** 2 / (lam * omega**2))
    return min(_OMEGA_MAX, 2.0 / (1.0 + math.sqrt(1.0 - r)))


@dataclasses.dataclass(frozen=True, eq=False)
class SinkhornResult:
    """What :func:`sinkhorn` returns (shapes for a batch of ``B`` problems; unbatched: no ``B``).

    Attributes
    ----------
    f, g : Tensor ``(B, n)``, ``(B, m)``
        Dual potentials (detached), in the dtype and on the device of ``C``.
    value : Tensor ``(B,)``
        :math:`\\langle a, f\\rangle + \\langle b, g\\rangle`, the entropic cost
        :math:`\\mathrm{OT}_\\varepsilon(a, b)` at convergence; differentiable in ``a``, ``b``
        and ``C`` (gradients ``f``, ``g`` and the plan ``P``, by the envelope theorem).
    cost : Tensor ``(B,)``
        The transport cost :math:`\\langle P, C\\rangle` of the plan (detached).
    marginal_error : Tensor ``(B,)``, float64
        :math:`\\|P\\mathbf 1 - a\\|_1 + \\|P^\\top\\mathbf 1 - b\\|_1`, measured in float64.
    n_iter : int
        Iterations run, ε-scaling stages included.
    eps : float
        The regularisation ε.
    converged : bool
        Whether every problem's marginal error is at most ``tol``.

    Examples
    --------
    >>> import torch
    >>> from coursekit import ot
    >>> a = b = torch.full((3,), 1 / 3, dtype=torch.float64)
    >>> C = torch.tensor([[0.0, 1, 4], [1, 0, 1], [4, 1, 0]], dtype=torch.float64)
    >>> res = ot.sinkhorn(a, b, C, eps=0.1, tol=1e-9)
    >>> res.converged, tuple(res.f.shape), tuple(res.plan().shape)
    (True, (3,), (3, 3))
    >>> bool(torch.allclose(res.plan().sum(1), a, atol=1e-8))
    True
    """

    f: torch.Tensor
    g: torch.Tensor
    value: torch.Tensor
    cost: torch.Tensor
    marginal_error: torch.Tensor
    n_iter: int
    eps: float
    converged: bool
    a: torch.Tensor = dataclasses.field(repr=False)
    b: torch.Tensor = dataclasses.field(repr=False)
    C: torch.Tensor = dataclasses.field(repr=False)

    def plan(self) -> torch.Tensor:
        """The coupling :math:`P_{ij} = a_i b_j e^{(f_i + g_j - C_{ij})/\\varepsilon}`,
        shape ``(B, n, m)`` (or ``(n, m)``), in the dtype of ``C``."""
        return _log_plan(self.a, self.b, self.f, self.g, self.C, self.eps).exp()


def _log_plan(a, b, f, g, C, eps):
    return (a.log().unsqueeze(-1) + b.log().unsqueeze(-2)
            + (f.unsqueeze(-1) + g.unsqueeze(-2) - C) / eps)


class _EntropicValue(torch.autograd.Function):
    """<a, f> + <b, g> with the envelope-theorem gradients f, g and P (batched inputs)."""

    @staticmethod
    def forward(ctx, a, b, C, f, g, eps):
        ctx.save_for_backward(a, b, C, f, g)
        ctx.eps = eps
        return (a * f).sum(-1) + (b * g).sum(-1)

    @staticmethod
    def backward(ctx, grad):
        a, b, C, f, g = ctx.saved_tensors
        ga = grad.unsqueeze(-1) * f if ctx.needs_input_grad[0] else None
        gb = grad.unsqueeze(-1) * g if ctx.needs_input_grad[1] else None
        gC = None
        if ctx.needs_input_grad[2]:
            gC = grad[..., None, None] * _log_plan(a, b, f, g, C, ctx.eps).exp()
        return ga, gb, gC, None, None, None


def _plan_stats(a, b, f, g, C, eps):
    """Marginal error and <P, C> of the plan of (f, g), in float64, by chunks of rows."""
    B, n, m = C.shape
    rows = max(1, _CHUNK // max(1, B * m))
    u = (a.double().log() + f.double() / eps).unsqueeze(-1)  # (B, n, 1)
    v = (b.double().log() + g.double() / eps).unsqueeze(-2)  # (B, 1, m)
    col = torch.zeros(B, m, dtype=torch.float64, device=C.device)
    row_err = torch.zeros(B, dtype=torch.float64, device=C.device)
    cost = torch.zeros(B, dtype=torch.float64, device=C.device)
    for i in range(0, n, rows):
        Cd = C[:, i:i + rows].double()
        P = torch.sub(v, Cd, alpha=1.0 / eps).add_(u[:, i:i + rows]).exp_()
        row_err += (P.sum(-1) - a[:, i:i + rows].double()).abs().sum(-1)
        col += P.sum(-2)
        cost += torch.bmm(P.reshape(B, 1, -1), Cd.reshape(B, -1, 1)).view(B)
    return row_err + (col - b.double()).abs().sum(-1), cost


def _schedule(C, eps, scaling):
    """Temperatures D s^k above eps (D = max C - min C over the batch), then eps itself."""
    if scaling is None or scaling == 1.0:
        return [eps]
    diam = float((C.amax((-1, -2)) - C.amin((-1, -2))).max())
    temps = []
    t = diam
    while t > eps:
        temps.append(t)
        t *= scaling
    return temps + [eps]


class _SoftMin:
    """The two soft c-transforms with no n x m allocation per iteration.

    ``C`` and a contiguous copy of its transpose are kept, so that both log-sum-exps reduce
    along the contiguous axis; one preallocated buffer receives ``h_j - C_ij / t`` (a single
    fused pass, no division of ``C`` per temperature) and is reduced in place: max, subtract,
    exp, sum. Returns ``-t log sum_j exp(h_j - C_ij / t)``.
    """

    def __init__(self, C):
        self.C = C
        self.CT = C.transpose(-1, -2).contiguous()
        self.storage = torch.empty(C.numel(), dtype=C.dtype, device=C.device)

    def _apply(self, h, K, t):
        buf = self.storage.view(K.shape)
        torch.sub(h.unsqueeze(-2), K, alpha=1.0 / t, out=buf)
        mx = buf.amax(-1, keepdim=True)
        mx.masked_fill_(~torch.isfinite(mx), 0.0)
        # terms below e^-80 of the largest (1) change the sum by < 1e-34 relative; flooring
        # them keeps exp out of the subnormal range, where CPUs compute 10-100x slower
        buf.sub_(mx).clamp_min_(-_EXP_FLOOR).exp_()
        return buf.sum(-1).log_().add_(mx.squeeze(-1)).mul_(-t)

    def rows(self, h, t):  # over j: the f update, h = log b + g / t
        return self._apply(h, self.C, t)

    def cols(self, h, t):  # over i: the g update, h = log a + f / t
        return self._apply(h, self.CT, t)


def _iterate(a, b, C, eps, tol, max_iter, scaling, check_every):
    """The loop on batched (B, n, m) problems; returns (f, g, n_iter)."""
    B, n, m = C.shape
    la, lb = a.log(), b.log()
    f = torch.zeros(B, n, dtype=C.dtype, device=C.device)
    g = torch.zeros(B, m, dtype=C.dtype, device=C.device)
    T = _SoftMin(C)
    temps = _schedule(C, eps, scaling)
    n_iter = 0
    for t in temps[:-1]:  # one iteration per warmer temperature
        if n_iter >= max_iter:
            return f, g, n_iter
        f = T.rows(lb + g / t, t)
        g = T.cols(la + f / t, t)
        n_iter += 1
    # Final temperature: over-relaxed updates x <- (1 - w) x + w T(x), w from the observed rate
    # of plain Sinkhorn (Lehmann et al.); whenever the error rises between two checks, w moves
    # back towards 1 (w = 1 is plain Sinkhorn), and only a steady decrease raises it again. Every
    # check_every-th g update is plain, so that the columns of the plan are exact when the next
    # f update measures its rows.
    omega, k = 1.0, 0
    best, stale, prev = math.inf, 0, None
    while n_iter < max_iter:
        f_t = T.rows(lb + g / eps, eps)
        if k % check_every == 0 and k > 0:
            err = float((a * torch.expm1((f - f_t) / eps).abs()).sum(-1).max())
            if err <= tol:
                return f, g, n_iter
            if not math.isfinite(err):  # pragma: no cover - a safeguard, not seen in tests
                return f, g, n_iter
            if prev is not None:
                if err > prev:  # the safeguard: back towards plain Sinkhorn
                    omega = 1.0 + _OMEGA_BACK * (omega - 1.0)
                else:
                    omega = max(omega, _omega_estimate(err / prev, omega, check_every))
            prev = err
            if err < 0.999 * best:
                best, stale = err, 0
            else:
                stale += 1
                if stale >= 50:  # rounding floor of the dtype reached: more iterations are idle
                    return f, g, n_iter
        f = f_t if omega == 1.0 else torch.lerp(f, f_t, omega)
        g_t = T.cols(la + f / eps, eps)
        k += 1
        n_iter += 1
        g = g_t if omega == 1.0 or k % check_every == 0 else torch.lerp(g, g_t, omega)
    return f, g, n_iter


def sinkhorn(a, b, C, eps, *, tol=1e-6, max_iter=10_000, scaling=0.5,
             check_every=10) -> SinkhornResult:
    r"""Entropic optimal transport :math:`\mathrm{OT}_\varepsilon(a, b)` by log-domain Sinkhorn.

    Parameters
    ----------
    a : Tensor ``(n,)`` or ``(B, n)``
        Source weights: non-negative, summing to 1 (per problem).
    b : Tensor ``(m,)`` or ``(B, m)``
        Target weights.
    C : Tensor ``(n, m)`` or ``(B, n, m)``
        Finite cost matrix; sets the dtype (float32 or float64) and the device of the result.
    eps : float
        Regularisation ε > 0, in the units of ``C`` (e.g. ``1e-3 * C.max()``).
    tol : float
        Stop when the L1 marginal error of the plan is at most ``tol`` (every problem of a
        batch). In float32 the rounding floor is about ``1e-5`` to ``1e-3`` (smaller ε, higher
        floor): the loop also stops after 50 checks without progress, with
        ``converged=False``.
    max_iter : int
        Cap on the iterations (ε-scaling stages included); ``converged=False`` if reached.
    scaling : float or None
        ε-scaling ratio ``s`` in (0, 1): one iteration at each temperature
        :math:`D s^k > \varepsilon` (:math:`D = \max C - \min C`) first; ``None`` or 1: off.
    check_every : int
        Iterations between two checks of the marginal error (each check synchronises).

    Returns
    -------
    SinkhornResult
        Potentials ``f``, ``g``, differentiable ``value`` = OT_ε, ``cost`` = <P, C>,
        ``marginal_error`` (float64), ``n_iter``, ``eps``, ``converged`` and ``plan()``.

    Examples
    --------
    Two points onto two points: the plan is almost the identity coupling, and its cost is
    almost the exact one, 0.

    >>> import torch
    >>> a = b = torch.tensor([0.5, 0.5], dtype=torch.float64)
    >>> C = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    >>> res = sinkhorn(a, b, C, eps=0.1)
    >>> res.converged, bool(res.marginal_error < 1e-6)
    (True, True)
    >>> P = res.plan()
    >>> abs(P.sum().item() - 1.0) < 1e-12
    True
    >>> import math  # P_01 / P_00 = exp(-(C_01 - C_00) / eps) = exp(-10)
    >>> abs(2 * P[0, 1].item() - 1 / (1 + math.exp(10))) < 1e-9
    True
    """
    a, b, C = check_problem(a, b, C)
    eps = check_real(eps, "eps", positive=True)
    tol = check_real(tol, "tol", positive=True)
    max_iter = check_int(max_iter, "max_iter", low=1)
    if scaling is not None:
        scaling = check_real(scaling, "scaling", positive=True, high=1.0)
    check_every = check_int(check_every, "check_every", low=1)
    batched = C.ndim == 3
    if not batched:
        a, b, C = a.unsqueeze(0), b.unsqueeze(0), C.unsqueeze(0)
    ad, bd, Cd = a.detach(), b.detach(), C.detach()
    with torch.no_grad():
        f, g, n_iter = _iterate(ad, bd, Cd, eps, tol, max_iter, scaling, check_every)
        err, cost = _plan_stats(ad, bd, f, g, Cd, eps)
    value = _EntropicValue.apply(a, b, C, f, g, eps)
    converged = bool((err <= tol).all())
    out = dict(f=f, g=g, value=value, cost=cost.to(C.dtype), marginal_error=err, a=ad, b=bd,
               C=Cd)
    if not batched:
        out = {k: v.squeeze(0) for k, v in out.items()}
    return SinkhornResult(n_iter=n_iter, eps=eps, converged=converged, **out)


def marginal_error(P, a, b) -> torch.Tensor:
    r"""The L1 marginal error :math:`\|P\mathbf 1 - a\|_1 + \|P^\top\mathbf 1 - b\|_1`, in float64.

    The one measure of feasibility shared by the tests and the benchmark (every solver's plan
    is judged by it).

    Parameters
    ----------
    P : Tensor ``(n, m)`` or ``(B, n, m)``
        A (candidate) coupling.
    a, b : Tensor ``(n,)``, ``(m,)`` (or ``(B, n)``, ``(B, m)``)
        The target marginals (probability weights).

    Returns
    -------
    Tensor ``()`` or ``(B,)``, float64, on ``P``'s device.

    Examples
    --------
    >>> import torch
    >>> a = torch.tensor([0.5, 0.5])
    >>> marginal_error(torch.outer(a, a), a, a).item()
    0.0
    >>> marginal_error(torch.tensor([[0.5, 0.0], [0.0, 0.0]]), a, a).item()
    1.0
    """
    P = as_tensor(P, "P")
    if P.ndim not in (2, 3):
        raise ValueError(f"P must be a 2-D (n, m) or 3-D (B, n, m) matrix, got shape "
                         f"{tuple(P.shape)}")
    if P.numel() == 0:
        raise ValueError(f"P must not be empty, got shape {tuple(P.shape)}")
    batch = tuple(P.shape[:-2])
    a = check_weights(a, "a", (*batch, P.shape[-2]), dtype=torch.float64, device=P.device)
    b = check_weights(b, "b", (*batch, P.shape[-1]), dtype=torch.float64, device=P.device)
    P = P.detach().double()
    return (P.sum(-1) - a).abs().sum(-1) + (P.sum(-2) - b).abs().sum(-1)
