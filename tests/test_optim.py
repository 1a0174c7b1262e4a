"""coursekit.optim: each update rule equals its torch.optim twin, and the conventions it states.

Oracles: ``torch.optim`` on the same float64 problem (trajectories equal to 1e-10); the
textbook forms of momentum and Nesterov after the change of variables of the module docstring;
closed forms for a constant gradient (Adam's first steps with and without bias correction) and
for gradient descent on a quadratic.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from coursekit import optim

RNG = np.random.default_rng(0)
X = RNG.standard_normal((60, 4))
Y = (X @ RNG.standard_normal(4) + RNG.standard_normal(60) > 0).astype(float)
THETA0 = RNG.standard_normal(4)


def grad(theta):
    p = 1 / (1 + np.exp(-X @ theta))
    return X.T @ (p - Y) / len(Y)


def ours(opt, steps=60):
    traj = [THETA0]
    for _ in range(steps):
        traj.append(opt.step(traj[-1], grad(traj[-1])))
    return np.array(traj)


def theirs(make, steps=60):
    w = torch.tensor(THETA0, requires_grad=True)
    opt, traj = make([w]), [THETA0]
    xt, yt = torch.from_numpy(X), torch.from_numpy(Y)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(xt @ w, yt).backward()
        opt.step()
        traj.append(w.detach().numpy().copy())
    return np.array(traj)


PAIRS = {
    "sgd": (lambda: optim.SGD(0.5), lambda p: torch.optim.SGD(p, lr=0.5)),
    "momentum": (lambda: optim.SGD(0.2, momentum=0.9),
                 lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.9)),
    "nesterov": (lambda: optim.SGD(0.2, momentum=0.8, nesterov=True),
                 lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.8, nesterov=True)),
    "adagrad": (lambda: optim.Adagrad(0.3), lambda p: torch.optim.Adagrad(p, lr=0.3)),
    "adagrad-eps": (lambda: optim.Adagrad(0.3, eps=0.1),
                    lambda p: torch.optim.Adagrad(p, lr=0.3, eps=0.1)),
    "rmsprop": (lambda: optim.RMSProp(0.01, alpha=0.9, eps=1e-3),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-3)),
    "adam": (lambda: optim.Adam(0.05), lambda p: torch.optim.Adam(p, lr=0.05)),
    "adam-betas": (lambda: optim.Adam(0.05, beta1=0.5, beta2=0.9, eps=1e-2),
                   lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.5, 0.9), eps=1e-2)),
}


@pytest.mark.parametrize("name", PAIRS)
def test_trajectory_equals_torch_optim(name):
    mine, torchs = PAIRS[name]
    a, b = ours(mine()), theirs(torchs)
    assert np.abs(a[-1] - a[0]).max() > 0.05          # the run moved
    assert_allclose(a, b, rtol=0, atol=1e-10)


def test_momentum_is_the_textbook_velocity_form():
    gamma, eta, theta, v = 0.9, 0.2, THETA0.copy(), np.zeros(4)
    textbook = [THETA0]
    for _ in range(60):
        v = gamma * v + eta * grad(theta)
        theta = theta - v
        textbook.append(theta)
    assert_allclose(ours(optim.SGD(eta, momentum=gamma)), np.array(textbook), atol=1e-12)


def test_nesterov_iterates_are_the_lookahead_points():
    gamma, eta, theta, v = 0.8, 0.2, THETA0.copy(), np.zeros(4)
    look = [THETA0]
    for _ in range(60):
        v = gamma * v + eta * grad(theta - gamma * v)
        theta = theta - v
        look.append(theta - gamma * v)
    assert_allclose(ours(optim.SGD(eta, momentum=gamma, nesterov=True)), np.array(look),
                    atol=1e-12)


def test_adagrad_accumulator_is_the_diagonal_of_the_outer_products():
    opt = optim.Adagrad(0.3)
    traj = ours(opt, steps=20)
    gs = np.array([grad(t) for t in traj[:-1]])
    assert_allclose(opt.G, np.diag(gs.T @ gs), rtol=1e-12)


def test_adam_first_steps_with_and_without_bias_correction():
    g, steps = np.array([0.3, -2.0, 5.0]), 50
    t = np.arange(1, steps + 1)
    for correct, factor in ((True, np.ones(steps)),
                            (False, (1 - 0.9**t) / np.sqrt(1 - 0.999**t))):
        opt, theta, moves = optim.Adam(1e-2, eps=0.0, correct_bias=correct), np.zeros(3), []
        for _ in range(steps):
            new = opt.step(theta, g)
            moves.append(theta - new)
            theta = new
        assert_allclose(np.array(moves), 1e-2 * factor[:, None] * np.sign(g), rtol=1e-12)


@pytest.mark.parametrize("kappa", [3.0, 50.0])
def test_gd_on_a_quadratic_contracts_at_the_optimal_rate(kappa):
    lam = np.array([1.0, kappa])
    opt, theta = optim.SGD(2 / (1 + kappa)), np.ones(2)
    for _ in range(30):
        theta = opt.step(theta, lam * theta)
    assert_allclose(np.abs(theta), ((kappa - 1) / (kappa + 1)) ** 30, rtol=1e-10)


@pytest.mark.parametrize("make", [lambda: optim.SGD(0.1, momentum=0.5),
                                  lambda: optim.Adagrad(0.1), lambda: optim.RMSProp(0.1),
                                  lambda: optim.Adam(0.1)])
def test_a_refused_step_changes_no_state_and_reset_forgets(make):
    opt = make()
    theta = opt.step(np.ones(3), np.ones(3))
    state = {k: np.copy(v) for k, v in vars(opt).items() if isinstance(v, np.ndarray)}
    t = opt.t
    with pytest.raises(ValueError, match="grad"):
        opt.step(theta, np.ones(2))                   # wrong shape
    with pytest.raises(ValueError, match="theta"):
        opt.step(np.ones(2), np.ones(2))              # the state has shape (3,)
    with pytest.raises(ValueError, match="grad"):
        opt.step(theta, np.array([1.0, np.nan, 0.0]))
    assert opt.t == t
    for k, v in state.items():
        assert_allclose(getattr(opt, k), v, rtol=0, atol=0)
    opt.reset()
    assert opt.t == 0
    assert_allclose(opt.step(np.ones(2), np.ones(2)), make().step(np.ones(2), np.ones(2)))


def test_bad_hyperparameters_raise_naming_them():
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD(0.1, nesterov=True)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="beta2"):
        optim.Adam(0.1, beta2=1.0)
    with pytest.raises(ValueError, match="lr"):
        optim.RMSProp(0.0)
    with pytest.raises(TypeError, match="correct_bias"):
        optim.Adam(0.1, correct_bias="yes")
