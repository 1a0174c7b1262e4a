"""Data: synthetic 2-D distributions, scikit-learn's 8x8 digits and a real MNIST (IDX) loader.

Synthetic sets return a ``torch.Tensor`` of shape ``(n, 2)`` and dtype float32 and draw from a
NumPy generator (``rng``: a ``Generator``, an int seed, or None for ``default_rng(0)``), so the
same call gives the same points. Image sets come as an :class:`ImageDataset` with tensors of
shape ``(N, 1, H, W)`` in ``[0, 1]``. Nothing here touches the network: MNIST is read from files
the reader put on disk, and when they are missing :func:`load_digits_dataset` falls back to the
8x8 digits that ship with scikit-learn.

Taught in: used by every chapter; the synthetic sets appear first in the GANs, flows and
diffusion chapters, the digits in the backprop and CNN chapters.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = [
    "as_generator",
    "make_moons",
    "make_ring_mixture",
    "make_grid_mixture",
    "make_swiss_roll",
    "make_checkerboard",
    "GaussianMixture2D",
    "ring_mixture_params",
    "grid_mixture_params",
    "SYNTHETIC_2D",
    "sample_2d",
    "ImageDataset",
    "stratified_split",
    "load_digits",
    "read_idx",
    "load_mnist",
    "load_digits_dataset",
    "DATA_ENV",
    "MNIST_FILES",
    "MNIST_SHA256",
]

DATA_ENV = "COURSEKIT_DATA"
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
# SHA-256 of the original gzipped files (the same bytes on every public mirror).
MNIST_SHA256 = MappingProxyType({
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",  # noqa: E501
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",  # noqa: E501
})
_MNIST_SOURCES = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/ or "
    "https://ossci-datasets.s3.amazonaws.com/mnist/ (mirrors of http://yann.lecun.com/exdb/mnist/)"
)
_HOME_MNIST = "~/.cache/coursekit/mnist"
_DEFAULT_HINT = f"${DATA_ENV}/mnist or {_HOME_MNIST}"
# IDX type code -> big-endian NumPy dtype (LeCun's format description).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# ----------------------------------------------------------------------------- argument checks
def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        what = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {value}")
    return int(value)


def _check_real(value, name: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        what = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be a {what} finite number, got {value}")
    return value


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Turn ``rng`` into a NumPy generator: None -> ``default_rng(0)``, int -> ``default_rng(int)``.

    A ``Generator`` is returned as is (so successive calls draw fresh numbers from it); None is
    seeded with 0 so that results are reproducible by default.

    Raises
    ------
    TypeError
        If ``rng`` is not None, an int or a ``numpy.random.Generator``.
    ValueError
        If ``rng`` is a negative int.
    """
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise TypeError(
            f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
        )
    if rng < 0:
        raise ValueError(f"rng must be a non-negative int seed, got {rng}")
    return np.random.default_rng(int(rng))


def _as_points(x, name: str = "x") -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{name} must have shape (n, 2), got {tuple(x.shape)}")
    return x if x.is_floating_point() else x.float()


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
    """

    means: np.ndarray
    std: float
    weights: np.ndarray | None = field(default=None)

    def __post_init__(self):
        means = np.array(self.means, dtype=np.float64)
        if means.ndim != 2 or means.shape[1] != 2 or len(means) == 0:
            raise ValueError(f"means must have shape (k, 2) with k >= 1, got {means.shape}")
        if not np.isfinite(means).all():
            raise ValueError("means must be finite")
        k = len(means)
        w = np.full(k, 1.0 / k) if self.weights is None else np.array(self.weights, np.float64)
        if w.shape != (k,) or not np.isfinite(w).all() or (w < 0).any():
            raise ValueError(f"weights must be {k} non-negative finite numbers, got {w!r}")
        if abs(w.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, got sum {w.sum()}")
        w = w / w.sum()
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "std", _check_real(self.std, "std", positive=True))

    @classmethod
    def ring(cls, n_modes: int = 8, radius: float = 2.0, std: float = 0.05):
        r"""Equal weights, means :math:`\mu_k = r(\cos 2\pi k/K, \sin 2\pi k/K)`, k = 0..K-1."""
        n_modes = _check_int(n_modes, "n_modes", 1)
        radius = _check_real(radius, "radius")
        angle = 2 * np.pi * np.arange(n_modes) / n_modes
        return cls(radius * np.stack([np.cos(angle), np.sin(angle)], axis=1), std)

    @classmethod
    def grid(cls, side: int = 5, spacing: float = 1.0, std: float = 0.05):
        """Equal weights, means on a ``side x side`` grid with step ``spacing``, centred at 0.

        Mode ``k = i * side + j`` sits at ``((i - (side-1)/2) * spacing, (j - (side-1)/2) *
        spacing)``.
        """
        side = _check_int(side, "side", 1)
        spacing = _check_real(spacing, "spacing")
        c = (np.arange(side) - (side - 1) / 2) * spacing
        gx, gy = np.meshgrid(c, c, indexing="ij")
        return cls(np.stack([gx.ravel(), gy.ravel()], axis=1), std)

    def sample(self, n: int, rng=None, return_labels: bool = False):
        """Draw ``n`` points: a component ``z ~ Categorical(w)``, then ``x = mu_z + std * eps``.

        Returns ``x`` of shape (n, 2) float32, and with ``return_labels`` also ``z`` (n,) int64.
        """
        n, gen = _check_int(n, "n", 1), as_generator(rng)
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


ring_mixture_params = GaussianMixture2D.ring
grid_mixture_params = GaussianMixture2D.grid


# ----------------------------------------------------------------------------- synthetic 2-D sets
def make_ring_mixture(n, n_modes=8, radius=2.0, std=0.05, rng=None, return_labels=False):
    """``n`` points of :meth:`GaussianMixture2D.ring` (K equal Gaussians on a circle), (n, 2)."""
    return GaussianMixture2D.ring(n_modes, radius, std).sample(n, rng, return_labels)


def make_grid_mixture(n, side=5, spacing=1.0, std=0.05, rng=None, return_labels=False):
    """``n`` points of :meth:`GaussianMixture2D.grid` (side x side Gaussians), shape (n, 2)."""
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
    """
    n, noise, gen = _check_int(n, "n", 1), _check_real(noise, "noise"), as_generator(rng)
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
    """
    n, noise, gen = _check_int(n, "n", 1), _check_real(noise, "noise"), as_generator(rng)
    t = 1.5 * np.pi * (1 + 2 * gen.random(n))
    x = (2 / (4.5 * np.pi)) * np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
    return torch.from_numpy((x + noise * gen.standard_normal((n, 2))).astype(np.float32))


def make_checkerboard(n: int, rng=None, squares: int = 4) -> torch.Tensor:
    """Uniform on the dark squares of a ``squares x squares`` checkerboard on [-2, 2]^2.

    Square ``(i, j)`` (column i, row j, counted from the lower-left corner, side ``h = 4 /
    squares``) covers ``[-2 + i h, -2 + (i+1) h) x [-2 + j h, -2 + (j+1) h)`` and is dark when
    ``i + j`` is even. Returns shape (n, 2) float32.
    """
    n, squares, gen = _check_int(n, "n", 1), _check_int(squares, "squares", 1), as_generator(rng)
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
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in SYNTHETIC_2D:
        raise ValueError(f"name must be one of {', '.join(SYNTHETIC_2D)}, got {name!r}")
    return SYNTHETIC_2D[name](n, rng=rng, **kwargs)


# ----------------------------------------------------------------------------- image data sets
@dataclass(frozen=True, eq=False, repr=False)
class ImageDataset:
    """A labelled image set: ``x_*`` of shape (N, 1, H, W) float32 in [0, 1], ``y_*`` (N,) int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str
    n_classes: int = 10

    def __post_init__(self):
        _check_int(self.n_classes, "n_classes", 1)
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not (isinstance(x, torch.Tensor) and x.dtype == torch.float32 and x.ndim == 4):
                raise TypeError(f"x_{split} must be a float32 tensor of shape (N, 1, H, W)")
            if x.shape[1] != 1 or x.shape[2:] != self.x_train.shape[2:]:
                raise ValueError(f"x_{split} must have shape (N, 1, H, W), got {tuple(x.shape)}")
            if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.shape != (len(x),):
                raise ValueError(f"y_{split} must be an int64 tensor of shape ({len(x)},)")
            if len(x) and (x.min() < 0 or x.max() > 1):
                raise ValueError(f"x_{split} must lie in [0, 1]")
            if len(y) and (y.min() < 0 or y.max() >= self.n_classes):
                raise ValueError(f"y_{split} must lie in 0..{self.n_classes - 1}")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(1, H, W)``."""
        return tuple(self.x_train.shape[1:])

    def __repr__(self) -> str:
        return (f"ImageDataset(name={self.name!r}, train={len(self.x_train)}, "
                f"test={len(self.x_test)}, image_shape={self.image_shape})")

    def loaders(self, batch_size: int = 128, shuffle_seed: int = 0):
        """``(train_loader, test_loader)``; train is reshuffled each epoch by a seeded generator."""
        batch_size = _check_int(batch_size, "batch_size", 1)
        gen = torch.Generator().manual_seed(_check_int(shuffle_seed, "shuffle_seed", 0))
        train = DataLoader(TensorDataset(self.x_train, self.y_train), batch_size=batch_size,
                           shuffle=True, generator=gen)
        test = DataLoader(TensorDataset(self.x_test, self.y_test), batch_size=batch_size)
        return train, test


def stratified_split(y, test_fraction: float = 0.25, seed: int = 0):
    """Split indices ``0..N-1`` into train and test with the class proportions of ``y`` kept.

    The test set has ``ceil(test_fraction * N)`` indices; class c gets ``floor(f n_c)`` or
    ``ceil(f n_c)`` of them (largest-remainder rounding, ties broken by ``seed``), chosen
    uniformly at random within the class. Returns ``(train_idx, test_idx)``, sorted int64 arrays.
    """
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    f = _check_real(test_fraction, "test_fraction")
    if not 0 < f < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    gen = np.random.default_rng(_check_int(seed, "seed", 0))
    classes, counts = np.unique(y, return_counts=True)
    target = f * counts
    n_test = np.floor(target).astype(np.int64)
    extra = math.ceil(f * len(y) - 1e-9) - int(n_test.sum())
    order = gen.permutation(len(classes))
    order = order[np.argsort(-(target - n_test)[order], kind="stable")]
    n_test[order[:extra]] += 1
    if (n_test == 0).any() or (n_test == counts).any():
        raise ValueError(f"test_fraction={f} leaves a class with no train or no test sample")
    pairs = zip(classes, n_test, strict=True)
    test = [gen.permutation(np.flatnonzero(y == c))[:k] for c, k in pairs]
    test_idx = np.sort(np.concatenate(test)).astype(np.int64)
    return np.setdiff1d(np.arange(len(y)), test_idx).astype(np.int64), test_idx


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> ImageDataset:
    """scikit-learn's 8x8 digits (1797 images, 0..16 scaled to [0, 1]) in a stratified split.

    The split is :func:`stratified_split` (same ``seed`` -> same split); the images come from
    ``sklearn.datasets.load_digits``, which ships with scikit-learn (no download). Returns an
    :class:`ImageDataset` named ``"digits-8x8"`` with ``x_*`` of shape (N, 1, 8, 8).

    References
    ----------
    UCI "Optical Recognition of Handwritten Digits" data set (Alpaydin and Kaynak, 1998).
    """
    from sklearn.datasets import load_digits as _sk_load_digits  # lazy: sklearn is slow to import

    bunch = _sk_load_digits()
    train_idx, test_idx = stratified_split(bunch.target, test_fraction, seed)
    x = torch.from_numpy((bunch.images / 16.0).astype(np.float32)[:, None])  # (1797, 1, 8, 8)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    tr, te = torch.from_numpy(train_idx), torch.from_numpy(test_idx)
    return ImageDataset(x[tr], y[tr], x[te], y[te], name="digits-8x8")


def read_idx(path) -> np.ndarray:
    """Read an IDX file (plain or gzipped) into a NumPy array of its type and shape.

    IDX: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D
    float32, 0x0E float64), the number of dimensions d, then d big-endian uint32 sizes, then the
    data in big-endian C order. Gzip is recognised by its magic bytes, not the file name.

    Raises
    ------
    ValueError
        Naming the file, if the header is malformed or the data size does not match it.

    References
    ----------
    Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database", http://yann.lecun.com/exdb/mnist/
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path).expanduser()
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ValueError(f"{path.name}: corrupt or truncated gzip data ({err})") from None
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path.name}: not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path.name}: truncated IDX header ({ndim} dimensions)")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path.name}: header says shape {shape} ({expected} bytes of data) "
                         f"but the file holds {len(raw) - header} bytes after the header")
    data = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _mnist_dirs(root, environ: Mapping[str, str]) -> list[tuple[str, Path]]:
    """The directories to search, each as (text as the user wrote it, path)."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root must be a str, os.PathLike or None, got {type(root).__name__}")
        return [(os.fspath(root), Path(root).expanduser())]
    dirs = []
    if environ.get(DATA_ENV, "").strip():
        base = Path(environ[DATA_ENV].strip()).expanduser()
        dirs = [(f"${DATA_ENV}/mnist", base / "mnist"), (f"${DATA_ENV}", base)]
    return dirs + [(_HOME_MNIST, Path(_HOME_MNIST).expanduser())]


def load_mnist(root=None, verify: bool = True, environ: Mapping[str, str] | None = None):
    """Read MNIST from its four IDX files into an :class:`ImageDataset` named ``"mnist"``.

    The files (``train-images-idx3-ubyte`` etc., each plain or ``.gz``) are looked for in
    ``root`` when given; otherwise in ``$COURSEKIT_DATA/mnist`` and ``$COURSEKIT_DATA`` when that
    variable is set, then in ``~/.cache/coursekit/mnist``. The first directory holding all four
    is used. Images become (N, 1, 28, 28) float32 in [0, 1] (pixel / 255).

    Parameters
    ----------
    root : str or os.PathLike, optional
    verify : bool, default True
        Check the SHA-256 of each gzipped file against ``MNIST_SHA256`` (plain files have no
        recorded digest and are checked by shape only) and the shapes 60000/10000 x 28 x 28.
        With ``verify=False`` only consistency is checked (images (N, H, W) uint8, N labels in
        0..9), so that small test files load.
    environ : mapping, optional
        Where to read ``COURSEKIT_DATA`` (defaults to ``os.environ``).

    Raises
    ------
    FileNotFoundError
        Naming the missing files, the directories searched and where to download the files.
    ValueError
        If a file is corrupt, fails verification or is inconsistent with the others.
    """
    environ = os.environ if environ is None else environ
    if not isinstance(verify, bool):
        raise TypeError(f"verify must be a bool, got {type(verify).__name__}")
    dirs, missing = _mnist_dirs(root, environ), list(MNIST_FILES)
    for _, d in dirs:
        found = {f: next((d / g for g in (f + ".gz", f) if (d / g).is_file()), None)
                 for f in MNIST_FILES}
        absent = [f for f, p in found.items() if p is None]
        if not absent:
            break
        missing = min(missing, absent, key=len)
    else:
        searched = " or ".join(text for text, _ in dirs)
        raise FileNotFoundError(
            f"MNIST files not found: {', '.join(missing)} (plain or .gz) missing in {searched}. "
            f"Download {', '.join(f + '.gz' for f in MNIST_FILES)} from {_MNIST_SOURCES} and put "
            f"them in {searched}, or pass root=<directory>.")
    arrays = {}
    for f, p in found.items():
        if verify and p.suffix == ".gz":
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            if digest != MNIST_SHA256[p.name]:
                raise ValueError(f"{p.name}: SHA-256 {digest} differs from the original MNIST "
                                 f"file's {MNIST_SHA256[p.name]} (pass verify=False to skip)")
        arrays[f] = read_idx(p)
    splits = []
    for prefix, n_expected in (("train", 60000), ("t10k", 10000)):
        images = arrays[f"{prefix}-images-idx3-ubyte"]
        labels = arrays[f"{prefix}-labels-idx1-ubyte"]
        if images.dtype != np.uint8 or images.ndim != 3 or labels.dtype != np.uint8 \
                or labels.ndim != 1:
            raise ValueError(f"{prefix}-images/labels must be uint8 (N, H, W) and (N,), got "
                             f"{images.dtype} {images.shape} and {labels.shape}")
        if len(images) != len(labels) or (len(labels) and labels.max() > 9):
            raise ValueError(f"{prefix}-labels-idx1-ubyte must hold one label in 0..9 per image")
        if verify and images.shape != (n_expected, 28, 28):
            raise ValueError(f"{prefix}-images-idx3-ubyte: expected shape ({n_expected}, 28, 28), "
                             f"got {images.shape} (pass verify=False for other sizes)")
        splits += [torch.from_numpy(images[:, None].astype(np.float32) / 255.0),
                   torch.from_numpy(labels.astype(np.int64))]
    return ImageDataset(*splits, name="mnist")


def load_digits_dataset(prefer: str = "mnist", root=None, verify: bool = True,
                        verbose: bool = True, environ: Mapping[str, str] | None = None):
    """MNIST when its files are found (see :func:`load_mnist`), else the 8x8 digits.

    ``prefer="digits"`` forces the 8x8 digits. Only *missing* files cause the fallback: files
    that are found but fail verification raise. With ``verbose`` one stable line (no absolute
    path, no timing; notebooks store it) says which set is used, e.g. ``Using the 8x8 digits
    (1347 train / 450 test): MNIST files not found (put them in $COURSEKIT_DATA/mnist or
    ~/.cache/coursekit/mnist).`` The returned dataset's ``.name`` says it too.
    """
    if prefer not in ("mnist", "digits"):
        raise ValueError(f"prefer must be 'mnist' or 'digits', got {prefer!r}")
    reason = "asked for with prefer='digits'"
    if prefer == "mnist":
        try:
            ds = load_mnist(root=root, verify=verify, environ=environ)
        except FileNotFoundError:
            hint = _DEFAULT_HINT if root is None else os.fspath(root)
            reason = f"MNIST files not found (put them in {hint})"
        else:
            if verbose:
                print(f"Using MNIST ({len(ds.x_train)} train / {len(ds.x_test)} test).")
            return ds
    ds = load_digits()
    if verbose:
        print(f"Using the 8x8 digits ({len(ds.x_train)} train / {len(ds.x_test)} test): {reason}.")
    return ds
