"""The GAN tab: settings, run controls and live views of a GAN learning a data set."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.training_fields import (
    adam_fields,
    data_fields,
    join_betas,
    latent_fields,
    mlp_fields,
    run_fields,
    split_betas,
)
from app.training_protocol import TrainingProtocolMixin
from app.training_tab import (
    DATA_LABELS,  # noqa: F401 (re-exported)
    TrainingTab,
    build_trainer,
    live_metrics_for,
)
from models.datasets import Dataset
from models.gan_config import GENERATOR_LOSSES, GanConfig, default_config
from models.limits import (
    MAX_D_STEPS,
    MAX_GAN_BATCH_SIZE,
    MAX_LATENT_CATEGORIES,
    MAX_PACK,
)
from models.run_config import LR_SCHEDULES
from widgets.data_view import DataView
from widgets.gradient_plot import GradientPlot
from widgets.history_plot import Curve, HistoryPlot, Panel
from widgets.loss_plot import LossPlot
from widgets.metrics_panel import MetricsPanel
from widgets.settings_form import Field
from widgets.style import LOSS_COLORS

logger = logging.getLogger(__name__)


def gan_fields(devices: tuple[str, ...] = ("cpu",)) -> list[Field]:
    """Describe every GAN setting, with the defaults of the ring8 data set."""
    config = default_config("ring8")
    return [
        *data_fields(
            config,
            "Training steps in one run; each is D updates, then one G update",
        ),
        *latent_fields(config),
        Field(
            "latent_categories",
            "Latent categories",
            "int",
            config.latent_categories,
            0,
            MAX_LATENT_CATEGORIES,
            tooltip="Categories K of a one-hot code appended to z (0 = off). "
            "K separate latent pieces let G reach separate modes without "
            "samples in between",
            group="Generator",
        ),
        Field(
            "category_scale",
            "Category code length",
            "float",
            config.category_scale,
            0.01,
            100.0,
            decimals=2,
            step=0.5,
            tooltip="Length of the one-hot code; z has unit variance per "
            "component, so a longer code keeps the pieces further apart",
            group="Generator",
        ),
        *mlp_fields("g_", config.g_layers, config.g_width, "generator", "Generator"),
        *adam_fields("g_", config.g_lr, config.g_betas, "G", "Generator"),
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
        *mlp_fields(
            "d_", config.d_layers, config.d_width, "discriminator", "Discriminator"
        ),
        *adam_fields("d_", config.d_lr, config.d_betas, "D", "Discriminator"),
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
            MAX_D_STEPS,
            tooltip="Discriminator updates before each generator update",
            group="Discriminator",
        ),
        Field(
            "pack",
            "Pack size",
            "int",
            config.pack,
            1,
            MAX_PACK,
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
            "instance_noise",
            "Instance noise",
            "float",
            config.instance_noise,
            0.0,
            10.0,
            decimals=3,
            step=0.05,
            tooltip="Standard deviation, in normalised units, of noise added to "
            "every input of D; it falls linearly to 0 over the run (0 = off)",
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
        *run_fields(
            config,
            devices,
            1,
            MAX_GAN_BATCH_SIZE,
            "Real and generated samples per update",
        ),
    ]


def config_from_form(values: dict) -> GanConfig:
    """Build and validate a config from the form's values."""
    values = dict(values)
    join_betas(values, "g_")
    join_betas(values, "d_")
    return GanConfig.from_dict(values)


def form_from_config(config: GanConfig) -> dict:
    values = config.to_dict()
    split_betas(values, "g_")
    split_betas(values, "d_")
    return values


def build_gan_trainer(config: GanConfig, dataset: Dataset | None = None):
    """Build a trainer; runs in the worker thread, where torch is imported."""
    from models.gan import GanTrainer

    return build_trainer(GanTrainer, config, dataset)


def build_loss_comparison(config: GanConfig, dataset: Dataset | None = None):
    """Build one GAN per generator loss; runs in the worker thread."""
    from app.threads import configure_torch_threads
    from models.gan_compare import LossComparison

    configure_torch_threads()
    return LossComparison(
        config,
        dataset=dataset,
        live_metrics=lambda trainer: live_metrics_for(trainer, config.seed),
    )


LOSS_TITLES = {
    "non-saturating": "Non-saturating: minimise −log D(G(z))",
    "saturating": "Saturating (minimax): minimise log(1 − D(G(z)))",
}
LOSS_LABELS = {
    "non-saturating": "−log D(G(z))",
    "saturating": "log(1 − D(G(z)))",
}

ARROW_COUNT = 128
"""Generated points that get a gradient arrow."""

ARROW_LENGTH = 0.08
"""Length of a typical arrow as a fraction of the plot's width."""


def arrow_scale(pushes: list[np.ndarray], width: float) -> float:
    """Return one factor that turns every push into arrows of a readable length.

    The 90th percentile of the push lengths over all runs becomes ``ARROW_LENGTH``
    of the plot's width. Side-by-side runs share the factor, so a run whose
    gradients vanish shows shorter arrows than the other.
    """
    lengths = np.concatenate([np.linalg.norm(push, axis=1) for push in pushes])
    lengths = lengths[np.isfinite(lengths)]
    if lengths.size == 0:
        return 0.0
    typical = float(np.percentile(lengths, 90))
    return ARROW_LENGTH * width / typical if typical > 0 else 0.0


def comparison_history(runs: dict[str, dict]) -> dict[str, np.ndarray]:
    """Merge the runs' histories, with each column named ``<loss>.<column>``."""
    merged: dict[str, np.ndarray] = {}
    for kind, snapshot in runs.items():
        history = snapshot["history"]
        merged.setdefault("step", history["step"])
        for key, values in history.items():
            if key != "step":
                merged[f"{kind}.{key}"] = values
    return merged


class GanTab(TrainingProtocolMixin, TrainingTab):
    """Train a GAN on a chosen data set and watch it learn.

    With "Compare losses" ticked, a run trains two GANs from the same initial
    weights side by side, one per generator loss.

    Signals
    -------
    status_message(str)
        A line for the window's status bar.
    error_occurred(str)
        A failure to show in the window's message area.
    """

    title = "GAN"
    run_label = "GAN training"
    keep_on_data_change = ("data", "seed", "device", "generator_loss")
    key = "gan"
    supports_slow_motion = True
    _plot_width_cache: tuple[Dataset, float] | None = None

    # Settings.

    def fields(self) -> list[Field]:
        return gan_fields()

    def config(self) -> GanConfig:
        return config_from_form(self.form.values())

    def default_config_for(self, data: str) -> GanConfig:
        return default_config(data)

    def form_values(self, config: GanConfig) -> dict:
        return form_from_config(config)

    def trainer_class(self) -> type:
        from models.gan import GanTrainer

        return GanTrainer

    def run_factory(self, config: GanConfig, dataset: Dataset | None):
        if self.compare_box.isChecked():
            return lambda: build_loss_comparison(config, dataset)
        return lambda: build_gan_trainer(config, dataset)

    @property
    def comparing(self) -> bool:
        """Whether the views show two runs side by side."""
        return self.view_stack.currentWidget() is self.compare_page

    # Views.

    def build_views(self) -> QWidget:
        # Build the single run's views: samples left, curves over gradients right.
        self.data_view = DataView()
        self.loss_plot = LossPlot()
        self.gradient_plot = self._make_gradient_plot()
        self.single_right = QSplitter(Qt.Orientation.Vertical)
        self.single_right.addWidget(self.loss_plot)
        self.single_right.addWidget(self.gradient_plot)
        self.single_right.setSizes([450, 300])
        self.single_page = QSplitter(Qt.Orientation.Horizontal)
        self.single_page.addWidget(self.data_view)
        self.single_page.addWidget(self.single_right)
        self.single_page.setSizes([600, 400])

        # Build the side-by-side views: one column of samples per generator loss
        # above a row of D(G(z)) curves, loss curves and gradients.
        self.compare_views: dict[str, DataView] = {}
        self.compare_metrics: dict[str, MetricsPanel] = {}
        samples = QWidget()
        columns = QHBoxLayout(samples)
        columns.setContentsMargins(0, 0, 0, 0)
        for kind in GENERATOR_LOSSES:
            view = DataView(title=LOSS_TITLES[kind])
            panel = MetricsPanel()
            column = QVBoxLayout()
            column.addWidget(view, stretch=1)
            column.addWidget(panel)
            columns.addLayout(column)
            self.compare_views[kind] = view
            self.compare_metrics[kind] = panel
        self.compare_plot = HistoryPlot(
            [
                Panel(
                    "Mean D(G(z))",
                    "D(G(z))",
                    tuple(
                        Curve(f"{k}.d_fake", LOSS_LABELS[k], LOSS_COLORS[k])
                        for k in GENERATOR_LOSSES
                    ),
                    y_range=(0.0, 1.0),
                    reference=0.5,
                ),
                Panel(
                    "Generator loss",
                    "loss",
                    tuple(
                        Curve(f"{k}.g_loss", LOSS_LABELS[k], LOSS_COLORS[k])
                        for k in GENERATOR_LOSSES
                    ),
                ),
            ],
            horizontal=True,
        )
        self.compare_gradient_plot = self._make_gradient_plot()
        curves = QSplitter(Qt.Orientation.Horizontal)
        curves.addWidget(self.compare_plot)
        curves.addWidget(self.compare_gradient_plot)
        curves.setSizes([700, 350])
        self.compare_page = QSplitter(Qt.Orientation.Vertical)
        self.compare_page.addWidget(samples)
        self.compare_page.addWidget(curves)
        self.compare_page.setSizes([520, 260])
        self.view_stack = QStackedWidget()
        self.view_stack.addWidget(self.single_page)
        self.view_stack.addWidget(self.compare_page)

        # Options that change what a run shows.
        self.compare_box = QCheckBox("Compare losses")
        self.compare_box.setToolTip(
            "Train two GANs from the same initial weights, seed and data side by "
            "side: one minimises −log D(G(z)), the other log(1 − D(G(z))). "
            "Takes effect at the next new run."
        )
        self.arrows_box = QCheckBox("Gradient arrows")
        self.arrows_box.setToolTip(
            "Draw −∇ loss at generated 2-D points: where the generator loss "
            "pushes each point. Side-by-side runs share one arrow scale."
        )
        self.options.update(
            compare_losses=self.compare_box, gradient_arrows=self.arrows_box
        )
        options = QHBoxLayout()
        options.addWidget(self.compare_box)
        options.addWidget(self.arrows_box)
        options.addStretch(1)
        self.compare_box.toggled.connect(self._on_compare_box_toggled)
        self.arrows_box.toggled.connect(self._on_arrows_box_toggled)

        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(options)
        layout.addWidget(self.view_stack, stretch=1)
        return container

    @staticmethod
    def _make_gradient_plot() -> GradientPlot:
        return GradientPlot(
            [(k, LOSS_LABELS[k], LOSS_COLORS[k]) for k in GENERATOR_LOSSES]
        )

    def _point_views(self) -> list:
        views = [self.data_view, *self.compare_views.values()]
        return [view.points for view in views]

    def _on_compare_box_toggled(self, checked: bool) -> None:
        if self.controller.run is None:
            self._apply_view_mode()
        else:
            self.mark_settings_changed()

    def _on_arrows_box_toggled(self, checked: bool) -> None:
        for view in self._point_views():
            view.set_arrows_visible(checked)

    def _apply_view_mode(self) -> None:
        """Show the single or the side-by-side views, as the check box says."""
        compare = self.compare_box.isChecked()
        self.view_stack.setCurrentWidget(
            self.compare_page if compare else self.single_page
        )
        self.metrics_panel.setVisible(not compare)

    def show_dataset(self, dataset: Dataset) -> None:
        self.data_view.show_dataset(dataset)
        for view in self.compare_views.values():
            view.show_dataset(dataset)

    def clear_views(self) -> None:
        self._apply_view_mode()
        self.loss_plot.clear_data()
        self.compare_plot.clear_data()
        self.gradient_plot.clear_data()
        self.compare_gradient_plot.clear_data()
        self.data_view.clear_data()
        for view in self.compare_views.values():
            view.clear_data()
        for panel in self.compare_metrics.values():
            panel.clear_data()

    def show_snapshot(self, snapshot: dict) -> None:
        if "runs" in snapshot:
            self._show_comparison(snapshot["runs"])
            return
        self.loss_plot.set_history(snapshot["history"])
        self.data_view.show_snapshot(snapshot)
        gradients = snapshot.get("gradients")
        if gradients is not None:
            for kind in GENERATOR_LOSSES:
                self.gradient_plot.set_points(
                    kind, gradients["d_fake"], gradients["norms"][kind]
                )
            self._draw_arrows({"": gradients}, {"": self.data_view})

    def _show_comparison(self, runs: dict[str, dict]) -> None:
        self.compare_plot.set_history(comparison_history(runs))
        for kind, run in runs.items():
            self.compare_views[kind].show_snapshot(run)
            self.compare_metrics[kind].show_snapshot(run)
            gradients = run.get("gradients")
            if gradients is not None:
                self.compare_gradient_plot.set_points(
                    kind, gradients["d_fake"], gradients["norms"][kind]
                )
        self._draw_arrows(
            {
                kind: run["gradients"]
                for kind, run in runs.items()
                if "gradients" in run
            },
            self.compare_views,
        )

    def _plot_width(self, dataset: Dataset) -> float:
        # Dataset.bounds scans every real point (200,000 on ring8, several ms),
        # so the width is kept for the data set rather than found per snapshot.
        cached = self._plot_width_cache
        if cached is None or cached[0] is not dataset:
            low, high = dataset.bounds(margin=0.2)
            cached = (dataset, float(np.max(high - low)))
            self._plot_width_cache = cached
        return cached[1]

    def _draw_arrows(self, gradients: dict[str, dict], views: dict) -> None:
        """Draw each run's push arrows on its view, all with one scale."""
        if self.dataset is None or self.dataset.dim != 2 or not gradients:
            return
        width = self._plot_width(self.dataset)
        pushes = [g["push"][:ARROW_COUNT] for g in gradients.values()]
        scale = arrow_scale(pushes, width)
        for key, run_gradients in gradients.items():
            push = run_gradients["push"][:ARROW_COUNT] * scale
            # Clip the few long arrows, so they do not cover the plot.
            lengths = np.linalg.norm(push, axis=1, keepdims=True)
            limit = 2.5 * ARROW_LENGTH * width
            push = push * np.minimum(1.0, limit / np.maximum(lengths, 1e-300))
            views[key].points.set_arrows(run_gradients["points"][:ARROW_COUNT], push)

    def caption_text(self, snapshot: dict) -> str | None:
        step = snapshot["step"]
        if "runs" in snapshot:
            parts = []
            for kind, run in snapshot["runs"].items():
                last = run.get("last")
                if last is not None:
                    parts.append(
                        f"{LOSS_LABELS[kind]}: D(G(z)) {last['d_fake']:.2f}, "
                        f"G loss {last['g_loss']:.3f}"
                    )
            if not parts:
                return None
            return f"{self.data_label()}. Step {step}: " + "; ".join(parts)
        last = snapshot.get("last")
        if last is None:
            return None
        return (
            f"{self.data_label()}. "
            f"Step {step}: D loss {last['d_loss']:.3f}, "
            f"G loss {last['g_loss']:.3f}, D(x) {last['d_real']:.2f}, "
            f"D(G(z)) {last['d_fake']:.2f}"
        )
