"""Per-sample size of the generator's gradient against the discriminator's output."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from widgets.plot_helpers import LogAxis, legend_below
from widgets.style import brush, configure_plot

MIN_NORM = 1e-12
"""Gradient norms below this are drawn at it, because a log axis has no 0."""


class GradientPlot(pg.PlotWidget):
    """A scatter of ‖∇ loss‖ per generated sample against D(G(z)), on a log y axis.

    With the saturating loss log(1 - D(G(z))), the gradient shrinks in proportion
    to D(G(z)) as D rejects a sample, so those points sink towards the bottom left.
    The non-saturating -log D(G(z)) keeps its size there.

    Parameters
    ----------
    series : sequence of (str, str, tuple)
        Key, legend label and RGB colour of each set of points.
    """

    def __init__(self, series, parent=None):
        super().__init__(parent, background="w", axisItems={"left": LogAxis("left")})
        plot = self.getPlotItem()
        configure_plot(plot, "Generator gradient per sample", "D(G(z))", "‖∇ loss‖")
        plot.setLogMode(y=True)
        plot.setXRange(0, 1, padding=0.02)
        plot.enableAutoRange(axis="x", enable=False)
        legend_below(plot)
        self.items: dict[str, pg.PlotDataItem] = {}
        for key, label, color in series:
            self.items[key] = plot.plot(
                pen=None,
                symbol="o",
                symbolSize=5,
                symbolPen=None,
                symbolBrush=brush(color, 150),
                name=label,
            )

    def set_points(self, key: str, d_fake: np.ndarray, norms: np.ndarray) -> None:
        """Draw one set: D(G(z)) on x and the gradient norms on y, both shape (n,)."""
        d_fake = np.asarray(d_fake, dtype=np.float64)
        norms = np.maximum(np.asarray(norms, dtype=np.float64), MIN_NORM)
        finite = np.isfinite(d_fake) & np.isfinite(norms)
        self.items[key].setData(d_fake[finite], norms[finite])

    def clear_data(self) -> None:
        for item in self.items.values():
            item.setData([], [])
