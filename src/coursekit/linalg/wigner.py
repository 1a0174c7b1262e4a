"""A rank-one signal in symmetric Gaussian noise: the spiked Wigner model and its
Baik-Ben Arous-Peche (BBP) phase transition.

Taught in: the SVD chapter (chapters/svd/svd.ipynb).
"""

from __future__ import annotations

import numpy as np

from coursekit._checks import as_array, check_int, check_real
from coursekit.linalg.updates import _as_vector
from coursekit.runtime import as_generator

__all__ = [
    "spiked_wigner",
    "bbp_overlap",
    "bbp_top_eigenvalue",
]


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
