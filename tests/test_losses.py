"""Losses as negative log-likelihoods.

Every expected value comes from an independent oracle (torch.nn.functional, scipy.stats,
scikit-learn, numpy.linalg) or from a mathematical identity, never from this module's output.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose
from scipy import stats
from scipy.special import logsumexp as scipy_logsumexp

from coursekit import losses

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
logit_arrays = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=finite)


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------------------
# softmax family
# ---------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(logit_arrays)
def test_softmax_is_a_distribution_and_matches_torch(z):
    p = losses.softmax(z)
    assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(p >= 0)
    assert_allclose(p, F.softmax(torch.from_numpy(z), dim=-1).numpy(), rtol=1e-10, atol=1e-300)
    assert_allclose(losses.logsumexp(z), scipy_logsumexp(z, axis=-1), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(logit_arrays, st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(z, c):
    assert_allclose(losses.softmax(z + c), losses.softmax(z), rtol=1e-9, atol=1e-12)
    assert_allclose(
        losses.log_softmax(z + c), losses.log_softmax(z), rtol=1e-9, atol=1e-9 * (1 + abs(c))
    )


def test_no_overflow_at_huge_logits():
    z = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # (underflow is harmless)
        p = losses.softmax(z)
        lp = losses.log_softmax(z)
        lse = losses.logsumexp(z)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(lse))
    assert_allclose(p[0], [1.0, 0.0, 0.0], atol=1e-300)
    assert_allclose(p[1], [1 / 3] * 3, rtol=1e-14)
    assert_allclose(lse[1], 1e4 + math.log(3), rtol=1e-15)
    assert_allclose(lp[0, 0], 0.0, atol=1e-12)


def test_softmax_along_another_axis():
    z = _rng().normal(size=(4, 3))
    assert_allclose(losses.softmax(z, axis=0), losses.softmax(z.T).T, rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# cross entropy
# ---------------------------------------------------------------------------------------------


def test_cross_entropy_matches_torch_on_random_batches():
    rng = _rng(1)
    z = rng.normal(scale=3.0, size=(50, 7))
    y = rng.integers(0, 7, size=50)
    zt, yt = torch.from_numpy(z), torch.from_numpy(y)
    for red in ("mean", "sum", "none"):
        expected = F.cross_entropy(zt, yt, reduction=red).numpy()
        assert_allclose(losses.cross_entropy(z, y, reduction=red), expected, rtol=1e-12)


def test_cross_entropy_is_minus_log_of_the_label_probability():
    # The definition, evaluated the naive way on moderate logits.
    z = np.array([[1.5, 2.0, 0.5]])
    p = np.exp(z) / np.exp(z).sum()
    for label in range(3):
        assert_allclose(losses.cross_entropy(z, [label]), -np.log(p[0, label]), rtol=1e-13)


def test_cross_entropy_gradient_is_p_minus_onehot():
    rng = _rng(2)
    z = rng.normal(size=(5, 4))
    y = rng.integers(0, 4, size=5)
    h = 1e-6
    grad = np.zeros_like(z)
    for i in range(5):
        for k in range(4):
            e = np.zeros_like(z)
            e[i, k] = h
            grad[i, k] = (
                losses.cross_entropy(z + e, y, "sum") - losses.cross_entropy(z - e, y, "sum")
            ) / (2 * h)
    expected = losses.softmax(z) - np.eye(4)[y]
    assert_allclose(grad, expected, atol=1e-8)


def test_cross_entropy_accepts_torch_tensors():
    z = torch.tensor([[0.0, 1.0], [2.0, -1.0]], requires_grad=True)
    y = torch.tensor([1, 0])
    expected = F.cross_entropy(z, y).item()
    assert_allclose(losses.cross_entropy(z, y), expected, rtol=1e-6)


def test_cross_entropy_rejects_bad_input():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match="labels"):
        losses.cross_entropy(z, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match="labels"):
        losses.cross_entropy(z, np.array([0, -1, 2]))
    with pytest.raises(ValueError, match="labels"):
        losses.cross_entropy(z, np.array([0, 1]))
    with pytest.raises(TypeError, match="labels"):
        losses.cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="logits"):
        losses.cross_entropy(np.array([[0.0, np.nan]] * 3), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="logits"):
        losses.cross_entropy(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match="reduction"):
        losses.cross_entropy(z, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(TypeError, match="logits"):
        losses.cross_entropy(np.array([["a", "b"]]), np.array([0]))


# ---------------------------------------------------------------------------------------------
# sigmoid and binary cross entropy
# ---------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-700, 700)))
def test_sigmoid_matches_torch_and_is_the_two_class_softmax(z):
    s = losses.sigmoid(z)
    assert_allclose(s, torch.sigmoid(torch.from_numpy(z)).numpy(), rtol=1e-12, atol=1e-300)
    two = np.stack([np.zeros_like(z), z], axis=1)  # logits (0, z)
    assert_allclose(s, losses.softmax(two)[:, 1], rtol=1e-12, atol=1e-300)


def test_bce_matches_torch_and_two_class_cross_entropy():
    rng = _rng(3)
    z = rng.normal(scale=5.0, size=40)
    y = rng.integers(0, 2, size=40)
    expected = F.binary_cross_entropy_with_logits(
        torch.from_numpy(z), torch.from_numpy(y.astype(float)), reduction="none"
    ).numpy()
    got = losses.binary_cross_entropy_with_logits(z, y, reduction="none")
    # torch loses a few digits on tiny losses (log1p(exp(z)) - y z with y=0, z << 0)
    assert_allclose(got, expected, rtol=1e-10)
    two = np.stack([np.zeros_like(z), z], axis=1)
    assert_allclose(got, losses.cross_entropy(two, y, reduction="none"), rtol=1e-12)


def test_bce_is_finite_at_extreme_logits_and_matches_bernoulli_logpmf():
    z = np.array([-1e4, -30.0, 0.0, 30.0, 1e4])
    y = np.array([1, 1, 0, 0, 1])
    got = losses.binary_cross_entropy_with_logits(z, y, reduction="none")
    assert np.all(np.isfinite(got))
    assert_allclose(got, [1e4, 30.0 + math.log1p(math.exp(-30.0)), math.log(2), 30.0, 0.0],
                    rtol=1e-14, atol=1e-300)
    zm = np.array([-2.0, 0.3, 1.7])
    ym = np.array([0, 1, 1])
    p = 1 / (1 + np.exp(-zm))
    assert_allclose(losses.binary_cross_entropy_with_logits(zm, ym, "none"),
                    -stats.bernoulli.logpmf(ym, p), rtol=1e-12)


def test_bce_rejects_bad_input():
    with pytest.raises(ValueError, match="targets"):
        losses.binary_cross_entropy_with_logits(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="targets"):
        losses.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="logits"):
        losses.binary_cross_entropy_with_logits(np.array([np.inf]), np.array([1]))


# ---------------------------------------------------------------------------------------------
# regression losses and KL
# ---------------------------------------------------------------------------------------------


def test_gaussian_and_laplace_nll_are_log_densities():
    rng = _rng(4)
    y, mu = rng.normal(size=30), rng.normal(size=30)
    var = rng.uniform(0.1, 3.0, size=30)
    assert_allclose(
        losses.gaussian_nll(y, mu, var, reduction="none"),
        -stats.norm.logpdf(y, loc=mu, scale=np.sqrt(var)),
        rtol=1e-12,
    )
    assert_allclose(
        losses.gaussian_nll(y, mu, 2.0, reduction="sum"),
        -stats.norm.logpdf(y, loc=mu, scale=math.sqrt(2.0)).sum(),
        rtol=1e-12,
    )
    assert_allclose(
        losses.laplace_nll(y, mu, var, reduction="none"),
        -stats.laplace.logpdf(y, loc=mu, scale=var),
        rtol=1e-12,
    )


def test_gaussian_nll_minimised_in_the_mean_by_the_sample_mean():
    # d/dmu sum (y - mu)^2 / (2 var) = 0  <=>  mu = mean(y)
    y = _rng(5).normal(loc=2.0, size=25)
    grid = y.mean() + np.linspace(-1e-3, 1e-3, 201)
    vals = [losses.gaussian_nll(y, m, 1.0) for m in grid]
    assert np.argmin(vals) == 100
    vals_l1 = [losses.laplace_nll(y, m, 1.0) for m in np.median(y) + np.linspace(-0.1, 0.1, 201)]
    assert np.argmin(vals_l1) == 100


def test_regression_nll_reject_nonpositive_variance_and_nan():
    with pytest.raises(ValueError, match="var"):
        losses.gaussian_nll(np.zeros(3), np.zeros(3), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="scale"):
        losses.laplace_nll(np.zeros(3), np.zeros(3), -1.0)
    with pytest.raises(ValueError, match="y"):
        losses.gaussian_nll(np.array([np.nan]), np.zeros(1), 1.0)
    with pytest.raises(ValueError, match="broadcast"):
        losses.gaussian_nll(np.zeros(3), np.zeros(2), 1.0)


def test_kl_divergence_matches_scipy_and_is_zero_only_at_equality():
    rng = _rng(6)
    p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
    assert_allclose(losses.kl_divergence(p, q), stats.entropy(p, q), rtol=1e-12)
    assert losses.kl_divergence(p, q) > 0
    assert losses.kl_divergence(p, p) == 0.0
    assert losses.kl_divergence([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(2))
    assert losses.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    with pytest.raises(ValueError, match="sum to 1"):
        losses.kl_divergence([0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="non-negative"):
        losses.kl_divergence([1.5, -0.5], [0.5, 0.5])
