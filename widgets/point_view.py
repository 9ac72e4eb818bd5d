"""Real and generated 2-D points over a heat map of a scalar field, such as D(x)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from widgets.plot_helpers import InsideFrame, legend_below
from widgets.style import (
    FAKE_COLOR,
    NEUTRAL_COLOR,
    REAL_COLOR,
    brush,
    configure_plot,
    discriminator_colormap,
    pen,
)

ARROW_HEAD_ANGLE = np.deg2rad(25.0)
"""Angle between an arrow's shaft and each stroke of its head."""

ARROW_HEAD_FRACTION = 0.3
"""Length of an arrow head's strokes as a fraction of the arrow."""


class PointView(pg.PlotWidget):
    """A square plot of real points, generated points and a field behind them.

    Parameters
    ----------
    field_label : str
        Name of the field drawn as the heat map, shown on the colour bar.
    title : str
        Title above the plot.
    colormap : pyqtgraph.ColorMap, optional
        Colours of the heat map; the discriminator's orange-white-blue by default.
    levels : tuple of float
        Field values at the two ends of the colour map, until ``set_field`` is
        given others.
    """

    def __init__(
        self,
        parent=None,
        field_label: str = "D(x)",
        title: str = "Samples",
        colormap: pg.ColorMap | None = None,
        levels: tuple[float, float] = (0.0, 1.0),
    ):
        super().__init__(parent, background="w")
        self.levels = levels
        plot = self.getPlotItem()
        configure_plot(plot, title, "x₁", "x₂")
        plot.setAspectLocked(True)
        legend_below(plot)
        self.frame = InsideFrame(plot)
        self._real_box: QRectF | None = None

        # The heat map is indexed field[i, j] at (x[i], y[j]): columns along x.
        self.field = pg.ImageItem(axisOrder="col-major")
        self.field.setZValue(-10)
        plot.addItem(self.field)
        self.colorbar = pg.ColorBarItem(
            values=levels,
            colorMap=colormap if colormap is not None else discriminator_colormap(),
            label=field_label,
            interactive=False,
            width=12,
        )
        self.colorbar.setImageItem(self.field, insert_in=plot)

        # Real points are drawn above generated ones, small and translucent, so a
        # mode that the generator covers still shows where the data lie.
        self.real = pg.ScatterPlotItem(
            size=5, pen=None, brush=brush(REAL_COLOR, 150), name="real"
        )
        self.generated = pg.ScatterPlotItem(
            size=5, pen=None, brush=brush(FAKE_COLOR, 170), name="generated"
        )
        self.real.setZValue(2)
        self.generated.setZValue(1)
        plot.addItem(self.real)
        plot.addItem(self.generated)

        # Arrows are line segments in one item: pairs of points, shafts and heads.
        self.arrows = pg.PlotDataItem(connect="pairs", pen=pen(NEUTRAL_COLOR, 1.2))
        self.arrows.setZValue(5)
        self.arrows.setVisible(False)
        plot.addItem(self.arrows)
        self._framed = False

    def set_real(self, points: np.ndarray, max_points: int = 2000) -> None:
        """Show real points (a fixed subset when there are many) and frame them."""
        points = np.asarray(points, dtype=np.float64)
        if len(points) > max_points:
            index = np.linspace(0, len(points) - 1, max_points).astype(int)
            points = points[index]
        self.real.setData(points[:, 0], points[:, 1])
        finite = points[np.all(np.isfinite(points), axis=1)]
        self._real_box = None
        if len(finite):
            low, high = finite.min(axis=0), finite.max(axis=0)
            pad = 0.05 * (high - low)
            low, high = low - pad, high + pad
            self._real_box = QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1])
        self._framed = False

    def set_generated(self, points: np.ndarray | None) -> None:
        if points is None or len(points) == 0:
            self.generated.setData([], [])
            return
        points = np.asarray(points, dtype=np.float64)
        finite = np.all(np.isfinite(points), axis=1)
        self.generated.setData(points[finite, 0], points[finite, 1])

    def set_field(
        self, x: np.ndarray, y: np.ndarray, values: np.ndarray | None, levels=None
    ) -> None:
        """Draw values[i, j] over the cell centred at (x[i], y[j]).

        ``levels`` are the values at the ends of the colour map; None keeps the
        current ones.
        """
        if values is None:
            self.field.clear()
            return
        corners = np.asarray([x[0], x[-1], y[0], y[-1]], dtype=np.float64)
        if not np.isfinite(corners).all():
            # The grid's rectangle would give the view a NaN or infinite range.
            self.field.clear()
            return
        if levels is not None:
            self.levels = (float(levels[0]), float(levels[1]))
        levels = self.levels
        values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=levels[0])
        self.field.setImage(values, levels=levels, autoLevels=False)
        # The colour bar does not follow levels passed to setImage (pyqtgraph
        # 0.14), so set them on the bar, which passes them on to the image.
        if self.colorbar.levels() != levels:
            self.colorbar.setLevels(levels)
        dx = (x[-1] - x[0]) / max(len(x) - 1, 1)
        dy = (y[-1] - y[0]) / max(len(y) - 1, 1)
        rect = QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * len(x), dy * len(y))
        self.field.setRect(rect)
        if not self._framed:
            self.frame.set_rect(rect, keep=self._real_box)
            self._framed = True

    def set_arrows(
        self, starts: np.ndarray | None, vectors: np.ndarray | None = None
    ) -> None:
        """Draw an arrow from each start point along its vector, both shape (n, 2).

        Arrows are drawn only while ``set_arrows_visible(True)`` is in effect.
        """
        if starts is None or vectors is None or len(starts) == 0:
            self.arrows.setData([], [])
            return
        starts = np.asarray(starts, dtype=np.float64)
        ends = starts + np.asarray(vectors, dtype=np.float64)

        # Each head stroke is the reversed shaft, shortened and turned by ±25°.
        back = (starts - ends) * ARROW_HEAD_FRACTION
        cos, sin = np.cos(ARROW_HEAD_ANGLE), np.sin(ARROW_HEAD_ANGLE)
        left = np.stack(
            [cos * back[:, 0] - sin * back[:, 1], sin * back[:, 0] + cos * back[:, 1]],
            axis=1,
        )
        right = np.stack(
            [cos * back[:, 0] + sin * back[:, 1], -sin * back[:, 0] + cos * back[:, 1]],
            axis=1,
        )

        # Segments as consecutive pairs: shaft, left stroke, right stroke.
        segments = np.stack(
            [starts, ends, ends, ends + left, ends, ends + right], axis=1
        ).reshape(-1, 2)
        finite = np.all(np.isfinite(segments.reshape(-1, 6, 2)), axis=(1, 2))
        segments = segments.reshape(-1, 6, 2)[finite].reshape(-1, 2)
        self.arrows.setData(segments[:, 0], segments[:, 1], connect="pairs")

    def set_arrows_visible(self, visible: bool) -> None:
        self.arrows.setVisible(visible)

    def clear_data(self) -> None:
        self.generated.setData([], [])
        self.field.clear()
        self.arrows.setData([], [])
