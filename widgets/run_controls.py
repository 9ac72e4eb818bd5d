"""Start, pause, step, stop and reset buttons with a progress bar and the step rate."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class RunControls(QWidget):
    """Buttons that drive a run, enabled according to the run's state.

    Signals
    -------
    start_requested()
    pause_requested(bool)
        True to pause, False to resume.
    step_requested()
    stop_requested()
    reset_requested()
    """

    start_requested = Signal()
    pause_requested = Signal(bool)
    step_requested = Signal()
    stop_requested = Signal()
    reset_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)

        # Build widgets.
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start or continue the run (Space)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip(
            "Pause or resume at the next step boundary (Space)"
        )
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip("Do one step, then wait")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the run and keep its current state")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Discard the run; the next Start begins at step 0")
        self.progress = QProgressBar()
        self._unit = ("step", "steps")
        self.progress.setFormat("step %v of %m")
        self.progress.setMinimumWidth(100)
        self.rate_label = QLabel("")
        self.rate_label.setMinimumWidth(80)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in (
            self.start_button,
            self.pause_button,
            self.step_button,
            self.stop_button,
            self.reset_button,
        ):
            layout.addWidget(button)
        layout.addWidget(self.progress, stretch=1)
        layout.addWidget(self.rate_label)

        # Wire signals.
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self._on_pause_button_clicked)
        self.step_button.clicked.connect(self.step_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.reset_button.clicked.connect(self.reset_requested)
        self.state = "idle"
        self.set_state("idle")

    def _on_pause_button_clicked(self) -> None:
        self.pause_requested.emit(self.state != "paused")

    def toggle(self) -> None:
        """Start when idle or stopped, pause when running, resume when paused."""
        if self.state in ("idle", "stopped"):
            self.start_requested.emit()
        else:
            self.pause_requested.emit(self.state == "running")

    def set_state(self, state: str) -> None:
        """Enable the buttons that make sense in ``idle``, ``running``, ``paused``
        or ``stopped``."""
        self.state = state
        active = state in ("running", "paused")
        self.start_button.setEnabled(not active)
        self.pause_button.setEnabled(active)
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.step_button.setEnabled(state != "running")
        self.stop_button.setEnabled(active)
        self.reset_button.setEnabled(state != "idle" or self.progress.value() > 0)

    def set_unit(self, singular: str, plural: str) -> None:
        """Name what the progress bar and the rate count, such as "iteration"."""
        self._unit = (singular, plural)
        self.progress.setFormat(f"{singular} %v of %m")

    def set_progress(self, step: int, total: int | None, rate: float | None) -> None:
        if total:
            # With "%v" in its text, setValue repaints the bar at once, outside the
            # window's next paint; with updates off it waits for that paint.
            self.progress.setUpdatesEnabled(False)
            self.progress.setRange(0, max(total, step))
            self.progress.setValue(step)
            self.progress.setUpdatesEnabled(True)
            self.progress.update()
        else:
            self.progress.setRange(0, 0)
        if rate:
            self.rate_label.setText(f"{rate:,.0f} {self._unit[1]}/s")
        elif rate is not None:
            self.rate_label.setText("")

    def reset_progress(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.rate_label.setText("")
