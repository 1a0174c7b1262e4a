"""Linear algebra built on the singular value decomposition.

Every function here rests on the factorization :math:`A = U \\Sigma V^T` of a real
:math:`m \\times n` matrix, with :math:`U, V` orthogonal and :math:`\\Sigma` diagonal with the
singular values :math:`\\sigma_1 \\ge \\sigma_2 \\ge \\dots \\ge 0`. The module holds what later
chapters reuse:

- :func:`svd_via_eig`: the SVD from the eigendecomposition of :math:`A^T A` (the textbook route,
  for teaching; production code calls LAPACK through :func:`numpy.linalg.svd`);
- :func:`numerical_rank`: the number of singular values above a tolerance;
- :func:`low_rank_approx`: the best rank-``k`` approximation (Eckart-Young);
- :func:`pca` and :func:`whiten`: principal components and whitening of a data matrix
  (the GANs chapter compares a linear autoencoder with :func:`pca`; the optimizers chapter
  whitens inputs);
- :func:`principal_angles`: angles between two column spaces;
- :func:`sherman_morrison` and :func:`woodbury`: low-rank updates of an inverse;
- :func:`spiked_wigner`, :func:`bbp_overlap`, :func:`bbp_top_eigenvalue`: a rank-one signal
  hidden in symmetric Gaussian noise and its Baik-Ben Arous-Peche (BBP) phase transition.

Inputs may be NumPy arrays, nested sequences or torch tensors; results are float64 NumPy arrays.
Bad input (a non-2-D matrix, NaN or infinite entries, ``k`` out of range, an update that makes
the matrix singular) raises :class:`ValueError` or :class:`TypeError` naming the argument.

Taught in: the SVD chapter (chapters/svd/svd.ipynb).

References
----------
G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., Johns Hopkins University Press,
2013. L. N. Trefethen and D. Bau, *Numerical Linear Algebra*, SIAM, 1997.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from coursekit._checks import as_array, as_matrix, check_choice, check_int, check_real, max_abs
from coursekit.runtime import as_generator

__all__ = [
    "svd_via_eig",
    "numerical_rank",
    "low_rank_approx",
    "PCAResult",
    "pca",
    "principal_angles",
    "WhiteningResult",
    "whiten",
    "sherman_morrison",
    "woodbury",
    "spiked_wigner",
    "bbp_overlap",
    "bbp_top_eigenvalue",
]

_EPS = np.finfo(np.float64).eps


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _as_vector(x, name: str, n: int) -> np.ndarray:
    arr = as_array(x, name)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()  # accept a column or row vector
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a vector of length {n}, got shape {arr.shape}")
    return arr


# --------------------------------------------------------------------------------------------
# the SVD and the rank
# --------------------------------------------------------------------------------------------


def svd_via_eig(A) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD of ``A`` from the eigendecomposition of its Gram matrix.

    With :math:`A^T A = V \\Lambda V^T` (eigenvalues sorted in decreasing order) the singular
    values are :math:`\\sigma_i = \\sqrt{\\lambda_i}`, the right singular vectors are the
    eigenvectors :math:`v_i`, and the left ones are :math:`u_i = A v_i / \\sigma_i` for
    :math:`\\sigma_i > 0`. Left vectors of (numerically) zero singular values are completed to an
    orthonormal set. When ``m < n`` the same is done on :math:`A^T` (the smaller Gram matrix).

    Forming :math:`A^T A` squares the condition number: a singular value is only resolved when
    it exceeds roughly :math:`\\sqrt{\\varepsilon}\\,\\sigma_1 \\approx 10^{-8}\\sigma_1`, and a
    zero singular value comes out of order :math:`\\sqrt{\\varepsilon}\\,\\sigma_1`, not 0. This
    is the method of the lesson; :func:`numpy.linalg.svd` (Golub-Kahan bidiagonalization) is
    accurate to :math:`\\varepsilon\\,\\sigma_1` and is what to use in practice.

    Parameters
    ----------
    A : array_like or torch.Tensor, shape (m, n)

    Returns
    -------
    U : ndarray, shape (m, p)
        Orthonormal columns, ``p = min(m, n)``.
    s : ndarray, shape (p,)
        Singular values in decreasing order.
    Vt : ndarray, shape (p, n)
        Orthonormal rows (the right singular vectors, transposed).

    Raises
    ------
    ValueError
        If ``A`` is not a non-empty 2-D array of finite numbers.

    References
    ----------
    Trefethen and Bau, *Numerical Linear Algebra*, SIAM 1997, Lectures 4-5 and 31.

    Examples
    --------
    >>> A = np.array([[3.0, 0.0], [0.0, 4.0], [0.0, 0.0]])
    >>> U, s, Vt = svd_via_eig(A)
    >>> s
    array([4., 3.])
    >>> np.allclose((U * s) @ Vt, A)
    True
    """
    A = as_matrix(A, "A")
    c = max_abs(A)
    if c == 0:  # the zero matrix: s = 0 and any orthonormal U, V
        m, n = A.shape
        p = min(m, n)
        return np.eye(m, p), np.zeros(p), np.eye(p, n)
    U, s, Vt = _svd_via_eig_scaled(A / c)  # entries of order 1: A^T A neither over- nor
    return U, s * c, Vt  # underflows (LAPACK scales the same way)


def _svd_via_eig_scaled(A: np.ndarray):
    m, n = A.shape
    if m < n:  # work with the n x n Gram matrix of the transpose, then swap roles
        V, s, Ut = _svd_via_eig_scaled(A.T)
        return Ut.T, s, V.T
    lam, V = np.linalg.eigh(A.T @ A)  # ascending eigenvalues, (n,), (n, n)
    lam, V = lam[::-1], V[:, ::-1]  # decreasing order
    s = np.sqrt(np.clip(lam, 0.0, None))  # (n,)
    # Columns whose singular value is lost in the rounding of A^T A get an arbitrary completion.
    resolved = s > np.sqrt(m * _EPS) * s[0] if s[0] > 0 else np.zeros(n, dtype=bool)
    r = int(resolved.sum())  # resolved values come first: s is sorted
    U = np.empty((m, n))
    U[:, :r] = (A @ V[:, :r]) / s[:r]
    if r < n:
        Q, _ = np.linalg.qr(U[:, :r] if r else np.zeros((m, 0)), mode="complete")  # (m, m)
        U[:, r:] = Q[:, r:n]
    return U, s, V.T


def numerical_rank(A, tol: float | None = None) -> int:
    """Number of singular values of ``A`` larger than ``tol``.

    In exact arithmetic the rank is the number of nonzero singular values. In floating point a
    zero singular value comes out as a tiny number (rounding), so a threshold is needed. The
    default :math:`\\text{tol} = \\max(m, n)\\,\\varepsilon\\,\\sigma_1` is the size of the
    rounding error of a backward-stable SVD (the same default as
    :func:`numpy.linalg.matrix_rank`).

    Parameters
    ----------
    A : array_like or torch.Tensor, shape (m, n)
    tol : float, optional
        Absolute threshold, ``tol >= 0``.

    Returns
    -------
    int

    References
    ----------
    Golub and Van Loan, *Matrix Computations*, 4th ed., section 5.4.1.

    Examples
    --------
    >>> numerical_rank(np.outer([1.0, 2.0, 3.0], [1.0, 1.0]))
    1
    """
    A = as_matrix(A, "A")
    if tol is not None:
        tol = check_real(tol, "tol", low=0.0)
    c = max_abs(A)
    if c == 0:
        return 0
    s = np.linalg.svd(A / c, compute_uv=False)  # of A / c: no overflow near 1.8e308
    tol = max(A.shape) * _EPS * s[0] if tol is None else tol / c  # in units of c
    return int(np.count_nonzero(s > tol))


def low_rank_approx(A, k: int) -> np.ndarray:
    """Best rank-``k`` approximation :math:`A_k = \\sum_{i \\le k} \\sigma_i u_i v_i^T`.

    By the Eckart-Young theorem :math:`A_k` minimizes :math:`\\|A - B\\|` over all matrices
    :math:`B` of rank at most ``k``, both in the spectral norm (error :math:`\\sigma_{k+1}`) and
    in the Frobenius norm (error :math:`(\\sum_{i>k} \\sigma_i^2)^{1/2}`).

    Parameters
    ----------
    A : array_like or torch.Tensor, shape (m, n)
    k : int
        ``0 <= k <= min(m, n)``; ``k = 0`` gives the zero matrix.

    Returns
    -------
    ndarray, shape (m, n)

    References
    ----------
    C. Eckart and G. Young, The approximation of one matrix by another of lower rank,
    Psychometrika 1 (1936) 211-218.

    Examples
    --------
    >>> A = np.diag([3.0, 2.0, 1.0])
    >>> low_rank_approx(A, 2)
    array([[3., 0., 0.],
           [0., 2., 0.],
           [0., 0., 0.]])
    """
    A = as_matrix(A, "A")
    k = check_int(k, "k", 0, min(A.shape))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)  # (m, p), (p,), (p, n)
    return (U[:, :k] * s[:k]) @ Vt[:k]


# --------------------------------------------------------------------------------------------
# data matrices: PCA, whitening, subspaces
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# low-rank updates of an inverse
# --------------------------------------------------------------------------------------------


def sherman_morrison(A_inv, u, v, *, rtol: float = 1e-10) -> np.ndarray:
    """Inverse of a rank-one update, :math:`(A + u v^T)^{-1}`, from :math:`A^{-1}`.

    .. math::

        (A + u v^T)^{-1} = A^{-1} - \\frac{A^{-1} u \\, v^T A^{-1}}{1 + v^T A^{-1} u}.

    Costs :math:`O(n^2)` instead of the :math:`O(n^3)` of a fresh inverse. The update exists if
    and only if :math:`1 + v^T A^{-1} u \\neq 0`.

    Parameters
    ----------
    A_inv : array_like or torch.Tensor, shape (n, n)
        The inverse of ``A`` (not ``A`` itself).
    u, v : array_like or torch.Tensor, shape (n,) (or (n, 1))
    rtol : float, default 1e-10
        The updated matrix is declared singular when
        :math:`|1 + v^T A^{-1} u| \\le \\text{rtol}\\,(1 + |v^T A^{-1} u|)`.

    Returns
    -------
    ndarray, shape (n, n)

    Raises
    ------
    ValueError
        On shape mismatch, non-finite input, or when :math:`A + u v^T` is (numerically)
        singular.

    References
    ----------
    J. Sherman and W. J. Morrison, Adjustment of an inverse matrix corresponding to a change in
    one element of a given matrix, Ann. Math. Statist. 21 (1950) 124-127.

    Examples
    --------
    >>> A = np.diag([2.0, 4.0]); u = np.array([1.0, 0.0]); v = np.array([0.0, 1.0])
    >>> np.allclose(sherman_morrison(np.linalg.inv(A), u, v), np.linalg.inv(A + np.outer(u, v)))
    True
    """
    A_inv = as_matrix(A_inv, "A_inv", square=True)
    n = A_inv.shape[0]
    u = _as_vector(u, "u", n)
    v = _as_vector(v, "v", n)
    rtol = check_real(rtol, "rtol", low=0.0)
    # Scaled to entries of order 1 (A_inv = a B, u = cu x, v = cv y): with k = a cu cv,
    # w = v^T A_inv u = k y^T B x and the correction is a B x y^T B / (1/k + y^T B x).
    a, cu, cv = max_abs(A_inv), max_abs(u), max_abs(v)
    if a == 0 or cu == 0 or cv == 0:
        return A_inv.copy()  # the update u v^T is zero or A_inv A_inv-terms vanish
    B, x, y = A_inv / a, u / cu, v / cv
    Bx, yB = B @ x, y @ B  # (n,), (n,)
    wt = float(y @ Bx)  # w / k
    inv_k = ((1.0 / a) / cu) / cv  # 1/k, 0 when k overflows
    denom = inv_k + wt  # (1 + w) / k
    if abs(denom) <= rtol * (inv_k + abs(wt)):
        one_plus_w = denom / inv_k if inv_k else denom  # back in the units of the input
        raise ValueError(
            f"1 + v^T A_inv u = {one_plus_w:.3g} is (numerically) zero: A + u v^T is singular"
        )
    return A_inv - np.outer(Bx * (a / denom), yB)


def woodbury(A_inv, U, C, V, *, rtol: float = 1e-10) -> np.ndarray:
    """Inverse of a rank-``k`` update, :math:`(A + U C V)^{-1}`, from :math:`A^{-1}`.

    .. math::

        (A + U C V)^{-1} = A^{-1} - A^{-1} U \\left(C^{-1} + V A^{-1} U\\right)^{-1} V A^{-1}.

    Computed in the equivalent form
    :math:`A^{-1} - A^{-1} U (I_k + C V A^{-1} U)^{-1} C V A^{-1}`, which needs no inverse of
    :math:`C` (so ``C`` may be singular). Only a ``k x k`` system is solved: :math:`O(n^2 k)`
    work instead of :math:`O(n^3)`. With ``k = 1`` and ``C = 1`` it is :func:`sherman_morrison`.

    Parameters
    ----------
    A_inv : array_like or torch.Tensor, shape (n, n)
    U : array_like or torch.Tensor, shape (n, k)
    C : array_like or torch.Tensor, shape (k, k)
    V : array_like or torch.Tensor, shape (k, n)
    rtol : float, default 1e-10
        :math:`A + UCV` is declared singular when the smallest singular value of the
        ``k x k`` matrix :math:`K = I_k + C V A^{-1} U` is at most
        :math:`\\text{rtol}\\,(1 + \\|C V A^{-1} U\\|_2)` (for ``k = 1`` the test of
        :func:`sherman_morrison`).

    Returns
    -------
    ndarray, shape (n, n)

    Raises
    ------
    ValueError
        On inconsistent shapes, non-finite input, or a (numerically) singular update.

    References
    ----------
    M. A. Woodbury, Inverting modified matrices, Memorandum Report 42, Statistical Research
    Group, Princeton University, 1950. W. W. Hager, Updating the inverse of a matrix, SIAM
    Review 31 (1989) 221-239.

    Examples
    --------
    >>> A = np.diag([2.0, 4.0, 5.0]); U = np.eye(3)[:, :2]; C = np.eye(2); V = np.ones((2, 3))
    >>> np.allclose(woodbury(np.linalg.inv(A), U, C, V), np.linalg.inv(A + U @ C @ V))
    True
    """
    A_inv = as_matrix(A_inv, "A_inv", square=True)
    U = as_matrix(U, "U")
    C = as_matrix(C, "C", square=True)
    V = as_matrix(V, "V")
    n, k = A_inv.shape[0], C.shape[0]
    if U.shape != (n, k):
        raise ValueError(f"U must have shape (n, k) = ({n}, {k}), got {U.shape}")
    if V.shape != (k, n):
        raise ValueError(f"V must have shape (k, n) = ({k}, {n}), got {V.shape}")
    rtol = check_real(rtol, "rtol", low=0.0)
    AU = A_inv @ U  # (n, k)
    CVA = C @ (V @ A_inv)  # (k, n)
    T = CVA @ U  # (k, k) = C V A^{-1} U
    K = np.eye(k) + T  # (k, k)
    s = np.linalg.svd(K, compute_uv=False)
    if s[-1] <= rtol * (1.0 + np.linalg.norm(T, 2)):
        raise ValueError(
            "I + C V A_inv U is (numerically) singular: the update A + U C V is not invertible"
        )
    return A_inv - AU @ np.linalg.solve(K, CVA)


# --------------------------------------------------------------------------------------------
# the spiked Wigner model and the BBP transition
# --------------------------------------------------------------------------------------------


def spiked_wigner(n: int, lam: float, rng=None, *, x=None) -> tuple[np.ndarray, np.ndarray]:
    """A sample of the spiked Wigner model :math:`A = \\lambda x x^T + W/\\sqrt{n}`.

    :math:`W` is drawn from the Gaussian orthogonal ensemble: symmetric, off-diagonal entries
    :math:`\\mathcal{N}(0, 1)`, diagonal entries :math:`\\mathcal{N}(0, 2)`, all independent up to
    symmetry. With the :math:`1/\\sqrt{n}` scaling the spectrum of :math:`W/\\sqrt{n}` fills
    :math:`[-2, 2]` (Wigner's semicircle) as :math:`n \\to \\infty`; with :math:`\\|x\\| = 1` the
    signal :math:`\\lambda x x^T` has norm :math:`\\lambda`, so signal and noise are of the same
    order and the BBP transition at :math:`\\lambda = 1` is visible.

    Parameters
    ----------
    n : int
        Dimension, ``n >= 2``.
    lam : float
        Signal strength :math:`\\lambda \\ge 0`.
    rng : numpy.random.Generator, int or None
        Source of randomness (an int is a seed; None means seed 0).
    x : array_like, shape (n,), optional
        The spike direction (normalized to unit length). By default it is drawn uniformly
        on the unit sphere.

    Returns
    -------
    A : ndarray, shape (n, n)
        The symmetric observation.
    x : ndarray, shape (n,)
        The unit-norm spike.

    References
    ----------
    D. Feral and S. Peche, The largest eigenvalue of rank one deformation of large Wigner
    matrices, Commun. Math. Phys. 272 (2007) 185-228.

    Examples
    --------
    >>> A, x = spiked_wigner(200, 3.0, rng=0)
    >>> A.shape, bool(np.allclose(A, A.T)), round(float(np.linalg.norm(x)), 12)
    ((200, 200), True, 1.0)
    """
    n = check_int(n, "n", 2, 10**6)
    lam = check_real(lam, "lam", low=0.0)
    rng = as_generator(rng)
    if x is None:
        x = rng.standard_normal(n)  # (n,)
    else:
        x = _as_vector(x, "x", n)
    norm = np.linalg.norm(x)
    if norm == 0:
        raise ValueError("x must be a nonzero vector")
    x = x / norm
    G = rng.standard_normal((n, n))
    W = (G + G.T) / np.sqrt(2.0)  # GOE: off-diagonal variance 1, diagonal variance 2
    return lam * np.outer(x, x) + W / np.sqrt(n), x


def _lam_array(lam) -> np.ndarray:
    arr = as_array(lam, "lam")
    if np.any(arr < 0):
        raise ValueError("lam must be >= 0")
    return arr


def bbp_overlap(lam):
    """Limit of the squared overlap :math:`\\langle v_1, x \\rangle^2` in the spiked Wigner model.

    For :math:`A = \\lambda x x^T + W/\\sqrt{n}` and :math:`n \\to \\infty`, the top eigenvector
    :math:`v_1` of :math:`A` satisfies

    .. math::

        \\langle v_1, x \\rangle^2 \\to \\begin{cases} 1 - 1/\\lambda^2, & \\lambda > 1, \\\\
        0, & \\lambda \\le 1. \\end{cases}

    Parameters
    ----------
    lam : float or array_like, ``lam >= 0``

    Returns
    -------
    float or ndarray (same shape as ``lam``)

    References
    ----------
    F. Benaych-Georges and R. R. Nadakuditi, The eigenvalues and eigenvectors of finite, low
    rank perturbations of large random matrices, Adv. Math. 227 (2011) 494-521.

    Examples
    --------
    >>> bbp_overlap(0.5), bbp_overlap(2.0)
    (0.0, 0.75)
    """
    arr = _lam_array(lam)
    safe = np.where(arr > 1, arr, 2.0)  # avoid dividing by zero where the branch is unused
    out = np.where(arr > 1, 1.0 - 1.0 / safe**2, 0.0)
    return float(out) if out.ndim == 0 else out


def bbp_top_eigenvalue(lam):
    """Limit of the largest eigenvalue of the spiked Wigner model.

    .. math::

        \\lambda_{\\max}(A) \\to \\begin{cases} \\lambda + 1/\\lambda, & \\lambda > 1, \\\\
        2, & \\lambda \\le 1 \\text{ (the edge of the semicircle)}. \\end{cases}

    Parameters
    ----------
    lam : float or array_like, ``lam >= 0``

    Returns
    -------
    float or ndarray (same shape as ``lam``)

    References
    ----------
    J. Baik, G. Ben Arous and S. Peche, Ann. Probab. 33 (2005) 1643-1697 (the transition, for
    sample covariance matrices); D. Feral and S. Peche, Commun. Math. Phys. 272 (2007) 185-228
    (Wigner matrices).

    Examples
    --------
    >>> bbp_top_eigenvalue(0.5), bbp_top_eigenvalue(2.0)
    (2.0, 2.5)
    """
    arr = _lam_array(lam)
    safe = np.where(arr > 1, arr, 2.0)
    out = np.where(arr > 1, safe + 1.0 / safe, 2.0)
    return float(out) if out.ndim == 0 else out
