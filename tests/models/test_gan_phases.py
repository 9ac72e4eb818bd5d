"""Slow-motion GAN steps: the phases add up to exactly one training step."""

import numpy as np
import pytest
import torch

from models.gan import GanTrainer
from models.gan_config import default_config
from models.gan_phases import PHASES, PhasedGanRun


def _config(**overrides):
    values = dict(steps=4, g_width=16, d_width=16, batch_size=32, seed=3)
    values.update(overrides)
    return default_config("ring8", **values)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        dict(d_steps=2, r1_gamma=0.5, pack=2, g_ema=0.9, lr_schedule="cosine"),
    ],
    ids=["plain", "every-option"],
)
def test_phases_equal_train_step(overrides):
    normal = GanTrainer(_config(**overrides))
    for _ in normal.steps():
        pass
    phased_trainer = GanTrainer(_config(**overrides))
    run = PhasedGanRun(phased_trainer)
    records = list(run.steps())

    phases_per_step = 3 * phased_trainer.config.d_steps + 1
    assert len(records) == 4 * phases_per_step, "one record per phase"
    expected, actual = normal.state_dict(), phased_trainer.state_dict()
    for name, tensor in expected.items():
        assert torch.equal(tensor, actual[name]), f"{name} differs after 4 steps"
    for column, values in normal.history.as_dict().items():
        assert np.array_equal(values, phased_trainer.history.as_dict()[column]), (
            f"history column {column} differs"
        )


def test_phases_follow_order_with_captions():
    run = PhasedGanRun(GanTrainer(_config()))
    for expected in PHASES:
        run.advance()
        assert run.phase == expected, f"expected phase {expected}, got {run.phase}"
        snapshot = run.snapshot()
        assert snapshot["phase"] == expected, "snapshot should name the phase"
        assert snapshot["caption"].startswith(f"{PHASES.index(expected) + 1}/4"), (
            f"caption should number the phase: {snapshot['caption']}"
        )
    assert run.step == 1, "four phases make one step"
    assert not run.mid_step, "the step should be complete"


def test_update_g_snapshot_has_moves():
    run = PhasedGanRun(GanTrainer(_config()))
    for _ in PHASES:
        run.advance()
    snapshot = run.snapshot()
    moves = snapshot["moves"]
    assert moves["starts"].shape == (32, 2), "one arrow per watched sample"
    assert moves["vectors"].shape == (32, 2), "one vector per watched sample"
    assert moves["factor"] >= 1, "moves are never shrunk"
    assert snapshot["generated"].shape == (32, 2), "the batch replaces the view"


def test_leaving_mid_step_keeps_training():
    trainer = GanTrainer(_config())
    run = PhasedGanRun(trainer)
    run.advance()
    run.advance()
    run.advance()
    assert trainer.step == 0, "D updated, G not yet: still step 0"
    record = trainer.train_step()
    assert record["step"] == 1, "the trainer continues normally"
