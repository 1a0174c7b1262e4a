"""coursekit.linalg: every test states a piece of mathematics.

Oracles are independent implementations (LAPACK through numpy/scipy, torch); invariants are
identities the SVD must satisfy; closed forms are the BBP limits. No expected value below was
copied from the output of the function it checks.
"""

import numpy as np
import pytest
import scipy.linalg
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from coursekit import linalg

EPS = np.finfo(float).eps


def _gaussian(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def _low_rank(m, n, r, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, r)) @ rng.standard_normal((r, n))


# ---------------------------------------------------------------------------------------------
# svd_via_eig
# ---------------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(m=st.integers(1, 12), n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_svd_via_eig_is_an_svd_of_full_rank_matrices(m, n, seed):
    A = _gaussian((m, n), seed)
    U, s, Vt = linalg.svd_via_eig(A)
    p = min(m, n)
    assert U.shape == (m, p) and s.shape == (p,) and Vt.shape == (p, n)
    # oracle: LAPACK's singular values
    assert_allclose(s, np.linalg.svd(A, compute_uv=False), rtol=1e-7, atol=1e-9)
    # invariants: orthonormality, ordering, reconstruction, A v_i = sigma_i u_i
    assert_allclose(U.T @ U, np.eye(p), atol=1e-6)
    assert_allclose(Vt @ Vt.T, np.eye(p), atol=1e-10)
    assert np.all(np.diff(s) <= 1e-12)
    assert_allclose(U @ np.diag(s) @ Vt, A, atol=1e-7)
    assert_allclose(A @ Vt.T, U * s, atol=1e-7)


def test_svd_via_eig_matches_torch_and_handles_tensors():
    A = _gaussian((30, 20), 1)
    U, s, Vt = linalg.svd_via_eig(torch.from_numpy(A))
    s_torch = torch.linalg.svdvals(torch.from_numpy(A)).numpy()
    assert_allclose(s, s_torch, rtol=1e-10)
    U_t, _, Vh_t = torch.linalg.svd(torch.from_numpy(A), full_matrices=False)
    # singular vectors agree up to sign (the singular values of a Gaussian matrix are distinct)
    assert_allclose(np.abs(np.sum(U * U_t.numpy(), axis=0)), 1.0, atol=1e-8)
    assert_allclose(np.abs(np.sum(Vt * Vh_t.numpy(), axis=1)), 1.0, atol=1e-8)


def test_svd_via_eig_of_a_rank_deficient_matrix_is_accurate_to_sqrt_eps():
    B = _low_rank(40, 25, 4, 2)
    U, s, Vt = linalg.svd_via_eig(B)
    s_ref = np.linalg.svd(B, compute_uv=False)
    assert_allclose(s[:4], s_ref[:4], rtol=1e-10)
    # zero singular values come out at the sqrt(eps) scale, not at the eps scale
    assert np.all(s[4:] <= np.sqrt(max(B.shape) * EPS) * s[0])
    assert_allclose(U.T @ U, np.eye(25), atol=1e-8)
    assert_allclose(U @ np.diag(s) @ Vt, B, atol=np.sqrt(EPS) * s[0] * 10)


def test_svd_via_eig_of_wide_and_zero_matrices():
    A = _gaussian((3, 7), 3)
    U, s, Vt = linalg.svd_via_eig(A)
    assert U.shape == (3, 3) and Vt.shape == (3, 7)
    assert_allclose(U @ np.diag(s) @ Vt, A, atol=1e-10)
    U0, s0, Vt0 = linalg.svd_via_eig(np.zeros((4, 2)))
    assert_allclose(s0, 0.0)
    assert_allclose(U0.T @ U0, np.eye(2), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# numerical_rank and low_rank_approx (Eckart-Young)
# ---------------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    m=st.integers(2, 15),
    n=st.integers(2, 15),
    r=st.integers(0, 15),
    seed=st.integers(0, 2**32 - 1),
)
def test_numerical_rank_recovers_the_rank_of_a_product(m, n, r, seed):
    r = min(r, m, n)
    B = _low_rank(m, n, r, seed) if r else np.zeros((m, n))
    assert linalg.numerical_rank(B) == r
    assert linalg.numerical_rank(B) == np.linalg.matrix_rank(B)


def test_numerical_rank_depends_on_the_tolerance():
    A = np.diag([1.0, 1e-3, 1e-9])
    assert linalg.numerical_rank(A) == 3
    assert linalg.numerical_rank(A, tol=1e-6) == 2
    assert linalg.numerical_rank(A, tol=1.0) == 0


@settings(max_examples=20, deadline=None)
@given(m=st.integers(2, 14), n=st.integers(2, 14), data=st.data())
def test_eckart_young_error_identities(m, n, data):
    A = _gaussian((m, n), data.draw(st.integers(0, 2**32 - 1)))
    k = data.draw(st.integers(0, min(m, n)))
    s = np.linalg.svd(A, compute_uv=False)
    A_k = linalg.low_rank_approx(A, k)
    assert np.linalg.matrix_rank(A_k) == k
    # ||A - A_k||_F^2 = sum of the discarded sigma_i^2, ||A - A_k||_2 = sigma_{k+1}
    assert_allclose(np.linalg.norm(A - A_k, "fro") ** 2, np.sum(s[k:] ** 2), rtol=1e-9, atol=1e-12)
    spectral = s[k] if k < min(m, n) else 0.0
    assert_allclose(np.linalg.norm(A - A_k, 2), spectral, rtol=1e-9, atol=1e-12)


def test_low_rank_approx_beats_other_rank_k_matrices():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((30, 20))
    k = 5
    best = np.linalg.norm(A - linalg.low_rank_approx(A, k))
    for _ in range(20):
        cols = rng.choice(20, size=k, replace=False)
        Q, _ = np.linalg.qr(A[:, cols])
        assert np.linalg.norm(A - Q @ (Q.T @ A)) >= best
        B = A + 0.01 * rng.standard_normal(A.shape)
        assert np.linalg.norm(A - linalg.low_rank_approx(B, k)) >= best - 1e-12


def test_low_rank_approx_of_full_rank_is_identity_and_zero_rank_is_zero():
    A = _gaussian((6, 4), 5)
    assert_allclose(linalg.low_rank_approx(A, 4), A, atol=1e-12)
    assert_allclose(linalg.low_rank_approx(A, 0), 0.0)


# ---------------------------------------------------------------------------------------------
# PCA, whitening, principal angles
# ---------------------------------------------------------------------------------------------


def _cloud(N=400, seed=6):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    return rng.standard_normal((N, 4)) * np.array([5.0, 2.0, 1.0, 0.1]) @ Q.T + 3.0


def test_pca_components_are_orthonormal_and_variances_are_sigma_squared_over_n_minus_1():
    X = _cloud()
    comps, var, mean = linalg.pca(X, 3)
    assert comps.shape == (3, 4) and var.shape == (3,) and mean.shape == (4,)
    assert_allclose(comps @ comps.T, np.eye(3), atol=1e-12)
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    assert_allclose(var, s[:3] ** 2 / (X.shape[0] - 1), rtol=1e-12)
    assert_allclose(mean, X.mean(axis=0))
    # oracle: the eigendecomposition of the sample covariance
    lam, vec = np.linalg.eigh(np.cov(X.T))
    assert_allclose(var, lam[::-1][:3], rtol=1e-10)
    assert_allclose(np.abs(comps @ vec[:, ::-1][:, :3]), np.eye(3), atol=1e-8)
    # the variance of the projected data along each component is the explained variance
    assert_allclose(np.var((X - mean) @ comps.T, axis=0, ddof=1), var, rtol=1e-10)


def test_pca_fixes_the_sign_of_each_component():
    # the largest-magnitude entry of every component is positive, whatever sign the SVD returns
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 4)) @ np.diag([3.0, 2.0, 1.0, 0.5])
    comps = linalg.pca(X, 3).components
    pivots = comps[np.arange(3), np.argmax(np.abs(comps), axis=1)]
    assert np.all(pivots > 0)
    # -X spans the same directions: with the convention, the very same components
    assert_allclose(linalg.pca(-X, 3).components, comps, atol=1e-12)


def test_pca_matches_scikit_learn():
    from sklearn.decomposition import PCA

    X = _cloud(seed=7)
    ref = PCA(n_components=2).fit(X)
    res = linalg.pca(torch.from_numpy(X), 2)
    assert_allclose(res.explained_variance, ref.explained_variance_, rtol=1e-10)
    assert_allclose(np.abs(res.components @ ref.components_.T), np.eye(2), atol=1e-8)


@pytest.mark.parametrize("method", ["zca", "pca"])
def test_whitened_data_have_identity_covariance(method):
    X = _cloud(seed=8)
    Z, W, mean = linalg.whiten(X, method=method)
    assert_allclose(np.cov(Z.T), np.eye(4), atol=1e-10)
    assert_allclose(Z, (X - mean) @ W, atol=1e-12)
    C = np.cov(X.T)
    assert_allclose(W.T @ C @ W, np.eye(4), atol=1e-9)
    if method == "zca":
        # ZCA: W is the symmetric inverse square root of the covariance
        assert_allclose(W, W.T, atol=1e-12)
        assert_allclose(W @ W, np.linalg.inv(C), rtol=1e-8, atol=1e-12)


def test_whiten_needs_eps_for_a_singular_covariance():
    X = _cloud(N=3)  # 3 samples in 4 dimensions: the covariance has rank 2
    with pytest.raises(ValueError, match="eps"):
        linalg.whiten(X)
    Z, W, _ = linalg.whiten(X, eps=1e-3)
    assert np.all(np.isfinite(Z))


def test_principal_angles_of_a_subspace_with_itself_are_zero():
    A = _gaussian((10, 3), 9)
    R = _gaussian((3, 3), 10)  # a change of basis of the same column space
    assert_allclose(linalg.principal_angles(A, A @ R), 0.0, atol=1e-7)
    # and a subspace contained in a larger one
    assert_allclose(linalg.principal_angles(A[:, :2], A), 0.0, atol=1e-7)


def test_principal_angles_of_orthogonal_subspaces_are_right_angles():
    Q = np.linalg.qr(_gaussian((8, 5), 11))[0]
    assert_allclose(linalg.principal_angles(Q[:, :2], Q[:, 2:]), np.pi / 2, atol=1e-12)


def test_principal_angles_closed_form_in_the_plane_and_oracle():
    for theta in [1e-9, 1e-4, 0.3, 1.2, np.pi / 2]:
        a = np.array([[1.0], [0.0], [0.0]])
        b = np.array([[np.cos(theta)], [np.sin(theta)], [0.0]])
        assert_allclose(linalg.principal_angles(a, b), [theta], rtol=1e-10, atol=1e-15)
    A, B = _gaussian((12, 3), 12), _gaussian((12, 4), 13)
    ref = np.sort(scipy.linalg.subspace_angles(A, B))
    assert_allclose(linalg.principal_angles(A, B), ref, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Sherman-Morrison and Woodbury
# ---------------------------------------------------------------------------------------------


def _invertible(n, seed):
    return _gaussian((n, n), seed) + 2 * np.sqrt(n) * np.eye(n)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_sherman_morrison_equals_a_fresh_inverse(n, seed):
    A = _invertible(n, seed)
    rng = np.random.default_rng(seed + 1)
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    denom = 1 + v @ np.linalg.solve(A, u)
    if abs(denom) < 1e-3:  # nearly singular update: covered by the bad-input test
        return
    updated = linalg.sherman_morrison(np.linalg.inv(A), u, v)
    assert_allclose(updated, np.linalg.inv(A + np.outer(u, v)), rtol=1e-7, atol=1e-9)


def test_sherman_morrison_sign_and_column_vectors():
    A = _invertible(6, 14)
    u, v = _gaussian((6, 1), 15), _gaussian((6, 1), 16)
    updated = linalg.sherman_morrison(torch.from_numpy(np.linalg.inv(A)), u, v)
    assert_allclose(updated @ (A + u @ v.T), np.eye(6), atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 12), k=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_woodbury_equals_a_fresh_inverse(n, k, seed):
    rng = np.random.default_rng(seed)
    A = _invertible(n, seed)
    U, V = rng.standard_normal((n, k)), rng.standard_normal((k, n))
    C = np.diag(rng.uniform(0.5, 2.0, size=k))
    M = A + U @ C @ V
    if np.linalg.cond(M) > 1e6:  # nearly singular update: covered by the bad-input test
        return
    assert_allclose(
        linalg.woodbury(np.linalg.inv(A), U, C, V), np.linalg.inv(M), rtol=1e-6, atol=1e-8
    )


def test_woodbury_with_k_1_is_sherman_morrison_and_allows_singular_c():
    A_inv = np.linalg.inv(_invertible(7, 17))
    u, v = _gaussian(7, 18), _gaussian(7, 19)
    assert_allclose(
        linalg.woodbury(A_inv, u[:, None], np.eye(1), v[None, :]),
        linalg.sherman_morrison(A_inv, u, v),
        atol=1e-12,
    )
    # C singular: the update is U C V = u1 v1^T only, so Woodbury reduces to one rank-one update
    U, V = _gaussian((7, 2), 20), _gaussian((2, 7), 21)
    C = np.diag([1.0, 0.0])
    assert_allclose(
        linalg.woodbury(A_inv, U, C, V),
        linalg.sherman_morrison(A_inv, U[:, 0], V[0]),
        atol=1e-12,
    )


# ---------------------------------------------------------------------------------------------
# spiked Wigner model and BBP
# ---------------------------------------------------------------------------------------------


def test_bbp_formulas_at_known_points():
    # below the transition nothing is detected; above, overlap 1 - 1/lam^2, eigenvalue lam + 1/lam
    assert linalg.bbp_overlap(0.0) == 0.0
    assert linalg.bbp_overlap(0.5) == 0.0
    assert linalg.bbp_overlap(1.0) == 0.0
    assert_allclose(linalg.bbp_overlap(2.0), 3 / 4)
    assert_allclose(linalg.bbp_overlap(3.0), 8 / 9)
    assert linalg.bbp_top_eigenvalue(0.5) == 2.0
    assert linalg.bbp_top_eigenvalue(1.0) == 2.0
    assert_allclose(linalg.bbp_top_eigenvalue(2.0), 5 / 2)
    assert_allclose(linalg.bbp_top_eigenvalue([0.0, 4.0]), [2.0, 17 / 4])
    # continuity at the transition and the strong-signal limits
    assert_allclose(linalg.bbp_overlap(1 + 1e-9), 0.0, atol=1e-8)
    assert_allclose(linalg.bbp_top_eigenvalue(1 + 1e-9), 2.0, atol=1e-8)
    assert_allclose(linalg.bbp_overlap(1e6), 1.0, atol=1e-11)


def test_spiked_wigner_noise_is_goe_and_spike_is_unit():
    rng = np.random.default_rng(22)
    n = 300
    A, x = linalg.spiked_wigner(n, 0.0, rng)
    assert_allclose(A, A.T)
    assert_allclose(np.linalg.norm(x), 1.0)
    W = A * np.sqrt(n)  # with lam = 0 the matrix is W / sqrt(n)
    off = W[np.triu_indices(n, 1)]
    # GOE: off-diagonal variance 1, diagonal variance 2 (sampling error ~ sqrt(2/count))
    assert abs(off.var() - 1.0) < 5 * np.sqrt(2 / off.size)
    assert abs(np.diag(W).var() - 2.0) < 5 * 2 * np.sqrt(2 / n)
    # the semicircle fills [-2, 2]: the spectral edge is at 2 up to O(n^(-2/3)) corrections
    assert abs(np.linalg.eigvalsh(A)[-1] - 2.0) < 0.15


def test_spiked_wigner_simulation_matches_bbp_away_from_the_transition():
    rng = np.random.default_rng(23)
    n = 800
    tol = 5 / np.sqrt(n)  # fluctuations of one draw are O(n^(-1/2)) away from lam = 1
    for lam in [0.3, 2.0, 3.0]:
        A, x = linalg.spiked_wigner(n, lam, rng)
        w, V = np.linalg.eigh(A)
        assert abs((V[:, -1] @ x) ** 2 - linalg.bbp_overlap(lam)) < tol
        assert abs(w[-1] - linalg.bbp_top_eigenvalue(lam)) < tol


def test_spiked_wigner_keeps_a_given_direction_and_seeds():
    x = np.arange(1.0, 6.0)
    A1, x1 = linalg.spiked_wigner(5, 1.5, 7, x=x)
    A2, _ = linalg.spiked_wigner(5, 1.5, np.random.default_rng(7), x=x)
    assert_allclose(x1, x / np.linalg.norm(x))
    assert_allclose(A1, A2)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def test_matrices_must_be_2d_finite_and_real():
    with pytest.raises(ValueError, match="A must be a 2-D"):
        linalg.svd_via_eig(np.ones(3))
    with pytest.raises(ValueError, match="A must be a 2-D"):
        linalg.numerical_rank(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        linalg.low_rank_approx(np.array([[1.0, np.nan], [0.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="NaN"):
        linalg.pca(np.array([[1.0, np.inf], [0.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="empty"):
        linalg.svd_via_eig(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="real"):
        linalg.svd_via_eig(np.ones((2, 2), dtype=complex))
    with pytest.raises(TypeError, match="real numbers"):
        linalg.svd_via_eig(np.array([["a", "b"]]))


def test_k_out_of_range():
    A = np.ones((4, 3))
    with pytest.raises(ValueError, match="k must satisfy"):
        linalg.low_rank_approx(A, 4)
    with pytest.raises(ValueError, match="k must satisfy"):
        linalg.low_rank_approx(A, -1)
    with pytest.raises(TypeError, match="k must be an int"):
        linalg.low_rank_approx(A, 1.5)
    with pytest.raises(TypeError, match="k must be an int"):
        linalg.pca(A, True)
    with pytest.raises(ValueError, match="k must satisfy"):
        linalg.pca(A, 0)
    with pytest.raises(ValueError, match="at least 2 samples"):
        linalg.pca(np.ones((1, 3)), 1)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="tol"):
        linalg.numerical_rank(np.eye(2), tol=-1.0)
    with pytest.raises(ValueError, match="same number of rows"):
        linalg.principal_angles(np.ones((3, 1)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="rank 0"):
        linalg.principal_angles(np.zeros((3, 1)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="method"):
        linalg.whiten(_cloud(), method="cholesky")
    with pytest.raises(ValueError, match="eps"):
        linalg.whiten(_cloud(), eps=-1.0)
    with pytest.raises(ValueError, match="lam"):
        linalg.bbp_overlap(-1.0)
    with pytest.raises(ValueError, match="lam"):
        linalg.bbp_top_eigenvalue(np.nan)
    with pytest.raises(ValueError, match="lam"):
        linalg.spiked_wigner(10, -0.5, 0)
    with pytest.raises(TypeError, match="rng"):
        linalg.spiked_wigner(10, 1.0, "seed")
    with pytest.raises(ValueError, match="n must satisfy"):
        linalg.spiked_wigner(1, 1.0, 0)


def test_sherman_morrison_refuses_a_singular_update():
    # A = I, u = e1, v = -e1: A + u v^T zeroes the first row, and 1 + v^T A^{-1} u = 0
    e1 = np.array([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="singular"):
        linalg.sherman_morrison(np.eye(3), e1, -e1)
    # nearly singular (rounding-level denominator) is refused too
    with pytest.raises(ValueError, match="singular"):
        linalg.sherman_morrison(np.eye(3), e1, -(1 - 1e-14) * e1)
    with pytest.raises(ValueError, match="u must be a vector of length 3"):
        linalg.sherman_morrison(np.eye(3), np.ones(2), e1)
    with pytest.raises(ValueError, match="A_inv must be square"):
        linalg.sherman_morrison(np.ones((3, 2)), e1, e1)


def test_woodbury_refuses_a_singular_update_and_bad_shapes():
    # A = I, U C V = -e1 e1^T: the update removes the first direction
    U = np.array([[1.0], [0.0], [0.0]])
    with pytest.raises(ValueError, match="singular"):
        linalg.woodbury(np.eye(3), U, -np.eye(1), U.T)
    with pytest.raises(ValueError, match="U must have shape"):
        linalg.woodbury(np.eye(3), np.ones((2, 1)), np.eye(1), np.ones((1, 3)))
    with pytest.raises(ValueError, match="V must have shape"):
        linalg.woodbury(np.eye(3), np.ones((3, 1)), np.eye(1), np.ones((3, 1)))
