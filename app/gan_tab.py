"""The GAN tab: settings, run controls and live views of a GAN learning a data set."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.worker import Progress, RunController
from models.datasets import DATASET_NAMES, Dataset, make_dataset
from models.gan_config import (
    GENERATOR_LOSSES,
    LR_SCHEDULES,
    NOISE_KINDS,
    GanConfig,
    default_config,
)
from widgets.histogram_view import HistogramView
from widgets.image_grid import ImageGrid
from widgets.loss_plot import LossPlot
from widgets.metrics_panel import MetricsPanel
from widgets.point_view import PointView
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


def gan_fields(devices: tuple[str, ...] = ("cpu",)) -> list[Field]:
    """Describe every GAN setting, with the defaults of the ring8 data set."""
    config = default_config("ring8")
    return [
        Field(
            "data",
            "Data set",
            "choice",
            config.data,
            choices=DATASET_NAMES,
            tooltip="Real data the generator learns to imitate",
            group="Data",
        ),
        Field(
            "steps",
            "Steps",
            "int",
            config.steps,
            1,
            10_000_000,
            step=500,
            tooltip="Training steps in one run; each is D updates, then one G update",
            group="Data",
        ),
        Field(
            "noise",
            "Noise",
            "choice",
            config.noise,
            choices=NOISE_KINDS,
            tooltip="Distribution of the latent vector z: N(0, I) or U(-1, 1)",
            group="Generator",
        ),
        Field(
            "latent_dim",
            "Latent size",
            "int",
            config.latent_dim,
            1,
            512,
            tooltip="Number of components of z",
            group="Generator",
        ),
        Field(
            "g_layers",
            "Hidden layers",
            "int",
            config.g_layers,
            0,
            16,
            tooltip="Hidden layers of the generator's MLP",
            group="Generator",
        ),
        Field(
            "g_width",
            "Width",
            "int",
            config.g_width,
            1,
            4096,
            step=16,
            tooltip="Units per hidden layer of the generator",
            group="Generator",
        ),
        Field(
            "g_lr",
            "Learning rate",
            "float",
            config.g_lr,
            1e-6,
            1.0,
            decimals=6,
            step=1e-4,
            tooltip="Adam step size of G",
            group="Generator",
        ),
        Field(
            "g_beta1",
            "Adam β₁",
            "float",
            config.g_betas[0],
            0.0,
            0.999,
            decimals=3,
            step=0.05,
            tooltip="Adam's first-moment decay for G",
            group="Generator",
        ),
        Field(
            "g_beta2",
            "Adam β₂",
            "float",
            config.g_betas[1],
            0.0,
            0.9999,
            decimals=4,
            step=0.001,
            tooltip="Adam's second-moment decay for G",
            group="Generator",
        ),
        Field(
            "generator_loss",
            "Generator loss",
            "choice",
            config.generator_loss,
            choices=GENERATOR_LOSSES,
            tooltip="non-saturating: minimise -log D(G(z)); saturating: "
            "minimise log(1 - D(G(z))), the minimax objective",
            group="Generator",
        ),
        Field(
            "g_ema",
            "Weight average",
            "float",
            config.g_ema,
            0.0,
            0.9999,
            decimals=4,
            step=0.001,
            tooltip="Decay of a moving average of G's weights used for the "
            "views (0 = off, 0.999 = slow average)",
            group="Generator",
        ),
        Field(
            "d_layers",
            "Hidden layers",
            "int",
            config.d_layers,
            0,
            16,
            tooltip="Hidden layers of the discriminator's MLP",
            group="Discriminator",
        ),
        Field(
            "d_width",
            "Width",
            "int",
            config.d_width,
            1,
            4096,
            step=16,
            tooltip="Units per hidden layer of the discriminator",
            group="Discriminator",
        ),
        Field(
            "d_lr",
            "Learning rate",
            "float",
            config.d_lr,
            1e-6,
            1.0,
            decimals=6,
            step=1e-4,
            tooltip="Adam step size of D",
            group="Discriminator",
        ),
        Field(
            "d_beta1",
            "Adam β₁",
            "float",
            config.d_betas[0],
            0.0,
            0.999,
            decimals=3,
            step=0.05,
            tooltip="Adam's first-moment decay for D",
            group="Discriminator",
        ),
        Field(
            "d_beta2",
            "Adam β₂",
            "float",
            config.d_betas[1],
            0.0,
            0.9999,
            decimals=4,
            step=0.001,
            tooltip="Adam's second-moment decay for D",
            group="Discriminator",
        ),
        Field(
            "d_dropout",
            "Dropout",
            "float",
            config.d_dropout,
            0.0,
            0.9,
            decimals=2,
            step=0.05,
            tooltip="Probability of dropping each hidden unit of D during "
            "training (0 = off)",
            group="Discriminator",
        ),
        Field(
            "d_steps",
            "D steps per G step",
            "int",
            config.d_steps,
            1,
            100,
            tooltip="Discriminator updates before each generator update",
            group="Discriminator",
        ),
        Field(
            "pack",
            "Pack size",
            "int",
            config.pack,
            1,
            16,
            tooltip="Samples that D judges together as one input (PacGAN); "
            "1 = off. Each update then draws batch size × pack samples",
            group="Stabilisation",
        ),
        Field(
            "r1_gamma",
            "R1 penalty γ",
            "float",
            config.r1_gamma,
            0.0,
            1000.0,
            decimals=3,
            step=0.1,
            tooltip="Weight of γ/2 E‖∇D(x)‖² on real data, which keeps D from "
            "growing steep around them (0 = off)",
            group="Stabilisation",
        ),
        Field(
            "spectral_norm",
            "Spectral norm",
            "bool",
            config.spectral_norm,
            tooltip="Divide each weight matrix of D by its largest singular "
            "value, so D is 1-Lipschitz",
            group="Stabilisation",
        ),
        Field(
            "lr_schedule",
            "LR schedule",
            "choice",
            config.lr_schedule,
            choices=LR_SCHEDULES,
            tooltip="constant, or decay both learning rates to 0 over the run's "
            "steps along a line or a half cosine",
            group="Stabilisation",
        ),
        Field(
            "batch_size",
            "Batch size",
            "int",
            config.batch_size,
            1,
            65_536,
            step=16,
            tooltip="Real and generated samples per update",
            group="Run",
        ),
        Field(
            "seed",
            "Seed",
            "int",
            config.seed,
            0,
            2**31 - 1,
            tooltip="Seeds data, initial weights, noise and minibatches; the "
            "same seed on the same device repeats a run exactly",
            group="Run",
        ),
        Field(
            "device",
            "Device",
            "choice",
            "cpu",
            choices=devices,
            tooltip="Where tensors live. CPU and GPU runs with one seed "
            "give different numbers.",
            group="Run",
        ),
    ]


def config_from_form(values: dict) -> GanConfig:
    """Build and validate a config from the form's values."""
    values = dict(values)
    values["g_betas"] = (values.pop("g_beta1"), values.pop("g_beta2"))
    values["d_betas"] = (values.pop("d_beta1"), values.pop("d_beta2"))
    config = GanConfig(**values)
    config.validate()
    return config


def form_from_config(config: GanConfig) -> dict:
    values = config.to_dict()
    values["g_beta1"], values["g_beta2"] = values.pop("g_betas")
    values["d_beta1"], values["d_beta2"] = values.pop("d_betas")
    return values


def build_gan_trainer(config: GanConfig, dataset: Dataset | None = None):
    """Build a trainer; runs in the worker thread, where torch is imported."""
    from app.threads import configure_torch_threads
    from models.gan import GanTrainer
    from models.live_metrics import LiveMetrics

    configure_torch_threads()
    trainer = GanTrainer(config, dataset=dataset)
    # The worker makes the snapshots, so the metrics are computed in its thread.
    trainer.live_metrics = LiveMetrics(trainer.dataset, seed=config.seed)
    return trainer


class DataView(QStackedWidget):
    """Real and generated data: a histogram, a scatter over D, or digit grids."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.histogram = HistogramView(curve_label="D(x)")
        self.points = PointView(field_label="D(x)", title="Real vs generated over D(x)")
        images = QWidget()
        layout = QHBoxLayout(images)
        layout.setContentsMargins(0, 0, 0, 0)
        self.real_images = ImageGrid(title="Real digits")
        self.generated_images = ImageGrid(title="Generated from fixed noise")
        layout.addWidget(self.real_images)
        layout.addWidget(self.generated_images)
        self.images = images
        for page in (self.histogram, self.points, self.images):
            self.addWidget(page)
        self.dataset: Dataset | None = None

    def show_dataset(self, dataset: Dataset) -> None:
        """Switch to the right page for the data and draw the real samples."""
        self.dataset = dataset
        if dataset.is_image:
            self.setCurrentWidget(self.images)
            real = dataset.samples[:64].reshape(-1, *dataset.image_shape)
            self.real_images.set_images(real, dataset.value_range)
            self.generated_images.clear_data()
        elif dataset.dim == 1:
            self.setCurrentWidget(self.histogram)
            self.histogram.set_real(dataset.samples[:, 0])
            self.histogram.clear_data()
        else:
            self.setCurrentWidget(self.points)
            self.points.set_real(dataset.samples)
            self.points.clear_data()

    def show_snapshot(self, snapshot: dict) -> None:
        dataset = self.dataset
        generated = snapshot["generated"]
        if dataset.is_image:
            images = generated.reshape(-1, *dataset.image_shape)
            self.generated_images.set_images(images, dataset.value_range)
        elif dataset.dim == 1:
            self.histogram.set_generated(generated[:, 0])
            curve = snapshot.get("d_curve")
            if curve is not None:
                self.histogram.set_curve(curve["x"], curve["d"])
        else:
            self.points.set_generated(generated)
            field = snapshot.get("d_map")
            if field is not None:
                self.points.set_field(field["x"], field["y"], field["d"])


class GanTab(QWidget):
    """Train a GAN on a chosen data set and watch it learn.

    Signals
    -------
    status_message(str)
        A line for the window's status bar.
    error_occurred(str)
        A failure to show in the window's message area.
    """

    status_message = Signal(str)
    error_occurred = Signal(str)
    title = "GAN"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.controller = RunController(self)
        self._settings_changed = False

        # Build widgets.
        self.form = SettingsForm(gan_fields())
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(300)
        self.controls = RunControls()
        self.data_view = DataView()
        self.loss_plot = LossPlot()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.data_view)
        splitter.addWidget(self.loss_plot)
        splitter.setSizes([600, 400])

        right = QVBoxLayout()
        right.addWidget(self.controls)
        right.addWidget(self.caption)
        right.addWidget(splitter, stretch=1)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, stretch=1)

        # Quality metrics that the worker computes every second or two.
        self.metrics_panel = MetricsPanel()
        right.insertWidget(right.indexOf(self.caption) + 1, self.metrics_panel)
        self.controller.progressed.connect(
            lambda progress: self.metrics_panel.show_snapshot(progress.snapshot)
        )
        self.controls.reset_requested.connect(self.metrics_panel.clear_data)

        # Wire signals.
        self.form.changed.connect(self._on_form_changed)
        self.controls.start_requested.connect(self.start)
        self.controls.pause_requested.connect(self.controller.pause)
        self.controls.step_requested.connect(self.step)
        self.controls.stop_requested.connect(self.stop)
        self.controls.reset_requested.connect(self.reset)
        self.controller.state_changed.connect(self._on_controller_state_changed)
        self.controller.progressed.connect(self._on_controller_progressed)
        self.controller.failed.connect(self._on_controller_failed)

        # First draw.
        self._load_dataset()

    # Settings.

    def config(self) -> GanConfig:
        return config_from_form(self.form.values())

    def set_config(self, config: GanConfig) -> None:
        self.form.set_values(form_from_config(config))

    def set_devices(self, devices: tuple[str, ...]) -> None:
        self.form.set_choices("device", devices)

    def _on_form_changed(self, key: str) -> None:
        if key == "data":
            data = self.form.value("data")
            defaults = form_from_config(default_config(data))
            keep = ("data", "seed", "device", "generator_loss")
            self.form.blockSignals(True)
            self.form.set_values({k: v for k, v in defaults.items() if k not in keep})
            self.form.blockSignals(False)
            if self.controller.run is None:
                self._load_dataset()
        if self.controller.run is not None:
            self._settings_changed = True
            self.status_message.emit(
                "Settings changed: Start begins a new run from step 0 with them; "
                "Reset discards the current run."
            )

    def _load_dataset(self) -> None:
        config = self.config()
        self.dataset = make_dataset(config.data, seed=config.seed)
        self.data_view.show_dataset(self.dataset)
        self.caption.setText(f"{DATA_LABELS.get(config.data, config.data)}.")

    # Run control.

    def _factory(self):
        try:
            config = self.config()
        except ValueError as error:
            self.error_occurred.emit(f"Invalid settings: {error}")
            return None
        dataset = self.dataset if self.dataset.name == config.data else None
        return lambda: build_gan_trainer(config, dataset)

    def _prepare_new_run(self) -> bool:
        """Drop a run whose settings were changed; return False on bad settings."""
        if self._settings_changed:
            self.controller.reset()
            self._settings_changed = False
        if self.controller.run is None:
            self._load_dataset()
            self.loss_plot.clear_data()
        return True

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
        self._settings_changed = False
        self.loss_plot.clear_data()
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
        self.loss_plot.set_history(snapshot["history"])
        self.data_view.show_snapshot(snapshot)
        last = snapshot.get("last")
        if last is not None:
            self.caption.setText(
                f"{DATA_LABELS.get(self.dataset.name, self.dataset.name)}. "
                f"Step {progress.step}: D loss {last['d_loss']:.3f}, "
                f"G loss {last['g_loss']:.3f}, D(x) {last['d_real']:.2f}, "
                f"D(G(z)) {last['d_fake']:.2f}"
            )

    def _on_controller_failed(self, message: str) -> None:
        self.error_occurred.emit(f"GAN training stopped: {message}")

    def latest_generated(self) -> np.ndarray | None:
        run = self.controller.run
        if run is None or self.controller.busy:
            return None
        return run.generate()
