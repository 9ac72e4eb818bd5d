"""A slider that sets how many steps per second an animated run may take."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

# Slider positions; None means no limit.
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)


class SpeedSlider(QWidget):
    """Steps per second for animations, from 1 up to no limit.

    Signals
    -------
    speed_changed(object)
        The new rate in steps per second, or None for no limit.
    """

    speed_changed = Signal(object)

    def __init__(self, parent=None, default: int | None = 10):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(SPEEDS) - 1)
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setToolTip(
            "Steps per second in animate mode; slow for a lecture, right end for "
            "no limit. Takes effect at once, also while a run is going."
        )
        self.slider.setMinimumWidth(120)
        self.label = QLabel()
        self.label.setMinimumWidth(90)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Speed"))
        layout.addWidget(self.slider, stretch=1)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.setValue(SPEEDS.index(default))
        self._on_slider_value_changed(self.slider.value())

    @property
    def speed(self) -> float | None:
        """Steps per second, or None for no limit."""
        return SPEEDS[self.slider.value()]

    def set_speed(self, speed: float | None) -> None:
        """Move to the listed speed nearest ``speed`` (None: no limit)."""
        if speed is None:
            self.slider.setValue(len(SPEEDS) - 1)
            return
        limited = [s for s in SPEEDS if s is not None]
        nearest = min(limited, key=lambda s: abs(s - speed))
        self.slider.setValue(SPEEDS.index(nearest))

    def _on_slider_value_changed(self, position: int) -> None:
        speed = SPEEDS[position]
        self.label.setText("no limit" if speed is None else f"{speed} steps/s")
        self.speed_changed.emit(speed)
