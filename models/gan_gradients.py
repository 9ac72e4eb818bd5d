"""Per-sample gradients of the two GAN generator losses at the generated samples.

With D(x) = sigmoid(l(x)), the gradients of the two generator losses with respect
to a generated sample x = G(z) are

    ∇ₓ [-log D(x)]      = -(1 - D(x)) ∇ₓ l(x)     (non-saturating)
    ∇ₓ [log(1 - D(x))]  = -D(x) ∇ₓ l(x)           (saturating, minimax)

so both point the same way, but when D confidently rejects a sample (D(x) → 0) the
saturating gradient vanishes in proportion to D(x) while the non-saturating one keeps
the full size of ∇ₓ l (Goodfellow et al. 2014, "Generative Adversarial Nets",
section 3). These are the gradients that back-propagation carries into G's weights.
"""

from __future__ import annotations

import numpy as np
import torch

from models.gan_config import GENERATOR_LOSSES
from models.losses import generator_loss

GRADIENT_SAMPLES = 256
"""Generated samples whose gradients a snapshot reports."""


def generator_gradients(trainer, count: int = GRADIENT_SAMPLES) -> dict:
    """Return per-sample generator-loss gradients for the first fixed latent vectors.

    The samples are G(z) of the trained generator (not its weight average) for the
    first ``count`` latent vectors of ``trainer.fixed_noise``, so 2-D samples are
    the same points that the trainer's snapshot draws when the average is off.
    D is evaluated without dropout and without a spectral-norm power iteration,
    and no weight or random state of the trainer changes.

    Parameters
    ----------
    trainer : models.gan.GanTrainer
        The GAN whose ``netG``, ``netD``, ``fixed_noise``, ``dataset`` and
        ``config`` (``generator_loss``, ``pack``) are used.
    count : int
        Number of samples, at most the fixed batch; rounded down to a multiple of
        the pack size.

    Returns
    -------
    dict
        - ``points`` (count, dim): the samples in data coordinates.
        - ``d_fake`` (count,): D(G(z)) of each sample, or of its pack when
          packing.
        - ``norms``: a dict from each loss in ``GENERATOR_LOSSES`` to the
          (count,) norms of ∇ₓ loss, with x in network coordinates.
        - ``push`` (count, dim): -∇ₓ of the trainer's own generator loss times
          the data scale, which is the way that loss pushes each sample, as a
          displacement in data coordinates.
    """
    config = trainer.config
    pack = int(getattr(config, "pack", 1))
    count = min(count, len(trainer.fixed_noise))
    count -= count % pack
    noise = trainer.fixed_noise[:count]
    net_d = trainer.netD

    with torch.no_grad():
        samples = trainer.netG(noise)
    samples = samples.detach().requires_grad_(True)
    was_training = net_d.training
    net_d.eval()
    try:
        packed = samples.reshape(-1, pack * samples.shape[1])
        logits = net_d(packed)

        # Sum, not mean, so each sample's gradient is that of its own loss term.
        gradients = {}
        for kind in GENERATOR_LOSSES:
            loss = generator_loss(logits, kind) * len(logits)
            (gradients[kind],) = torch.autograd.grad(loss, samples, retain_graph=True)
    finally:
        net_d.train(was_training)

    d_fake = torch.sigmoid(logits.detach()).repeat_interleave(pack)
    scale = float(trainer.dataset.scale[0])
    own = gradients[config.generator_loss]
    return {
        "points": trainer.dataset.denormalise(samples.detach().cpu().numpy()),
        "d_fake": d_fake.cpu().numpy().astype(np.float64),
        "norms": {
            kind: gradient.norm(dim=1).cpu().numpy().astype(np.float64)
            for kind, gradient in gradients.items()
        },
        "push": (-own * scale).cpu().numpy().astype(np.float64),
    }
