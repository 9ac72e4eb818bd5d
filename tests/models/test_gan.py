"""GAN trainer, losses, data sets, history and checkpoints, without Qt."""

import json
import math

import numpy as np
import pytest
import torch

from models.checkpoint import CheckpointError, load_checkpoint
from models.datasets import make_dataset, ring8_centers
from models.gan import GanTrainer
from models.gan_config import GanConfig, default_config
from models.history import History
from models.losses import discriminator_loss, generator_loss
from models.runs import NonFiniteError, Run


def small_config(data="ring8", **overrides):
    values = dict(steps=20, g_width=16, d_width=16, batch_size=32)
    values.update(overrides)
    return default_config(data, **values)


def test_ring8_centers_are_eight_distinct():
    centers = ring8_centers()
    distances = np.linalg.norm(centers[:, None] - centers[None], axis=2)
    off_diagonal = distances[~np.eye(8, dtype=bool)]
    assert off_diagonal.min() > 0.7, "the 8 centers should all be distinct"
    assert np.allclose(np.linalg.norm(centers, axis=1), 1), "centers on unit circle"


def test_grid25_samples_near_grid():
    data = make_dataset("grid25", n=5000, seed=1)
    rounded = np.round(data.samples / 2) * 2
    assert set(np.unique(rounded)) == {-4.0, -2.0, 0.0, 2.0, 4.0}, "grid ticks"
    spread = np.std(data.samples - rounded)
    assert abs(spread - 0.05) < 0.005, f"component sigma should be 0.05, got {spread}"


def test_digits_are_all_real_images():
    data = make_dataset("digits")
    assert data.samples.shape == (1797, 64), "all 1,797 digits, 64 pixels each"
    assert data.samples.min() == 0 and data.samples.max() == 16, "0-16 scale"
    normalised = data.normalise(data.samples)
    assert normalised.min() >= -1 and normalised.max() <= 1, "tanh range"
    assert np.allclose(data.denormalise(normalised), data.samples, atol=1e-4)


def test_unknown_dataset_is_rejected():
    with pytest.raises(ValueError, match="unknown data set 'rings'"):
        make_dataset("rings")


def test_losses_are_finite_for_saturated_logits():
    logits = torch.tensor([[-1e4], [1e4]])
    assert torch.isfinite(discriminator_loss(logits, logits)), "D loss finite"
    for kind in ("non-saturating", "saturating"):
        assert torch.isfinite(generator_loss(logits, kind)), f"{kind} finite"


def test_generator_losses_match_formulas():
    logits = torch.tensor([[0.3], [-1.2]])
    d = torch.sigmoid(logits)
    ns = generator_loss(logits, "non-saturating")
    sat = generator_loss(logits, "saturating")
    assert torch.allclose(ns, (-torch.log(d)).mean()), "-log D(G(z))"
    assert torch.allclose(sat, torch.log(1 - d).mean()), "log(1 - D(G(z)))"


def test_saturating_gradient_vanishes_when_d_rejects():
    logits = torch.tensor([[-8.0]], requires_grad=True)
    (grad_sat,) = torch.autograd.grad(generator_loss(logits, "saturating"), logits)
    (grad_ns,) = torch.autograd.grad(generator_loss(logits, "non-saturating"), logits)
    assert abs(grad_sat.item()) < 1e-3, "log(1 - D) gives almost no gradient"
    assert abs(grad_ns.item()) > 0.99, "-log D keeps a gradient near 1"


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="batch_size"):
        GanConfig(batch_size=0).validate()
    with pytest.raises(ValueError, match="g_lr"):
        GanConfig(g_lr=float("nan")).validate()
    with pytest.raises(ValueError, match="generator_loss"):
        GanConfig(generator_loss="wasserstein").validate()
    with pytest.raises(ValueError, match="unknown GAN setting"):
        GanConfig.from_dict({"data": "ring8", "lr": 1})


def test_trainer_follows_run_protocol():
    trainer = GanTrainer(small_config())
    assert isinstance(trainer, Run), "GanTrainer must satisfy the Run protocol"
    records = list(trainer.steps())
    assert len(records) == 20, "steps() yields once per step"
    assert trainer.step == 20, "step counts the steps"
    snapshot = trainer.snapshot()
    assert snapshot["generated"].shape == (1000, 2), "fixed batch in data space"
    assert snapshot["d_map"]["d"].shape == (96, 96), "D on a 96x96 grid"
    assert np.all((snapshot["d_map"]["d"] >= 0) & (snapshot["d_map"]["d"] <= 1))
    assert len(snapshot["history"]["step"]) == 20, "one history row per step"


def test_same_seed_gives_same_run():
    first = GanTrainer(small_config(seed=3))
    second = GanTrainer(small_config(seed=3))
    other = GanTrainer(small_config(seed=4))
    for trainer in (first, second, other):
        list(trainer.steps())
    a, b, c = (t.history.as_dict()["g_loss"] for t in (first, second, other))
    assert np.array_equal(a, b), "same seed, same losses"
    assert not np.array_equal(a, c), "another seed, other losses"
    assert np.array_equal(first.generate(50), second.generate(50)), "same samples"


def test_generate_does_not_change_training():
    first = GanTrainer(small_config())
    second = GanTrainer(small_config())
    first.generate(100)
    first.snapshot()
    list(first.steps())
    list(second.steps())
    assert np.array_equal(
        first.history.as_dict()["d_loss"], second.history.as_dict()["d_loss"]
    ), "drawing views must not consume the training RNG"


def test_nan_loss_raises_and_keeps_weights():
    trainer = GanTrainer(small_config())
    list(trainer.steps())
    before = {k: v.clone() for k, v in trainer.netG.state_dict().items()}
    with torch.no_grad():
        trainer.real[0] = float("nan")
        trainer.real[:] = float("nan")
    trainer.total_steps = 30
    with pytest.raises(NonFiniteError, match="step 21"):
        list(trainer.steps())
    after = trainer.netG.state_dict()
    for name, value in before.items():
        assert torch.equal(value, after[name]), f"G weight {name} must be unchanged"
    assert trainer.step == 20, "the failed step is not counted"


def test_digits_images_learn_tanh_range():
    trainer = GanTrainer(small_config("digits", steps=5))
    list(trainer.steps())
    images = trainer.snapshot()["generated"]
    assert images.shape == (64, 64), "64 fixed-noise digits of 64 pixels"
    assert images.min() >= 0 and images.max() <= 16, "pixels on the 0-16 scale"


def test_history_stays_bounded():
    history = History(("step", "value"), capacity=64)
    for step in range(10_000):
        history.append(step, step * 2.0)
    rows = history.as_dict()
    assert 32 <= len(history) <= 64, f"rows kept: {len(history)}"
    assert rows["step"][0] == 0, "the first step is kept"
    gaps = np.diff(rows["step"][:-1])
    assert np.all(gaps == gaps[0]), "rows before the latest are evenly spaced"
    assert rows["step"][-1] == 9_999, "the last step is kept"


def test_checkpoint_round_trip_resumes_exactly(tmp_path):
    trainer = GanTrainer(small_config(g_ema=0.9))
    list(trainer.steps())
    trainer.save(tmp_path)
    resumed = GanTrainer.load(tmp_path)
    assert resumed.step == 20, "step is restored"
    for t in (trainer, resumed):
        t.total_steps = 30
        list(t.steps())
    assert np.array_equal(trainer.generate(20), resumed.generate(20)), "same samples"
    assert trainer.history.last() == resumed.history.last(), "same losses"


def test_checkpoint_keeps_thinned_history(tmp_path):
    trainer = GanTrainer(small_config(steps=19))
    trainer.history = History(trainer.history.columns, capacity=8)
    list(trainer.steps())
    trainer.save(tmp_path)
    resumed = GanTrainer.load(tmp_path)
    saved = trainer.history.as_dict()
    loaded = resumed.history.as_dict()
    for column, values in saved.items():
        assert np.array_equal(loaded[column], values), f"{column} restored"
    assert resumed.history.stride == trainer.history.stride, "stride restored"
    assert loaded["step"][-1] == 19, "the last step comes back last"


def test_broken_checkpoints_are_rejected(tmp_path):
    trainer = GanTrainer(small_config())
    trainer.save(tmp_path / "good")
    weights = (tmp_path / "good" / "model.safetensors").read_bytes()
    description = json.loads((tmp_path / "good" / "config.json").read_text())

    good_text = json.dumps(description)

    def folder(name, weights_bytes=weights, config_text=good_text):
        path = tmp_path / name
        path.mkdir()
        if weights_bytes is not None:
            (path / "model.safetensors").write_bytes(weights_bytes)
        if config_text is not None:
            (path / "config.json").write_text(config_text)
        return path

    def changed_weights(**replacements):
        from safetensors.torch import load, save

        tensors = load(weights)
        tensors.update(replacements)
        return save(tensors)

    trainer_tensors = trainer.state_dict()
    nan_weight = torch.full_like(trainer_tensors["G.0.weight"], float("nan"))
    wrong_kind = dict(description, kind="mmd")
    wide = dict(description, config=dict(description["config"], g_width=64))
    no_step = {key: value for key, value in description.items() if key != "step"}
    cases = {
        "truncated": folder("truncated", weights[: len(weights) // 2]),
        "garbage": folder("garbage", b"\x00not safetensors" * 10),
        "empty": folder("empty", b""),
        "no weights": folder("noweights", None),
        "no config": folder("noconfig", weights, None),
        "bad json": folder("badjson", weights, "{not json"),
        "foreign json": folder("foreign", weights, json.dumps({"a": 1})),
        "other kind": folder("otherkind", weights, json.dumps(wrong_kind)),
        "other architecture": folder("wide", weights, json.dumps(wide)),
        "missing folder": tmp_path / "absent",
        "nan weights": folder("nan", changed_weights(**{"G.0.weight": nan_weight})),
        "no step": folder("nostep", weights, json.dumps(no_step)),
        "text step": folder(
            "textstep", weights, json.dumps(dict(description, step="5"))
        ),
        "negative step": folder(
            "negstep", weights, json.dumps(dict(description, step=-3))
        ),
        "bad rng state": folder(
            "badrng", changed_weights(rng_state=torch.zeros(3, dtype=torch.uint8))
        ),
        "history columns": folder(
            "history", changed_weights(history=torch.zeros(4, 2, dtype=torch.float64))
        ),
        "moment shape": folder(
            "moment", changed_weights(**{"optG.0.exp_avg": torch.zeros(2, 2)})
        ),
        "moment index": folder(
            "momentindex", changed_weights(**{"optG.99.exp_avg": torch.zeros(2)})
        ),
    }
    assert len(cases) >= 10, f"only {len(cases)} broken checkpoints"
    for name, path in cases.items():
        with pytest.raises(CheckpointError):
            GanTrainer.load(path)
            pytest.fail(f"{name} checkpoint should be rejected")
    description_loaded, tensors = load_checkpoint(tmp_path / "good", kind="gan")
    assert description_loaded["step"] == 0 and "G.0.weight" in tensors, "good one loads"


def test_saved_files_are_readable_by_others(tmp_path):
    trainer = GanTrainer(small_config())
    trainer.save(tmp_path)
    mode = (tmp_path / "model.safetensors").stat().st_mode & 0o777
    assert mode & 0o044, f"checkpoint should be group/world readable, mode {oct(mode)}"


def test_checkpoint_save_failure_keeps_previous(tmp_path, monkeypatch):
    trainer = GanTrainer(small_config())
    list(trainer.steps())
    trainer.save(tmp_path)
    previous = (tmp_path / "model.safetensors").read_bytes()

    import models.checkpoint as checkpoint

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(checkpoint.os, "fsync", crash)
    trainer.total_steps = 25
    list(trainer.steps())
    with pytest.raises(OSError, match="simulated"):
        trainer.save(tmp_path)
    assert (tmp_path / "model.safetensors").read_bytes() == previous, "old file intact"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files should be removed: {leftovers}"
    assert GanTrainer.load(tmp_path).step == 20, "previous checkpoint still loads"


def test_ema_generator_differs_and_is_used():
    trainer = GanTrainer(small_config(g_ema=0.99, steps=50))
    list(trainer.steps())
    assert trainer.sampling_generator is trainer.netG_ema, "views use the average"
    raw = trainer.netG(trainer.fixed_noise).detach()
    averaged = trainer.netG_ema(trainer.fixed_noise).detach()
    assert not torch.allclose(raw, averaged), "the average lags the trained weights"
    assert math.isfinite(float(averaged.abs().max())), "average is finite"
