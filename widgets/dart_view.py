"""Rejection sampling drawn as darts thrown under an envelope M q(x)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_helpers import finite_max, legend_below, simplify_axes
from widgets.style import (
    ACCEPT_COLOR,
    NEUTRAL_COLOR,
    REAL_COLOR,
    REJECT_COLOR,
    brush,
    configure_plot,
    pen,
)

# EnvelopeCheck lists at most ten intervals where p > M q.
MAX_VIOLATIONS = 10


class DartView(pg.PlotWidget):
    """Darts (x, u M q(x)) under the envelope M q, coloured by their fate.

    A dart below the target p(x) is accepted, one between p(x) and M q(x) is
    rejected. Where a hand-set M is too small, the part of p above M q is filled
    red and its x ranges are shaded, because the accepted samples there follow
    M q instead of p.

    The view is fixed to the target's plot range, so proposals far out in a tail
    do not move it.
    """

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self.plot_item = self.getPlotItem()
        configure_plot(
            self.plot_item, "Darts under the envelope", "x", "dart height u·M·q(x)"
        )
        simplify_axes(self.plot_item)
        legend_below(self.plot_item)
        self.plot_item.enableAutoRange(enable=False)

        # Create the items once, so that later draws only call setData.
        self.rejected = pg.ScatterPlotItem(
            size=5, pen=None, brush=brush(REJECT_COLOR, 150), name="rejected"
        )
        self.accepted = pg.ScatterPlotItem(
            size=5, pen=None, brush=brush(ACCEPT_COLOR, 170), name="accepted"
        )
        self.envelope = pg.PlotDataItem(
            pen=pen(NEUTRAL_COLOR, 2.5, Qt.PenStyle.DashLine), name="envelope M q(x)"
        )
        self.target = pg.PlotDataItem(pen=pen(REAL_COLOR, 3), name="target p(x)")
        # A curve without a pen builds no path, and FillBetweenItem needs the paths,
        # so the edges of the fill get an invisible pen.
        self._excess_top = pg.PlotDataItem(pen=pen((0, 0, 0, 0), 1))
        self._excess_bottom = pg.PlotDataItem(pen=pen((0, 0, 0, 0), 1))
        self.excess = pg.FillBetweenItem(
            self._excess_top, self._excess_bottom, brush=brush(REJECT_COLOR, 150)
        )
        self.excess.setZValue(5)
        self.regions = []
        for _ in range(MAX_VIOLATIONS):
            region = pg.LinearRegionItem(
                movable=False, brush=brush(REJECT_COLOR, 35), pen=pen(REJECT_COLOR, 1)
            )
            region.setZValue(-20)
            region.setVisible(False)
            self.regions.append(region)
            self.plot_item.addItem(region, ignoreBounds=True)
        for item in (self.rejected, self.accepted, self.envelope, self.target):
            self.plot_item.addItem(item)
        for item in (self._excess_top, self._excess_bottom, self.excess):
            self.plot_item.addItem(item)
        # The legend cannot draw a FillBetweenItem, so an empty filled curve
        # represents it there.
        self._excess_sample = pg.PlotDataItem(
            pen=pen(REJECT_COLOR, 1), fillLevel=0, brush=brush(REJECT_COLOR, 150)
        )
        self.plot_item.legend.addItem(self._excess_sample, "p(x) > M q(x)")
        self._frame = None

    def set_curves(self, x: np.ndarray, target: np.ndarray, envelope: np.ndarray):
        """Draw p and M q on ``x``, fill where p > M q, and frame both curves."""
        x = np.asarray(x, dtype=np.float64)
        target = np.asarray(target, dtype=np.float64).copy()
        envelope = np.asarray(envelope, dtype=np.float64).copy()
        target[~np.isfinite(target)] = np.nan
        envelope[~np.isfinite(envelope)] = np.nan
        self.target.setData(x, target, connect="finite")
        self.envelope.setData(x, envelope, connect="finite")

        # The fill runs from M q up to p where p is above, and is empty elsewhere.
        finite = np.isfinite(target) & np.isfinite(envelope)
        top = np.where(finite, target, 0.0)
        bottom = np.where(finite, np.minimum(target, envelope), 0.0)
        self._excess_top.setData(x, top)
        self._excess_bottom.setData(x, bottom)

        frame = (float(x[0]), float(x[-1]), 1.08 * finite_max(target, envelope))
        if frame != self._frame and frame[1] > frame[0] and frame[2] > 0:
            self._frame = frame
            self.plot_item.setXRange(frame[0], frame[1], padding=0.02)
            self.plot_item.setYRange(0, frame[2], padding=0)

    def set_violations(self, intervals) -> None:
        """Shade the x intervals where p > M q; an empty list removes the shading."""
        width = 0.0
        if self._frame is not None:
            width = 0.005 * (self._frame[1] - self._frame[0])
        for i, region in enumerate(self.regions):
            if i < len(intervals):
                low, high = intervals[i]
                middle = (low + high) / 2
                half = max((high - low) / 2, width)
                region.setRegion((middle - half, middle + half))
                region.setVisible(True)
            else:
                region.setVisible(False)

    def set_darts(self, x: np.ndarray, y: np.ndarray, accepted: np.ndarray) -> None:
        """Draw darts at (x, y), coloured by the boolean array ``accepted``."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        accepted = np.asarray(accepted, dtype=bool)
        finite = np.isfinite(x) & np.isfinite(y)
        keep = finite & accepted
        self.accepted.setData(x[keep], y[keep])
        keep = finite & ~accepted
        self.rejected.setData(x[keep], y[keep])

    def clear_data(self) -> None:
        """Remove the darts but keep the curves."""
        self.accepted.setData([], [])
        self.rejected.setData([], [])
