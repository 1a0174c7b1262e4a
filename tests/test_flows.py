"""coursekit.flows: round trips, log-determinants against autograd, and the density of a flow.

The mathematics stated here: every layer is a bijection whose ``inverse`` undoes ``forward``;
its ``log_det`` is the log-absolute-determinant of the autograd Jacobian; a flow's density is a
probability density (it integrates to 1) and is the change of variables of a map we can write
in closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from scipy import stats

from coursekit import flows


def _randomised(layer, seed=0, scale=0.7):
    """``layer`` with every parameter drawn at random (a new coupling is the identity)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return layer


def _make(cls, dim, seed=0):
    """One instance of every exported layer class, in a non-trivial state."""
    if cls is flows.AffineCoupling:
        mask = [(j + seed) % 2 for j in range(dim)]
        return _randomised(flows.AffineCoupling(mask, hidden=16, n_hidden=2), seed)
    if cls is flows.Reverse:
        return flows.Reverse(dim)
    raise AssertionError(f"add {cls.__name__} to _make so that the shared tests cover it")


def test_layers_lists_every_exported_layer():
    exported = {getattr(flows, n) for n in flows.__all__}
    layer_classes = {c for c in exported if isinstance(c, type) and issubclass(c, torch.nn.Module)
                     and c is not flows.Flow}
    assert layer_classes == set(flows.LAYERS)


LAYER_CASES = [pytest.param(cls, d, id=f"{cls.__name__}-d{d}") for cls in flows.LAYERS
               for d in (2, 3, 5)]


@pytest.mark.parametrize("cls, dim", LAYER_CASES)
@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
def test_every_layer_round_trips_and_its_log_det_is_the_autograd_jacobian(cls, dim, dtype, tol):
    layer = _make(cls, dim).to(dtype)
    x = torch.randn(64, dim, generator=torch.Generator().manual_seed(1), dtype=dtype) * 1.5
    z, log_det = layer(x)
    assert z.shape == x.shape and log_det.shape == (64,) and z.dtype == dtype
    back = layer.inverse(z)
    assert (back - x).abs().max().item() <= tol * 10 * max(1.0, x.abs().max().item())
    # forward(inverse(z)) == z too
    z2 = torch.randn(16, dim, generator=torch.Generator().manual_seed(2), dtype=dtype)
    assert (layer(layer.inverse(z2))[0] - z2).abs().max().item() <= tol * 10
    # log|det J| against the autograd Jacobian of one sample at a time (float64)
    layer64 = layer.double()
    for i in range(4):
        xi = x[i:i + 1].double()
        jac = torch.autograd.functional.jacobian(lambda v: layer64(v)[0], xi)
        jac = jac.reshape(dim, dim)
        _, logabs = torch.linalg.slogdet(jac)
        assert_allclose(layer64(xi)[1].item(), logabs.item(), rtol=0, atol=1e-10)


def test_coupling_jacobian_is_triangular_and_passes_the_masked_coordinates():
    layer = _randomised(flows.AffineCoupling([1, 0, 1, 0], hidden=8)).double()
    x = torch.randn(10, 4, dtype=torch.float64)
    z, _ = layer(x)
    assert torch.equal(z[:, [0, 2]], x[:, [0, 2]])
    jac = torch.autograd.functional.jacobian(lambda v: layer(v)[0], x[:1]).reshape(4, 4)
    # kept coordinates depend only on themselves; transformed ones on themselves elementwise
    kept, moved = [0, 2], [1, 3]
    assert torch.equal(jac[kept][:, moved], torch.zeros(2, 2, dtype=torch.float64))
    off = jac[moved][:, moved] - torch.diag(torch.diagonal(jac[moved][:, moved]))
    assert torch.equal(off, torch.zeros(2, 2, dtype=torch.float64))


def test_scale_is_clamped():
    layer = flows.AffineCoupling([1, 0], hidden=4, scale_clamp=0.5)
    with torch.no_grad():
        layer.net[-1].bias.fill_(100.0)  # a huge raw scale
    _, log_det = layer(torch.randn(7, 2))
    assert torch.all(log_det.abs() <= 0.5)
    assert log_det.min() > 0.49  # tanh(200) is 1 in float32


def test_new_coupling_is_the_identity():
    layer = flows.AffineCoupling([0, 1, 1], hidden=5)
    x = torch.randn(6, 3)
    z, log_det = layer(x)
    assert torch.equal(z, x) and torch.equal(log_det, torch.zeros(6))


def test_flow_density_integrates_to_one():
    torch.manual_seed(0)
    layers = [_randomised(flows.AffineCoupling([1, 0], hidden=16), s, 0.3) if s % 2 == 0
              else flows.Reverse(2) for s in range(6)]
    flow = flows.Flow(layers, dim=2).double()
    g = np.linspace(-12, 12, 1201)
    xx, yy = np.meshgrid(g, g)
    pts = torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1))
    with torch.no_grad():
        dens = flow.log_prob(pts).exp().numpy()
    h = g[1] - g[0]
    assert_allclose(dens.sum() * h * h, 1.0, atol=2e-3)


def test_flow_log_prob_is_the_change_of_variables_of_an_affine_map():
    # One coupling whose conditioner we fix: s = log 2, t = 3 on the second coordinate gives
    # z2 = 2 x2 + 3, so p(x) = N(x1) N(2 x2 + 3) * 2.
    layer = flows.AffineCoupling([1, 0], hidden=3, scale_clamp=5.0).double()
    with torch.no_grad():
        layer.net[-1].weight.zero_()
        raw = 5.0 * math.atanh(math.log(2.0) / 5.0)
        layer.net[-1].bias.copy_(torch.tensor([0.0, raw, 0.0, 3.0], dtype=torch.float64))
    flow = flows.Flow([layer], dim=2).double()
    x = np.random.default_rng(0).normal(size=(20, 2))
    ref = stats.norm.logpdf(x[:, 0]) + stats.norm.logpdf(2 * x[:, 1] + 3) + math.log(2)
    assert_allclose(flow.log_prob(x).detach().numpy(), ref, rtol=1e-12)


def test_flow_round_trip_and_sample_follow_the_layers():
    layers = [_randomised(flows.AffineCoupling([1, 0, 0], hidden=8), 3), flows.Reverse(3),
              _randomised(flows.AffineCoupling([0, 1, 1], hidden=8), 4)]
    flow = flows.Flow(layers, dim=3).double()
    x = flow.sample(50, rng=5)
    z, log_det = flow(x)
    assert_allclose(flow.inverse(z).detach().numpy(), x.detach().numpy(), atol=1e-12)
    by_hand, total = x, torch.zeros(50, dtype=torch.float64)
    for layer in layers:
        by_hand, ld = layer(by_hand)
        total = total + ld
    assert torch.allclose(by_hand, z) and torch.allclose(total, log_det)
    assert torch.equal(flow.sample(50, rng=5), x)  # reproducible
    assert not torch.equal(flow.sample(50, rng=6), x)


def test_identity_flow_samples_are_standard_normal():
    flow = flows.Flow([flows.AffineCoupling([1, 0], hidden=4)], dim=2)
    x = flow.sample(4000, rng=1).numpy()  # samples carry no graph
    for j in range(2):
        assert stats.kstest(x[:, j], "norm").pvalue > 1e-3


def test_standard_normal_log_prob_matches_scipy():
    z = np.random.default_rng(2).normal(size=(8, 3))
    ref = stats.multivariate_normal(np.zeros(3), np.eye(3)).logpdf(z)
    assert_allclose(flows.standard_normal_log_prob(z).numpy(), ref, rtol=1e-12)


@pytest.mark.parametrize("mask", [[1, 1], [0, 0], [1], [1, 2], [[1, 0]]])
def test_bad_masks_are_refused(mask):
    with pytest.raises(ValueError, match="mask"):
        flows.AffineCoupling(mask)


def test_flow_refuses_bad_layers_and_wrong_widths():
    with pytest.raises(ValueError, match="layers"):
        flows.Flow([], dim=2)
    with pytest.raises(TypeError, match="layers"):
        flows.Flow([torch.nn.Linear(2, 2)], dim=2)
    with pytest.raises(TypeError, match="layers"):
        flows.Flow(flows.Reverse(2), dim=2)
    flow = flows.Flow([flows.Reverse(2)], dim=2)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        flow.log_prob(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="z must be finite"):
        flow.inverse(torch.tensor([[0.0, math.nan]]))


def test_every_public_name_has_a_bad_input_row():
    # test_bad_input's own coverage test lists the modules of the foundation chapters; this
    # one holds coursekit.flows to the same contract.
    import test_bad_input

    covered = {row.name.split(".")[0] for row in test_bad_input.ROWS}
    missing = [n for n in flows.__all__ if n not in covered and n != "LAYERS"]
    assert not missing, f"flows names without a row in tests/test_bad_input.py: {missing}"
