"""Density histogram of samples drawn against the target density they should follow."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from widgets.plot_helpers import finite_max, legend_below, simplify_axes
from widgets.style import FAKE_COLOR, REAL_COLOR, brush, configure_plot, pen


class SampleHistogramView(pg.PlotWidget):
    """A filled histogram of samples, scaled as a density, under the target's curve.

    The x range is fixed to the bins, so samples far out in a heavy tail never
    stretch the view. The y range follows the histogram and the exact bin averages
    of the density (``expected``), which stay finite where the density itself has
    a singularity.
    """

    def __init__(
        self,
        parent=None,
        title: str = "Samples vs target",
        sample_label: str = "samples",
        density_label: str = "target p(x)",
    ):
        super().__init__(parent, background="w")
        self.plot_item = self.getPlotItem()
        configure_plot(self.plot_item, title, "x", "density")
        simplify_axes(self.plot_item)
        legend_below(self.plot_item)
        self.plot_item.enableAutoRange(enable=False)

        # Create the items once, so that later draws only call setData.
        self.histogram = pg.PlotDataItem(
            stepMode="center",
            fillLevel=0,
            brush=brush(FAKE_COLOR, 80),
            pen=pen(FAKE_COLOR, 1.5),
            name=sample_label,
        )
        self.density = pg.PlotDataItem(pen=pen(REAL_COLOR, 3), name=density_label)
        self.plot_item.addItem(self.histogram)
        self.plot_item.addItem(self.density)
        self._density_values: np.ndarray | None = None
        self._expected: np.ndarray | None = None
        self._x_range: tuple[float, float] | None = None

    def set_density(self, x: np.ndarray, values: np.ndarray) -> None:
        """Draw the target density, leaving infinite values out of the curve."""
        x = np.asarray(x, dtype=np.float64)
        values = np.asarray(values, dtype=np.float64).copy()
        values[~np.isfinite(values)] = np.nan
        self.density.setData(x, values, connect="finite")
        self._density_values = values
        self._set_x_range(float(x[0]), float(x[-1]))

    def set_histogram(
        self,
        edges: np.ndarray,
        density: np.ndarray,
        expected: np.ndarray | None = None,
    ) -> None:
        """Draw bin heights ``density`` over ``edges`` and frame them.

        ``expected`` contains the exact probability of each bin over its width.
        It sets the height of the view together with the histogram.
        """
        edges = np.asarray(edges, dtype=np.float64)
        density = np.nan_to_num(np.asarray(density, dtype=np.float64), posinf=0.0)
        self.histogram.setData(edges, density)
        if expected is not None:
            self._expected = np.asarray(expected, dtype=np.float64)
        self._set_x_range(float(edges[0]), float(edges[-1]))
        self._frame_y(density)

    def _set_x_range(self, low: float, high: float) -> None:
        if self._x_range != (low, high) and high > low:
            self._x_range = (low, high)
            self.plot_item.setXRange(low, high, padding=0.02)

    def _frame_y(self, density: np.ndarray | None = None) -> None:
        reference = self._expected
        if reference is None:
            reference = self._density_values
        top = finite_max(density, reference)
        if top > 0:
            self.plot_item.setYRange(0, 1.15 * top, padding=0)

    def clear_data(self) -> None:
        """Remove the samples but keep the target curve."""
        self.histogram.setData([], [])
