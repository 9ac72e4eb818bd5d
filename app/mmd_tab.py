"""The direct learning tab: a generator trained by minimising MMD² to the data."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
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
from app.training_tab import TrainingTab, build_trainer
from models.datasets import Dataset
from models.limits import MAX_MMD_BATCH_SIZE
from models.mmd_config import (
    BANDWIDTH_MODES,
    KERNELS,
    MmdConfig,
    default_mmd_config,
)
from models.run_config import LR_SCHEDULES
from widgets.data_view import WITNESS_FIELD, DataView
from widgets.history_plot import Curve, HistoryPlot, Panel
from widgets.image_grid import ImageGrid
from widgets.settings_form import Field
from widgets.style import D_COLOR, G_COLOR, NEUTRAL_COLOR

logger = logging.getLogger(__name__)

SMOOTHING_STEPS = 50
"""Window of the moving average drawn over the noisy MMD² batch estimates."""


def mmd_fields(devices: tuple[str, ...] = ("cpu",)) -> list[Field]:
    """Describe every MMD setting, with the defaults of the ring8 data set."""
    config = default_mmd_config("ring8")
    return [
        *data_fields(config, "Generator updates in one run"),
        *latent_fields(config),
        *mlp_fields("", config.layers, config.width, "generator", "Generator"),
        *adam_fields("", config.lr, config.betas, "G", "Generator"),
        Field(
            "lr_schedule",
            "LR schedule",
            "choice",
            config.lr_schedule,
            choices=LR_SCHEDULES,
            tooltip="constant, or decay the learning rate to 0 over the run's "
            "steps along a line or a half cosine, so the samples settle",
            group="Generator",
        ),
        Field(
            "kernel",
            "Kernel",
            "choice",
            config.kernel,
            choices=KERNELS,
            tooltip="gaussian: exp(-‖x - y‖² / 2s²) with one bandwidth s; multi: "
            "the sum of such kernels over the base bandwidth times each scale",
            group="Kernel",
        ),
        Field(
            "bandwidth_mode",
            "Bandwidth",
            "choice",
            config.bandwidth_mode,
            choices=BANDWIDTH_MODES,
            tooltip="median: the base bandwidth is the median distance between "
            "the points of each batch; fixed: the value below",
            group="Kernel",
        ),
        Field(
            "bandwidth",
            "Fixed bandwidth",
            "float",
            config.bandwidth,
            1e-4,
            1e4,
            decimals=4,
            step=0.05,
            tooltip="Base bandwidth in data units when the bandwidth is fixed",
            group="Kernel",
        ),
        Field(
            "bandwidth_scales",
            "Scales",
            "text",
            format_scales(config.bandwidth_scales),
            tooltip="Multipliers of the base bandwidth for the multi kernel, "
            "separated by commas, such as 0.25, 0.5, 1, 2, 4",
            group="Kernel",
        ),
        *run_fields(
            config,
            devices,
            2,
            MAX_MMD_BATCH_SIZE,
            "Generated and real samples per MMD² estimate",
        ),
    ]


def format_scales(scales) -> str:
    """Return bandwidth scales as text such as ``0.25, 0.5, 1, 2, 4``."""
    return ", ".join(f"{scale:g}" for scale in scales)


def parse_scales(text: str) -> tuple[float, ...]:
    """Read comma-separated bandwidth scales.

    Raises
    ------
    ValueError
        If an item is not a number.
    """
    items = [item.strip() for item in text.replace(";", ",").split(",")]
    try:
        return tuple(float(item) for item in items if item)
    except ValueError:
        raise ValueError(
            f"bandwidth scales must be numbers separated by commas, got {text!r}"
        ) from None


def config_from_form(values: dict) -> MmdConfig:
    """Build and validate a config from the form's values."""
    values = dict(values)
    join_betas(values, "")
    values["bandwidth_scales"] = parse_scales(values["bandwidth_scales"])
    return MmdConfig.from_dict(values)


def form_from_config(config: MmdConfig) -> dict:
    values = config.to_dict()
    split_betas(values, "")
    values["bandwidth_scales"] = format_scales(config.bandwidth_scales)
    return values


def build_mmd_trainer(config: MmdConfig, dataset: Dataset | None = None):
    """Build a trainer; runs in the worker thread, where torch is imported."""
    from models.mmd import MmdTrainer

    return build_trainer(MmdTrainer, config, dataset)


def with_moving_average(history: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return the history with ``mmd2_mean``, a trailing mean of ``mmd2``."""
    values = history.get("mmd2")
    if values is None or len(values) == 0:
        return history
    window = min(SMOOTHING_STEPS, len(values))
    sums = np.cumsum(np.insert(np.asarray(values, dtype=np.float64), 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    starts = np.arange(1, len(values) + 1) - counts
    mean = (sums[1:] - sums[starts]) / counts
    return {**history, "mmd2_mean": mean}


class MmdTab(TrainingProtocolMixin, TrainingTab):
    """Train a generator directly, by minimising MMD² to the data, and watch it.

    Signals
    -------
    status_message(str)
        A line for the window's status bar.
    error_occurred(str)
        A failure to show in the window's message area.
    """

    title = "Direct (MMD)"
    run_label = "MMD training"
    key = "mmd"

    # Settings.

    def fields(self) -> list[Field]:
        return mmd_fields()

    def config(self) -> MmdConfig:
        return config_from_form(self.form.values())

    def default_config_for(self, data: str) -> MmdConfig:
        return default_mmd_config(data)

    def form_values(self, config: MmdConfig) -> dict:
        return form_from_config(config)

    def trainer_class(self) -> type:
        from models.mmd import MmdTrainer

        return MmdTrainer

    def run_factory(self, config: MmdConfig, dataset: Dataset | None):
        return lambda: build_mmd_trainer(config, dataset)

    # Views.

    def build_views(self) -> QWidget:
        self.data_view = DataView(
            field=WITNESS_FIELD, title="Real vs generated over the witness f(x)"
        )
        self.history_plot = HistoryPlot(
            [
                Panel(
                    "MMD² per batch (unbiased, > 0 only)",
                    "MMD², log scale",
                    (
                        Curve("mmd2", "batch estimate", G_COLOR),
                        Curve("mmd2_mean", f"mean of {SMOOTHING_STEPS} steps", D_COLOR),
                    ),
                    log_y=True,
                ),
                Panel(
                    "Median-heuristic bandwidth",
                    "data units",
                    (Curve("bandwidth", "base bandwidth", NEUTRAL_COLOR),),
                ),
            ]
        )
        self.bandwidth_label = QLabel()
        self.bandwidth_label.setWordWrap(True)

        # For digits, the witness ranks images instead of covering a plane.
        self.missing_images = ImageGrid(title="Under-generated: max f")
        self.missing_images.setToolTip(
            "Real digits where the witness f is highest: the generator makes too "
            "few digits like these"
        )
        self.excess_images = ImageGrid(title="Over-generated: min f")
        self.excess_images.setToolTip(
            "Generated digits where the witness f is lowest: the generator makes "
            "too many digits like these"
        )
        self.witness_images = QWidget()
        images = QHBoxLayout(self.witness_images)
        images.setContentsMargins(0, 0, 0, 0)
        images.addWidget(self.missing_images)
        images.addWidget(self.excess_images)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.history_plot)
        right.addWidget(self.witness_images)
        right.setSizes([450, 300])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.data_view)
        self.splitter.addWidget(right)
        self.splitter.setSizes([600, 400])

        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bandwidth_label)
        layout.addWidget(self.splitter, stretch=1)
        return container

    def show_dataset(self, dataset: Dataset) -> None:
        self.data_view.show_dataset(dataset)
        self.witness_images.setVisible(dataset.is_image)
        # Digit grids need less width than a square scatter plot.
        self.splitter.setSizes([500, 500] if dataset.is_image else [600, 400])
        self._show_bandwidths(None)

    def clear_views(self) -> None:
        self.data_view.clear_data()
        self.history_plot.clear_data()
        self.missing_images.clear_data()
        self.excess_images.clear_data()
        self._show_bandwidths(None)

    def show_snapshot(self, snapshot: dict) -> None:
        self.history_plot.set_history(with_moving_average(snapshot["history"]))
        self.data_view.show_snapshot(snapshot)
        self._show_bandwidths(snapshot.get("bandwidths"))
        images = snapshot.get("witness_images")
        if images is not None and self.dataset is not None:
            shape = self.dataset.image_shape
            value_range = self.dataset.value_range
            self.missing_images.set_images(
                images["missing"].reshape(-1, *shape), value_range
            )
            self.excess_images.set_images(
                images["excess"].reshape(-1, *shape), value_range
            )

    def _show_bandwidths(self, bandwidths: list[float] | None) -> None:
        if not bandwidths:
            self.bandwidth_label.setText(
                "Kernel bandwidths: shown once the run starts. f(x) = mean k(x, "
                "real) − mean k(x, generated): blue where real data lacks "
                "generated samples, orange where they are in excess."
            )
            return
        values = ", ".join(f"{b:.3g}" for b in sorted(bandwidths))
        self.bandwidth_label.setText(
            f"Kernel bandwidths in use (data units): {values}; base "
            f"{bandwidths[0]:.3g}. f(x) = mean k(x, real) − mean k(x, generated): "
            "blue where real data lacks generated samples, orange where they are "
            "in excess."
        )

    def caption_text(self, snapshot: dict) -> str | None:
        last = snapshot.get("last")
        if last is None:
            return None
        return (
            f"{self.data_label()}. Step {snapshot['step']}: "
            f"MMD² {last['mmd2']:.5f} on the last batch"
        )
