r"""Synthetic 2-D distributions: the data sets of the GANs, flows and diffusion chapters.

Every set returns a ``torch.Tensor`` of shape ``(n, 2)`` and dtype float32 and draws from a NumPy
generator: ``rng`` is a ``Generator``, an int seed, or None for seed 0
(:func:`coursekit.runtime.as_generator`), so the same call gives the same points. The Gaussian
mixtures also have an exact density and score (:class:`GaussianMixture2D`), the oracle that the
generative chapters check their models against.

Taught in: the GANs chapter (ring and grid mixtures, mode collapse), the flows chapter (moons,
swiss roll, checkerboard) and the diffusion chapter (the exact score of a Gaussian mixture).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import torch

from coursekit._checks import as_array, check_bool, check_int, check_real
from coursekit.runtime import as_generator

__all__ = [
    "GaussianMixture2D",
    "make_moons",
    "make_ring_mixture",
    "make_grid_mixture",
    "make_swiss_roll",
    "make_checkerboard",
    "SYNTHETIC_2D",
    "sample_2d",
]


def _as_points(x, name: str = "x") -> torch.Tensor:
    """``x`` as a finite floating tensor of shape (n, 2), n >= 1 (the dtype of x is kept)."""
    if isinstance(x, torch.Tensor):
        t = x  # not detached: log_prob and score stay differentiable in x
        if t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
        t = t if t.is_floating_point() else t.float()
    else:
        t = torch.from_numpy(as_array(x, name, finite=False))
    if t.ndim != 2 or t.shape[1] != 2 or t.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, 2) with n >= 1, got {tuple(t.shape)}")
    if not bool(torch.isfinite(t.detach()).all()):
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return t


# ----------------------------------------------------------------------------- Gaussian mixtures
@dataclass(frozen=True, eq=False)
class GaussianMixture2D:
    r"""Isotropic Gaussian mixture in the plane, with an exact density and score.

    .. math::
        p(x) = \sum_{k=1}^{K} w_k\, \mathcal N(x;\, \mu_k, \sigma^2 I_2), \qquad
        \nabla_x \log p(x) = \sum_k r_k(x)\, \frac{\mu_k - x}{\sigma^2},
        \quad r_k(x) = \frac{w_k \mathcal N(x; \mu_k, \sigma^2 I)}{p(x)}.

    Parameters
    ----------
    means : array_like, shape (K, 2)
    std : float
        The common standard deviation :math:`\sigma > 0`.
    weights : array_like, shape (K,), optional
        Non-negative, summing to 1 (to within 1e-6); uniform when omitted.

    The fields are stored as float64 NumPy arrays (copies of the input); treat them as read-only.

    Examples
    --------
    >>> gm = GaussianMixture2D.ring(n_modes=4, radius=2.0, std=0.1)
    >>> x = gm.sample(1000, rng=0)
    >>> tuple(x.shape), tuple(gm.log_prob(x).shape), tuple(gm.score(x).shape)
    ((1000, 2), (1000,), (1000, 2))
    """

    means: np.ndarray
    std: float
    weights: np.ndarray | None = field(default=None)

    def __post_init__(self):
        means = np.array(as_array(self.means, "means", ndim=2), dtype=np.float64)  # a copy
        if means.shape[1] != 2 or len(means) == 0:
            raise ValueError(f"means must have shape (k, 2) with k >= 1, got {means.shape}")
        k = len(means)
        w = (np.full(k, 1.0 / k) if self.weights is None
             else np.array(as_array(self.weights, "weights", ndim=1), dtype=np.float64))
        if w.shape != (k,) or (w < 0).any():
            raise ValueError(f"weights must be {k} non-negative finite numbers, got {w!r}")
        if abs(w.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, got sum {w.sum()}")
        w = w / w.sum()
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "std", check_real(self.std, "std", positive=True))

    @classmethod
    def ring(cls, n_modes: int = 8, radius: float = 2.0, std: float = 0.05):
        r"""Equal weights, means :math:`\mu_k = r(\cos 2\pi k/K, \sin 2\pi k/K)`, k = 0..K-1."""
        n_modes = check_int(n_modes, "n_modes", low=1)
        radius = check_real(radius, "radius", low=0.0)
        angle = 2 * np.pi * np.arange(n_modes) / n_modes
        return cls(radius * np.stack([np.cos(angle), np.sin(angle)], axis=1), std)

    @classmethod
    def grid(cls, side: int = 5, spacing: float = 1.0, std: float = 0.05):
        """Equal weights, means on a ``side x side`` grid with step ``spacing``, centred at 0.

        Mode ``k = i * side + j`` sits at ``((i - (side-1)/2) * spacing, (j - (side-1)/2) *
        spacing)``.
        """
        side = check_int(side, "side", low=1)
        spacing = check_real(spacing, "spacing", low=0.0)
        c = (np.arange(side) - (side - 1) / 2) * spacing
        gx, gy = np.meshgrid(c, c, indexing="ij")
        return cls(np.stack([gx.ravel(), gy.ravel()], axis=1), std)

    def sample(self, n: int, rng=None, return_labels: bool = False):
        """Draw ``n`` points: a component ``z ~ Categorical(w)``, then ``x = mu_z + std * eps``.

        Returns ``x`` of shape (n, 2) float32, and with ``return_labels`` also ``z`` (n,) int64.
        """
        n, gen = check_int(n, "n", low=1), as_generator(rng)
        return_labels = check_bool(return_labels, "return_labels")
        z = gen.choice(len(self.means), size=n, p=self.weights)
        x = self.means[z] + self.std * gen.standard_normal((n, 2))
        x = torch.from_numpy(x.astype(np.float32))
        return (x, torch.from_numpy(z.astype(np.int64))) if return_labels else x

    def _logits(self, x: torch.Tensor):
        mu = torch.tensor(self.means, dtype=x.dtype, device=x.device)  # (K, 2)
        log_w = torch.log(torch.tensor(self.weights, dtype=x.dtype, device=x.device))
        diff = x[:, None, :] - mu[None, :, :]  # (n, K, 2)
        return log_w - (diff**2).sum(-1) / (2 * self.std**2), diff  # (n, K), (n, K, 2)

    def log_prob(self, x) -> torch.Tensor:
        """Exact ``log p(x)`` for ``x`` of shape (n, 2); returns shape (n,), in the dtype of x."""
        x = _as_points(x)
        logits, _ = self._logits(x)
        return torch.logsumexp(logits, dim=1) - math.log(2 * math.pi * self.std**2)

    def score(self, x) -> torch.Tensor:
        """Exact score ``grad_x log p(x)`` for ``x`` of shape (n, 2); returns shape (n, 2)."""
        x = _as_points(x)
        logits, diff = self._logits(x)
        resp = torch.softmax(logits, dim=1)  # (n, K), the posterior r_k(x)
        return -(resp[:, :, None] * diff).sum(1) / self.std**2


# ----------------------------------------------------------------------------- synthetic 2-D sets
def make_ring_mixture(n, n_modes=8, radius=2.0, std=0.05, rng=None, return_labels=False):
    """``n`` points of :meth:`GaussianMixture2D.ring` (K equal Gaussians on a circle), (n, 2).

    Examples
    --------
    >>> x = make_ring_mixture(500, n_modes=8, radius=2.0, std=0.01, rng=0)
    >>> bool(((x.norm(dim=1) - 2.0).abs() < 0.1).all())
    True
    """
    return GaussianMixture2D.ring(n_modes, radius, std).sample(n, rng, return_labels)


def make_grid_mixture(n, side=5, spacing=1.0, std=0.05, rng=None, return_labels=False):
    """``n`` points of :meth:`GaussianMixture2D.grid` (side x side Gaussians), shape (n, 2).

    Examples
    --------
    >>> x = make_grid_mixture(200, side=3, spacing=1.0, std=0.01, rng=0)
    >>> sorted({int(v) for v in x.round().flatten()})
    [-1, 0, 1]
    """
    return GaussianMixture2D.grid(side, spacing, std).sample(n, rng, return_labels)


def make_moons(n: int, noise: float = 0.05, rng=None, return_labels: bool = False):
    r"""Two interleaving half circles, centred at the origin, plus Gaussian noise.

    With :math:`t \sim U[0, \pi]`, class 0 is :math:`(\cos t - \tfrac12, \sin t - \tfrac14)` (the
    upper moon) and class 1 its point reflection :math:`(\tfrac12 - \cos t, \tfrac14 - \sin t)`;
    then :math:`\mathcal N(0, \text{noise}^2 I)` is added. This is scikit-learn's ``make_moons``
    shifted by ``(-1/2, -1/4)``. There are ``n // 2`` points of class 0 and ``n - n // 2`` of
    class 1, in random order.

    Returns
    -------
    x : torch.Tensor, shape (n, 2), float32
    y : torch.Tensor, shape (n,), int64 in {0, 1}
        Only with ``return_labels=True``.

    Examples
    --------
    >>> x, y = make_moons(100, noise=0.0, rng=0, return_labels=True)
    >>> tuple(x.shape), int(y.sum())
    ((100, 2), 50)
    """
    n, noise, gen = check_int(n, "n", low=1), check_real(noise, "noise", low=0.0), as_generator(rng)
    return_labels = check_bool(return_labels, "return_labels")
    y = gen.permutation(np.repeat([0, 1], [n // 2, n - n // 2]))
    t = gen.uniform(0.0, np.pi, n)
    x = np.stack([np.cos(t) - 0.5, np.sin(t) - 0.25], axis=1) * np.where(y == 1, -1, 1)[:, None]
    x = torch.from_numpy((x + noise * gen.standard_normal((n, 2))).astype(np.float32))
    return (x, torch.from_numpy(y.astype(np.int64))) if return_labels else x


def make_swiss_roll(n: int, noise: float = 0.05, rng=None) -> torch.Tensor:
    r"""A 2-D swiss roll (spiral), shape (n, 2) float32, in :math:`[-2, 2]^2` before noise.

    With :math:`t = \tfrac{3\pi}{2}(1 + 2u)`, :math:`u \sim U[0, 1]`, the point is
    :math:`\tfrac{2}{4.5\pi}(t\cos t, t\sin t)` plus :math:`\mathcal N(0, \text{noise}^2 I)`: the
    (x, z) plane of scikit-learn's ``make_swiss_roll``, scaled so the radius runs over [2/3, 2].

    Examples
    --------
    >>> x = make_swiss_roll(1000, noise=0.0, rng=0)
    >>> bool((x.norm(dim=1) <= 2.0 + 1e-6).all() and (x.norm(dim=1) >= 2 / 3 - 1e-6).all())
    True
    """
    n, noise, gen = check_int(n, "n", low=1), check_real(noise, "noise", low=0.0), as_generator(rng)
    t = 1.5 * np.pi * (1 + 2 * gen.random(n))
    x = (2 / (4.5 * np.pi)) * np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    return torch.from_numpy((x + noise * gen.standard_normal((n, 2))).astype(np.float32))


def make_checkerboard(n: int, rng=None, squares: int = 4) -> torch.Tensor:
    """Uniform on the dark squares of a ``squares x squares`` checkerboard on [-2, 2]^2.

    Square ``(i, j)`` (column i, row j, counted from the lower-left corner, side ``h = 4 /
    squares``) covers ``[-2 + i h, -2 + (i+1) h) x [-2 + j h, -2 + (j+1) h)`` and is dark when
    ``i + j`` is even. Returns shape (n, 2) float32.

    Examples
    --------
    >>> x = make_checkerboard(1000, rng=0, squares=4)
    >>> cells = ((x + 2) // 1).long()  # (column, row) of each point's square
    >>> bool(((cells.sum(dim=1) % 2) == 0).all())
    True
    """
    n, squares = check_int(n, "n", low=1), check_int(squares, "squares", low=1)
    gen = as_generator(rng)
    i, j = np.divmod(np.arange(squares * squares), squares)
    dark = np.stack([i, j], axis=1)[(i + j) % 2 == 0]  # (n_dark, 2) square indices
    cell = dark[gen.integers(len(dark), size=n)]
    x = -2.0 + (cell + gen.random((n, 2))) * (4.0 / squares)
    return torch.from_numpy(x.astype(np.float32))


SYNTHETIC_2D: Mapping[str, Callable[..., torch.Tensor]] = MappingProxyType({
    "moons": make_moons,
    "ring": make_ring_mixture,
    "grid": make_grid_mixture,
    "swiss_roll": make_swiss_roll,
    "checkerboard": make_checkerboard,
})


def sample_2d(name: str, n: int, rng=None, **kwargs):
    """Draw ``n`` points of the synthetic set ``name`` (a key of ``SYNTHETIC_2D``), shape (n, 2).

    Extra keyword arguments go to that set's ``make_*`` function.

    Examples
    --------
    >>> sample_2d("moons", 10, rng=0).shape
    torch.Size([10, 2])
    >>> bool(torch.equal(sample_2d("ring", 5, rng=1), make_ring_mixture(5, rng=1)))
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in SYNTHETIC_2D:
        raise ValueError(f"name must be one of {', '.join(SYNTHETIC_2D)}, got {name!r}")
    return SYNTHETIC_2D[name](n, rng=rng, **kwargs)
