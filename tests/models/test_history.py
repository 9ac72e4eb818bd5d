"""Bounded loss history: thinning, the latest row and restoring, without Qt."""

import numpy as np
import pytest

from models.history import History


def fill(steps: int, capacity: int = 8) -> History:
    history = History(("step", "loss"), capacity=capacity)
    for step in range(1, steps + 1):
        history.append(step, 1.0 / step)
    return history


@pytest.mark.parametrize("steps", range(1, 200))
def test_history_keeps_last_step(steps):
    history = fill(steps)
    rows = history.as_dict()
    assert rows["step"][-1] == steps, f"last row of {steps} steps"
    assert rows["loss"][-1] == 1.0 / steps, "last loss is exact"
    assert history.last() == {"step": steps, "loss": 1.0 / steps}, "last()"
    assert len(history) == len(rows["step"]), "len matches the rows"
    assert len(history) <= 8, f"{len(history)} rows exceed the capacity"


@pytest.mark.parametrize("steps", [7, 8, 9, 50, 64, 65, 1000, 1025])
def test_history_thins_evenly(steps):
    history = fill(steps)
    grid = history.as_dict()["step"]
    if grid[-1] != 1 + (len(grid) - 1) * history.stride:
        grid = grid[:-1]
    assert grid[0] == 1, "the first step is kept"
    assert np.all(np.diff(grid) == history.stride), f"grid of {steps} steps: {grid}"
    assert len(grid) >= 4, f"only {len(grid)} grid rows of 8 kept"


def test_history_first_thinning():
    history = fill(8)
    assert history.stride == 2, "seven grid rows fill a capacity of 8"
    assert list(history.as_dict()["step"]) == [1, 3, 5, 7, 8], "grid plus step 8"


def test_history_restore_continues_grid():
    whole = fill(300)
    part = fill(123)
    rows = part.as_dict()
    resumed = History(("step", "loss"), capacity=8)
    resumed.restore(np.stack([rows["step"], rows["loss"]], axis=1), part.stride, 123)
    for step in range(124, 301):
        resumed.append(step, 1.0 / step)
    for column, values in whole.as_dict().items():
        got = resumed.as_dict()[column]
        assert np.array_equal(got, values), f"{column} after resume: {got}"


def test_history_restore_rejects_mismatch():
    rows = fill(20).as_dict()
    table = np.stack([rows["step"], rows["loss"]], axis=1)
    history = History(("step", "loss"), capacity=8)
    with pytest.raises(ValueError, match="do not fit"):
        history.restore(table, 1, 20)
    with pytest.raises(ValueError, match="shape"):
        history.restore(table[:, :1], 4, 20)


def test_history_rejects_small_capacity():
    with pytest.raises(ValueError, match="even number >= 4"):
        History(("step",), capacity=2)
