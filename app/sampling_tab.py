"""Base class of the three sampling tabs: target settings, run controls, export.

A subclass lists its own settings, builds its run and its views, and draws
snapshots. This base class owns the ``RunController`` and turns the buttons into
Start, Pause, Step, Stop and Reset of one run at a time. Plots are cleared only
when the first snapshot of a new run arrives, so a run that fails to start, for
example on an invalid density, leaves the previous pictures in place.
"""

from __future__ import annotations

import importlib
import logging
import math
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.sample_export import write_samples
from app.target_settings import (
    check_target,
    examples,
    find_example,
    target_fields,
    target_help,
)
from app.worker import Progress, RunController
from models.limits import SEED_MAX
from widgets.run_controls import RunControls
from widgets.settings_form import Field, SettingsForm
from widgets.speed_slider import SpeedSlider

logger = logging.getLogger(__name__)

MODES = ("animate", "bulk")
MODE_HELP = (
    "animate: one sample (or one iteration) per step, at the speed of the slider; "
    "bulk: large chunks per step at full speed, for many samples"
)
TARGET_KEYS = ("kind", "target", "low", "high", "y_low", "y_high")

# The 95 % quantile of the Kolmogorov distribution, scipy.special.kolmogi(0.05):
# for n draws from F itself, sqrt(n) D exceeds it with probability about 5 %.
KS_95 = 1.358


# Imported in the background after the first sampling tab is painted, because
# together they take a second or more, which would otherwise freeze the window at the
# first Start. Importing them before that paint would hold the GIL and delay it.
PRELOADED_MODULES = (
    "models.targets",
    "models.sampling.inverse",
    "models.sampling.rejection",
    "models.sampling.metropolis",
)
_preload_started = threading.Event()


def preload_samplers() -> None:
    """Import the targets and samplers in a daemon thread, once per process."""
    if _preload_started.is_set():
        return
    _preload_started.set()

    def import_all():
        for name in PRELOADED_MODULES:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the first run reports the error
                logger.warning("preloading %s failed", name, exc_info=True)
        logger.debug("sampler modules preloaded")

    threading.Thread(target=import_all, name="sampler-import", daemon=True).start()


class LabelledRun:
    """A run whose snapshots also carry fixed entries, such as a proposal's name.

    It follows the `models.runs.Run` protocol by passing everything to ``run``.
    ``on_record`` sees every record that ``steps`` yields, and ``extra`` returns
    more snapshot entries; both are called in the worker thread.
    """

    def __init__(
        self,
        run,
        info: Mapping[str, Any],
        on_record: Callable[[dict], None] | None = None,
        extra: Callable[[], dict] | None = None,
    ):
        self.run = run
        self.info = dict(info)
        self._on_record = on_record
        self._extra = extra

    @property
    def total_steps(self) -> int | None:
        return self.run.total_steps

    @property
    def step(self) -> int:
        return self.run.step

    def steps(self):
        for record in self.run.steps():
            if self._on_record is not None:
                self._on_record(record)
            yield record

    def snapshot(self) -> dict:
        snapshot = self.run.snapshot()
        snapshot.update(self.info)
        if self._extra is not None:
            snapshot.update(self._extra())
        return snapshot


def run_fields(
    count_key: str,
    count_label: str,
    count: int,
    tooltip: str,
    maximum: int = 100_000_000,
):
    """Describe the run settings shared by the tabs: mode, length and seed.

    ``maximum`` is the largest length the spin box accepts.
    """
    return [
        Field(
            "mode",
            "Mode",
            "choice",
            "animate",
            choices=MODES,
            tooltip=MODE_HELP,
            group="Run",
        ),
        Field(
            count_key,
            count_label,
            "int",
            count,
            1,
            maximum,
            step=1000,
            tooltip=tooltip,
            group="Run",
        ),
        Field(
            "seed",
            "Seed",
            "int",
            0,
            0,
            SEED_MAX,
            tooltip="Seed of the random numbers; the same seed and settings repeat "
            "a run exactly",
            group="Run",
        ),
    ]


def bulk_chunk(total: int, per_step_limit: int = 50_000) -> int:
    """Return the chunk size of bulk mode: about 50 steps, at most the limit."""
    return int(min(max(math.ceil(total / 50), 1), per_step_limit))


def ks_summary(statistic: float, n: int) -> str:
    """Describe a KS distance against its 5 % critical value, as rich text."""
    if not (n > 0 and math.isfinite(statistic)):
        return "KS distance: no samples yet"
    scaled = statistic * math.sqrt(n)
    text = (
        f"KS distance D = {statistic:.4f}, √n·D = {scaled:.2f} "
        f"(above {KS_95} rejects F at the 5 % level)"
    )
    if scaled > KS_95:
        text += ' <span style="color:#b00020"><b>rejected</b></span>'
    return text


def _check_setting_type(title: str, field: Field, value: Any) -> None:
    """Raise ValueError naming the setting when a value has the wrong type."""
    if field.kind == "bool":
        valid, expected = isinstance(value, bool), "true or false"
    elif field.kind == "int":
        valid = isinstance(value, int) and not isinstance(value, bool)
        expected = "a whole number"
    elif field.kind == "float":
        valid = isinstance(value, (int, float)) and not isinstance(value, bool)
        expected = "a number"
    else:
        valid, expected = isinstance(value, str), "text"
    if not valid:
        raise ValueError(f"{title}: {field.key} must be {expected}, got {value!r}")


class SamplingTab(QWidget):
    """Base class of a tab that samples a target and draws the samples live.

    Subclasses set ``title``, ``key``, ``count_key`` and ``target_kinds`` and
    implement ``fields``, ``run_factory``, ``build_views``, ``clear_views``,
    ``show_snapshot`` and ``sample_table``.

    Signals
    -------
    status_message(str)
        A line for the window's status bar.
    error_occurred(str)
        A failure to show in the window's message area.
    """

    status_message = Signal(str)
    error_occurred = Signal(str)

    title = "Sampling"
    key = "sampling"
    count_key = "samples"
    # What the progress bar and status messages count, in the words of the setting
    # named by count_key; see progress_count.
    count_unit = ("sample", "samples")
    target_kinds: tuple[str, ...] = ("distribution", "density")
    default_target = "normal(0, 1)"
    allow_2d = False
    # Settings that ``gan-playground screenshot`` passes under other names, and
    # the settings it uses by default.
    setting_aliases: dict[str, str] = {}
    screenshot_settings = {"mode": "bulk"}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.controller = RunController(self)
        self._settings_changed = False
        self._clear_on_next_snapshot = False
        # Set when a run fails, so that its last snapshot, taken after the failed
        # step, is not drawn and Start begins a new run.
        self._run_failed = False
        self._count = (0, None)
        self._run_mode = "animate"

        # Build widgets: settings on the left, controls, caption and views right.
        fields = target_fields(
            self.target_kinds, self.default_target, two_d=self.allow_2d
        )
        self.form = SettingsForm(fields + self.fields())
        self.settings_scroll = QScrollArea()
        self.settings_scroll.setWidget(self.form)
        self.settings_scroll.setWidgetResizable(True)
        self.settings_scroll.setHorizontalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.settings_scroll.setMinimumWidth(300)
        self.controls = RunControls()
        self.controls.set_unit(*self.count_unit)
        self.speed = SpeedSlider()
        self.export_button = QPushButton("Export samples…")
        self.export_button.setToolTip(
            "Save the samples of the stopped run as .npy or CSV"
        )
        self.export_button.setEnabled(False)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.views = self.build_views()

        # The speed slider and export sit on a second row, so the tab fits a
        # 1280-pixel projector beside the formula panel.
        speed_row = QHBoxLayout()
        speed_row.addWidget(self.speed, stretch=1)
        speed_row.addWidget(self.export_button)
        self.right = QVBoxLayout()
        self.right.addWidget(self.controls)
        self.right.addLayout(speed_row)
        self.right.addWidget(self.caption)
        self.right.addWidget(self.views, stretch=1)
        layout = QHBoxLayout(self)
        layout.addWidget(self.settings_scroll)
        layout.addLayout(self.right, stretch=1)

        # Wire signals.
        self.form.changed.connect(self._on_form_changed)
        self.controls.start_requested.connect(self.start)
        self.controls.pause_requested.connect(self.controller.pause)
        self.controls.step_requested.connect(self.step)
        self.controls.stop_requested.connect(self.stop)
        self.controls.reset_requested.connect(self.reset)
        self.speed.speed_changed.connect(self._on_speed_changed)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.controller.state_changed.connect(self._on_controller_state_changed)
        self.controller.progressed.connect(self._on_controller_progressed)
        self.controller.failed.connect(self._on_controller_failed)

        # First state of the target fields.
        self._update_target_fields()
        self.caption.setText(self.idle_caption())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not _preload_started.is_set():
            # A zero timer fires once the whole window has been painted.
            QTimer.singleShot(0, preload_samplers)

    # Subclass interface.

    def fields(self) -> list[Field]:
        """Describe the settings after the target group."""
        raise NotImplementedError

    def run_factory(self, values: dict, spec) -> Callable[[], LabelledRun]:
        """Return a callable that builds the run in the worker thread.

        ``spec`` is the checked `app.target_settings.TargetSpec`. Raise
        ValueError for settings that are invalid on their face.
        """
        raise NotImplementedError

    def build_views(self) -> QWidget:
        raise NotImplementedError

    def clear_views(self) -> None:
        raise NotImplementedError

    def show_snapshot(self, snapshot: dict) -> None:
        raise NotImplementedError

    def sample_table(self, run) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Return the array for .npy, the table for CSV and the CSV column names."""
        raise NotImplementedError

    def progress_count(self, progress: Progress) -> tuple[int, int | None]:
        """Return how many of ``count_unit`` are done and the total, for a snapshot.

        The default counts steps; tabs whose steps are chunks count what the user
        set, such as samples or iterations.
        """
        return progress.step, progress.total_steps

    def idle_caption(self) -> str:
        """Return the caption shown before the first run."""
        return "Press Start (Space) to sample, or Step for one step."

    def error_field(self, message: str) -> str:
        """Return the key of the field under which a set-up failure is shown."""
        return "target"

    # Settings.

    def settings(self) -> dict[str, Any]:
        """Return every setting as plain values, keyed like the form."""
        return self.form.values()

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        """Check every value, then show them all and reset the run.

        Raises
        ------
        ValueError
            For an unknown key, a value out of range or an invalid target;
            nothing changes then.
        """
        for key, value in values.items():
            field = self.form.fields.get(key)
            if field is None:
                raise ValueError(f"{self.title}: unknown setting {key!r}")
            _check_setting_type(self.title, field, value)
            if field.kind in ("int", "float"):
                number = float(value)
                if not field.minimum <= number <= field.maximum:
                    raise ValueError(
                        f"{self.title}: {key} must be between {field.minimum:g} and "
                        f"{field.maximum:g}, got {value!r}"
                    )
            elif field.kind == "choice" and str(value) not in field.choices:
                raise ValueError(
                    f"{self.title}: {key} must be one of {', '.join(field.choices)}, "
                    f"got {value!r}"
                )
        # A typed target or domain is compiled now, so that a bad one is rejected
        # before anything changes. With only a kind, the tab picks an example.
        if any(key in values for key in TARGET_KEYS if key != "kind"):
            try:
                check_target({**self.form.values(), **values}, allow_2d=self.allow_2d)
            except ValueError as error:
                raise ValueError(f"{self.title}: invalid target: {error}") from None
        self.form.blockSignals(True)
        try:
            if "kind" in values:
                self.form.set_value("kind", values["kind"])
                self._update_target_fields()
            self.form.set_values(dict(values))
        finally:
            self.form.blockSignals(False)
        self._update_target_fields(keep_text=True)
        self.reset()

    def formulas(self) -> list:
        """Return the method's formulas for the window's formula panel."""
        from app.formulas import formulas_for

        return list(formulas_for(self.key))

    def set_controls_visible(self, visible: bool) -> None:
        """Hide or show the settings column, for a lecture projector."""
        self.settings_scroll.setVisible(visible)

    def frame_widget(self) -> QWidget:
        """Return the views, which a GIF recording of the window grabs."""
        return self.views

    @property
    def frame_drawn(self):
        """Signal sent after each snapshot; this tab draws it before other slots."""
        return self.controller.progressed

    def _on_form_changed(self, key: str) -> None:
        if key == "kind":
            self._update_target_fields()
        elif key == "target":
            self._apply_example_domain()
        if key in TARGET_KEYS:
            self.check_target_fields()
        if self.controller.run is not None:
            self._settings_changed = True
            self.status_message.emit(
                "Settings changed: Start begins a new run with them; Reset discards "
                "the current run."
            )

    def _update_target_fields(self, keep_text: bool = False) -> None:
        """Offer the examples of the chosen kind and enable the domain fields."""
        kind = self.form.value("kind")
        offered = examples(kind, two_d=self.allow_2d)
        texts = tuple(example.text for example in offered)
        current = self.form.value("target")
        self.form.set_choices("target", texts)
        self.form.blockSignals(True)
        if keep_text or find_example(kind, current, two_d=self.allow_2d):
            self.form.set_value("target", current)
        else:
            self.form.set_value("target", texts[0])
        self.form.blockSignals(False)
        self.form.controls["target"].setToolTip(target_help(kind, two_d=self.allow_2d))
        # A named distribution brings its own support, so the domain fields, which
        # only a typed density or CDF uses, are hidden rather than shown greyed
        # with values that do not apply.
        typed = kind != "distribution"
        for key in ("low", "high", "y_low", "y_high"):
            if key in self.form.controls:
                self.form.set_field_visible(key, typed)
        if not keep_text:
            self._apply_example_domain()
        self.form.set_field_error("target", "")

    def _apply_example_domain(self) -> None:
        kind = self.form.value("kind")
        if kind == "distribution":
            return
        example = find_example(kind, self.form.value("target"), two_d=self.allow_2d)
        if example is None:
            return
        domain = {"low": example.low, "high": example.high}
        if "y_low" in self.form.controls:
            domain.update(y_low=example.y_low, y_high=example.y_high)
        self.form.blockSignals(True)
        self.form.set_values(domain)
        self.form.blockSignals(False)

    def check_target_fields(self):
        """Check the target settings and show any problem under the target field.

        Returns the checked `TargetSpec`, or None when the settings are invalid.
        """
        try:
            spec = check_target(self.form.values(), allow_2d=self.allow_2d)
        except ValueError as error:
            self.form.set_field_error("target", str(error))
            return None
        self.form.set_field_error("target", "")
        return spec

    # Run control.

    def _factory(self):
        """Check the settings and return a run factory, or None after a message."""
        values = self.form.values()
        spec = self.check_target_fields()
        if spec is None:
            message = self.form.field_error("target")
            self.error_occurred.emit(f"{self.title}: invalid target: {message}")
            return None
        try:
            return self.run_factory(values, spec)
        except ValueError as error:
            self.error_occurred.emit(f"{self.title}: invalid settings: {error}")
            return None

    def _prepare_new_run(self) -> None:
        """Drop a run that is finished or whose settings changed."""
        run = self.controller.run
        finished = (
            run is not None
            and run.total_steps is not None
            and run.step >= run.total_steps
        )
        if self._settings_changed or finished or self._run_failed:
            self.controller.reset()
            self._settings_changed = False
        self._run_failed = False
        if self.controller.run is None:
            # Keep the old pictures until the new run draws its first snapshot.
            self._clear_on_next_snapshot = True
            self._count = (0, None)
            self._run_mode = self.form.value("mode")

    def _speed_limit(self) -> float | None:
        return self.speed.speed if self._run_mode == "animate" else None

    def start(self) -> None:
        """Start a new run, or continue a stopped one."""
        if self.controller.busy:
            return
        factory = self._factory()
        if factory is None:
            return
        self._prepare_new_run()
        self.controller.start(factory, max_steps_per_second=self._speed_limit())
        self.status_message.emit(f"{self.title}: sampling…")

    def step(self) -> None:
        """Do one step: one sample in animate mode, one chunk in bulk mode."""
        if not self.controller.busy:
            factory = self._factory()
            if factory is None:
                return
            self._prepare_new_run()
        else:
            factory = None
        self.controller.step(factory)

    def stop(self) -> None:
        self.controller.stop()
        if self.controller.run is not None:
            done, _ = self._count
            self.status_message.emit(
                f"{self.title}: stopped at {self.count_unit[0]} {done:,}."
            )

    def reset(self) -> None:
        """Stop the worker, drop the run and clear the plots."""
        self.controller.reset()
        self._settings_changed = False
        self._clear_on_next_snapshot = False
        self._run_failed = False
        self._count = (0, None)
        self.clear_views()
        self.controls.reset_progress()
        self.caption.setText(self.idle_caption())
        self.status_message.emit(f"{self.title}: reset; the next Start begins anew.")

    def toggle(self) -> None:
        self.controls.toggle()

    def shutdown(self) -> None:
        """Stop the worker and wait for it; called when the window closes."""
        self.controller.stop()

    def _on_speed_changed(self, speed) -> None:
        self.controller.set_max_steps_per_second(self._speed_limit())

    # Export.

    def samples(self) -> np.ndarray | None:
        """Return the samples of the stopped run, shape (n, dim), or None."""
        run = self.controller.run
        if run is None or self.controller.busy:
            return None
        table, _, _ = self.sample_table(run.run)
        return table.reshape(len(table), -1)

    def export_samples(self, path) -> Path:
        """Write the samples of the stopped run to ``path`` (.npy or .csv).

        Raises
        ------
        ValueError
            If no run is kept, the worker is still alive, or the suffix is wrong.
        OSError
            If the file cannot be written.
        """
        run = self.controller.run
        if self.controller.busy:
            raise ValueError("stop the run before exporting its samples")
        if run is None:
            raise ValueError("there are no samples yet; press Start first")
        array, table, columns = self.sample_table(run.run)
        written = write_samples(path, array, table, columns)
        logger.info("exported %s samples to %s", len(table), written)
        return written

    def _on_export_button_clicked(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export samples",
            f"{self.key}-samples.npy",
            "NumPy array (*.npy);;CSV table (*.csv)",
        )
        if not path:
            return
        if Path(path).suffix.lower() not in (".npy", ".csv"):
            path += ".csv" if "csv" in chosen.lower() else ".npy"
        # NOTE: the file is written on the GUI thread. A CSV of 10^6 samples took
        # about 3 s on a loaded two-core machine, during which the window waits.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = self.export_samples(path)
        except (ValueError, OSError) as error:
            self.error_occurred.emit(f"{self.title}: export failed: {error}")
        else:
            self.status_message.emit(f"{self.title}: samples saved to {written}")
        finally:
            QApplication.restoreOverrideCursor()

    # Views.

    def _on_controller_state_changed(self, state: str) -> None:
        self.controls.set_state(state)
        self.form.setEnabled(state not in ("running", "paused"))
        run = self.controller.run
        self.export_button.setEnabled(state == "stopped" and run is not None)
        if state == "stopped" and run is not None and not self._run_failed:
            if run.total_steps is not None and run.step >= run.total_steps:
                done, _ = self._count
                self.status_message.emit(
                    f"{self.title}: finished {done:,} {self.count_unit[1]}."
                )

    def _on_controller_progressed(self, progress: Progress) -> None:
        if self._run_failed:
            return
        if self._clear_on_next_snapshot:
            self._clear_on_next_snapshot = False
            self.clear_views()
            self.form.set_field_error(self.error_field(""), "")
            self.form.set_field_error("target", "")
        done, total = self.progress_count(progress)
        rate = progress.steps_per_second
        if progress.step:
            rate *= done / progress.step
        self._count = (done, total)
        self.controls.set_progress(done, total, rate)
        self.show_snapshot(progress.snapshot)

    def _on_controller_failed(self, message: str) -> None:
        if self.controller.run is None:
            # The run could not be built, so the settings are to blame.
            self.form.set_field_error(self.error_field(message), message)
            self._clear_on_next_snapshot = False
            self.status_message.emit(f"{self.title}: the run could not start.")
        else:
            # A step failed part-way, so the run's state is not that of any step:
            # its last snapshot is not drawn, and Start begins a new run. The run
            # stays, so the draws of its completed steps can still be exported.
            self._run_failed = True
            if self._clear_on_next_snapshot:
                self._clear_on_next_snapshot = False
                shown = "are unchanged, because the run failed before drawing"
            else:
                done, _ = self._count
                shown = f"show {self.count_unit[0]} {done:,}, the last drawn before it"
            self.status_message.emit(
                f"{self.title}: stopped by an error; the views {shown}. Start begins "
                "a new run."
            )
        self.error_occurred.emit(f"{self.title}: {message}")
