"""The base of the training run settings: shared checks, dict conversion, sizes.

Importable without torch, like the GAN and MMD configs built on it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar, TypeVar

from models.datasets import DATASET_NAMES
from models.limits import (
    MAX_RUN_BYTES,
    SettingError,
    check_seed,
    format_bytes,
)

NOISE_KINDS = ("normal", "uniform")
LR_SCHEDULES = ("constant", "linear", "cosine")

DATA_DIMS = {"gauss1d": 1, "digits": 64}
"""Features per sample of the built-in data sets that are not 2-D points."""

CUSTOM_DATA_DIM = 64
"""Features assumed for own data of unknown size: an 8x8 image."""

FLOAT_BYTES = 4

ConfigT = TypeVar("ConfigT", bound="RunConfig")


def dataset_features(data: str) -> int:
    """Return the features per sample of a data set name; own data counts as 64."""
    if data == "custom":
        return CUSTOM_DATA_DIM
    return DATA_DIMS.get(data, 2)


def mlp_parameters(inputs: int, width: int, layers: int, outputs: int) -> int:
    """Count the weights and biases of an MLP with ``layers`` hidden layers."""
    sizes = [inputs, *([width] * layers), outputs]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def check_memory(estimate: int, what: str) -> None:
    """Raise SettingError when an estimated run memory exceeds MAX_RUN_BYTES.

    The error's field is ``memory`` and its requirement names the estimate, the
    limit and ``what`` to make smaller.
    """
    if estimate > MAX_RUN_BYTES:
        raise SettingError(
            "memory",
            f"needed by these settings is about {format_bytes(estimate)}, more than "
            f"the limit of {format_bytes(MAX_RUN_BYTES)}; use a smaller {what}",
        )


def check_choice(field: str, value, choices: tuple[str, ...]) -> None:
    """Raise SettingError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise SettingError(field, f"must be one of {', '.join(choices)}, got {value!r}")


def check_learning_rate(field: str, value: float) -> None:
    """Raise SettingError unless an Adam learning rate is in (0, 1]."""
    if not (math.isfinite(value) and 0 < value <= 1):
        raise SettingError(field, f"must be in (0, 1], got {value!r}")


def check_betas(field: str, betas) -> None:
    """Raise SettingError unless Adam's (beta1, beta2) are two numbers in [0, 1)."""
    if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
        raise SettingError(field, f"must be two numbers in [0, 1), got {betas}")


class RunConfig:
    """Base class of the dataclasses that define a training run.

    A subclass is a dataclass with at least the fields ``data``, ``noise``,
    ``seed`` and ``device``. It sets the class attributes below and implements
    ``check_fields`` and ``estimate_memory_bytes``.
    """

    label: ClassVar[str] = ""
    """Name of the kind of run in messages, such as ``"GAN"``."""

    tuple_fields: ClassVar[tuple[str, ...]] = ()
    """Fields that hold tuples of floats, which ``to_dict`` writes as lists."""

    memory_advice: ClassVar[str] = ""
    """The settings to make smaller when the estimated memory is over the limit."""

    def check_fields(self) -> None:
        """Raise SettingError naming the first invalid field of this kind of run.

        ``validate`` calls it after checking ``data`` and ``noise`` and before
        checking ``seed``, ``device`` and the memory estimate.
        """
        raise NotImplementedError

    def estimate_memory_bytes(self, data_dim: int | None = None) -> int:
        """Estimate the memory that training takes, in bytes, data set excluded."""
        raise NotImplementedError

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
        self.check_fields()
        check_seed(self.seed)
        if self.device not in ("cpu", "cuda", "auto"):
            raise SettingError(
                "device", f"must be cpu, cuda or auto, got {self.device!r}"
            )
        check_memory(self.estimate_memory_bytes(data_dim), self.memory_advice)

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        for key in self.tuple_fields:
            values[key] = list(getattr(self, key))
        return values

    @classmethod
    def from_dict(cls: type[ConfigT], values: dict) -> ConfigT:
        """Build a config from a dict, rejecting unknown keys by name."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown {cls.label} setting(s): {', '.join(unknown)}")
        values = dict(values)
        for key in cls.tuple_fields:
            if key in values:
                values[key] = tuple(float(b) for b in values[key])
        config = cls(**values)
        config.validate()
        return config

    @classmethod
    def for_data(cls: type[ConfigT], data: str, base: dict, overrides: dict) -> ConfigT:
        """Return the validated config of a data set's ``base`` settings, with
        ``overrides`` applied on top."""
        config = cls(data=data, **{**base, **overrides})
        config.validate()
        return config
