"""Real and generated 2-D points over a heat map of a scalar field, such as D(x)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from widgets.style import (
    FAKE_COLOR,
    REAL_COLOR,
    brush,
    configure_plot,
    discriminator_colormap,
)


class PointView(pg.PlotWidget):
    """A square plot of real points, generated points and a field behind them.

    Parameters
    ----------
    field_label : str
        Name of the field drawn as the heat map, shown on the colour bar.
    """

    def __init__(self, parent=None, field_label: str = "D(x)", title: str = "Samples"):
        super().__init__(parent, background="w")
        plot = self.getPlotItem()
        configure_plot(plot, title, "x₁", "x₂")
        plot.setAspectLocked(True)
        plot.addLegend(offset=(10, 10))

        # The heat map is indexed field[i, j] at (x[i], y[j]): columns along x.
        self.field = pg.ImageItem(axisOrder="col-major")
        self.field.setZValue(-10)
        plot.addItem(self.field)
        self.colorbar = pg.ColorBarItem(
            values=(0, 1),
            colorMap=discriminator_colormap(),
            label=field_label,
            interactive=False,
            width=12,
        )
        self.colorbar.setImageItem(self.field, insert_in=plot)

        self.real = pg.ScatterPlotItem(
            size=4, pen=None, brush=brush(REAL_COLOR, 110), name="real"
        )
        self.generated = pg.ScatterPlotItem(
            size=5, pen=None, brush=brush(FAKE_COLOR, 200), name="generated"
        )
        plot.addItem(self.real)
        plot.addItem(self.generated)
        self._framed = False

    def set_real(self, points: np.ndarray, max_points: int = 2000) -> None:
        """Show real points (a fixed subset when there are many) and frame them."""
        points = np.asarray(points, dtype=np.float64)
        if len(points) > max_points:
            index = np.linspace(0, len(points) - 1, max_points).astype(int)
            points = points[index]
        self.real.setData(points[:, 0], points[:, 1])
        self._framed = False

    def set_generated(self, points: np.ndarray | None) -> None:
        if points is None or len(points) == 0:
            self.generated.setData([], [])
            return
        points = np.asarray(points, dtype=np.float64)
        finite = np.all(np.isfinite(points), axis=1)
        self.generated.setData(points[finite, 0], points[finite, 1])

    def set_field(
        self, x: np.ndarray, y: np.ndarray, values: np.ndarray | None, levels=(0.0, 1.0)
    ) -> None:
        """Draw values[i, j] over the cell centred at (x[i], y[j])."""
        if values is None:
            self.field.clear()
            return
        values = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=levels[0])
        self.field.setImage(values, levels=levels, autoLevels=False)
        dx = (x[-1] - x[0]) / max(len(x) - 1, 1)
        dy = (y[-1] - y[0]) / max(len(y) - 1, 1)
        rect = QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * len(x), dy * len(y))
        self.field.setRect(rect)
        if not self._framed:
            self.getPlotItem().setRange(rect, padding=0)
            self._framed = True

    def clear_data(self) -> None:
        self.generated.setData([], [])
        self.field.clear()
