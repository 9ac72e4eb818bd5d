"""The worker spaces its snapshots so that views take a bounded share of time."""

import pytest

from app.worker import VIEW_BUDGET, RunWorker


def _worker(**kwargs):
    return RunWorker(lambda: None, emit_interval=0.05, **kwargs)


def test_cheap_views_keep_emit_interval():
    worker = _worker()
    worker._snapshot_seconds = 0.001
    worker._draw_seconds = 0.001
    assert worker._emit_spacing() == 0.05, "cheap views come every emit_interval"


def test_costly_views_are_spaced_by_budget():
    worker = _worker(view_budget=0.1)
    worker._snapshot_seconds = 0.02
    worker._draw_seconds = 0.03
    assert worker._emit_spacing() == pytest.approx(0.5), (
        "50 ms of views at a 10 % budget need 500 ms between snapshots"
    )


def test_budget_off_or_slowed_run_uses_interval():
    for worker in (_worker(view_budget=None), _worker(max_steps_per_second=2.0)):
        worker._snapshot_seconds = 0.2
        worker._draw_seconds = 0.2
        assert worker._emit_spacing() == 0.05, "no budget spacing"


def test_acknowledge_measures_draw_time(qtbot):
    worker = _worker()
    worker._emitted_at = 0.0
    worker.acknowledge()
    assert worker._draw_seconds > 0, "the time since the emit counts as drawing"
    assert 0 < VIEW_BUDGET < 0.1, "views may take a small share of the time"
