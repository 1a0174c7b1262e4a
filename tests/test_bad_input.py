"""Every public function against bad input: the package's one contract, fuzzed.

The contract (``coursekit/_checks.py``): valid input gives the correct answer; invalid input raises
a ``TypeError`` or ``ValueError`` whose message names the argument; no input is modified; a call
that raises changes no state. ``ROWS`` describes each public function once (a valid call and the
kind of each argument); the shared strategies of ``tests/strategies.py`` draw bad and equivalent
values from the kinds. A new module adds rows here. The last part checks answers at magnitudes
near the ends of the float64 range against scaling laws (the answer for ``c X`` from the answer
for ``X``), where forming ``X^T X`` or ``2 pi var`` used to overflow or underflow.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from strategies import (
    Arg,
    bad_values,
    equivalent_values,
    magnitudes,
    same_result,
    snapshot,
    unchanged,
)

import coursekit
from coursekit import (
    autodiff,
    data,
    flows,
    linalg,
    losses,
    mlp,
    optim,
    ot,
    plotting,
    regression,
    runtime,
    sde,
    training,
)


@dataclasses.dataclass(frozen=True)
class Row:
    """A public function, a valid call (built fresh each time) and its checked arguments."""

    name: str
    fn: Callable
    valid: Callable[[], dict]
    args: dict


def _rng(seed=0):
    return np.random.default_rng(seed)


def _mat(m, n, seed=0):
    return _rng(seed).normal(size=(m, n))


def _spd(n, seed=0):
    a = _mat(n, n, seed)
    return a @ a.T + n * np.eye(n)


ARR = Arg("array")
RNG = Arg("rng", none_ok=True)
SOFTMAX_Z = Arg("array", allow=("ndim", "empty"))
AXIS = Arg("int", low=-2, high=1, none_ok=True)
LIM = Arg("real", positive=True, allow=("sequence",))
ANY_SHAPE = Arg("array", allow=("ndim", "empty"))
GM = data.GaussianMixture2D.ring(4, 1.0, 0.2)


def _simplex(n, seed=0):
    """Positive weights summing to 1 (a valid marginal for coursekit.ot)."""
    w = _rng(seed).random(n) + 0.1
    return w / w.sum()


def _two_steps(opt, theta, grad):
    """Two steps of an optimiser from coursekit.optim: the second one uses its state."""
    return opt.step(opt.step(theta, grad), grad)


THETA_GRAD = {"theta": ARR, "grad": ARR}
UNIT = Arg("real", low=0.0, high=1.0)  # a decay rate in [0, 1)


def _model():
    torch.manual_seed(0)
    return torch.nn.Linear(3, 2)


def _loader():
    x = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    return [(x, torch.arange(8) % 2)]


def _coupling_out(mask, hidden, n_hidden, scale_clamp, x):
    """A seeded coupling layer's forward output on ``x``: compares layers built equivalently."""
    torch.manual_seed(0)
    layer = flows.AffineCoupling(mask, hidden=hidden, n_hidden=n_hidden,
                                 scale_clamp=scale_clamp).double()
    with torch.no_grad():
        layer.net[-1].weight.normal_()
    z, log_det = layer(x)
    return z.detach(), log_det.detach()


def _small_flow():
    torch.manual_seed(0)
    return flows.Flow([flows.AffineCoupling([1, 0], hidden=4), flows.Reverse(2)], dim=2).double()


FLOW = _small_flow()


ROWS = [
    # ------------------------------------------------------------------ losses
    Row("logsumexp", losses.logsumexp, lambda: {"z": _mat(3, 4), "axis": -1},
        {"z": SOFTMAX_Z, "axis": AXIS}),
    Row("softmax", losses.softmax, lambda: {"z": _mat(3, 4), "axis": 1},
        {"z": SOFTMAX_Z, "axis": AXIS}),
    Row("log_softmax", losses.log_softmax, lambda: {"z": _mat(3, 4), "axis": 0},
        {"z": SOFTMAX_Z, "axis": AXIS}),
    Row("cross_entropy", losses.cross_entropy,
        lambda: {"logits": _mat(4, 3), "labels": np.array([0, 2, 1, 1]), "reduction": "sum"},
        {"logits": ARR, "labels": Arg("array", allow=("complex",) and ()),
         "reduction": Arg("choice")}),
    Row("sigmoid", losses.sigmoid, lambda: {"z": _mat(2, 3)}, {"z": ANY_SHAPE}),
    Row("binary_cross_entropy_with_logits", losses.binary_cross_entropy_with_logits,
        lambda: {"logits": _mat(2, 3), "targets": np.full((2, 3), 0.25), "reduction": "mean"},
        {"logits": Arg("array", allow=("ndim",)), "targets": ARR, "reduction": Arg("choice")}),
    Row("gaussian_nll", losses.gaussian_nll,
        lambda: {"y": _mat(1, 5)[0], "mean": np.zeros(5), "var": np.full(5, 2.0)},
        {"y": Arg("array", allow=("ndim",)), "mean": Arg("array", allow=("ndim",)),
         "var": Arg("array", allow=("ndim",))}),
    Row("laplace_nll", losses.laplace_nll,
        lambda: {"y": _mat(1, 5)[0], "loc": np.zeros(5), "scale": 1.5},
        {"y": Arg("array", allow=("ndim",)), "loc": Arg("array", allow=("ndim",)),
         "scale": Arg("real", positive=True)}),
    Row("kl_divergence", losses.kl_divergence,
        lambda: {"p": np.array([0.2, 0.3, 0.5]), "q": np.array([0.4, 0.4, 0.2])},
        {"p": ARR, "q": ARR}),
    # ------------------------------------------------------------------ regression
    Row("weighted_least_squares", regression.weighted_least_squares,
        lambda: {"X": _mat(8, 3), "y": _mat(1, 8)[0], "Sigma": np.linspace(1, 2, 8)},
        {"X": ARR, "y": ARR, "Sigma": Arg("array", none_ok=True)}),
    Row("min_norm_interpolator", regression.min_norm_interpolator,
        lambda: {"X": _mat(3, 6), "y": _mat(1, 3)[0]}, {"X": ARR, "y": ARR}),
    Row("ridge", regression.ridge, lambda: {"X": _mat(6, 3), "y": _mat(1, 6)[0], "lam": 0.5},
        {"X": ARR, "y": ARR, "lam": Arg("real", positive=True)}),
    Row("bayes_linear_posterior", regression.bayes_linear_posterior,
        lambda: {"X": _mat(6, 3), "y": _mat(1, 6)[0], "noise_var": 0.5, "prior_var": 2.0},
        {"X": Arg("array", allow=()), "y": ARR, "noise_var": Arg("real", positive=True),
         "prior_var": Arg("real", positive=True)}),
    # ------------------------------------------------------------------ linalg
    Row("svd_via_eig", linalg.svd_via_eig, lambda: {"A": _mat(5, 3)}, {"A": ARR}),
    Row("numerical_rank", linalg.numerical_rank, lambda: {"A": _mat(5, 3), "tol": 1e-3},
        {"A": ARR, "tol": Arg("real", low=0.0, none_ok=True)}),
    Row("low_rank_approx", linalg.low_rank_approx, lambda: {"A": _mat(5, 3), "k": 2},
        {"A": ARR, "k": Arg("int", low=0, high=3)}),
    Row("pca", linalg.pca, lambda: {"X": _mat(10, 3), "k": 2},
        {"X": ARR, "k": Arg("int", low=1, high=3)}),
    Row("principal_angles", linalg.principal_angles,
        lambda: {"A": _mat(5, 2), "B": _mat(5, 2, 1)}, {"A": ARR, "B": ARR}),
    Row("whiten", linalg.whiten, lambda: {"X": _mat(20, 3), "method": "pca", "eps": 0.0},
        {"X": ARR, "method": Arg("choice"), "eps": Arg("real", low=0.0)}),
    Row("sherman_morrison", linalg.sherman_morrison,
        lambda: {"A_inv": np.linalg.inv(_spd(4)), "u": np.ones(4), "v": np.arange(4.0)},
        {"A_inv": ARR, "u": ARR, "v": ARR, "rtol": Arg("real", low=0.0)}),
    Row("woodbury", linalg.woodbury,
        lambda: {"A_inv": np.linalg.inv(_spd(4)), "U": _mat(4, 2), "C": np.eye(2),
                 "V": _mat(2, 4, 1)},
        {"A_inv": ARR, "U": ARR, "C": ARR, "V": ARR}),
    Row("spiked_wigner", linalg.spiked_wigner, lambda: {"n": 6, "lam": 1.5, "rng": 3},
        {"n": Arg("int", low=2), "lam": Arg("real", low=0.0), "rng": RNG}),
    Row("bbp_overlap", linalg.bbp_overlap, lambda: {"lam": np.array([0.5, 2.0])},
        {"lam": ANY_SHAPE}),
    Row("bbp_top_eigenvalue", linalg.bbp_top_eigenvalue, lambda: {"lam": np.array([0.5, 2.0])},
        {"lam": ANY_SHAPE}),
    # ------------------------------------------------------------------ mlp
    *[Row(f"mlp.{name}", getattr(mlp, name), lambda: {"z": _mat(2, 3)}, {"z": ANY_SHAPE})
      for name in ("sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime", "identity",
                   "identity_prime")],
    Row("one_hot", mlp.one_hot, lambda: {"y": np.array([0, 2, 1]), "n_classes": 3},
        {"y": Arg("array", allow=("empty",)), "n_classes": Arg("int", low=3)}),
    Row("softmax_cross_entropy", mlp.softmax_cross_entropy,
        lambda: {"z": _mat(3, 4), "y": np.array([0, 3, 1])}, {"z": ARR, "y": ARR}),
    Row("mse", mlp.mse, lambda: {"yhat": _mat(3, 2), "y": _mat(3, 2, 1)},
        {"yhat": ARR, "y": ARR}),
    Row("init_params", mlp.init_params, lambda: {"sizes": [4, 3, 2], "init": "he", "rng": 1},
        {"init": Arg("choice"), "rng": RNG}),
    Row("MLP", mlp.MLP, lambda: {"sizes": [4, 3, 2], "rng": 1}, {"rng": RNG}),
    # ------------------------------------------------------------------ autodiff
    Row("Dual", autodiff.Dual, lambda: {"val": 2.0, "dot": 1.0},
        {"val": Arg("real"), "dot": Arg("real", allow=("sequence",))}),
    Row("Value", autodiff.Value, lambda: {"data": 2.0}, {"data": Arg("real")}),
    Row("finite_difference_gradient", autodiff.finite_difference_gradient,
        lambda: {"f": lambda a, b: a * b, "x": np.array([1.0, 2.0]), "h": 1e-5,
                 "kind": "central"},
        {"f": Arg("callable"), "x": ARR, "h": Arg("real", positive=True, none_ok=True),
         "kind": Arg("choice")}),
    Row("forward_gradient", autodiff.forward_gradient,
        lambda: {"f": lambda a, b: a * b, "x": np.array([1.0, 2.0])},
        {"f": Arg("callable"), "x": ARR}),
    Row("reverse_gradient", autodiff.reverse_gradient,
        lambda: {"f": lambda a, b: a * b, "x": np.array([1.0, 2.0])},
        {"f": Arg("callable"), "x": ARR}),
    # ------------------------------------------------------------------ data
    Row("make_moons", data.make_moons, lambda: {"n": 20, "noise": 0.1, "rng": 2},
        {"n": Arg("int", low=1), "noise": Arg("real", low=0.0), "rng": RNG,
         "return_labels": Arg("bool")}),
    Row("make_ring_mixture", data.make_ring_mixture, lambda: {"n": 20, "n_modes": 4, "rng": 2},
        {"n": Arg("int", low=1), "n_modes": Arg("int", low=1), "rng": RNG}),
    Row("make_grid_mixture", data.make_grid_mixture, lambda: {"n": 20, "side": 3, "rng": 2},
        {"n": Arg("int", low=1), "side": Arg("int", low=1), "rng": RNG}),
    Row("make_swiss_roll", data.make_swiss_roll, lambda: {"n": 20, "noise": 0.1, "rng": 2},
        {"n": Arg("int", low=1), "noise": Arg("real", low=0.0), "rng": RNG}),
    Row("make_checkerboard", data.make_checkerboard, lambda: {"n": 20, "rng": 2, "squares": 4},
        {"n": Arg("int", low=1), "rng": RNG, "squares": Arg("int", low=1)}),
    Row("sample_2d", data.sample_2d, lambda: {"name": "moons", "n": 10, "rng": 1},
        {"name": Arg("choice"), "n": Arg("int", low=1), "rng": RNG}),
    Row("GaussianMixture2D", data.GaussianMixture2D,
        lambda: {"means": np.array([[0.0, 0.0], [1.0, 1.0]]), "std": 0.5,
                 "weights": np.array([0.3, 0.7])},
        {"means": ARR, "std": Arg("real", positive=True), "weights": Arg("array", none_ok=True)}),
    Row("GaussianMixture2D.log_prob", GM.log_prob, lambda: {"x": _mat(5, 2)}, {"x": ARR}),
    Row("GaussianMixture2D.score", GM.score, lambda: {"x": _mat(5, 2)}, {"x": ARR}),
    Row("stratified_split", data.stratified_split,
        lambda: {"y": np.repeat([0.0, 1.0, 2.0], 4), "test_fraction": 0.25, "rng": 1},
        {"y": Arg("array", allow=("complex", "bool")), "test_fraction": Arg("real", low=0.01,
                                                                          high=0.99),
         "rng": RNG}),
    # ------------------------------------------------------------------ training
    Row("accuracy", training.accuracy,
        lambda: {"logits": _mat(4, 3), "targets": np.array([0, 1, 2, 0])},
        {"logits": Arg("array", allow=("complex",)), "targets": ARR}),
    Row("loop", training.loop,
        lambda: {"step": lambda b: {"x": float(b)}, "batches": [1, 2], "epochs": 2,
                 "progress": False, "verbose": False},
        {"step": Arg("callable"), "epochs": Arg("int", low=1),
         "progress": Arg("bool", none_ok=True),
         "verbose": Arg("bool")}),
    Row("fit", training.fit,
        lambda: {"model": _model(), "train_loader": _loader(),
                 "loss_fn": torch.nn.CrossEntropyLoss(), "optimizer": None, "epochs": 1,
                 "device": "cpu", "progress": False, "verbose": False},
        {"epochs": Arg("int", low=1), "loss_fn": Arg("callable"),
         "progress": Arg("bool", none_ok=True)}),
    # ------------------------------------------------------------------ optim
    Row("SGD", lambda theta, grad, lr, momentum, nesterov: _two_steps(
            optim.SGD(lr, momentum=momentum, nesterov=nesterov), theta, grad),
        lambda: {"theta": np.array([1.0, -2.0]), "grad": np.array([0.5, 0.25]), "lr": 0.1,
                 "momentum": 0.9, "nesterov": True},
        THETA_GRAD | {"lr": Arg("real", positive=True), "momentum": UNIT,
                      "nesterov": Arg("bool")}),
    Row("Adagrad", lambda theta, grad, lr, eps: _two_steps(optim.Adagrad(lr, eps=eps),
                                                           theta, grad),
        lambda: {"theta": np.array([1.0, -2.0]), "grad": np.array([0.5, 0.25]), "lr": 0.1,
                 "eps": 1e-10},
        THETA_GRAD | {"lr": Arg("real", positive=True), "eps": Arg("real", low=0.0)}),
    Row("RMSProp", lambda theta, grad, lr, alpha, eps: _two_steps(
            optim.RMSProp(lr, alpha=alpha, eps=eps), theta, grad),
        lambda: {"theta": np.array([1.0, -2.0]), "grad": np.array([0.5, 0.25]), "lr": 0.1,
                 "alpha": 0.9, "eps": 1e-8},
        THETA_GRAD | {"lr": Arg("real", positive=True), "alpha": UNIT,
                      "eps": Arg("real", low=0.0)}),
    Row("Adam", lambda theta, grad, lr, beta1, beta2, eps, correct_bias: _two_steps(
            optim.Adam(lr, beta1=beta1, beta2=beta2, eps=eps, correct_bias=correct_bias),
            theta, grad),
        lambda: {"theta": np.array([1.0, -2.0]), "grad": np.array([0.5, 0.25]), "lr": 0.1,
                 "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "correct_bias": True},
        THETA_GRAD | {"lr": Arg("real", positive=True), "beta1": UNIT, "beta2": UNIT,
                      "eps": Arg("real", low=0.0), "correct_bias": Arg("bool")}),
    # ------------------------------------------------------------------ plotting
    Row("loglog_slope", plotting.loglog_slope,
        lambda: {"x": np.array([1.0, 2.0, 4.0]), "y": np.array([3.0, 12.0, 48.0])},
        {"x": Arg("array", allow=("ndim",)), "y": Arg("array", allow=("ndim",))}),
    Row("density_2d", plotting.density_2d,
        lambda: {"samples": _mat(50, 2), "bins": 5, "lim": 3.0},
        {"samples": ARR, "bins": Arg("int", low=1), "lim": LIM}),
    Row("contour_2d", plotting.contour_2d,
        lambda: {"fn": lambda p: p[:, 0], "n": 5, "lim": 2.0},
        {"fn": Arg("callable"), "n": Arg("int", low=2), "lim": LIM,
         "tensor": Arg("bool")}),
    Row("image_grid", plotting.image_grid, lambda: {"images": np.zeros((3, 4, 4)), "ncols": 2},
        {"images": ARR, "ncols": Arg("int", low=1), "size": Arg("real", positive=True)}),
    # ------------------------------------------------------------------ runtime
    Row("seed_everything", runtime.seed_everything, lambda: {"seed": 3},
        {"seed": Arg("int", low=0, high=2**32 - 1), "deterministic": Arg("bool")}),
    Row("as_generator", runtime.as_generator, lambda: {"rng": 3}, {"rng": RNG}),
    Row("torch_generator", runtime.torch_generator, lambda: {"rng": 3}, {"rng": RNG}),
    # --- coursekit.flows ---
    Row("AffineCoupling", _coupling_out,
        lambda: {"mask": np.array([1.0, 0.0, 1.0]), "hidden": 4, "n_hidden": 1,
                 "scale_clamp": 2.0, "x": _mat(5, 3)},
        {"mask": ARR, "hidden": Arg("int", low=1), "n_hidden": Arg("int", low=1),
         "scale_clamp": Arg("real", positive=True), "x": ARR}),
    Row("Reverse", lambda dim, x: flows.Reverse(dim)(x)[0],
        lambda: {"dim": 2, "x": _mat(4, 2)}, {"dim": Arg("int", low=1), "x": ARR}),
    Row("Flow.log_prob", lambda x: FLOW.log_prob(x).detach(), lambda: {"x": _mat(5, 2)},
        {"x": ARR}),
    Row("Flow.inverse", lambda z: FLOW.inverse(z).detach(), lambda: {"z": _mat(5, 2)},
        {"z": ARR}),
    Row("Flow.sample", FLOW.sample, lambda: {"n": 6, "rng": 3},
        {"n": Arg("int", low=1), "rng": RNG}),
    Row("Flow", lambda dim: flows.Flow([flows.Reverse(2)], dim=dim).inverse(_mat(2, 2)),
        lambda: {"dim": 2}, {"dim": Arg("int", low=1)}),
    Row("standard_normal_log_prob", flows.standard_normal_log_prob,
        lambda: {"z": _mat(4, 3)}, {"z": ARR}),
    # --- coursekit.sde ---
    Row("euler_maruyama", sde.euler_maruyama,
        lambda: {"drift": lambda x, t: -x, "diffusion": 0.5, "x0": _mat(4, 2),
                 "t_grid": np.linspace(0.0, 1.0, 5), "rng": 1, "return_path": False},
        {"drift": Arg("callable"), "diffusion": Arg("real"),
         "x0": Arg("array", allow=("ndim",)), "t_grid": ARR, "rng": RNG,
         "return_path": Arg("bool")}),
    Row("euler_maruyama(dW)", sde.euler_maruyama,
        lambda: {"drift": lambda x, t: -x, "diffusion": lambda x, t: 1 + x**2,
                 "x0": _mat(4, 2), "t_grid": np.linspace(0.0, 1.0, 4),
                 "dW": _rng(3).normal(size=(3, 4, 2)) * 0.5, "rng": 1},
        {"dW": Arg("array", none_ok=True), "rng": RNG}),
    Row("brownian_increments", sde.brownian_increments,
        lambda: {"shape": (3, 2), "t_grid": np.array([0.0, 0.5, 2.0]), "rng": 2},
        {"t_grid": ARR, "rng": RNG}),
    # --- coursekit.ot ---
    Row("ot.sinkhorn", ot.sinkhorn,
        lambda: {"a": _simplex(5, 1), "b": _simplex(4, 2), "C": _mat(5, 4) ** 2, "eps": 0.5,
                 "tol": 1e-8, "max_iter": 500, "scaling": 0.5, "check_every": 3},
        {"a": ARR, "b": ARR, "C": ARR, "eps": Arg("real", positive=True),
         "tol": Arg("real", positive=True), "max_iter": Arg("int", low=1),
         "scaling": Arg("real", positive=True, high=1.0, none_ok=True),
         "check_every": Arg("int", low=1)}),
    Row("ot.marginal_error", ot.marginal_error,
        lambda: {"P": np.outer(_simplex(5, 1), _simplex(4, 2)) + 0.01, "a": _simplex(5, 1),
                 "b": _simplex(4, 2)},
        {"P": ARR, "a": ARR, "b": ARR}),
    Row("ot.sinkhorn_divergence", ot.sinkhorn_divergence,
        lambda: {"x": _mat(5, 2), "y": _mat(4, 2, 1), "eps": 0.5, "a": _simplex(5, 1),
                 "b": _simplex(4, 2), "p": 2.0},
        {"x": ARR, "y": ARR, "eps": Arg("real", positive=True),
         "a": Arg("array", none_ok=True), "b": Arg("array", none_ok=True),
         "p": Arg("real", low=1.0)}),
    Row("ot.exact", ot.exact,
        lambda: {"a": _simplex(5, 1), "b": _simplex(4, 2), "C": _mat(5, 4) ** 2},
        {"a": ARR, "b": ARR, "C": ARR}),
    Row("ot.wasserstein_1d", ot.wasserstein_1d,
        lambda: {"x": _mat(1, 6)[0], "y": _mat(1, 5, 1)[0], "p": 1.5, "a": _simplex(6, 1),
                 "b": _simplex(5, 2)},
        {"x": ARR, "y": ARR, "p": Arg("real", low=1.0), "a": Arg("array", none_ok=True),
         "b": Arg("array", none_ok=True)}),
]


def _call(row: Row, **override):
    kwargs = row.valid()
    if row.name == "fit":  # an optimizer over the fresh model
        kwargs["optimizer"] = torch.optim.SGD(kwargs["model"].parameters(), lr=0.1)
    kwargs.update(override)
    before = {k: snapshot(v) for k, v in kwargs.items()}
    try:
        return row.fn(**kwargs), None
    except Exception as err:  # noqa: BLE001 - returned to the test, which judges it
        return None, err
    finally:
        for k, v in kwargs.items():
            if k not in ("model", "optimizer", "loss_fn"):
                assert unchanged(before[k], v), f"{row.name} modified its argument {k}"
        plt.close("all")


def _names(row, arg_name):
    spec = row.args[arg_name]
    return spec.names or (arg_name,)


CASES = [pytest.param(row, a, id=f"{row.name}-{a}") for row in ROWS for a in row.args]


def _result(fn_result):
    """Results that compare: tensors, arrays, tuples; objects by their state."""
    if isinstance(fn_result, torch.Generator):
        return torch.randn(3, generator=fn_result)
    if isinstance(fn_result, np.random.Generator):
        return fn_result.random(3)
    if isinstance(fn_result, (mlp.MLP,)):
        return fn_result.get_params()
    if isinstance(fn_result, (autodiff.Dual,)):
        return (fn_result.val, fn_result.dot)
    if isinstance(fn_result, (autodiff.Value,)):
        return fn_result.data
    if isinstance(fn_result, data.GaussianMixture2D):
        return (fn_result.means, fn_result.std, fn_result.weights)
    if isinstance(fn_result, training.History):
        return {k: v for k, v in fn_result.metrics.items() if k != "seconds"}
    if isinstance(fn_result, (plt.Axes, tuple)) and not isinstance(fn_result, np.ndarray):
        if isinstance(fn_result, tuple) and not any(isinstance(x, plt.Figure) for x in fn_result):
            return fn_result
        return None
    return fn_result


def test_every_public_function_has_a_row():
    """A public function without a row escapes the contract: list it here or add a row."""
    exempt = {  # classes and constants, or checked by dedicated tests below
        "PCAResult", "WhiteningResult", "BayesLinearPosterior", "History", "SYNTHETIC_2D",
        "ImageDataset", "load_digits", "load_mnist", "load_digits_dataset", "read_idx",
        "DATA_ENV", "MNIST_FILES", "MNIST_SHA256", "ACTIVATIONS", "HOUSE_STYLE", "use_style",
        "training_curves", "loglog_plot", "evaluate", "model_device", "SliderFigure", "slider",
        "live_slider", "MAX_FRAMES", "MAX_BYTES", "get_device", "resolve_device", "full_mode",
        "by_mode", "progress_enabled", "DEVICE_ENV", "FULL_ENV", "PROGRESS_ENV", "log", "exp",
        "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "softmax",
        "LAYERS",  # coursekit.flows: the tuple of layer classes (each class has its row)
        "SinkhornResult", "ExactResult",  # coursekit.ot: result records, made by the solvers
    }
    covered = {row.name.split(".")[-1] for row in ROWS}
    # every public module, found on disk (the grading and edition tooling is tested apart)
    modules = [importlib.import_module(f"coursekit.{name}") for name in coursekit.SUBMODULES
               if name not in ("edition", "homework")]
    missing = sorted(f"{m.__name__}.{n}" for m in modules for n in m.__all__
                     if n not in covered and n not in exempt)
    assert not missing, f"public names without a row in ROWS: {missing}"


@pytest.mark.parametrize("row", [pytest.param(r, id=r.name) for r in ROWS])
def test_valid_call_succeeds_and_modifies_no_input(row):
    result, err = _call(row)
    assert err is None, f"{row.name} refused its valid example: {err!r}"


@pytest.mark.parametrize("row, arg", CASES)
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(draw=st.data())
def test_bad_input_raises_an_error_that_names_the_argument(row, arg, draw):
    valid = row.valid()[arg] if arg in row.valid() else None
    bad = draw.draw(bad_values(row.args[arg], valid), label=arg)
    _, err = _call(row, **{arg: bad})
    assert err is not None, f"{row.name}({arg}={bad!r}) was accepted"
    assert isinstance(err, (TypeError, ValueError)), \
        f"{row.name}({arg}={bad!r}) raised {type(err).__name__}: {err}"
    message = str(err)
    assert any(re.search(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_])", message)
               for n in _names(row, arg)), \
        f"{row.name}({arg}={bad!r}): the message does not name {arg}: {message!r}"


@pytest.mark.parametrize("row, arg", CASES)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(draw=st.data())
def test_equivalent_input_gives_the_same_answer(row, arg, draw):
    """NumPy scalars for Python ones, a Generator for its seed, a list or tensor for an array."""
    valid = row.valid().get(arg)
    if valid is None:
        return
    strategy = equivalent_values(row.args[arg], valid)
    if strategy.is_empty:
        return
    other = draw.draw(strategy, label=arg)
    expected, err = _call(row)
    got, err2 = _call(row, **{arg: other})
    assert err is None and err2 is None, f"{row.name}({arg}={other!r}) raised {err2!r}"
    assert same_result(_result(expected), _result(got), rtol=1e-6), \
        f"{row.name}({arg}={other!r}) differs from {arg}={valid!r}"


# ---------------------------------------------------------------------------------------------
# dtypes that used to be refused or to break the message
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn, args", [
    (losses.softmax, (torch.randn(3, 4),)),
    (losses.cross_entropy, (torch.randn(3, 4), torch.tensor([0, 1, 3]))),
    (losses.gaussian_nll, (torch.randn(5), torch.zeros(5), torch.ones(5))),
    (linalg.svd_via_eig, (torch.randn(4, 3),)),
    (regression.ridge, (torch.randn(6, 3), torch.randn(6), 0.5)),
])
def test_bfloat16_and_float16_tensors_are_widened_not_refused(fn, args):
    for dtype in (torch.bfloat16, torch.float16):
        def cast(a, to):
            return a.to(to) if isinstance(a, torch.Tensor) and a.is_floating_point() else a

        low = tuple(cast(a, dtype) for a in args)
        exact = tuple(cast(a, torch.float32) for a in low)
        assert same_result(fn(*low), fn(*exact))


def test_float32_probabilities_are_accepted_by_kl_divergence():
    p = np.full(10, 0.1, dtype=np.float32)
    q = _rng(2).dirichlet(np.ones(10)).astype(np.float32)
    assert abs(float(p.astype(np.float64).sum()) - 1.0) > 1e-8  # float32 rounding of the sum
    expected = float(np.sum(p.astype(float) * np.log(p.astype(float) / q.astype(float))))
    assert losses.kl_divergence(p, q) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="p must sum to 1"):
        losses.kl_divergence(np.full(10, 0.1) * 1.001, q)


@pytest.mark.parametrize("fn", [losses.softmax, losses.log_softmax])
def test_softmax_family_accepts_axis_none(fn):
    z = _mat(3, 4)
    flat = fn(z.ravel(), axis=0).reshape(z.shape)
    assert_allclose(fn(z, axis=None), flat, rtol=1e-14)
    assert_allclose(losses.logsumexp(z, axis=None), np.log(np.exp(z).sum()), rtol=1e-14)
    assert losses.logsumexp(z, axis=None, keepdims=True).shape == (1, 1)


@pytest.mark.parametrize("call", [
    lambda: losses.cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int)),
    lambda: losses.binary_cross_entropy_with_logits(np.zeros(0), np.zeros(0)),
    lambda: losses.gaussian_nll(np.zeros(0), 0.0, 1.0),
    lambda: losses.laplace_nll(np.zeros(0), 0.0, 1.0),
    lambda: mlp.mse(np.zeros((0, 2)), np.zeros((0, 2))),
    lambda: mlp.softmax_cross_entropy(np.zeros((0, 2)), np.zeros(0, dtype=int)),
    lambda: training.accuracy(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)),
])
def test_empty_batches_are_an_error_not_a_nan(call):
    with pytest.raises(ValueError, match="at least one"):
        call()


def test_errors_name_the_argument_for_cuda_on_a_cpu_machine_and_box_pairs():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=r"device='cuda'"):
            training.fit(_model(), _loader(), torch.nn.CrossEntropyLoss(),
                         torch.optim.SGD(_model().parameters(), lr=0.1), 1, device="cuda")
    fig, ax = plt.subplots()
    plotting.density_2d(_mat(20, 2), ax=ax, lim=(-3, 3))  # a pair is the same box on both axes
    with pytest.raises(ValueError, match="lim"):
        plotting.density_2d(_mat(20, 2), ax=ax, lim=(3, -3))
    with pytest.raises(TypeError, match="lim"):
        plotting.density_2d(_mat(20, 2), ax=ax, lim="wide")
    plt.close("all")


def test_stratified_split_refuses_nan_labels_and_keeps_its_test_size():
    y = np.repeat([0.0, 1.0], 10)
    with pytest.raises(ValueError, match="NaN"):
        data.stratified_split(np.r_[y, np.nan], 0.25)
    _, test = data.stratified_split(y, 0.25, rng=np.int64(1))
    assert len(test) == math.ceil(0.25 * len(y))


# ---------------------------------------------------------------------------------------------
# no partial state change
# ---------------------------------------------------------------------------------------------


def test_mlp_updates_are_all_or_nothing():
    net = mlp.MLP([3, 4, 2], rng=0)
    before = net.get_params()
    good_dW = [np.ones_like(w) for w in net.weights]
    good_db = [np.ones_like(b) for b in net.biases]
    bad_dW = [good_dW[0], np.ones((5, 5))]  # layer 2 has the wrong shape
    with pytest.raises(ValueError, match="layer 2"):
        net.sgd_step((bad_dW, good_db), lr=0.1)
    nan_db = [good_db[0], np.full_like(good_db[1], np.nan)]
    with pytest.raises(ValueError, match="layer 2"):
        net.sgd_step((good_dW, nan_db), lr=0.1)
    with pytest.raises(ValueError, match="params"):
        net.set_params([before[0] + 1, before[1], before[2], np.zeros(7)])
    with pytest.raises(ValueError, match="lr"):
        net.sgd_step((good_dW, good_db), lr=np.float32(-1))
    for p, q in zip(net.get_params(), before, strict=True):
        assert_allclose(p, q, rtol=0)  # nothing moved, not even layer 1
    net.sgd_step((good_dW, good_db), lr=np.float64(0.5))  # NumPy scalars are valid
    assert_allclose(net.weights[0], before[0] - 0.5, rtol=1e-15)


# ---------------------------------------------------------------------------------------------
# right answers at the ends of the float64 range (scaling laws as oracles)
# ---------------------------------------------------------------------------------------------


def _scale(e):
    return 10.0**e


@settings(max_examples=11, deadline=None)
@given(e=magnitudes)
def test_numerical_rank_and_svd_via_eig_are_scale_invariant(e):
    A = _mat(5, 2) @ _mat(2, 4, 1)  # rank 2
    c = _scale(e) / np.abs(A).max()
    assert linalg.numerical_rank(c * A) == 2
    s_ref = np.linalg.svd(A, compute_uv=False)[:2]
    U, s, Vt = linalg.svd_via_eig(c * A)
    assert_allclose(s[:2] / c, s_ref, rtol=1e-10)
    assert_allclose((U[:, :2] * s[:2]) @ Vt[:2] / c, A, atol=1e-8 * s_ref[0])


def test_numerical_rank_near_the_largest_float():
    A = np.full((3, 3), 1.7e308)
    assert linalg.numerical_rank(A) == 1
    assert linalg.numerical_rank(np.diag([1.7e308, 1e300, 0.0])) == 2


def test_min_norm_interpolator_is_as_accurate_as_lstsq_when_ill_conditioned():
    rng = _rng(5)
    Q1, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    Q2, _ = np.linalg.qr(rng.normal(size=(20, 6)))
    X = Q1 @ np.diag(np.logspace(0, -6, 6)) @ Q2.T  # (6, 20), cond 1e6
    beta_true = Q2 @ rng.normal(size=6)  # in the row space: the min-norm solution of X b = y
    y = X @ beta_true
    err = np.linalg.norm(regression.min_norm_interpolator(X, y) - beta_true)
    assert err / np.linalg.norm(beta_true) < 1e-8  # X X^T would lose cond^2 eps ~ 1e-4


@settings(max_examples=11, deadline=None)
@given(e=magnitudes)
def test_regression_estimators_follow_their_scaling_laws(e):
    X, y = _mat(8, 3), _mat(1, 8)[0]
    c = _scale(e)
    lam = 0.7
    squares_fit = abs(e) <= 150  # c^2 representable
    # ridge(cX, y, c^2 lam) = ridge(X, y, lam) / c
    if squares_fit:
        assert_allclose(regression.ridge(c * X, y, c**2 * lam) * c, regression.ridge(X, y, lam),
                        rtol=1e-9)
    assert_allclose(regression.weighted_least_squares(c * X, y) * c,
                    np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-9)
    Xw = _mat(3, 8)
    assert_allclose(regression.min_norm_interpolator(c * Xw, y[:3]) * c,
                    np.linalg.pinv(Xw) @ y[:3], rtol=1e-9)
    if squares_fit:
        post = regression.bayes_linear_posterior(c * X, y, 0.5, 2.0 / c**2)
        ref = regression.bayes_linear_posterior(X, y, 0.5, 2.0)
        assert_allclose(post.mean * c, ref.mean, rtol=1e-9)
        assert_allclose(post.cov * c**2, ref.cov, rtol=1e-9)


@settings(max_examples=11, deadline=None)
@given(e=magnitudes)
def test_whitening_is_scale_invariant(e):
    X = _mat(30, 3) @ np.array([[2.0, 0, 0], [0.5, 1, 0], [0, 0.3, 0.1]])
    c = _scale(e)
    ref = linalg.whiten(X, "zca")
    got = linalg.whiten(c * X, "zca")
    assert_allclose(got.Z, ref.Z, rtol=1e-9, atol=1e-9)
    assert_allclose(got.W * c, ref.W, rtol=1e-9)
    assert_allclose(np.cov(got.Z, rowvar=False), np.eye(3), atol=1e-9)


@settings(max_examples=11, deadline=None)
@given(e=magnitudes)
def test_sherman_morrison_follows_its_scaling_law(e):
    # SM(a A_inv, u / sqrt(a), v / sqrt(a)) = a SM(A_inv, u, v): the inverse of A/a + u v^T / a
    A = _spd(4)
    u, v = np.ones(4), np.arange(4.0)
    ref = np.linalg.inv(A + np.outer(u, v))
    a = _scale(e)
    got = linalg.sherman_morrison(a * np.linalg.inv(A), u / np.sqrt(a), v / np.sqrt(a))
    assert_allclose(got / a, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("var", [1e-300, 1e-100, 1.0, 1e100, 1e308])
def test_gaussian_and_laplace_nll_at_extreme_scales(var):
    expected = 0.5 * (math.log(2 * math.pi) + math.log(var))
    assert losses.gaussian_nll(0.0, 0.0, var) == pytest.approx(expected, rel=1e-14)
    assert losses.laplace_nll(0.0, 0.0, var) == pytest.approx(math.log(2) + math.log(var),
                                                              rel=1e-14)
    # 0.5 * (log(2 pi) + 308 log 10) = 355.517 (a frequent slip quotes 355.4)
    assert losses.gaussian_nll(0.0, 0.0, 1e308) == pytest.approx(355.517, abs=5e-4)
