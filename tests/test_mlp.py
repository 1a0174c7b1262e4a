"""The NumPy MLP's hand-written backprop against torch.autograd (float64) and finite
differences; the output-layer rules; initialization; training; bad input."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from coursekit import mlp
from coursekit.mlp import MLP

TORCH_ACT = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
             "identity": lambda z: z}


def torch_loss(net, X, y):
    """The same network and loss written with torch, in float64; returns loss and parameters."""
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.get_params()]
    a = torch.tensor(X, dtype=torch.float64)
    for l in range(net.n_layers):
        z = a @ params[2 * l].T + params[2 * l + 1]
        if l < net.n_layers - 1:
            a = TORCH_ACT[net.activation](z)
    if net.loss_name == "cross_entropy":
        loss = torch.nn.functional.cross_entropy(z, torch.as_tensor(y))
    else:
        yhat = TORCH_ACT[net.output](z)
        loss = 0.5 * ((yhat - torch.as_tensor(y, dtype=torch.float64)) ** 2).sum(1).mean()
    return loss, params


def flat(grads):
    dWs, dbs = grads
    return [g for pair in zip(dWs, dbs, strict=True) for g in pair]


def rel_err(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("sigmoid", "mse"),
                                         ("identity", "mse")])
def test_gradients_match_torch_autograd(activation, output, loss):
    rng = np.random.default_rng(1)
    net = MLP([5, 7, 6, 3], activation=activation, output=output, loss=loss, seed=2)
    X = rng.standard_normal((11, 5))
    y = rng.integers(0, 3, 11) if loss == "cross_entropy" else rng.random((11, 3))
    ours, grads = net.loss_and_grads(X, y)
    theirs, params = torch_loss(net, X, y)
    theirs.backward()
    assert_allclose(ours, theirs.item(), rtol=1e-13)
    for g, p in zip(flat(grads), params, strict=True):
        assert rel_err(g, p.grad.numpy()) < 1e-10


def test_gradients_match_central_finite_differences():
    rng = np.random.default_rng(3)
    net = MLP([4, 6, 3], activation="tanh", seed=0)
    X, y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    _, grads = net.loss_and_grads(X, y)
    params = net.get_params()
    h = 1e-6
    for k, g in enumerate(flat(grads)):
        fd = np.zeros_like(g)
        for idx in np.ndindex(g.shape):
            plus = [p.copy() for p in params]
            minus = [p.copy() for p in params]
            plus[k][idx] += h
            minus[k][idx] -= h
            net.set_params(plus)
            lp = net.loss(X, y)
            net.set_params(minus)
            lm = net.loss(X, y)
            fd[idx] = (lp - lm) / (2 * h)
        assert rel_err(g, fd) < 1e-7


def test_output_layer_rules():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    _, dz = mlp.softmax_cross_entropy(z, y)
    assert_allclose(dz, (mlp.softmax(z) - mlp.one_hot(y, 4)) / 6, atol=1e-16)
    # sigmoid output with squared error: delta = (yhat - y) yhat (1 - yhat) / N
    net = MLP([3, 2], activation="tanh", output="sigmoid", loss="mse", seed=0)
    X, t = rng.standard_normal((6, 3)), rng.random((6, 2))
    yhat = net.forward(X)
    _, delta = net.output_error(t)
    assert_allclose(delta, (yhat - t) * yhat * (1 - yhat) / 6, rtol=1e-14)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (3, 5), elements=st.floats(-50, 50)), st.floats(-1e3, 1e3))
def test_softmax_is_a_distribution_and_shift_invariant(z, c):
    p = mlp.softmax(z)
    assert np.all(p >= 0)
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(mlp.softmax(z + c), p, atol=1e-10)


def test_stable_functions_do_not_overflow():
    z = np.array([[1000.0, 0.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        assert_allclose(mlp.softmax(z), [[1.0, 0.0, 0.0]])
        loss, _ = mlp.softmax_cross_entropy(z, np.array([2]))
        s = mlp.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert_allclose(loss, 2000.0)
    assert_allclose(s, [0.0, 0.5, 1.0])


def test_activation_derivatives_match_autograd():
    z = np.linspace(-4, 4, 41) + 0.05  # avoids relu's kink at 0
    for name, (f, df) in mlp.ACTIVATIONS.items():
        t = torch.tensor(z, requires_grad=True)
        TORCH_ACT[name](t).sum().backward()
        assert_allclose(f(z), TORCH_ACT[name](torch.tensor(z)).numpy(), rtol=1e-14, atol=1e-300)
        assert_allclose(df(z), t.grad.numpy(), rtol=1e-12, atol=1e-15, err_msg=name)


def test_initialization_variance_and_reproducibility():
    W_he, _ = mlp.init_params([400, 300], "he", seed=0)
    W_xa, b = mlp.init_params([400, 300], "xavier", seed=0)
    assert abs(W_he[0].var() / (2 / 400) - 1) < 0.02
    assert abs(W_xa[0].var() / (2 / 700) - 1) < 0.02
    assert np.all(b[0] == 0)
    again, _ = mlp.init_params([400, 300], "he", seed=0)
    assert np.array_equal(W_he[0], again[0])
    assert MLP([3, 4, 2], activation="relu").weights[0].shape == (4, 3)


def test_sgd_trains_a_small_classifier():
    rng = np.random.default_rng(0)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    y = rng.integers(0, 3, 300)
    X = centers[y] + 0.5 * rng.standard_normal((300, 2))
    net = MLP([2, 16, 3], activation="relu", seed=1)
    first = net.loss(X, y)
    for _ in range(200):
        _, grads = net.loss_and_grads(X, y)
        net.sgd_step(grads, lr=0.5)
    assert net.loss(X, y) < 0.3 * first
    assert np.mean(net.predict(X) == y) > 0.95


def test_bad_input_raises_with_the_argument_named():
    with pytest.raises(ValueError, match="activation='swish'"):
        MLP([2, 3, 2], activation="swish")
    with pytest.raises(ValueError, match="output='softmax' does not go with loss='mse'"):
        MLP([2, 2], output="softmax", loss="mse")
    with pytest.raises(ValueError, match="loss='hinge'"):
        MLP([2, 2], loss="hinge")
    with pytest.raises(ValueError, match="init"):
        MLP([2, 2], init="uniform")
    with pytest.raises(ValueError, match="sizes"):
        MLP([3])
    net = MLP([4, 3, 2], seed=0)
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"X must have shape \(N, 4\)"):
        net.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="y must"):
        net.loss_and_grads(np.zeros((5, 4)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="y must hold labels"):
        net.loss_and_grads(np.zeros((2, 4)), np.array([0, 7]))
    with pytest.raises(ValueError, match=r"params\[0\]"):
        net.set_params([np.zeros((2, 2))] + net.get_params()[1:])
    with pytest.raises(ValueError, match="lr"):
        net.sgd_step(net.loss_and_grads(np.zeros((2, 4)), np.array([0, 1]))[1], lr=-1.0)
    with pytest.raises(ValueError, match="y must have the shape"):
        mlp.mse(np.zeros((3, 2)), np.zeros((3, 3)))
