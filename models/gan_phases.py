"""A GAN training step cut into its phases, for a slow-motion view of the game.

:class:`PhasedGanRun` drives a :class:`models.gan.GanTrainer` one phase per
iteration: draw a real minibatch and latent noise, generate G(z), update D, and
after ``d_steps`` such rounds update G. Each phase yields, so the window can draw
the state after it with a one-line caption. The phases do the same computations,
in the same order and with the same random draws, as ``GanTrainer.train_step``, so
a run in slow motion equals a normal run with the same seed (a test checks this).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from models.losses import discriminator_loss, generator_loss, gradient_penalty

logger = logging.getLogger(__name__)

PHASES = ("draw", "generate", "update_d", "update_g")
BATCH_VIEW_SIZE = 256
"""Generated points of the current minibatch that a snapshot returns."""

ARROW_FRACTION = 0.05
"""Median length of the drawn G moves, as a fraction of the data's extent."""


class PhasedGanRun:
    """Run a GAN trainer one phase at a time; follows ``models.runs.Run``.

    ``step`` and ``total_steps`` are the trainer's full training steps, so a
    progress bar means the same as in a normal run. Leaving slow motion between
    phases is safe: the trainer's next ``train_step`` starts a fresh step, and any
    D update already done in the unfinished step stays done.

    Parameters
    ----------
    trainer : models.gan.GanTrainer
        The trainer to drive; it may have trained before.
    """

    def __init__(self, trainer):
        self.trainer = trainer
        self.phase: str | None = None
        self.caption = "Slow motion: each Step shows one phase of a training step."
        self._next = 0
        self._d_round = 0
        self._real = None
        self._noise = None
        self._fake = None
        self._d_record: dict | None = None
        self._view_points: np.ndarray | None = None
        self._moves: tuple[np.ndarray, np.ndarray, float] | None = None

    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def total_steps(self) -> int | None:
        return self.trainer.total_steps

    @total_steps.setter
    def total_steps(self, value: int | None) -> None:
        self.trainer.total_steps = value

    @property
    def mid_step(self) -> bool:
        """Whether some phases of the current training step are done."""
        return self._next != 0 or self._d_round != 0

    def steps(self):
        """Yield a small record after each phase until ``total_steps`` is reached."""
        while (
            self.mid_step
            or self.total_steps is None
            or self.trainer.step < self.total_steps
        ):
            yield self.advance()

    def advance(self) -> dict:
        """Do the next phase and return its record."""
        phase = PHASES[self._next]
        if phase == "draw":
            record = self._draw()
        elif phase == "generate":
            record = self._generate()
        elif phase == "update_d":
            record = self._update_d()
        else:
            record = self._update_g()
        self.phase = phase
        return record

    def _draw(self) -> dict:
        trainer, config = self.trainer, self.trainer.config
        if self._d_round == 0 and config.lr_schedule != "constant":
            trainer._apply_lr_schedule()

        # The same draws as train_step: the real minibatch first, then z.
        samples = config.batch_size * config.pack
        self._real = trainer._pack(trainer._real_batch(samples))
        self._noise = trainer._noise(samples)
        self._moves = None
        self._next = 1
        noise = "N(0, I)" if config.noise == "normal" else "U(-1, 1)"
        self.caption = (
            f"{self._prefix('draw')}Draw: {samples} real samples and {samples} latent "
            f"vectors z ~ {noise}, {config.latent_dim} numbers each."
        )
        return {"phase": "draw"}

    def _generate(self) -> dict:
        trainer = self.trainer
        with torch.no_grad():
            fake = trainer.netG(self._noise)
        self._fake = trainer._pack(fake)
        self._view_points = self._to_data(fake[:BATCH_VIEW_SIZE])
        self._next = 2
        d_fake = self._mean_d(self._fake)
        self.caption = (
            f"{self._prefix('generate')}Generate: G maps each z to a sample G(z) "
            f"(orange), and D rates them {d_fake:.2f} on average (1 = real)."
        )
        return {"phase": "generate"}

    def _update_d(self) -> dict:
        trainer, config = self.trainer, self.trainer.config

        # Update D exactly as train_step does, R1 penalty included.
        real, fake = self._real, self._fake
        if config.r1_gamma > 0:
            real.requires_grad_(True)
        real_logits = trainer.netD(real)
        fake_logits = trainer.netD(fake)
        d_loss = discriminator_loss(real_logits, fake_logits)
        trainer._check_finite("discriminator", d_loss)
        objective = d_loss
        if config.r1_gamma > 0:
            penalty = gradient_penalty(real_logits, real)
            trainer._check_finite("R1 penalty", penalty)
            objective = d_loss + 0.5 * config.r1_gamma * penalty
        trainer.optD.zero_grad(set_to_none=True)
        objective.backward()
        trainer.optD.step()

        d_real = torch.sigmoid(real_logits.detach()).mean().item()
        d_fake = torch.sigmoid(fake_logits.detach()).mean().item()
        self._d_record = {"d_loss": d_loss.item(), "d_real": d_real, "d_fake": d_fake}
        self._real = self._fake = None
        self._d_round += 1
        self._next = 0 if self._d_round < config.d_steps else 3
        self.caption = (
            f"{self._prefix('update_d')}Update D: one Adam step on the D loss "
            f"{d_loss.item():.3f} raises D(x) (was {d_real:.2f}) and lowers D(G(z)) "
            f"(was {d_fake:.2f}); the heat map shows the new D."
        )
        return {"phase": "update_d", **self._d_record}

    def _update_g(self) -> dict:
        trainer, config = self.trainer, self.trainer.config
        samples = config.batch_size * config.pack
        watched = self._noise[:BATCH_VIEW_SIZE]

        # Update G on fresh z, as train_step does; then see how the watched
        # samples moved.
        fake_logits = trainer.netD(trainer._pack(trainer.netG(trainer._noise(samples))))
        g_loss = generator_loss(fake_logits, config.generator_loss)
        trainer._check_finite("generator", g_loss)
        trainer.optG.zero_grad(set_to_none=True)
        g_loss.backward()
        trainer.optG.step()
        if trainer.netG_ema is not None:
            trainer._update_ema()
        with torch.no_grad():
            moved = self._to_data(trainer.netG(watched))

        trainer.step += 1
        # The columns of train_step's record, D's values from the last D round.
        record = {
            "step": trainer.step,
            "d_loss": self._d_record["d_loss"],
            "g_loss": g_loss.item(),
            "d_real": self._d_record["d_real"],
            "d_fake": self._d_record["d_fake"],
        }
        trainer.history.append(*record.values())
        trainer.last_good.update(trainer)

        before = self._view_points
        self._moves = self._arrows(before, moved)
        self._view_points = moved
        self._next = 0
        self._d_round = 0
        magnified = self._moves[2] if self._moves is not None else 1.0
        arrows = (
            f" Arrows show each move ×{magnified:g}."
            if trainer.dataset.dim == 2 and not trainer.dataset.is_image
            else ""
        )
        self.caption = (
            f"4/4 Update G: one Adam step on the {config.generator_loss} loss "
            f"{g_loss.item():.3f} moves G(z) towards where D says real. "
            f"Step {trainer.step} done.{arrows}"
        )
        return record

    def _prefix(self, phase: str) -> str:
        # "1/4 " etc., with the D round when D updates more than once per step.
        # Call it after the phase's own bookkeeping: update_d has counted its round.
        rounds = self.trainer.config.d_steps
        index = PHASES.index(phase) + 1
        if rounds == 1:
            return f"{index}/4 "
        current = self._d_round if phase == "update_d" else self._d_round + 1
        return f"{index}/4 (D round {current} of {rounds}) "

    def _to_data(self, tensor: torch.Tensor) -> np.ndarray:
        return self.trainer.dataset.denormalise(tensor.detach().cpu().numpy())

    def _mean_d(self, packed: torch.Tensor) -> float:
        net_d = self.trainer.netD
        was_training = net_d.training
        net_d.eval()
        try:
            with torch.no_grad():
                return torch.sigmoid(net_d(packed)).mean().item()
        finally:
            net_d.train(was_training)

    def _arrows(self, before, after):
        """Return (starts, vectors, factor): moves magnified to a visible length."""
        if before is None or before.shape != after.shape:
            return None
        vectors = after - before
        lengths = np.linalg.norm(vectors, axis=1)
        median = float(np.median(lengths)) if len(lengths) else 0.0
        low, high = self.trainer.dataset.bounds(margin=0.0)
        extent = float(np.max(high - low))
        if not (median > 0 and math.isfinite(median)):
            return before, vectors, 1.0
        factor = _round_factor(ARROW_FRACTION * extent / median)
        return before, vectors * factor, factor

    def generate(self, n: int | None = None) -> np.ndarray:
        return self.trainer.generate(n)

    def snapshot(self) -> dict:
        """Return the trainer's snapshot with the phase, its caption and the batch.

        Extra keys: ``phase`` (the last phase done, or None), ``caption``, and
        after the first ``generate`` the minibatch's samples under ``generated``
        (up to 256, data coordinates). After ``update_g``, 2-D data also get
        ``moves``: ``starts`` and ``vectors`` (magnified by ``factor``) of the
        watched samples.
        """
        snapshot = self.trainer.snapshot()
        snapshot["phase"] = self.phase
        snapshot["caption"] = self.caption
        if self._view_points is not None:
            snapshot["generated"] = self._view_points.copy()
        if self._moves is not None and self.phase == "update_g":
            starts, vectors, factor = self._moves
            snapshot["moves"] = {
                "starts": starts.copy(),
                "vectors": vectors.copy(),
                "factor": factor,
            }
        return snapshot


def _round_factor(value: float) -> float:
    """Round a magnification down to 1, 2 or 5 times a power of ten, at least 1."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for mantissa in (5, 2, 1):
        if mantissa * power <= value:
            return float(mantissa * power)
    return float(power)
