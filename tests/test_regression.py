"""The estimators of linear regression (coursekit.regression).

Every expected value comes from an independent oracle (scikit-learn, numpy.linalg, Gaussian
conditioning) or from a mathematical identity, never from this module's output.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from coursekit import regression


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------------------
# linear regression
# ---------------------------------------------------------------------------------------------


def test_wls_with_diagonal_and_full_covariance_matches_whitened_lstsq():
    rng = _rng(7)
    n, p = 40, 4
    X = rng.normal(size=(n, p))
    y = rng.normal(size=n)
    var = rng.uniform(0.2, 4.0, size=n)
    w = 1 / np.sqrt(var)
    expected = np.linalg.lstsq(X * w[:, None], y * w, rcond=None)[0]
    assert_allclose(regression.weighted_least_squares(X, y, var), expected, rtol=1e-10)
    assert_allclose(regression.weighted_least_squares(X, y, np.diag(var)), expected, rtol=1e-10)
    # a full covariance: the closed form (X^T S^-1 X)^-1 X^T S^-1 y
    A = rng.normal(size=(n, n))
    S = A @ A.T + n * np.eye(n)
    Si = np.linalg.inv(S)
    closed = np.linalg.solve(X.T @ Si @ X, X.T @ Si @ y)
    assert_allclose(regression.weighted_least_squares(X, y, S), closed, rtol=1e-9)
    assert_allclose(regression.weighted_least_squares(X, y), np.linalg.lstsq(X, y, rcond=None)[0],
                    rtol=1e-10)


def test_wls_normal_equations_hold():
    # The gradient of the log-likelihood X^T Sigma^-1 (y - X beta) vanishes at the estimate.
    rng = _rng(8)
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    var = rng.uniform(0.5, 2.0, size=30)
    beta = regression.weighted_least_squares(X, y, var)
    assert_allclose(X.T @ ((y - X @ beta) / var), 0.0, atol=1e-10)


def test_wls_rejects_rank_deficient_and_bad_sigma():
    rng = _rng(9)
    with pytest.raises(ValueError, match="rank"):
        regression.weighted_least_squares(rng.normal(size=(3, 5)), rng.normal(size=3))
    X = rng.normal(size=(6, 2))
    with pytest.raises(ValueError, match="rank"):
        regression.weighted_least_squares(np.c_[X, X[:, 0]], rng.normal(size=6))
    with pytest.raises(ValueError, match="Sigma"):
        regression.weighted_least_squares(X, np.ones(6), np.array([1.0, 1, 1, 1, 1, -1]))
    with pytest.raises(ValueError, match="Sigma"):
        regression.weighted_least_squares(X, np.ones(6), -np.eye(6))
    with pytest.raises(ValueError, match="Sigma"):
        regression.weighted_least_squares(X, np.ones(6), np.triu(np.ones((6, 6))))
    with pytest.raises(ValueError, match="Sigma"):
        regression.weighted_least_squares(X, np.ones(6), np.ones(5))
    with pytest.raises(ValueError, match="rows"):
        regression.weighted_least_squares(X, np.ones(5))


def test_min_norm_interpolator_is_the_pseudo_inverse_solution():
    rng = _rng(10)
    X, y = rng.normal(size=(8, 20)), rng.normal(size=8)
    beta = regression.min_norm_interpolator(X, y)
    assert_allclose(beta, np.linalg.pinv(X) @ y, rtol=1e-9, atol=1e-12)
    assert_allclose(X @ beta, y, atol=1e-10)
    # any other interpolator (beta + a null-space vector) is longer
    null = np.linalg.svd(X)[2][8:]  # (12, 20) rows span ker X
    other = beta + null.T @ rng.normal(size=12)
    assert_allclose(X @ other, y, atol=1e-10)
    assert np.linalg.norm(other) > np.linalg.norm(beta)
    with pytest.raises(ValueError, match="rank"):
        regression.min_norm_interpolator(np.ones((3, 5)), np.ones(3))


@pytest.mark.parametrize("shape", [(30, 5), (5, 30)])
def test_ridge_matches_sklearn_and_both_forms(shape):
    from sklearn.linear_model import Ridge

    rng = _rng(11)
    X, y = rng.normal(size=shape), rng.normal(size=shape[0])
    lam = 0.7
    expected = Ridge(alpha=lam, fit_intercept=False, solver="svd").fit(X, y).coef_
    assert_allclose(regression.ridge(X, y, lam), expected, rtol=1e-9)
    n, p = shape
    primal = np.linalg.solve(X.T @ X + lam * np.eye(p), X.T @ y)
    assert_allclose(regression.ridge(X, y, lam), primal, rtol=1e-9)


def test_ridge_tends_to_least_squares_and_min_norm():
    rng = _rng(12)
    Xt, yt = rng.normal(size=(20, 3)), rng.normal(size=20)
    assert_allclose(regression.ridge(Xt, yt, 1e-10), np.linalg.lstsq(Xt, yt, rcond=None)[0],
                    rtol=1e-7)
    Xw, yw = rng.normal(size=(4, 10)), rng.normal(size=4)
    assert_allclose(regression.ridge(Xw, yw, 1e-10), np.linalg.pinv(Xw) @ yw, rtol=1e-7)
    with pytest.raises(ValueError, match="lam"):
        regression.ridge(Xt, yt, 0.0)
    with pytest.raises(TypeError, match="lam"):
        regression.ridge(Xt, yt, "1")


def test_bayes_posterior_mean_is_ridge_and_covariance_is_inverse_precision():
    rng = _rng(13)
    X, y = rng.normal(size=(25, 3)), rng.normal(size=25)
    s2, t2 = 0.5, 2.0
    post = regression.bayes_linear_posterior(X, y, noise_var=s2, prior_var=t2)
    assert_allclose(post.mean, regression.ridge(X, y, s2 / t2), rtol=1e-10)
    assert_allclose(np.linalg.inv(post.cov), X.T @ X / s2 + np.eye(3) / t2, rtol=1e-10)
    # no data: the prior
    prior = regression.bayes_linear_posterior(np.zeros((0, 3)), np.zeros(0), s2, t2)
    assert_allclose(prior.mean, 0.0)
    assert_allclose(prior.cov, t2 * np.eye(3))


def test_bayes_posterior_by_gaussian_conditioning():
    # Oracle: (beta, y) is jointly Gaussian; condition with the Schur complement formula.
    rng = _rng(14)
    n, p = 6, 2
    X, y = rng.normal(size=(n, p)), rng.normal(size=n)
    s2, t2 = 0.3, 1.5
    K = t2 * X @ X.T + s2 * np.eye(n)  # Cov(y)
    C = t2 * X.T  # Cov(beta, y)
    mean = C @ np.linalg.solve(K, y)
    cov = t2 * np.eye(p) - C @ np.linalg.solve(K, C.T)
    post = regression.bayes_linear_posterior(X, y, s2, t2)
    assert_allclose(post.mean, mean, rtol=1e-10)
    assert_allclose(post.cov, cov, rtol=1e-10, atol=1e-14)
    Xn = rng.normal(size=(4, p))
    m, v = post.predict(Xn)
    assert_allclose(m, Xn @ mean, rtol=1e-10)
    assert_allclose(v, s2 + np.einsum("ij,jk,ik->i", Xn, cov, Xn), rtol=1e-10)
    _, v0 = post.predict(Xn, include_noise=False)
    assert_allclose(v - v0, s2)


def test_bayes_posterior_rejects_bad_variances():
    X, y = np.ones((3, 2)), np.ones(3)
    with pytest.raises(ValueError, match="noise_var"):
        regression.bayes_linear_posterior(X, y, 0.0, 1.0)
    with pytest.raises(ValueError, match="prior_var"):
        regression.bayes_linear_posterior(X, y, 1.0, -2.0)
    with pytest.raises(TypeError, match="noise_var"):
        regression.bayes_linear_posterior(X, y, None, 1.0)
    post = regression.bayes_linear_posterior(X, y, 1.0, 1.0)
    with pytest.raises(ValueError, match="X_new"):
        post.predict(np.ones((2, 3)))
