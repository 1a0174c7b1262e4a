"""The book's house style and the figure helpers every chapter shares.

One look across the book: :func:`use_style` sets matplotlib's rcParams once per notebook. The
helpers draw what many chapters draw: a grid of images (digits, filters, samples), a 2-D density
from samples or from a function, training curves from a :class:`coursekit.training.History`, and a
log-log plot with fitted power-law slopes (measured complexity, convergence orders).

Taught in: not taught; used by every chapter. The power-law fit :func:`loglog_slope` is explained
in the SVD chapter (measured cost of matrix operations) and reused for the orders of SDE solvers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

from coursekit._checks import as_array, check_bool, check_callable, check_int, check_real

__all__ = [
    "HOUSE_STYLE",
    "use_style",
    "image_grid",
    "density_2d",
    "contour_2d",
    "training_curves",
    "loglog_slope",
    "loglog_plot",
]

#: rcParams of the book's figures: readable at 100% zoom, light grid, no top/right spines.
HOUSE_STYLE: dict = {
    "figure.figsize": (6.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "axes.prop_cycle": mpl.cycler(
        color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
    ),
}


def use_style(overrides: Mapping | None = None) -> None:
    """Apply :data:`HOUSE_STYLE` (plus ``overrides``) to matplotlib's global rcParams.

    Every entry is validated before any is applied: a bad ``overrides`` raises and leaves the
    rcParams as they were.

    Examples
    --------
    >>> use_style({"font.size": 12})
    >>> mpl.rcParams["font.size"], mpl.rcParams["axes.grid"]
    (12.0, True)
    >>> use_style()
    """
    style = dict(HOUSE_STYLE)
    if overrides is not None:
        if not isinstance(overrides, Mapping):
            raise TypeError(
                f"overrides must be a mapping of rcParams, got {type(overrides).__name__}"
            )
        style.update(overrides)
    try:
        checked = mpl.RcParams(style)  # validates every key and value, touches nothing global
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"overrides holds an invalid rcParam: {err}") from None
    mpl.rcParams.update(checked)


def _to_numpy(x, name: str, finite: bool = True) -> np.ndarray:
    return as_array(x, name, finite=finite)


def image_grid(
    images,
    ncols: int = 8,
    titles: Sequence[str] | None = None,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    size: float = 1.1,
):
    """Show images in a grid without axes.

    Parameters
    ----------
    images : array or tensor, shape (N, H, W) or (N, 1, H, W)
        Grey-scale images; a channel axis of size 1 is dropped.
    ncols : int
        Images per row.
    titles : sequence of str, optional
        One short title per image.
    cmap, vmin, vmax
        Passed to ``imshow``.
    size : float
        Inches per image.

    Returns
    -------
    (fig, axes) : the figure and the 2-D array of axes.

    Examples
    --------
    >>> fig, axes = image_grid(np.zeros((5, 8, 8)), ncols=4)
    >>> axes.shape
    (2, 4)
    >>> plt.close(fig)
    """
    arr = _to_numpy(images, "images")
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]  # (N, H, W)
    if arr.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W) or (N, 1, H, W), got {arr.shape}")
    n = arr.shape[0]
    if n == 0:
        raise ValueError("images must hold at least one image")
    ncols = check_int(ncols, "ncols", low=1)
    size = check_real(size, "size", positive=True)
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles has {len(titles)} entries for {n} images")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(arr[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    return fig, axes


def density_2d(samples, ax=None, bins: int = 100, lim: float | tuple = 3.0, cmap: str = "magma"):
    """A 2-D histogram of samples, shape (n, 2), on a box.

    ``lim`` is a number ``L`` (the square ``[-L, L]^2``), a pair ``(lo, hi)`` (the square
    ``[lo, hi]^2``) or ``((xmin, xmax), (ymin, ymax))``. Returns the axes.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = density_2d(np.random.default_rng(0).normal(size=(500, 2)), ax=ax, lim=(-3, 3))
    >>> tuple(float(v) for v in ax.get_xlim())
    (-3.0, 3.0)
    >>> plt.close(fig)
    """
    pts = _to_numpy(samples, "samples")
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
        raise ValueError(f"samples must have shape (n, 2) with n >= 1, got {pts.shape}")
    bins = check_int(bins, "bins", low=1)
    box = _box(lim)
    ax = plt.gca() if ax is None else ax
    ax.hist2d(pts[:, 0], pts[:, 1], bins=bins, range=box, cmap=cmap, density=True)
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def contour_2d(
    fn: Callable[[np.ndarray], np.ndarray],
    ax=None,
    lim: float | tuple = 3.0,
    n: int = 200,
    filled: bool = True,
    levels: int = 20,
    cmap: str = "magma",
    tensor: bool = False,
):
    """Contours of a function of two variables, ``fn(points (m, 2)) -> values (m,)``.

    ``fn`` receives a float64 NumPy array, or a float32 torch tensor with ``tensor=True`` (for a
    torch model or density); it may return either. ``lim`` is as in :func:`density_2d`.
    Whatever ``fn`` raises propagates: it is called once. Returns the axes.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = contour_2d(lambda p: (p**2).sum(axis=1), ax=ax, lim=2, n=20)
    >>> _ = contour_2d(lambda p: p.norm(dim=1), ax=ax, n=20, tensor=True)
    >>> plt.close(fig)
    """
    check_callable(fn, "fn", "fn(points of shape (m, 2))")
    n = check_int(n, "n", low=2)
    tensor = check_bool(tensor, "tensor")
    (x0, x1), (y0, y1) = _box(lim)
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (n*n, 2)
    vals = fn(torch.as_tensor(pts, dtype=torch.float32) if tensor else pts)
    vals = _to_numpy(vals, "fn(points)", finite=False)
    if vals.size != n * n:
        raise ValueError(f"fn(points) must return one value per point ({n * n}), got shape "
                         f"{vals.shape}")
    vals = vals.reshape(n, n)
    ax = plt.gca() if ax is None else ax
    draw = ax.contourf if filled else ax.contour
    draw(gx, gy, vals, levels=levels, cmap=cmap)
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def _box(lim):
    """``lim`` as ``((xmin, xmax), (ymin, ymax))``; see :func:`density_2d`."""
    what = "lim must be a positive number L, a pair (lo, hi) or ((xmin, xmax), (ymin, ymax))"
    if isinstance(lim, (bool, np.bool_, str, bytes)) or lim is None:
        raise TypeError(f"{what}, got {type(lim).__name__}")
    if np.isscalar(lim):
        lim = check_real(lim, "lim", positive=True)
        return ((-lim, lim), (-lim, lim))
    try:
        arr = np.asarray(lim, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{what}, got {lim!r}") from None
    if arr.shape == (2,):
        arr = np.stack([arr, arr])
    if arr.shape != (2, 2):
        raise ValueError(f"{what}, got {lim!r}")
    if not np.isfinite(arr).all() or not (arr[:, 0] < arr[:, 1]).all():
        raise ValueError(f"lim must have finite bounds with min < max, got {lim!r}")
    return tuple((float(a), float(b)) for a, b in arr)


def training_curves(history, keys: Sequence[str] | None = None, ax=None, logy: bool = False):
    """Plot per-epoch curves from a ``History`` or a mapping name -> list of values.

    Every recorded series but ``seconds`` is drawn unless ``keys`` picks some; ``logy`` puts the
    y axis on a log scale. Returns the axes.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> _ = training_curves({"train_loss": [1.0, 0.1, 0.01]}, ax=ax, logy=True)
    >>> ax.get_yscale()
    'log'
    >>> plt.close(fig)
    """
    logy = check_bool(logy, "logy")
    data = history.as_dict() if hasattr(history, "as_dict") else history
    if not isinstance(data, Mapping):
        raise TypeError("history must be a History or a mapping of name -> sequence")
    keys = [k for k in data if k != "epoch" and k != "seconds"] if keys is None else list(keys)
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"keys not in history: {missing}; available: {sorted(data)}")
    ax = plt.gca() if ax is None else ax
    for k in keys:
        vals = np.asarray(data[k], dtype=float)
        ax.plot(np.arange(1, len(vals) + 1), vals, marker="o", ms=3, label=k)
    ax.set_xlabel("epoch")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax


def loglog_slope(x, y) -> tuple[float, float]:
    """Least-squares fit of ``log y = a + p log x``; returns ``(p, exp(a))``.

    A measured cost ``t(n) ~ c n^p`` or an error ``e(h) ~ c h^p`` shows as a line of slope ``p``
    on a log-log plot.

    Parameters
    ----------
    x, y : array-like, shape (k,), positive, k >= 2

    Returns
    -------
    (p, c) : the exponent and the prefactor.

    Examples
    --------
    >>> p, c = loglog_slope([1, 2, 4, 8], [3, 12, 48, 192])  # y = 3 x^2
    >>> round(p, 12), round(c, 12)
    (2.0, 3.0)
    """
    x = as_array(x, "x", finite=False).ravel()
    y = as_array(y, "y", finite=False).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.shape} and {y.shape}")
    if x.size < 2:
        raise ValueError("x and y need at least two points")
    if np.any(x <= 0) or np.any(y <= 0) or not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
        raise ValueError("x and y must be finite and positive for a log-log fit")
    p, a = np.polyfit(np.log(x), np.log(y), 1)
    return float(p), float(np.exp(a))


def loglog_plot(x, ys: Mapping[str, Sequence[float]], ax=None, fit: bool = True):
    """Plot several series against ``x`` on log-log axes, with fitted slopes in the legend.

    Returns ``(ax, slopes)`` where ``slopes`` maps each name to its fitted exponent.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> ax, slopes = loglog_plot([1, 10, 100], {"cost": [2, 200, 20000]}, ax=ax)
    >>> round(slopes["cost"], 12)
    2.0
    >>> plt.close(fig)
    """
    if not isinstance(ys, Mapping):
        raise TypeError(f"ys must be a mapping name -> values, got {type(ys).__name__}")
    if not ys:
        raise ValueError("ys must be a non-empty mapping name -> values")
    fit = check_bool(fit, "fit")
    # every series is checked before anything is drawn
    xs = as_array(x, "x")
    series = {name: as_array(y, f"ys[{name!r}]") for name, y in ys.items()}
    if fit:
        slopes = {name: loglog_slope(xs, y) for name, y in series.items()}
    ax = plt.gca() if ax is None else ax
    for name, y in series.items():
        label = name
        if fit:
            p, c = slopes[name]
            label = f"{name} (slope {p:.2f})"
            ax.plot(xs, c * xs**p, ls="--", lw=1, color="0.5")
        ax.plot(xs, y, marker="o", ms=4, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    return ax, {name: pc[0] for name, pc in slopes.items()} if fit else {}
