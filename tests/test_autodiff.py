"""Forward mode (Dual) and reverse mode (Value) against torch.autograd, closed forms and finite
differences."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from coursekit import autodiff as ad
from coursekit.autodiff import Dual, Value

# name -> (our function, torch function, a domain sampler range)
UNARY = {
    "log": (ad.log, torch.log, (0.2, 3.0)),
    "exp": (ad.exp, torch.exp, (-2.0, 2.0)),
    "sin": (ad.sin, torch.sin, (-3.0, 3.0)),
    "cos": (ad.cos, torch.cos, (-3.0, 3.0)),
    "tanh": (ad.tanh, torch.tanh, (-3.0, 3.0)),
    "sigmoid": (ad.sigmoid, torch.sigmoid, (-6.0, 6.0)),
    "sqrt": (ad.sqrt, torch.sqrt, (0.2, 3.0)),
    "relu": (ad.relu, torch.relu, (0.1, 3.0)),
    "neg_relu": (lambda x: ad.relu(-1.0 * x), lambda x: torch.relu(-x), (0.1, 3.0)),
}

BINARY = {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: 1.5 + b,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: 2.0 - b,
    "mul": lambda a, b: a * b,
    "rmul": lambda a, b: 3.0 * a,
    "div": lambda a, b: a / b,
    "rdiv": lambda a, b: 2.0 / b,
    "neg": lambda a, b: -a,
    "pow_const": lambda a, b: a**3,
    "pow_frac": lambda a, b: b**0.5,
    "pow_var": lambda a, b: b**a,
    "rpow": lambda a, b: 2.0**a,
}


def _torch_grad(f, xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    out.backward()
    return out.item(), np.array([t.grad.item() if t.grad is not None else 0.0 for t in ts])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ops_match_torch_in_both_modes(name):
    ours, theirs, (lo, hi) = UNARY[name]
    for x in np.linspace(lo, hi, 7):
        val, grad = _torch_grad(theirs, [x])
        d = ours(Dual(x, 1.0))
        v = Value(x)
        out = ours(v)
        out.backward()
        assert_allclose([d.val, out.data, ours(float(x))], val, rtol=1e-14, atol=1e-15)
        assert_allclose([d.dot, v.grad], grad[0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_match_torch_in_both_modes(name):
    op = BINARY[name]
    for a, b in [(0.7, 1.9), (1.3, 0.4), (2.5, 3.0)]:
        val, grad = _torch_grad(op, [a, b])
        fwd = [op(Dual(a, 1.0), Dual(b, 0.0)), op(Dual(a, 0.0), Dual(b, 1.0))]
        fwd = [r if isinstance(r, Dual) else Dual(r) for r in fwd]
        va, vb = Value(a), Value(b)
        out = op(va, vb)
        out.backward()
        assert_allclose([fwd[0].val, out.data], val, rtol=1e-14)
        assert_allclose([fwd[0].dot, fwd[1].dot], grad, rtol=1e-12, atol=1e-15)
        assert_allclose([va.grad, vb.grad], grad, rtol=1e-12, atol=1e-15)


def seed_f(x1, x2):
    """The chapter's example y = ln x1 + x1 x2 - sin x2."""
    return ad.log(x1) + x1 * x2 - ad.sin(x2)


def seed_grad(x1, x2):
    """Its gradient by hand: (1/x1 + x2, x1 - cos x2)."""
    return np.array([1.0 / x1 + x2, x1 - math.cos(x2)])


def test_seed_example_matches_closed_form_at_2_5():
    x1, x2 = 2.0, 5.0
    exact_value = math.log(x1) + x1 * x2 - math.sin(x2)
    v_fwd, g_fwd = ad.forward_gradient(seed_f, [x1, x2])
    v_rev, g_rev = ad.reverse_gradient(seed_f, [x1, x2])
    assert_allclose([v_fwd, v_rev], exact_value, rtol=1e-15)
    assert_allclose(g_fwd, seed_grad(x1, x2), rtol=1e-15)
    assert_allclose(g_rev, seed_grad(x1, x2), rtol=1e-15)
    # the first partial is exactly 1/2 + 5 in floating point
    assert g_fwd[0] == 5.5


@settings(max_examples=40, deadline=None)
@given(st.floats(0.05, 10.0), st.floats(-10.0, 10.0))
def test_seed_example_at_random_points(x1, x2):
    _, g_fwd = ad.forward_gradient(seed_f, [x1, x2])
    _, g_rev = ad.reverse_gradient(seed_f, [x1, x2])
    exact = seed_grad(x1, x2)
    assert_allclose(g_fwd, exact, rtol=1e-12, atol=1e-12)
    assert_allclose(g_rev, exact, rtol=1e-12, atol=1e-12)


def composite(*x):
    """A function of 5 inputs that uses every operation, with shared sub-expressions."""
    a, b, c, d, e = x
    s = ad.sigmoid(a * b - c)
    t = ad.tanh(s / (1.0 + d * d)) + ad.exp(-e) * ad.cos(a)
    return t * s + ad.sqrt(1.0 + c * c) ** 1.5 - ad.log(2.0 + ad.sin(b)) + ad.relu(e - a) + d / e


def composite_torch(*x):
    a, b, c, d, e = x
    s = torch.sigmoid(a * b - c)
    t = torch.tanh(s / (1.0 + d * d)) + torch.exp(-e) * torch.cos(a)
    return t * s + torch.sqrt(1.0 + c * c) ** 1.5 - torch.log(2.0 + torch.sin(b)) \
        + torch.relu(e - a) + d / e


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.2, 2.0), min_size=5, max_size=5))
def test_composite_function_three_ways_agree_with_torch(x):
    val, grad = _torch_grad(composite_torch, x)
    v_fwd, g_fwd = ad.forward_gradient(composite, x)
    v_rev, g_rev = ad.reverse_gradient(composite, x)
    assert_allclose([v_fwd, v_rev], val, rtol=1e-13)
    assert_allclose(g_fwd, grad, rtol=1e-11, atol=1e-13)
    assert_allclose(g_rev, grad, rtol=1e-11, atol=1e-13)
    # relu has a kink where e == a; away from it finite differences agree too
    if abs(x[4] - x[0]) > 1e-3:
        g_fd = ad.finite_difference_gradient(composite, x)
        assert_allclose(g_fd, grad, rtol=1e-6, atol=1e-8)


def test_vector_tangent_gives_the_whole_gradient_in_one_pass():
    x = [0.3, 1.1, 0.7, 1.9, 0.5]
    duals = [Dual(xi, np.eye(5)[i]) for i, xi in enumerate(x)]
    out = composite(*duals)
    _, grad = _torch_grad(composite_torch, x)
    assert out.dot.shape == (5,)
    assert_allclose(out.dot, grad, rtol=1e-11, atol=1e-13)


def test_shared_nodes_accumulate_and_backward_is_idempotent():
    x = Value(3.0)
    y = x * x + x  # x is used three times: dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0
    y.backward()  # resets, does not accumulate across calls
    assert x.grad == 7.0
    # a diamond: u feeds two branches that meet again
    u = x * 2.0
    z = ad.sin(u) * ad.cos(u)  # = sin(2u)/2 -> dz/dx = 2 cos(2u)
    z.backward()
    assert_allclose(x.grad, 2.0 * math.cos(2.0 * u.data), rtol=1e-14)


def test_topological_order_puts_inputs_first():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    y = seed_f(x1, x2)
    order = y.topological_order()
    position = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is y
    assert len(order) == len(set(position))
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_long_chain_needs_no_recursion_and_matches_forward_mode():
    # 3000 steps of the logistic map: deeper than Python's recursion limit
    def logistic(x, n=3000):
        for _ in range(n):
            x = 3.2 * x * (1.0 - x)
        return x

    v = Value(0.3)
    out = logistic(v)
    out.backward()
    d = logistic(Dual(0.3, 1.0))
    assert_allclose(out.data, d.val, rtol=1e-12)
    assert_allclose(v.grad, d.dot, rtol=1e-9)


def test_logistic_map_derivative_matches_its_closed_form():
    # l_{n+1} = 4 l_n (1 - l_n), l_1 = x; with x = sin^2(t), l_n = sin^2(2^{n-1} t), so
    # dl_n/dx = 2^{n-1} sin(2^n t) / sin(2t).
    t = 0.3
    x = math.sin(t) ** 2
    d = Dual(x, 1.0)
    for n in range(1, 8):
        exact = 2 ** (n - 1) * math.sin(2**n * t) / math.sin(2 * t)
        assert_allclose(d.dot, exact, rtol=1e-9)
        d = 4 * d * (1 - d)


def test_forward_difference_error_is_smallest_near_sqrt_eps():
    f = lambda x: math.exp(x)  # noqa: E731 - |f| = |f''| at every x: optimum h = 2 sqrt(eps)
    hs = np.logspace(-14, -2, 49)
    err = [abs(ad.finite_difference_gradient(f, [1.0], h, "forward")[0] - math.e) for h in hs]
    h_best = hs[int(np.argmin(err))]
    assert abs(math.log10(h_best / math.sqrt(np.finfo(float).eps))) <= 1.0


def test_bad_inputs_raise_with_the_argument_named():
    with pytest.raises(ValueError, match="log: x must be positive"):
        ad.log(Dual(0.0, 1.0))
    with pytest.raises(ValueError, match="log: x must be positive"):
        ad.log(Value(-1.0))
    with pytest.raises(ValueError, match="log: x must be positive"):
        ad.log(-2.0)
    with pytest.raises(ValueError, match="sqrt: x"):
        ad.sqrt(Value(0.0))
    with pytest.raises(TypeError, match="val"):
        Dual("2")
    with pytest.raises(TypeError, match="dot"):
        Dual(1.0, "a")
    with pytest.raises(TypeError, match="data"):
        Value(None)
    with pytest.raises(TypeError, match="x must be"):
        ad.sin("1.0")
    with pytest.raises(TypeError):
        Dual(1.0) + Value(1.0)  # the two engines do not mix
    with pytest.raises(ValueError, match="base"):
        Dual(-1.0) ** Dual(2.0)
    with pytest.raises(ValueError, match="kind"):
        ad.finite_difference_gradient(lambda x: x, [1.0], kind="backward")
    with pytest.raises(ValueError, match="h must be positive"):
        ad.finite_difference_gradient(lambda x: x, [1.0], h=0.0)
    with pytest.raises(ValueError, match="x must be a non-empty"):
        ad.reverse_gradient(lambda x: x, [])
    with pytest.raises(TypeError, match="must return a Value"):
        ad.reverse_gradient(lambda x: 1.0, [1.0])
