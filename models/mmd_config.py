"""Settings of an MMD generator run, importable without torch for a fast start."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from models.datasets import DATASET_NAMES
from models.gan_config import (
    FLOAT_BYTES,
    LR_SCHEDULES,
    NOISE_KINDS,
    check_memory,
    dataset_features,
    mlp_parameters,
)
from models.limits import (
    MAX_BANDWIDTH_SCALES,
    MAX_LATENT_DIM,
    MAX_LAYERS,
    MAX_MMD_BATCH_SIZE,
    MAX_STEPS,
    MAX_WIDTH,
    SettingError,
    check_seed,
    check_whole_number,
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
class MmdConfig:
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

    def validate(self, data_dim: int | None = None) -> None:
        """Raise SettingError naming the first invalid field and its value.

        ``data_dim`` is the number of features per sample, which the memory
        estimate needs; by default it follows from ``data``.
        """
        if self.data not in (*DATASET_NAMES, "custom"):
            raise SettingError(
                "data",
                f"must be one of {', '.join(DATASET_NAMES)}, got {self.data!r}",
            )
        if self.noise not in NOISE_KINDS:
            raise SettingError(
                "noise", f"must be normal or uniform, got {self.noise!r}"
            )
        if self.lr_schedule not in LR_SCHEDULES:
            raise SettingError(
                "lr_schedule",
                f"must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}",
            )
        if self.kernel not in KERNELS:
            raise SettingError(
                "kernel", f"must be one of {', '.join(KERNELS)}, got {self.kernel!r}"
            )
        if self.bandwidth_mode not in BANDWIDTH_MODES:
            raise SettingError(
                "bandwidth_mode",
                f"must be one of {', '.join(BANDWIDTH_MODES)}, "
                f"got {self.bandwidth_mode!r}",
            )
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
        if not (math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise SettingError("lr", f"must be in (0, 1], got {self.lr!r}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise SettingError(
                "betas", f"must be two numbers in [0, 1), got {self.betas}"
            )
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
        check_seed(self.seed)
        if self.device not in ("cpu", "cuda", "auto"):
            raise SettingError(
                "device", f"must be cpu, cuda or auto, got {self.device!r}"
            )
        check_memory(
            self.estimate_memory_bytes(data_dim),
            "batch size, number of bandwidth scales, width or number of layers",
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

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        values["betas"] = list(self.betas)
        values["bandwidth_scales"] = list(self.bandwidth_scales)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> MmdConfig:
        """Build a config from a dict, rejecting unknown keys by name."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown MMD setting(s): {', '.join(unknown)}")
        values = dict(values)
        for key in ("betas", "bandwidth_scales"):
            if key in values:
                values[key] = tuple(float(b) for b in values[key])
        config = cls(**values)
        config.validate()
        return config


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
    base.update(overrides)
    config = MmdConfig(data=data, **base)
    config.validate()
    return config
