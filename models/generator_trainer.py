"""The base of the trainers of one generator network: GAN and direct MMD training.

`GeneratorTrainer` sets up a run's data, device, history and seeded torch
generator. It also implements what does not depend on the loss: the step loop of
the Run protocol (``models.runs``), generated samples, the learning-rate
schedule, the snapshot's common keys, flat state dicts, the last good weights and
checkpoints.
"""

from __future__ import annotations

import logging
import math
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from models.datasets import Dataset, make_dataset
from models.history import History
from models.runs import NonFiniteError

logger = logging.getLogger(__name__)

VIEW_GRID_SCALE = 1.5
"""Side of the square grid of a 2-D map of D, over that of the real data's box.

The window shows the centred part of the grid that has the plot's shape and
holds the real data. So a plot up to about 1.5 times wider than tall, or taller
than wide, shows the map without blank strips at its edges."""


def resolve_device(name: str) -> torch.device:
    """Turn ``cpu``, ``cuda`` or ``auto`` into a torch device.

    Raises
    ------
    ValueError
        If CUDA is requested on a machine without it.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but torch finds no CUDA device; use cpu")
    return torch.device(name)


def check_generated(trainer, samples: np.ndarray) -> np.ndarray:
    """Return samples unchanged, or raise NonFiniteError if one is NaN or infinite."""
    if not np.isfinite(samples).all():
        raise NonFiniteError(
            f"the generated samples became NaN or infinite at step {trainer.step}. "
            f"{trainer.last_good.describe()} Try a smaller learning rate."
        )
    return samples


def view_grid(dataset: Dataset, resolution: int = 96) -> dict[str, np.ndarray]:
    """Return the points at which the views evaluate a function of x.

    ``{"x": ...}`` with 200 points over the data's range for 1-D data, and for 2-D
    data ``{"x": ..., "y": ...}`` spanning a square `VIEW_GRID_SCALE` times the
    data's box, so that circles look like circles.
    """
    low, high = dataset.bounds(margin=0.2)
    if dataset.dim == 1:
        return {"x": np.linspace(low[0], high[0], 200)}
    center = (low + high) / 2
    half = VIEW_GRID_SCALE * float(np.max(high - low)) / 2
    xs = np.linspace(center[0] - half, center[0] + half, resolution)
    ys = np.linspace(center[1] - half, center[1] + half, resolution)
    return {"x": xs, "y": ys}


class GeneratorTrainer:
    """Base class of a run that trains a generator network ``netG`` step by step.

    A subclass sets the class attributes below. Its ``__init__`` calls this one
    first, then builds ``netG`` (and any other network) with ``_init_weights``
    and their Adam optimisers, then calls ``_prepare_data`` and creates
    ``last_good``. It implements ``train_step``, ``_noise`` and ``snapshot``,
    and the lists of networks and optimisers that ``state_dict`` saves.

    Parameters
    ----------
    config : models.run_config.RunConfig
        Settings of the run; validated here.
    dataset : Dataset, optional
        Data to learn; by default ``make_dataset(config.data, seed=config.seed)``.
    live_metrics : models.live_metrics.LiveMetrics, optional
        Quality metrics that ``snapshot`` recomputes on its throttle and returns
        under ``metrics``.
    """

    kind: ClassVar[str] = ""
    """Kind of checkpoint that ``save`` writes and ``load`` accepts, e.g. ``"gan"``."""

    label: ClassVar[str] = ""
    """Name of the kind of run in log messages, such as ``"GAN"``."""

    config_class: ClassVar[type]
    """The config dataclass that ``load`` builds from a checkpoint's settings."""

    history_columns: ClassVar[tuple[str, ...]] = ()
    """Columns of the history, ``step`` first, saved in this order."""

    extra_tensors: ClassVar[tuple[str, ...]] = ()
    """Tensor attributes besides the weights that checkpoints save."""

    def __init__(self, config, dataset: Dataset | None = None, live_metrics=None):
        config.validate(data_dim=dataset.dim if dataset is not None else None)
        self.config = config
        self.dataset = (
            dataset
            if dataset is not None
            else make_dataset(config.data, seed=config.seed)
        )
        self.device = resolve_device(config.device)
        self.total_steps: int | None = config.steps
        self.step = 0
        self.live_metrics = live_metrics
        self.history = History(self.history_columns, capacity=8192)

        # Seed one torch generator for everything random in the run.
        self.generator = torch.Generator().manual_seed(config.seed)

    # Hooks for subclasses.

    def train_step(self) -> dict[str, float]:
        """Do one training step and return its record, a row of the history."""
        raise NotImplementedError

    def _noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Return n latent vectors drawn from ``generator``, by default the run's."""
        raise NotImplementedError

    def _modules_by_prefix(self) -> list[tuple[str, nn.Module]]:
        """Return the networks that ``state_dict`` saves, each with its prefix."""
        raise NotImplementedError

    def _optimizers_by_prefix(self) -> list[tuple[str, torch.optim.Optimizer]]:
        """Return the optimisers that ``state_dict`` saves, each with its prefix."""
        raise NotImplementedError

    def _restore_extra_tensors(self, tensors: dict) -> None:
        """Set the ``extra_tensors`` read from a checkpoint; None marks a missing
        one. The base class ignores them."""

    # Construction.

    def _init_weights(self, net: nn.Module) -> None:
        # Draw initial weights from the run's generator, not torch's global one.
        with torch.no_grad():
            for module in net.modules():
                if isinstance(module, nn.Linear):
                    bound = 1.0 / math.sqrt(module.in_features)
                    for tensor in (module.weight, module.bias):
                        values = torch.rand(tensor.shape, generator=self.generator)
                        tensor.copy_((2 * values - 1) * bound)

    def _prepare_data(self, view_size: int | None) -> None:
        """Move the real data to the device and fix the views' latent batch and grid.

        The fixed latent batch is drawn from the run's generator, so a subclass
        calls this after drawing the initial weights.
        """
        self.real = torch.from_numpy(self.dataset.normalise(self.dataset.samples)).to(
            self.device
        )
        if view_size is None:
            view_size = 64 if self.dataset.is_image else 1000
        self.fixed_noise = self._noise(view_size)
        self._view_grid = None if self.dataset.is_image else view_grid(self.dataset)

    # Training.

    def learning_rate_factor(self) -> float:
        """Return the factor that ``lr_schedule`` applies to the learning rates now.

        The schedule runs from step 0 to ``total_steps``, so extending a finished
        run raises the rates again, like a warm restart.
        """
        schedule = self.config.lr_schedule
        if schedule == "constant":
            return 1.0
        horizon = self.total_steps or self.config.steps
        progress = min(self.step / horizon, 1.0)
        if schedule == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    def _check_finite(self, quantity: str, value: torch.Tensor) -> None:
        if not torch.isfinite(value):
            raise NonFiniteError(
                f"the {quantity} became {value.item()} at step {self.step + 1}. "
                f"{self.last_good.describe()} Try a smaller learning rate."
            )

    def steps(self):
        """Yield one record per training step until ``total_steps`` is reached."""
        while self.total_steps is None or self.step < self.total_steps:
            yield self.train_step()

    def restore_last_good(self) -> int:
        """Go back to the last kept step with finite weights and return that step.

        Weights, Adam moments, the RNG state, the history and the tensors named
        in ``last_good.extra_attributes`` return to that step, so continuing with
        the same settings repeats the same steps.

        Raises
        ------
        ValueError
            If no finite weights were kept.
        """
        return self.last_good.restore(self)

    # Samples and snapshots.

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator network that ``generate`` samples from."""
        return self.netG

    @torch.no_grad()
    def generate(self, n: int | None = None) -> np.ndarray:
        """Return generated samples in data coordinates, shape (n, dim).

        With n None, the images of the fixed latent batch are returned.
        """
        noise = self.fixed_noise if n is None else self._sample_free_noise(n)
        out = self.sampling_generator(noise).cpu().numpy()
        return self.dataset.denormalise(out)

    def _sample_free_noise(self, n: int) -> torch.Tensor:
        # A separate generator, so drawing samples does not change the training run.
        return self._noise(n, torch.Generator().manual_seed(self.config.seed + 1))

    def _snapshot_start(self) -> dict:
        """Return the snapshot keys of every trainer.

        These are ``step``, ``total_steps``, ``history``, ``last`` and
        ``generated``.
        """
        return {
            "step": self.step,
            "total_steps": self.total_steps,
            "history": self.history.as_dict(),
            "last": self.history.last(),
            "generated": check_generated(self, self.generate()),
        }

    def _add_live_metrics(self, snapshot: dict) -> None:
        """Add ``metrics``, the result of ``live_metrics.update``, when it is set."""
        if self.live_metrics is not None:
            finished = self.total_steps is not None and self.step >= self.total_steps
            snapshot["metrics"] = self.live_metrics.update(
                self.step, self.generate, final=finished
            )

    # State and checkpoints.

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return all weights and optimiser moments as flat named CPU tensors.

        A network's tensors are named ``<prefix>.<name>`` and an optimiser's
        ``<prefix>.<parameter index>.<state entry>``.
        """
        tensors = {}
        for prefix, module in self._modules_by_prefix():
            for name, value in module.state_dict().items():
                tensors[f"{prefix}.{name}"] = value.detach().cpu().contiguous()
        for prefix, opt in self._optimizers_by_prefix():
            for index, state in opt.state_dict()["state"].items():
                for key, value in state.items():
                    tensor = torch.as_tensor(value).detach().cpu().contiguous()
                    tensors[f"{prefix}.{index}.{key}"] = tensor
        return tensors

    def load_state_dict(self, tensors: dict[str, torch.Tensor]) -> None:
        """Load weights and optimiser moments saved by ``state_dict``.

        Raises
        ------
        ValueError
            If names or shapes do not match this trainer's networks; nothing is
            changed in that case.
        """
        modules = self._modules_by_prefix()
        optimizers = self._optimizers_by_prefix()
        expected = {
            f"{prefix}.{name}": value
            for prefix, module in modules
            for name, value in module.state_dict().items()
        }
        optimizer_prefixes = tuple(prefix + "." for prefix, _ in optimizers)
        missing = sorted(set(expected) - set(tensors))
        unexpected = sorted(
            k
            for k in tensors
            if k not in expected and not k.startswith(optimizer_prefixes)
        )
        if missing or unexpected:
            raise ValueError(
                "checkpoint does not match this architecture: "
                f"missing {missing[:3]}, unexpected {unexpected[:3]}"
            )
        for name, value in expected.items():
            if tuple(tensors[name].shape) != tuple(value.shape):
                raise ValueError(
                    f"checkpoint tensor {name} has shape "
                    f"{tuple(tensors[name].shape)}, this architecture needs "
                    f"{tuple(value.shape)}"
                )
        from models.checkpoint import check_optimizer_tensors

        for prefix, opt in optimizers:
            check_optimizer_tensors(tensors, prefix, opt)

        # Every tensor fits, so load them.
        for prefix, module in modules:
            state = {
                key[len(prefix) + 1 :]: value.to(self.device)
                for key, value in tensors.items()
                if key.startswith(prefix + ".")
            }
            module.load_state_dict(state)
        for prefix, opt in optimizers:
            state = opt.state_dict()
            for key, value in tensors.items():
                if not key.startswith(prefix + "."):
                    continue
                _, index, name = key.split(".", 2)
                state["state"].setdefault(int(index), {})[name] = (
                    value.to(self.device) if name != "step" else value
                )
            opt.load_state_dict(state)

    def save(self, folder, extra: dict | None = None) -> None:
        """Write weights, optimiser state, RNG state and history to a checkpoint."""
        from models.checkpoint import save_checkpoint

        tensors = self.state_dict()
        tensors["rng_state"] = self.generator.get_state()
        for name in self.extra_tensors:
            tensors[name] = getattr(self, name).detach().cpu()
        history = self.history.as_dict()
        tensors["history"] = torch.from_numpy(
            np.stack([history[c] for c in self.history_columns], axis=1)
        )
        extra = {"history_stride": self.history.stride, **(extra or {})}
        save_checkpoint(
            folder, self.kind, self.config.to_dict(), self.step, tensors, extra=extra
        )
        # Logged under the subclass's module, such as models.gan, so a filter on
        # that logger still receives checkpoint writes.
        logging.getLogger(type(self).__module__).info(
            "saved %s checkpoint at step %s to %s", self.label, self.step, folder
        )

    @classmethod
    def load(cls, folder, dataset: Dataset | None = None, device: str | None = None):
        """Rebuild a trainer from a checkpoint written by ``save``.

        Raises
        ------
        models.checkpoint.CheckpointError
            If the checkpoint is unreadable, of another kind, or does not fit its
            own settings.
        """
        from models.checkpoint import (
            CheckpointError,
            load_checkpoint,
            restore_progress,
        )

        description, tensors = load_checkpoint(folder, kind=cls.kind)
        try:
            settings = dict(description["config"])
            if device is not None:
                settings["device"] = device
            config = cls.config_class.from_dict(settings)
            if config.data == "custom" and dataset is None:
                raise ValueError(
                    "this checkpoint was trained on custom data; load that data too"
                )
            trainer = cls(config, dataset=dataset)
            rng_state = tensors.pop("rng_state", None)
            history = tensors.pop("history", None)
            extra = {name: tensors.pop(name, None) for name in cls.extra_tensors}
            trainer.load_state_dict(tensors)
            restore_progress(
                trainer,
                description.get("step"),
                rng_state,
                history,
                description.get("history_stride"),
            )
        except (ValueError, TypeError, KeyError, RuntimeError) as error:
            raise CheckpointError(f"cannot load {folder}: {error}") from error
        trainer._restore_extra_tensors(extra)
        trainer.last_good.update(trainer, force=True)
        return trainer
