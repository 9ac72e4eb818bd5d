"""GAN training as a run that yields after every step.

Goodfellow et al. (2014), "Generative Adversarial Nets": the discriminator D is
trained to tell real samples from generated ones, and the generator G to fool it.
One step here is ``d_steps`` updates of D followed by one update of G, each with
Adam on a fresh minibatch. Packing, the R1 gradient penalty, spectral normalisation,
a learning-rate schedule and a weight average of G are optional (see ``GanConfig``).
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import torch
from torch import nn

from models.datasets import Dataset
from models.gan_config import GanConfig, default_config  # noqa: F401 (re-exported)
from models.gan_gradients import generator_gradients
from models.generator_trainer import (  # noqa: F401 (re-exported)
    VIEW_GRID_SCALE,
    GeneratorTrainer,
    check_generated,
    resolve_device,
    view_grid,
)
from models.last_good import LastGoodState
from models.losses import discriminator_loss, generator_loss, gradient_penalty
from models.networks import mlp, sample_noise, spectral_normalise

logger = logging.getLogger(__name__)

HISTORY_COLUMNS = ("step", "d_loss", "g_loss", "d_real", "d_fake")


class GanTrainer(GeneratorTrainer):
    """A GAN on one data set, trained step by step.

    Follows the Run protocol of ``models.runs``: ``steps()`` yields a record per
    training step and ``snapshot()`` returns copies of what the views need.

    Parameters
    ----------
    config : GanConfig
        Settings of the run; validated here.
    dataset : Dataset, optional
        Data to learn; by default ``make_dataset(config.data, seed=config.seed)``.
    view_size : int
        Number of fixed latent vectors whose images ``snapshot`` returns, so the
        same generated points or digits can be watched as they move.
    live_metrics : models.live_metrics.LiveMetrics, optional
        Quality metrics that ``snapshot`` recomputes on its throttle and returns
        under ``metrics``.
    """

    kind = "gan"
    label = "GAN"
    config_class = GanConfig
    history_columns = HISTORY_COLUMNS

    def __init__(
        self,
        config: GanConfig,
        dataset: Dataset | None = None,
        view_size: int | None = None,
        live_metrics=None,
    ):
        super().__init__(config, dataset, live_metrics)
        # NOTE: dropout draws from torch's global RNG, which this seeds, so two
        # runs with d_dropout > 0 in different tabs at once do not repeat exactly.
        torch.manual_seed(config.seed)
        dim = self.dataset.dim
        output = nn.Tanh() if self.dataset.is_image else None
        self.netG = mlp(
            config.latent_dim + config.latent_categories,
            dim,
            config.g_layers,
            config.g_width,
            output,
        ).to(self.device)
        self.netD = mlp(
            dim * config.pack,
            1,
            config.d_layers,
            config.d_width,
            dropout=config.d_dropout,
        ).to(self.device)
        self._init_weights(self.netG)
        self._init_weights(self.netD)
        if config.spectral_norm:
            # After the initialisation, which writes to the plain weights.
            spectral_normalise(self.netD)
        self.netG_ema = None
        if config.g_ema > 0:
            self.netG_ema = copy.deepcopy(self.netG).requires_grad_(False)
        self.optG = torch.optim.Adam(
            self.netG.parameters(), lr=config.g_lr, betas=config.g_betas
        )
        self.optD = torch.optim.Adam(
            self.netD.parameters(), lr=config.d_lr, betas=config.d_betas
        )

        self._prepare_data(view_size)
        self.last_good = LastGoodState()
        self.last_good.update(self)

    def _noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        # Shape (n, latent_dim + latent_categories): z, then the scaled one-hot
        # code of a uniformly drawn category.
        if generator is None:
            generator = self.generator
        config = self.config
        noise = sample_noise(config.noise, n, config.latent_dim, generator, self.device)
        if config.latent_categories:
            category = torch.randint(
                config.latent_categories, (n,), generator=generator
            )
            one_hot = nn.functional.one_hot(category, config.latent_categories)
            code = config.category_scale * one_hot.to(noise)
            noise = torch.cat([noise, code], dim=1)
        return noise

    def _real_batch(self, n: int) -> torch.Tensor:
        index = torch.randint(len(self.real), (n,), generator=self.generator)
        return self.real[index.to(self.device)]

    def _pack(self, samples: torch.Tensor) -> torch.Tensor:
        # (batch * pack, dim) -> (batch, pack * dim): consecutive samples form a pack.
        return samples.reshape(-1, self.config.pack * samples.shape[1])

    def instance_noise_std(self) -> float:
        """Return the standard deviation of the noise added to D's inputs now.

        It falls linearly from ``instance_noise`` at step 0 to 0 at
        ``total_steps``.
        """
        if not self.config.instance_noise:
            return 0.0
        horizon = self.total_steps or self.config.steps
        return self.config.instance_noise * max(0.0, 1.0 - self.step / horizon)

    def _blur(self, samples: torch.Tensor) -> torch.Tensor:
        std = self.instance_noise_std()
        if std == 0.0:
            return samples
        noise = torch.randn(samples.shape, generator=self.generator)
        return samples + std * noise.to(samples)

    def _apply_lr_schedule(self) -> None:
        factor = self.learning_rate_factor()
        for optimiser, rate in (
            (self.optG, self.config.g_lr),
            (self.optD, self.config.d_lr),
        ):
            for group in optimiser.param_groups:
                group["lr"] = rate * factor

    def train_step(self) -> dict[str, float]:
        """Update D ``d_steps`` times, then G once, and return the step's record.

        Raises
        ------
        NonFiniteError
            If a loss is NaN or infinite. The weights are those of the last good
            update, because the check comes before the optimiser step.
        """
        config = self.config
        samples = config.batch_size * config.pack
        if config.lr_schedule != "constant":
            self._apply_lr_schedule()

        # Update D: push D(x) towards 1 and D(G(z)) towards 0, packs of
        # config.pack samples at a time, shape (batch_size, pack * dim).
        for _ in range(config.d_steps):
            real = self._pack(self._blur(self._real_batch(samples)))
            with torch.no_grad():
                fake = self._pack(self._blur(self.netG(self._noise(samples))))
            if config.r1_gamma > 0:
                real.requires_grad_(True)
            real_logits = self.netD(real)
            fake_logits = self.netD(fake)
            d_loss = discriminator_loss(real_logits, fake_logits)
            self._check_finite("discriminator", d_loss)
            objective = d_loss
            if config.r1_gamma > 0:
                penalty = gradient_penalty(real_logits, real)
                self._check_finite("R1 penalty", penalty)
                objective = d_loss + 0.5 * config.r1_gamma * penalty
            self.optD.zero_grad(set_to_none=True)
            objective.backward()
            self.optD.step()

        # Update G: move G(z) to where D says "real".
        fake = self._blur(self.netG(self._noise(samples)))
        fake_logits_g = self.netD(self._pack(fake))
        g_loss = generator_loss(fake_logits_g, config.generator_loss)
        self._check_finite("generator", g_loss)
        self.optG.zero_grad(set_to_none=True)
        g_loss.backward()
        self.optG.step()
        if self.netG_ema is not None:
            self._update_ema()

        self.step += 1
        record = {
            "step": self.step,
            "d_loss": d_loss.item(),
            "g_loss": g_loss.item(),
            "d_real": torch.sigmoid(real_logits.detach()).mean().item(),
            "d_fake": torch.sigmoid(fake_logits.detach()).mean().item(),
        }
        self.history.append(*record.values())
        self.last_good.update(self)
        return record

    @torch.no_grad()
    def _update_ema(self) -> None:
        decay = self.config.g_ema
        # Average fully from the first step, so early views are not frozen at init.
        decay = min(decay, (1 + self.step) / (10 + self.step))
        for averaged, current in zip(
            self.netG_ema.parameters(), self.netG.parameters(), strict=True
        ):
            averaged.lerp_(current, 1 - decay)

    @property
    def sampling_generator(self) -> nn.Module:
        """The averaged generator when ``g_ema`` is on, else the trained one."""
        return self.netG_ema if self.netG_ema is not None else self.netG

    def _check_finite(self, which: str, loss: torch.Tensor) -> None:
        super()._check_finite(f"{which} loss", loss)

    @torch.no_grad()
    def discriminator_probability(self, points: np.ndarray) -> np.ndarray:
        """Return D(x) = sigmoid(logit) for points in data coordinates.

        With ``pack`` > 1, D judges a pack of ``pack`` copies of each point.
        """
        x = torch.from_numpy(self.dataset.normalise(points)).to(self.device)
        if self.config.pack > 1:
            x = x.repeat(1, self.config.pack)
        # Evaluate without dropout, then return D to training mode.
        self.netD.eval()
        try:
            return torch.sigmoid(self.netD(x)).squeeze(1).cpu().numpy()
        finally:
            self.netD.train()

    def snapshot(self) -> dict:
        """Return plain data for the views: history, generated samples and D.

        Keys: ``step``, ``total_steps``, ``history`` (dict of column arrays),
        ``last`` (the latest record or None), ``generated`` (data coordinates of the
        fixed latent batch, shape (view_size, dim)); for 1-D data ``d_curve`` with
        ``x`` and ``d`` arrays; for 2-D data ``d_map`` with ``x``, ``y`` and ``d``
        of shape (len(x), len(y)), D evaluated at (x[i], y[j]). With
        ``live_metrics``, ``metrics`` holds the result of its ``update``.
        ``gradients`` holds both generator losses' per-sample gradients, see
        :func:`models.gan_gradients.generator_gradients`.
        """
        snapshot = self._snapshot_start()
        snapshot["gradients"] = generator_gradients(self)
        self._add_live_metrics(snapshot)
        grid = self._view_grid
        if grid is None:
            return snapshot
        if self.dataset.dim == 1:
            d = self.discriminator_probability(grid["x"][:, None])
            snapshot["d_curve"] = {"x": grid["x"], "d": d}
        else:
            xx, yy = np.meshgrid(grid["x"], grid["y"], indexing="ij")
            points = np.stack([xx.ravel(), yy.ravel()], axis=1)
            d = self.discriminator_probability(points).reshape(xx.shape)
            snapshot["d_map"] = {"x": grid["x"], "y": grid["y"], "d": d}
        return snapshot

    def _modules_by_prefix(self):
        modules = [("G", self.netG), ("D", self.netD)]
        if self.netG_ema is not None:
            modules.append(("G_ema", self.netG_ema))
        return modules

    def _optimizers_by_prefix(self):
        return [("optG", self.optG), ("optD", self.optD)]
