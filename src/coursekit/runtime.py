"""Run mode, device and seeding: the switches every notebook of the book starts with.

The book runs in two modes. The *default* mode is sized so that each notebook finishes in about
a minute on a 2-core laptop CPU; the *full* mode (``COURSEKIT_FULL=1``) trains longer and on more
data and is meant for a GPU. :func:`by_mode` is how a notebook picks a size for the mode.

The device is chosen automatically in the order cuda > mps > cpu, and can be forced with
``COURSEKIT_DEVICE=cpu|cuda|mps`` (an unavailable forced device is an error, never a silent
fallback).

Taught in: not taught; used by every chapter (introduced in the preface, ``intro.md``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping

import numpy as np
import torch

__all__ = [
    "get_device",
    "full_mode",
    "by_mode",
    "seed_everything",
    "progress_enabled",
    "DEVICE_ENV",
    "FULL_ENV",
    "PROGRESS_ENV",
]

DEVICE_ENV = "COURSEKIT_DEVICE"
FULL_ENV = "COURSEKIT_FULL"
PROGRESS_ENV = "COURSEKIT_PROGRESS"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(name: str, environ: Mapping[str, str], default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"environment variable {name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off"
    )


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device(prefer: str | None = None, environ: Mapping[str, str] | None = None) -> torch.device:
    """Return the torch device the book computes on.

    Parameters
    ----------
    prefer : {"cpu", "cuda", "mps"}, optional
        Force a device. When omitted, ``COURSEKIT_DEVICE`` is read; when that is unset too, the
        first available of cuda > mps > cpu is returned.
    environ : mapping, optional
        Where to read ``COURSEKIT_DEVICE`` (defaults to ``os.environ``; tests pass a dict).

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If the requested name is not one of cpu, cuda, mps.
    RuntimeError
        If the requested device is not available on this machine.
    """
    environ = os.environ if environ is None else environ
    source = "prefer"
    name = prefer
    if name is None:
        name = environ.get(DEVICE_ENV, "").strip() or None
        source = DEVICE_ENV
    if name is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not isinstance(name, str):
        raise TypeError(f"prefer must be a string such as 'cpu', got {type(name).__name__}")
    name = name.strip().lower()
    if name not in {"cpu", "cuda", "mps"}:
        raise ValueError(f"{source}={name!r}: expected one of 'cpu', 'cuda', 'mps'")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"{source}='cuda' but torch sees no CUDA device on this machine")
    if name == "mps" and not _mps_available():
        raise RuntimeError(f"{source}='mps' but the MPS backend is not available on this machine")
    return torch.device(name)


def full_mode(environ: Mapping[str, str] | None = None) -> bool:
    """True when the book runs in full mode (``COURSEKIT_FULL=1``), False in the default mode.

    Raises
    ------
    ValueError
        If ``COURSEKIT_FULL`` holds something that is not a yes/no value.
    """
    environ = os.environ if environ is None else environ
    return _flag(FULL_ENV, environ, default=False)


def by_mode(default, full, environ: Mapping[str, str] | None = None):
    """Pick a value by run mode: ``default`` normally, ``full`` when :func:`full_mode` is on.

    Examples
    --------
    >>> n_epochs = by_mode(default=5, full=50)
    """
    return full if full_mode(environ) else default


def progress_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether long loops draw a live progress bar (``COURSEKIT_PROGRESS``, default on).

    The Makefile turns bars off when it stores or validates notebooks, so that the stored output
    holds only the stable summary line that each loop prints when it ends.
    """
    environ = os.environ if environ is None else environ
    return _flag(PROGRESS_ENV, environ, default=True)


def seed_everything(seed: int, deterministic: bool = True) -> np.random.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) and return a fresh NumPy generator.

    Parameters
    ----------
    seed : int
        A non-negative integer below 2**32.
    deterministic : bool, default True
        Ask torch for deterministic algorithms where they exist (``warn_only``: an operation with
        no deterministic version warns instead of failing).

    Returns
    -------
    numpy.random.Generator
        ``np.random.default_rng(seed)``, the generator notebooks should draw from.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - legacy global state, for third-party code that uses it
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        if torch.backends.cudnn.is_available():
            torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return np.random.default_rng(seed)
