"""Side-by-side GANs with the two generator losses, and per-sample gradients."""

import numpy as np
import pytest
import torch

from models.gan import GanTrainer
from models.gan_compare import LossComparison
from models.gan_config import GENERATOR_LOSSES, default_config
from models.gan_gradients import generator_gradients
from models.runs import Run


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run torch on one thread, as the window's worker does on two cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_config(data="ring8", **overrides):
    values = dict(steps=6, g_width=16, d_width=16, batch_size=32)
    values.update(overrides)
    return default_config(data, **values)


def test_comparison_starts_from_identical_weights():
    comparison = LossComparison(small_config())
    first, second = (comparison.trainers[kind] for kind in GENERATOR_LOSSES)
    assert first.config.generator_loss == "non-saturating", "first loss"
    assert second.config.generator_loss == "saturating", "second loss"
    for name in ("netG", "netD"):
        ours = getattr(first, name).state_dict()
        theirs = getattr(second, name).state_dict()
        for key in ours:
            assert torch.equal(ours[key], theirs[key]), f"{name}.{key} differs at start"
    assert torch.equal(first.fixed_noise, second.fixed_noise), "same fixed noise"
    assert first.dataset is second.dataset, "one shared data set"


def test_comparison_steps_in_lockstep():
    comparison = LossComparison(small_config())
    assert isinstance(comparison, Run), "LossComparison satisfies the Run protocol"
    records = list(comparison.steps())
    assert len(records) == 6, "one record per step"
    assert set(records[-1]) == set(GENERATOR_LOSSES), "one record per loss"
    for trainer in comparison.trainers.values():
        assert trainer.step == 6, "each GAN did every step"

    # The same noise and batches, but a different G loss, give different weights.
    first, second = (comparison.trainers[k].netG for k in GENERATOR_LOSSES)
    weights = zip(first.parameters(), second.parameters(), strict=True)
    assert not all(torch.equal(a, b) for a, b in weights), "the losses should differ"


def test_comparison_total_steps_reaches_trainers():
    comparison = LossComparison(small_config())
    list(comparison.steps())
    comparison.total_steps = 9
    list(comparison.steps())
    assert comparison.step == 9, "extending the total continues the run"
    assert all(t.total_steps == 9 for t in comparison.trainers.values()), "shared"


def test_comparison_snapshot_has_both_runs():
    comparison = LossComparison(small_config(steps=2))
    list(comparison.steps())
    snapshot = comparison.snapshot()
    assert snapshot["step"] == 2, "step of the pair"
    assert set(snapshot["runs"]) == set(GENERATOR_LOSSES), "one snapshot per loss"
    for run in snapshot["runs"].values():
        assert run["d_map"]["d"].shape == (96, 96), "each run has its D map"
        assert "gradients" in run, "each run has its gradients"


def test_gradient_ratio_follows_discriminator():
    trainer = GanTrainer(small_config(steps=30))
    list(trainer.steps())
    gradients = generator_gradients(trainer)
    d = gradients["d_fake"]
    non_saturating = gradients["norms"]["non-saturating"]
    saturating = gradients["norms"]["saturating"]
    assert d.shape == (256,), "one D value per sample"
    assert np.all(np.isfinite(non_saturating)), "finite non-saturating norms"

    # |∇ -log D| / |∇ log(1 - D)| = (1 - D) / D for every sample.
    assert np.allclose(
        non_saturating * d, saturating * (1 - d), rtol=1e-4, atol=1e-9
    ), "the two gradients differ by the factor (1 - D) / D"


def test_gradients_leave_trainer_unchanged():
    trainer = GanTrainer(small_config(steps=3, d_dropout=0.5))
    list(trainer.steps())
    state = trainer.generator.get_state()
    weights = {k: v.clone() for k, v in trainer.netD.state_dict().items()}
    grads = [p.grad.clone() for p in trainer.netG.parameters()]
    gradients = generator_gradients(trainer, count=40)
    assert torch.equal(trainer.generator.get_state(), state), "RNG untouched"
    assert all(
        torch.equal(v, trainer.netD.state_dict()[k]) for k, v in weights.items()
    ), "D untouched"
    assert trainer.netD.training, "D is back in training mode"
    assert gradients["points"].shape == (40, 2), "40 points in data coordinates"
    assert gradients["push"].shape == (40, 2), "one push per point"
    after = [p.grad for p in trainer.netG.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(grads, after, strict=True)), (
        "G's stored gradients are untouched"
    )


@pytest.mark.parametrize("loss", GENERATOR_LOSSES)
def test_push_descends_own_loss(loss):
    trainer = GanTrainer(small_config(steps=20, generator_loss=loss))
    list(trainer.steps())
    gradients = generator_gradients(trainer, count=64)
    dataset = trainer.dataset
    points = gradients["points"]
    moved = points + 1e-3 * gradients["push"] / np.abs(gradients["push"]).max()

    def own_loss(points):
        logits = torch.logit(
            torch.from_numpy(trainer.discriminator_probability(points))
        )
        from models.losses import generator_loss

        return generator_loss(logits[:, None], loss).item()

    assert dataset.dim == 2, "ring8 is 2-D"
    assert own_loss(moved) < own_loss(points), "moving along push lowers the loss"


def test_gradients_with_packing():
    trainer = GanTrainer(small_config(steps=2, pack=2))
    list(trainer.steps())
    gradients = generator_gradients(trainer, count=31)
    d = gradients["d_fake"]
    assert d.shape == (30,), "count is rounded down to whole packs"
    assert np.array_equal(d[0::2], d[1::2]), "both samples of a pack share D"
