"""MMD² estimate, kernels, witness function and the MMD generator trainer, no Qt."""

import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from models.checkpoint import CheckpointError
from models.metrics import mmd2_unbiased as numpy_mmd2_unbiased
from models.mmd import (
    BANDWIDTH_FLOOR,
    MmdTrainer,
    median_bandwidth,
    mmd2_unbiased,
    squared_distances,
    witness,
    witness_on_grid,
)
from models.mmd_config import MmdConfig, default_mmd_config
from models.runs import NonFiniteError, Run


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run torch on one thread, as the window's worker does on two cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_config(data="ring8", **overrides):
    values = dict(steps=20, width=16, batch_size=32)
    values.update(overrides)
    return default_mmd_config(data, **values)


def gaussian_mmd2(dim, shift, bandwidth):
    """Population MMD² between N(0, I) and N(shift, I) with one Gaussian kernel.

    E k(x, x') = (s² / (s² + 2))^(d/2) and E k(x, y) is that times
    exp(-|shift|² / (2 (s² + 2))), for x, x' ~ N(0, I) and y ~ N(shift, I).
    """
    s2 = bandwidth**2
    within = (s2 / (s2 + 2)) ** (dim / 2)
    return 2 * within * (1 - math.exp(-(shift**2) / (2 * (s2 + 2))))


def test_mmd2_equals_hand_computed_value():
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[0.0], [3.0]])
    value = mmd2_unbiased(x, y, torch.tensor([1.0])).item()

    # k(a, b) = exp(-(a - b)² / 2); each within-sample sum has one distinct pair.
    within_x = math.exp(-0.5)
    within_y = math.exp(-4.5)
    between = (1 + math.exp(-4.5) + math.exp(-0.5) + math.exp(-2.0)) / 4
    expected = within_x + within_y - 2 * between
    assert value == pytest.approx(expected, abs=1e-6), "MMD²_u of two 2-point samples"


def test_mmd2_sums_kernels_over_bandwidths():
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[0.0], [3.0]])
    bandwidths = torch.tensor([0.5, 2.0])
    total = mmd2_unbiased(x, y, bandwidths).item()
    parts = sum(mmd2_unbiased(x, y, b.reshape(1)).item() for b in bandwidths)
    assert total == pytest.approx(parts, abs=1e-6), "a kernel sum adds the MMD²s"


def test_mmd2_matches_numpy_metric():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 2))
    y = rng.normal(loc=0.5, size=(120, 2))
    bandwidths = [0.3, 1.0, 3.0]
    expected = numpy_mmd2_unbiased(x, y, bandwidths)
    value = mmd2_unbiased(
        torch.from_numpy(x),
        torch.from_numpy(y),
        torch.tensor(bandwidths, dtype=torch.float64),
    ).item()
    assert value == pytest.approx(expected, rel=1e-9), "torch and numpy MMD² agree"


def test_mmd2_is_unbiased_for_small_samples():
    # With 20 points per sample, the biased V-statistic would be about 0.067 too
    # high here; 200 repeats give a standard error near 0.004.
    generator = torch.Generator().manual_seed(0)
    shift = torch.tensor([1.0, 0.0], dtype=torch.float64)
    estimates = []
    for _ in range(200):
        x = torch.randn(20, 2, generator=generator, dtype=torch.float64)
        y = torch.randn(20, 2, generator=generator, dtype=torch.float64) + shift
        estimates.append(mmd2_unbiased(x, y, torch.tensor([1.0])).item())
    estimates = np.array(estimates)
    expected = gaussian_mmd2(dim=2, shift=1.0, bandwidth=1.0)
    error = estimates.std(ddof=1) / math.sqrt(len(estimates))
    assert abs(estimates.mean() - expected) < 4 * error, (
        f"mean estimate {estimates.mean():.4f} should match the population value "
        f"{expected:.4f} within 4 standard errors ({error:.4f})"
    )


def test_mmd2_near_zero_for_same_distribution():
    generator = torch.Generator().manual_seed(1)
    same, different = [], []
    for _ in range(20):
        x = torch.randn(300, 2, generator=generator, dtype=torch.float64)
        y = torch.randn(300, 2, generator=generator, dtype=torch.float64)
        z = torch.randn(300, 2, generator=generator, dtype=torch.float64) + 1.0
        same.append(mmd2_unbiased(x, y, torch.tensor([1.0])).item())
        different.append(mmd2_unbiased(x, z, torch.tensor([1.0])).item())
    same, different = np.array(same), np.array(different)
    error = same.std(ddof=1) / math.sqrt(len(same))
    assert abs(same.mean()) < 4 * error, (
        f"same distribution: mean MMD² {same.mean():.5f} should be 0 within "
        f"4 standard errors ({error:.5f})"
    )
    expected = gaussian_mmd2(dim=2, shift=math.sqrt(2), bandwidth=1.0)
    assert different.min() > 0, "shifted samples should give a positive MMD²"
    assert different.mean() == pytest.approx(expected, rel=0.1), (
        f"shifted samples: mean MMD² {different.mean():.4f}, "
        f"population value {expected:.4f}"
    )


def test_gradients_finite_when_generated_points_coincide():
    generated = torch.zeros(64, 2, requires_grad=True)
    real = torch.randn(64, 2, generator=torch.Generator().manual_seed(2))
    bandwidths = median_bandwidth(torch.cat([generated, real])) * torch.tensor(
        [0.25, 1.0, 4.0]
    )
    loss = mmd2_unbiased(generated, real, bandwidths)
    loss.backward()
    assert torch.isfinite(loss), f"loss should be finite, got {loss.item()}"
    assert torch.isfinite(generated.grad).all(), "gradients should be finite"


def test_gradients_finite_when_all_points_coincide():
    generated = torch.ones(16, 2, requires_grad=True)
    real = torch.ones(16, 2)
    bandwidth = median_bandwidth(torch.cat([generated, real]))
    assert bandwidth.item() == pytest.approx(BANDWIDTH_FLOOR), "floor for d = 0"
    loss = mmd2_unbiased(generated, real, bandwidth.reshape(1))
    loss.backward()
    assert torch.isfinite(loss), f"loss should be finite, got {loss.item()}"
    assert torch.isfinite(generated.grad).all(), "gradients should be finite"


def test_median_bandwidth_of_known_points():
    # Pairwise squared distances of 0, 1, 3 are 1, 9, 4: the median is 4.
    points = torch.tensor([[0.0], [1.0], [3.0]])
    assert median_bandwidth(points).item() == pytest.approx(2.0), "sqrt(4)"
    assert not median_bandwidth(points.requires_grad_()).requires_grad, "detached"


def test_squared_distances_are_non_negative():
    points = torch.tensor([[1e4, 1e4], [1e4, 1e4 + 1e-3]])
    squared = squared_distances(points, points)
    assert (squared >= 0).all(), f"rounding must not give negatives: {squared}"


def test_witness_sign_and_grid():
    real = torch.tensor([[-2.0, 0.0], [-2.1, 0.1]])
    generated = torch.tensor([[2.0, 0.0], [2.1, -0.1]])
    bandwidths = torch.tensor([0.5, 1.0])
    values = witness(
        torch.tensor([[-2.0, 0.0], [2.0, 0.0]]), real, generated, bandwidths
    )
    assert values[0] > 0, "f is positive where real data lacks generated points"
    assert values[1] < 0, "f is negative where generated points are in excess"

    xs = torch.linspace(-3, 3, 7)
    ys = torch.linspace(-1, 1, 5)
    grid = witness_on_grid(xs, ys, real, generated, bandwidths)
    xx, yy = torch.meshgrid(xs, ys, indexing="ij")
    points = torch.stack([xx.ravel(), yy.ravel()], dim=1)
    direct = witness(points, real, generated, bandwidths).reshape(7, 5)
    assert torch.allclose(grid, direct, atol=1e-6), "separable grid = direct sum"


def test_trainer_follows_run_protocol():
    trainer = MmdTrainer(small_config())
    assert isinstance(trainer, Run), "MmdTrainer should satisfy the Run protocol"
    records = list(trainer.steps())
    assert len(records) == 20, "one record per step"
    assert records[-1]["step"] == 20, "records count steps from 1"
    assert set(records[-1]) == {"step", "mmd2", "bandwidth"}, records[-1]
    assert trainer.history.as_dict()["mmd2"].shape == (20,), "history of mmd2"


@pytest.mark.parametrize(
    "data, key",
    [
        ("gauss1d", "witness_curve"),
        ("ring8", "witness_map"),
        ("digits", "witness_images"),
    ],
)
def test_snapshot_has_witness_view(data, key):
    trainer = MmdTrainer(small_config(data, steps=3))
    list(trainer.steps())
    snapshot = trainer.snapshot()
    assert key in snapshot, f"{data} snapshot should hold {key}"
    scales = trainer.config.bandwidth_scales
    assert len(snapshot["bandwidths"]) == len(scales), "one bandwidth per scale"
    assert all(b > 0 for b in snapshot["bandwidths"]), "bandwidths are positive"
    view = snapshot[key]
    if data == "ring8":
        assert view["witness"].shape == (96, 96), "96 x 96 grid"
        assert np.all(np.isfinite(view["witness"])), "finite witness"
    elif data == "gauss1d":
        assert view["witness"].shape == view["x"].shape, "one value per x"
    else:
        assert view["missing"].shape == (16, 64), "16 real digits"
        assert view["excess"].shape == (16, 64), "16 generated digits"
    assert snapshot["generated"].shape[0] == (64 if data == "digits" else 1000)


def test_fixed_single_bandwidth_in_data_units():
    trainer = MmdTrainer(
        small_config(
            "ring8", kernel="gaussian", bandwidth_mode="fixed", bandwidth=0.25, steps=2
        )
    )
    list(trainer.steps())
    bandwidths = trainer.snapshot()["bandwidths"]
    assert bandwidths == pytest.approx([0.25]), f"one bandwidth of 0.25: {bandwidths}"
    assert trainer.history.last()["bandwidth"] == pytest.approx(0.25), "recorded"


def test_same_seed_repeats_run():
    histories = []
    for _ in range(2):
        trainer = MmdTrainer(small_config())
        list(trainer.steps())
        histories.append(trainer.history.as_dict()["mmd2"])
    assert np.array_equal(histories[0], histories[1]), "same seed, same losses"


def test_resume_continues_like_one_run(tmp_path):
    whole = MmdTrainer(small_config(steps=10))
    list(whole.steps())

    # Stop after 4 of 10 steps, so the learning-rate schedule keeps its horizon.
    first = MmdTrainer(small_config(steps=10))
    list(itertools.islice(first.steps(), 4))
    first.save(tmp_path)
    resumed = MmdTrainer.load(tmp_path)
    assert resumed.step == 4, "load restores the step"
    assert resumed.total_steps == 10, "load restores the configured total"
    list(resumed.steps())
    assert np.allclose(resumed.generate(50), whole.generate(50), atol=1e-6), (
        "a resumed run should continue exactly like an uninterrupted one"
    )
    assert np.allclose(
        resumed.history.as_dict()["mmd2"], whole.history.as_dict()["mmd2"]
    ), "history is kept across the checkpoint"


def test_load_rejects_gan_checkpoint(tmp_path):
    from models.gan import GanTrainer
    from models.gan_config import default_config

    GanTrainer(default_config("ring8", steps=1, g_width=8, d_width=8)).save(tmp_path)
    with pytest.raises(CheckpointError, match="not 'mmd'"):
        MmdTrainer.load(tmp_path)


def test_nan_loss_raises_before_update(monkeypatch):
    trainer = MmdTrainer(small_config())
    trainer.total_steps = 3
    list(trainer.steps())
    before = [p.detach().clone() for p in trainer.netG.parameters()]
    import models.mmd as mmd_module

    monkeypatch.setattr(
        mmd_module, "mmd2_unbiased", lambda x, y, b: x.sum() * float("nan")
    )
    with pytest.raises(NonFiniteError, match="step 4"):
        trainer.train_step()
    after = list(trainer.netG.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True)), (
        "weights of the last good step are kept"
    )
    assert trainer.step == 3, "the failed step is not counted"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"kernel": "laplace"}, "kernel"),
        ({"bandwidth_mode": "mean"}, "bandwidth_mode"),
        ({"bandwidth": 0.0}, "bandwidth"),
        ({"bandwidth_scales": ()}, "bandwidth_scales"),
        ({"batch_size": 1}, "at least 2"),
        ({"layers": 17}, "layers"),
        ({"lr": 2.0}, "lr"),
    ],
)
def test_config_rejects_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        default_mmd_config("ring8", **overrides)


def test_config_round_trips_through_json():
    config = default_mmd_config("digits", bandwidth_scales=(0.5, 1.0))
    again = MmdConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config, "to_dict and from_dict should round-trip"
    with pytest.raises(ValueError, match="unknown MMD setting"):
        MmdConfig.from_dict({"g_lr": 0.1})


def test_config_imports_without_torch():
    code = (
        "import sys\n"
        "import models.mmd_config\n"
        "assert 'torch' not in sys.modules, 'mmd_config imported torch'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_generator_learns_gauss1d():
    trainer = MmdTrainer(
        default_mmd_config("gauss1d", steps=300, width=32, batch_size=128)
    )
    list(trainer.steps())
    mmd2 = trainer.history.as_dict()["mmd2"]
    assert mmd2[-50:].mean() < 0.2 * mmd2[:10].mean(), (
        f"MMD² should fall: first {mmd2[:10].mean():.4f}, last {mmd2[-50:].mean():.4f}"
    )
