"""The base of the training tabs: settings, run controls, captions and metrics.

A subclass describes its settings, builds its run and its views, and draws
snapshots. This base class owns the ``RunController`` and turns the buttons into
Start, Pause, Step, Stop and Reset of one run at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.worker import Progress, RunController
from models.datasets import Dataset, make_dataset
from models.runs import Run
from widgets.metrics_panel import MetricsPanel
from widgets.plot_helpers import apply_pending_ranges
from widgets.run_controls import RunControls
from widgets.settings_form import Field, SettingsForm

logger = logging.getLogger(__name__)

DATA_LABELS = {
    "gauss1d": "1-D mixture of 3 Gaussians",
    "ring8": "8 Gaussians on the unit circle (σ 0.01)",
    "grid25": "25 Gaussians on a 5x5 grid (σ 0.05)",
    "moons": "Two moons",
    "spiral": "Spiral",
    "digits": "8x8 handwritten digits (1,797 images)",
}


def live_metrics_for(trainer, seed: int):
    """Return live metrics of a trainer's data set, computed on the shared thread
    of ``app.threads.metrics_executor``."""
    from app.threads import metrics_executor
    from models.live_metrics import LiveMetrics

    return LiveMetrics(trainer.dataset, seed=seed, executor=metrics_executor())


def build_trainer(trainer_class: type, config, dataset: Dataset | None):
    """Build a trainer with live metrics; runs in the worker thread.

    The worker only draws the samples of a snapshot, and a thread of their own
    computes the metrics.
    """
    from app.threads import configure_torch_threads

    configure_torch_threads()
    trainer = trainer_class(config, dataset=dataset)
    trainer.live_metrics = live_metrics_for(trainer, config.seed)
    return trainer


class TrainingTab(QWidget):
    """Base class of a tab that trains a generator on a chosen data set.

    Subclasses set ``title`` and ``run_label`` and implement ``fields``,
    ``config``, ``default_form_values``, ``run_factory``, ``build_views``,
    ``show_dataset``, ``clear_views`` and ``show_snapshot``. Check boxes that
    change what a run shows go in ``options`` under a snake_case name, so the
    screenshot command can set them.

    Signals
    -------
    status_message(str)
        A line for the window's status bar.
    error_occurred(str)
        A failure to show in the window's message area.
    """

    status_message = Signal(str)
    error_occurred = Signal(str)
    title = ""
    run_label = "Training"
    keep_on_data_change: tuple[str, ...] = ("data", "seed", "device")
    """Form fields that keep their value when another data set is chosen."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.controller = RunController(self)
        self._settings_changed = False
        self.dataset: Dataset | None = None
        self.options: dict[str, QCheckBox] = {}

        # Build widgets.
        self.form = SettingsForm(self.fields())
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)
        self.controls = RunControls()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.restore_button = QPushButton("Restore last good weights")
        self.restore_button.setToolTip(
            "Go back to the last kept step whose weights were all finite (a copy is "
            "kept every 100 steps). Start then repeats the same steps, so lower the "
            "learning rate in a new run, or save or export this model."
        )
        self.restore_button.hide()
        self.metrics_panel = MetricsPanel()
        self.right = QVBoxLayout()
        self.right.addWidget(self.controls)
        self.right.addWidget(self.restore_button)
        self.right.addWidget(self.caption)
        self.right.addWidget(self.metrics_panel)
        self.right.addWidget(self.build_views(), stretch=1)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(self.right, stretch=1)

        # Wire signals.
        self.form.changed.connect(self._on_form_changed)
        self.controls.start_requested.connect(self.start)
        self.controls.pause_requested.connect(self.controller.pause)
        self.controls.step_requested.connect(self.step)
        self.controls.stop_requested.connect(self.stop)
        self.controls.reset_requested.connect(self.reset)
        self.restore_button.clicked.connect(self._on_restore_button_clicked)
        self.controller.state_changed.connect(self._on_controller_state_changed)
        self.controller.progressed.connect(self._on_controller_progressed)
        self.controller.failed.connect(self._on_controller_failed)

        # First draw.
        self._load_dataset()

    # Hooks for subclasses.

    def fields(self) -> list[Field]:
        """Return the settings shown in the form."""
        raise NotImplementedError

    def config(self):
        """Return the validated config of the form's values.

        Raises
        ------
        ValueError
            If a value is invalid.
        """
        raise NotImplementedError

    def default_form_values(self, data: str) -> dict:
        """Return the form values of the default config for a data set."""
        raise NotImplementedError

    def run_factory(self, config, dataset: Dataset | None) -> Callable[[], Run]:
        """Return a function that builds the run for a config and a data set.

        This method runs in the GUI thread, so it may read widgets. The function
        it returns runs in the worker thread, where torch is imported.
        """
        raise NotImplementedError

    def build_views(self) -> QWidget:
        """Build and return the widget with every view of the run."""
        raise NotImplementedError

    def show_dataset(self, dataset: Dataset) -> None:
        """Draw the real data before a run starts."""
        raise NotImplementedError

    def clear_views(self) -> None:
        """Remove everything a run has drawn, keeping the real data."""
        raise NotImplementedError

    def show_snapshot(self, snapshot: dict) -> None:
        """Draw a snapshot of the run."""
        raise NotImplementedError

    def caption_text(self, snapshot: dict) -> str | None:
        """Return the caption for a snapshot, or None to keep the current one."""
        return None

    # Settings.

    def set_devices(self, devices: tuple[str, ...]) -> None:
        self.form.set_choices("device", devices)

    def mark_settings_changed(self) -> None:
        """Let the next Start begin a new run, when a run is kept."""
        if self.controller.run is not None:
            self._settings_changed = True
            self.status_message.emit(
                "Settings changed: Start begins a new run from step 0 with them; "
                "Reset discards the current run."
            )

    def _on_form_changed(self, key: str) -> None:
        if key == "data":
            defaults = self.default_form_values(self.form.value("data"))
            # Settings without a field in the form keep their config defaults.
            keep = self.keep_on_data_change
            values = {
                key: value
                for key, value in defaults.items()
                if key not in keep and key in self.form.fields
            }
            self.form.blockSignals(True)
            self.form.set_values(values)
            self.form.blockSignals(False)
            if self.controller.run is None:
                self._load_dataset()
        elif key == "seed" and self.controller.run is None:
            # The seed also draws the toy data sets, so the same seed must give
            # the same data whether it was typed before or after a Reset.
            self._load_dataset()
        self.mark_settings_changed()

    def data_label(self) -> str:
        """Return the description of the current data set."""
        name = self.dataset.name if self.dataset is not None else ""
        return DATA_LABELS.get(name, name)

    def _load_dataset(self) -> None:
        data = self.form.value("data")
        self.dataset = make_dataset(data, seed=self.form.value("seed"))
        self.show_dataset(self.dataset)
        self.caption.setText(f"{self.data_label()}.")

    # Run control.

    def _factory(self):
        try:
            config = self.config()
        except ValueError as error:
            self.error_occurred.emit(f"Invalid settings: {error}")
            return None
        dataset = self.dataset if self.dataset.name == config.data else None
        return self.run_factory(config, dataset)

    def _prepare_new_run(self) -> None:
        """Drop a run whose settings were changed, and clear views for a new one."""
        if self._settings_changed:
            self.controller.reset()
            self._settings_changed = False
        if self.controller.run is None:
            self._load_dataset()
            self.clear_views()

    def start(self) -> None:
        if self.controller.busy:
            return
        factory = self._factory()
        if factory is None:
            return
        run = self.controller.run
        self._prepare_new_run()
        if run is not None and run is self.controller.run:
            if run.step >= run.total_steps:
                run.total_steps = run.step + self.config().steps
        self.restore_button.hide()
        self.controller.start(factory)
        self.status_message.emit("Training…")

    def step(self) -> None:
        factory = self._factory()
        if factory is None:
            return
        if not self.controller.busy:
            self._prepare_new_run()
        self.controller.step(factory)

    def stop(self) -> None:
        self.controller.stop()
        if self.controller.run is not None:
            self.status_message.emit(f"Stopped at step {self.controller.run.step}.")

    def reset(self) -> None:
        self.controller.reset()
        self.restore_button.hide()
        self._settings_changed = False
        self.clear_views()
        self.metrics_panel.clear_data()
        self.controls.reset_progress()
        self._load_dataset()
        self.status_message.emit("Reset: the next Start begins at step 0.")

    def toggle(self) -> None:
        self.controls.toggle()

    def shutdown(self) -> None:
        """Stop the worker and wait for it; called when the window closes."""
        self.controller.stop()

    # Views.

    def _on_controller_state_changed(self, state: str) -> None:
        self.controls.set_state(state)
        self.form.setEnabled(state not in ("running", "paused"))
        if state == "stopped" and self.controller.run is not None:
            run = self.controller.run
            if run.total_steps is not None and run.step >= run.total_steps:
                self.status_message.emit(f"Finished {run.step} steps.")

    def _on_controller_progressed(self, progress: Progress) -> None:
        self.controls.set_progress(
            progress.step, progress.total_steps, progress.steps_per_second
        )
        snapshot = progress.snapshot
        self.show_snapshot(snapshot)
        self.metrics_panel.show_snapshot(snapshot)
        apply_pending_ranges(self)
        caption = self.caption_text(snapshot)
        if caption is not None:
            self.caption.setText(caption)

    def _on_controller_failed(self, message: str) -> None:
        self.error_occurred.emit(f"{self.run_label} stopped: {message}")
        if self._restorable() is not None:
            self.restore_button.show()

    # Restoring finite weights.

    def _restorable(self):
        """Return the run or trainer that can restore kept weights, or None."""
        run = self.controller.run
        target = getattr(run, "trainer", run)
        return target if hasattr(target, "restore_last_good") else None

    def restore_last_good_weights(self) -> int:
        """Return the stopped run to its last kept finite weights and redraw it.

        Returns the step the run is back at.

        Raises
        ------
        ValueError
            If the run is still going, there is no run, or it kept no weights.
        """
        if self.controller.busy:
            raise ValueError("stop the run before restoring its weights")
        target = self._restorable()
        if target is None:
            raise ValueError("there is no run whose weights could be restored")
        step = target.restore_last_good()
        run = self.controller.run
        if run is not target:
            # A slow-motion run is rebuilt, so that no half-done step remains.
            self.controller.adopt(type(run)(target))
            run = self.controller.run
        self.restore_button.hide()
        self._draw_restored(run, target)
        logger.info("%s restored to step %s", self.run_label, step)
        self.status_message.emit(
            f"Restored the weights of step {step}. Start repeats the same steps; "
            "to avoid the failure, lower the learning rate in a new run."
        )
        return step

    def _draw_restored(self, run, target) -> None:
        # Draw without the live metrics, which are slow on the GUI thread.
        trainers = list(getattr(target, "trainers", {"": target}).values())
        metrics = [trainer.live_metrics for trainer in trainers]
        for trainer in trainers:
            trainer.live_metrics = None
        try:
            snapshot = run.snapshot()
        finally:
            for trainer, live_metrics in zip(trainers, metrics, strict=True):
                trainer.live_metrics = live_metrics
        self.clear_views()
        self.metrics_panel.clear_data()
        # Sent through the controller's signal, so every view and recorder gets it.
        self.controller.progressed.emit(
            Progress(run.step, run.total_steps, 0.0, snapshot)
        )

    def _on_restore_button_clicked(self) -> None:
        try:
            self.restore_last_good_weights()
        except (ValueError, FloatingPointError) as error:
            self.error_occurred.emit(f"Weights not restored: {error}")

    def latest_generated(self) -> np.ndarray | None:
        """Return the run's generated samples, or None while it runs or is absent."""
        run = self.controller.run
        if run is None or self.controller.busy:
            return None
        return run.generate()
