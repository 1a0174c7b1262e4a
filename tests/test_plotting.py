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
    ax = plotting.training_curves(h)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25])
    with pytest.raises(ValueError, match="keys"):
        plotting.training_curves(h, keys=["val_loss"])
    plotting.use_style()
    assert plt.rcParams["axes.spines.top"] is False
    with pytest.raises(TypeError, match="overrides"):
        plotting.use_style(["x"])
    plt.close("all")
