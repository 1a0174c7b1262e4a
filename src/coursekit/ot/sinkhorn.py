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
temperatures :math:`\varepsilon_k = D s^k`, :math:`k = 1, 2, \dots` (:math:`D = \max C -
\min C`, :math:`s` the ``scaling``) above the target before iterating at the target itself:
the potentials of a warmer problem are a good start for a colder one, and the iteration count
falls from thousands to tens at small ε. (The schedule starts at :math:`Ds`, not at
:math:`D`: at :math:`\varepsilon \geq D` every entry of :math:`P` is within a factor
:math:`e` of :math:`a_i b_j`, and an iteration there moves the potentials of a colder
problem almost nowhere; skipping it saved one iteration on each problem we measured.) At a
temperature :math:`t \geq D/32` (an ε-scaling stage; :math:`D/16` at the target) the kernel
:math:`e^{-(C - \min C)/t}` lies in :math:`[e^{-32}, 1]`, nothing can overflow or underflow,
and the same two transforms are matrix-vector products with it (with the default
:math:`s = 1/2`, one ``exp`` for all such stages, each next kernel the square of the last): a
fraction of the cost of a log-sum-exp.
Every colder update is a log-sum-exp. At convergence
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
import functools
import math
import threading

import torch

from coursekit._checks import check_int, check_real
from coursekit.ot._common import as_tensor, check_problem, check_weights

__all__ = ["SinkhornResult", "sinkhorn", "marginal_error"]

#: Elements of a float64 chunk when the marginals and the cost are measured (about 32 MB).
_CHUNK = 1 << 22
#: Exponents below -_EXP_FLOOR are floored in the log-sum-exp (no subnormal arithmetic).
_EXP_FLOOR = 80.0
#: Temperatures t >= D / range use the kernel e^{-(C - min C)/t} >= e^-range: warm stages
#: (whose accuracy only affects speed) with the wider range, the target with the narrower one.
_KERNEL_RANGE_WARM = 32.0
_KERNEL_RANGE = 16.0
#: Plain rates below this, seen twice, set w early (on the CPU; w <= 2 / (1 + sqrt(0.2)) = 1.38).
_EARLY_RATE = 0.8
#: Elements of scratch memory kept between calls on the CPU (64 MB of float32).
_WORKSPACE_MAX = 1 << 24
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
    tol : float
        The tolerance the loop was given.

    ``cost``, ``marginal_error`` and ``converged`` measure the plan in float64, one more pass
    over ``C``: that happens when one of them is first read, not inside :func:`sinkhorn`.

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
    n_iter: int
    eps: float
    tol: float
    a: torch.Tensor = dataclasses.field(repr=False)
    b: torch.Tensor = dataclasses.field(repr=False)
    C: torch.Tensor = dataclasses.field(repr=False)

    # The float64 measure of the plan is one more pass over C (as much as a few iterations of a
    # small problem): it runs when cost, marginal_error or converged is first read.
    @functools.cached_property
    def _stats(self):
        a, b, f, g, C = self.a, self.b, self.f, self.g, self.C
        if C.ndim == 2:
            a, b, f, g, C = a[None], b[None], f[None], g[None], C[None]
        with torch.no_grad():
            err, cost = _plan_stats(a, b, f, g, C, self.eps)
        if self.C.ndim == 2:
            err, cost = err[0], cost[0]
        return err, cost.to(self.C.dtype)

    @property
    def cost(self) -> torch.Tensor:
        """The transport cost of the plan (see the class docstring)."""
        return self._stats[1]

    @property
    def marginal_error(self) -> torch.Tensor:
        """The L1 marginal error of the plan, in float64 (see the class docstring)."""
        return self._stats[0]

    @property
    def converged(self) -> bool:
        """Whether every problem's marginal error is at most ``tol``."""
        return bool((self.marginal_error <= self.tol).all())

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


def _schedule(C, eps, scaling, diam):
    """Temperatures D s^k (k >= 1) above eps (D = max C - min C over the batch), then eps."""
    if scaling is None or scaling == 1.0:
        return [eps]
    temps = []
    t = diam * scaling
    while t > eps:
        temps.append(t)
        t *= scaling
    return temps + [eps]


_LOCAL = threading.local()


def _workspace(numel, dtype, device):
    """Scratch memory for the loop: on the CPU, one buffer per thread is kept between calls
    (up to _WORKSPACE_MAX elements), since fresh memory of this size comes from the system
    and page faults on first use (about a fifth of a small solve); elsewhere (the CUDA caching
    allocator already reuses memory) and above the cap, a new tensor."""
    if device.type != "cpu" or numel > _WORKSPACE_MAX:
        return torch.empty(numel, dtype=dtype, device=device)
    buf = getattr(_LOCAL, "buf", None)
    if buf is None or buf.dtype != dtype or buf.numel() < numel:
        buf = _LOCAL.buf = None  # release the old one before taking the new
        buf = _LOCAL.buf = torch.empty(numel, dtype=dtype)
    return buf[:numel]


class _SoftMin:
    """The two soft c-transforms with no n x m allocation per iteration.

    Log domain: a contiguous copy of ``C``'s transpose is kept (made on first use), so that
    both log-sum-exps reduce along the contiguous axis; one preallocated buffer receives
    ``h_j - C_ij / t`` (a single fused pass, no division of ``C`` per temperature) and is
    reduced in place: max, subtract, exp, sum. Returns ``-t log sum_j exp(h_j - C_ij / t)``.

    Kernel: at a warm temperature ``t >= D / R`` (``D`` the largest ``max C - min C`` of the
    batch; ``R`` = 32 for the ε-scaling stages, 16 at the target ε) the kernel
    ``K = exp(-(C - min C) / t)`` lies in ``[e^-R, 1]``: the same transform is
    ``-t (H + log (K v)) + min C`` with ``v = exp(h - H)``, ``H = max h``, a matrix-vector
    product with nothing out of range. Entries of ``v`` below ``tiny e^R`` (``tiny`` the
    smallest normal number of the dtype) are set to 0, so that no product is subnormal: the sum
    is at least ``e^-R`` (the term of ``H``), and what is dropped is under ``m tiny e^(2R)``
    of it (float32: 2e-13 m at R = 16, 8e-11 m at R = 32). ``K`` lives in the same buffer; at
    half the temperature it is squared in place instead of exponentiated again.
    """

    def __init__(self, C, diam):
        self.C = C
        self._space = _workspace(2 * C.numel(), C.dtype, C.device)
        self.storage = self._space[:C.numel()]
        self.cmin = C.amin((-1, -2), keepdim=True)  # (B, 1, 1)
        self.diam = diam
        self._CT = None
        self._kt = None  # the temperature of the kernel in the buffer (None: none there)

    def _apply(self, h, K, t):
        self._kt = None
        buf = self.storage.view(K.shape)
        torch.sub(h.unsqueeze(-2), K, alpha=1.0 / t, out=buf)
        mx = buf.amax(-1, keepdim=True)
        mx.masked_fill_(~torch.isfinite(mx), 0.0)
        # terms below e^-80 of the largest (1) change the sum by < 1e-34 relative; flooring
        # them keeps exp out of the subnormal range, where CPUs compute 10-100x slower
        buf.sub_(mx).clamp_min_(-_EXP_FLOOR).exp_()
        return buf.sum(-1).log_().add_(mx.squeeze(-1)).mul_(-t)

    def _range(self, t, warm):
        R = _KERNEL_RANGE_WARM if warm else _KERNEL_RANGE
        return R if t * R >= self.diam else None

    def _kernel(self, t):
        K = self.storage.view(self.C.shape)
        if self._kt == t:
            return K
        if self._kt is not None and self._kt == 2.0 * t:
            K.mul_(K)
        else:
            torch.sub(self.C, self.cmin, out=K).mul_(-1.0 / t).exp_()
        self._kt = t
        return K

    def _weights(self, h, R):
        H = h.amax(-1, keepdim=True)
        v = (h - H).exp_()
        floor = torch.finfo(v.dtype).tiny * math.exp(R)
        return v.masked_fill_(v < floor, 0.0), H.squeeze(-1)

    def rows(self, h, t, warm=False):  # over j: the f update, h = log b + g / t
        R = self._range(t, warm)
        if R is not None:
            v, H = self._weights(h, R)
            s = torch.bmm(self._kernel(t), v.unsqueeze(-1)).squeeze(-1)
            return (s.log_() + H.unsqueeze(-1)).mul_(-t) + self.cmin.squeeze(-1)
        return self._apply(h, self.C, t)

    def cols(self, h, t, warm=False):  # over i: the g update, h = log a + f / t
        R = self._range(t, warm)
        if R is not None:
            v, H = self._weights(h, R)
            s = torch.bmm(v.unsqueeze(-2), self._kernel(t)).squeeze(-2)
            return (s.log_() + H.unsqueeze(-1)).mul_(-t) + self.cmin.squeeze(-1)
        if self._CT is None:
            shape = self.C.shape[:-2] + self.C.shape[-2:][::-1]
            self._CT = self._space[self.C.numel():].view(shape)
            self._CT.copy_(self.C.transpose(-1, -2))
        return self._apply(h, self._CT, t)


def _iterate(a, b, C, eps, tol, max_iter, scaling, check_every):
    """The loop on batched (B, n, m) problems; returns (f, g, n_iter)."""
    B, n, m = C.shape
    la, lb = a.log(), b.log()
    f = torch.zeros(B, n, dtype=C.dtype, device=C.device)
    g = torch.zeros(B, m, dtype=C.dtype, device=C.device)
    diam = float((C.amax((-1, -2)) - C.amin((-1, -2))).max())
    T = _SoftMin(C, diam)
    temps = _schedule(C, eps, scaling, diam)
    n_iter = 0
    for t in temps[:-1]:  # one iteration per warmer temperature
        if n_iter >= max_iter:
            return f, g, n_iter
        f = T.rows(lb + g / t, t, warm=True)
        g = T.cols(la + f / t, t, warm=True)
        n_iter += 1
    # Final temperature: over-relaxed updates x <- (1 - w) x + w T(x), w from the observed rate
    # of plain Sinkhorn (Lehmann et al.); whenever the error rises between two checks, w moves
    # back towards 1 (w = 1 is plain Sinkhorn), and only a steady decrease raises it again.
    # The g update before a check is plain, so that the columns of the plan are exact when the
    # next f update measures its rows. Checks: after at most check_every iterations, sooner
    # where the rate seen since the last check predicts the error to fall below tol. While
    # w = 1 every step is plain, so on the CPU (where a check costs no synchronisation) the
    # error is also checked after every one of them.
    eager = C.device.type == "cpu"
    omega, k, next_check = 1.0, 0, check_every
    best, stale, prev = math.inf, 0, None  # prev: (k, error) at the last scheduled check
    plain = []  # errors after the plain steps (CPU)
    while n_iter < max_iter:
        f_t = T.rows(lb + g / eps, eps)
        scheduled = k == next_check
        if scheduled or (eager and omega == 1.0 and k > 0):
            err = float((a * torch.expm1((f - f_t) / eps).abs()).sum(-1).max())
            if err <= tol:
                return f, g, n_iter
            if not math.isfinite(err):  # pragma: no cover - a safeguard, not seen in tests
                return f, g, n_iter
        if eager and omega == 1.0 and k > 0:
            plain.append(err)
            last = plain[-3:]
            r = [e1 / e0 for e0, e1 in zip(last[:-1], last[1:], strict=True)]
            if not scheduled and len(r) == 2 and r[1] < _EARLY_RATE \
                    and abs(r[1] - r[0]) < 0.1 * r[0]:
                # a fast rate, the same twice in a row: relax from here on (w <= 1.4: too
                # small a w if the rate slows later is still faster than plain Sinkhorn, too
                # large a one costs little), and check where the relaxed rate (about w - 1 at
                # the optimal w) predicts the error below tol
                omega = _omega_estimate(r[1], 1.0, 1)
                prev = (k, err)
                next_check = k + min(check_every, max(1, math.ceil(
                    math.log(tol / err) / math.log(max(omega - 1.0, 0.05)))))
        if scheduled:
            ahead = check_every
            if prev is not None:
                steps, ratio = k - prev[0], err / prev[1]
                if ratio > 1.0:  # the safeguard: back towards plain Sinkhorn
                    omega = 1.0 + _OMEGA_BACK * (omega - 1.0)
                else:
                    omega = max(omega, _omega_estimate(ratio, omega, steps))
                    rate = ratio ** (1.0 / steps)
                    if 0.0 < rate < 1.0:  # iterations until err * rate^j <= tol
                        ahead = min(ahead, max(1, math.ceil(math.log(tol / err)
                                                            / math.log(rate))))
            prev = (k, err)
            next_check = k + ahead
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
        g = g_t if omega == 1.0 or k == next_check else torch.lerp(g, g_t, omega)
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
        :math:`D s^k > \varepsilon`, :math:`k \geq 1` (:math:`D = \max C - \min C`) first;
        ``None`` or 1: off.
    check_every : int
        Most iterations between two checks of the marginal error (each check synchronises);
        a check comes sooner where the rate seen so far predicts the error below ``tol``, and
        on the CPU after every plain (not over-relaxed) iteration.

    Returns
    -------
    SinkhornResult
        Potentials ``f``, ``g``, differentiable ``value`` = OT_ε, ``cost`` = <P, C>,
        ``marginal_error`` (float64), ``n_iter``, ``eps``, ``converged`` and ``plan()``.

    Notes
    -----
    Memory: two ``n x m`` scratch matrices per problem. On the CPU they are kept between
    calls, one set per thread, while they hold at most 2**24 elements (64 MB of float32):
    repeated solves of one size (a training loop) then skip the system's page faults.

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
    value = _EntropicValue.apply(a, b, C, f, g, eps)
    out = dict(f=f, g=g, value=value, a=ad, b=bd, C=Cd)
    if not batched:
        out = {k: v.squeeze(0) for k, v in out.items()}
    return SinkhornResult(n_iter=n_iter, eps=eps, tol=tol, **out)


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
