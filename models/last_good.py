"""A copy of a trainer's state from a recent step whose losses and weights were finite.

A loss that turns NaN stops a run before the optimiser step that would spread it.
A run can also drift to finite weights that give NaN or infinity on the next forward
pass, and no check stops that in time. So every ``interval`` steps the trainer hands
its state to `LastGoodState`, which keeps a copy only when every weight is finite,
and the user can go back to a model that worked.
"""

from __future__ import annotations

import copy
import logging

import torch

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 100
"""Steps between two copies; a restore loses at most this many steps of training."""


class LastGoodState:
    """Weights, optimiser moments, RNG state, step and history of a recent good step.

    Works with any trainer that has ``step``, ``history``, ``generator`` (a
    ``torch.Generator``) and the ``state_dict`` / ``load_state_dict`` pair of
    ``models.gan.GanTrainer``. Attributes named in ``extra_attributes`` (tensors,
    such as the MMD trainer's bandwidths) are copied too.

    Parameters
    ----------
    interval : int
        Steps between copies. Each copy clones every weight and optimiser moment,
        so a smaller interval costs more time and loses fewer steps on a restore.
    extra_attributes : tuple of str
        Further tensor attributes of the trainer to copy and restore.
    """

    def __init__(
        self, interval: int = DEFAULT_INTERVAL, extra_attributes: tuple[str, ...] = ()
    ):
        if interval < 1:
            raise ValueError(f"interval must be at least 1 step, got {interval}")
        self.interval = interval
        self.extra_attributes = tuple(extra_attributes)
        self.step: int | None = None
        self._tensors: dict[str, torch.Tensor] = {}
        self._rng_state: torch.Tensor | None = None
        self._history = None
        self._extra: dict[str, torch.Tensor] = {}

    def update(self, trainer, force: bool = False) -> bool:
        """Copy the trainer's state when ``interval`` steps have passed; return True
        if a copy was taken.

        A state with a NaN or infinite weight is not copied, so the previous copy
        stays. ``force`` copies regardless of the interval.
        """
        due = self.step is None or trainer.step - self.step >= self.interval
        if not (force or due):
            return False
        tensors = trainer.state_dict()
        for name, tensor in tensors.items():
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                logger.debug(
                    "not copying step %s: %s is not finite", trainer.step, name
                )
                return False
        # state_dict returns views of the live CPU tensors, so clone them.
        self._tensors = {name: tensor.clone() for name, tensor in tensors.items()}
        self._rng_state = trainer.generator.get_state()
        self._history = copy.deepcopy(trainer.history)
        self._extra = {
            name: getattr(trainer, name).detach().clone()
            for name in self.extra_attributes
        }
        self.step = trainer.step
        return True

    def describe(self) -> str:
        """Return a sentence that names the step of the kept weights, for messages."""
        if self.step is None:
            return "No finite weights were kept."
        return f"The last finite weights kept are those of step {self.step}."

    def restore(self, trainer) -> int:
        """Put the copied state back into the trainer and return its step.

        Raises
        ------
        ValueError
            If no copy has been taken yet.
        """
        if self.step is None:
            raise ValueError("no finite weights have been kept yet")

        # A copy from before the first step has no Adam moments, so drop the
        # current ones rather than keep moments of later steps.
        for value in vars(trainer).values():
            if isinstance(value, torch.optim.Optimizer):
                value.state.clear()
        trainer.load_state_dict(
            {name: tensor.clone() for name, tensor in self._tensors.items()}
        )
        trainer.generator.set_state(self._rng_state.clone())
        trainer.history = copy.deepcopy(self._history)
        for name, tensor in self._extra.items():
            setattr(trainer, name, tensor.clone())
        trainer.step = self.step
        logger.info("restored the weights of step %s", self.step)
        return self.step
