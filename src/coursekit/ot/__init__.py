r"""Optimal transport: entropic (Sinkhorn), exact (linear programming) and one-dimensional.

Cost convention: :math:`\mathrm{OT}_\varepsilon(a, b) = \min_{P \in \Pi(a, b)} \langle P, C
\rangle + \varepsilon\,\mathrm{KL}(P \,|\, a \otimes b)` over the couplings of ``a`` and ``b``;
for point clouds :math:`C_{ij} = |x_i - y_j|^p` (``p = 2``: :math:`\mathrm{OT}_0 = W_2^2`).
Inputs are torch tensors (NumPy arrays accepted); results live on the device and in the dtype
(float32 or float64) of the cost.

==========================  ====================================================================
name                        what
==========================  ====================================================================
:func:`sinkhorn`            log-domain Sinkhorn with ε-scaling; batched; envelope gradients
:func:`sinkhorn_divergence` :math:`S_\varepsilon = \mathrm{OT}_\varepsilon(\alpha, \beta) -
                            \frac12 \mathrm{OT}_\varepsilon(\alpha, \alpha) - \frac12
                            \mathrm{OT}_\varepsilon(\beta, \beta)` between point clouds
:func:`exact`               exact OT by SciPy (assignment or HiGHS LP), plan and potentials
:func:`wasserstein_1d`      :math:`W_p` on the line by sorting (quantile functions)
:func:`marginal_error`      :math:`\|P\mathbf 1 - a\|_1 + \|P^\top \mathbf 1 - b\|_1` in float64
==========================  ====================================================================

Taught in: the optimal transport chapter (chapters/optimal_transport/optimal_transport.ipynb);
the GAN and diffusion chapters reuse it.

References
----------
G. Peyré and M. Cuturi, Computational optimal transport, Found. Trends Mach. Learn. 11 (2019).
M. Cuturi, Sinkhorn distances: lightspeed computation of optimal transport, NeurIPS 2013.
"""

from coursekit.ot.divergence import sinkhorn_divergence
from coursekit.ot.exact import ExactResult, exact
from coursekit.ot.sinkhorn import SinkhornResult, marginal_error, sinkhorn
from coursekit.ot.wasserstein import wasserstein_1d

__all__ = [
    "SinkhornResult",
    "sinkhorn",
    "marginal_error",
    "sinkhorn_divergence",
    "ExactResult",
    "exact",
    "wasserstein_1d",
]
