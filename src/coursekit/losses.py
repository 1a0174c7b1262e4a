"""Loss functions as negative log-likelihoods, and the closed forms of linear regression.

Every loss here is the negative log-likelihood of a noise model: squared error for Gaussian noise
(:func:`gaussian_nll`), absolute error for Laplace noise (:func:`laplace_nll`), cross entropy for a
categorical model of the label (:func:`cross_entropy`, :func:`binary_cross_entropy_with_logits`).
The softmax family is computed through the log-sum-exp, so that logits of size 1e4 neither
overflow nor lose digits. The linear-regression part holds the estimators of a linear model with
Gaussian noise: weighted least squares (maximum likelihood), the minimum-norm interpolator (the
p > n case), ridge regression (maximum a posteriori with a Gaussian prior) and the Gaussian
posterior of Bayesian linear regression.

All functions take NumPy arrays (or anything ``numpy.asarray`` accepts, CPU torch tensors
included), compute in float64 and return NumPy arrays or Python floats. Bad input raises a
``ValueError`` or ``TypeError`` that names the offending argument.

Taught in: the MLE chapter (chapters/mle/mle.ipynb).

References
----------
C. M. Bishop, *Pattern Recognition and Machine Learning*, Springer, 2006 (sections 1.2.5, 3.1-3.3,
4.3). K. P. Murphy, *Probabilistic Machine Learning: An Introduction*, MIT Press, 2022. P.
Blanchard, D. J. Higham and N. J. Higham, Accurately computing the log-sum-exp and softmax
functions, IMA J. Numer. Anal. 41 (2021) 2311-2330.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "logsumexp",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "sigmoid",
    "binary_cross_entropy_with_logits",
    "gaussian_nll",
    "laplace_nll",
    "kl_divergence",
    "weighted_least_squares",
    "min_norm_interpolator",
    "ridge",
    "BayesLinearPosterior",
    "bayes_linear_posterior",
]

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------------------------


def _as_float(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``x`` as a finite float64 array; TypeError for non-numbers, ValueError for NaN/inf/ndim."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return arr


def _positive_scalar(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be positive and finite, got {x}")
    return x


def _reduce(values: np.ndarray, reduction: str):
    if reduction == "mean":
        return float(values.mean())
    if reduction == "sum":
        return float(values.sum())
    return values


def _check_reduction(reduction) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


# --------------------------------------------------------------------------------------------
# softmax family and classification losses
# --------------------------------------------------------------------------------------------


def logsumexp(z, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""Log-sum-exp :math:`\log \sum_k e^{z_k}` along ``axis``, without overflow.

    Computed as :math:`m + \operatorname{log1p}\big(\sum_{k \ne k^*} e^{z_k - m}\big)` with
    :math:`m = z_{k^*} = \max_k z_k`: every exponent is at most 0, so nothing overflows; the
    largest term is exactly 1, so the sum cannot underflow to 0; and ``log1p`` keeps full
    relative accuracy when the result is close to :math:`m` (Blanchard, Higham and Higham 2021).

    Parameters
    ----------
    z : array_like, shape (..., K)
        Finite logits.
    axis : int, default -1
        The class axis.
    keepdims : bool, default False
        Keep the reduced axis with length 1 (for broadcasting against ``z``).

    Returns
    -------
    ndarray
        Shape of ``z`` without ``axis`` (or with length 1 there if ``keepdims``).

    Raises
    ------
    ValueError
        If ``z`` is empty along ``axis`` or holds NaN or inf.
    """
    z = _as_float(z, "z")
    m, rest = _lse_parts(z, axis)
    out = m + rest
    return out if keepdims else np.squeeze(out, axis=axis)


def _lse_parts(z: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``(m, r)`` with ``logsumexp(z) = m + r``, ``m`` the max and ``r = log1p(...) >= 0``."""
    if z.ndim == 0 or z.shape[axis] == 0:
        raise ValueError(f"z must have at least one entry along axis {axis}, got shape {z.shape}")
    axis = axis % z.ndim
    i_max = np.argmax(z, axis=axis, keepdims=True)
    m = np.take_along_axis(z, i_max, axis=axis)
    e = np.exp(z - m)  # in [0, 1]
    np.put_along_axis(e, i_max, 0.0, axis=axis)  # the largest term, exactly 1, goes to log1p
    return m, np.log1p(np.sum(e, axis=axis, keepdims=True))


def log_softmax(z, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax, :math:`\log p_k = z_k - \log \sum_j e^{z_j}`, computed stably.

    Parameters
    ----------
    z : array_like, shape (..., K)
        Finite logits.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray, same shape as ``z``
        Log-probabilities (all :math:`\le 0`); their exponentials sum to 1 along ``axis``.
    """
    z = _as_float(z, "z")
    m, rest = _lse_parts(z, axis)
    return (z - m) - rest  # (z - m) first: exact 0 at the largest logit, no cancellation


def softmax(z, axis: int = -1) -> np.ndarray:
    r"""Softmax :math:`p_k = e^{z_k} / \sum_j e^{z_j}` along ``axis``, without overflow.

    The result is unchanged when a constant is added to all logits (shift invariance), which is
    what makes the stable evaluation through :func:`logsumexp` possible.

    Parameters
    ----------
    z : array_like, shape (..., K)
        Finite logits.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray, same shape as ``z``
        Probabilities in [0, 1] that sum to 1 along ``axis``.
    """
    z = _as_float(z, "z")
    if z.ndim == 0 or z.shape[axis] == 0:
        raise ValueError(f"z must have at least one entry along axis {axis}, got shape {z.shape}")
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))  # in [0, 1], the largest is 1
    return e / np.sum(e, axis=axis, keepdims=True)


def _labels(labels, n: int, k: int) -> np.ndarray:
    if hasattr(labels, "detach") and hasattr(labels, "cpu"):
        labels = labels.detach().cpu().numpy()
    lab = np.asarray(labels)
    if lab.dtype == bool or not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"labels must be integers (class indices), got dtype {lab.dtype}")
    if lab.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match logits, got {lab.shape}")
    if lab.size and (lab.min() < 0 or lab.max() >= k):
        raise ValueError(
            f"labels must lie in 0..{k - 1} for {k} classes, got values in "
            f"[{lab.min()}, {lab.max()}]"
        )
    return lab.astype(np.intp)


def cross_entropy(logits, labels, reduction: str = "mean"):
    r"""Cross entropy of integer labels under softmax probabilities (the categorical NLL).

    .. math::

        \ell_i = -\log \operatorname{softmax}(z_i)_{y_i}
               = -z_{i, y_i} + \log \sum_{k} e^{z_{ik}}.

    This is the negative log-likelihood of the label when the model says
    :math:`P(y = k \mid x) = \operatorname{softmax}(z)_k`; it equals
    ``torch.nn.functional.cross_entropy`` (which also takes logits, not probabilities).

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Finite scores, one row per sample.
    labels : array_like of int, shape (N,)
        Class indices in ``0..K-1``.
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float, or ndarray of shape (N,) when ``reduction="none"``

    Raises
    ------
    TypeError
        If ``labels`` are not integers.
    ValueError
        On shape mismatch, labels out of range, non-finite logits or an unknown reduction.

    References
    ----------
    Bishop (2006), section 4.3.4; Goodfellow, Bengio and Courville, *Deep Learning* (2016),
    section 6.2.2.3.
    """
    _check_reduction(reduction)
    logits = _as_float(logits, "logits", ndim=2)
    n, k = logits.shape
    if k == 0:
        raise ValueError("logits must have at least one class column")
    lab = _labels(labels, n, k)
    losses = -log_softmax(logits, axis=1)[np.arange(n), lab]  # (N,)
    return _reduce(losses, reduction)


def sigmoid(z) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, without overflow for any sign.

    For :math:`z < 0` it is evaluated as :math:`e^{z} / (1 + e^{z})`, so no exponential of a
    large positive number is ever formed.

    Parameters
    ----------
    z : array_like
        Finite logits, any shape.

    Returns
    -------
    ndarray, same shape as ``z``, values in [0, 1]
    """
    z = _as_float(z, "z")
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_cross_entropy_with_logits(logits, targets, reduction: str = "mean"):
    r"""Binary cross entropy of targets in [0, 1] under :math:`\hat y = \sigma(z)`, from logits.

    .. math::

        \ell = -y \log \sigma(z) - (1 - y) \log(1 - \sigma(z))
             = \log(1 + e^{z}) - y z,

    and the right-hand side, evaluated as :math:`\max(z, 0) - yz + \log(1 + e^{-|z|})`, is
    finite for every finite logit and keeps its relative accuracy when the loss is tiny. It is
    the Bernoulli negative log-likelihood and the two-class case of :func:`cross_entropy` with
    logits :math:`(0, z)`.

    Parameters
    ----------
    logits : array_like, shape (...)
        Finite scores.
    targets : array_like, same shape as ``logits``
        Labels in {0, 1} (or probabilities in [0, 1]).
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float, or ndarray shaped like ``logits`` when ``reduction="none"``

    Raises
    ------
    ValueError
        On shape mismatch, targets outside [0, 1], non-finite input or an unknown reduction.
    """
    _check_reduction(reduction)
    z = _as_float(logits, "logits")
    y = _as_float(targets, "targets")
    if y.shape != z.shape:
        raise ValueError(f"targets must have the shape of logits {z.shape}, got {y.shape}")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("targets must lie in [0, 1]")
    # max(z, 0) - y z + log(1 + e^{-|z|}): no overflow, and no cancellation for confident,
    # correct predictions (y = 1, z >> 0 or y = 0, z << 0), where the loss is tiny.
    losses = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return _reduce(losses, reduction)


# --------------------------------------------------------------------------------------------
# regression losses as negative log-likelihoods
# --------------------------------------------------------------------------------------------


def _location_scale_args(y, y_name, loc, loc_name, scale, scale_name):
    """Validate data, location and positive scale arrays; return them and their broadcast shape."""
    y = _as_float(y, y_name)
    loc = _as_float(loc, loc_name)
    scale = _as_float(scale, scale_name)
    if np.any(scale <= 0):
        raise ValueError(f"{scale_name} must be positive")
    try:
        shape = np.broadcast_shapes(y.shape, loc.shape, scale.shape)
    except ValueError:
        raise ValueError(
            f"{y_name} {y.shape}, {loc_name} {loc.shape} and {scale_name} {scale.shape} "
            "do not broadcast"
        ) from None
    return y, loc, scale, shape


def gaussian_nll(y, mean, var, reduction: str = "mean"):
    r"""Negative log-likelihood of observations under :math:`\mathcal N(\text{mean}, \text{var})`.

    .. math::

        -\log p(y \mid \mu, \sigma^2) = \tfrac12 \log(2\pi\sigma^2)
            + \frac{(y - \mu)^2}{2\sigma^2}.

    With a fixed variance, minimising its sum over the data is minimising the squared error.
    The constant :math:`\tfrac12\log 2\pi` is included (unlike ``torch.nn.GaussianNLLLoss``'s
    default), so the value is a true log-density.

    Parameters
    ----------
    y : array_like
        Observations.
    mean : array_like, broadcastable with ``y``
    var : array_like or float, broadcastable with ``y``, all > 0
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float, or ndarray of the broadcast shape when ``reduction="none"``

    Raises
    ------
    ValueError
        If ``var`` has a non-positive entry, shapes do not broadcast, or input is not finite.
    """
    _check_reduction(reduction)
    y, mean, var, shape = _location_scale_args(y, "y", mean, "mean", var, "var")
    losses = 0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)
    return _reduce(np.broadcast_to(losses, shape), reduction)


def laplace_nll(y, loc, scale, reduction: str = "mean"):
    r"""Negative log-likelihood under the Laplace density :math:`e^{-|y-\mu|/b} / (2b)`.

    .. math::

        -\log p(y \mid \mu, b) = \log(2b) + \frac{|y - \mu|}{b}.

    With a fixed scale, minimising its sum is minimising the absolute error.

    Parameters
    ----------
    y : array_like
    loc : array_like, broadcastable with ``y``
    scale : array_like or float, broadcastable with ``y``, all > 0
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    float, or ndarray of the broadcast shape when ``reduction="none"``
    """
    _check_reduction(reduction)
    y, loc, scale, shape = _location_scale_args(y, "y", loc, "loc", scale, "scale")
    losses = np.log(2 * scale) + np.abs(y - loc) / scale
    return _reduce(np.broadcast_to(losses, shape), reduction)


def kl_divergence(p, q) -> float:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \,\|\, q) = \sum_k p_k \log(p_k/q_k)`.

    For two probability vectors on the same finite set. Terms with :math:`p_k = 0` contribute 0;
    a term with :math:`p_k > 0 = q_k` makes the divergence :math:`+\infty`.

    Parameters
    ----------
    p, q : array_like, shape (K,)
        Non-negative entries that each sum to 1 (to within 1e-8).

    Returns
    -------
    float, in :math:`[0, \infty]`

    Raises
    ------
    ValueError
        On shape mismatch, negative entries, sums different from 1 or non-finite input.

    References
    ----------
    T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006, ch. 2.
    """
    p = _as_float(p, "p", ndim=1)
    q = _as_float(q, "q", ndim=1)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    for name, v in (("p", p), ("q", q)):
        if np.any(v < 0):
            raise ValueError(f"{name} must be non-negative")
        if abs(v.sum() - 1.0) > 1e-8:
            raise ValueError(f"{name} must sum to 1, got {v.sum()!r}")
    support = p > 0
    if np.any(q[support] == 0):
        return math.inf
    return float(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))))


# --------------------------------------------------------------------------------------------
# linear regression with Gaussian noise
# --------------------------------------------------------------------------------------------


def _design(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = _as_float(X, "X", ndim=2)
    y = _as_float(y, "y", ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} entries")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    return X, y


def _whitener(Sigma, n: int) -> np.ndarray | None:
    """The lower Cholesky factor L of Sigma (Sigma = L L^T); None for Sigma = I."""
    if Sigma is None:
        return None
    S = _as_float(Sigma, "Sigma", ndim=(1, 2))
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
    """
    X, y = _design(X, y)
    n, p = X.shape
    L = _whitener(Sigma, n)
    if L is not None:
        X = np.linalg.solve(L, X)  # (n, p)
        y = np.linalg.solve(L, y)  # (n,)
    beta, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < p:
        raise ValueError(
            f"X^T Sigma^-1 X is singular: X (n={n}, p={p}) has rank {rank} < p, so the "
            "maximum-likelihood estimate is not unique; use min_norm_interpolator or ridge"
        )
    return beta


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
    """
    X, y = _design(X, y)
    n, p = X.shape
    rank = np.linalg.matrix_rank(X)
    if rank < n:
        raise ValueError(
            f"X (n={n}, p={p}) has rank {rank} < n: X X^T is singular, so X beta = y may have no"
            " solution; use ridge or numpy.linalg.pinv"
        )
    return X.T @ np.linalg.solve(X @ X.T, y)


def ridge(X, y, lam) -> np.ndarray:
    r"""Ridge regression, :math:`\arg\min_\beta \|y - X\beta\|^2 + \lambda\|\beta\|^2`.

    .. math::

        \hat\beta_\lambda = (X^\top X + \lambda I_p)^{-1} X^\top y
                          = X^\top (X X^\top + \lambda I_n)^{-1} y .

    The two forms are equal (the second follows from the Woodbury identity); the function solves
    the smaller of the two systems, :math:`p \times p` when :math:`n \ge p` and :math:`n \times n`
    otherwise. It is the maximum a posteriori estimate for the prior
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
    """
    X, y = _design(X, y)
    lam = _positive_scalar(lam, "lam")
    n, p = X.shape
    if n >= p:
        return np.linalg.solve(X.T @ X + lam * np.eye(p), X.T @ y)
    return X.T @ np.linalg.solve(X @ X.T + lam * np.eye(n), y)


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
        X_new = _as_float(X_new, "X_new", ndim=2)
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
    """
    X = _as_float(X, "X", ndim=2)
    y = _as_float(y, "y", ndim=1)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} entries")
    if X.shape[1] == 0:
        raise ValueError("X must have at least one column")
    noise_var = _positive_scalar(noise_var, "noise_var")
    prior_var = _positive_scalar(prior_var, "prior_var")
    p = X.shape[1]
    precision = X.T @ X / noise_var + np.eye(p) / prior_var  # (p, p), positive definite
    cov = np.linalg.inv(precision)
    cov = 0.5 * (cov + cov.T)
    mean = np.linalg.solve(precision, X.T @ y / noise_var)  # (p,)
    return BayesLinearPosterior(mean=mean, cov=cov, noise_var=noise_var)
