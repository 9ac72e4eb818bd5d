"""Settings form fields that the GAN tab and the direct (MMD) tab share.

Each function returns consecutive fields of a form, with the config's values as
defaults. A tab lists them in its own order between the fields only it has.
"""

from __future__ import annotations

from models.datasets import DATASET_NAMES
from models.limits import MAX_LATENT_DIM, MAX_LAYERS, MAX_STEPS, MAX_WIDTH, SEED_MAX
from models.run_config import NOISE_KINDS
from widgets.settings_form import Field


def data_fields(config, steps_tooltip: str) -> list[Field]:
    """Return the data set and the number of steps, in the group "Data"."""
    return [
        Field(
            "data",
            "Data set",
            "choice",
            config.data,
            choices=DATASET_NAMES,
            tooltip="Real data the generator learns to imitate",
            group="Data",
        ),
        Field(
            "steps",
            "Steps",
            "int",
            config.steps,
            1,
            MAX_STEPS,
            step=500,
            tooltip=steps_tooltip,
            group="Data",
        ),
    ]


def latent_fields(config) -> list[Field]:
    """Return the noise distribution and the size of the latent vector z."""
    return [
        Field(
            "noise",
            "Noise",
            "choice",
            config.noise,
            choices=NOISE_KINDS,
            tooltip="Distribution of the latent vector z: N(0, I) or U(-1, 1)",
            group="Generator",
        ),
        Field(
            "latent_dim",
            "Latent size",
            "int",
            config.latent_dim,
            1,
            MAX_LATENT_DIM,
            tooltip="Number of components of z",
            group="Generator",
        ),
    ]


def mlp_fields(
    prefix: str, layers: int, width: int, network: str, group: str
) -> list[Field]:
    """Return the hidden layers and width of a network's MLP.

    The keys are ``<prefix>layers`` and ``<prefix>width``. The tooltips name the
    network as ``network``, such as ``"generator"``.
    """
    return [
        Field(
            f"{prefix}layers",
            "Hidden layers",
            "int",
            layers,
            0,
            MAX_LAYERS,
            tooltip=f"Hidden layers of the {network}'s MLP",
            group=group,
        ),
        Field(
            f"{prefix}width",
            "Width",
            "int",
            width,
            1,
            MAX_WIDTH,
            step=16,
            tooltip=f"Units per hidden layer of the {network}",
            group=group,
        ),
    ]


def adam_fields(
    prefix: str, lr: float, betas: tuple[float, float], network: str, group: str
) -> list[Field]:
    """Return Adam's learning rate and its two decays for one network.

    The keys are ``<prefix>lr``, ``<prefix>beta1`` and ``<prefix>beta2``. The
    tooltips name the network as ``network``, such as ``"G"``.
    """
    return [
        Field(
            f"{prefix}lr",
            "Learning rate",
            "float",
            lr,
            1e-6,
            1.0,
            decimals=6,
            step=1e-4,
            tooltip=f"Adam step size of {network}",
            group=group,
        ),
        Field(
            f"{prefix}beta1",
            "Adam β₁",
            "float",
            betas[0],
            0.0,
            0.999,
            decimals=3,
            step=0.05,
            tooltip=f"Adam's first-moment decay for {network}",
            group=group,
        ),
        Field(
            f"{prefix}beta2",
            "Adam β₂",
            "float",
            betas[1],
            0.0,
            0.9999,
            decimals=4,
            step=0.001,
            tooltip=f"Adam's second-moment decay for {network}",
            group=group,
        ),
    ]


def join_betas(values: dict, prefix: str) -> None:
    """Replace the form's ``<prefix>beta1`` and ``<prefix>beta2`` in ``values``
    by the config's pair ``<prefix>betas``."""
    values[f"{prefix}betas"] = (
        values.pop(f"{prefix}beta1"),
        values.pop(f"{prefix}beta2"),
    )


def split_betas(values: dict, prefix: str) -> None:
    """Replace the config's pair ``<prefix>betas`` in ``values`` by the form's
    ``<prefix>beta1`` and ``<prefix>beta2``, the inverse of ``join_betas``."""
    values[f"{prefix}beta1"], values[f"{prefix}beta2"] = values.pop(f"{prefix}betas")


def run_fields(
    config,
    devices: tuple[str, ...],
    batch_minimum: int,
    batch_maximum: int,
    batch_tooltip: str,
) -> list[Field]:
    """Return the batch size, the seed and the device, in the group "Run"."""
    return [
        Field(
            "batch_size",
            "Batch size",
            "int",
            config.batch_size,
            batch_minimum,
            batch_maximum,
            step=16,
            tooltip=batch_tooltip,
            group="Run",
        ),
        Field(
            "seed",
            "Seed",
            "int",
            config.seed,
            0,
            SEED_MAX,
            tooltip="Seeds data, initial weights, noise and minibatches; the "
            "same seed on the same device repeats a run exactly",
            group="Run",
        ),
        Field(
            "device",
            "Device",
            "choice",
            "cpu",
            choices=devices,
            tooltip="Where tensors live. CPU and GPU runs with one seed "
            "give different numbers.",
            group="Run",
        ),
    ]
