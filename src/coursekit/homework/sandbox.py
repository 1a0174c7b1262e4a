"""One student's code in a throw-away sandbox, and the proxies the trusted tests call it through.

A :class:`Session` starts :mod:`coursekit.homework._sandbox_server` under ``bwrap`` (Debian's
``bubblewrap``): every namespace unshared (no network, its own PID namespace, killed with the
grader), all capabilities dropped, an unprivileged uid, read-only binds of only the Python
installation, the virtual environment, system libraries and the book's ``src/coursekit``; a
private ``/tmp`` and ``$HOME`` on size-capped tmpfs; an address-space limit. The gradebook, the
instructor notebooks, other students' files and the output folder do not exist inside.

The session executes the locked setup cells and the student's answer cells in the sandbox, each
under a deadline enforced from outside (SIGKILL of the whole sandbox). Tests never run there: they
run in the trusted process, where each name a question defines is bound to a :class:`Remote`
proxy; calling it sends the arguments as data (:mod:`coursekit.homework.wire`), the sandbox calls
the student's function and sends back data or a handle. A sandbox killed by a deadline or by the
student's code is started afresh for the next question.

Taught in: not taught; the trusted grader behind ``python -m coursekit.homework grade``.
"""

from __future__ import annotations

import builtins
import os
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from coursekit.homework import wire

__all__ = [
    "Session",
    "Remote",
    "SandboxTimeout",
    "SandboxDied",
    "StudentError",
    "sandbox_available",
    "MEMORY_LIMIT",
]

#: Address-space limit of a sandbox, in bytes (torch + numpy + sklearn need about 1 GiB).
MEMORY_LIMIT = 3 * 2**30
#: Size of the sandbox's private /tmp and $HOME (each), in bytes.
TMPFS_BYTES = 64 * 2**20
SERVER = Path(__file__).with_name("_sandbox_server.py")
PACKAGE = Path(__file__).resolve().parents[1]  # src/coursekit
_STUDENT_HOME = "/home/student"


class SandboxTimeout(BaseException):
    """The student's code ran past its deadline; the sandbox was killed.

    A ``BaseException``: a test's ``except Exception`` cannot swallow it.
    """


class SandboxDied(BaseException):
    """The sandbox stopped (killed by the student's code, out of memory) or broke the protocol."""


class StudentError(Exception):
    """The student's code raised an exception that is not a builtin one (only its type is known)."""


def exception_name(name) -> str:
    """The type name of an exception of the student's code, as safe text (an identifier)."""
    name = str(name)[:80]
    return name if name.isidentifier() and name.isascii() else "an exception"


def _student_exception(reply: dict) -> BaseException:
    name = exception_name(reply.get("error", "Exception"))
    bases = [b for b in reply.get("bases", []) if isinstance(b, str)]
    cls = StudentError
    for candidate in [name, *bases]:
        found = getattr(builtins, candidate, None)
        if (isinstance(found, type) and issubclass(found, Exception)
                and candidate not in ("BaseException",)):
            cls = found
            break
    try:
        exc = cls(f"raised by the submitted code: {name}")
    except Exception:
        exc = StudentError(f"raised by the submitted code: {name}")
    exc.coursekit_student = name
    return exc


def sandbox_available() -> str | None:
    """The path of a working ``bwrap``, or None when there is none (or it cannot run here)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    try:
        proc = subprocess.run([path, "--unshare-all", "--ro-bind", "/", "/", "true"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if proc.returncode == 0 else None


def _limits(memory: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (TMPFS_BYTES, TMPFS_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _bwrap_command(bwrap: str) -> list[str]:
    prefix = Path(sys.prefix).resolve()
    base = Path(sys.base_prefix).resolve()
    cmd = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--uid", "65534", "--gid", "65534", "--ro-bind", "/usr", "/usr",
           # The private /tmp and home come first: the environment may live below /tmp (a CI
           # clone, say), and its read-only binds below must land on top of the empty tmpfs.
           "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp",
           "--perms", "0700", "--size", str(TMPFS_BYTES), "--tmpfs", _STUDENT_HOME]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    for path in sorted({base, prefix}):
        if not str(path).startswith("/usr/"):
            cmd += ["--ro-bind", str(path), str(path)]
    cmd += [
        "--ro-bind", str(PACKAGE), "/opt/coursekit/coursekit",
        "--proc", "/proc", "--dev", "/dev", "--chdir", _STUDENT_HOME, "--clearenv",
    ]
    return cmd


def _environment(home: str) -> dict[str, str]:
    return {
        "HOME": home, "PATH": "/usr/bin:/bin", "PYTHONPATH": "/opt/coursekit",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "COURSEKIT_DEVICE": "cpu", "COURSEKIT_PROGRESS": "0", "LANG": "C.UTF-8",
    }


class _Process:
    """The sandbox process and its two pipes; every read has a deadline."""

    def __init__(self, bwrap: str | None, memory: int) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self.tmp = None
        python = str(Path(sys.prefix).resolve() / "bin" / "python")
        if not Path(python).exists():
            python = sys.executable
        if bwrap:
            cmd = _bwrap_command(bwrap)
            for key, value in _environment(_STUDENT_HOME).items():
                cmd += ["--setenv", key, value]
            cmd += ["--", python, "/opt/coursekit/coursekit/homework/_sandbox_server.py",
                    str(to_child_r), str(from_child_w)]
            env, cwd = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, None
        else:  # --unsafe-no-sandbox: same protocol and limits, no isolation of the filesystem
            self.tmp = tempfile.mkdtemp(prefix="coursekit-unsafe-")
            env = _environment(self.tmp)
            env["PYTHONPATH"] = str(PACKAGE.parent)
            cmd = [python, str(SERVER), str(to_child_r), str(from_child_w)]
            cwd = self.tmp
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_child_r, from_child_w), env=env, cwd=cwd, start_new_session=True,
            preexec_fn=_limits(memory),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.write_fd, self.read_fd = to_child_w, from_child_r
        os.set_blocking(self.write_fd, False)

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.write_fd, self.read_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.write_fd = self.read_fd = -1
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def _wait(self, fd: int, deadline: float, write: bool = False) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SandboxTimeout()
        ready = select.select([], [fd], [], remaining) if write else select.select([fd], [], [],
                                                                                     remaining)
        if not (ready[1] if write else ready[0]):
            raise SandboxTimeout()

    def wait_ready(self, deadline: float) -> None:
        """Wait for the server's first message (it is running and owns its pipes)."""
        wire.recv(self.read_fd, wait=lambda: self._wait(self.read_fd, deadline))

    def request(self, message: dict, deadline: float) -> dict:
        try:
            payload = wire.json.dumps(message, separators=(",", ":")).encode("utf-8")
            data = memoryview(struct.pack(">Q", len(payload)) + payload)
            while data:
                self._wait(self.write_fd, deadline, write=True)
                try:
                    n = os.write(self.write_fd, data)
                except BlockingIOError:
                    continue
                data = data[n:]
            return wire.recv(self.read_fd, wait=lambda: self._wait(self.read_fd, deadline))
        except (BrokenPipeError, OSError, wire.WireError) as exc:
            raise SandboxDied(type(exc).__name__) from None


class Session:
    """The sandboxed side of one submission: setup and answer cells, restarted when needed.

    Parameters
    ----------
    cells : list of (kind, source, question)
        ``kind`` is ``"setup"`` (a locked code cell, trusted) or ``"answer"`` (the student's
        answer cell of ``question``), in notebook order.
    cell_timeout : float
        Seconds an answer cell may run when executed.
    notebook_deadline : float
        ``time.monotonic()`` after which nothing more runs for this submission.
    bwrap : str or None
        Path of ``bwrap``; None runs without a sandbox (``--unsafe-no-sandbox``).
    memory : int
        Address-space limit in bytes.
    forbid : dict, optional
        Question to its forbidden dotted names: they raise while its answer cell runs (so that
        ``from numpy.linalg import svd as s`` binds the tripwire).
    """

    def __init__(self, cells, cell_timeout: float, notebook_deadline: float,
                 bwrap: str | None, memory: int = MEMORY_LIMIT, forbid=None) -> None:
        self.cells = list(cells)
        self.forbid = dict(forbid or {})
        self.cell_timeout = cell_timeout
        self.notebook_deadline = notebook_deadline
        self.bwrap = bwrap
        self.memory = memory
        self.process: _Process | None = None
        self.generation = 0
        self.skip: dict[str, str] = {}  # question -> why its answer cell is no longer executed
        self.answer_errors: dict[str, str] = {}  # question -> exception type of its answer cell
        self.starts = 0
        self.tripped: list[str] = []

    # ----------------------------------------------------------------- lifecycle
    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None

    def _deadline(self, deadline: float | None) -> float:
        return min(self.notebook_deadline, deadline if deadline is not None else float("inf"))

    def ensure(self) -> None:
        """Start the sandbox (and run setup and answer cells) unless it is running."""
        while self.process is None:
            if time.monotonic() >= self.notebook_deadline:
                raise SandboxTimeout()
            self.starts += 1
            self.generation += 1
            self.answer_errors.clear()
            process = _Process(self.bwrap, self.memory)
            start_deadline = self._deadline(time.monotonic() + 120)
            try:
                process.wait_ready(start_deadline)
            except (wire.WireError, OSError, SandboxTimeout, SandboxDied):
                process.kill()
                raise SandboxDied("the sandbox did not start") from None
            self.process = process
            for kind, source, question in self.cells:
                if kind == "answer" and question in self.skip:
                    continue
                limit = self.cell_timeout if kind == "answer" else max(self.cell_timeout, 120)
                try:
                    reply = process.request(
                        {"op": "exec", "kind": kind, "source": source,
                         "forbid": self.forbid.get(question, []) if kind == "answer" else []},
                        self._deadline(time.monotonic() + limit))
                except (SandboxTimeout, SandboxDied) as exc:
                    process.kill()
                    self.process = None
                    if kind != "answer":
                        raise
                    if time.monotonic() >= self.notebook_deadline:
                        raise
                    self.skip[question] = ("timeout" if isinstance(exc, SandboxTimeout)
                                           else "died")
                    break  # start again without this answer cell
                if kind == "answer" and "error" in reply:
                    self.answer_errors[question] = exception_name(reply["error"])

    # ----------------------------------------------------------------- requests
    def request(self, message: dict, deadline: float | None = None) -> dict:
        """Send one request to a running sandbox; a timeout or death kills it (and re-raises)."""
        self.ensure()
        try:
            reply = self.process.request(message, self._deadline(deadline))
        except (SandboxTimeout, SandboxDied):
            self.close()
            raise
        if reply.get("protocol"):
            raise SandboxDied("protocol error")
        return reply


class Remote:
    """A name or an object that lives in the sandbox; calls and attribute reads are forwarded."""

    __slots__ = ("_client", "_target", "_generation", "_type")
    _coursekit_remote = True

    def __init__(self, client, target: dict, generation: int | None, type_name: str = "object"):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_generation", generation)
        object.__setattr__(self, "_type", type_name)

    def __call__(self, *args, **kwargs):
        return self._client.call(self, args, kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._client.getattr(self, name)

    def __setattr__(self, name, value):
        raise AttributeError("cannot set attributes of an object of the submitted code")

    def __repr__(self):
        return "<object of the submitted code>"

    def __array__(self, dtype=None, copy=None):
        value = self._client.array(self)
        return np.asarray(value, dtype=dtype)

    def __iter__(self):
        return iter(self._client.apply("iter", (self,)))

    def __hash__(self):
        return id(self)

    def __bool__(self):
        return True


def _binary(fn, reflected=False):
    def method(self, other):
        args = (other, self) if reflected else (self, other)
        return self._client.apply(fn, args)
    return method


def _unary(fn):
    def method(self):
        return self._client.apply(fn, (self,))
    return method


for _fn in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    setattr(Remote, f"__{_fn}__", _binary(_fn))
    setattr(Remote, f"__r{_fn}__", _binary(_fn, reflected=True))
# Comparisons and truth are NOT forwarded: an object of the student's whose __eq__ always says
# True (the "always equal" trick) compares by identity here, so `assert result == expected`
# fails unless the result is data.
Remote.__getitem__ = _binary("getitem")
for _fn in ("neg", "pos", "abs", "float", "int", "len", "complex", "index"):
    setattr(Remote, f"__{_fn}__", _unary(_fn))


_ERR_KEYS = ("divide", "over", "under", "invalid")
_ERR_MODES = ("ignore", "warn", "raise", "call", "print", "log")


class Client:
    """Turns proxy operations into sandbox requests under the current question's deadline.

    A call also carries the test's NumPy error state (``np.errstate(over="raise")`` around a call
    applies inside the sandbox too, so a ``FloatingPointError`` reaches the test), and an array
    argument that the student's code changes in place is changed in the test too (so that a test
    can check that its input was left alone)."""

    def __init__(self, session: Session, setup: dict) -> None:
        self.session = session
        self.setup = setup
        self.deadline: float | None = None
        self.forbid: list[str] = []

    def _encode(self, value):
        return wire.encode(value, self.setup, self._handle_out)

    def _handle_out(self, obj):
        if isinstance(obj, Remote):
            if obj._generation not in (None, self.session.generation):
                raise SandboxDied("an object of an earlier sandbox was used")
            if "$h" in obj._target:
                return obj._target["$h"]
        raise wire.CrossingError(
            f"a value of type {type(obj).__name__} cannot be passed to the student's code "
            "(see the crossing rules in the README)")

    def _target(self, remote: Remote):
        target = remote._target
        if remote._generation not in (None, self.session.generation):
            raise SandboxDied("an object of an earlier sandbox was used")
        return target

    def _reply(self, reply: dict):
        if "error" in reply:
            if reply.get("tripped"):
                self.session.tripped += [str(t) for t in reply["tripped"]][:20]
            raise _student_exception(reply)
        generation = self.session.generation
        try:
            return wire.decode(reply.get("value"), self.setup,
                               lambda hid: Remote(self, {"$h": hid}, generation))
        except wire.WireError:
            self.session.close()
            raise SandboxDied("malformed reply") from None

    def _send(self, message: dict):
        self.session.ensure()
        return self._reply(self.session.request(message, self.deadline))

    def call(self, remote: Remote, args, kwargs):
        self.session.ensure()
        target = self._target(remote)
        errstate = {k: v for k, v in np.geterr().items() if k in _ERR_KEYS and v in _ERR_MODES}
        message = {"op": "call", "target": target, "args": self._encode(list(args)),
                   "kwargs": self._encode(dict(kwargs)), "forbid": self.forbid,
                   "errstate": errstate}
        self.session.ensure()
        reply = self.session.request(message, self.deadline)
        self._write_back(wire.arrays_in([list(args), dict(kwargs)]), reply.get("mutated"))
        return self._reply(reply)

    def _write_back(self, arrays, mutated) -> None:
        """Copy into the test's arrays what the student's code changed in them (in place)."""
        if not isinstance(mutated, list):
            return
        for item in mutated[:len(arrays)]:
            try:
                index, data = item
                new = wire.decode(data)
                target = arrays[index]
                if (isinstance(new, np.ndarray) and new.shape == target.shape
                        and target.flags.writeable):
                    target[...] = new.astype(target.dtype, copy=False)
            except (wire.WireError, TypeError, ValueError, IndexError):
                continue

    def getattr(self, remote: Remote, name: str):
        self.session.ensure()
        return self._send({"op": "getattr", "target": self._target(remote), "attr": name})

    def apply(self, fn: str, args):
        self.session.ensure()
        return self._send({"op": "apply", "fn": fn, "args": self._encode(list(args))})

    def array(self, remote: Remote):
        self.session.ensure()
        return self._send({"op": "array", "target": self._target(remote)})

    def bind(self, name: str):
        """What the trusted tests see for the student's top-level ``name``.

        Data is fetched by value; anything else becomes a :class:`Remote` that names ``name`` (so
        it survives a restart of the sandbox). Raises KeyError when the student did not define it.
        """
        reply = self.session.request({"op": "get", "name": name}, self.deadline)
        if reply.get("missing"):
            raise KeyError(name)
        value = self._reply(reply)
        if isinstance(value, Remote):
            return Remote(self, {"$name": name}, None)
        return value
