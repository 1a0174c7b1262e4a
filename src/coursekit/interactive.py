"""Figures the reader can move: in a live Jupyter kernel and in the static HTML book alike.

The book's rule is that a figure which should move, moves even where no kernel runs. The way it
does so here: the figure is drawn once per value of a parameter, each frame is rendered to a small
PNG, and matplotlib's ``Animation.to_jshtml`` wraps the frames in a self-contained HTML block with
a slider and play/step buttons. Nothing is loaded from the network, and the same output works in
Jupyter, in nbconvert's HTML and in the Jupyter Book pages.

The caller writes one function ``update(value)`` that redraws the figure for a parameter value
(set data on existing artists, or clear and redraw an axes). :func:`slider` does the rest and
checks that the embedded frames stay small (a notebook must stay below 3 MB).

For live kernels, :func:`live_slider` takes the same ``(fig, update, values)`` and drives the
figure with an ipywidgets slider; its output is not stored in the book (it needs a kernel).

Taught in: not taught; every chapter's interactive figures use it (first in the SVD chapter).

References
----------
matplotlib.animation.Animation.to_jshtml,
https://matplotlib.org/stable/api/_as_gen/matplotlib.animation.Animation.html
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure

from coursekit._checks import check_choice, check_int, check_real

__all__ = ["SliderFigure", "slider", "live_slider", "MAX_FRAMES", "MAX_BYTES"]

#: Upper bound on the number of frames of one interactive figure.
MAX_FRAMES = 80
#: Upper bound on the size of one interactive figure's HTML (frames are base64 PNGs).
MAX_BYTES = 1_500_000

# matplotlib's player draws its buttons with Font Awesome icons loaded from a CDN: offline they
# would be blank. The stylesheet link is dropped and each icon becomes a Unicode glyph.
_CDN_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>", re.S)
_ICONS = {  # glyphs that the common sans-serif fonts (DejaVu, Arial, Helvetica) all carry
    "fa fa-minus": "\u2212",
    "fa fa-fast-backward": "\u21e4",
    "fa fa-step-backward": "\u2039",
    "fa fa-play fa-flip-horizontal": "\u25c0",
    "fa fa-pause": "||",
    "fa fa-play": "\u25b6",
    "fa fa-step-forward": "\u203a",
    "fa fa-fast-forward": "\u21e5",
    "fa fa-plus": "+",
}


def _offline(html: str) -> str:
    """Make matplotlib's player self-contained: no stylesheet from the network."""
    html = _CDN_LINK.sub("", html)
    for css, glyph in _ICONS.items():
        html = html.replace(f'<i class="{css}"></i>', f'<span aria-hidden="true">{glyph}</span>')
    return html


class SliderFigure:
    """A figure with a slider over precomputed frames; displays itself as HTML.

    Created by :func:`slider`. In Jupyter (and in the book) it renders as a slider with
    play/step controls; ``html`` holds that markup and ``values`` the parameter of each frame.

    Attributes
    ----------
    html : str
        Self-contained HTML/JavaScript of the animation (frames inlined as PNG).
    values : tuple
        The parameter value of each frame, in order.
    label : str
        What the slider moves, for the caption line.

    Examples
    --------
    >>> SliderFigure("<div></div>", [1, 2, 3], "k")
    <SliderFigure: 3 frames of k>
    """

    def __init__(self, html: str, values: Sequence, label: str):
        self.html = html
        self.values = tuple(values)
        self.label = label

    @property
    def n_frames(self) -> int:
        """Number of frames behind the slider."""
        return len(self.values)

    @property
    def n_bytes(self) -> int:
        """Size of the embedded HTML in bytes."""
        return len(self.html.encode())

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        # What nbval compares and a terminal shows: stable, no ids or sizes.
        return f"<SliderFigure: {self.n_frames} frames of {self.label}>"


def slider(
    fig: Figure,
    update: Callable[[object], object],
    values: Sequence,
    *,
    label: str = "parameter",
    interval: int = 250,
    dpi: int | None = None,
    frame_format: str = "png",
    max_bytes: int = MAX_BYTES,
) -> SliderFigure:
    """Turn ``update(value)`` over ``values`` into a figure with a slider that needs no kernel.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to animate; it is closed afterwards so that it is not shown twice.
    update : callable
        ``update(value)`` redraws ``fig`` for one parameter value. It should also write the value
        somewhere visible (a title), since the slider itself shows only the frame index.
    values : sequence
        Parameter values, one frame each (at most :data:`MAX_FRAMES`).
    label : str
        Name of the parameter (used in the text representation).
    interval : int
        Milliseconds between frames when playing.
    dpi : int, optional
        Resolution of each frame. Defaults to ``rcParams["figure.dpi"]`` (100 in the house
        style), so the frames look like the page's static figures; lower it to save bytes.
    frame_format : {"png", "jpeg"}
        PNG for line art; JPEG is several times smaller for photographs.
    max_bytes : int
        Refuse to embed more than this many bytes.

    Returns
    -------
    SliderFigure

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib Figure or ``update`` is not callable.
    ValueError
        If ``values`` is empty or longer than :data:`MAX_FRAMES`, if ``interval`` or ``dpi`` is
        not positive, or if the frames exceed ``max_bytes``.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> line, = ax.plot([0, 1], [0, 0])
    >>> fig_slider = slider(fig, lambda a: line.set_ydata([0, a]), [0.0, 0.5, 1.0], label="a")
    >>> fig_slider
    <SliderFigure: 3 frames of a>
    >>> [float(v) for v in line.get_ydata()]  # the figure is left at the first frame
    [0.0, 0.0]
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not callable(update):
        raise TypeError("update must be callable as update(value)")
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one parameter value")
    if len(values) > MAX_FRAMES:
        raise ValueError(f"values has {len(values)} entries; at most {MAX_FRAMES} frames allowed")
    interval = check_real(interval, "interval", positive=True)
    dpi = mpl.rcParams["figure.dpi"] if dpi is None else check_real(dpi, "dpi", positive=True)
    check_choice(frame_format, "frame_format", ("png", "jpeg"))
    max_bytes = check_int(max_bytes, "max_bytes", low=1)
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")

    def _frame(i):
        update(values[i])
        return []

    anim = FuncAnimation(fig, _frame, frames=len(values), interval=interval, blit=False)
    # to_jshtml saves each frame at rcParams["savefig.dpi"], not at the figure's dpi.
    settings = {"savefig.dpi": dpi, "animation.frame_format": frame_format}
    try:
        with mpl.rc_context(settings):
            html = anim.to_jshtml(fps=max(1, round(1000 / interval)), default_mode="once")
    finally:
        plt.close(fig)
    result = SliderFigure(_offline(html), values, label)
    if result.n_bytes > max_bytes:
        raise ValueError(
            f"the interactive figure takes {result.n_bytes} bytes, more than max_bytes={max_bytes}:"
            " use fewer values, a smaller figure or a lower dpi"
        )
    # Leave the figure showing the first frame for anyone who keeps a handle on it.
    update(values[0])
    return result


def live_slider(
    fig: Figure,
    update: Callable[[object], object],
    values: Sequence,
    *,
    label: str = "parameter",
    dpi: int | None = None,
):
    """The same figure as :func:`slider`, driven live by an ipywidgets slider in a kernel.

    One contract for both: ``live_slider(fig, update, values)`` takes exactly the arguments a
    chapter gives :func:`slider`, so an instructor can swap one for the other in class and move
    through any value, not only precomputed frames. Each move calls ``update(value)`` on the same
    ``fig`` and shows the redrawn figure as a PNG image; nothing depends on the notebook's
    matplotlib backend. Its output is not stored in the book (it needs a kernel to move).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed (not shown by the backend), the widget shows its renderings.
    update : callable
        ``update(value)`` redraws ``fig`` for one parameter value, as for :func:`slider`.
    values : sequence
        The slider's values (any number of them).
    label : str
        The slider's description.
    dpi : int, optional
        Resolution of the rendering; defaults to ``rcParams["figure.dpi"]``.

    Returns
    -------
    ipywidgets.VBox
        ``children[0]`` is the slider, ``children[1]`` the image; display it in a notebook cell.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib Figure or ``update`` is not callable.
    ValueError
        If ``values`` is empty or ``dpi`` is not positive.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> line, = ax.plot([0, 1], [0, 0])
    >>> w = live_slider(fig, lambda a: line.set_ydata([0, a]), [0.0, 0.5, 1.0], label="a")
    >>> w.children[0].options, w.children[0].value, bytes(w.children[1].value[:4])
    ((0.0, 0.5, 1.0), 0.0, b'\\x89PNG')
    >>> w.children[0].value = 1.0  # moving the slider redraws the figure
    >>> [float(v) for v in line.get_ydata()]
    [0.0, 1.0]
    """
    import io

    import ipywidgets as widgets

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not callable(update):
        raise TypeError("update must be callable as update(value)")
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one parameter value")
    dpi = mpl.rcParams["figure.dpi"] if dpi is None else check_real(dpi, "dpi", positive=True)
    if not isinstance(label, str):
        raise TypeError(f"label must be a str, got {type(label).__name__}")
    control = widgets.SelectionSlider(options=values, value=values[0], description=label,
                                      continuous_update=False)
    image = widgets.Image(format="png")

    def render(value):
        update(value)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
        image.value = buffer.getvalue()

    render(values[0])
    plt.close(fig)  # the widget shows the renderings; the backend must not show it too
    control.observe(lambda change: render(change["new"]), names="value")
    return widgets.VBox([control, image])
