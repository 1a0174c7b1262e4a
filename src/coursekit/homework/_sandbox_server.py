"""The student's side of the grader: runs INSIDE the sandbox, executes answers and serves calls.

Started by :class:`coursekit.homework.sandbox.Session` as a script (not through the package, so that
nothing but this file, :mod:`wire` and the standard library runs before the student's code):
``python _sandbox_server.py IN_FD OUT_FD``. It moves the two protocol pipes to private file
descriptors, points fds 0-2 at ``/dev/null`` (what the student prints cannot corrupt the
protocol), then answers requests one at a time:

- ``exec``: run a cell (a locked setup cell, or a student's answer cell) in the one namespace;
- ``get``: the value bound to a name (data by value, anything else as a handle);
- ``call``: call a name or a handle with decoded arguments; forbidden callables of the question
  raise while the call runs (the tripwire behind the static method check);
- ``getattr`` and ``apply`` (an operator such as ``add`` or ``getitem``) on handles.

An exception of the student's code is answered with its type name only, never its message.

Taught in: not taught; the trusted grader behind ``python -m coursekit.homework grade``.
"""

import ast
import builtins
import contextlib
import operator
import os
import sys


def _private_fds():
    import fcntl

    in_fd, out_fd = int(sys.argv[1]), int(sys.argv[2])
    new_in = fcntl.fcntl(in_fd, fcntl.F_DUPFD_CLOEXEC, 900)
    new_out = fcntl.fcntl(out_fd, fcntl.F_DUPFD_CLOEXEC, 900)
    os.close(in_fd)
    os.close(out_fd)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    return new_in, new_out


if __name__ == "__main__":  # run as a script inside the sandbox
    IN, OUT = _private_fds()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import wire  # this folder, not the package: nothing else runs before the student's code

    del sys.path[0]
else:  # imported (documentation, doctests): nothing runs
    from coursekit.homework import wire

_OPERATORS = {
    name: getattr(operator, name)
    for name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg", "pos",
                 "abs", "getitem")
}
_OPERATORS.update({"float": float, "int": int, "bool": bool, "len": len, "complex": complex,
                   "index": operator.index, "iter": lambda obj: list(obj)})


class ForbiddenCallError(RuntimeError):
    """Raised by a forbidden callable while the question that forbids it is graded."""


namespace = {"__name__": "__main__", "__builtins__": builtins}
setup = {}  # name -> function or class defined by a locked setup cell
handles = []
tripped = []


def _register(obj):
    handles.append(obj)
    return len(handles) - 1


def _resolve(hid):
    if not 0 <= hid < len(handles):
        raise wire.WireError("unknown handle")
    return handles[hid]


def _target(spec):
    if isinstance(spec, dict) and set(spec) == {"$name"}:
        name = spec["$name"]
        if name not in namespace:
            raise NameError(name)
        return namespace[name]
    return wire.decode(spec, setup, _resolve)


def _defined_names(source):
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
    return names


class _Tripwire:
    def __init__(self, dotted):
        self.saved = []
        for name in dotted:
            module_name, _, attr = name.rpartition(".")
            module = sys.modules.get(module_name)  # never import (torch costs seconds): a
            if module is None:  # module not imported yet cannot be called through
                continue
            try:
                original = getattr(module, attr)
            except Exception:
                continue
            self.saved.append((module, attr, original))

    def __enter__(self):
        for module, attr, _ in self.saved:
            name = f"{module.__name__}.{attr}"

            def raiser(*args, _name=name, **kwargs):
                tripped.append(_name)
                raise ForbiddenCallError(_name)

            setattr(module, attr, raiser)

    def __exit__(self, *exc):
        for module, attr, original in self.saved:
            try:
                setattr(module, attr, original)
            except Exception:
                pass


def _same(a, b):
    import numpy

    return bool(numpy.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _errstate(state):
    """The caller's NumPy error state (e.g. over="raise") for the duration of a call."""
    numpy = sys.modules.get("numpy")
    if numpy is None or not isinstance(state, dict):
        return contextlib.nullcontext()
    modes = ("ignore", "warn", "raise", "print", "log")
    clean = {k: v for k, v in state.items()
             if k in ("divide", "over", "under", "invalid") and v in modes}
    return numpy.errstate(**clean)


def _error(exc):
    bases = [c.__name__ for c in type(exc).__mro__
             if getattr(builtins, c.__name__, None) is c and issubclass(c, BaseException)]
    return {"error": type(exc).__name__[:80], "bases": bases}


def _value(result):
    return {"value": wire.encode(result, setup, _register)}


def handle(request):
    op = request.get("op")
    if op == "exec":
        source = request["source"]
        try:
            code = compile(source, f"<{request.get('kind', 'cell')}>", "exec")
            with _Tripwire(request.get("forbid") or []):  # `from m import f as g` binds the wire
                exec(code, namespace)
        except BaseException as exc:  # the student's code may raise anything, SystemExit too
            return _error(exc)
        if request.get("kind") == "setup":
            for name in _defined_names(source):
                if name in namespace:
                    setup[name] = namespace[name]
        return {"ok": True}
    if op == "get":
        name = request["name"]
        if name not in namespace:
            return {"missing": True}
        return _value(namespace[name])
    if op == "call":
        target = _target(request["target"])
        args = wire.decode(request["args"], setup, _resolve)
        kwargs = wire.decode(request["kwargs"], setup, _resolve)
        del tripped[:]
        arrays = wire.arrays_in([args, kwargs])
        before = [a.copy() for a in arrays]
        try:
            with _Tripwire(request.get("forbid") or []), _errstate(request.get("errstate")):
                result = target(*args, **kwargs)
        except BaseException as exc:
            reply = _error(exc)
        else:
            reply = _value(result)
        changed = [[i, wire.encode(a)] for i, (a, b) in enumerate(zip(arrays, before, strict=True))
                   if a.shape != b.shape or a.dtype != b.dtype
                   or not _same(a, b)]
        if changed:
            reply["mutated"] = changed
        if tripped:
            reply = {"error": "ForbiddenCallError", "bases": [], "tripped": sorted(set(tripped))}
        return reply
    if op == "getattr":
        target = _target(request["target"])
        try:
            result = getattr(target, request["attr"])
        except BaseException as exc:
            return _error(exc)
        return _value(result)
    if op == "apply":
        function = _OPERATORS[request["fn"]]
        args = wire.decode(request["args"], setup, _resolve)
        try:
            result = function(*args)
        except BaseException as exc:
            return _error(exc)
        return _value(result)
    if op == "array":
        import numpy as np

        target = _target(request["target"])
        try:
            result = np.asarray(target)
        except BaseException as exc:
            return _error(exc)
        return _value(result)
    return {"error": "ProtocolError", "bases": []}


def main():
    wire.send(OUT, {"ready": True})
    while True:
        try:
            request = wire.recv(IN)
        except wire.WireError:
            os._exit(0)
        try:
            reply = handle(request)
            wire.send(OUT, reply)
        except wire.WireError:  # the reply is over the size cap
            wire.send(OUT, {"error": "OutputTooLarge", "bases": []})
        except BaseException as exc:  # a bad request, or a value that cannot be encoded
            wire.send(OUT, {"error": type(exc).__name__[:80], "bases": [], "protocol": True})


if __name__ == "__main__":
    main()
