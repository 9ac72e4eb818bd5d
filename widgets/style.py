"""Colours and pens shared by all views, so real and generated data match everywhere."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from widgets.plot_helpers import fit_title

REAL_COLOR = (31, 119, 180)
FAKE_COLOR = (230, 85, 13)
G_COLOR = (230, 85, 13)
D_COLOR = (31, 119, 180)
ACCEPT_COLOR = (44, 160, 44)
REJECT_COLOR = (214, 39, 40)
NEUTRAL_COLOR = (90, 90, 90)

# One colour per GAN generator loss, for curves and points of side-by-side runs.
LOSS_COLORS = {
    "non-saturating": (44, 160, 44),
    "saturating": (148, 103, 189),
}


HISTORY_CURVE_OPTIONS = {"antialias": False, "autoDownsampleFactor": 2.0}
"""``PlotDataItem`` options for a curve over thousands of training steps.

Use them in a plot set up by :func:`downsample_history_plot`. Two bins per pixel
column keep a noisy loss's band. The 2-pixel line is drawn without antialiasing,
which Qt's raster engine does slowly for a dense zig-zag.
"""


def downsample_history_plot(plot: pg.PlotItem) -> None:
    """Draw the plot's curves from the minimum and maximum of each bin of steps.

    The cost of a frame then depends on the plot's width, not on the length of
    the run. A ``LossPlot`` of 265 x 295 pixels with 8,000 steps per curve took
    62 ms per frame with every step drawn antialiased and 7 ms with this and
    :data:`HISTORY_CURVE_OPTIONS` (benchmarks/draw_cost.py, PySide6 6.11,
    offscreen).
    """
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)


def pen(color, width: float = 2.0, style=None) -> pg.QtGui.QPen:
    p = pg.mkPen(color=color, width=width)
    if style is not None:
        p.setStyle(style)
    return p


def brush(color, alpha: int = 255) -> pg.QtGui.QBrush:
    return pg.mkBrush(*color, alpha)


def discriminator_colormap() -> pg.ColorMap:
    """Orange where D says generated (0), white at 0.5, blue where D says real (1)."""
    positions = np.array([0.0, 0.5, 1.0])
    colors = np.array(
        [[250, 190, 150, 255], [255, 255, 255, 255], [165, 200, 235, 255]],
        dtype=np.ubyte,
    )
    return pg.ColorMap(positions, colors)


def witness_colormap() -> pg.ColorMap:
    """Return a diverging map for a field symmetric around 0, such as an MMD witness.

    Orange for negative values (too many generated samples), white at 0, blue for
    positive values (too few), matching the discriminator map's colours.
    """
    positions = np.array([0.0, 0.5, 1.0])
    colors = np.array(
        [[230, 120, 50, 255], [255, 255, 255, 255], [60, 130, 200, 255]],
        dtype=np.ubyte,
    )
    return pg.ColorMap(positions, colors)


def finite_or_nan(values) -> np.ndarray:
    """Return a float copy with infinities replaced by NaN, which plots skip."""
    values = np.array(values, dtype=np.float64, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def configure_plot(plot: pg.PlotItem, title: str, x_label: str, y_label: str) -> None:
    plot.setTitle(title)
    fit_title(plot)
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    plot.showGrid(x=True, y=True, alpha=0.2)
