"""GAN stabilising options: packing, R1, spectral norm, LR schedules, checkpoints."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from models.checkpoint import CheckpointError
from models.gan import GanTrainer
from models.gan_config import GanConfig, default_config
from models.losses import gradient_penalty
from models.networks import mlp, spectral_normalise


def small_config(data="ring8", **overrides):
    values = dict(steps=20, g_width=16, d_width=16, batch_size=32)
    values.update(overrides)
    return default_config(data, **values)


def test_gradient_penalty_linear_logit():
    layer = nn.Linear(3, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -2.0, 0.5]]))
    inputs = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    inputs.requires_grad_(True)
    penalty = gradient_penalty(layer(inputs), inputs)
    assert math.isclose(penalty.item(), 5.25, rel_tol=1e-6), (
        f"||w||² = 1 + 4 + 0.25 = 5.25, got {penalty.item()}"
    )


def test_gradient_penalty_of_quadratic_logit():
    inputs = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], requires_grad=True)
    logits = (inputs**2).sum(dim=1, keepdim=True)
    penalty = gradient_penalty(logits, inputs)
    # ∇ = 2x, so E ||2x||² = 4 * mean(1, 4, 2) = 28 / 3.
    assert math.isclose(penalty.item(), 28 / 3, rel_tol=1e-6), penalty.item()


def test_gradient_penalty_is_differentiable_in_weights():
    layer = nn.Linear(2, 1)
    inputs = torch.randn(8, 2, requires_grad=True)
    penalty = gradient_penalty(layer(inputs), inputs)
    penalty.backward()
    expected = 2 * layer.weight.detach()
    assert torch.allclose(layer.weight.grad, expected), (
        f"d||w||²/dw = 2w: got {layer.weight.grad}, expected {expected}"
    )


def test_spectral_norm_bounds_largest_singular_value():
    torch.manual_seed(0)
    net = mlp(2, 1, hidden_layers=3, width=64)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.Linear):
                module.weight.mul_(10.0)
    spectral_normalise(net)
    inputs = torch.randn(32, 2)
    for _ in range(50):
        net(inputs)  # Each forward pass in training mode refines the estimate.
    linear_layers = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(linear_layers) == 4, "every linear layer is normalised"
    for index, module in enumerate(linear_layers):
        sigma = torch.linalg.matrix_norm(module.weight.detach(), ord=2).item()
        assert abs(sigma - 1.0) < 0.02, f"layer {index}: σ(W / σ) = {sigma}"


def test_spectral_norm_makes_discriminator_1_lipschitz():
    trainer = GanTrainer(small_config(spectral_norm=True, steps=30))
    list(trainer.steps())
    trainer.netD.eval()
    generator = torch.Generator().manual_seed(1)
    a = 3 * torch.randn(500, 2, generator=generator)
    b = a + torch.randn(500, 2, generator=generator)
    with torch.no_grad():
        gaps = (trainer.netD(a) - trainer.netD(b)).abs().squeeze(1)
    ratios = gaps / (a - b).norm(dim=1)
    # One power iteration per step leaves the estimate of σ a little low.
    assert ratios.max().item() <= 1.05, f"max |ΔD| / |Δx| = {ratios.max().item()}"


def test_packing_shapes():
    config = small_config(pack=4, batch_size=8)
    trainer = GanTrainer(config)
    first = trainer.netD[0]
    assert first.in_features == 8, f"D reads 4 packed 2-D points, got {first}"
    shapes = []
    trainer.netD.register_forward_hook(lambda m, i, o: shapes.append(tuple(i[0].shape)))
    trainer.train_step()
    assert shapes == [(8, 8)] * 3, f"D sees batch_size packs of 4 points: {shapes}"
    probability = trainer.discriminator_probability(np.zeros((5, 2)))
    assert probability.shape == (5,), f"one D(x) per point, got {probability.shape}"
    snapshot = trainer.snapshot()
    assert snapshot["d_map"]["d"].shape == (96, 96), "the heat map works with packs"


def test_packed_trainer_draws_pack_times_more_samples():
    config = small_config(pack=3, batch_size=10)
    trainer = GanTrainer(config)
    calls = []
    original = trainer._real_batch
    trainer._real_batch = lambda n: calls.append(n) or original(n)
    trainer.train_step()
    assert calls == [30], f"one D update draws batch_size * pack real points: {calls}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pack", 0),
        ("pack", 1.5),
        ("r1_gamma", -1.0),
        ("r1_gamma", float("nan")),
        ("r1_gamma", float("inf")),
        ("spectral_norm", "yes"),
        ("lr_schedule", "step"),
        ("instance_noise", -0.1),
        ("instance_noise", float("inf")),
    ],
)
def test_invalid_options_are_rejected(field, value):
    with pytest.raises(ValueError, match=field):
        GanConfig(**{field: value}).validate()


def test_old_settings_without_options_load_with_defaults():
    values = GanConfig().to_dict()
    new_keys = (
        "pack",
        "r1_gamma",
        "spectral_norm",
        "lr_schedule",
        "latent_categories",
        "category_scale",
        "instance_noise",
    )
    for key in new_keys:
        values.pop(key)
    config = GanConfig.from_dict(values)
    assert config.pack == 1, "no packing by default"
    assert config.r1_gamma == 0.0, "no penalty by default"
    assert config.spectral_norm is False, "no spectral norm by default"
    assert config.lr_schedule == "constant", "constant rates by default"
    assert config.latent_categories == 0, "no latent code by default"


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("constant", (1.0, 1.0, 1.0, 1.0)),
        ("linear", (1.0, 0.5, 0.0, 0.0)),
        ("cosine", (1.0, 0.5, 0.0, 0.0)),
    ],
)
def test_learning_rate_schedule_factors(schedule, expected):
    trainer = GanTrainer(small_config(lr_schedule=schedule, steps=100))
    factors = []
    for step in (0, 50, 100, 150):
        trainer.step = step
        factors.append(trainer.learning_rate_factor())
    assert np.allclose(factors, expected), f"{schedule}: {factors}"


def test_learning_rate_schedule_sets_optimiser_rates():
    config = small_config(lr_schedule="linear", steps=10, g_lr=1e-3, d_lr=2e-3)
    trainer = GanTrainer(config)
    for _ in range(6):
        trainer.train_step()
    # The sixth update ran at step 5 of 10, so at half the set rates.
    assert math.isclose(trainer.optG.param_groups[0]["lr"], 5e-4), "G at half rate"
    assert math.isclose(trainer.optD.param_groups[0]["lr"], 1e-3), "D at half rate"


def test_r1_penalty_changes_training():
    plain = GanTrainer(small_config(seed=2))
    penalised = GanTrainer(small_config(seed=2, r1_gamma=10.0))
    for trainer in (plain, penalised):
        list(trainer.steps())
    a = plain.history.as_dict()["d_loss"]
    b = penalised.history.as_dict()["d_loss"]
    assert a[0] == b[0], "the first D loss is computed before any penalised update"
    assert not np.array_equal(a, b), "the penalty should change later D losses"


def test_checkpoint_round_trip_with_options(tmp_path):
    config = small_config(
        pack=2,
        r1_gamma=0.5,
        spectral_norm=True,
        lr_schedule="cosine",
        g_ema=0.9,
        latent_categories=6,
        category_scale=4.0,
        instance_noise=0.1,
    )
    trainer = GanTrainer(config)
    list(trainer.steps())
    trainer.save(tmp_path)
    resumed = GanTrainer.load(tmp_path)
    assert resumed.config == trainer.config, "all options are restored"
    assert any("parametrizations" in key for key in resumed.state_dict()), (
        "spectral-norm state is saved"
    )
    for t in (trainer, resumed):
        t.total_steps = 30
        list(t.steps())
    assert np.array_equal(trainer.generate(20), resumed.generate(20)), "same samples"
    assert trainer.history.last() == resumed.history.last(), "same losses"


def test_checkpoint_with_other_packing_is_rejected(tmp_path):
    trainer = GanTrainer(small_config(pack=2))
    trainer.save(tmp_path)
    path = tmp_path / "config.json"
    description = json.loads(path.read_text())
    description["config"]["pack"] = 3
    path.write_text(json.dumps(description))
    with pytest.raises(CheckpointError, match="shape"):
        GanTrainer.load(tmp_path)


def test_latent_categories_append_scaled_one_hot_code():
    config = small_config(latent_categories=5, category_scale=3.0, latent_dim=4)
    trainer = GanTrainer(config)
    noise = trainer._noise(4000)
    assert noise.shape == (4000, 9), f"z then a code of 5, got {tuple(noise.shape)}"
    code = noise[:, 4:]
    assert torch.all((code == 0) | (code == 3.0)), "code entries are 0 or the scale"
    assert torch.all((code == 3.0).sum(dim=1) == 1), "exactly one category per row"
    counts = (code == 3.0).sum(dim=0).numpy()
    # Uniform categories: 800 each, binomial standard deviation about 25.
    assert np.all(np.abs(counts - 800) < 125), f"categories drawn evenly: {counts}"
    assert trainer.netG[0].in_features == 9, "G reads z and the code"
    assert trainer.generate(10).shape == (10, 2), "samples are still 2-D points"


def test_latent_categories_off_keeps_noise_unchanged():
    plain = GanTrainer(small_config(seed=5, latent_categories=0))
    assert plain._noise(3).shape == (3, 8), "no code without categories"
    again = GanTrainer(small_config(seed=5, latent_categories=0, category_scale=2.0))
    assert torch.equal(plain.fixed_noise, again.fixed_noise), (
        "the code length has no effect while categories are off"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latent_categories", -1),
        ("latent_categories", 2.5),
        ("category_scale", 0.0),
        ("category_scale", float("nan")),
    ],
)
def test_invalid_latent_code_is_rejected(field, value):
    with pytest.raises(ValueError, match=field):
        GanConfig(**{field: value}).validate()


def test_instance_noise_falls_linearly_to_zero():
    trainer = GanTrainer(small_config(instance_noise=0.4, steps=100))
    stds = []
    for step in (0, 25, 100, 130):
        trainer.step = step
        stds.append(trainer.instance_noise_std())
    assert np.allclose(stds, [0.4, 0.3, 0.0, 0.0]), f"linear decay to 0: {stds}"


def test_instance_noise_blurs_discriminator_inputs():
    trainer = GanTrainer(small_config(instance_noise=0.5, batch_size=4000))
    points = torch.zeros(4000, 2)
    blurred = trainer._blur(points)
    std = blurred.std().item()
    # The sample standard deviation of 8,000 normal draws is within 0.01 of 0.5.
    assert abs(std - 0.5) < 0.02, f"noise std should be 0.5, got {std}"
    plain = GanTrainer(small_config())
    assert torch.equal(plain._blur(points), points), "no noise when it is off"


def test_instance_noise_off_keeps_runs_unchanged():
    first = GanTrainer(small_config(seed=7))
    second = GanTrainer(small_config(seed=7, instance_noise=0.0))
    for trainer in (first, second):
        list(trainer.steps())
    a = first.history.as_dict()["g_loss"]
    b = second.history.as_dict()["g_loss"]
    assert np.array_equal(a, b), "zero instance noise draws no random numbers"
