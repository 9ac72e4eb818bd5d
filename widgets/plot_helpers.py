"""Small helpers for the sampling views' plots."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg


def finite_max(*arrays) -> float:
    """Return the largest finite value in the arrays, or 0 when there is none."""
    best = 0.0
    for values in arrays:
        if values is None:
            continue
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size:
            best = max(best, float(values.max()))
    return best


def simplify_axes(plot: pg.PlotItem) -> None:
    """Show plain tick values and draw ticks and grid lines at two levels only.

    pyqtgraph would otherwise scale a density of 0.4 to 400 with "(x0.001)" in
    the label, and draw a third level of grid lines, which adds to the paint time
    of every frame.
    """
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.enableAutoSIPrefix(False)
        axis.setStyle(maxTickLevel=1)


def white_legend(plot: pg.PlotItem, offset=(-10, 10)) -> pg.LegendItem:
    """Add a legend with a translucent white box, readable over data."""
    return plot.addLegend(
        offset=offset, brush=pg.mkBrush(255, 255, 255, 200), pen=pg.mkPen(200, 200, 200)
    )


def apply_pending_ranges(widget) -> None:
    """Update the auto-ranges of the visible pyqtgraph plots inside ``widget`` now.

    pyqtgraph moves an auto-ranged view just before it paints, and the new range
    makes the axes ask for a second paint of the whole plot. Called after new data
    is set, this lets one paint show both the data and the range.
    """
    views = widget.findChildren(pg.GraphicsView)
    if isinstance(widget, pg.GraphicsView):
        views.append(widget)
    for view in views:
        if view.isVisible():
            view.scene().prepareForPaint()
