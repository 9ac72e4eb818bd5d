"""The tab protocol of ``app.tab_protocol`` for tabs built on ``TrainingTab``.

:class:`TrainingProtocolMixin` goes before ``TrainingTab`` in a tab's bases::

    class GanTab(TrainingProtocolMixin, TrainingTab):
        key = "gan"

        def default_config_for(self, data): ...
        def form_values(self, config): ...
        def trainer_class(self): ...

It adds preset settings, the user's own data, checkpoints, export hooks and, where
``supports_slow_motion`` is set, the GAN's one-phase-at-a-time mode.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QScrollArea,
    QWidget,
)

from app.formulas import formulas_for
from app.presets import check_setting_types
from app.training_tab import live_metrics_for
from models.datasets import Dataset

logger = logging.getLogger(__name__)

MACHINE_SETTINGS = ("device",)
"""Config fields that belong to the machine, not to the experiment."""


class TrainingProtocolMixin:
    """Presets, own data, checkpoints and export for a ``TrainingTab`` subclass.

    A subclass sets ``key`` and implements ``default_config_for``, ``form_values``
    and ``trainer_class``. The first two also give ``TrainingTab`` its
    ``default_form_values``. Settings are keyed like the config's ``to_dict``, plus
    the names of the tab's ``options`` check boxes (true or false).
    """

    key = ""
    supports_slow_motion = False
    user_dataset: Dataset | None = None
    user_data_source = ""
    _last_snapshot: dict | None = None

    # Hooks for subclasses.

    def default_config_for(self, data: str):
        """Return the default config for a built-in data set."""
        raise NotImplementedError

    def form_values(self, config) -> dict:
        """Return the form's values for a config."""
        raise NotImplementedError

    def trainer_class(self) -> type:
        """Return the trainer class whose ``load`` reads this tab's checkpoints."""
        raise NotImplementedError

    # Settings from configs.

    def default_form_values(self, data: str) -> dict:
        return self.form_values(self.default_config_for(data))

    def set_config(self, config) -> None:
        """Show a config's values in the form."""
        self.form.set_values(self.form_values(config))

    # Construction.

    def __init__(self, parent=None):
        super().__init__(parent)
        self.controller.progressed.connect(self._on_controller_progress_recorded)
        self.slow_motion_box: QCheckBox | None = None
        self.phase_rate_box: QDoubleSpinBox | None = None
        if self.supports_slow_motion:
            self._build_slow_motion_controls()

    def _build_slow_motion_controls(self) -> None:
        self.slow_motion_box = QCheckBox("Slow motion")
        self.slow_motion_box.setToolTip(
            "Show one phase of each training step at a time: draw noise, generate, "
            "update D, update G, with a caption. Step (S) does one phase; Start "
            "plays them at the rate beside"
        )
        self.phase_rate_box = QDoubleSpinBox()
        self.phase_rate_box.setRange(0.2, 20.0)
        self.phase_rate_box.setDecimals(1)
        self.phase_rate_box.setSingleStep(0.5)
        self.phase_rate_box.setValue(1.0)
        self.phase_rate_box.setSuffix(" phases/s")
        self.phase_rate_box.setToolTip(
            "Phases per second that Start plays in slow motion"
        )
        layout, index = self._options_row()
        layout.insertWidget(index, self.slow_motion_box)
        layout.insertWidget(index + 1, self.phase_rate_box)
        self.options["slow_motion"] = self.slow_motion_box
        self.slow_motion_box.toggled.connect(self._on_slow_motion_box_toggled)
        self.phase_rate_box.valueChanged.connect(self._on_phase_rate_box_changed)

    def _options_row(self):
        """Return the layout of the tab's option check boxes and the index after
        them, or the run controls' row when the tab has no options."""
        for box in self.options.values():
            parent = box.parentWidget()
            for layout in [parent.layout(), *parent.layout().findChildren(QHBoxLayout)]:
                index = layout.indexOf(box) if layout is not None else -1
                if index >= 0:
                    last = max(layout.indexOf(b) for b in self.options.values())
                    return layout, last + 1
        layout = self.controls.layout()
        return layout, layout.indexOf(self.controls.reset_button) + 1

    # Protocol: settings and formulas.

    def settings(self) -> dict[str, Any]:
        """Return the config's fields (no device) and the option check boxes."""
        values = self.config().to_dict()
        for key in MACHINE_SETTINGS:
            values.pop(key, None)
        for name, box in self.options.items():
            values[name] = box.isChecked()
        return values

    def settings_defaults(self, data: str) -> dict[str, Any]:
        """Return the default settings for a data set, ``"custom"`` included."""
        if data == "custom":
            is_image = self.user_dataset is not None and self.user_dataset.is_image
            values = self.default_config_for("digits" if is_image else "ring8")
            values = values.to_dict()
            values["data"] = "custom"
        else:
            values = self.default_config_for(data).to_dict()
        for key in MACHINE_SETTINGS:
            values.pop(key, None)
        for name in self.options:
            values[name] = False
        return values

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        """Validate settings and show them, resetting the run.

        Settings left out take the defaults of the data set named by ``data``,
        or of the data set shown now when ``data`` is left out too.

        Raises
        ------
        ValueError
            Naming the first unknown key, wrong type or value out of range; the
            form, the options and the run stay as they were.
        """
        values = dict(values)
        data = values.get("data", self.form.value("data"))
        if not isinstance(data, str):
            raise ValueError(f"data must be text, got {data!r}")
        if data == "custom" and self.user_dataset is None:
            raise ValueError(
                "these settings train on custom data; load your data first "
                "(File > Load data…)"
            )
        defaults = self.settings_defaults(data)
        check_setting_types(values, defaults, f"{self.title} setting")

        # Validate the config and the form's limits before changing anything.
        options = {
            name: values.pop(name) for name in list(values) if name in self.options
        }
        config_defaults = {k: v for k, v in defaults.items() if k not in self.options}
        merged = {**config_defaults, **values, "device": self.form.value("device")}
        config_class = type(self.default_config_for("ring8"))
        config = config_class.from_dict(merged)
        form_values = self._form_values_checked(config, config_defaults)

        # Apply: drop the run, fill the form, set the options, redraw the data.
        self.controller.reset()
        self.form.blockSignals(True)
        try:
            self.form.set_values(form_values)
        finally:
            self.form.blockSignals(False)
        for name, checked in options.items():
            self.options[name].setChecked(checked)
        self.reset()

    def _form_values_checked(self, config, defaults: dict) -> dict:
        """Return the form values of a config, checked against the form's limits."""
        values = self.form_values(config)
        fields = self.form.fields
        hidden = {key: value for key, value in values.items() if key not in fields}
        values = {key: value for key, value in values.items() if key in fields}
        for key, value in hidden.items():
            if key in defaults and value != defaults[key]:
                raise ValueError(
                    f"{key} = {value!r} has no control in the {self.title} tab; "
                    f"leave it at {defaults[key]!r}"
                )
        for key, value in values.items():
            field = fields[key]
            if field.kind in ("int", "float"):
                if not field.minimum <= float(value) <= field.maximum:
                    raise ValueError(
                        f"{key} must be between {field.minimum:g} and "
                        f"{field.maximum:g} in this window, got {value!r}"
                    )
            elif field.kind == "choice" and str(value) not in field.choices:
                raise ValueError(
                    f"{key} must be one of {', '.join(field.choices)}, got {value!r}"
                )
        return values

    def formulas(self) -> tuple:
        return formulas_for(self.key)

    # Protocol: presenter mode, recording and export.

    def set_controls_visible(self, visible: bool) -> None:
        """Show or hide the settings column."""
        widget: QWidget | None = self.form
        while widget is not None and not isinstance(widget, QScrollArea):
            widget = widget.parentWidget()
        (widget or self.form).setVisible(visible)

    def frame_widget(self) -> QWidget:
        """Return the views below the run controls, which a recording grabs."""
        # TrainingTab adds the views last to its right-hand column.
        item = self.right.itemAt(self.right.count() - 1)
        return item.widget() if item is not None and item.widget() else self

    @property
    def frame_drawn(self):
        """Signal sent after each snapshot; the tab draws it before other slots."""
        return self.controller.progressed

    def samples(self) -> np.ndarray | None:
        """Return the generated samples of the last drawn snapshot, in data units."""
        snapshot = self._last_snapshot
        if snapshot is None:
            return None
        if "runs" in snapshot:
            loss = self.form.value("generator_loss")
            snapshot = snapshot["runs"].get(loss) or next(
                iter(snapshot["runs"].values())
            )
        generated = snapshot.get("generated")
        return None if generated is None else np.array(generated, copy=True)

    def image_grid(self):
        """Return the grid of generated images, or None for point data."""
        if self.dataset is None or not self.dataset.is_image:
            return None
        data_view = getattr(self, "data_view", None)
        return getattr(data_view, "generated_images", None)

    def _on_controller_progress_recorded(self, progress) -> None:
        self._last_snapshot = progress.snapshot
        self._show_phase(progress.snapshot)

    # Own data.

    def set_user_data(self, dataset: Dataset, source: str) -> None:
        """Train on the user's data set from now on; the current run is dropped."""
        self.user_dataset = dataset
        self.user_data_source = source
        field = self.form.fields["data"]
        if "custom" not in field.choices:
            self.form.set_choices("data", (*field.choices, "custom"))
        self.controller.reset()
        if self.form.value("data") != "custom":
            self.form.set_value("data", "custom")
        else:
            self._on_form_changed("data")
        self.reset()
        kind = (
            f"{len(dataset.samples):,} images"
            if dataset.is_image
            else f"{len(dataset.samples):,} points in {dataset.dim}-D"
        )
        self.status_message.emit(f"Loaded {kind} from {source}; Start trains on them.")

    def _on_form_changed(self, key: str) -> None:
        if key != "data" or self.form.value("data") != "custom":
            super()._on_form_changed(key)
            return
        keep = self.keep_on_data_change
        defaults = self.settings_defaults("custom")
        config = type(self.default_config_for("ring8")).from_dict(
            {
                **{k: v for k, v in defaults.items() if k not in self.options},
                "device": self.form.value("device"),
            }
        )
        values = {
            key: value
            for key, value in self.form_values(config).items()
            if key not in keep and key in self.form.fields
        }
        self.form.blockSignals(True)
        try:
            self.form.set_values(values)
        finally:
            self.form.blockSignals(False)
        if self.controller.run is None:
            self._load_dataset()
        self.mark_settings_changed()

    def _load_dataset(self) -> None:
        if self.form.value("data") != "custom" or self.user_dataset is None:
            super()._load_dataset()
            return
        self.dataset = self.user_dataset
        self.show_dataset(self.dataset)
        self.caption.setText(f"{self.data_label()}.")

    def data_label(self) -> str:
        if self.dataset is not None and self.dataset.name == "custom":
            return f"Your data from {self.user_data_source or 'a file'}"
        return super().data_label()

    # Checkpoints.

    def _trainer(self):
        run = self.controller.run
        return getattr(run, "trainer", run)

    def save_checkpoint(self, folder) -> Path:
        """Save the current run to a checkpoint folder; stops a running worker.

        Raises
        ------
        ValueError
            If there is no single run to save.
        OSError
            If the folder cannot be written.
        """
        trainer = self._trainer()
        if trainer is None:
            raise ValueError("there is no run to save yet; press Start or Step first")
        if not hasattr(trainer, "save"):
            raise ValueError(
                "a side-by-side comparison cannot be saved; turn Compare losses "
                "off and start a single run"
            )
        if self.controller.busy:
            self.stop()
        folder = Path(folder)
        trainer.save(folder)
        self.status_message.emit(f"Saved step {trainer.step} to {folder}.")
        return folder

    def load_checkpoint(self, folder) -> None:
        """Continue a run saved by ``gan-playground train`` or Save checkpoint.

        The form shows the checkpoint's settings and Start continues from its
        step. Own data must be loaded first for a checkpoint trained on them.

        Raises
        ------
        ValueError
            If the checkpoint is missing, truncated, corrupt, of another kind or
            does not fit its settings; the current run and form are unchanged.
        """
        from models.checkpoint import CONFIG_NAME, CheckpointError

        folder = Path(folder)
        data = _checkpoint_data(folder / CONFIG_NAME)
        dataset = None
        if data == "custom":
            if self.user_dataset is None:
                raise ValueError(
                    f"{folder} was trained on custom data; load that data first "
                    "(File > Load data…)"
                )
            dataset = self.user_dataset
        try:
            trainer = self.trainer_class().load(
                folder, dataset=dataset, device=self.form.value("device")
            )
        except CheckpointError:
            raise
        except (OSError, RuntimeError) as error:
            # CheckpointError covers what load checks; this is what it does not.
            raise CheckpointError(f"cannot load {folder}: {error}") from error
        trainer.live_metrics = live_metrics_for(trainer, trainer.config.seed)

        # Show the checkpoint's settings, then adopt its trainer as the run.
        self.controller.reset()
        compare = self.options.get("compare_losses")
        if compare is not None:
            compare.setChecked(False)
        self.form.blockSignals(True)
        try:
            self.form.set_values(
                {
                    key: value
                    for key, value in self.form_values(trainer.config).items()
                    if key in self.form.fields and key not in MACHINE_SETTINGS
                }
            )
        finally:
            self.form.blockSignals(False)
        self.reset()
        self.dataset = trainer.dataset
        self.show_dataset(self.dataset)
        run = trainer
        if self.slow_motion:
            from models.gan_phases import PhasedGanRun

            run = PhasedGanRun(trainer)
        self.controller.adopt(run)
        self._draw_loaded(trainer)
        self.status_message.emit(
            f"Loaded {folder} at step {trainer.step}; Start continues the run."
        )

    def _draw_loaded(self, trainer) -> None:
        # Draw without the live metrics, which are slow on the GUI thread.
        metrics, trainer.live_metrics = trainer.live_metrics, None
        try:
            snapshot = trainer.snapshot()
        finally:
            trainer.live_metrics = metrics
        self.show_snapshot(snapshot)
        self._last_snapshot = snapshot
        self.controls.set_progress(trainer.step, trainer.total_steps, None)
        caption = self.caption_text(snapshot)
        if caption is not None:
            self.caption.setText(caption)

    # Slow motion.

    @property
    def slow_motion(self) -> bool:
        return self.slow_motion_box is not None and self.slow_motion_box.isChecked()

    def _factory(self):
        factory = super()._factory()
        if factory is None or not self.slow_motion:
            return factory
        if (
            self.options.get("compare_losses")
            and self.options["compare_losses"].isChecked()
        ):
            self.error_occurred.emit(
                "Slow motion shows one GAN; turn Compare losses off to use it."
            )
            return None
        from models.gan_phases import PhasedGanRun

        return lambda: PhasedGanRun(factory())

    def start(self) -> None:
        super().start()
        if self.controller.busy:
            self._apply_phase_rate()

    def _apply_phase_rate(self) -> None:
        rate = self.phase_rate_box.value() if self.slow_motion else None
        # NOTE: needs RunController.set_max_steps_per_second; without it slow
        # motion plays at full speed and only Step shows single phases.
        setter = getattr(self.controller, "set_max_steps_per_second", None)
        if setter is not None:
            setter(rate)

    def _on_phase_rate_box_changed(self, _value: float) -> None:
        if self.controller.busy:
            self._apply_phase_rate()

    def _on_slow_motion_box_toggled(self, checked: bool) -> None:
        run = self.controller.run
        if run is None:
            return
        if not hasattr(self._trainer(), "train_step"):
            # A side-by-side comparison cannot be cut into phases.
            self.mark_settings_changed()
            return
        was_running = self.controller.busy and self.controller.state == "running"
        self.controller.stop()
        trainer = self._trainer()
        if checked:
            from models.gan_phases import PhasedGanRun

            self.controller.adopt(PhasedGanRun(trainer))
        else:
            self.controller.adopt(trainer)
            for view in self._arrow_views():
                view.set_arrows_visible(self._gradient_arrows_on())
        if was_running:
            self.start()

    def _arrow_views(self) -> list:
        data_view = getattr(self, "data_view", None)
        points = getattr(data_view, "points", None)
        return [points] if points is not None and hasattr(points, "set_arrows") else []

    def _gradient_arrows_on(self) -> bool:
        box = self.options.get("gradient_arrows")
        return box is not None and box.isChecked()

    def _show_phase(self, snapshot: dict) -> None:
        """Draw a slow-motion snapshot's caption and G's moves."""
        caption = snapshot.get("caption")
        if caption is None:
            return
        self.caption.setText(f"{self.data_label()}. {caption}")
        moves = snapshot.get("moves")
        for view in self._arrow_views():
            if moves is not None:
                view.set_arrows(moves["starts"], moves["vectors"])
                view.set_arrows_visible(True)
            else:
                view.set_arrows_visible(self._gradient_arrows_on())


def _checkpoint_data(config_path: Path) -> str | None:
    """Return the data set named in a checkpoint's description, or None.

    Only a readable description with a ``config.data`` text is used; any other
    problem is left for the trainer's ``load``, which reports it in full.
    """
    try:
        description = json.loads(config_path.read_text(encoding="utf-8"))
        data = description["config"]["data"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return data if isinstance(data, str) else None
