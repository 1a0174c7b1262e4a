"""The SVD and the rank: the SVD through the eigendecomposition of :math:`A^T A`, the numerical
rank and the best rank-``k`` approximation (Eckart-Young).

Taught in: the SVD chapter (chapters/svd/svd.ipynb).
"""

from __future__ import annotations

import numpy as np

from coursekit._checks import as_matrix, check_int, check_real, max_abs

__all__ = [
    "svd_via_eig",
    "numerical_rank",
    "low_rank_approx",
]


_EPS = np.finfo(np.float64).eps




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
