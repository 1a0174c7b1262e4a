"""coursekit.sde: Euler-Maruyama against closed forms, the recursion written out, and its orders.

Oracles: the recursion written out in float64 with the same increments; the exact solution of
geometric Brownian motion driven by the same Brownian path (strong order 1/2); the exact mean
and variance of the Euler-Maruyama chain for the Ornstein-Uhlenbeck process and the exact mean
of the chain for geometric Brownian motion (weak order 1), both within a few standard errors;
Brownian motion itself (dX = dW) as a round trip of the increments. The benchmark's --quick
mode is smoke-tested (no timing assertion).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from coursekit.sde import brownian_increments, euler_maruyama

ROOT = Path(__file__).resolve().parents[1]


def _ou(theta=1.5, mu=0.5):
    return lambda x, t: -theta * (x - mu)


def test_matches_the_recursion_written_out_with_the_same_increments():
    grid = np.sort(np.random.default_rng(0).uniform(0, 1, 30))  # non-uniform steps
    dW = brownian_increments((7, 2), grid, rng=3)

    def b(x, t):
        return torch.sin(x) + t

    def s(x, t):
        return 0.5 + x**2

    x = torch.full((7, 2), 0.3, dtype=torch.float64)
    ref = [x]
    for k in range(len(grid) - 1):
        x = x + b(x, grid[k]) * (grid[k + 1] - grid[k]) + s(x, grid[k]) * dW[k]
        ref.append(x)
    got = euler_maruyama(b, s, torch.full((7, 2), 0.3, dtype=torch.float64), grid, dW=dW,
                         return_path=True)
    assert got.shape == (len(grid), 7, 2)
    assert_allclose(got.numpy(), torch.stack(ref).numpy(), rtol=1e-13, atol=1e-13)


def test_dx_equals_dw_gives_back_the_brownian_path():
    grid = np.linspace(0.0, 2.0, 9)
    dW = brownian_increments((5,), grid, rng=1)
    path = euler_maruyama(lambda x, t: 0.0, 1.0, torch.zeros(5, dtype=torch.float64), grid,
                          dW=dW, return_path=True)
    assert_allclose(path[1:].numpy(), torch.cumsum(dW, 0).numpy(), atol=1e-14)
    assert torch.equal(path[0], torch.zeros(5, dtype=torch.float64))


def test_brownian_increments_have_variance_h_and_are_uncorrelated():
    grid = np.array([0.0, 0.1, 0.5, 2.0])
    dW = brownian_increments((200_000,), grid, rng=2)
    n = dW.shape[1]
    assert_allclose(dW.var(dim=1).numpy(), np.diff(grid), rtol=5 * math.sqrt(2 / n))
    corr = torch.corrcoef(dW).numpy()
    assert np.abs(corr - np.eye(3)).max() < 5 / math.sqrt(n)
    assert torch.equal(dW, brownian_increments((200_000,), grid, rng=2))  # seeded


def test_ou_mean_and_variance_equal_those_of_the_euler_chain_and_of_the_sde():
    theta, mu, sigma, x0, T, N, n = 1.5, 0.5, 0.8, 2.0, 1.0, 50, 200_000
    x = euler_maruyama(_ou(theta, mu), sigma, torch.full((n,), x0, dtype=torch.float64),
                       np.linspace(0, T, N + 1), rng=0)
    h, a = T / N, 1 - theta * T / N
    mean_chain = mu + (x0 - mu) * a**N
    var_chain = sigma**2 * h * (1 - a ** (2 * N)) / (1 - a**2)
    se_mean, se_var = math.sqrt(var_chain / n), var_chain * math.sqrt(2 / n)
    assert abs(x.mean().item() - mean_chain) < 4 * se_mean
    assert abs(x.var().item() - var_chain) < 4 * se_var
    # and the SDE's own moments, to within the O(h) bias of the scheme
    mean_sde = mu + (x0 - mu) * math.exp(-theta * T)
    var_sde = sigma**2 / (2 * theta) * (1 - math.exp(-2 * theta * T))
    assert abs(x.mean().item() - mean_sde) < 4 * se_mean + 2 * theta * h * abs(x0 - mu)
    assert abs(x.var().item() - var_sde) < 4 * se_var + 2 * theta * h * var_sde


def _gbm_strong_errors(mu=0.5, sigma=0.8, n=20_000, levels=(2, 3, 4, 5, 6, 7)):
    T, fine = 1.0, 2 ** max(levels)
    dW = brownian_increments((n,), np.linspace(0, T, fine + 1), rng=5)
    exact = torch.exp((mu - sigma**2 / 2) * T + sigma * dW.sum(0))
    hs, errs = [], []
    for lev in levels:
        N = 2**lev
        coarse = dW.reshape(N, fine // N, n).sum(1)  # the same path on the coarse grid
        x = euler_maruyama(lambda x, t: mu * x, lambda x, t: sigma * x,
                           torch.ones(n, dtype=torch.float64), np.linspace(0, T, N + 1),
                           dW=coarse)
        hs.append(T / N)
        errs.append((x - exact).abs().mean().item())
    return np.array(hs), np.array(errs)


def test_gbm_strong_error_against_the_exact_solution_has_slope_one_half():
    hs, errs = _gbm_strong_errors()
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert 0.4 < slope < 0.65, slope
    assert np.all(np.diff(errs) < 0)  # smaller steps, smaller errors


def test_gbm_mean_is_the_chain_mean_weak_order_one():
    mu, sigma, n = 0.8, 0.3, 200_000
    for N in (4, 16):
        x = euler_maruyama(lambda x, t: mu * x, lambda x, t: sigma * x,
                           torch.ones(n, dtype=torch.float64), np.linspace(0, 1, N + 1),
                           rng=N)
        chain = (1 + mu / N) ** N  # E prod (1 + mu h + sigma dW_k)
        assert abs(x.mean().item() - chain) < 4 * x.std().item() / math.sqrt(n)
        # the weak error e^mu - (1 + mu/N)^N is ~ mu^2 e^mu / (2N): order one, distinguishable
        assert abs(x.mean().item() - math.exp(mu)) > 0.5 * mu**2 * math.exp(mu) / (2 * N)


def test_float32_keeps_dtype_device_and_input():
    x0 = torch.randn(100, 3, generator=torch.Generator().manual_seed(0))
    before = x0.clone()
    x = euler_maruyama(_ou(), 0.5, x0, torch.linspace(0, 1, 11), rng=1)
    assert x.dtype == torch.float32 and x.device == x0.device and x.shape == x0.shape
    assert torch.equal(x0, before)
    assert not torch.equal(x, x0)


def test_arrays_give_float64_and_equal_results_to_tensors():
    x0 = np.linspace(-1, 1, 6)
    a = euler_maruyama(_ou(), 0.3, x0, [0.0, 0.5, 1.0], rng=4)
    b = euler_maruyama(_ou(), 0.3, torch.from_numpy(x0), [0.0, 0.5, 1.0], rng=4)
    assert a.dtype == torch.float64 and torch.equal(a, b)


def test_a_drift_or_diffusion_that_returns_x_itself_is_not_corrupted():
    grid = np.linspace(0, 1, 11)
    dW = brownian_increments((4,), grid, rng=0)
    x0 = torch.ones(4, dtype=torch.float64)
    got = euler_maruyama(lambda x, t: x, lambda x, t: x, x0, grid, dW=dW)
    ref = torch.prod(1 + 0.1 + dW, dim=0)  # X_{k+1} = X_k (1 + h + dW_k)
    assert_allclose(got.numpy(), ref.numpy(), rtol=1e-13)


def test_paths_do_not_interact():
    grid = np.linspace(0, 1, 21)
    dW = brownian_increments((6, 2), grid, rng=0)
    x0 = torch.arange(12.0, dtype=torch.float64).reshape(6, 2)
    full = euler_maruyama(_ou(), lambda x, t: 1 + x**2 / 10, x0, grid, dW=dW)
    part = euler_maruyama(_ou(), lambda x, t: 1 + x**2 / 10, x0[2:4], grid, dW=dW[:, 2:4])
    assert torch.equal(full[2:4], part)


def test_blow_up_is_an_error_not_a_silent_inf():
    with pytest.raises(ValueError, match="NaN or infinite"):
        euler_maruyama(lambda x, t: x**3, 0.0, torch.full((3,), 2.0), np.linspace(0, 5, 51))


def test_wrong_shapes_are_refused_with_the_argument_named():
    grid = np.linspace(0, 1, 4)
    with pytest.raises(ValueError, match="dW"):
        euler_maruyama(_ou(), 1.0, torch.zeros(3), grid, dW=torch.zeros(2, 3))
    with pytest.raises(ValueError, match="drift"):
        euler_maruyama(lambda x, t: torch.zeros(5), 1.0, torch.zeros(3), grid)
    with pytest.raises(ValueError, match="t_grid"):
        euler_maruyama(_ou(), 1.0, torch.zeros(3), [0.0, 1.0, 0.5])
    with pytest.raises(TypeError, match="diffusion"):
        euler_maruyama(_ou(), lambda x, t: "wide", torch.zeros(3), grid)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_equals_cpu_with_the_same_increments():
    grid = np.linspace(0, 1, 33)
    dW = brownian_increments((64, 2), grid, rng=0)
    cpu = euler_maruyama(_ou(), lambda x, t: 1 + 0.1 * x, torch.ones(64, 2, dtype=torch.float64),
                         grid, dW=dW)
    gpu = euler_maruyama(_ou(), lambda x, t: 1 + 0.1 * x,
                         torch.ones(64, 2, dtype=torch.float64, device="cuda"), grid, dW=dW)
    assert gpu.device.type == "cuda"
    assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-12)


def test_benchmark_quick_mode_runs():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "sde.py"), "--quick"],
                         capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert "ratio to the RNG limit" in out.stdout
