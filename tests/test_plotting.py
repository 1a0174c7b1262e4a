"""Plot helpers: the power-law fit is mathematics, the rest must draw what it is given."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import plotting
from coursekit.training import History


@settings(max_examples=25, deadline=None)
@given(p=st.floats(-3, 4), c=st.floats(1e-3, 1e3))
def test_loglog_slope_recovers_an_exact_power_law(p, c):
    x = np.array([2.0, 5.0, 11.0, 40.0, 100.0])
    fitted_p, fitted_c = plotting.loglog_slope(x, c * x**p)
    np.testing.assert_allclose(fitted_p, p, atol=1e-9)
    np.testing.assert_allclose(fitted_c, c, rtol=1e-8)


def test_loglog_slope_rejects_non_positive_data():
    with pytest.raises(ValueError, match="positive"):
        plotting.loglog_slope([1, 2, 3], [1, 0, 2])
    with pytest.raises(ValueError, match="same length"):
        plotting.loglog_slope([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="two points"):
        plotting.loglog_slope([1], [1])


def test_loglog_plot_reports_slopes():
    n = np.array([10, 20, 40, 80])
    ax, slopes = plotting.loglog_plot(n, {"cubic": n**3.0, "linear": 2.0 * n})
    np.testing.assert_allclose([slopes["cubic"], slopes["linear"]], [3.0, 1.0], atol=1e-9)
    assert "slope 3.00" in ax.get_legend().get_texts()[0].get_text()
    plt.close("all")


def test_image_grid_accepts_channels_and_tensors():
    fig, axes = plotting.image_grid(torch.rand(10, 1, 8, 8), ncols=4)
    assert axes.shape == (3, 4)
    assert sum(len(ax.images) for ax in axes.flat) == 10
    with pytest.raises(ValueError, match="images"):
        plotting.image_grid(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="titles"):
        plotting.image_grid(np.zeros((2, 8, 8)), titles=["a"])
    plt.close("all")


def test_density_and_contour_draw_on_the_given_axes():
    fig, (a, b) = plt.subplots(1, 2)
    plotting.density_2d(np.random.default_rng(0).normal(size=(500, 2)), ax=a, bins=20)
    plotting.contour_2d(lambda p: -(p**2).sum(axis=1), ax=b, n=30)
    assert a.collections or a.images or a.patches
    assert b.collections
    with pytest.raises(ValueError, match="samples"):
        plotting.density_2d(np.zeros((5, 3)))
    plt.close("all")


def test_training_curves_and_style():
    h = History()
    for v in [1.0, 0.5, 0.25]:
        h.append("train_loss", v)
        h.append("seconds", 0.1)
    fig, (a, b) = plt.subplots(1, 2)
    ax = plotting.training_curves(h, ax=a)
    assert len(ax.lines) == 1  # seconds is not a curve
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])
    assert ax.get_yscale() == "linear"
    assert plotting.training_curves(h, ax=b, logy=True).get_yscale() == "log"
    with pytest.raises(ValueError, match="keys"):
        plotting.training_curves(h, keys=["val_loss"])
    plotting.use_style()
    assert plt.rcParams["axes.spines.top"] is False
    with pytest.raises(TypeError, match="overrides"):
        plotting.use_style(["x"])
    plt.close("all")


def test_use_style_applies_nothing_from_a_bad_overrides_dict():
    plotting.use_style()
    before = dict(plt.rcParams)
    with pytest.raises(ValueError, match="overrides"):
        plotting.use_style({"font.size": 30, "lines.linewidth": "thick"})
    with pytest.raises(ValueError, match="overrides"):
        plotting.use_style({"font.size": 30, "not.a.param": 1})
    assert dict(plt.rcParams) == before
    plotting.use_style({"font.size": 30})
    assert plt.rcParams["font.size"] == 30
    plotting.use_style()


def test_contour_2d_calls_fn_once_and_lets_its_errors_through():
    calls = []

    def fn(p):
        calls.append(type(p))
        raise TypeError("a bug inside the user's function")

    with pytest.raises(TypeError, match="bug inside"):
        plotting.contour_2d(fn, n=5)
    assert calls == [np.ndarray]  # called once, not retried with a tensor
    fig, ax = plt.subplots()
    plotting.contour_2d(lambda p: p.norm(dim=1), ax=ax, n=5, tensor=True)
    assert ax.collections
    plt.close("all")


@pytest.mark.parametrize("lim, box", [(2.0, (-2.0, 2.0)), ((-3, 1), (-3.0, 1.0)),
                                      (((-1, 1), (0, 5)), (-1.0, 1.0))])
def test_density_2d_box_forms(lim, box):
    fig, ax = plt.subplots()
    plotting.density_2d(np.zeros((3, 2)) + 0.5, ax=ax, bins=4, lim=lim)
    assert tuple(float(v) for v in ax.get_xlim()) == box
    plt.close("all")
