"""Markov chains over their target: a heat map with contours in 2-D, a curve in 1-D."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from widgets.plot_helpers import fit_legend
from widgets.sample_histogram import SampleHistogramView
from widgets.style import ACCEPT_COLOR, NEUTRAL_COLOR, REJECT_COLOR, brush, pen

# Colours of the first chains: paths, current states and trace curves.
CHAIN_COLORS = ((230, 85, 13), (117, 76, 171), (140, 86, 75), (20, 20, 20))
MAX_CHAINS = len(CHAIN_COLORS)

# The heat map shows log p - max log p, clipped below at LOG_FLOOR.
LOG_FLOOR = -12.0
# Contours where p is exp(-k^2 / 2) times its maximum, for k = 1, 2, 3: about 61 %,
# 14 % and 1 % of the peak.
CONTOUR_LEVELS = (-0.5, -2.0, -4.5)


def density_colormap() -> pg.ColorMap:
    """White where the density is negligible, deepening blue towards its peak."""
    positions = np.array([0.0, 0.5, 1.0])
    colors = np.array(
        [[255, 255, 255, 255], [205, 222, 240, 255], [120, 160, 210, 255]],
        dtype=np.ubyte,
    )
    return pg.ColorMap(positions, colors)


def relative_log_density(log_density: np.ndarray) -> np.ndarray:
    """Return log p - max log p clipped to [LOG_FLOOR, 0]; NaN and -inf at the floor."""
    values = np.asarray(log_density, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(values.shape, LOG_FLOOR)
    relative = np.where(finite, values - values[finite].max(), LOG_FLOOR)
    return np.clip(relative, LOG_FLOOR, 0.0)


def _finite_rows(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.size == 0:
        return points.reshape(0, points.shape[-1] if points.ndim > 1 else 1)
    return points[np.all(np.isfinite(points), axis=-1)]


class ChainView(SampleHistogramView):
    """The chains of a Metropolis-Hastings run drawn over their target.

    In 2-D the target is a heat map of its log density with three contours. Over
    it the view shows the recent kept draws, the latest path of each displayed
    chain, the latest proposals (green accepted, red crosses rejected) and each
    chain's current state. In 1-D it is the histogram of kept draws against the
    target density, with proposals and current states marked on the density curve.
    Call `set_dimension` before drawing a new target.
    """

    def __init__(self, parent=None):
        super().__init__(
            parent, title="Chains over the target", sample_label="kept draws"
        )
        plot = self.plot_item

        # 2-D target: heat map with contours as children, so they share its
        # placement. Rows of the image run along y, columns along x.
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(density_colormap())
        self.image.setZValue(-10)
        plot.addItem(self.image)
        self.contours = []
        for level in CONTOUR_LEVELS:
            curve = pg.IsocurveItem(
                level=level, pen=pen(NEUTRAL_COLOR, 1.2), axisOrder="row-major"
            )
            curve.setParentItem(self.image)
            self.contours.append(curve)

        # Draws, paths, proposals and states, created once.
        self.samples = pg.ScatterPlotItem(
            size=3, pen=None, brush=brush((60, 60, 60), 110)
        )
        self.paths = [pg.PlotDataItem(pen=pen(color, 1.6)) for color in CHAIN_COLORS]
        self.accepted = pg.ScatterPlotItem(
            size=9, pen=pen((255, 255, 255), 1), brush=brush(ACCEPT_COLOR, 230)
        )
        self.rejected = pg.ScatterPlotItem(
            size=10, pen=None, brush=brush(REJECT_COLOR, 230), symbol="x"
        )
        self.states = pg.ScatterPlotItem(size=15, pen=pen((255, 255, 255), 2))
        for item in (self.samples, *self.paths, self.accepted, self.rejected):
            plot.addItem(item)
        plot.addItem(self.states)
        self.dim = 0
        self._density_map: tuple[np.ndarray, ...] | None = None
        self._density_x = np.empty(0)
        self._density_y = np.empty(0)
        self.set_dimension(1)

    def set_dimension(self, dim: int) -> None:
        """Show the items of a 1-D or a 2-D target and label the axes for it."""
        if dim == self.dim:
            return
        self.dim = dim
        plot = self.plot_item
        two = dim == 2
        self.image.setVisible(two)
        self.samples.setVisible(two)
        for path in self.paths:
            path.setVisible(two)
        self.histogram.setVisible(not two)
        self.density.setVisible(not two)
        plot.setAspectLocked(two)
        # Over a heat map with contours a grid adds clutter, and painting it
        # costs more than the chains do.
        plot.showGrid(x=not two, y=not two, alpha=0.2)
        plot.setLabel("left", "y" if two else "density")

        # Rebuild the legend for the items now shown.
        legend = plot.legend
        legend.clear()
        if two:
            legend.addItem(self.samples, "kept draws")
            legend.addItem(self.paths[0], "chain paths, current states")
        else:
            legend.addItem(self.histogram, "kept draws")
            legend.addItem(self.density, "target p(x)")
        legend.addItem(self.accepted, "accepted proposal")
        legend.addItem(self.rejected, "rejected proposal")
        fit_legend(plot)
        self.clear_data()

    def set_density_map(
        self, x: np.ndarray, y: np.ndarray, log_density: np.ndarray
    ) -> None:
        """Draw log_density[j, i] at (x[i], y[j]) and frame the grid.

        Drawing the same map again does nothing, which spares a new run of the
        same target the contour tracing.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        relative = relative_log_density(log_density)
        drawn = self._density_map
        if drawn is not None and all(
            np.array_equal(a, b) for a, b in zip(drawn, (x, y, relative), strict=True)
        ):
            return
        self._density_map = (x, y, relative)
        self.image.setImage(relative, levels=(LOG_FLOOR, 0.0), autoLevels=False)
        for curve in self.contours:
            curve.setData(relative)
        dx = (x[-1] - x[0]) / max(len(x) - 1, 1)
        dy = (y[-1] - y[0]) / max(len(y) - 1, 1)
        rect = QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * len(x), dy * len(y))
        self.image.setRect(rect)
        if self._x_range != (rect.left(), rect.right()):
            self._x_range = (rect.left(), rect.right())
            self.plot_item.setRange(rect, padding=0.02)

    def set_density(self, x: np.ndarray, values: np.ndarray) -> None:
        super().set_density(x, values)
        self._density_x = np.asarray(x, dtype=np.float64)
        self._density_y = np.nan_to_num(self._density_values, nan=0.0)

    def _on_curve(self, x: np.ndarray) -> np.ndarray:
        # 1-D markers sit on the density curve, at height p(x).
        if len(self._density_x) == 0:
            return np.zeros(len(x))
        return np.interp(x, self._density_x, self._density_y, left=0.0, right=0.0)

    def set_chains(
        self,
        path: np.ndarray,
        proposals: np.ndarray,
        accepted: np.ndarray,
        samples: np.ndarray | None = None,
    ) -> None:
        """Draw the displayed chains.

        Parameters
        ----------
        path : ndarray, shape (chains, length, dim)
            Latest states of each chain, oldest first; the last is the current one.
        proposals : ndarray, shape (chains, recent, dim)
        accepted : ndarray of bool, shape (chains, recent)
        samples : ndarray, shape (k, dim), optional
            Recent kept draws of all chains, drawn as dots in 2-D.
        """
        path = np.asarray(path, dtype=np.float64)
        chains = min(len(path), MAX_CHAINS)
        proposals = np.asarray(proposals, dtype=np.float64)[:chains]
        accepted = np.asarray(accepted, dtype=bool)[:chains]
        flat = proposals.reshape(-1, self.dim)
        flags = accepted.reshape(-1)
        finite = np.all(np.isfinite(flat), axis=1)
        current = path[:chains, -1] if path.shape[1] else np.empty((0, self.dim))
        colors = [brush(CHAIN_COLORS[i], 255) for i in range(len(current))]

        if self.dim == 2:
            for i, item in enumerate(self.paths):
                if i < chains:
                    item.setData(path[i, :, 0], path[i, :, 1], connect="finite")
                else:
                    item.setData([], [])
            shown = flat[finite & flags]
            self.accepted.setData(shown[:, 0], shown[:, 1])
            shown = flat[finite & ~flags]
            self.rejected.setData(shown[:, 0], shown[:, 1])
            self.states.setData(current[:, 0], current[:, 1], brush=colors)
            if samples is not None:
                samples = _finite_rows(samples)
                self.samples.setData(samples[:, 0], samples[:, 1])
            return

        x = flat[finite & flags, 0]
        self.accepted.setData(x, self._on_curve(x))
        x = flat[finite & ~flags, 0]
        self.rejected.setData(x, self._on_curve(x))
        x = current[:, 0]
        self.states.setData(x, self._on_curve(x), brush=colors)

    def clear_data(self) -> None:
        """Remove draws, paths, proposals and states; the target stays."""
        super().clear_data()
        for item in (self.samples, self.accepted, self.rejected, self.states):
            item.setData([], [])
        for item in self.paths:
            item.setData([], [])
