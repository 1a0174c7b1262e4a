"""Hypothesis strategies of bad (and oddly typed but valid) inputs, shared by every module's tests.

A public function is described once, by a :class:`Row` of the table in ``tests/test_bad_input.py``:
the function, a valid call, and for each argument its *kind* (an array, an int, a real, a
generator, a choice among strings, a bool). From the kind alone these strategies draw

* inputs that must be refused (:func:`bad_values`): None, strings, NaN and inf entries, empty and
  ragged arrays, complex and boolean data, wrong numbers of dimensions, floats where ints are
  expected, negative seeds, ...;
* inputs that must be accepted and give the same answer as the plain valid value
  (:func:`equivalent_values`): NumPy integer and float scalars instead of Python ones, a
  ``Generator`` instead of its int seed, float32/bfloat16 tensors instead of arrays.

A new module adds rows to the table, not new strategies.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import torch
from hypothesis import strategies as st

#: Kinds of argument understood by the strategies below.
KINDS = ("array", "int", "real", "rng", "choice", "bool", "callable")

#: Array corruptions that every array argument refuses unless its row says otherwise.
ARRAY_CORRUPTIONS = ("none", "string", "nan", "inf", "ragged", "complex", "bool", "empty",
                     "object", "ndim")


@dataclasses.dataclass(frozen=True)
class Arg:
    """How one argument of a row is checked.

    ``kind`` is one of :data:`KINDS`. For arrays, ``allow`` lists corruptions that the function
    accepts (e.g. ``"empty"`` for an element-wise function, ``"ndim"`` when any shape is fine);
    for ints and reals, ``low``/``high`` bound the valid range (values just outside are drawn as
    bad ones) and ``positive`` asks for > 0. ``names`` are the words an error message may use
    for this argument (by default its name).
    """

    kind: str
    allow: tuple = ()
    low: float | None = None
    high: float | None = None
    positive: bool = False
    names: tuple = ()
    none_ok: bool = False


def _corrupt_array(valid, how: str, index: int):
    arr = np.array(valid.detach().cpu().numpy() if isinstance(valid, torch.Tensor) else valid,
                   dtype=np.float64)
    if how == "none":
        return None
    if how == "string":
        return "abc"
    if how == "object":
        return np.array([object(), object()], dtype=object)
    if how in ("nan", "inf"):
        if arr.size == 0:
            return np.array([math.nan])
        flat = arr.reshape(-1).copy()
        flat[index % flat.size] = math.nan if how == "nan" else (-1) ** index * math.inf
        return flat.reshape(arr.shape)
    if how == "ragged":
        return [[1.0, 2.0], [3.0]] if arr.ndim <= 1 else [arr[0].tolist(), arr[0, :-1].tolist()]
    if how == "complex":
        return arr.astype(np.complex128) + 1j
    if how == "bool":
        return arr > 0
    if how == "empty":
        return arr[:0] if arr.ndim else np.zeros(0)
    if how == "ndim":
        return arr[None, None] if arr.ndim else arr[None]
    raise ValueError(how)


def bad_values(arg: Arg, valid):
    """A strategy of values that must be refused for an argument described by ``arg``."""
    return _bad_values(arg, valid).filter(lambda v: not (arg.none_ok and v is None))


def _bad_values(arg: Arg, valid):
    if arg.kind == "array":
        hows = [h for h in ARRAY_CORRUPTIONS if h not in arg.allow]
        return st.builds(_corrupt_array, st.just(valid), st.sampled_from(hows),
                         st.integers(0, 10**6))
    common = [None, "3", {"a": 1}] + ([] if "sequence" in arg.allow else [[1, 2]])
    if arg.kind == "int":
        out = [*common, 2.5, math.nan, True, 1 + 0j]
        if arg.low is not None:
            out.append(int(arg.low) - 1)
        if arg.high is not None:
            out.append(int(arg.high) + 1)
        return st.sampled_from(out)
    if arg.kind == "real":
        out = [*common, math.nan, math.inf, -math.inf, True, 1 + 1j]
        if arg.positive:
            out += [0.0, -1.0]
        if arg.low is not None:
            out.append(arg.low - 1.0)
        if arg.high is not None:
            out.append(arg.high + 1.0)
        return st.sampled_from(out)
    if arg.kind == "rng":
        return st.sampled_from(["1", 1.5, True, -1, np.random.RandomState(0), [0]])
    if arg.kind == "choice":
        return st.sampled_from([None, 3, "no such choice", b"bytes"])
    if arg.kind == "bool":
        return st.sampled_from([None, "yes", 2, [True]])
    if arg.kind == "callable":
        return st.sampled_from([None, 3, "f"])
    raise ValueError(arg.kind)


def equivalent_values(arg: Arg, valid):
    """A strategy of values that must give the same answer as ``valid`` (may be empty)."""
    if arg.kind == "int" and isinstance(valid, int) and not isinstance(valid, bool):
        return st.sampled_from([np.int64(valid), np.int32(valid), np.uint16(valid)]
                               if 0 <= valid < 2**16 else [np.int64(valid)])
    if arg.kind == "real" and isinstance(valid, float):
        return st.sampled_from([np.float64(valid), valid if valid != int(valid)
                                else int(valid)])
    if arg.kind == "rng" and isinstance(valid, int):
        return st.sampled_from([np.int64(valid), np.random.default_rng(valid)])
    if arg.kind == "array" and isinstance(valid, np.ndarray) and valid.dtype == np.float64:
        return st.sampled_from([valid.tolist(), torch.from_numpy(valid.copy())])
    return st.nothing()


def snapshot(value):
    """A deep copy to compare an input with after a call (see :func:`unchanged`)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, np.ndarray) and value.dtype == object:
        return value.copy()  # the same objects, in a new array
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an object we cannot copy is compared by identity only
        return value


def unchanged(before, after) -> bool:
    """Whether an input still equals its :func:`snapshot` (NaN equal to NaN)."""
    if isinstance(before, (np.random.Generator, np.random.RandomState, torch.Generator)):
        return True  # a generator passed as rng is meant to advance
    if isinstance(before, torch.Tensor):
        return bool(torch.equal(before, after) or (
            before.is_floating_point() and torch.equal(before.isnan(), after.isnan())
            and torch.equal(before.nan_to_num(), after.nan_to_num())))
    if isinstance(before, np.ndarray):
        if before.dtype == object:
            return before.shape == after.shape and all(a is b for a, b in
                                                         zip(before.flat, after.flat, strict=True))
        return before.shape == after.shape and before.dtype == after.dtype and np.array_equal(
            before, after, equal_nan=before.dtype.kind in "fc")
    if isinstance(before, (list, tuple)):
        return type(before) is type(after) and len(before) == len(after) and all(
            unchanged(a, b) for a, b in zip(before, after, strict=True))
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(unchanged(before[k], after[k])
                                                     for k in before)
    if isinstance(before, float) and math.isnan(before):
        return isinstance(after, float) and math.isnan(after)
    try:
        return bool(before == after)
    except Exception:  # noqa: BLE001
        return True


def same_result(a, b, rtol=1e-12) -> bool:
    """Whether two results of a function agree (arrays, tensors, tuples, dataclasses)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        return a.shape == b.shape and bool(torch.allclose(a.double(), b.double(), rtol=rtol,
                                                          atol=0, equal_nan=True))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same_result(getattr(a, f.name), getattr(b, f.name), rtol)
            for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_result(x, y, rtol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_result(a[k], b[k], rtol) for k in a)
    if isinstance(a, (np.ndarray, float, int, np.number)):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind not in "fciub" or b.dtype.kind not in "fciub":
            return bool(np.array_equal(a, b))
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=0, equal_nan=True))
    return a == b


#: Exponents of magnitudes at which a scale-equivariant function must still be right.
magnitudes = st.sampled_from([-300, -200, -150, -100, -30, 0, 30, 100, 150, 200, 300])
