"""Trace plots and autocorrelation of Markov chains."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.chain_view import CHAIN_COLORS
from widgets.plot_helpers import fit_legend, legend_below, simplify_axes
from widgets.style import NEUTRAL_COLOR, configure_plot, pen

COORDINATE_NAMES = ("x", "y")
COORDINATE_COLORS = ((31, 119, 180), (214, 39, 40))


def peak_decimate(values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (index, values) with at most about ``max_points`` points.

    Long series are cut into equal blocks, and each block is drawn by its minimum
    and maximum, so spikes stay visible where plain striding would skip them. The
    last partial block is dropped.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n <= max_points:
        return np.arange(n, dtype=np.float64), values
    block = math.ceil(n / (max_points // 2))
    blocks = n // block
    shaped = values[: blocks * block].reshape(blocks, block)
    index = np.repeat(np.arange(blocks) * block + block / 2, 2)
    peaks = np.column_stack([shaped.min(axis=1), shaped.max(axis=1)]).ravel()
    return index, peaks


class TraceView(pg.GraphicsLayoutWidget):
    """Kept draws of each displayed chain against the draw number, one plot per
    coordinate. Long traces are drawn by block minima and maxima."""

    def __init__(self, parent=None, max_points: int = 800):
        super().__init__(parent)
        self.setBackground("w")
        # Thousands of zig-zags are slow to antialias, and a trace is noise anyway.
        self.setAntialiasing(False)
        self.max_points = max_points
        self.plots = []
        self.curves = []
        for name in COORDINATE_NAMES:
            plot = pg.PlotItem()
            configure_plot(plot, f"Trace of {name}", "kept draw", name)
            simplify_axes(plot)
            self.curves.append([plot.plot(pen=pen(color, 1)) for color in CHAIN_COLORS])
            self.plots.append(plot)
        self.addItem(self.plots[0], row=0, col=0)
        self.plots[1].setXLink(self.plots[0])
        self.dim = 1

    def set_dimension(self, dim: int) -> None:
        """Show one trace plot per coordinate."""
        if dim == self.dim:
            return
        if dim == 2:
            self.addItem(self.plots[1], row=1, col=0)
        else:
            self.removeItem(self.plots[1])
        self.dim = dim

    def set_traces(self, trace: np.ndarray) -> None:
        """Draw ``trace`` of shape (chains, kept, dim), ignoring chains beyond four."""
        trace = np.asarray(trace, dtype=np.float64)
        for d in range(2):
            for i, curve in enumerate(self.curves[d]):
                if d < self.dim and i < len(trace) and trace.shape[1]:
                    index, values = peak_decimate(trace[i, :, d], self.max_points)
                    values = values.copy()
                    values[~np.isfinite(values)] = np.nan
                    curve.setData(index, values, connect="finite")
                else:
                    curve.setData([], [])

    def clear_data(self) -> None:
        self.set_traces(np.empty((0, 0, self.dim)))


class AutocorrelationPlot(pg.PlotWidget):
    """Autocorrelation of the kept draws by lag, one curve per coordinate."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.plot_item = self.getPlotItem()
        configure_plot(self.plot_item, "Autocorrelation", "lag", "ρ")
        simplify_axes(self.plot_item)
        self.legend = legend_below(self.plot_item)
        self.plot_item.setYRange(-0.25, 1.05, padding=0)
        self.plot_item.enableAutoRange(axis="y", enable=False)
        self.curves = [
            self.plot_item.plot(pen=pen(color, 2.5)) for color in COORDINATE_COLORS
        ]
        self.plot_item.addItem(
            pg.InfiniteLine(
                pos=0, angle=0, pen=pen(NEUTRAL_COLOR, 1, Qt.PenStyle.DashLine)
            )
        )

    def set_autocorrelation(self, acf: np.ndarray) -> None:
        """Draw ``acf`` of shape (dim, lags + 1), leaving out NaN lags."""
        acf = np.asarray(acf, dtype=np.float64)
        if len(acf) and len(acf) != len(self.legend.items):
            # One legend entry per coordinate drawn.
            self.legend.clear()
            for d in range(min(len(acf), len(self.curves))):
                self.legend.addItem(self.curves[d], COORDINATE_NAMES[d])
            fit_legend(self.plot_item)
        for d, curve in enumerate(self.curves):
            if d < len(acf) and acf.shape[1]:
                values = acf[d].copy()
                values[~np.isfinite(values)] = np.nan
                curve.setData(np.arange(len(values)), values, connect="finite")
            else:
                curve.setData([], [])

    def clear_data(self) -> None:
        self.set_autocorrelation(np.empty((0, 0)))
