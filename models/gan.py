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
import math

import numpy as np
import torch
from torch import nn

from models.datasets import Dataset, make_dataset
from models.gan_config import GanConfig, default_config  # noqa: F401 (re-exported)
from models.gan_gradients import generator_gradients
from models.history import History
from models.last_good import LastGoodState
from models.losses import discriminator_loss, generator_loss, gradient_penalty
from models.networks import mlp, sample_noise, spectral_normalise
from models.runs import NonFiniteError

logger = logging.getLogger(__name__)

HISTORY_COLUMNS = ("step", "d_loss", "g_loss", "d_real", "d_fake")


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


VIEW_GRID_SCALE = 1.25
"""Side of the square grid of a 2-D map of D, over that of the real data's box.

The window shows the centred part of the grid that has the plot's shape. So a
plot up to about 1.25 times wider than tall, or taller than wide, still shows the
whole box, which has a margin of 20 % around the data."""


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


class GanTrainer:
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

    def __init__(
        self,
        config: GanConfig,
        dataset: Dataset | None = None,
        view_size: int | None = None,
        live_metrics=None,
    ):
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
        self.history = History(HISTORY_COLUMNS, capacity=8192)

        # Seed one torch generator for everything random in the run.
        self.generator = torch.Generator().manual_seed(config.seed)
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

        self.real = torch.from_numpy(self.dataset.normalise(self.dataset.samples)).to(
            self.device
        )
        if view_size is None:
            view_size = 64 if self.dataset.is_image else 1000
        self.fixed_noise = self._noise(view_size)
        self._view_grid = self._make_view_grid()
        self.last_good = LastGoodState()
        self.last_good.update(self)

    def _init_weights(self, net: nn.Module) -> None:
        # Draw initial weights from the run's generator, not torch's global one.
        with torch.no_grad():
            for module in net.modules():
                if isinstance(module, nn.Linear):
                    bound = 1.0 / math.sqrt(module.in_features)
                    for tensor in (module.weight, module.bias):
                        values = torch.rand(tensor.shape, generator=self.generator)
                        tensor.copy_((2 * values - 1) * bound)

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

    def learning_rate_factor(self) -> float:
        """Return the factor that ``lr_schedule`` applies to both learning rates now.

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

    def _apply_lr_schedule(self) -> None:
        factor = self.learning_rate_factor()
        for optimiser, rate in (
            (self.optG, self.config.g_lr),
            (self.optD, self.config.d_lr),
        ):
            for group in optimiser.param_groups:
                group["lr"] = rate * factor

    def _make_view_grid(self):
        if self.dataset.is_image:
            return None
        return view_grid(self.dataset)

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

    def restore_last_good(self) -> int:
        """Go back to the last kept step with finite weights and return that step.

        Weights, Adam moments, the RNG state and the history return to that step,
        so continuing with the same settings repeats the same steps.

        Raises
        ------
        ValueError
            If no finite weights were kept.
        """
        return self.last_good.restore(self)

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
        if not torch.isfinite(loss):
            raise NonFiniteError(
                f"the {which} loss became {loss.item()} at step {self.step + 1}. "
                f"{self.last_good.describe()} Try a smaller learning rate."
            )

    def steps(self):
        """Yield one record per training step until ``total_steps`` is reached."""
        while self.total_steps is None or self.step < self.total_steps:
            yield self.train_step()

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
        snapshot = {
            "step": self.step,
            "total_steps": self.total_steps,
            "history": self.history.as_dict(),
            "last": self.history.last(),
            "generated": check_generated(self, self.generate()),
            "gradients": generator_gradients(self),
        }
        if self.live_metrics is not None:
            finished = self.total_steps is not None and self.step >= self.total_steps
            snapshot["metrics"] = self.live_metrics.update(
                self.step, self.generate, final=finished
            )
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

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Return all weights and optimiser moments as flat named CPU tensors."""
        tensors = {}
        for prefix, module in self._modules_by_prefix():
            for name, value in module.state_dict().items():
                tensors[f"{prefix}.{name}"] = value.detach().cpu().contiguous()
        for prefix, opt in (("optG", self.optG), ("optD", self.optD)):
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
        expected = self.state_dict()
        prefixes = tuple(prefix + "." for prefix, _ in self._modules_by_prefix())
        networks = {k for k in expected if k.startswith(prefixes)}
        missing = sorted(networks - set(tensors))
        unexpected = sorted(
            k for k in tensors if k not in networks and not k.startswith("opt")
        )
        if missing or unexpected:
            raise ValueError(
                "checkpoint does not match this architecture: "
                f"missing {missing[:3]}, unexpected {unexpected[:3]}"
            )
        for name in networks:
            value = tensors[name]
            if tuple(value.shape) != tuple(expected[name].shape):
                raise ValueError(
                    f"checkpoint tensor {name} has shape {tuple(value.shape)}, "
                    f"this architecture needs {tuple(expected[name].shape)}"
                )
        from models.checkpoint import check_optimizer_tensors

        for prefix, opt in (("optG", self.optG), ("optD", self.optD)):
            check_optimizer_tensors(tensors, prefix, opt)
        for prefix, module in self._modules_by_prefix():
            state = {
                key[len(prefix) + 1 :]: value.to(self.device)
                for key, value in tensors.items()
                if key.startswith(prefix + ".")
            }
            module.load_state_dict(state)
        for prefix, opt in (("optG", self.optG), ("optD", self.optD)):
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
        history = self.history.as_dict()
        tensors["history"] = torch.from_numpy(
            np.stack([history[c] for c in HISTORY_COLUMNS], axis=1)
        )
        extra = {"history_stride": self.history.stride, **(extra or {})}
        save_checkpoint(
            folder, "gan", self.config.to_dict(), self.step, tensors, extra=extra
        )
        logger.info("saved GAN checkpoint at step %s to %s", self.step, folder)

    @classmethod
    def load(cls, folder, dataset: Dataset | None = None, device: str | None = None):
        """Rebuild a trainer from a checkpoint written by ``save``.

        Raises
        ------
        models.checkpoint.CheckpointError
            If the checkpoint is unreadable or does not fit its own settings.
        """
        from models.checkpoint import (
            CheckpointError,
            load_checkpoint,
            restore_progress,
        )

        description, tensors = load_checkpoint(folder, kind="gan")
        try:
            settings = dict(description["config"])
            if device is not None:
                settings["device"] = device
            config = GanConfig.from_dict(settings)
            if config.data == "custom" and dataset is None:
                raise ValueError(
                    "this checkpoint was trained on custom data; load that data too"
                )
            trainer = cls(config, dataset=dataset)
            rng_state = tensors.pop("rng_state", None)
            history = tensors.pop("history", None)
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
        trainer.last_good.update(trainer, force=True)
        return trainer
