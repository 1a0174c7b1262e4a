r"""Two small automatic-differentiation engines: forward mode (:class:`Dual`) and reverse mode
(:class:`Value`).

Both engines differentiate a program made of elementary operations by the chain rule, one
operation at a time; they differ in the direction in which derivatives travel.

* **Forward mode.** A dual number :math:`x + \dot x\,\mathbf d` with :math:`\mathbf d^2 = 0`
  carries a value and a tangent together. Every operation maps the pair
  :math:`(x, \dot x) \mapsto (g(x),\ g'(x)\,\dot x)`, so after one pass the tangent of the
  output is the directional derivative :math:`J\dot x`. For :math:`f:\mathbb R^n\to\mathbb R`
  the full gradient costs :math:`n` passes (or a vector-valued tangent of length :math:`n`).
* **Reverse mode.** A :class:`Value` records, for each operation, its inputs and the *local*
  partial derivatives :math:`\partial v_i/\partial v_j` next to the result. ``y.backward()``
  visits the recorded graph in reverse topological order and accumulates the adjoints
  :math:`\bar v_j = \sum_{i} \bar v_i\, \partial v_i / \partial v_j` with :math:`\bar y = 1`:
  one backward sweep gives the whole gradient of a scalar function, whatever :math:`n` is.

Every operation is written with its forward value and its local derivative side by side, in
the spirit of A. Karpathy's *micrograd*; the code here is independent of it. The helpers
:func:`forward_gradient`, :func:`reverse_gradient` and :func:`finite_difference_gradient`
compute a gradient of ``f(x_1, ..., x_n)`` in the three ways compared in the chapter.

Taught in: the backprop chapter (chapters/backprop/backprop.ipynb). The optimizers chapter reuses
:class:`Value` for small examples.

References
----------
A. Griewank and A. Walther, *Evaluating Derivatives*, 2nd ed., SIAM, 2008, chapters 3-4.
A. G. Baydin, B. A. Pearlmutter, A. A. Radul and J. M. Siskind, "Automatic differentiation in
machine learning: a survey", JMLR 18(153), 2018.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from coursekit._checks import as_array, check_callable, check_choice, check_real

__all__ = [
    "Dual",
    "Value",
    "log",
    "exp",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "sqrt",
    "forward_gradient",
    "reverse_gradient",
    "finite_difference_gradient",
]


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _sigmoid(x: float) -> float:
    # Written so that neither branch overflows: exp of a non-positive number only.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# --------------------------------------------------------------------------------- forward mode
class Dual:
    r"""A dual number :math:`x + \dot x\,\mathbf d`, :math:`\mathbf d^2 = 0`: forward-mode AD.

    Arithmetic on duals is arithmetic on first-order Taylor expansions: for every smooth
    :math:`g`, :math:`g(x + \dot x\,\mathbf d) = g(x) + g'(x)\,\dot x\,\mathbf d`. Seeding an
    input with :math:`\dot x = 1` (and the other inputs with 0) makes the ``dot`` part of the
    output its partial derivative with respect to that input.

    Parameters
    ----------
    val : real
        The primal value :math:`x`.
    dot : real or numpy.ndarray, default 0.0
        The tangent :math:`\dot x`. An array of shape ``(k,)`` carries ``k`` directions at once
        (several dual units :math:`\mathbf d_1, \dots, \mathbf d_k` with
        :math:`\mathbf d_i \mathbf d_j = 0`).

    Raises
    ------
    TypeError
        If ``val`` is not a real number or ``dot`` is neither a real number nor an array.

    Examples
    --------
    >>> x = Dual(2.0, 1.0)
    >>> y = x * x + 3 * x
    >>> (y.val, y.dot)
    (10.0, 7.0)
    """

    __slots__ = ("val", "dot")

    def __init__(self, val, dot=0.0):
        self.val = check_real(val, "val")
        if _is_real(dot):
            self.dot = check_real(dot, "dot")
        elif isinstance(dot, (np.ndarray, list, tuple)):
            arr = as_array(dot, "dot")
            if arr.ndim != 1:
                raise TypeError(f"dot must be a real number or a 1-D array, got shape {arr.shape}")
            self.dot = arr
        else:
            raise TypeError(f"dot must be a real number or a 1-D array, got {type(dot).__name__}")

    @staticmethod
    def _lift(other):
        if isinstance(other, Dual):
            return other
        if _is_real(other):
            return Dual(other, 0.0)
        return None

    # --- arithmetic: value, then derivative -------------------------------------------------
    def __add__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return Dual(self.val + o.val, self.dot + o.dot)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.val, -self.dot)

    def __sub__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return Dual(self.val - o.val, self.dot - o.dot)

    def __rsub__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return o - self

    def __mul__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return Dual(self.val * o.val, self.dot * o.val + self.val * o.dot)

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        if o.val == 0.0:
            raise ZeroDivisionError("division of a Dual by a dual number whose value is zero")
        return Dual(self.val / o.val, (self.dot * o.val - self.val * o.dot) / o.val**2)

    def __rtruediv__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return o / self

    def __pow__(self, other):
        if _is_real(other):  # x**p: d = p x**(p-1) xdot
            p = float(other)
            return Dual(self.val**p, p * self.val ** (p - 1) * self.dot)
        if isinstance(other, Dual):  # x**y = exp(y log x), needs x > 0
            if self.val <= 0:
                raise ValueError(
                    f"base of x**y with a dual exponent must be positive, got {self.val}"
                )
            out = self.val**other.val
            dot = out * (other.dot * math.log(self.val) + other.val * self.dot / self.val)
            return Dual(out, dot)
        return NotImplemented

    def __rpow__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return o**self

    def __repr__(self) -> str:
        return f"Dual(val={self.val!r}, dot={self.dot!r})"


# --------------------------------------------------------------------------------- reverse mode
class Value:
    r"""A scalar node of a computational graph: reverse-mode AD (backpropagation).

    Each operation creates a new :class:`Value` holding its result ``data``, its inputs
    (``parents``) and the local derivatives :math:`\partial v_{\text{out}}/\partial v_{\text{in}}`
    of the result with respect to each input (``local_grads``), evaluated at the forward values.
    :meth:`backward` then applies

    .. math:: \bar v_j \;=\; \sum_{i:\ j \to i} \bar v_i \,\frac{\partial v_i}{\partial v_j},
              \qquad \bar y = 1,

    visiting the nodes in reverse topological order, so that every adjoint is complete before
    it is passed on.

    Parameters
    ----------
    data : real
        The forward value.
    label : str, optional
        A name shown in ``repr`` and used by the chapter's trace tables.

    Attributes
    ----------
    data : float
    grad : float
        The adjoint :math:`\partial y / \partial (\text{this node})` after ``y.backward()``.
    parents : tuple of Value
    local_grads : tuple of float
    op : str
        The operation that produced the node (``""`` for a leaf).

    Examples
    --------
    >>> x1, x2 = Value(2.0), Value(5.0)
    >>> y = log(x1) + x1 * x2 - sin(x2)
    >>> y.backward()
    >>> round(x1.grad, 4), round(x2.grad, 4)
    (5.5, 1.7163)
    """

    __slots__ = ("data", "grad", "parents", "local_grads", "op", "label")

    def __init__(self, data, label: str = "", *, _parents=(), _local_grads=(), _op: str = ""):
        self.data = check_real(data, "data")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.grad = 0.0
        self.parents = tuple(_parents)
        self.local_grads = tuple(float(g) for g in _local_grads)
        self.op = _op
        self.label = label

    @staticmethod
    def _lift(other):
        if isinstance(other, Value):
            return other
        if _is_real(other):
            return Value(other)
        return None

    def _node(self, data, parents, local_grads, op):
        return Value(data, _parents=parents, _local_grads=local_grads, _op=op)

    # --- arithmetic: value and local derivatives, side by side ------------------------------
    def __add__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return self._node(self.data + o.data, (self, o), (1.0, 1.0), "+")

    __radd__ = __add__

    def __neg__(self):
        return self._node(-self.data, (self,), (-1.0,), "neg")

    def __sub__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return self._node(self.data - o.data, (self, o), (1.0, -1.0), "-")

    def __rsub__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return o - self

    def __mul__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return self._node(self.data * o.data, (self, o), (o.data, self.data), "*")

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        if o.data == 0.0:
            raise ZeroDivisionError("division of a Value by a Value whose data is zero")
        return self._node(
            self.data / o.data, (self, o), (1.0 / o.data, -self.data / o.data**2), "/"
        )

    def __rtruediv__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return o / self

    def __pow__(self, other):
        if _is_real(other):
            p = float(other)
            return self._node(self.data**p, (self,), (p * self.data ** (p - 1),), f"**{other}")
        if isinstance(other, Value):
            if self.data <= 0:
                raise ValueError(
                    f"base of x**y with a Value exponent must be positive, got {self.data}"
                )
            out = self.data**other.data
            return self._node(
                out,
                (self, other),
                (other.data * self.data ** (other.data - 1), out * math.log(self.data)),
                "**",
            )
        return NotImplemented

    def __rpow__(self, other):
        o = self._lift(other)
        if o is None:
            return NotImplemented
        return o**self

    # --- the backward sweep -----------------------------------------------------------------
    def topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its inputs (this node last).

        An iterative depth-first search, so that long chains do not hit Python's recursion
        limit.
        """
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for parent in reversed(node.parents):
                if id(parent) not in seen:
                    stack.append((parent, False))
        return order

    def backward(self) -> None:
        r"""Fill ``grad`` of every node of the graph with :math:`\partial(\text{self})/\partial v`.

        The adjoints of the whole graph are reset to zero first, so calling ``backward`` twice
        gives the same result (it does not accumulate across calls).
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads, strict=True):
                parent.grad += node.grad * local

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"


# ------------------------------------------------------------------- elementary functions
def _apply(x, name: str, f: Callable[[float], float], df: Callable[[float], float]):
    """Apply ``f`` (derivative ``df``) to a float, a Dual or a Value."""
    if isinstance(x, Dual):
        return Dual(f(x.val), df(x.val) * x.dot)
    if isinstance(x, Value):
        return Value(f(x.data), _parents=(x,), _local_grads=(df(x.data),), _op=name)
    if _is_real(x):
        return f(float(x))
    raise TypeError(f"{name}: x must be a real number, a Dual or a Value, got {type(x).__name__}")


def _primal(x):
    if isinstance(x, Dual):
        return x.val
    if isinstance(x, Value):
        return x.data
    return x


def log(x):
    r"""Natural logarithm, :math:`(\ln x)' = 1/x`.

    Raises
    ------
    ValueError
        If the value of ``x`` is not positive.

    Examples
    --------
    >>> y = log(Dual(2.0, 1.0))
    >>> round(y.val, 6), y.dot
    (0.693147, 0.5)
    """
    v = _primal(x)
    if _is_real(v) and v <= 0:
        raise ValueError(f"log: x must be positive, got {v}")
    return _apply(x, "log", math.log, lambda t: 1.0 / t)


def sqrt(x):
    r"""Square root, :math:`(\sqrt x)' = 1/(2\sqrt x)`; ``x`` must be positive.

    Examples
    --------
    >>> y = sqrt(Dual(4.0, 1.0))
    >>> y.val, y.dot
    (2.0, 0.25)
    """
    v = _primal(x)
    if _is_real(v) and v <= 0:
        raise ValueError(f"sqrt: x must be positive (the derivative is infinite at 0), got {v}")
    return _apply(x, "sqrt", math.sqrt, lambda t: 0.5 / math.sqrt(t))


def exp(x):
    r"""Exponential, :math:`(e^x)' = e^x`.

    Examples
    --------
    >>> x = Value(0.0); y = exp(x); y.backward()
    >>> y.data, x.grad
    (1.0, 1.0)
    """
    return _apply(x, "exp", math.exp, math.exp)


def sin(x):
    r"""Sine, :math:`(\sin x)' = \cos x`.

    Examples
    --------
    >>> y = sin(Dual(0.0, 1.0))
    >>> y.val, y.dot
    (0.0, 1.0)
    """
    return _apply(x, "sin", math.sin, math.cos)


def cos(x):
    r"""Cosine, :math:`(\cos x)' = -\sin x`.

    Examples
    --------
    >>> y = cos(Dual(0.0, 1.0))
    >>> y.val, y.dot
    (1.0, -0.0)
    """
    return _apply(x, "cos", math.cos, lambda t: -math.sin(t))


def tanh(x):
    r"""Hyperbolic tangent, :math:`\tanh' = 1 - \tanh^2`.

    Examples
    --------
    >>> x = Value(0.0); y = tanh(x); y.backward()
    >>> y.data, x.grad
    (0.0, 1.0)
    """
    return _apply(x, "tanh", math.tanh, lambda t: 1.0 - math.tanh(t) ** 2)


def sigmoid(x):
    r"""Logistic sigmoid :math:`\sigma(x) = 1/(1+e^{-x})`, :math:`\sigma' = \sigma(1-\sigma)`.

    Examples
    --------
    >>> y = sigmoid(Dual(0.0, 1.0))
    >>> y.val, y.dot
    (0.5, 0.25)
    """
    return _apply(x, "sigmoid", _sigmoid, lambda t: _sigmoid(t) * (1.0 - _sigmoid(t)))


def relu(x):
    r"""Rectified linear unit :math:`\max(0, x)`; derivative 1 for x > 0, 0 otherwise.

    At the kink x = 0 the derivative 0 is used, as PyTorch does.

    Examples
    --------
    >>> relu(-2.0), relu(Dual(3.0, 1.0)).dot
    (0.0, 1.0)
    """
    return _apply(x, "relu", lambda t: max(t, 0.0), lambda t: 1.0 if t > 0 else 0.0)


# ------------------------------------------------------------------- gradients three ways
def _as_point(x, name: str = "x") -> np.ndarray:
    arr = as_array(x, name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D sequence of numbers, got shape {arr.shape}"
        )
    return arr


def forward_gradient(f: Callable, x: Sequence[float]) -> tuple[float, np.ndarray]:
    r"""Gradient of a scalar ``f(x_1, ..., x_n)`` by forward mode: ``n`` passes with duals.

    Pass ``i`` seeds :math:`\dot x = e_i` and reads :math:`\partial f/\partial x_i` off the
    output's tangent.

    Parameters
    ----------
    f : callable
        ``f(*xs)`` built from the operations of this module; returns a :class:`Dual`.
    x : sequence of float, shape (n,)

    Returns
    -------
    (value, grad) : float and numpy.ndarray of shape (n,)

    Examples
    --------
    >>> forward_gradient(lambda a, b: a * b + sin(a), [0.0, 2.0])
    (0.0, array([3., 0.]))
    """
    if not callable(f):
        raise TypeError("f must be callable as f(x_1, ..., x_n)")
    x = _as_point(x)
    grad = np.empty_like(x)
    value = math.nan
    for i in range(x.size):
        out = f(*[Dual(xj, 1.0 if j == i else 0.0) for j, xj in enumerate(x)])
        if not isinstance(out, Dual):
            raise TypeError(f"f must return a Dual for Dual inputs, got {type(out).__name__}")
        value, grad[i] = out.val, out.dot
    return float(value), grad


def reverse_gradient(f: Callable, x: Sequence[float]) -> tuple[float, np.ndarray]:
    r"""Gradient of a scalar ``f(x_1, ..., x_n)`` by reverse mode: one forward and one backward
    sweep over a graph of :class:`Value` nodes.

    Returns
    -------
    (value, grad) : float and numpy.ndarray of shape (n,)

    Examples
    --------
    >>> reverse_gradient(lambda a, b: a * b + sin(a), [0.0, 2.0])
    (0.0, array([3., 0.]))
    """
    if not callable(f):
        raise TypeError("f must be callable as f(x_1, ..., x_n)")
    x = _as_point(x)
    leaves = [Value(xi) for xi in x]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value for Value inputs, got {type(out).__name__}")
    out.backward()
    return out.data, np.array([leaf.grad for leaf in leaves])


def finite_difference_gradient(
    f: Callable, x: Sequence[float], h: float | None = None, kind: str = "central"
) -> np.ndarray:
    r"""Gradient of a scalar ``f(x_1, ..., x_n)`` (plain floats) by finite differences.

    Forward: :math:`(f(x + h e_i) - f(x))/h`, error :math:`O(h) + O(\varepsilon/h)`, best
    :math:`h \approx \sqrt{\varepsilon}`. Central: :math:`(f(x+he_i) - f(x-he_i))/(2h)`, error
    :math:`O(h^2) + O(\varepsilon/h)`, best :math:`h \approx \varepsilon^{1/3}`. The step is
    scaled by :math:`\max(1, |x_i|)`.

    Parameters
    ----------
    f : callable
        ``f(*xs) -> float``.
    x : sequence of float, shape (n,)
    h : float, optional
        Relative step; defaults to the optimum order of the chosen ``kind``.
    kind : {"central", "forward"}

    Returns
    -------
    numpy.ndarray, shape (n,)

    Examples
    --------
    >>> g = finite_difference_gradient(lambda a, b: a * b, [3.0, 2.0])
    >>> np.round(g, 8)
    array([2., 3.])
    """
    check_callable(f, "f", "f(x_1, ..., x_n)")
    check_choice(kind, "kind", ("central", "forward"))
    x = _as_point(x)
    eps = np.finfo(float).eps
    if h is None:
        h = eps ** (1 / 3) if kind == "central" else math.sqrt(eps)
    h = check_real(h, "h", positive=True)
    grad = np.empty_like(x)
    f0 = float(f(*x)) if kind == "forward" else 0.0
    for i in range(x.size):
        step = h * max(1.0, abs(x[i]))
        xp = x.copy()
        xp[i] += step
        if kind == "forward":
            grad[i] = (float(f(*xp)) - f0) / step
        else:
            xm = x.copy()
            xm[i] -= step
            grad[i] = (float(f(*xp)) - float(f(*xm))) / (2 * step)
    return grad
