"""Data matrices through the SVD: principal components, whitening, angles between subspaces.

The GANs chapter compares a linear autoencoder with :func:`pca`; the optimizers chapter whitens
inputs with :func:`whiten`.

Taught in: the SVD chapter (chapters/svd/svd.ipynb).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from coursekit._checks import as_matrix, check_choice, check_int, check_real, max_abs

__all__ = [
    "PCAResult",
    "pca",
    "principal_angles",
    "WhiteningResult",
    "whiten",
]


_EPS = np.finfo(np.float64).eps




class PCAResult(NamedTuple):
    """Principal components of a data set (see :func:`pca`).

    Examples
    --------
    >>> res = pca(np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 0.0]]), 1)
    >>> res.components, res.explained_variance
    (array([[1., 0.]]), array([4.]))
    """

    components: np.ndarray  #: (k, d) orthonormal rows, the principal directions
    explained_variance: np.ndarray  #: (k,) variance of the data along each direction
    mean: np.ndarray  #: (d,) the mean that was subtracted


def pca(X, k: int) -> PCAResult:
    """Principal component analysis of the rows of ``X`` through the SVD of the centred data.

    With :math:`X_c = X - \\bar{x}` and the thin SVD :math:`X_c = U S V^T`, the sample
    covariance is :math:`X_c^T X_c / (N-1) = V \\, \\frac{S^2}{N-1} V^T`: the principal directions
    are the rows of :math:`V^T` and their variances are :math:`\\sigma_i^2 / (N-1)`.
    Each component's sign is fixed so that its entry of largest magnitude is positive.

    Parameters
    ----------
    X : array_like or torch.Tensor, shape (N, d)
        One sample per row, ``N >= 2``.
    k : int
        Number of components, ``1 <= k <= min(N, d)``.

    Returns
    -------
    PCAResult
        ``(components (k, d), explained_variance (k,), mean (d,))``. The projection of new data
        is ``(X_new - mean) @ components.T``.

    References
    ----------
    H. Hotelling, Analysis of a complex of statistical variables into principal components,
    J. Educational Psychology 24 (1933) 417-441.

    Examples
    --------
    >>> X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 0.1], [0.0, -0.1]])
    >>> res = pca(X, 1)
    >>> res.components  # the entry of largest magnitude is positive
    array([[1., 0.]])
    """
    X = as_matrix(X, "X")
    N, d = X.shape
    if N < 2:
        raise ValueError(f"X needs at least 2 samples (rows), got shape {X.shape}")
    k = check_int(k, "k", 1, min(N, d))
    mean = X.mean(axis=0)  # (d,)
    _, s, Vt = np.linalg.svd(X - mean, full_matrices=False)  # (p,), (p, d)
    comps = Vt[:k].copy()  # (k, d)
    pivot = np.argmax(np.abs(comps), axis=1)
    comps *= np.sign(comps[np.arange(k), pivot])[:, None]
    return PCAResult(comps, s[:k] ** 2 / (N - 1), mean)


def _orthonormal_basis(A: np.ndarray, name: str) -> np.ndarray:
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    r = int(np.count_nonzero(s > max(A.shape) * _EPS * s[0]))
    if r == 0:
        raise ValueError(f"{name} has rank 0: its column space has no direction to compare")
    return U[:, :r]


def principal_angles(A, B) -> np.ndarray:
    """Principal angles between the column spaces of ``A`` and ``B``, in increasing order.

    With orthonormal bases :math:`Q_A, Q_B`, the cosines of the angles are the singular values
    of :math:`Q_A^T Q_B`. For small angles the arccosine loses accuracy (a cosine of
    :math:`1 - 10^{-17}` rounds to 1), so angles below :math:`\\pi/4` are computed from their
    sines, the singular values of :math:`Q_B - Q_A Q_A^T Q_B` (Knyazev and Argentati).

    Parameters
    ----------
    A : array_like or torch.Tensor, shape (m, p)
    B : array_like or torch.Tensor, shape (m, q)

    Returns
    -------
    ndarray, shape (min(rank A, rank B),)
        Angles in radians in :math:`[0, \\pi/2]`, smallest first. All zero when one space
        contains the other; all :math:`\\pi/2` when they are orthogonal.

    Raises
    ------
    ValueError
        If the matrices do not have the same number of rows, or one of them is zero.

    References
    ----------
    A. Bjorck and G. H. Golub, Numerical methods for computing angles between linear subspaces,
    Math. Comp. 27 (1973) 579-594. A. V. Knyazev and M. E. Argentati, SIAM J. Sci. Comput. 23
    (2002) 2008-2040.

    Examples
    --------
    >>> e1, e2 = np.array([[1.0], [0.0]]), np.array([[1.0], [1.0]])
    >>> round(float(principal_angles(e1, e2)[0]) / np.pi, 12)
    0.25
    """
    A = as_matrix(A, "A")
    B = as_matrix(B, "B")
    if A.shape[0] != B.shape[0]:
        raise ValueError(
            f"A and B must have the same number of rows, got shapes {A.shape} and {B.shape}"
        )
    QA = _orthonormal_basis(A, "A")  # (m, p')
    QB = _orthonormal_basis(B, "B")  # (m, q')
    if QA.shape[1] < QB.shape[1]:
        QA, QB = QB, QA  # now p' >= q': there are q' angles
    M = QA.T @ QB  # (p', q')
    cos = np.clip(np.linalg.svd(M, compute_uv=False), 0.0, 1.0)  # decreasing: angles increase
    sin = np.clip(np.linalg.svd(QB - QA @ M, compute_uv=False)[::-1], 0.0, 1.0)  # increasing
    small = cos**2 >= 0.5
    return np.where(small, np.arcsin(sin), np.arccos(cos))


class WhiteningResult(NamedTuple):
    """Whitened data and the map that produced it (see :func:`whiten`).

    Examples
    --------
    >>> res = whiten(np.random.default_rng(0).normal(size=(100, 2)))
    >>> res.Z.shape, res.W.shape, res.mean.shape
    ((100, 2), (2, 2), (2,))
    """

    Z: np.ndarray  #: (N, d) whitened data, ``(X - mean) @ W``
    W: np.ndarray  #: (d, d) whitening matrix
    mean: np.ndarray  #: (d,) the mean that was subtracted


def whiten(X, method: str = "zca", eps: float = 0.0) -> WhiteningResult:
    """Whiten the rows of ``X``: centre them and map their covariance to the identity.

    With the SVD of the centred data :math:`X_c = U S V^T`, the covariance is
    :math:`C = V D V^T`, :math:`D = S^2/(N-1)`. PCA whitening uses :math:`W = V D^{-1/2}`
    (coordinates along the principal directions, rescaled); ZCA whitening uses
    :math:`W = V D^{-1/2} V^T = C^{-1/2}`, the whitening map that stays closest to the data.
    Both give :math:`W^T C W = I`, so ``Z = X_c @ W`` has identity sample covariance.

    Parameters
    ----------
    X : array_like or torch.Tensor, shape (N, d)
        One sample per row, ``N >= 2``.
    method : {"zca", "pca"}
    eps : float, default 0
        Added to every variance before the inverse square root (:math:`D + \\varepsilon I`); a
        positive value regularizes directions of (near) zero variance. With ``eps = 0`` the
        covariance must be nonsingular.

    Returns
    -------
    WhiteningResult
        ``(Z (N, d), W (d, d), mean (d,))``; new data is whitened by ``(X_new - mean) @ W``.

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``eps < 0``, or the covariance is singular and ``eps = 0``.

    References
    ----------
    A. Kessy, A. Lewin and K. Strimmer, Optimal whitening and decorrelation, The American
    Statistician 72 (2018) 309-314.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(200, 2)) @ np.array([[2.0, 1.0], [0.0, 0.5]])
    >>> Z = whiten(X, "zca").Z
    >>> np.allclose(np.cov(Z, rowvar=False), np.eye(2))
    True
    """
    X = as_matrix(X, "X")
    N, d = X.shape
    if N < 2:
        raise ValueError(f"X needs at least 2 samples (rows), got shape {X.shape}")
    check_choice(method, "method", ("zca", "pca"))
    eps = check_real(eps, "eps", low=0.0)
    # Work with X / c, c = max |X| (entries of order 1), as LAPACK does: the variances of X are
    # c^2 v with v those of X / c, and (var + eps)^{-1/2} = r / c with r = 1 / hypot(sqrt(v),
    # sqrt(eps) / c). Nothing overflows or underflows where the whitened data exists.
    c = max_abs(X)
    if c == 0:
        c = 1.0
    Xs = X / c  # (N, d)
    mean_s = Xs.mean(axis=0)  # (d,)
    Xc = Xs - mean_s  # (N, d), the centred data over c
    _, s, Vt = np.linalg.svd(Xc, full_matrices=True)  # (min(N, d),), (d, d)
    v = np.zeros(d)
    v[: s.size] = s**2 / (N - 1)  # (d,) variances of X / c along the rows of Vt
    if eps == 0.0 and v.min() <= d * _EPS * v.max():
        raise ValueError(
            "X has a singular covariance (rank < d or N <= d): pass eps > 0 to regularize"
        )
    r = 1.0 / np.hypot(np.sqrt(v), np.sqrt(eps) / c)  # (d,)
    W = Vt.T * (r / c)  # (d, d) = V D^{-1/2}
    Z = (Xc @ Vt.T) * r  # (N, d) = X_c V D^{-1/2}, from the scaled data
    if method == "zca":
        W = W @ Vt
        Z = Z @ Vt
    return WhiteningResult(Z, W, mean_s * c)
