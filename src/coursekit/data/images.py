"""Image data sets: scikit-learn's 8x8 digits and a real MNIST (IDX) loader.

Image sets come as an :class:`ImageDataset` with tensors of shape ``(N, 1, H, W)`` in ``[0, 1]``.
Nothing here touches the network: MNIST is read from files the reader put on disk, and when they
are missing :func:`load_digits_dataset` falls back to the 8x8 digits that ship with scikit-learn.

Taught in: the backprop chapter (the 8x8 digits, :func:`load_digits`), the MLE chapter
(:func:`stratified_split`); the CNN chapter uses :func:`load_digits_dataset`.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from coursekit._checks import as_array, check_bool, check_choice, check_int, check_real
from coursekit.runtime import _rng_or_old_name, as_generator, torch_generator

__all__ = [
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


# ----------------------------------------------------------------------------- image data sets
@dataclass(frozen=True, eq=False, repr=False)
class ImageDataset:
    """A labelled image set: ``x_*`` of shape (N, 1, H, W) float32 in [0, 1], ``y_*`` (N,) int64.

    Examples
    --------
    >>> ds = load_digits()
    >>> ds.image_shape, ds.n_classes
    ((1, 8, 8), 10)
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str
    n_classes: int = 10

    def __post_init__(self):
        check_int(self.n_classes, "n_classes", low=1)
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

    def loaders(self, batch_size: int = 128, rng=None, *, shuffle_seed=None):
        """``(train_loader, test_loader)``; train is reshuffled each epoch by a seeded generator.

        ``rng`` (a NumPy Generator, an int seed or None for 0) seeds the shuffling through
        :func:`coursekit.runtime.torch_generator`; ``shuffle_seed`` is its older name.

        Examples
        --------
        >>> ds = load_digits()
        >>> train, test = ds.loaders(batch_size=64, rng=0)
        >>> next(iter(train))[0].shape
        torch.Size([64, 1, 8, 8])
        """
        batch_size = check_int(batch_size, "batch_size", low=1)
        gen = torch_generator(_rng_or_old_name(rng, shuffle_seed, "shuffle_seed"))
        train = DataLoader(TensorDataset(self.x_train, self.y_train), batch_size=batch_size,
                           shuffle=True, generator=gen)
        test = DataLoader(TensorDataset(self.x_test, self.y_test), batch_size=batch_size)
        return train, test


def stratified_split(y, test_fraction: float = 0.25, rng=None, *, seed=None):
    """Split indices ``0..N-1`` into train and test with the class proportions of ``y`` kept.

    The test set has ``ceil(test_fraction * N)`` indices; class c gets ``floor(f n_c)`` or
    ``ceil(f n_c)`` of them (largest-remainder rounding, ties broken at random), chosen
    uniformly at random within the class. Returns ``(train_idx, test_idx)``, sorted int64 arrays.

    Parameters
    ----------
    y : array_like, shape (N,)
        Labels: integers, or finite floats, or strings.
    test_fraction : float in (0, 1)
    rng : numpy.random.Generator, int or None
        Randomness (None means seed 0); ``seed`` is its older name.

    Examples
    --------
    >>> train, test = stratified_split([0, 0, 0, 0, 1, 1, 1, 1], test_fraction=0.25, rng=0)
    >>> len(test), sorted(np.array([0, 0, 0, 0, 1, 1, 1, 1])[test].tolist())
    (2, [0, 1])
    """
    f = check_real(test_fraction, "test_fraction")
    if not 0 < f < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    gen = as_generator(_rng_or_old_name(rng, seed, "seed"))
    if hasattr(y, "detach"):  # a torch tensor
        y = as_array(y, "y", finite=False)
    try:
        y = np.asarray(y)
    except ValueError:
        raise ValueError("y must be a 1-D array of labels, not a ragged sequence") from None
    if y.dtype.kind not in "iufU":
        raise TypeError(f"y must hold integer, float or string labels, got dtype {y.dtype}")
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y must not hold NaN or inf labels")
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


def load_digits(test_fraction: float = 0.25, rng=None, *, seed=None) -> ImageDataset:
    """scikit-learn's 8x8 digits (1797 images, 0..16 scaled to [0, 1]) in a stratified split.

    The split is :func:`stratified_split` (same ``rng`` -> same split; ``seed`` is its older
    name); the images come from ``sklearn.datasets.load_digits``, which ships with scikit-learn
    (no download). Returns an :class:`ImageDataset` named ``"digits-8x8"`` with ``x_*`` of shape
    (N, 1, 8, 8).

    Examples
    --------
    >>> load_digits()
    ImageDataset(name='digits-8x8', train=1347, test=450, image_shape=(1, 8, 8))

    References
    ----------
    UCI "Optical Recognition of Handwritten Digits" data set (Alpaydin and Kaynak, 1998).
    """
    from sklearn.datasets import load_digits as _sk_load_digits  # lazy: sklearn is slow to import

    bunch = _sk_load_digits()
    rng = _rng_or_old_name(rng, seed, "seed")
    train_idx, test_idx = stratified_split(bunch.target, test_fraction, rng)
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

    Examples
    --------
    >>> import struct, tempfile
    >>> raw = struct.pack(">BBBBI", 0, 0, 0x08, 1, 3) + bytes([7, 8, 9])  # uint8, shape (3,)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = Path(d) / "small-idx1-ubyte"
    ...     _ = path.write_bytes(raw)
    ...     read_idx(path)
    array([7, 8, 9], dtype=uint8)
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

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     load_mnist(root=empty)
    Traceback (most recent call last):
    ...
    FileNotFoundError: MNIST files not found: ...
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

    Examples
    --------
    >>> ds = load_digits_dataset(prefer="digits")
    Using the 8x8 digits (1347 train / 450 test): asked for with prefer='digits'.
    >>> ds.name
    'digits-8x8'
    """
    check_choice(prefer, "prefer", ("mnist", "digits"))
    check_bool(verbose, "verbose")
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
