"""The worker spaces its snapshots so that views take a bounded share of time."""

import threading
import time

import pytest

from app.worker import MAX_EMIT_SPACING, VIEW_BUDGET, RunWorker, thread_cpu_clock


def _worker(**kwargs):
    return RunWorker(lambda: None, emit_interval=0.05, **kwargs)


def test_cheap_views_keep_emit_interval():
    worker = _worker(view_budget=0.1)
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


def test_gui_cpu_time_counts_as_drawing():
    worker = _worker(view_budget=0.1)
    worker._snapshot_seconds = 0.02
    worker._draw_seconds = 0.001
    worker._gui_cpu_seconds = 0.03
    assert worker._emit_spacing() == pytest.approx(0.5), (
        "the GUI thread's 30 ms, painting included, count instead of the 1 ms "
        "until the acknowledgement"
    )


def test_budget_spacing_is_capped():
    worker = _worker(view_budget=0.05)
    worker._snapshot_seconds = 0.01
    worker._gui_cpu_seconds = 5.0
    assert worker._emit_spacing() == MAX_EMIT_SPACING, (
        "busy GUI work must not stop the snapshots"
    )


def test_gui_cpu_read_between_snapshots():
    worker = _worker()
    readings = iter([10.0, 10.25, 11.0])
    worker._gui_cpu_clock = lambda: next(readings)
    worker._read_gui_cpu()
    assert worker._gui_cpu_seconds is None, "the first snapshot has no interval yet"
    worker._read_gui_cpu()
    assert worker._gui_cpu_seconds == pytest.approx(0.25), "CPU since the last one"
    worker._read_gui_cpu()
    assert worker._gui_cpu_seconds == pytest.approx(0.75), "CPU since the last one"


def test_unreadable_gui_clock_is_dropped():
    worker = _worker()

    def ended_thread_clock():
        raise OSError(22, "Invalid argument")

    worker._gui_cpu_clock = ended_thread_clock
    worker._read_gui_cpu()
    assert worker._gui_cpu_clock is None, "a clock that fails is not read again"
    assert worker._gui_cpu_seconds is None, "no GUI time was measured"


def test_pause_drops_gui_cpu_baseline(qtbot):
    worker = _worker()
    worker._gui_cpu_at = 3.0
    worker.set_paused(True)
    results = []
    waiter = threading.Thread(target=lambda: results.append(worker._wait_for_go()))
    waiter.start()
    try:
        qtbot.waitUntil(lambda: worker._gui_cpu_at is None, timeout=5_000)
    finally:
        worker.set_paused(False)
        waiter.join(5)
    assert results == [True], "the worker goes on after the pause"


def test_thread_cpu_clock_reads_this_thread():
    clock = thread_cpu_clock()
    if clock is None:
        pytest.skip("this platform cannot read another thread's CPU time")
    started = clock()
    deadline = time.thread_time() + 0.05
    while time.thread_time() < deadline:
        pass
    assert clock() - started >= 0.04, "50 ms of work in this thread must show"


class _FakeTime:
    """The ``time`` module with a ``monotonic`` clock that only the test advances."""

    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now

    def __getattr__(self, name):
        return getattr(time, name)


def test_resume_waits_spacing_before_snapshot(monkeypatch):
    import app.worker

    clock = _FakeTime()
    worker = RunWorker(lambda: None, emit_interval=0.2, view_budget=None)
    monkeypatch.setattr(app.worker, "time", clock)
    snapshot_steps = []

    def record(progress):
        snapshot_steps.append(progress.step)
        worker.acknowledge()

    worker.progressed.connect(record)

    def resume_after_long_pause():
        # Once the worker waits in the pause, 10 s pass before the resume.
        deadline = time.monotonic() + 30
        while not worker._waited_in_pause and time.monotonic() < deadline:
            time.sleep(0.001)
        clock.now += 10.0
        worker.set_paused(False)

    class CountingRun:
        step = 0
        total_steps = None

        def steps(self):
            while self.step < 12:
                self.step += 1
                clock.now += 0.01
                if self.step == 5:
                    worker.set_paused(True)
                    threading.Thread(target=resume_after_long_pause).start()
                yield {}

        def snapshot(self):
            return {}

    worker._loop(CountingRun())
    assert 5 in snapshot_steps, "the pause shows the step it stops at"
    assert max(snapshot_steps) == 5, (
        f"snapshots at steps {snapshot_steps}: the 70 ms after the resume are "
        "shorter than the 200 ms spacing"
    )
