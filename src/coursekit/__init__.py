"""coursekit: the shared, tested code behind the book *The mathematics of deep learning and
optimal transport*.

The lessons live in the chapter notebooks; this package holds the scaffolding a reader need not
read (data, plotting, seeding, device, training loop, interactive figures) and what a later
chapter reuses from an earlier one. Each module's docstring says where its content is taught.

Submodules
----------
runtime      run mode (default/full), device choice, seeding, progress switch
data         synthetic 2-D sets, scikit-learn's 8x8 digits, a real MNIST (IDX) loader
plotting     the house style and figure helpers
interactive  figures the reader can move, in Jupyter and in the static HTML
training     a plain, device-aware ``fit`` loop
linalg       SVD-based tools taught in the SVD chapter (low-rank approximation, PCA, ...)
losses       stable softmax/cross entropy, least squares, ridge, Bayesian regression (MLE chapter)
autodiff     forward-mode dual numbers and a scalar reverse-mode engine (backprop chapter)
mlp          a NumPy multilayer perceptron with hand-written backprop (backprop chapter)
homework     the nbgrader-based homework pipeline (``python -m coursekit.homework``)
"""

from __future__ import annotations

import importlib

from coursekit.runtime import by_mode, full_mode, get_device, progress_enabled, seed_everything

__all__ = [
    "by_mode",
    "full_mode",
    "get_device",
    "progress_enabled",
    "seed_everything",
    "data",
    "plotting",
    "interactive",
    "training",
    "linalg",
    "losses",
    "autodiff",
    "mlp",
    "homework",
]

__version__ = "0.1.0"

_SUBMODULES = {
    "autodiff",
    "data",
    "homework",
    "interactive",
    "linalg",
    "losses",
    "mlp",
    "plotting",
    "runtime",
    "training",
}


def __getattr__(name: str):
    # Submodules load on first use, so ``import coursekit`` stays cheap.
    if name in _SUBMODULES:
        return importlib.import_module(f"coursekit.{name}")
    raise AttributeError(f"module 'coursekit' has no attribute {name!r}")
