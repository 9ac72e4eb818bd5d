"""Settings of an MMD generator run, importable without torch for a fast start."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from models.limits import (
    MAX_BANDWIDTH_SCALES,
    MAX_LATENT_DIM,
    MAX_LAYERS,
    MAX_MMD_BATCH_SIZE,
    MAX_STEPS,
    MAX_WIDTH,
    SettingError,
    check_whole_number,
)
from models.run_config import (
    FLOAT_BYTES,
    LR_SCHEDULES,
    RunConfig,
    check_betas,
    check_choice,
    check_learning_rate,
    dataset_features,
    mlp_parameters,
)

KERNELS = ("gaussian", "multi")
BANDWIDTH_MODES = ("median", "fixed")
DEFAULT_BANDWIDTH_SCALES = (1 / 32, 1 / 8, 1 / 2, 1.0, 2.0)
"""Multipliers of the median bandwidth for the toy data sets.

The smallest bandwidths resolve modes much narrower than the spread of the data,
such as the ring's components of σ 0.01 on a circle of radius 1. On ring8 with
seed 0, these 5 scales reached all 8 modes with 53 % high-quality samples in 4,000
steps, against 54 % for the 7 scales 1/32, 1/16, ..., 2 at 1.5 times the cost.
"""

DIGIT_BANDWIDTH_SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Multipliers of the median bandwidth for the 64-pixel digits, whose distances
to their nearest neighbours are a large fraction of the median distance."""


@dataclass
class MmdConfig(RunConfig):
    """Everything that defines an MMD generator run; two equal configs give equal runs.

    Attributes
    ----------
    data : str
        Data set name (see ``models.datasets.DATASET_NAMES``) or ``"custom"`` when
        the trainer is given a data set object.
    steps : int
        Number of generator updates in the run.
    noise : {"normal", "uniform"}
        Distribution of the latent vector z.
    latent_dim : int
        Size of z.
    layers, width : int
        Hidden layers of the generator's MLP and their width.
    batch_size : int
        Generated and real samples per update. The MMD² estimate compares the two
        batches, so a larger batch gives a less noisy loss.
    lr : float
        Adam learning rate.
    betas : tuple of float
        Adam's (beta1, beta2).
    lr_schedule : {"constant", "linear", "cosine"}
        Keep the learning rate, or decay it to 0 over the run's steps along a line
        or a half cosine. A decay lets the samples settle at the end of a run
        instead of jittering with the noise of the batch estimate.
    kernel : {"gaussian", "multi"}
        One Gaussian kernel, or a sum of Gaussian kernels whose bandwidths are the
        base bandwidth times each of ``bandwidth_scales``. The sum measures
        differences at several length scales at once: small bandwidths sharpen
        modes, and large ones pull far-away samples in.
    bandwidth_mode : {"median", "fixed"}
        ``median`` recomputes the base bandwidth at every step by the median
        heuristic on the pooled batch; ``fixed`` uses ``bandwidth``.
    bandwidth : float
        Base bandwidth in data units for ``bandwidth_mode="fixed"``.
    bandwidth_scales : tuple of float
        Multipliers of the base bandwidth for ``kernel="multi"``.
    seed : int
        Seeds the data, the initial weights, the noise and the minibatches.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    """

    data: str = "ring8"
    steps: int = 4000
    noise: str = "normal"
    latent_dim: int = 8
    layers: int = 3
    width: int = 128
    batch_size: int = 256
    lr: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    lr_schedule: str = "cosine"
    kernel: str = "multi"
    bandwidth_mode: str = "median"
    bandwidth: float = 1.0
    bandwidth_scales: tuple[float, ...] = DEFAULT_BANDWIDTH_SCALES
    seed: int = 0
    device: str = "cpu"

    label: ClassVar[str] = "MMD"
    tuple_fields: ClassVar[tuple[str, ...]] = ("betas", "bandwidth_scales")
    memory_advice: ClassVar[str] = (
        "batch size, number of bandwidth scales, width or number of layers"
    )

    def check_fields(self) -> None:
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        check_choice("kernel", self.kernel, KERNELS)
        check_choice("bandwidth_mode", self.bandwidth_mode, BANDWIDTH_MODES)
        ranges = {
            "steps": MAX_STEPS,
            "latent_dim": MAX_LATENT_DIM,
            "width": MAX_WIDTH,
        }
        for name, high in ranges.items():
            check_whole_number(name, getattr(self, name), 1, high)
        if self.batch_size in (0, 1):
            raise SettingError(
                "batch_size",
                f"must be at least 2 for the unbiased MMD² estimate, "
                f"got {self.batch_size}",
            )
        check_whole_number("batch_size", self.batch_size, 2, MAX_MMD_BATCH_SIZE)
        check_whole_number("layers", self.layers, 0, MAX_LAYERS)
        check_learning_rate("lr", self.lr)
        check_betas("betas", self.betas)
        if not (math.isfinite(self.bandwidth) and self.bandwidth > 0):
            raise SettingError(
                "bandwidth",
                f"must be a positive number of data units, got {self.bandwidth!r}",
            )
        scales = self.bandwidth_scales
        if not (
            1 <= len(scales) <= MAX_BANDWIDTH_SCALES
            and all(math.isfinite(s) and s > 0 for s in scales)
        ):
            raise SettingError(
                "bandwidth_scales",
                f"must be 1 to {MAX_BANDWIDTH_SCALES} positive numbers, got {scales}",
            )

    def estimate_memory_bytes(self, data_dim: int | None = None) -> int:
        """Estimate the memory that training takes, in bytes, data set excluded.

        The kernel matrices dominate: per scale, the blocks of generated points
        with themselves and with the real ones keep batch² kernel values for the
        backward pass, next to a few matrices of squared distances. Weights
        count 14 times, as in `models.gan_config.GanConfig.estimate_memory_bytes`.
        Three steps of ``gan-playground train mmd`` with batch 4,096 and 5 scales
        peaked at about this estimate on a CPU, less the 0.4 GB that an idle
        process takes.
        """
        dim = data_dim if data_dim is not None else dataset_features(self.data)
        batch = self.batch_size
        scales = len(self.bandwidth_scales) if self.kernel == "multi" else 1
        weights = mlp_parameters(self.latent_dim, self.width, self.layers, dim)
        activations = 2 * batch * self.width * self.layers
        kernels = (2 * scales + 6) * batch**2
        floats = 14 * weights + activations + kernels + batch * (self.latent_dim + dim)
        return FLOAT_BYTES * floats


def default_mmd_config(data: str, **overrides) -> MmdConfig:
    """Return settings that train well on the named data set, with overrides applied.

    Raises
    ------
    ValueError
        If the data set is unknown or an override is invalid.
    """
    if data == "digits":
        base = dict(
            latent_dim=32,
            layers=2,
            width=256,
            bandwidth_scales=DIGIT_BANDWIDTH_SCALES,
        )
    elif data == "gauss1d":
        base = dict(steps=2000, latent_dim=4)
    else:
        base = {}
    return MmdConfig.for_data(data, base, overrides)
