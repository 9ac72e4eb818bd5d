"""A canvas on which brush strokes of the mouse become 2-D sample points."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.style import REAL_COLOR, brush, configure_plot


class _StrokeView(pg.PlotWidget):
    """A plot that reports left-button presses and drags in data coordinates."""

    stroke_started = Signal(float, float)
    stroke_moved = Signal(float, float)

    def __init__(self, extent: float):
        super().__init__(background="w")
        plot = self.getPlotItem()
        configure_plot(plot, "Press and drag to add points", "x₁", "x₂")
        plot.setAspectLocked(True)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0)
        self._drawing = False

    def _to_data(self, event) -> QPointF:
        scene = self.mapToScene(event.position().toPoint())
        return self.getPlotItem().vb.mapSceneToView(scene)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self._drawing = True
        point = self._to_data(event)
        self.stroke_started.emit(point.x(), point.y())
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not (self._drawing and event.buttons() & Qt.MouseButton.LeftButton):
            super().mouseMoveEvent(event)
            return
        point = self._to_data(event)
        self.stroke_moved.emit(point.x(), point.y())
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._drawing = False
            event.accept()
            return
        super().mouseReleaseEvent(event)


class DrawCanvas(QWidget):
    """Paint a 2-D distribution: each brush dab adds points scattered around it.

    A press adds one dab at the cursor. A drag adds a dab every half brush radius
    along the path, so a fast stroke leaves no gaps. Each dab is ``points_per_dab``
    points drawn from a normal distribution around the cursor, with standard
    deviation ``brush_radius / 2``.

    Parameters
    ----------
    extent : float
        The canvas shows [-extent, extent] on both axes.
    brush_radius : float
        Initial brush radius in data units; the brush size box changes it.
    points_per_dab : int
        Points added per dab.
    max_points : int
        Strokes past this many points add nothing.
    seed : int or None
        Seed of the jitter, for repeatable tests.

    Signals
    -------
    points_changed(int)
        The number of points after a stroke added some, or after Clear.
    """

    points_changed = Signal(int)

    def __init__(
        self,
        extent: float = 2.0,
        brush_radius: float = 0.1,
        points_per_dab: int = 4,
        max_points: int = 20_000,
        seed: int | None = None,
        parent=None,
    ):
        super().__init__(parent)
        self.extent = extent
        self.points_per_dab = points_per_dab
        self.max_points = max_points
        self._rng = np.random.default_rng(seed)
        self._points = np.empty((0, 2))
        self._last: tuple[float, float] | None = None
        self._carry = 0.0

        # Build widgets.
        self.view = _StrokeView(extent)
        self.scatter = pg.ScatterPlotItem(
            size=4, pen=None, brush=brush(REAL_COLOR, 160), name="drawn"
        )
        self.view.getPlotItem().addItem(self.scatter)
        self.brush_box = QDoubleSpinBox()
        self.brush_box.setRange(0.01, extent)
        self.brush_box.setDecimals(2)
        self.brush_box.setSingleStep(0.02)
        self.brush_box.setValue(brush_radius)
        self.brush_box.setToolTip(
            "Radius of the brush in data units: points land within about this "
            "distance of the cursor"
        )
        self.count_label = QLabel()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every drawn point")
        row = QHBoxLayout()
        row.addWidget(QLabel("Brush radius"))
        row.addWidget(self.brush_box)
        row.addStretch(1)
        row.addWidget(self.count_label)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, stretch=1)
        layout.addLayout(row)

        # Wire signals.
        self.view.stroke_started.connect(self._on_view_stroke_started)
        self.view.stroke_moved.connect(self._on_view_stroke_moved)
        self.clear_button.clicked.connect(self.clear)
        self._update_count()

    @property
    def brush_radius(self) -> float:
        return self.brush_box.value()

    def points(self) -> np.ndarray:
        """Return a copy of the drawn points, shape (n, 2)."""
        return self._points.copy()

    def set_points(self, points: np.ndarray) -> None:
        """Replace the drawn points, shape (n, 2); extra points past the cap are cut."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        self._points = points[: self.max_points].copy()
        self._redraw()

    def clear(self) -> None:
        self._points = np.empty((0, 2))
        self._last = None
        self._redraw()

    def add_dab(self, x: float, y: float) -> int:
        """Add one dab of points around (x, y); return how many were added."""
        room = self.max_points - len(self._points)
        count = min(self.points_per_dab, max(room, 0))
        if count == 0:
            return 0
        jitter = self._rng.normal(scale=self.brush_radius / 2, size=(count, 2))
        self._points = np.concatenate([self._points, np.array([x, y]) + jitter])
        return count

    def _on_view_stroke_started(self, x: float, y: float) -> None:
        self._last = (x, y)
        self._carry = 0.0
        if self.add_dab(x, y):
            self._redraw()

    def _on_view_stroke_moved(self, x: float, y: float) -> None:
        if self._last is None:
            self._on_view_stroke_started(x, y)
            return

        # Place dabs every half radius along the segment from the last position;
        # the remainder carries over, so slow drags space dabs the same way.
        spacing = self.brush_radius / 2
        x0, y0 = self._last
        length = math.hypot(x - x0, y - y0)
        travelled = self._carry + length
        added = 0
        distance = spacing - self._carry
        while distance <= length:
            t = distance / length
            added += self.add_dab(x0 + t * (x - x0), y0 + t * (y - y0))
            distance += spacing
        self._carry = travelled % spacing
        self._last = (x, y)
        if added:
            self._redraw()

    def _redraw(self) -> None:
        self.scatter.setData(self._points[:, 0], self._points[:, 1])
        self._update_count()
        self.points_changed.emit(len(self._points))

    def _update_count(self) -> None:
        self.count_label.setText(f"{len(self._points):,} points")
