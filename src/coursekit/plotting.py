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
    """Apply :data:`HOUSE_STYLE` (plus ``overrides``) to matplotlib's global rcParams."""
    style = dict(HOUSE_STYLE)
    if overrides is not None:
        if not isinstance(overrides, Mapping):
            raise TypeError(
                f"overrides must be a mapping of rcParams, got {type(overrides).__name__}"
            )
        style.update(overrides)
    mpl.rcParams.update(style)


def _to_numpy(x, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy's own message is kept
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from exc


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
    """
    arr = _to_numpy(images, "images")
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]  # (N, H, W)
    if arr.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W) or (N, 1, H, W), got {arr.shape}")
    n = arr.shape[0]
    if n == 0:
        raise ValueError("images must hold at least one image")
    if not isinstance(ncols, int) or ncols <= 0:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
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
    """A 2-D histogram of samples, shape (n, 2), on the square ``[-lim, lim]^2`` (or given box).

    Returns the axes.
    """
    pts = _to_numpy(samples, "samples")
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"samples must have shape (n, 2), got {pts.shape}")
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
):
    """Contours of a function of two variables, ``fn(points (m, 2)) -> values (m,)``.

    ``fn`` may take and return NumPy arrays or torch tensors. Returns the axes.
    """
    if not callable(fn):
        raise TypeError("fn must be callable on an array of points of shape (m, 2)")
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    (x0, x1), (y0, y1) = _box(lim)
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (n*n, 2)
    try:
        vals = fn(pts)
    except TypeError:
        vals = fn(torch.as_tensor(pts, dtype=torch.float32))
    vals = _to_numpy(vals, "fn(points)").reshape(n, n)
    ax = plt.gca() if ax is None else ax
    draw = ax.contourf if filled else ax.contour
    draw(gx, gy, vals, levels=levels, cmap=cmap)
    ax.set_aspect("equal")
    ax.grid(False)
    return ax


def _box(lim):
    if np.isscalar(lim):
        if lim <= 0:
            raise ValueError(f"lim must be positive, got {lim}")
        return ((-lim, lim), (-lim, lim))
    lim = tuple(lim)
    if len(lim) != 2 or len(lim[0]) != 2 or len(lim[1]) != 2:
        raise ValueError("lim must be a number or ((xmin, xmax), (ymin, ymax))")
    return lim


def training_curves(history, keys: Sequence[str] | None = None, ax=None, logy: bool = False):
    """Plot per-epoch curves from a ``History`` or a mapping name -> list of values.

    Returns the axes.
    """
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
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
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
    """
    if not isinstance(ys, Mapping) or not ys:
        raise ValueError("ys must be a non-empty mapping name -> values")
    ax = plt.gca() if ax is None else ax
    slopes = {}
    xs = np.asarray(x, dtype=float)
    for name, y in ys.items():
        y = np.asarray(y, dtype=float)
        label = name
        if fit:
            p, c = loglog_slope(xs, y)
            slopes[name] = p
            label = f"{name} (slope {p:.2f})"
            ax.plot(xs, c * xs**p, ls="--", lw=1, color="0.5")
        ax.plot(xs, y, marker="o", ms=4, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend()
    return ax, slopes
