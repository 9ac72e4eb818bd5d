"""The CDF of a target with uniform numbers u projected through it onto x."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_helpers import legend_below, simplify_axes
from widgets.style import (
    ACCEPT_COLOR,
    FAKE_COLOR,
    NEUTRAL_COLOR,
    REAL_COLOR,
    brush,
    configure_plot,
    pen,
)


def _projection_path(u: np.ndarray, x: np.ndarray, left: float) -> np.ndarray:
    """Return segment end points for u -> (x, u) -> (x, 0), shape (4 k, 2).

    Each projection is two segments, a horizontal one from the u axis to the
    curve and a vertical one down to the x axis, drawn with ``connect="pairs"``.
    """
    k = len(u)
    points = np.empty((k, 4, 2))
    points[:, 0] = np.column_stack([np.full(k, left), u])
    points[:, 1] = np.column_stack([x, u])
    points[:, 2] = np.column_stack([x, u])
    points[:, 3] = np.column_stack([x, np.zeros(k)])
    return points.reshape(-1, 2)


class CdfView(pg.PlotWidget):
    """The curve u = F(x), with the latest uniform numbers u mapped to x = F⁻¹(u).

    The newest projection is drawn thick, with its u and x marked on the axes; a few
    older ones stay faint behind it. The view is fixed to the target's plot range in
    x and to [0, 1] in u, so a draw far out in a tail does not move it. Such a draw
    is marked at the edge of the range.

    Parameters
    ----------
    projections : int
        How many of the latest (u, x) pairs are drawn.
    """

    def __init__(self, parent=None, projections: int = 8):
        super().__init__(parent, background="w")
        self.projections = projections
        self.plot_item = self.getPlotItem()
        # x runs along the bottom and u up the side: the curve is u = F(x), and a
        # projection reads it backwards, from u to x = F⁻¹(u).
        configure_plot(
            self.plot_item, "CDF F, read from u to x = F⁻¹(u)", "x", "u = F(x)"
        )
        simplify_axes(self.plot_item)
        legend_below(self.plot_item)
        self.plot_item.enableAutoRange(enable=False)
        self.plot_item.setYRange(0, 1, padding=0.03)

        # Create the items once, so that later draws only call setData.
        self.cdf = pg.PlotDataItem(pen=pen(REAL_COLOR, 3), name="F(x)")
        self.older = pg.PlotDataItem(
            pen=pen(NEUTRAL_COLOR, 1.2, Qt.PenStyle.DashLine), connect="pairs"
        )
        self.latest = pg.PlotDataItem(
            pen=pen(FAKE_COLOR, 3), connect="pairs", name="u → x"
        )
        self.u_marks = pg.ScatterPlotItem(
            size=9, pen=None, brush=brush(ACCEPT_COLOR, 220), name="u ~ U(0, 1)"
        )
        self.x_marks = pg.ScatterPlotItem(
            size=9, pen=None, brush=brush(FAKE_COLOR, 220), symbol="t1", name="x"
        )
        self.label = pg.TextItem(
            color=(20, 20, 20), anchor=(0, 0), fill=brush((255, 255, 255), 220)
        )
        self.label.setZValue(20)
        for item in (self.cdf, self.older, self.latest, self.u_marks, self.x_marks):
            self.plot_item.addItem(item)
        self.plot_item.addItem(self.label, ignoreBounds=True)
        self._range = (0.0, 1.0)

    def set_cdf(self, x: np.ndarray, cdf: np.ndarray) -> None:
        """Draw the CDF and fix the x range to the span of ``x``."""
        x = np.asarray(x, dtype=np.float64)
        cdf = np.asarray(cdf, dtype=np.float64).copy()
        cdf[~np.isfinite(cdf)] = np.nan
        self.cdf.setData(x, cdf, connect="finite")
        low, high = float(x[0]), float(x[-1])
        if (low, high) != self._range and high > low:
            self._range = (low, high)
            self.plot_item.setXRange(low, high, padding=0.02)

    def set_projections(self, u: np.ndarray, x: np.ndarray) -> None:
        """Draw the latest pairs, oldest first, so the last pair is the newest."""
        u = np.asarray(u, dtype=np.float64)[-self.projections :]
        x = np.asarray(x, dtype=np.float64)[-self.projections :]
        keep = np.isfinite(u) & ~np.isnan(x)
        u, x = u[keep], x[keep]
        if len(u) == 0:
            self.clear_data()
            return
        low, high = self._range
        shown = np.clip(x, low, high)

        older = _projection_path(u[:-1], shown[:-1], low)
        self.older.setData(older[:, 0], older[:, 1])
        newest = _projection_path(u[-1:], shown[-1:], low)
        self.latest.setData(newest[:, 0], newest[:, 1])
        self.u_marks.setData(np.full(len(u), low), u)
        self.x_marks.setData(shown, np.zeros(len(u)))
        self.label.setText(f"u = {u[-1]:.4f}  →  x = {x[-1]:.4g}")
        self.label.setPos(low + 0.03 * (high - low), 1.0)

    def clear_data(self) -> None:
        """Remove the projections but keep the CDF."""
        for item in (self.older, self.latest):
            item.setData([], [])
        for item in (self.u_marks, self.x_marks):
            item.setData([], [])
        self.label.setText("")
