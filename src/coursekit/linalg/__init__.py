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

The submodules hold one idea each: :mod:`~coursekit.linalg.decomposition`,
:mod:`~coursekit.linalg.subspaces`, :mod:`~coursekit.linalg.updates` and
:mod:`~coursekit.linalg.wigner`; their public names are re-exported here, so
``coursekit.linalg.pca`` works. Inputs may be NumPy arrays, nested sequences or torch tensors;
results are float64 NumPy arrays.
Bad input (a non-2-D matrix, NaN or infinite entries, ``k`` out of range, an update that makes
the matrix singular) raises :class:`ValueError` or :class:`TypeError` naming the argument.

Taught in: the SVD chapter (chapters/svd/svd.ipynb).

References
----------
G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., Johns Hopkins University Press,
2013. L. N. Trefethen and D. Bau, *Numerical Linear Algebra*, SIAM, 1997.
"""

from __future__ import annotations

from coursekit.linalg import decomposition, subspaces, updates, wigner
from coursekit.linalg.decomposition import *  # noqa: F403
from coursekit.linalg.subspaces import *  # noqa: F403
from coursekit.linalg.updates import *  # noqa: F403
from coursekit.linalg.wigner import *  # noqa: F403

__all__ = [*decomposition.__all__, *subspaces.__all__, *updates.__all__, *wigner.__all__]
