"""Settings of a GAN run, importable without torch so the window starts fast."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from models.limits import (
    MAX_D_STEPS,
    MAX_GAN_BATCH_SIZE,
    MAX_LATENT_CATEGORIES,
    MAX_LATENT_DIM,
    MAX_LAYERS,
    MAX_PACK,
    MAX_STEPS,
    MAX_WIDTH,
    SettingError,
    check_whole_number,
)
from models.run_config import (
    FLOAT_BYTES,
    LR_SCHEDULES,
    NOISE_KINDS,  # noqa: F401 (re-exported)
    RunConfig,
    check_betas,
    check_choice,
    check_learning_rate,
    dataset_features,
    mlp_parameters,
)

GENERATOR_LOSSES = ("non-saturating", "saturating")


@dataclass
class GanConfig(RunConfig):
    """Everything that defines a GAN run; two equal configs give equal runs.

    Attributes
    ----------
    data : str
        Data set name (see ``models.datasets.DATASET_NAMES``) or ``"custom"`` when
        the trainer is given a data set object.
    steps : int
        Number of training steps (D updates then one G update) in the run.
    noise : {"normal", "uniform"}
        Distribution of the latent vector z.
    latent_dim : int
        Size of z.
    latent_categories : int
        Number K of categories of a one-hot code appended to z, drawn uniformly;
        0 turns it off. The code makes the latent space disconnected. A
        continuous G maps a connected latent space onto a connected set, so it
        must put some samples between well-separated modes, but K separate
        pieces can each go to a mode (Khayatkhoei, Singh and Elgammal 2018,
        "Disconnected manifold learning for generative adversarial networks").
        Use K of at least the number of modes, ideally a multiple of it, so whole
        categories can share the modes evenly.
    category_scale : float
        Length c of the one-hot code, so two categories lie c√2 apart in the
        latent space while z has unit variance per component. G's first layer
        then sees the category about c² / latent_dim times as strongly as z. On
        ring8 (seed 0, latent_dim 8, K = 32, 3,000 steps), c = 3 put 48 % of the
        samples within 3σ of a mode, about as many as no code does, and c = 8
        put 99 % there.
    g_layers, g_width, d_layers, d_width : int
        Hidden layers and their width for the generator and the discriminator.
    batch_size : int
        Real and generated samples per update.
    g_lr, d_lr : float
        Adam learning rates.
    g_betas, d_betas : tuple of float
        Adam's (beta1, beta2).
    d_steps : int
        Discriminator updates per generator update.
    d_dropout : float
        Dropout probability after each hidden layer of D; it keeps D from
        memorising a small data set such as the 1,797 digits.
    generator_loss : {"non-saturating", "saturating"}
        ``-log D(G(z))`` or the minimax ``log(1 - D(G(z)))``.
    g_ema : float
        Decay of an exponential moving average of the generator's weights, used for
        every generated view and file; 0 turns it off. Averaging smooths the last
        oscillations of the game (Yazıcı et al. 2019, "The Unusual Effectiveness of
        Averaging in GAN Training").
    pack : int
        Samples that D judges together, as in PacGAN (Lin et al. 2018, "PacGAN:
        The power of two samples in generative adversarial networks"). D sees
        ``pack`` samples of one kind concatenated into one input, so each update
        draws ``batch_size * pack`` samples of each kind. A pack of a collapsed
        generator looks less varied than a pack of real data, which penalises
        mode collapse. 1 turns packing off.
    r1_gamma : float
        Weight γ of the zero-centred gradient penalty on real data, R1 =
        γ/2 E ||∇ₓ l(x)||² with l the logit of D (Mescheder, Geiger and Nowozin
        2018, "Which training methods for GANs do actually converge?"). It stops D
        from growing steep around the real points, which damps the oscillation
        of G around them. 0 turns it off.
    instance_noise : float
        Standard deviation, in the normalised coordinates that the networks see,
        of Gaussian noise added to every real and generated sample before D
        judges it. It falls linearly to 0 over the run. The noise blurs both
        distributions, so D's gradient also reaches generated samples that sit
        far from any real data, such as a tight cluster between two modes that
        D surrounds with low values on all sides. 0 turns it off.
    spectral_norm : bool
        Divide each weight matrix of D by its largest singular value, estimated by
        one power iteration per forward pass (Miyato et al. 2018, "Spectral
        normalization for generative adversarial networks"). D becomes 1-Lipschitz
        in the normalised coordinates.
    lr_schedule : {"constant", "linear", "cosine"}
        How both learning rates change over the ``steps`` of the run: constant,
        or decaying from their set values to 0 along a line or a half cosine.
        Steps past ``steps`` (a continued run) use the last rate.
    seed : int
        Seeds the data, the initial weights, the noise and the minibatches.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    """

    data: str = "ring8"
    steps: int = 5000
    noise: str = "normal"
    latent_dim: int = 8
    latent_categories: int = 0
    category_scale: float = 8.0
    g_layers: int = 3
    g_width: int = 128
    d_layers: int = 3
    d_width: int = 128
    batch_size: int = 256
    g_lr: float = 5e-4
    d_lr: float = 5e-4
    g_betas: tuple[float, float] = (0.5, 0.999)
    d_betas: tuple[float, float] = (0.5, 0.999)
    d_steps: int = 1
    d_dropout: float = 0.0
    generator_loss: str = "non-saturating"
    g_ema: float = 0.0
    pack: int = 1
    r1_gamma: float = 0.0
    instance_noise: float = 0.0
    spectral_norm: bool = False
    lr_schedule: str = "constant"
    seed: int = 0
    device: str = "cpu"

    label: ClassVar[str] = "GAN"
    tuple_fields: ClassVar[tuple[str, ...]] = ("g_betas", "d_betas")
    memory_advice: ClassVar[str] = (
        "batch size, width, number of layers, latent size or pack size"
    )

    def check_fields(self) -> None:
        check_choice("generator_loss", self.generator_loss, GENERATOR_LOSSES)
        ranges = {
            "steps": MAX_STEPS,
            "latent_dim": MAX_LATENT_DIM,
            "g_width": MAX_WIDTH,
            "d_width": MAX_WIDTH,
            "batch_size": MAX_GAN_BATCH_SIZE,
            "d_steps": MAX_D_STEPS,
            "pack": MAX_PACK,
        }
        for name, high in ranges.items():
            check_whole_number(name, getattr(self, name), 1, high)
        for name in ("g_layers", "d_layers"):
            check_whole_number(name, getattr(self, name), 0, MAX_LAYERS)
        for name in ("g_lr", "d_lr"):
            check_learning_rate(name, getattr(self, name))
        for name in ("g_betas", "d_betas"):
            check_betas(name, getattr(self, name))
        if not 0 <= self.d_dropout < 1:
            raise SettingError(
                "d_dropout", f"must be in [0, 1), got {self.d_dropout!r}"
            )
        if not 0 <= self.g_ema < 1:
            raise SettingError("g_ema", f"must be in [0, 1), got {self.g_ema!r}")

        # Latent code and stabilising options.
        check_whole_number(
            "latent_categories", self.latent_categories, 0, MAX_LATENT_CATEGORIES
        )
        if not (math.isfinite(self.category_scale) and self.category_scale > 0):
            raise SettingError(
                "category_scale",
                f"must be a positive number, got {self.category_scale!r}",
            )
        if not (math.isfinite(self.r1_gamma) and self.r1_gamma >= 0):
            raise SettingError(
                "r1_gamma", f"must be a finite number >= 0, got {self.r1_gamma!r}"
            )
        if not (math.isfinite(self.instance_noise) and self.instance_noise >= 0):
            raise SettingError(
                "instance_noise",
                f"must be a finite number >= 0, got {self.instance_noise!r}",
            )
        if not isinstance(self.spectral_norm, bool):
            raise SettingError(
                "spectral_norm", f"must be true or false, got {self.spectral_norm!r}"
            )
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)

    def estimate_memory_bytes(self, data_dim: int | None = None) -> int:
        """Estimate the memory that training takes, in bytes, data set excluded.

        Each weight is counted 14 times: itself, its gradient, two Adam moments,
        the weight average, the last good copy of weights and moments, and the
        copies that saving a checkpoint makes. Each hidden activation is counted
        twice, the layer's output and its gradient. D runs on a real and a
        generated batch, twice as often with the R1 penalty's second derivative.
        The one-hot latent code is built as 64-bit integers. Measured peaks on a
        CPU (3 steps of ``gan-playground train``, less the 0.4 GB that an idle
        process takes) were 0.6 to 1.0 times this estimate for wide networks or
        large batches.
        """
        dim = data_dim if data_dim is not None else dataset_features(self.data)
        generated = self.batch_size * self.pack
        latent = self.latent_dim + self.latent_categories
        weights = mlp_parameters(latent, self.g_width, self.g_layers, dim)
        weights += mlp_parameters(dim * self.pack, self.d_width, self.d_layers, 1)
        g_activations = 2 * generated * self.g_width * self.g_layers
        d_passes = 4 if self.r1_gamma > 0 else 2
        d_activations = 2 * d_passes * self.batch_size * self.d_width * self.d_layers
        inputs = generated * (3 * latent + 4 * dim)
        code = 2 * generated * self.latent_categories
        floats = 14 * weights + g_activations + d_activations + inputs + code
        return FLOAT_BYTES * floats


def default_config(data: str, **overrides) -> GanConfig:
    """Return settings that train well on the named data set, with overrides applied.

    Digits get a wider network and a smaller learning rate than the toy sets.
    """
    if data == "digits":
        # Measured with benchmarks/digits_quality.py: 8,000 steps at batch 128 with
        # a weight average reach all 10 classes, most of them recognised with
        # confidence, in well under 90 s on two CPU cores.
        base = dict(
            steps=8000,
            latent_dim=32,
            g_layers=2,
            g_width=256,
            d_layers=2,
            d_width=256,
            batch_size=128,
            g_lr=2e-4,
            d_lr=2e-4,
            g_ema=0.999,
        )
    elif data == "gauss1d":
        base = dict(steps=3000, latent_dim=4)
    elif data in ("ring8", "grid25"):
        # A categorical code with a few categories per mode, a weight average and
        # learning rates that fall to 0: measured with benchmarks/gan_quality.py,
        # see docs/benchmarks.md.
        base = dict(
            steps=3000 if data == "ring8" else 5000,
            latent_categories=64 if data == "ring8" else 50,
            g_ema=0.999,
            lr_schedule="linear",
        )
    else:
        base = {}
    return GanConfig.for_data(data, base, overrides)
