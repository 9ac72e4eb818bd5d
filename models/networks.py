"""Multilayer perceptrons used as generators and discriminators."""

from __future__ import annotations

import torch
from torch import nn


def mlp(
    in_features: int,
    out_features: int,
    hidden_layers: int,
    width: int,
    output: nn.Module | None = None,
    dropout: float = 0.0,
) -> nn.Sequential:
    """Build Linear-LeakyReLU blocks followed by a linear output layer.

    LeakyReLU (slope 0.2) keeps gradients flowing through a discriminator that
    rejects most of its input, which matters for the saturating generator loss.

    Raises
    ------
    ValueError
        If a size is not positive or the number of hidden layers is negative.
    """
    if min(in_features, out_features, width) < 1:
        raise ValueError(
            f"layer sizes must be positive, got in={in_features}, "
            f"out={out_features}, width={width}"
        )
    if hidden_layers < 0:
        raise ValueError(f"hidden layers must be 0 or more, got {hidden_layers}")
    layers: list[nn.Module] = []
    size = in_features
    for _ in range(hidden_layers):
        layers += [nn.Linear(size, width), nn.LeakyReLU(0.2)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        size = width
    layers.append(nn.Linear(size, out_features))
    if output is not None:
        layers.append(output)
    return nn.Sequential(*layers)


def sample_noise(
    kind: str, n: int, latent_dim: int, generator: torch.Generator, device
) -> torch.Tensor:
    """Draw latent vectors z, shape (n, latent_dim), from N(0, I) or U(-1, 1).

    Raises
    ------
    ValueError
        If the kind is neither ``normal`` nor ``uniform``.
    """
    if kind == "normal":
        return torch.randn(n, latent_dim, generator=generator).to(device)
    if kind == "uniform":
        return (2 * torch.rand(n, latent_dim, generator=generator) - 1).to(device)
    raise ValueError(f"unknown noise distribution {kind!r}; use normal or uniform")


def spectral_normalise(net: nn.Module) -> nn.Module:
    """Put spectral normalisation on every linear layer of ``net``, in place.

    Each weight W is used as W / σ(W), with σ(W) its largest singular value
    estimated by one power iteration per forward pass in training mode (Miyato et
    al. 2018, "Spectral normalization for generative adversarial networks", ICLR).
    The power iteration starts from vectors drawn from torch's global generator.
    """
    for module in [m for m in net.modules() if isinstance(m, nn.Linear)]:
        nn.utils.parametrizations.spectral_norm(module)
    return net
