"""Loss functions as negative log-likelihoods.

Every loss here is the negative log-likelihood of a noise model: squared error for Gaussian noise
(:func:`gaussian_nll`), absolute error for Laplace noise (:func:`laplace_nll`), cross entropy for a
categorical model of the label (:func:`cross_entropy`, :func:`binary_cross_entropy_with_logits`).
The softmax family is computed through the log-sum-exp, so that logits of size 1e4 neither
overflow nor lose digits. The estimators of linear regression (least squares, ridge, the Bayesian
posterior) live in :mod:`coursekit.regression`.

All functions take NumPy arrays (or anything ``numpy.asarray`` accepts, CPU torch tensors
included), compute in float64 and return NumPy arrays or Python floats. Bad input raises a
``ValueError`` or ``TypeError`` that names the offending argument.

Taught in: the MLE chapter (chapters/mle/mle.ipynb).

References
----------
C. M. Bishop, *Pattern Recognition and Machine Learning*, Springer, 2006 (sections 1.2.5, 4.3).
K. P. Murphy, *Probabilistic Machine Learning: An Introduction*, MIT Press, 2022. P.
Blanchard, D. J. Higham and N. J. Higham, Accurately computing the log-sum-exp and softmax
functions, IMA J. Numer. Anal. 41 (2021) 2311-2330.
"""

from __future__ import annotations

import math

import numpy as np

from coursekit._checks import as_array, check_bool, check_choice, check_int, input_eps

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
]

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------------------------
# input checking (the shared helpers of coursekit._checks, plus what is special to losses)
# --------------------------------------------------------------------------------------------


def _reduce(values: np.ndarray, reduction: str):
    if reduction == "mean":
        return float(values.mean())
    if reduction == "sum":
        return float(values.sum())
    return values


def _check_reduction(reduction) -> None:
    check_choice(reduction, "reduction", _REDUCTIONS)


def _check_axis(axis, ndim: int):
    """``axis`` as a valid int for an array of ``ndim`` dimensions, or None (all entries)."""
    if axis is None:
        return None
    axis = check_int(axis, "axis")
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"axis must lie in [{-ndim}, {ndim}) for an array of {ndim} dimensions, "
                         f"got {axis}")
    return axis


def _nonempty_batch(arr: np.ndarray, name: str) -> None:
    if arr.size == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {arr.shape}")


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
    axis : int or None, default -1
        The class axis; None reduces over all entries (as ``scipy.special.logsumexp`` does).
    keepdims : bool, default False
        Keep the reduced axis with length 1 (for broadcasting against ``z``).

    Returns
    -------
    ndarray
        Shape of ``z`` without ``axis`` (or with length 1 there if ``keepdims``).

    Raises
    ------
    ValueError
        If ``z`` is empty along ``axis`` or holds NaN or inf, or ``axis`` is out of range.

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0])) == 1000.0 + math.log(2)
    True
    >>> logsumexp(np.zeros((2, 3)), axis=None).shape
    ()
    """
    z = as_array(z, "z")
    keepdims = check_bool(keepdims, "keepdims")
    z2, ax = _flat_if_none(z, _check_axis(axis, z.ndim))
    m, rest = _lse_parts(z2, ax)
    out = m + rest
    if axis is None:
        return out.reshape((1,) * z.ndim) if keepdims else out.reshape(())
    return out if keepdims else np.squeeze(out, axis=ax)


def _flat_if_none(z: np.ndarray, axis):
    """``(z, axis)``, or ``(z.ravel(), 0)`` when ``axis`` is None (reduce over all entries)."""
    return (z.reshape(-1), 0) if axis is None else (z, axis)


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
    axis : int or None, default -1
        The class axis; None normalises over all entries.

    Returns
    -------
    ndarray, same shape as ``z``
        Log-probabilities (all :math:`\le 0`); their exponentials sum to 1 along ``axis``.

    Examples
    --------
    >>> np.exp(log_softmax([0.0, math.log(3.0)]))
    array([0.25, 0.75])
    """
    z = as_array(z, "z")
    z2, ax = _flat_if_none(z, _check_axis(axis, z.ndim))
    m, rest = _lse_parts(z2, ax)
    return ((z2 - m) - rest).reshape(z.shape)  # (z - m) first: exact 0 at the max, no cancellation


def softmax(z, axis: int = -1) -> np.ndarray:
    r"""Softmax :math:`p_k = e^{z_k} / \sum_j e^{z_j}` along ``axis``, without overflow.

    The result is unchanged when a constant is added to all logits (shift invariance), which is
    what makes the stable evaluation through :func:`logsumexp` possible.

    Parameters
    ----------
    z : array_like, shape (..., K)
        Finite logits.
    axis : int or None, default -1
        The class axis; None normalises over all entries.

    Returns
    -------
    ndarray, same shape as ``z``
        Probabilities in [0, 1] that sum to 1 along ``axis``.

    Examples
    --------
    >>> softmax([1e4, 1e4])
    array([0.5, 0.5])
    """
    z = as_array(z, "z")
    z2, ax = _flat_if_none(z, _check_axis(axis, z.ndim))
    if z2.ndim == 0 or z2.shape[ax] == 0:
        raise ValueError(f"z must have at least one entry along axis {axis}, got shape {z.shape}")
    e = np.exp(z2 - np.max(z2, axis=ax, keepdims=True))  # in [0, 1], the largest is 1
    return (e / np.sum(e, axis=ax, keepdims=True)).reshape(z.shape)


def _labels(labels, n: int, k: int) -> np.ndarray:
    lab = as_array(labels, "labels", integer=True)
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
        On shape mismatch, an empty batch, labels out of range, non-finite logits or an unknown
        reduction.

    Examples
    --------
    >>> cross_entropy([[0.0, 0.0]], [1]) == math.log(2)
    True

    References
    ----------
    Bishop (2006), section 4.3.4; Goodfellow, Bengio and Courville, *Deep Learning* (2016),
    section 6.2.2.3.
    """
    _check_reduction(reduction)
    logits = as_array(logits, "logits", ndim=2)
    _nonempty_batch(logits, "logits")
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

    Examples
    --------
    >>> sigmoid([-800.0, 0.0, 800.0])
    array([0. , 0.5, 1. ])
    """
    z = as_array(z, "z")
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
        On shape mismatch, an empty batch, targets outside [0, 1], non-finite input or an
        unknown reduction.

    Examples
    --------
    >>> binary_cross_entropy_with_logits([0.0], [1.0]) == math.log(2)
    True
    """
    _check_reduction(reduction)
    z = as_array(logits, "logits")
    _nonempty_batch(z, "logits")
    y = as_array(targets, "targets")
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
    y = as_array(y, y_name)
    loc = as_array(loc, loc_name)
    scale = as_array(scale, scale_name)
    if np.any(scale <= 0):
        raise ValueError(f"{scale_name} must be positive")
    try:
        shape = np.broadcast_shapes(y.shape, loc.shape, scale.shape)
    except ValueError:
        raise ValueError(
            f"{y_name} {y.shape}, {loc_name} {loc.shape} and {scale_name} {scale.shape} "
            "do not broadcast"
        ) from None
    if math.prod(shape) == 0:
        raise ValueError(f"{y_name} must hold at least one observation, got shape {shape}")
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
        If ``var`` has a non-positive entry, shapes do not broadcast, there is no observation,
        or input is not finite.

    Examples
    --------
    >>> gaussian_nll(0.0, 0.0, 1.0) == 0.5 * math.log(2 * math.pi)
    True
    >>> round(gaussian_nll(0.0, 0.0, 1e308), 3)  # log(2 pi var) / 2, with no overflow
    355.517
    """
    _check_reduction(reduction)
    y, mean, var, shape = _location_scale_args(y, "y", mean, "mean", var, "var")
    # log(2 pi) + log(var), not log(2 pi var); the residual is divided by sqrt(var) before it is
    # squared: neither overflows where the loss itself is finite.
    r = (y - mean) / np.sqrt(var)
    losses = 0.5 * (np.log(2 * np.pi) + np.log(var) + r**2)
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

    Examples
    --------
    >>> laplace_nll(1.0, 0.0, 1.0) == math.log(2) + 1
    True
    """
    _check_reduction(reduction)
    y, loc, scale, shape = _location_scale_args(y, "y", loc, "loc", scale, "scale")
    losses = np.log(2.0) + np.log(scale) + np.abs(y - loc) / scale
    return _reduce(np.broadcast_to(losses, shape), reduction)


def kl_divergence(p, q) -> float:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \,\|\, q) = \sum_k p_k \log(p_k/q_k)`.

    For two probability vectors on the same finite set. Terms with :math:`p_k = 0` contribute 0;
    a term with :math:`p_k > 0 = q_k` makes the divergence :math:`+\infty`.

    Parameters
    ----------
    p, q : array_like, shape (K,)
        Non-negative entries that each sum to 1, to within rounding of their dtype
        (:math:`\max(10^{-8}, 8K\varepsilon)`, so float32 probabilities are accepted).

    Returns
    -------
    float, in :math:`[0, \infty]`

    Raises
    ------
    ValueError
        On shape mismatch, negative entries, sums different from 1 or non-finite input.

    Examples
    --------
    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    >>> kl_divergence([1.0, 0.0], [0.5, 0.5]) == math.log(2)
    True

    References
    ----------
    T. M. Cover and J. A. Thomas, *Elements of Information Theory*, 2nd ed., Wiley, 2006, ch. 2.
    """
    tols = {"p": input_eps(p), "q": input_eps(q)}
    p = as_array(p, "p", ndim=1, nonempty=True)
    q = as_array(q, "q", ndim=1, nonempty=True)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    for name, v in (("p", p), ("q", q)):
        if np.any(v < 0):
            raise ValueError(f"{name} must be non-negative")
        if abs(v.sum() - 1.0) > max(1e-8, 8 * v.size * tols[name]):
            raise ValueError(f"{name} must sum to 1, got {v.sum()!r}")
    support = p > 0
    if np.any(q[support] == 0):
        return math.inf
    return float(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))))
