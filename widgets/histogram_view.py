"""1-D view: real and generated histograms, with a curve such as D(x) below."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_helpers import legend_below
from widgets.style import (
    D_COLOR,
    FAKE_COLOR,
    NEUTRAL_COLOR,
    REAL_COLOR,
    brush,
    configure_plot,
    pen,
)


class HistogramView(pg.GraphicsLayoutWidget):
    """Density histograms of real and generated samples over a common set of bins,
    with a curve such as the discriminator's output in a linked plot below.

    Parameters
    ----------
    curve_label : str
        Title and y label of the curve's plot.
    curve_range : tuple of float or None
        Fixed y range of the curve's plot, or None to fit the curve.
    reference : float
        Height of the dashed reference line in the curve's plot.
    """

    def __init__(
        self,
        parent=None,
        curve_label: str = "D(x)",
        curve_range: tuple[float, float] | None = (0.0, 1.0),
        reference: float = 0.5,
    ):
        super().__init__(parent)
        self.setBackground("w")
        self.hist_plot = self.addPlot(row=0, col=0)
        configure_plot(self.hist_plot, "Real vs generated", "x", "density")
        legend_below(self.hist_plot)
        self.curve_plot = self.addPlot(row=1, col=0)
        configure_plot(self.curve_plot, curve_label, "x", curve_label)
        self.curve_plot.setXLink(self.hist_plot)
        if curve_range is not None:
            self.curve_plot.setYRange(*curve_range, padding=0.02)
            self.curve_plot.enableAutoRange(axis="y", enable=False)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)

        self.real_hist = pg.PlotDataItem(
            stepMode="center",
            fillLevel=0,
            brush=brush(REAL_COLOR, 70),
            pen=pen(REAL_COLOR, 1.5),
            name="real",
        )
        self.generated_hist = pg.PlotDataItem(
            stepMode="center",
            fillLevel=0,
            brush=brush(FAKE_COLOR, 90),
            pen=pen(FAKE_COLOR, 2),
            name="generated",
        )
        self.hist_plot.addItem(self.real_hist)
        self.hist_plot.addItem(self.generated_hist)
        self.curve = self.curve_plot.plot(pen=pen(D_COLOR, 2.5), name=curve_label)
        self.curve_plot.addItem(
            pg.InfiniteLine(
                pos=reference,
                angle=0,
                pen=pen(NEUTRAL_COLOR, 1.5, Qt.PenStyle.DashLine),
            )
        )
        self.edges = np.linspace(-1, 1, 61)

    def set_real(
        self, samples: np.ndarray, bins: int = 60, margin: float = 0.15
    ) -> None:
        """Fix the bins to frame the real samples and draw their histogram.

        NaN and infinite samples are left out; without finite ones the bins span
        [-1, 1].
        """
        samples = np.asarray(samples, dtype=np.float64).ravel()
        samples = samples[np.isfinite(samples)]
        if samples.size == 0:
            samples = np.array([-1.0, 1.0])
        low, high = float(samples.min()), float(samples.max())
        pad = max((high - low) * margin, 1e-3)
        self.edges = np.linspace(low - pad, high + pad, bins + 1)
        density, _ = np.histogram(samples, bins=self.edges, density=True)
        self.real_hist.setData(self.edges, density)
        self.hist_plot.setXRange(self.edges[0], self.edges[-1], padding=0)

    def set_generated(self, samples: np.ndarray | None) -> None:
        if samples is None or len(samples) == 0:
            self.generated_hist.setData([], [])
            return
        samples = np.asarray(samples, dtype=np.float64).ravel()
        samples = samples[np.isfinite(samples)]
        counts, _ = np.histogram(samples, bins=self.edges)
        width = np.diff(self.edges)
        # Density over all generated samples, so mass outside the bins shows as missing.
        density = counts / max(len(samples), 1) / width
        self.generated_hist.setData(self.edges, density)

    def set_curve(self, x: np.ndarray | None, values: np.ndarray | None) -> None:
        if x is None or values is None:
            self.curve.setData([], [])
            return
        values = np.asarray(values, dtype=np.float64)
        self.curve.setData(np.asarray(x, dtype=np.float64), values, connect="finite")

    def clear_data(self) -> None:
        self.set_generated(None)
        self.set_curve(None, None)
