r"""The estimators of a linear model with Gaussian noise, :math:`y = X\beta + \varepsilon`.

Weighted least squares (the maximum-likelihood estimate), the minimum-norm interpolator (the
:math:`p > n` case), ridge regression (the maximum a posteriori estimate under a Gaussian prior)
and the Gaussian posterior of Bayesian linear regression. Every estimate is computed from an
orthogonal factorisation (``lstsq`` or an SVD) of a matrix whose entries were scaled to order 1,
never from the normal equations: forming :math:`X^\top X` squares the condition number and
overflows or underflows at magnitudes where the answer itself is representable.

All functions take NumPy arrays (or anything ``numpy.asarray`` accepts, CPU torch tensors
included), compute in float64 and return NumPy arrays. Bad input raises a ``ValueError`` or
``TypeError`` that names the offending argument.

Taught in: the MLE chapter (chapters/mle/mle.ipynb).

References
----------
C. M. Bishop, *Pattern Recognition and Machine Learning*, Springer, 2006 (sections 3.1-3.3).
G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., 2013, chapter 5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit._checks import as_array, check_bool, check_real, max_abs

__all__ = [
    "weighted_least_squares",
    "min_norm_interpolator",
    "ridge",
    "BayesLinearPosterior",
    "bayes_linear_posterior",
]


def _design(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} entries")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    return X, y


def _whitener(Sigma, n: int) -> np.ndarray | None:
    """The lower Cholesky factor L of Sigma (Sigma = L L^T); None for Sigma = I."""
    if Sigma is None:
        return None
    S = as_array(Sigma, "Sigma", ndim=(1, 2))
    if S.ndim == 1:
        if S.shape != (n,):
            raise ValueError(f"Sigma as variances must have shape ({n},), got {S.shape}")
        if np.any(S <= 0):
            raise ValueError("Sigma must have positive variances")
        return np.diag(np.sqrt(S))
    if S.shape != (n, n):
        raise ValueError(f"Sigma must have shape ({n}, {n}), got {S.shape}")
    if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12 * np.abs(S).max()):
        raise ValueError("Sigma must be symmetric")
    try:
        return np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        raise ValueError(
            "Sigma must be positive definite (its Cholesky factorisation failed)"
        ) from None


def weighted_least_squares(X, y, Sigma=None) -> np.ndarray:
    r"""Maximum-likelihood coefficients of :math:`y = X\beta + \varepsilon`,
    :math:`\varepsilon \sim \mathcal N(0, \Sigma)`.

    .. math::

        \hat\beta = (X^\top \Sigma^{-1} X)^{-1} X^\top \Sigma^{-1} y .

    The estimate exists and is unique exactly when :math:`X^\top\Sigma^{-1}X` is invertible,
    that is when ``X`` has full column rank (which needs :math:`n \ge p`). It is computed by
    whitening, :math:`\tilde X = L^{-1}X,\ \tilde y = L^{-1}y` with :math:`\Sigma = LL^\top`,
    and an ordinary least-squares solve of the whitened system (no normal equations, whose
    condition number is the square of :math:`\tilde X`'s).

    Parameters
    ----------
    X : array_like, shape (n, p)
        Design matrix, one row per observation.
    y : array_like, shape (n,)
        Observations.
    Sigma : None, array_like of shape (n,), or array_like of shape (n, n)
        Noise covariance: None for :math:`\Sigma = I` (ordinary least squares), a vector of
        per-observation variances :math:`\sigma_i^2 > 0`, or a symmetric positive-definite
        matrix.

    Returns
    -------
    ndarray, shape (p,)

    Raises
    ------
    ValueError
        On shape mismatch, non-finite input, a ``Sigma`` that is not positive definite, or a
        rank-deficient ``X`` (for instance p > n; see :func:`min_norm_interpolator`, :func:`ridge`).

    References
    ----------
    A. C. Aitken, On least squares and linear combination of observations, Proc. R. Soc.
    Edinburgh 55 (1936) 42-48. Bishop (2006), section 3.1.1.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> np.round(weighted_least_squares(X, y), 12)  # y = 1 + 2 x exactly
    array([1., 2.])
    """
    X, y = _design(X, y)
    n, p = X.shape
    L = _whitener(Sigma, n)
    # Scaling X, y and Sigma by constants changes beta by a known factor (and not at all for
    # Sigma): working with entries of order 1 avoids overflow and underflow in the solves.
    cx, cy = max_abs(X), max_abs(y)
    if cx == 0:
        raise ValueError(f"X (n={n}, p={p}) is zero: the estimate is not unique; use ridge")
    X = X / cx
    y = y / cy if cy else y
    if L is not None:
        L = L / max_abs(L)
        X = np.linalg.solve(L, X)  # (n, p)
        y = np.linalg.solve(L, y)  # (n,)
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < p:
        raise ValueError(
            f"X^T Sigma^-1 X is singular: X (n={n}, p={p}) has rank {rank} < p, so the "
            "maximum-likelihood estimate is not unique; use min_norm_interpolator or ridge"
        )
    return beta / cx * cy if cy else beta


def min_norm_interpolator(X, y) -> np.ndarray:
    r"""The smallest-norm :math:`\beta` with :math:`X\beta = y`, for :math:`p \ge n`.

    .. math::

        \hat\beta = X^\top (X X^\top)^{-1} y = X^+ y .

    When ``X`` has full row rank (needs :math:`p \ge n`), every :math:`\beta` of the affine set
    :math:`\{X\beta = y\}` maximises the Gaussian likelihood (the residual is 0 whatever the noise
    covariance); this one has the least Euclidean norm. It is the limit of :func:`ridge` as
    :math:`\lambda \to 0^+`, which the Woodbury identity writes as
    :math:`X^\top(XX^\top + \lambda I)^{-1} y`.

    Parameters
    ----------
    X : array_like, shape (n, p)
        Full row rank.
    y : array_like, shape (n,)

    Returns
    -------
    ndarray, shape (p,)

    Raises
    ------
    ValueError
        On shape mismatch, non-finite input, or when ``X`` does not have full row rank.

    Examples
    --------
    >>> min_norm_interpolator(np.array([[1.0, 1.0]]), np.array([2.0]))
    array([1., 1.])
    """
    X, y = _design(X, y)
    n, p = X.shape
    cx, cy = max_abs(X), max_abs(y)
    if cx == 0:
        raise ValueError(f"X (n={n}, p={p}) is zero: X X^T is singular; use ridge")
    # lstsq (an SVD of the scaled X) gives the minimum-norm solution with error ~ cond(X) eps;
    # the formula X^T (X X^T)^{-1} y would lose cond(X)^2 eps.
    beta, _, rank, _ = np.linalg.lstsq(X / cx, y / cy if cy else y, rcond=None)
    if rank < n:
        raise ValueError(
            f"X (n={n}, p={p}) has rank {rank} < n: X X^T is singular, so X beta = y may have no"
            " solution; use ridge or numpy.linalg.pinv"
        )
    return beta * (cy / cx) if cy else beta


def ridge(X, y, lam) -> np.ndarray:
    r"""Ridge regression, :math:`\arg\min_\beta \|y - X\beta\|^2 + \lambda\|\beta\|^2`.

    .. math::

        \hat\beta_\lambda = (X^\top X + \lambda I_p)^{-1} X^\top y
                          = X^\top (X X^\top + \lambda I_n)^{-1} y .

    The two forms are equal (the second follows from the Woodbury identity). The function forms
    neither: :math:`\hat\beta_\lambda` is the least-squares solution of the stacked system
    :math:`[X;\ \sqrt\lambda I_p]\,\beta \approx [y;\ 0]`, scaled to entries of order 1 and
    solved by ``lstsq``, which keeps full accuracy where :math:`X^\top X` would lose digits,
    overflow or underflow. It is the maximum a posteriori estimate for the prior
    :math:`\beta \sim \mathcal N(0, \tau^2 I)` and noise :math:`\mathcal N(0, \sigma^2 I)` with
    :math:`\lambda = \sigma^2/\tau^2`. No intercept is added: center the data or include a
    column of ones (which is then penalised too).

    Parameters
    ----------
    X : array_like, shape (n, p)
    y : array_like, shape (n,)
    lam : float
        Penalty, > 0.

    Returns
    -------
    ndarray, shape (p,)

    Raises
    ------
    TypeError
        If ``lam`` is not a real number.
    ValueError
        On shape mismatch, non-finite input or ``lam <= 0``.

    References
    ----------
    A. E. Hoerl and R. W. Kennard, Ridge regression: biased estimation for nonorthogonal
    problems, Technometrics 12 (1970) 55-67. Bishop (2006), section 3.3.1.

    Examples
    --------
    >>> X = np.eye(2); y = np.array([2.0, 4.0])
    >>> ridge(X, y, lam=1.0)  # (I + I)^{-1} y
    array([1., 2.])
    """
    X, y = _design(X, y)
    lam = check_real(lam, "lam", positive=True)
    n, p = X.shape
    cy = max_abs(y)
    if cy == 0:
        return np.zeros(p)
    # Divide by c = max(|X|, sqrt(lam)): the stacked matrix has entries of order 1 and the
    # minimiser is unchanged (both terms of the objective scale by 1/c^2).
    root = np.sqrt(lam)
    c = max(max_abs(X), root)
    A = np.vstack([X / c, (root / c) * np.eye(p)])  # (n + p, p)
    b = np.concatenate([y / cy, np.zeros(p)])  # (n + p,)
    beta = np.linalg.lstsq(A, b, rcond=None)[0]
    return beta / c * cy


@dataclass(frozen=True)
class BayesLinearPosterior:
    r"""Gaussian posterior :math:`\mathcal N(m, S)` of the coefficients of a linear model.

    Attributes
    ----------
    mean : ndarray, shape (p,)
        Posterior mean :math:`m`.
    cov : ndarray, shape (p, p)
        Posterior covariance :math:`S`.
    noise_var : float
        The noise variance :math:`\sigma^2` the posterior was computed with.

    Examples
    --------
    >>> post = bayes_linear_posterior(np.eye(2), np.array([2.0, 4.0]), 1.0, 1.0)
    >>> post.predict(np.array([[1.0, 0.0]]))
    (array([1.]), array([1.5]))
    """

    mean: np.ndarray
    cov: np.ndarray
    noise_var: float

    def predict(self, X_new, include_noise: bool = True) -> tuple[np.ndarray, np.ndarray]:
        r"""Predictive mean and variance at new inputs.

        .. math::

            \mathbb E[y_* \mid y] = x_*^\top m, \qquad
            \operatorname{Var}[y_* \mid y] = \sigma^2 + x_*^\top S x_* .

        Parameters
        ----------
        X_new : array_like, shape (m, p)
        include_noise : bool, default True
            Add :math:`\sigma^2` (the variance of a new observation); without it, the variance
            of the regression function :math:`x_*^\top \beta` alone.

        Returns
        -------
        (mean, var) : ndarrays of shape (m,)
        """
        X_new = as_array(X_new, "X_new", ndim=2)
        include_noise = check_bool(include_noise, "include_noise")
        if X_new.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"X_new must have {self.mean.shape[0]} columns, got shape {X_new.shape}"
            )
        mean = X_new @ self.mean  # (m,)
        var = np.einsum("ij,jk,ik->i", X_new, self.cov, X_new)  # (m,)
        if include_noise:
            var = var + self.noise_var
        return mean, var


def bayes_linear_posterior(X, y, noise_var, prior_var) -> BayesLinearPosterior:
    r"""Posterior of :math:`\beta` for :math:`y = X\beta + \varepsilon`,
    :math:`\varepsilon \sim \mathcal N(0, \sigma^2 I)`, prior :math:`\beta \sim \mathcal N(0,
    \tau^2 I)`.

    .. math::

        S = \Big(\frac{X^\top X}{\sigma^2} + \frac{I_p}{\tau^2}\Big)^{-1}, \qquad
        m = \frac{1}{\sigma^2} S X^\top y .

    The mean :math:`m` equals :func:`ridge` with :math:`\lambda = \sigma^2/\tau^2` (it is also
    the MAP estimate, since the posterior is Gaussian). With no data (``n = 0``) it is the prior.

    Parameters
    ----------
    X : array_like, shape (n, p)
        ``n`` may be 0.
    y : array_like, shape (n,)
    noise_var : float
        :math:`\sigma^2 > 0`.
    prior_var : float
        :math:`\tau^2 > 0`.

    Returns
    -------
    BayesLinearPosterior
        With ``mean`` (p,), ``cov`` (p, p) and a ``predict`` method.

    Raises
    ------
    TypeError
        If a variance is not a real number.
    ValueError
        On shape mismatch, non-finite input or a non-positive variance.

    References
    ----------
    Bishop (2006), section 3.3 (equations 3.53-3.54 and 3.58-3.59, with :math:`\alpha =
    1/\tau^2`, :math:`\beta_{\text{Bishop}} = 1/\sigma^2`).

    Examples
    --------
    >>> post = bayes_linear_posterior(np.eye(2), np.array([2.0, 4.0]), noise_var=1.0, prior_var=1.0)
    >>> post.mean, np.diag(post.cov)
    (array([1., 2.]), array([0.5, 0.5]))
    """
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} entries")
    if X.shape[1] == 0:
        raise ValueError("X must have at least one column")
    noise_var = check_real(noise_var, "noise_var", positive=True)
    prior_var = check_real(prior_var, "prior_var", positive=True)
    p = X.shape[1]
    # The precision is A^T A with A = [X / sigma; I / tau]. From the SVD of A / c (entries of
    # order 1), A = c U diag(s) V^T: S = V diag(1 / (c s))^2 V^T and m = V diag(1/(c s)) U^T b
    # with b = [y / sigma; 0], the least-squares solution of A m = b. No X^T X is formed.
    sigma, tau = np.sqrt(noise_var), np.sqrt(prior_var)
    A = np.vstack([X / sigma, np.eye(p) / tau])  # (n + p, p)
    c = max_abs(A)
    U, s, Vt = np.linalg.svd(A / c, full_matrices=False)  # (n+p, p), (p,), (p, p)
    inv = (1.0 / s) / c  # (p,), the singular values of A^{-1}-like factor
    cov = (Vt.T * inv**2) @ Vt  # (p, p)
    cov = 0.5 * (cov + cov.T)
    cy = max_abs(y)
    if cy == 0:
        mean = np.zeros(p)
    else:
        b = np.concatenate([(y / cy) / sigma, np.zeros(p)])  # (n + p,)
        mean = (Vt.T @ (inv * (U.T @ b))) * cy  # (p,)
    return BayesLinearPosterior(mean=mean, cov=cov, noise_var=noise_var)
