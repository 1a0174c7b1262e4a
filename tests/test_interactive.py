"""Interactive figures: one frame per value, self-contained, bounded in size."""

import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from coursekit.interactive import MAX_FRAMES, SliderFigure, live_slider, slider


def _sine_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    x = np.linspace(0, 2 * np.pi, 100)
    (line,) = ax.plot(x, np.sin(x))

    def update(k):
        line.set_ydata(np.sin(k * x))
        ax.set_title(f"k = {k}")

    return fig, update


def _frames(html):
    return re.findall(r'frames\[\d+\] = "data:image/png;base64,([^"]+)"', html)


def test_slider_embeds_one_distinct_png_per_value_and_no_network():
    fig, update = _sine_figure()
    s = slider(fig, update, [1, 2, 3, 4], label="k")
    assert isinstance(s, SliderFigure)
    frames = _frames(s.html)
    assert len(frames) == s.n_frames == 4
    assert len(set(frames)) == 4  # every value draws a different picture
    assert "http://" not in s.html and "https://" not in s.html  # no CDN stylesheet
    assert 'class="fa' not in s.html  # icons replaced by glyphs that need no font
    assert 'type="range"' in s.html  # the slider the reader moves
    assert s._repr_html_() == s.html
    assert repr(s) == "<SliderFigure: 4 frames of k>"
    assert not plt.fignum_exists(fig.number)  # closed: shown once, as the slider


def test_slider_frames_follow_dpi_and_format():
    import base64
    import io

    from PIL import Image

    sizes = {}
    for dpi in (50, 100):
        fig, update = _sine_figure()  # 3 x 2 inches
        png = base64.b64decode(_frames(slider(fig, update, [1, 2], dpi=dpi).html)[0])
        sizes[dpi] = Image.open(io.BytesIO(png)).size
    assert sizes[50] == (150, 100) and sizes[100] == (300, 200)
    fig, update = _sine_figure()
    html = slider(fig, update, [1, 2], frame_format="jpeg").html
    assert html.count("data:image/jpeg;base64,") == 2
    with pytest.raises(ValueError, match="frame_format"):
        slider(fig, update, [1], frame_format="gif")


def test_slider_refuses_bad_input():
    fig, update = _sine_figure()
    with pytest.raises(ValueError, match="values"):
        slider(fig, update, [])
    with pytest.raises(ValueError, match="values"):
        slider(fig, update, range(MAX_FRAMES + 1))
    with pytest.raises(TypeError, match="fig"):
        slider("figure", update, [1])
    with pytest.raises(TypeError, match="update"):
        slider(fig, None, [1])
    with pytest.raises(ValueError, match="dpi"):
        slider(fig, update, [1], dpi=0)
    with pytest.raises(ValueError, match="max_bytes"):
        slider(fig, update, [1, 2], max_bytes=100)


def test_slider_leaves_the_figure_at_its_first_frame():
    fig, ax = plt.subplots(figsize=(3, 2))
    (line,) = ax.plot([0.0, 1.0], [0.0, 0.0])
    seen = []

    def update(a):
        seen.append(a)
        line.set_ydata([0.0, a])

    slider(fig, update, [1.0, 2.0, 3.0])
    # every frame was drawn, then the figure was reset to the first value
    assert seen[-1] == 1.0 and {1.0, 2.0, 3.0} <= set(seen)
    np.testing.assert_array_equal(line.get_ydata(), [0.0, 1.0])


def test_live_slider_takes_what_slider_takes_and_redraws_on_each_move():
    """One contract: the (fig, update, values) of a chapter's slider drive the live widget."""
    fig, ax = plt.subplots()
    line, = ax.plot([0.0, 1.0], [0.0, 0.0])
    calls = []

    def update(a):
        calls.append(a)
        line.set_ydata([0.0, a])
        ax.set_title(f"a = {a}")

    w = live_slider(fig, update, [0.1, 0.2], label="eps")
    control, image = w.children
    assert control.options == (0.1, 0.2) and control.description == "eps"
    assert calls == [0.1] and image.value[:4] == b"\x89PNG"
    first = image.value
    control.value = 0.2  # moving the slider calls update with the new value and re-renders
    assert calls == [0.1, 0.2]
    assert image.value[:4] == b"\x89PNG" and image.value != first
    np.testing.assert_array_equal(line.get_ydata(), [0.0, 0.2])
    with pytest.raises(ValueError, match="values"):
        live_slider(fig, update, [])
    with pytest.raises(TypeError, match="update"):
        live_slider(fig, "update", [1])
    with pytest.raises(TypeError, match="fig"):
        live_slider(update, update, [1])
