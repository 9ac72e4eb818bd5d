"""Stacked plots of a run's history columns over training steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_helpers import LogAxis, legend_below
from widgets.style import (
    HISTORY_CURVE_OPTIONS,
    NEUTRAL_COLOR,
    configure_plot,
    downsample_history_plot,
    finite_or_nan,
    pen,
)


@dataclass(frozen=True)
class Curve:
    """One history column drawn as a line.

    Attributes
    ----------
    key : str
        Column name in the history dict.
    label : str
        Legend text.
    color : tuple of int
        RGB colour.
    dashed : bool
        Draw a dashed line.
    """

    key: str
    label: str
    color: tuple[int, int, int]
    dashed: bool = False


@dataclass(frozen=True)
class Panel:
    """One plot of the stack.

    Attributes
    ----------
    title, y_label : str
        Plot title and y-axis label.
    curves : tuple of Curve
        Lines in the plot.
    y_range : tuple of float or None
        Fixed y range, or None to fit the curves.
    log_y : bool
        Use a logarithmic y axis.
    reference : float or None
        Height of a dashed horizontal line, such as 0 or 0.5.
    """

    title: str
    y_label: str
    curves: tuple[Curve, ...]
    y_range: tuple[float, float] | None = None
    log_y: bool = False
    reference: float | None = None


class HistoryPlot(pg.GraphicsLayoutWidget):
    """Plots stacked top to bottom, or side by side, all sharing the step axis.

    Parameters
    ----------
    panels : sequence of Panel
        The plots, from top to bottom or from left to right.
    horizontal : bool
        Place the plots side by side.
    """

    def __init__(self, panels, parent=None, horizontal: bool = False):
        super().__init__(parent)
        self.setBackground("w")
        self.panels = tuple(panels)
        self.plots: list[pg.PlotItem] = []
        self.curves: dict[str, pg.PlotDataItem] = {}

        # Build plots and create their curves once; draws only call setData.
        for index, panel in enumerate(self.panels):
            # pyqtgraph's own log axis labels minor ticks until they overlap.
            axes = {"left": LogAxis("left")} if panel.log_y else None
            if horizontal:
                plot = self.addPlot(row=0, col=index, axisItems=axes)
            else:
                plot = self.addPlot(row=index, col=0, axisItems=axes)
            configure_plot(plot, panel.title, "step", panel.y_label)
            downsample_history_plot(plot)
            if len(panel.curves) > 1:
                legend_below(plot)
            if panel.log_y:
                plot.setLogMode(y=True)
            if panel.y_range is not None:
                plot.setYRange(*panel.y_range, padding=0.02)
                plot.enableAutoRange(axis="y", enable=False)
            if panel.reference is not None:
                plot.addItem(
                    pg.InfiniteLine(
                        pos=panel.reference,
                        angle=0,
                        pen=pen(NEUTRAL_COLOR, 1.2, Qt.PenStyle.DashLine),
                    )
                )
            if self.plots:
                plot.setXLink(self.plots[0])
            for curve in panel.curves:
                style = Qt.PenStyle.DashLine if curve.dashed else None
                self.curves[curve.key] = plot.plot(
                    pen=pen(curve.color, 2.0, style),
                    name=curve.label,
                    **HISTORY_CURVE_OPTIONS,
                )
            self.plots.append(plot)

    def set_history(self, history: dict[str, np.ndarray]) -> None:
        """Draw every curve whose column is in ``history`` against ``step``.

        On a logarithmic axis, values that are not positive are left out.
        """
        steps = np.asarray(history.get("step", ()), dtype=np.float64)
        for panel in self.panels:
            for curve in panel.curves:
                item = self.curves[curve.key]
                if curve.key not in history or not len(steps):
                    item.setData([], [])
                    continue
                values = finite_or_nan(history[curve.key])
                if panel.log_y:
                    values[~(values > 0)] = np.nan
                item.setData(steps, values, connect="finite")

    def clear_data(self) -> None:
        self.set_history({})
