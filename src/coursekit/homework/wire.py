"""The data that may cross between the trusted grader and a student's sandbox, and its framing.

Both sides speak length-prefixed JSON messages (8-byte big-endian length, then UTF-8 JSON). Values
are encoded by :func:`encode` and rebuilt by :func:`decode`; nothing is ever unpickled. What may
cross (the "crossing rules" of the README):

1. data: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``; ``tuple``,
   ``list`` and ``dict`` (string keys) of crossing values; NumPy arrays of bool, integer, float or
   complex dtype and NumPy scalars; torch tensors (sent as arrays, rebuilt as CPU tensors);
2. an instance of a class defined in a locked setup cell whose ``__dict__`` holds crossing
   values: sent by value, rebuilt as the receiving side's own class of that name;
3. a function or class defined in a locked setup cell: sent by name;
4. (sandbox to grader only) anything else: a remote handle, ``{"$h": id}``.

This module uses only the standard library and NumPy (torch when importable), because it also
runs inside the sandbox (:mod:`coursekit.homework._sandbox_server`).

Taught in: not taught; the trusted grader behind ``python -m coursekit.homework grade``.
"""

from __future__ import annotations

import base64
import json
import os
import struct

import numpy as np

__all__ = [
    "CrossingError",
    "WireError",
    "encode",
    "decode",
    "arrays_in",
    "send",
    "recv",
    "MAX_MESSAGE_BYTES",
]

#: Largest message either side accepts, in bytes (the cap on what a sandbox sends back).
MAX_MESSAGE_BYTES = 64 * 2**20
_MAX_DEPTH = 64
_ARRAY_KINDS = "biufc"


class CrossingError(TypeError):
    """A value that the crossing rules do not allow (an authoring error when a test passes it)."""


class WireError(RuntimeError):
    """A malformed or oversized message, or a closed channel."""


def _torch():
    try:
        import torch
    except Exception:  # torch is optional
        return None
    return torch


def encode(value, setup=None, handle=None, _depth=0):
    """Encode ``value`` as JSON-ready data following the crossing rules.

    Parameters
    ----------
    value : object
        What to send.
    setup : dict, optional
        Name to object of the functions and classes defined by locked setup cells (rules 2-3).
    handle : callable, optional
        ``handle(obj) -> int`` registers a non-crossing object and returns its handle id (rule 4);
        without it such an object raises :class:`CrossingError`.

    Raises
    ------
    CrossingError
        If ``value`` (or a part of it) cannot cross.
    """
    if _depth > _MAX_DEPTH:
        raise CrossingError("value nested too deeply to cross")
    d = _depth + 1
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) is int:
        return value
    if type(value) is float:
        return {"$f": repr(value)}
    if type(value) is complex:
        return {"$c": [repr(value.real), repr(value.imag)]}
    if type(value) is bytes:
        return {"$b": base64.b64encode(value).decode("ascii")}
    if type(value) in (list, tuple):
        key = "$l" if type(value) is list else "$t"
        return {key: [encode(v, setup, handle, d) for v in value]}
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise CrossingError("only dicts with str keys can cross")
        return {"$d": [[k, encode(v, setup, handle, d)] for k, v in value.items()]}
    if isinstance(value, np.ndarray) and type(value) is np.ndarray:
        if value.dtype.kind in _ARRAY_KINDS and not value.dtype.hasobject:
            return {"$nd": _array(value)}
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return {"$ns": _array(np.asarray(value))}
    torch = _torch() if type(value).__module__.startswith("torch") else None
    if torch is not None and isinstance(value, torch.Tensor):
        array = value.detach().cpu().resolve_conj().numpy()
        if array.dtype.kind in _ARRAY_KINDS:
            return {"$pt": _array(array)}
    if setup:
        name = getattr(value, "__name__", None)
        if isinstance(name, str) and setup.get(name) is value:
            return {"$ref": name}
        cls = type(value)
        if setup.get(cls.__name__) is cls and isinstance(getattr(value, "__dict__", None), dict):
            try:
                state = encode(dict(value.__dict__), setup, None, d)
            except CrossingError:
                pass
            else:
                return {"$obj": [cls.__name__, state]}
    if handle is not None:
        return {"$h": int(handle(value))}
    raise CrossingError(
        f"a value of type {type(value).__name__} cannot be passed to the student's code; pass "
        "data (numbers, strings, lists, dicts, arrays) or functions and classes of a locked "
        "setup cell"
    )


def _array(array):
    if array.nbytes > MAX_MESSAGE_BYTES // 2:
        raise WireError(f"an array of {array.nbytes} bytes is over the cap")
    array = np.array(array, order="C", copy=True)
    return [array.dtype.str, list(array.shape),
            base64.b64encode(array.tobytes()).decode("ascii")]


def _unarray(spec):
    if not (isinstance(spec, list) and len(spec) == 3):
        raise WireError("bad array")
    dtype_str, shape, data = spec
    if not isinstance(dtype_str, str) or not isinstance(data, str):
        raise WireError("bad array")
    try:
        dtype = np.dtype(dtype_str)
    except TypeError:
        raise WireError("bad array dtype") from None
    if dtype.kind not in _ARRAY_KINDS or dtype.hasobject or dtype.fields is not None:
        raise WireError("bad array dtype")
    if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("bad array shape")
    raw = base64.b64decode(data.encode("ascii"), validate=True)
    size = dtype.itemsize
    for n in shape:
        size *= n
    if size != len(raw):
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(data, setup=None, handle=None, _depth=0):
    """Rebuild a value encoded by :func:`encode`; validates types, dtypes, shapes and sizes.

    ``setup`` maps names to the receiving side's own setup functions and classes; ``handle(id)``
    builds the receiving side's object for a remote handle (an error when None).

    Raises
    ------
    WireError
        On anything malformed.
    """
    if _depth > _MAX_DEPTH + 2:
        raise WireError("value nested too deeply")
    d = _depth + 1
    if data is None or isinstance(data, (bool, str)):
        return data
    if type(data) is int:
        return data
    if type(data) is not dict or len(data) != 1:
        raise WireError("malformed value")
    ((key, body),) = data.items()
    try:
        if key == "$f":
            return float(body)
        if key == "$c":
            return complex(float(body[0]), float(body[1]))
        if key == "$b":
            return base64.b64decode(body.encode("ascii"), validate=True)
        if key in ("$l", "$t"):
            if type(body) is not list:
                raise WireError("malformed sequence")
            items = [decode(v, setup, handle, d) for v in body]
            return items if key == "$l" else tuple(items)
        if key == "$d":
            out = {}
            for k, v in body:
                if type(k) is not str:
                    raise WireError("malformed dict")
                out[k] = decode(v, setup, handle, d)
            return out
        if key == "$nd":
            return _unarray(body)
        if key == "$ns":
            return _unarray(body)[()]
        if key == "$pt":
            torch = _torch()
            array = _unarray(body)
            return array if torch is None else torch.from_numpy(array)
        if key == "$ref":
            if not setup or not isinstance(body, str) or body not in setup:
                raise WireError("reference to an unknown setup name")
            return setup[body]
        if key == "$obj":
            name, state = body
            cls = (setup or {}).get(name) if isinstance(name, str) else None
            if not isinstance(cls, type):
                raise WireError("instance of an unknown setup class")
            attrs = decode(state, setup, None, d)
            if type(attrs) is not dict:
                raise WireError("malformed instance")
            obj = cls.__new__(cls)
            obj.__dict__.update(attrs)
            return obj
        if key == "$h":
            if handle is None or type(body) is not int:
                raise WireError("unexpected handle")
            return handle(body)
    except WireError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError):
        raise WireError("malformed value") from None
    raise WireError("unknown value tag")


def arrays_in(value, _depth=0) -> list:
    """The NumPy arrays in ``value`` (lists, tuples and dicts walked in order), as both sides see
    them: the grader writes back an array argument that the student's code changed in place."""
    found: list = []
    if _depth > _MAX_DEPTH:
        return found
    if type(value) is np.ndarray:
        if value.dtype.kind in _ARRAY_KINDS and not value.dtype.hasobject:
            found.append(value)
    elif type(value) in (list, tuple):
        for item in value:
            found += arrays_in(item, _depth + 1)
    elif type(value) is dict:
        for item in value.values():
            found += arrays_in(item, _depth + 1)
    return found


def send(fd: int, message: dict) -> None:
    """Write one framed JSON message to the file descriptor ``fd``."""
    payload = json.dumps(message, allow_nan=True, separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {len(payload)} bytes is over the cap")
    buf = struct.pack(">Q", len(payload)) + payload
    view = memoryview(buf)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int, wait=None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if wait is not None:
            wait()
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise WireError("channel closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(fd: int, wait=None) -> dict:
    """Read one framed message from ``fd``; ``wait()`` is called before each read (deadlines).

    Raises
    ------
    WireError
        If the channel closes, the message is over :data:`MAX_MESSAGE_BYTES` or not JSON.
    """
    (length,) = struct.unpack(">Q", _read_exact(fd, 8, wait))
    if length > MAX_MESSAGE_BYTES:
        raise WireError(f"message of {length} bytes is over the cap")
    try:
        message = json.loads(_read_exact(fd, length, wait).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise WireError("message is not JSON (or nested too deeply)") from None
    if type(message) is not dict:
        raise WireError("message is not an object")
    return message
