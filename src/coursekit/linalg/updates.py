"""Low-rank updates of an inverse: the Sherman-Morrison and Woodbury identities.

Taught in: the SVD chapter (chapters/svd/svd.ipynb); the MLE chapter uses Woodbury for ridge
regression with more features than samples.
"""

from __future__ import annotations

import numpy as np

from coursekit._checks import as_array, as_matrix, check_real, max_abs

__all__ = [
    "sherman_morrison",
    "woodbury",
]


def _as_vector(x, name: str, n: int) -> np.ndarray:
    arr = as_array(x, name)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()  # accept a column or row vector
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a vector of length {n}, got shape {arr.shape}")
    return arr




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
