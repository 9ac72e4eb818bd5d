"""A running acceptance rate against the rate that theory predicts."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_helpers import simplify_axes
from widgets.style import ACCEPT_COLOR, NEUTRAL_COLOR, configure_plot, pen

# Curves of at most this many points get a symbol on each point.
MAX_SYMBOLS = 60


class AcceptanceRatePlot(pg.PlotWidget):
    """Observed acceptance rate over the proposals made, on a fixed [0, 1] axis.

    A dashed horizontal line marks a reference rate, such as 1/M for rejection
    sampling.
    """

    def __init__(self, parent=None, x_label: str = "proposals"):
        super().__init__(parent, background="w")
        self.plot_item = self.getPlotItem()
        configure_plot(self.plot_item, "Acceptance rate", x_label, "rate")
        simplify_axes(self.plot_item)
        self.plot_item.setYRange(0, 1, padding=0.02)
        self.plot_item.enableAutoRange(axis="y", enable=False)
        self.curve = self.plot_item.plot(
            pen=pen(ACCEPT_COLOR, 2.5),
            symbolSize=5,
            symbolPen=None,
            symbolBrush=ACCEPT_COLOR,
        )
        self._x_limit: float | None = None
        self.reference = pg.InfiniteLine(
            angle=0,
            pen=pen(NEUTRAL_COLOR, 2, Qt.PenStyle.DashLine),
            label="",
            labelOpts={"position": 0.6, "color": NEUTRAL_COLOR},
        )
        self.reference.setVisible(False)
        self.plot_item.addItem(self.reference)

    def set_rates(self, x: np.ndarray, rates: np.ndarray) -> None:
        """Draw the running rate, skipping NaN entries (nothing proposed yet)."""
        x = np.asarray(x, dtype=np.float64)
        rates = np.asarray(rates, dtype=np.float64).copy()
        rates[~np.isfinite(rates)] = np.nan
        if len(x) == 0:
            self.curve.setData([], [])
            return
        # Symbols keep a short curve, even a single point, visible.
        symbol = "o" if len(x) <= MAX_SYMBOLS else None
        self.curve.setData(x, rates, connect="finite", symbol=symbol)

    def set_reference(self, value: float | None, label: str = "") -> None:
        """Show a horizontal line at ``value`` with a label, or hide it for None."""
        if value is None or not np.isfinite(value):
            self.reference.setVisible(False)
            return
        # The label only updates while visible, so show the line first.
        self.reference.setVisible(True)
        self.reference.setValue(float(value))
        self.reference.label.setFormat(label)

    def set_x_limit(self, high: float) -> None:
        """Fix the x axis to [0, high], such as the number of proposals in a run.

        A limit that is not finite and positive, as for an open-ended run, is
        ignored.
        """
        if not (np.isfinite(high) and high > 0):
            return
        if high != self._x_limit:
            self._x_limit = high
            self.plot_item.setXRange(0, high, padding=0.02)

    def clear_data(self) -> None:
        self.curve.setData([], [])
        self.reference.setVisible(False)
        self._x_limit = None
