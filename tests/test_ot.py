"""coursekit.ot against oracles (POT, GeomLoss, SciPy), closed forms and invariants.

POT and GeomLoss are test oracles only; the package never imports them. Sizes are small so that
the file runs in seconds on two shared cores.
"""

from __future__ import annotations

import importlib
import itertools
import math

import numpy as np
import ot as pot
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from coursekit.ot import exact, marginal_error, sinkhorn, sinkhorn_divergence, wasserstein_1d

F64 = torch.float64


def _clouds(n=40, m=30, d=2, seed=0, dtype=F64, batch=()):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(*batch, n, d, generator=g, dtype=F64)
    y = torch.rand(*batch, m, d, generator=g, dtype=F64) + 0.3
    return x.to(dtype), y.to(dtype)


def _sqcost(x, y):
    return (x.unsqueeze(-2) - y.unsqueeze(-3)).square().sum(-1)


def _weights(n, seed, dtype=F64):
    w = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=F64) + 0.1
    return (w / w.sum()).to(dtype)


def _problem(n=40, m=30, seed=0, dtype=F64):
    x, y = _clouds(n, m, seed=seed, dtype=dtype)
    return _weights(n, seed + 1, dtype), _weights(m, seed + 2, dtype), _sqcost(x, y)


def _entropic_value(P, a, b, C, eps):
    """<P, C> + eps KL(P | a x b), from any plan (the oracle's)."""
    P = torch.as_tensor(P, dtype=F64)
    ab = torch.outer(a, b)
    kl = torch.where(P > 0, P * (P / ab).log(), torch.zeros_like(P)).sum() - P.sum() + ab.sum()
    return float((P * C).sum() + eps * kl)


# ------------------------------------------------------------------ sinkhorn against POT


@pytest.mark.parametrize("rel_eps", [1e-1, 1e-2, 1e-3])
def test_sinkhorn_matches_pot_sinkhorn_log(rel_eps):
    a, b, C = _problem()
    eps = rel_eps * float(C.max())
    res = sinkhorn(a, b, C, eps, tol=1e-10)
    assert res.converged and res.marginal_error < 1e-10
    P_pot = pot.bregman.sinkhorn_log(a, b, C, eps, numItermax=200_000, stopThr=1e-13)
    assert torch.allclose(res.plan(), P_pot, atol=1e-9, rtol=1e-6)
    # the dual value <a, f> + <b, g> is the primal entropic value of the oracle's plan
    assert float(res.value) == pytest.approx(_entropic_value(P_pot, a, b, C, eps), rel=1e-8)
    # POT's sinkhorn2 returns the transport cost <P, C> of its plan
    cost = pot.sinkhorn2(a, b, C, eps, method="sinkhorn_log", numItermax=200_000, stopThr=1e-13)
    assert float(res.cost) == pytest.approx(float(cost), rel=1e-8)


def test_marginal_error_is_the_l1_distance_of_the_marginals():
    a, b, C = _problem(5, 4)
    P = torch.outer(a, b)
    assert marginal_error(P, a, b) == pytest.approx(0.0, abs=1e-15)
    Q = P.clone()
    Q[0, 0] += 0.1  # row 0 and column 0 both off by 0.1
    assert float(marginal_error(Q, a, b)) == pytest.approx(0.2, rel=1e-12)
    assert marginal_error(Q, a, b).dtype == F64
    Pb = torch.stack([P, Q])
    assert torch.allclose(marginal_error(Pb, torch.stack([a, a]), torch.stack([b, b])),
                          torch.tensor([0.0, 0.2], dtype=F64), atol=1e-14)


@pytest.mark.parametrize("dtype, tol", [(F64, 1e-9), (torch.float32, 1e-4)])
def test_the_plan_has_the_marginals_up_to_tol(dtype, tol):
    a, b, C = _problem(dtype=dtype)
    res = sinkhorn(a, b, C, 0.01 * float(C.max()), tol=tol)
    P = res.plan()
    assert P.dtype == dtype and res.f.dtype == dtype and res.value.dtype == dtype
    err = float(marginal_error(P, a, b))
    assert res.converged and err <= tol
    # the plan formed in float32 rounds each entry to ~1e-7 |log P|: its measured error moves
    assert float(res.marginal_error) == pytest.approx(err, rel=1e-6, abs=1e-12 if dtype == F64
                                                      else 1e-5)
    assert float(res.cost) == pytest.approx(float((P.double() * C.double()).sum()), rel=1e-4)


def test_the_value_is_symmetric_under_transposition():
    a, b, C = _problem()
    eps = 0.05 * float(C.max())
    ab = sinkhorn(a, b, C, eps, tol=1e-11)
    ba = sinkhorn(b, a, C.T, eps, tol=1e-11)
    assert float(ab.value) == pytest.approx(float(ba.value), rel=1e-9)
    assert torch.allclose(ab.plan(), ba.plan().T, atol=1e-10)


def test_float32_agrees_with_float64():
    a, b, C = _problem()
    eps = 0.01 * float(C.max())
    r64 = sinkhorn(a, b, C, eps, tol=1e-9)
    r32 = sinkhorn(a.float(), b.float(), C.float(), eps, tol=1e-4)
    assert float(r32.value) == pytest.approx(float(r64.value), rel=1e-4)


def test_batched_equals_the_loop_of_unbatched():
    x, y = _clouds(20, 15, batch=(3,))
    C = _sqcost(x, y)
    a = torch.stack([_weights(20, s) for s in range(3)])
    b = torch.stack([_weights(15, s + 10) for s in range(3)])
    eps = 0.02
    res = sinkhorn(a, b, C, eps, tol=1e-10)
    assert res.f.shape == (3, 20) and res.g.shape == (3, 15) and res.value.shape == (3,)
    assert res.plan().shape == (3, 20, 15) and res.marginal_error.shape == (3,)
    for k in range(3):
        one = sinkhorn(a[k], b[k], C[k], eps, tol=1e-10)
        assert float(res.value[k]) == pytest.approx(float(one.value), rel=1e-8)
        assert torch.allclose(res.plan()[k], one.plan(), atol=1e-9)


def test_numpy_input_gives_the_tensor_answer():
    a, b, C = _problem(8, 6)
    res_t = sinkhorn(a, b, C, 0.1, tol=1e-10)
    res_n = sinkhorn(a.numpy(), b.numpy(), C.numpy(), 0.1, tol=1e-10)
    assert isinstance(res_n.f, torch.Tensor) and res_n.f.dtype == F64
    assert torch.allclose(res_t.plan(), res_n.plan())


# ------------------------------------------------------------------ stability, stopping rule


@pytest.mark.parametrize("dtype, tol", [(F64, 1e-3), (torch.float32, 3e-3)])
def test_no_overflow_at_eps_1e_4_max_cost(dtype, tol):
    """Large costs over a tiny eps: C / eps reaches 1e4, exp(-C/eps) underflows any float."""
    a, b, C = _problem(30, 25, dtype=dtype)
    C = C * 1000.0
    res = sinkhorn(a, b, C, 1e-4 * float(C.max()), tol=tol, max_iter=20_000)
    P = res.plan()
    assert torch.isfinite(P).all() and torch.isfinite(res.f).all() and torch.isfinite(res.g).all()
    assert math.isfinite(float(res.value))
    assert res.converged and float(marginal_error(P, a, b)) <= tol
    # nearly unregularised: within a few eps of the exact cost
    ex = float(exact(a.double(), b.double(), C.double()).cost)
    assert abs(float(res.cost) - ex) <= 1e-2 * ex


@pytest.mark.parametrize("dtype, rtol", [(F64, 1e-12), (torch.float32, 2e-6)])
@pytest.mark.parametrize("warm, ratio", [(False, 1.0), (False, 16.0), (True, 32.0)])
def test_kernel_transform_equals_the_log_sum_exp(dtype, rtol, warm, ratio):
    """At t >= D / R the soft c-transforms are products with exp(-(C - min C) / t): the same
    numbers as the log-sum-exp, for a batch whose problems have different offsets, potentials
    spread over many t and a zero weight (h = -inf)."""
    sk = importlib.import_module("coursekit.ot.sinkhorn")
    x, y = _clouds(50, 40, batch=(2,), dtype=F64)
    C = _sqcost(x, y)
    C[1] += 7.0  # min C differs between the problems
    diam = float((C.amax((-1, -2)) - C.amin((-1, -2))).max())
    t = diam / ratio
    gen = torch.Generator().manual_seed(3)
    hr = torch.randn(2, 40, generator=gen, dtype=F64) * 30 - 1e3
    hc = torch.randn(2, 50, generator=gen, dtype=F64) * 30 + 5.0
    hr[0, 3] = -math.inf
    C, hr, hc = C.to(dtype), hr.to(dtype), hc.to(dtype)
    T = sk._SoftMin(C, diam)
    f, g = T.rows(hr, t, warm=warm), T.cols(hc, t, warm=warm)
    assert T._kt == t  # the kernel path ran
    f_log = -t * torch.logsumexp(hr.double()[:, None, :] - C.double() / t, -1)
    g_log = -t * torch.logsumexp(hc.double()[:, :, None] - C.double() / t, -2)
    scale = float(f_log.abs().max())
    assert torch.allclose(f.double(), f_log, rtol=0, atol=rtol * scale)
    assert torch.allclose(g.double(), g_log, rtol=0, atol=rtol * float(g_log.abs().max()))
    # half the temperature: the kernel is squared in place, still the same numbers
    if ratio < 32:
        f2 = T.rows(hr, t / 2, warm=True)
        assert T._kt == t / 2
        f2_log = -t / 2 * torch.logsumexp(hr.double()[:, None, :] - 2 * C.double() / t, -1)
        assert torch.allclose(f2.double(), f2_log, rtol=0,
                              atol=4 * rtol * float(f2_log.abs().max()))


def test_kernel_range_is_respected():
    """Below D / 16 the target iterations use the log-sum-exp; below D / 32 warm stages too."""
    sk = importlib.import_module("coursekit.ot.sinkhorn")
    C = torch.rand(1, 10, 12, dtype=F64)
    diam = float(C.max() - C.min())
    h = torch.zeros(1, 12, dtype=F64)
    for t, warm, kernel in [(diam / 15.9, False, True), (diam / 16.1, False, False),
                            (diam / 31.9, True, True), (diam / 32.1, True, False)]:
        T = sk._SoftMin(C, diam)
        T.rows(h, t, warm=warm)
        assert (T._kt == t) is kernel


@pytest.mark.parametrize("rel_eps", [3e-1, 1e-1, 5e-2, 1e-2, 1e-3])
def test_the_loop_stops_only_when_the_plan_meets_tol(rel_eps):
    """Stopping early is a claim about the plan: in float64 (no rounding to hide behind) every
    stop before max_iter must give a marginal error at most tol, for loose and tight tol
    alike (the first check after the ε-scaling stages included: the potentials of a warmer
    stage do not have exact columns at the target ε)."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(60, 2, generator=g, dtype=F64)
    y = torch.randn(60, 2, generator=g, dtype=F64) + 3
    C = _sqcost(x, y)
    a = b = torch.full((60,), 1 / 60, dtype=F64)
    eps = rel_eps * float(C.max())
    for tol in [3e-2, 1e-2, 3e-3, 1e-3, 1e-5, 1e-8]:
        res = sinkhorn(a, b, C, eps, tol=tol, max_iter=20_000)
        assert res.n_iter < 20_000 and float(res.marginal_error) <= tol * (1 + 1e-9), tol
        assert res.converged


def test_the_cpu_workspace_is_reused_without_leaking_between_calls_or_threads():
    """Scratch memory kept between calls: a later call (another shape, dtype or thread) must
    neither change an earlier result nor see its numbers."""
    import threading

    problems = [_problem(40, 30, seed=0), _problem(25, 35, seed=5),
                tuple(t.float() for t in _problem(40, 30, seed=9))]
    eps = [0.05 * float(C.max()) for _, _, C in problems]
    first = sinkhorn(*problems[0], eps[0], tol=1e-10)
    f_before = first.f.clone()
    alone = [sinkhorn(*p, e, tol=1e-9) for p, e in zip(problems, eps, strict=True)]
    assert torch.equal(first.f, f_before)  # the later calls did not write into it
    assert torch.equal(sinkhorn(*problems[0], eps[0], tol=1e-10).f, f_before)
    results = {}

    def work(i):
        for _ in range(5):
            results[i] = sinkhorn(*problems[i], eps[i], tol=1e-9).f

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        assert torch.equal(results[i], alone[i].f), i


def test_max_iter_reached_means_not_converged():
    a, b, C = _problem()
    res = sinkhorn(a, b, C, 1e-3 * float(C.max()), tol=1e-12, max_iter=25)
    assert res.n_iter == 25 and not res.converged and float(res.marginal_error) > 1e-12


def test_eps_scaling_cuts_the_iteration_count_at_small_eps():
    a, b, C = _problem(30, 30)
    eps = 1e-3 * float(C.max())
    with_scaling = sinkhorn(a, b, C, eps, tol=1e-4, scaling=0.5)
    without = sinkhorn(a, b, C, eps, tol=1e-4, scaling=None, max_iter=50_000)
    assert with_scaling.converged and without.converged
    assert with_scaling.n_iter < without.n_iter / 2
    assert float(with_scaling.value) == pytest.approx(float(without.value), rel=1e-3)


def test_over_relaxation_keeps_the_fixed_point():
    """The relaxed loop converges to the same potentials as plain Sinkhorn (no scaling)."""
    a, b, C = _problem(20, 20)
    eps = 0.02 * float(C.max())
    res = sinkhorn(a, b, C, eps, tol=1e-11, scaling=None)
    # a plain Sinkhorn written out here, as an independent oracle
    f, g = torch.zeros(20, dtype=F64), torch.zeros(20, dtype=F64)
    for _ in range(5000):
        f = -eps * torch.logsumexp(b.log() + (g - C) / eps, 1)
        g = -eps * torch.logsumexp(a.log()[:, None] + (f[:, None] - C) / eps, 0)
    shift = float((res.f - f).mean())
    assert torch.allclose(res.f - shift, f, atol=1e-8)
    assert torch.allclose(res.g + shift, g, atol=1e-8)


def test_reckless_over_relaxation_falls_back_and_still_converges(monkeypatch):
    """A first estimate of w = 1.999 (far too large here): the error rises, the safeguard
    brings w back towards 1, and the loop converges to the plain fixed point in time."""
    sk = importlib.import_module("coursekit.ot.sinkhorn")
    honest = sk._omega_estimate
    calls = []

    def reckless_once(*args):
        calls.append(args)
        return 1.999 if len(calls) == 1 else honest(*args)

    a, b, C = _problem(20, 20)
    eps = 0.01 * float(C.max())
    ref = sinkhorn(a, b, C, eps, tol=1e-11, scaling=None)
    monkeypatch.setattr(sk, "_OMEGA_MAX", 1.999)
    monkeypatch.setattr(sk, "_omega_estimate", reckless_once)
    res = sinkhorn(a, b, C, eps, tol=1e-11, scaling=None, max_iter=1000)
    assert len(calls) >= 1 and res.converged and float(res.marginal_error) <= 1e-11
    shift = float((res.f - ref.f).mean())
    assert torch.allclose(res.f - shift, ref.f, atol=1e-8)


# ------------------------------------------------------------------ gradients


def test_value_gradients_match_finite_differences():
    a, b, C = _problem(12, 10)
    eps = 0.05 * float(C.max())

    def value(a_, b_, C_):
        return float(sinkhorn(a_, b_, C_, eps, tol=1e-13, max_iter=100_000).value)

    a_, b_, C_ = (t.clone().requires_grad_(True) for t in (a, b, C))
    v = sinkhorn(a_, b_, C_, eps, tol=1e-13, max_iter=100_000).value
    v.backward()
    h = 1e-6
    gen = torch.Generator().manual_seed(5)
    dC = torch.randn(C.shape, generator=gen, dtype=F64)
    fd = (value(a, b, C + h * dC) - value(a, b, C - h * dC)) / (2 * h)
    assert float((C_.grad * dC).sum()) == pytest.approx(fd, rel=1e-6)
    # weights stay on the simplex: directions of zero sum
    da = torch.randn(12, generator=gen, dtype=F64)
    da -= da.mean()
    fd = (value(a + h * da, b, C) - value(a - h * da, b, C)) / (2 * h)
    assert float((a_.grad * da).sum()) == pytest.approx(fd, rel=1e-6)
    db = torch.randn(10, generator=gen, dtype=F64)
    db -= db.mean()
    fd = (value(a, b + h * db, C) - value(a, b - h * db, C)) / (2 * h)
    assert float((b_.grad * db).sum()) == pytest.approx(fd, rel=1e-6)


def test_value_gradient_in_the_points_matches_finite_differences():
    x, y = _clouds(10, 8)
    eps = 0.05

    def ot_eps(x_):
        a, b = torch.full((10,), 0.1, dtype=F64), torch.full((8,), 0.125, dtype=F64)
        return sinkhorn(a, b, _sqcost(x_, y), eps, tol=1e-13, max_iter=100_000).value

    xg = x.clone().requires_grad_(True)
    ot_eps(xg).backward()
    dx = torch.randn(x.shape, generator=torch.Generator().manual_seed(2), dtype=F64)
    h = 1e-6
    fd = (float(ot_eps(x + h * dx)) - float(ot_eps(x - h * dx))) / (2 * h)
    assert float((xg.grad * dx).sum()) == pytest.approx(fd, rel=1e-6)


def test_gradient_is_not_backpropagated_through_the_iterations():
    """The backward pass costs one plan, whatever the iteration count (envelope theorem)."""
    a, b, C = _problem(12, 10)
    C_ = C.clone().requires_grad_(True)
    res = sinkhorn(a, b, C_, 0.05, tol=1e-12)
    assert res.f.grad_fn is None and res.g.grad_fn is None
    (grad,) = torch.autograd.grad(res.value, C_)
    assert torch.allclose(grad, res.plan(), atol=0, rtol=1e-12)


# ------------------------------------------------------------------ Sinkhorn divergence


def test_sinkhorn_divergence_of_a_cloud_with_itself_is_zero():
    x, _ = _clouds(25, 1)
    assert float(sinkhorn_divergence(x, x, 0.01)) == pytest.approx(0.0, abs=1e-12)
    w = _weights(25, 3)
    assert float(sinkhorn_divergence(x, x, 0.01, a=w, b=w)) == pytest.approx(0.0, abs=1e-12)


def test_sinkhorn_divergence_matches_geomloss():
    geomloss = pytest.importorskip("geomloss")
    x, y = _clouds(30, 25)
    eps = 0.01
    # GeomLoss's cost for p = 2 is |x - y|^2 / 2 and its eps is blur^p: OT_eps(C) equals
    # 2 OT_{eps/2}(C / 2), so blur = sqrt(eps / 2) and the result doubles.
    loss = geomloss.SamplesLoss("sinkhorn", p=2, blur=math.sqrt(eps / 2), scaling=0.99,
                                debias=True, backend="tensorized")
    ours = float(sinkhorn_divergence(x, y, eps, tol=1e-10))
    assert ours == pytest.approx(2 * float(loss(x, y)), rel=1e-3)
    biased = geomloss.SamplesLoss("sinkhorn", p=2, blur=math.sqrt(eps / 2), scaling=0.99,
                                  debias=False, backend="tensorized")
    n, m = len(x), len(y)
    value = sinkhorn(torch.full((n,), 1 / n, dtype=F64), torch.full((m,), 1 / m, dtype=F64),
                     _sqcost(x, y), eps, tol=1e-10).value
    assert float(value) == pytest.approx(2 * float(biased(x, y)), rel=1e-3)


def test_sinkhorn_divergence_removes_most_of_the_entropic_bias():
    x, y = _clouds(60, 60, seed=4)
    C = _sqcost(x, y)
    eps = 0.05 * float(C.max())
    u = torch.full((60,), 1 / 60, dtype=F64)
    exact_cost = float(exact(u, u, C).cost)
    biased = float(sinkhorn(u, u, C, eps, tol=1e-9).value)
    s = float(sinkhorn_divergence(x, y, eps, tol=1e-9))
    assert abs(s - exact_cost) < 0.5 * abs(biased - exact_cost)


def test_sinkhorn_divergence_gradient_matches_finite_differences_and_is_batched():
    x, y = _clouds(8, 7, seed=1)
    xg = x.clone().requires_grad_(True)
    sinkhorn_divergence(xg, y, 0.05, tol=1e-13, max_iter=100_000).backward()
    dx = torch.randn(x.shape, generator=torch.Generator().manual_seed(9), dtype=F64)
    h = 1e-6

    def s(x_):
        return float(sinkhorn_divergence(x_, y, 0.05, tol=1e-13, max_iter=100_000))

    assert float((xg.grad * dx).sum()) == pytest.approx((s(x + h * dx) - s(x - h * dx)) / (2 * h),
                                                        rel=1e-6)
    xb, yb = torch.stack([x, x + 1.0]), torch.stack([y, y])
    batched = sinkhorn_divergence(xb, yb, 0.05, tol=1e-11)
    assert batched.shape == (2,)
    for k in range(2):
        assert float(batched[k]) == pytest.approx(
            float(sinkhorn_divergence(xb[k], yb[k], 0.05, tol=1e-11)), rel=1e-8)


def test_sinkhorn_divergence_with_p_1_has_finite_gradients_at_coincident_points():
    x, y = _clouds(6, 5)
    xg = x.clone().requires_grad_(True)
    sinkhorn_divergence(xg, y, 0.05, p=1).backward()
    assert torch.isfinite(xg.grad).all()


# ------------------------------------------------------------------ exact


def test_exact_matches_pot_emd_with_optimal_duals():
    a, b, C = _problem(15, 11)
    res = exact(a, b, C)
    assert float(res.cost) == pytest.approx(float(pot.emd2(a, b, C)), rel=1e-9)
    P = res.plan
    assert float(marginal_error(P, a, b)) < 1e-9 and (P >= -1e-15).all()
    assert float((P * C).sum()) == pytest.approx(float(res.cost), rel=1e-9)
    # dual feasibility, primal = dual, complementary slackness
    slack = C - res.f[:, None] - res.g[None, :]
    assert float(slack.min()) > -1e-9
    assert float(a @ res.f + b @ res.g) == pytest.approx(float(res.cost), rel=1e-9)
    assert float((P * slack).abs().sum()) < 1e-9
    assert float((pot.emd(a, b, C) * C).sum()) == pytest.approx(float(res.cost), rel=1e-9)


def test_exact_uniform_is_the_assignment_and_a_permutation():
    x, y = _clouds(25, 25, seed=3)
    C = _sqcost(x, y)
    u = torch.full((25,), 1 / 25, dtype=F64)
    res = exact(u, u, C)
    rows, cols = linear_sum_assignment(C.numpy())
    assert float(res.cost) == pytest.approx(float(C[rows, cols].mean()), rel=1e-12)
    # Birkhoff: a permutation matrix over n
    assert torch.equal((res.plan * 25).round(), (res.plan * 25))
    assert torch.equal((res.plan > 0).sum(0), torch.ones(25, dtype=torch.long))
    assert torch.equal((res.plan > 0).sum(1), torch.ones(25, dtype=torch.long))
    slack = C - res.f[:, None] - res.g[None, :]
    assert float(slack.min()) > -1e-12
    assert float(slack[res.plan > 0].abs().max()) < 1e-12
    assert float(u @ res.f + u @ res.g) == pytest.approx(float(res.cost), rel=1e-12)


def test_exact_on_six_points_is_the_best_of_the_720_permutations():
    x, y = _clouds(6, 6, seed=7)
    C = _sqcost(x, y).numpy()
    best = min(C[range(6), list(s)].sum() for s in itertools.permutations(range(6))) / 6
    u = np.full(6, 1 / 6)
    assert float(exact(u, u, C).cost) == pytest.approx(best, rel=1e-12)


def test_entropic_cost_tends_to_the_exact_cost_and_batched_exact():
    a, b, C = _problem(20, 20)
    ex = float(exact(a, b, C).cost)
    gaps = [abs(float(sinkhorn(a, b, C, e, tol=1e-8).cost) - ex) for e in (0.1, 0.01, 0.001)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-2 * ex
    res = exact(torch.stack([a, a]), torch.stack([b, b]), torch.stack([C, 2 * C]))
    assert torch.allclose(res.cost, torch.tensor([ex, 2 * ex], dtype=F64), rtol=1e-9)


# ------------------------------------------------------------------ wasserstein_1d


@pytest.mark.parametrize("p", [1, 2, 3.5])
def test_wasserstein_1d_matches_pot_and_the_lp(p):
    gen = torch.Generator().manual_seed(int(p * 10))
    x, y = torch.randn(13, generator=gen, dtype=F64), torch.randn(9, generator=gen, dtype=F64) + 1
    a, b = _weights(13, 1), _weights(9, 2)
    w = float(wasserstein_1d(x, y, p, a=a, b=b))
    # POT returns W_p^p
    assert w == pytest.approx(float(pot.wasserstein_1d(x, y, a, b, p=p)) ** (1 / p), rel=1e-9)
    lp = float(exact(a, b, (x[:, None] - y[None, :]).abs() ** p).cost) ** (1 / p)
    assert w == pytest.approx(lp, rel=1e-8)


def test_wasserstein_1d_closed_forms_and_gradient():
    x = torch.tensor([3.0, -1.0, 0.5], dtype=F64)
    # a translation: W_p = |shift| for every p; uniform equal sizes: sorted differences
    assert float(wasserstein_1d(x, x - 0.7, 2)) == pytest.approx(0.7, rel=1e-12)
    y = torch.tensor([0.0, 2.0, 1.0], dtype=F64)
    diffs = (x.sort().values - y.sort().values).abs()
    assert float(wasserstein_1d(x, y, 1)) == pytest.approx(float(diffs.mean()), rel=1e-12)
    xg = x.clone().requires_grad_(True)
    wasserstein_1d(xg, y, 1).backward()
    # d/dx_k of mean |x_(k) - y_(k)| = sign / n
    expected = torch.sign(x - y.sort().values[x.argsort().argsort()]) / 3
    assert torch.allclose(xg.grad, expected)
