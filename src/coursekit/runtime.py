"""Run mode, device and seeding: the switches every notebook of the book starts with.

The book runs in two modes. The *default* mode is sized so that each notebook finishes in about
a minute on a 2-core laptop CPU; the *full* mode (``COURSEKIT_FULL=1``) trains longer and on more
data and is meant for a GPU. :func:`by_mode` is how a notebook picks a size for the mode.

The device is chosen automatically in the order cuda > mps > cpu, and can be forced with
``COURSEKIT_DEVICE=cpu|cuda|mps`` (an unavailable forced device is an error, never a silent
fallback).

Randomness follows one convention in the whole package: a function that draws random numbers
takes ``rng``, which is a ``numpy.random.Generator`` (used as is, so successive calls draw fresh
numbers), an int seed, or None (seed 0, so that results are reproducible by default).
:func:`as_generator` turns it into a NumPy generator and :func:`torch_generator` into a
``torch.Generator`` for code that draws with torch (data loaders, noise in a loss).

Taught in: not taught; used by every chapter (introduced in the preface, ``intro.md``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping

import numpy as np
import torch

from coursekit._checks import check_int

__all__ = [
    "get_device",
    "resolve_device",
    "as_generator",
    "torch_generator",
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

    Examples
    --------
    >>> get_device("cpu", environ={})
    device(type='cpu')
    >>> get_device(environ={"COURSEKIT_DEVICE": "cpu"})
    device(type='cpu')
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

    Examples
    --------
    >>> full_mode({"COURSEKIT_FULL": "1"}), full_mode({})
    (True, False)
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

    Examples
    --------
    >>> progress_enabled({"COURSEKIT_PROGRESS": "0"}), progress_enabled({})
    (False, True)
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

    Examples
    --------
    >>> rng = seed_everything(0)
    >>> float(rng.random()) == float(np.random.default_rng(0).random())
    True
    >>> torch.are_deterministic_algorithms_enabled()
    True
    """
    seed = check_int(seed, "seed", 0, 2**32 - 1)
    if not isinstance(deterministic, (bool, np.bool_)):
        raise TypeError(f"deterministic must be a bool, got {type(deterministic).__name__}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - legacy global state, for third-party code that uses it
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        if torch.backends.cudnn.is_available():
            torch.backends.cudnn.benchmark = False
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return np.random.default_rng(seed)


def resolve_device(device=None, name: str = "device") -> torch.device:
    """The device an argument asks for: None -> :func:`get_device`, else that device, checked.

    Parameters
    ----------
    device : None, str or torch.device
    name : str
        The argument's name, for the error message.

    Raises
    ------
    TypeError
        If ``device`` is not None, a str or a ``torch.device``.
    ValueError
        If the name is not a device type, or the device is not available on this machine.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device is None:
        return get_device()
    if not isinstance(device, (str, torch.device)):
        raise TypeError(
            f"{name} must be None, a str such as 'cpu' or a torch.device, got "
            f"{type(device).__name__}"
        )
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(
            f"{name}={device!r} is not a device name such as 'cpu' or 'cuda'"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}={device!r} but torch sees no CUDA device on this machine")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"{name}={device!r} but this machine has {torch.cuda.device_count()} "
                         "CUDA device(s)")
    if dev.type == "mps" and not _mps_available():
        raise ValueError(f"{name}={device!r} but the MPS backend is not available on this machine")
    if dev.type not in {"cpu", "cuda", "mps"}:
        raise ValueError(f"{name}={device!r}: expected a cpu, cuda or mps device")
    return dev


def as_generator(rng=None, name: str = "rng") -> np.random.Generator:
    """The package's randomness convention: ``rng`` as a ``numpy.random.Generator``.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        A generator is returned as is (so successive calls draw fresh numbers from it); an int
        ``s >= 0`` gives ``default_rng(s)``; None gives ``default_rng(0)``, so that results are
        reproducible by default.
    name : str
        The argument's name, for the error message.

    Raises
    ------
    TypeError
        If ``rng`` is none of these (a bool, a float, a legacy ``RandomState``, ...).
    ValueError
        If ``rng`` is a negative int.

    Examples
    --------
    >>> int(as_generator(5).integers(100)) == int(np.random.default_rng(5).integers(100))
    True
    >>> g = np.random.default_rng(1)
    >>> as_generator(g) is g
    True
    """
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer)):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, an int seed or None, got "
            f"{type(rng).__name__}"
        )
    if rng < 0:
        raise ValueError(f"{name} must be a non-negative int seed, got {rng}")
    return np.random.default_rng(int(rng))


def _rng_or_old_name(rng, old, old_name: str):
    """``rng``, or the value of the older keyword ``old_name`` that it replaces (not both).

    Used by functions that took ``seed=`` before the package settled on ``rng=``; the value is
    checked here so that the error names the argument the caller used.
    """
    if old is None:
        return rng
    if rng is not None:
        raise TypeError(f"pass rng or its older name {old_name}, not both")
    as_generator(old, old_name)
    return old


def torch_generator(rng=None, device=None) -> torch.Generator:
    """A ``torch.Generator`` that follows the same ``rng`` convention as :func:`as_generator`.

    The torch generator is seeded with one draw from ``as_generator(rng)``: an int seed ``s``
    and ``numpy.random.default_rng(s)`` give the same torch stream (as they do everywhere in the
    package), and a NumPy generator passed in is advanced by that one draw.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
    device : None, str or torch.device
        Where the generator lives (CPU by default; a CUDA sampler needs a CUDA generator).

    Examples
    --------
    >>> a = torch.randn(2, generator=torch_generator(3))
    >>> b = torch.randn(2, generator=torch_generator(np.random.default_rng(3)))
    >>> bool(torch.equal(a, b))
    True
    """
    dev = torch.device("cpu") if device is None else resolve_device(device)
    seed = int(as_generator(rng).integers(2**63 - 1))
    return torch.Generator(device=dev).manual_seed(seed)
