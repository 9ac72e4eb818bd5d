"""GAN losses written on logits, so that saturated sigmoids give no NaN or infinity.

With D(x) = sigmoid(l(x)) and log sigmoid(l) = -softplus(-l),
log(1 - sigmoid(l)) = -softplus(l). All losses below are means over the batch.

Goodfellow et al. (2014), "Generative Adversarial Nets", NeurIPS: the minimax
objective min_G max_D E log D(x) + E log(1 - D(G(z))), and the non-saturating
generator loss -log D(G(z)) proposed there for stronger early gradients.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.gan_config import GENERATOR_LOSSES


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """Return -E log D(x) - E log(1 - D(G(z))), the binary cross-entropy of D."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Return the generator's loss on the discriminator's logits for G(z).

    Parameters
    ----------
    fake_logits : torch.Tensor
        Discriminator logits l(G(z)), shape (batch, 1).
    kind : {"non-saturating", "saturating"}
        ``non-saturating`` minimises -log D(G(z)) = softplus(-l). ``saturating``
        minimises log(1 - D(G(z))) = -softplus(l), the generator's side of the
        minimax objective; its gradient vanishes when D confidently rejects G(z).
    """
    if kind == "non-saturating":
        return F.softplus(-fake_logits).mean()
    if kind == "saturating":
        return -F.softplus(fake_logits).mean()
    raise ValueError(
        f"unknown generator loss {kind!r}; choose one of {', '.join(GENERATOR_LOSSES)}"
    )


def gradient_penalty(logits: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Return E ||∇ₓ l(x)||², the mean squared gradient norm of D's logits.

    With ``inputs`` the real samples this is the zero-centred R1 penalty of
    Mescheder, Geiger and Nowozin (2018), "Which training methods for GANs do
    actually converge?", ICML; the trainer adds γ/2 times it to D's loss. The
    graph is kept, so the penalty can be differentiated with respect to D's
    weights.

    Parameters
    ----------
    logits : torch.Tensor
        D's logits l(x), shape (batch, 1), computed from ``inputs``.
    inputs : torch.Tensor
        The samples x, shape (batch, features), with ``requires_grad`` set.
    """
    (gradients,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
    return gradients.pow(2).sum(dim=1).mean()
