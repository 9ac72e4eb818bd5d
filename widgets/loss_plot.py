"""Loss curves of G and D and the discriminator's mean outputs over training steps."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_helpers import legend_below
from widgets.style import (
    D_COLOR,
    G_COLOR,
    HISTORY_CURVE_OPTIONS,
    NEUTRAL_COLOR,
    configure_plot,
    downsample_history_plot,
    finite_or_nan,
    pen,
)


class LossPlot(pg.GraphicsLayoutWidget):
    """Two stacked plots sharing the step axis.

    The upper plot shows the generator and discriminator losses; the lower one the
    batch means of D(x) on real data and D(G(z)) on generated data, with the 0.5
    line that both approach at the game's equilibrium.
    """

    def __init__(self, parent=None, loss_names=("D loss", "G loss")):
        super().__init__(parent)
        self.setBackground("w")

        # Build plots.
        self.loss_plot = self.addPlot(row=0, col=0)
        configure_plot(self.loss_plot, "Losses", "step", "loss")
        legend_below(self.loss_plot)
        self.output_plot = self.addPlot(row=1, col=0)
        configure_plot(self.output_plot, "Discriminator output", "step", "mean D")
        legend_below(self.output_plot)
        self.output_plot.setXLink(self.loss_plot)
        self.output_plot.setYRange(0, 1, padding=0.02)
        self.output_plot.enableAutoRange(axis="y", enable=False)
        for plot in (self.loss_plot, self.output_plot):
            downsample_history_plot(plot)

        # Create the curves once; later draws only call setData.
        options = HISTORY_CURVE_OPTIONS
        self.d_loss_curve = self.loss_plot.plot(
            pen=pen(D_COLOR), name=loss_names[0], **options
        )
        self.g_loss_curve = self.loss_plot.plot(
            pen=pen(G_COLOR), name=loss_names[1], **options
        )
        self.d_real_curve = self.output_plot.plot(
            pen=pen(D_COLOR), name="D(x), real", **options
        )
        self.d_fake_curve = self.output_plot.plot(
            pen=pen(G_COLOR), name="D(G(z)), generated", **options
        )
        self.equilibrium = pg.InfiniteLine(
            pos=0.5,
            angle=0,
            pen=pen(NEUTRAL_COLOR, 1.5, Qt.PenStyle.DashLine),
            label="0.5",
            labelOpts={"position": 0.05, "color": NEUTRAL_COLOR},
        )
        self.output_plot.addItem(self.equilibrium)

    def set_history(self, history: dict[str, np.ndarray]) -> None:
        """Draw columns ``step``, ``d_loss``, ``g_loss``, ``d_real``, ``d_fake``."""
        steps = np.asarray(history.get("step", ()), dtype=np.float64)
        pairs = (
            (self.d_loss_curve, "d_loss"),
            (self.g_loss_curve, "g_loss"),
            (self.d_real_curve, "d_real"),
            (self.d_fake_curve, "d_fake"),
        )
        for curve, key in pairs:
            if key in history and len(steps):
                curve.setData(steps, finite_or_nan(history[key]), connect="finite")
            else:
                curve.setData([], [])

    def clear_data(self) -> None:
        self.set_history({})
