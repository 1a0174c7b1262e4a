"""Argument checks shared by every module of coursekit (private).

One contract for the whole package: valid input gives the correct answer; invalid input raises a
``TypeError`` (wrong kind of object) or a ``ValueError`` (right kind, wrong value or shape) whose
message starts with the name of the argument; no input is modified; a call that raises changes
no state. The helpers here return the checked value converted (a float64 array, a Python int or
float), so that a module writes one line per argument.

NumPy integer and floating scalars are accepted wherever a Python ``int`` or ``float`` is, torch
tensors wherever an array is (reduced-precision tensors such as bfloat16 are widened first).

Taught in: not taught (scaffolding).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Integral, Real

import numpy as np

__all__ = [
    "as_array",
    "as_matrix",
    "check_int",
    "check_real",
    "check_bool",
    "check_choice",
    "check_callable",
    "input_eps",
    "max_abs",
]


def _is_tensor(x) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def as_array(x, name: str, *, ndim: int | tuple[int, ...] | None = None,
             nonempty: bool = False, finite: bool = True, integer: bool = False) -> np.ndarray:
    """``x`` as a NumPy array of real numbers (float64, or int64 with ``integer=True``).

    Raises ``TypeError`` naming ``name`` for None, strings, objects, complex or boolean data (and
    non-integers when ``integer``), ``ValueError`` for ragged nesting, a wrong number of
    dimensions, an empty array when ``nonempty`` and NaN or inf when ``finite``. The input is
    never modified (the result may share its memory: treat it as read-only).

    Examples
    --------
    >>> as_array([1, 2], "x")
    array([1., 2.])
    >>> as_array([[1], [2, 3]], "x")
    Traceback (most recent call last):
    ...
    ValueError: x must be a rectangular array of numbers, not a ragged nested sequence
    """
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    if _is_tensor(x):
        x = x.detach()
        if x.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a complex tensor")
        if x.is_floating_point() and x.element_size() < 4:  # bfloat16, float16: no NumPy dtype
            x = x.float()
        x = x.cpu().numpy()
    try:
        arr = np.asarray(x)
    except ValueError:
        raise ValueError(
            f"{name} must be a rectangular array of numbers, not a ragged nested sequence"
        ) from None
    except TypeError as err:  # pragma: no cover - exotic objects
        raise TypeError(f"{name} must be an array of numbers ({err})") from None
    kind = arr.dtype.kind
    if integer:
        if kind not in "iu":
            raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    elif kind not in "iuf":
        what = {"c": "complex numbers", "b": "booleans"}.get(kind, f"dtype {arr.dtype}")
        raise TypeError(f"{name} must hold real numbers, got {what}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be a {want} array, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    arr = arr.astype(np.int64 if integer else np.float64, copy=False)
    if finite and not integer and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or inf)")
    return arr


def as_matrix(x, name: str, *, square: bool = False) -> np.ndarray:
    """``x`` as a non-empty finite float64 matrix (2-D), optionally square.

    Examples
    --------
    >>> as_matrix([[1, 2], [3, 4]], "A", square=True).shape
    (2, 2)
    """
    arr = as_array(x, name, ndim=2, nonempty=True)
    if square and arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    return arr


def check_int(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """``value`` as a Python int in ``[low, high]`` (Python and NumPy integers; not bool).

    Examples
    --------
    >>> check_int(np.int64(3), "epochs", low=1)
    3
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise ValueError(f"{name} must satisfy {low} <= {name} <= {high}, got {value}")
        bound = f">= {low}" if low is not None else f"<= {high}"
        raise ValueError(f"{name} must be an int {bound}, got {value}")
    return value


def check_real(value, name: str, *, low: float | None = None, high: float | None = None,
               positive: bool = False, finite: bool = True) -> float:
    """``value`` as a Python float (Python and NumPy reals; not bool), checked.

    ``positive`` asks for ``value > 0``; ``low``/``high`` are inclusive bounds.

    Examples
    --------
    >>> check_real(np.float32(0.5), "lr", positive=True)
    0.5
    >>> check_real(0, "lr", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: lr must be positive, got 0.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        if _is_tensor(value) and value.numel() == 1 and not value.is_complex():
            value = value.item()
        else:
            raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_bool(value, name: str) -> bool:
    """``value`` as a bool (Python or NumPy bool only: 0 and 1 are refused).

    Examples
    --------
    >>> check_bool(np.True_, "verbose")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of the strings ``choices``.

    Examples
    --------
    >>> check_choice("mean", "reduction", ("mean", "sum"))
    'mean'
    """
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {choices}, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_callable(value, name: str, how: str = "") -> Callable:
    """``value`` if it is callable; ``how`` says how it is called, for the message.

    Examples
    --------
    >>> check_callable(len, "fn") is len
    True
    """
    if not callable(value):
        how = f" as {how}" if how else ""
        raise TypeError(f"{name} must be callable{how}, got {type(value).__name__}")
    return value


def input_eps(x) -> float:
    """Machine epsilon of the floating dtype ``x`` came in (float64's for non-floats).

    Examples
    --------
    >>> input_eps(np.zeros(2, np.float32)) == float(np.finfo(np.float32).eps)
    True
    """
    dtype = getattr(x, "dtype", None)
    if _is_tensor(x) and x.is_floating_point():
        import torch

        return float(torch.finfo(x.dtype).eps)
    if dtype is not None and np.issubdtype(dtype, np.floating):
        return float(np.finfo(dtype).eps)
    return float(np.finfo(np.float64).eps)


def max_abs(a: np.ndarray) -> float:
    """The largest magnitude of a float array (0.0 when empty): the scale to divide by.

    Examples
    --------
    >>> max_abs(np.array([-3.0, 2.0]))
    3.0
    """
    return float(np.max(np.abs(a))) if a.size else 0.0
