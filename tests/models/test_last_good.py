"""Kept finite weights of the GAN and MMD trainers, and restoring them after a NaN."""

import numpy as np
import pytest
import torch

from models.gan import GanTrainer
from models.gan_compare import LossComparison
from models.gan_config import default_config
from models.last_good import LastGoodState
from models.mmd import MmdTrainer
from models.mmd_config import default_mmd_config
from models.runs import NonFiniteError

INTERVAL = 10
"""Steps between kept copies in these tests, to keep the runs short."""


def gan(steps=25, **overrides):
    values = dict(steps=steps, g_width=16, d_width=16, batch_size=32)
    values.update(overrides)
    trainer = GanTrainer(default_config("ring8", **values))
    trainer.last_good.interval = INTERVAL
    return trainer


def mmd(steps=25):
    config = default_mmd_config("ring8", steps=steps, width=16, batch_size=32)
    trainer = MmdTrainer(config)
    trainer.last_good.interval = INTERVAL
    return trainer


def poison(module: torch.nn.Module) -> None:
    """Set every weight to NaN, as a diverging run would."""
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.fill_(float("nan"))


def weights(module: torch.nn.Module) -> list[torch.Tensor]:
    return [parameter.detach().clone() for parameter in module.parameters()]


@pytest.mark.parametrize("make", [gan, mmd], ids=["gan", "mmd"])
def test_restore_repeats_run_exactly(make):
    # Train 25 steps in one go, and again with a NaN at step 24 and a restore.
    reference = make()
    list(reference.steps())
    expected = weights(reference.netG)

    # Step by hand, so that total_steps, and with it the learning-rate schedule,
    # stays the same as in the reference run.
    trainer = make()
    for _ in range(23):
        trainer.train_step()
    poison(trainer.netG)
    with pytest.raises(NonFiniteError):
        trainer.train_step()

    step = trainer.restore_last_good()
    assert step == 20, f"copies are kept every 10 steps; restored step {step}"
    assert trainer.history.last()["step"] == 20, "history goes back too"
    list(trainer.steps())
    for index, (got, want) in enumerate(
        zip(weights(trainer.netG), expected, strict=True)
    ):
        assert torch.equal(got, want), f"G parameter {index} differs after restore"
    assert trainer.history.last() == reference.history.last(), "same last losses"


def test_nonfinite_weights_are_not_kept():
    trainer = gan(steps=10)
    list(trainer.steps())
    assert trainer.last_good.step == 10, "step 10 is kept"
    poison(trainer.netD)
    copied = trainer.last_good.update(trainer, force=True)
    assert not copied, "NaN weights must not replace the kept copy"
    assert trainer.last_good.step == 10, "the earlier copy stays"


def test_restore_before_first_step_clears_moments():
    trainer = gan(steps=5)
    list(trainer.steps())
    trainer.restore_last_good()
    assert trainer.step == 0, "the only copy is the initial one"
    assert not trainer.optG.state, "Adam moments of later steps are dropped"
    assert not trainer.optD.state, "for D as well"


def test_comparison_restores_both_runs():
    config = default_config("ring8", steps=12, g_width=16, d_width=16, batch_size=32)
    run = LossComparison(config)
    for trainer in run.trainers.values():
        trainer.last_good.interval = INTERVAL
    list(run.steps())
    poison(run.trainers["saturating"].netG)
    run.total_steps = 15
    with pytest.raises(NonFiniteError):
        list(run.steps())
    assert run.restore_last_good() == 10, "both runs go back to step 10"
    steps = {kind: trainer.step for kind, trainer in run.trainers.items()}
    assert set(steps.values()) == {10}, f"trainers at {steps}"
    list(run.steps())
    assert run.step == 15, "the comparison continues in lockstep"


def test_nonfinite_generated_samples_stop_snapshot():
    trainer = mmd(steps=1)
    list(trainer.steps())
    with torch.no_grad():
        trainer.netG[-1].bias.fill_(float("inf"))
    with pytest.raises(NonFiniteError, match="generated samples"):
        trainer.snapshot()


def test_restore_without_copy_is_an_error():
    keeper = LastGoodState()
    with pytest.raises(ValueError, match="no finite weights"):
        keeper.restore(object())


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="interval"):
        LastGoodState(interval=0)


def test_loaded_checkpoint_is_kept(tmp_path):
    trainer = gan(steps=3)
    list(trainer.steps())
    trainer.save(tmp_path)
    loaded = GanTrainer.load(tmp_path)
    assert loaded.last_good.step == 3, "a loaded run can go back to its own step"
    loaded.total_steps = 5
    list(loaded.steps())
    assert loaded.restore_last_good() == 3, "restore returns to the loaded step"
    assert np.isfinite(loaded.generate(10)).all(), "restored weights are finite"
