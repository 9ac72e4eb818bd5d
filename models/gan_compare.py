"""Two GANs that differ only in the generator loss, trained side by side.

One generator minimises the non-saturating -log D(G(z)), the other the minimax
log(1 - D(G(z))) (Goodfellow et al. 2014, "Generative Adversarial Nets"). Both are
built from the same settings and seed, so their generators start from the same
weights, their discriminators start from the same weights, and they draw the same
noise and minibatches. Any difference between the two runs comes from the loss.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models.datasets import Dataset
from models.gan import GanTrainer
from models.gan_config import GENERATOR_LOSSES, GanConfig


class LossComparison:
    """A run that steps one GAN per generator loss in lockstep.

    Follows the Run protocol of ``models.runs``. ``trainers`` maps each loss in
    ``GENERATOR_LOSSES`` to its ``GanTrainer``; the config's own
    ``generator_loss`` is ignored.

    Parameters
    ----------
    config : GanConfig
        Settings shared by both GANs.
    dataset : Dataset, optional
        Data to learn, shared by both; by default the config's data set.
    live_metrics : callable, optional
        Called with a trainer to give it a ``models.live_metrics.LiveMetrics`` of
        its own, so each snapshot also carries quality metrics.
    """

    def __init__(
        self,
        config: GanConfig,
        dataset: Dataset | None = None,
        live_metrics=None,
    ):
        self.config = config
        self.trainers: dict[str, GanTrainer] = {}
        for kind in GENERATOR_LOSSES:
            trainer = GanTrainer(
                dataclasses.replace(config, generator_loss=kind), dataset=dataset
            )
            dataset = trainer.dataset
            if live_metrics is not None:
                trainer.live_metrics = live_metrics(trainer)
            self.trainers[kind] = trainer
        self.dataset = dataset
        self.device = next(iter(self.trainers.values())).device
        self.step = 0

    @property
    def total_steps(self) -> int | None:
        return self.trainers["non-saturating"].total_steps

    @total_steps.setter
    def total_steps(self, value: int | None) -> None:
        # Both trainers see the new total, which their learning-rate schedules use.
        for trainer in self.trainers.values():
            trainer.total_steps = value

    def steps(self):
        """Do one step of each GAN per iteration and yield both records by loss.

        A trainer that is already past ``step``, because the other one raised
        during the same step, waits, so the two stay in lockstep on a retry.
        """
        while self.total_steps is None or self.step < self.total_steps:
            for trainer in self.trainers.values():
                if trainer.step == self.step:
                    trainer.train_step()
            self.step += 1
            yield {
                kind: trainer.history.last() for kind, trainer in self.trainers.items()
            }

    def restore_last_good(self) -> int:
        """Return each GAN to its last kept finite weights; return the earlier step.

        Both trainers keep copies at the same steps, so they normally return to the
        same one. If one skipped a copy because its weights were not finite, the
        other waits in ``steps`` until both are in lockstep again.

        Raises
        ------
        ValueError
            If a trainer has no finite weights kept.
        """
        steps = [trainer.restore_last_good() for trainer in self.trainers.values()]
        self.step = min(steps)
        return self.step

    def generate(self, n: int | None = None) -> np.ndarray:
        """Return samples of the non-saturating generator, like ``GanTrainer``."""
        return self.trainers["non-saturating"].generate(n)

    def snapshot(self) -> dict:
        """Return ``step``, ``total_steps`` and ``runs``, the snapshots by loss."""
        return {
            "step": self.step,
            "total_steps": self.total_steps,
            "runs": {
                kind: trainer.snapshot() for kind, trainer in self.trainers.items()
            },
        }
