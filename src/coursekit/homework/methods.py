"""Static checks of an answer's source: forbidden library calls, and constructs that attack grading.

:func:`check_method` enforces the method a question demands. An author tags a question's solution
cell ``forbid=numpy.linalg.svd`` (one tag per name); the answer's abstract syntax
tree is searched for any use of a forbidden dotted name with import aliases resolved::

    import numpy as np; np.linalg.svd            # numpy.linalg.svd
    import numpy.linalg as la; la.svd            # numpy.linalg.svd
    from numpy.linalg import svd as s; s         # numpy.linalg.svd
    from numpy import var as v; v                # numpy.var
    getattr(np.linalg, "svd")                     # numpy.linalg.svd (a literal name resolves)

Dynamic access that cannot be resolved statically (``getattr`` with a computed name,
``__import__``, ``importlib``, ``eval``, ``exec``, ``compile``, ``globals()``, ``vars()``,
``__dict__``, ``sys.modules``, ``from m import *``) counts as a violation in a question that forbids
anything. Method calls on arrays (``A.var()``) are not resolved; the tripwire in the sandbox
(a forbidden callable raises while the question is graded) is the second line.

:func:`scan_hostile` lists constructs that have no place in an answer and are the tools of the
attacks on autograders (IPython hooks, frame inspection, code-object patching, killing processes,
patching numpy): the grader scores such a question 0 with status ``integrity`` and lists it for
review.

Taught in: not taught; the trusted grader behind ``python -m coursekit.homework grade``.

Examples
--------
>>> check_method("import numpy.linalg as la\\ndef f(A):\\n    return la.svd(A)",
...              forbid=["numpy.linalg.svd"])
['numpy.linalg.svd (line 3)']
>>> check_method("def f(A):\\n    return A @ A.T", forbid=["numpy.linalg.svd"])
[]
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

__all__ = ["check_method", "scan_hostile", "parse_forbid", "resolve_names"]

_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_DYNAMIC_CALLS = {"__import__", "eval", "exec", "compile", "globals", "vars", "locals",
                  "importlib.import_module", "importlib.__import__", "builtins.__import__",
                  "builtins.eval", "builtins.exec", "builtins.getattr"}
_DYNAMIC_MODULES = ("importlib", "sys.modules", "builtins")


def parse_forbid(values) -> list[str]:
    """Validate forbidden names: dotted names such as ``numpy.linalg.svd``; comma-separated ok.

    Raises
    ------
    ValueError
        If a name is not a dotted name with at least one dot.
    """
    if isinstance(values, str):
        values = [values]
    names: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ValueError(f"forbid={value!r}: expected dotted names such as numpy.linalg.svd")
        for name in value.split(","):
            name = name.strip()
            if not _DOTTED.match(name):
                raise ValueError(
                    f"forbid={name!r}: expected a dotted name such as numpy.linalg.svd "
                    "(module path and attribute)")
            if name not in names:
                names.append(name)
    return names


class _Resolver(ast.NodeVisitor):
    """Collect every dotted name an expression refers to, with import aliases resolved."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = dict(aliases)
        self.uses: list[tuple[str, int]] = []
        self.dynamic: list[tuple[str, int]] = []

    def resolve(self, node) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "getattr" and len(node.args) >= 2):
            base = self.resolve(node.args[0])
            if base and isinstance(node.args[1], ast.Constant) and isinstance(
                    node.args[1].value, str):
                return f"{base}.{node.args[1].value}"
        return None

    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top
            self.uses.append((alias.name, node.lineno))

    def visit_ImportFrom(self, node):
        module = node.module or ""
        if node.level:
            self.dynamic.append(("relative import", node.lineno))
            return
        for alias in node.names:
            if alias.name == "*":
                self.dynamic.append((f"from {module} import *", node.lineno))
                continue
            full = f"{module}.{alias.name}"
            self.aliases[alias.asname or alias.name] = full
            self.uses.append((full, node.lineno))

    def visit_Assign(self, node):
        self.generic_visit(node)
        target = self.resolve(node.value)
        if target:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.aliases[t.id] = target

    def visit_Name(self, node):
        name = self.aliases.get(node.id)
        if name:
            self.uses.append((name, node.lineno))
        if node.id in ("__import__", "eval", "exec", "compile", "globals", "vars", "locals"):
            self.dynamic.append((node.id, node.lineno))

    def visit_Attribute(self, node):
        name = self.resolve(node)
        if name:
            self.uses.append((name, node.lineno))
        if node.attr in ("__dict__", "__getattribute__", "__builtins__", "__globals__"):
            self.dynamic.append((node.attr, node.lineno))
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "getattr":
            literal = (len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                       and isinstance(node.args[1].value, str))
            if not literal:
                self.dynamic.append(("getattr with a computed name", node.lineno))
            else:
                name = self.resolve(node)
                if name:
                    self.uses.append((name, node.lineno))
        self.generic_visit(node)


def resolve_names(source: str, context: str = "") -> tuple[list[tuple[str, int]],
                                                           list[tuple[str, int]]]:
    """Dotted names used by ``source`` (with the imports of ``context`` known) and dynamic access.

    Returns
    -------
    uses, dynamic : list of (str, int)
        ``(dotted name, line)`` of every resolved reference, and ``(construct, line)`` of every
        access that cannot be resolved statically.

    Raises
    ------
    SyntaxError
        If ``source`` does not parse.
    """
    aliases: dict[str, str] = {}
    if context:
        try:
            ctx = _Resolver({})
            ctx.visit(ast.parse(context))
            aliases = ctx.aliases
        except SyntaxError:
            pass
    resolver = _Resolver(aliases)
    resolver.visit(ast.parse(source))
    return resolver.uses, resolver.dynamic


def check_method(func_or_source, forbid, context: str = "") -> list[str]:
    """Uses of forbidden names in an answer, with import aliases and literal ``getattr`` resolved.

    Parameters
    ----------
    func_or_source : str or function
        The answer's source, or a function (its source is read with :mod:`inspect`; the imports
        of its module, or in a notebook those its globals hold, give the aliases). While the
        grader runs a test cell, the student's function is a proxy and this returns ``[]``: the
        grader checks the answer's source itself (status ``forbidden``).
    forbid : str or list of str
        Dotted names such as ``numpy.linalg.svd`` (see :func:`parse_forbid`). A module name
        (``numpy.linalg``) forbids everything in it.
    context : str, optional
        Code that ran before (the setup cells), for the imports it made (``np``).

    Returns
    -------
    list of str
        One ``"NAME (line N)"`` per violation, in source order; empty when the answer complies.
        Dynamic access (``getattr`` with a computed name, ``__import__``, ``eval``, ...) is a
        violation when ``forbid`` is not empty. Source that does not parse gives
        ``["unparsable source"]``.

    Examples
    --------
    >>> check_method("from numpy import var as v\\nx = v([1, 2])", forbid="numpy.var")
    ['numpy.var (line 1)', 'numpy.var (line 2)']
    >>> check_method("x = getattr(np, name)", forbid="numpy.var", context="import numpy as np")
    ['getattr with a computed name (line 1)']
    """
    names = parse_forbid(forbid)
    if getattr(type(func_or_source), "_coursekit_remote", False):
        return []  # a proxy to a sandbox while grading: the grader checks that answer's source
    if callable(func_or_source) and not isinstance(func_or_source, str):
        try:
            source = textwrap.dedent(inspect.getsource(func_or_source))
        except (OSError, TypeError):
            return ["source not available"]
        module = inspect.getmodule(func_or_source)
        if not context and module is not None:
            try:
                context = inspect.getsource(module)
            except (OSError, TypeError):
                context = ""
        if not context:  # in a notebook: the imports the function's globals hold
            lines = []
            for k, v in getattr(func_or_source, "__globals__", {}).items():
                if not k.isidentifier():
                    continue
                if inspect.ismodule(v):
                    lines.append(f"import {v.__name__} as {k}")
                elif (inspect.isfunction(v) or inspect.isbuiltin(v) or inspect.isclass(v)) \
                        and isinstance(getattr(v, "__module__", None), str) \
                        and v.__module__ not in ("__main__", "builtins"):
                    lines.append(f"from {v.__module__} import {v.__name__} as {k}")
            context = "\n".join(lines)
    elif isinstance(func_or_source, str):
        source = func_or_source
    else:
        raise TypeError(f"func_or_source: expected a function or a str, got "
                        f"{type(func_or_source).__name__}")
    if not names:
        return []
    try:
        uses, dynamic = resolve_names(source, context)
    except SyntaxError:
        return ["unparsable source"]
    found: list[tuple[int, str]] = []
    for name, line in uses:
        for banned in names:
            if name == banned or name.startswith(banned + "."):
                found.append((line, f"{banned} (line {line})"))
        if name.startswith(_DYNAMIC_MODULES) or name in _DYNAMIC_CALLS:
            found.append((line, f"{name} (line {line})"))
    for construct, line in dynamic:
        found.append((line, f"{construct} (line {line})"))
    out: list[str] = []
    for _, text in sorted(found, key=lambda item: item[0]):
        if text not in out:
            out.append(text)
    return out


# ----------------------------------------------------------------------------- hostile constructs
_HOSTILE_NAMES = {
    "get_ipython": "IPython hooks (get_ipython)",
    "__import__": "dynamic import (__import__)",
    "eval": "eval", "exec": "exec", "compile": "compile",
    "globals": "globals()", "breakpoint": "breakpoint",
}
_HOSTILE_ATTRS = {
    "__code__": "code-object patching (__code__)",
    "__globals__": "function globals (__globals__)",
    "__builtins__": "builtins",
    "__subclasses__": "class-hierarchy walking (__subclasses__)",
    "__closure__": "closure inspection",
    "_getframe": "frame inspection (sys._getframe)",
    "f_back": "frame inspection", "f_globals": "frame inspection", "f_locals": "frame inspection",
    "tb_frame": "frame inspection", "gi_frame": "frame inspection", "cr_frame": "frame inspection",
    "settrace": "tracing hooks", "setprofile": "tracing hooks",
    "__traceback__": "traceback inspection",
}
_HOSTILE_MODULES = {
    "ctypes": "ctypes", "gc": "the garbage collector (gc)", "inspect": "frame inspection (inspect)",
    "subprocess": "subprocess", "signal": "signal handlers", "multiprocessing": "processes",
    "builtins": "builtins", "importlib": "importlib", "IPython": "IPython",
    "sys.modules": "sys.modules", "os.kill": "os.kill", "os.killpg": "os.killpg",
    "os.fork": "os.fork", "os.forkpty": "os.fork", "os.setsid": "os.setsid",
    "os.system": "os.system", "os.popen": "os.popen", "os.spawnv": "processes",
    "os.execv": "os.exec", "os.execl": "os.exec", "os.execve": "os.exec",
    "os._exit": "os._exit", "os.getppid": "os.getppid", "os.remove": "file deletion",
    "os.unlink": "file deletion", "os.rmdir": "file deletion", "shutil": "shutil",
    "pty": "pty", "socket": "network (socket)", "threading": "threads", "atexit": "atexit",
    "sys.exit": "sys.exit", "sys.settrace": "tracing hooks", "sys.setprofile": "tracing hooks",
    "sys.excepthook": "exception hooks", "sys.displayhook": "display hooks",
}


_HOSTILE_STRINGS = (".ipython", "ipython_config", "sitecustomize", "usercustomize", ".pth")


def _write_mode(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None:
        return False
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(c in mode.value for c in "wax+")
    return True  # a computed mode


def _module_attribute_write(node, resolver: _Resolver):
    targets = []
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
    for target in targets:
        if isinstance(target, ast.Attribute):
            base = resolver.resolve(target.value)
            if base:  # an attribute of an imported module (np.linalg.norm = ...)
                return f"patching a library ({base}.{target.attr} = ...)"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "delattr") and node.args):
        base = resolver.resolve(node.args[0])
        if base:
            return f"patching a library ({node.func.id} on {base})"
    return None


def scan_hostile(source: str, context: str = "") -> list[str]:
    """Constructs in an answer that have no place there and attack grading, one line each.

    Flags IPython hooks, ``eval``/``exec``, frame and code-object access, killing or forking
    processes, ``ctypes``, ``gc``, ``subprocess``, ``signal``, ``sys.modules``, assignments to
    attributes of imported modules (``np.linalg.norm = ...``), and ``numpy.testing``.

    Returns
    -------
    list of str
        ``"construct (line N)"`` entries, in source order; empty for an honest answer.

    Examples
    --------
    >>> scan_hostile("import numpy as np\\nnp.linalg.norm = lambda x: 0")
    ['patching a library (numpy.linalg.norm = ...) (line 2)']
    >>> scan_hostile("def f(x):\\n    return x + 1")
    []
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # a syntax error simply fails the question
    resolver = _Resolver({})
    if context:
        try:
            resolver.visit(ast.parse(context))
        except SyntaxError:
            pass
    resolver.uses.clear()
    resolver.dynamic.clear()
    resolver.visit(tree)
    found: list[tuple[int, str]] = []
    for name, line in resolver.uses:
        for prefix, what in _HOSTILE_MODULES.items():
            if name == prefix or name.startswith(prefix + "."):
                found.append((line, what))
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name) and node.id in _HOSTILE_NAMES:
            found.append((line, _HOSTILE_NAMES[node.id]))
        elif isinstance(node, ast.Attribute) and node.attr in _HOSTILE_ATTRS:
            found.append((line, _HOSTILE_ATTRS[node.attr]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value in _HOSTILE_ATTRS or node.value in ("get_ipython", "__import__")):
            found.append((line, f"the string {node.value!r}"))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and any(
                mark in node.value for mark in _HOSTILE_STRINGS):
            found.append((line, "IPython or Python start-up files"))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "open" and _write_mode(node)):
            found.append((line, "writing a file"))
        what = _module_attribute_write(node, resolver)
        if what:
            found.append((line, what))
    out: list[str] = []
    for line, what in sorted(found):
        text = f"{what} (line {line})"
        if text not in out:
            out.append(text)
    return out
