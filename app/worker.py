"""Run a ``models.runs.Run`` in a QThread: pause, single steps, stop, throttled views.

The worker only iterates: between two steps of the run it checks its stop and pause
flags, and at most ``1 / emit_interval`` times per second it asks the run for a
snapshot and sends it to the GUI thread. It sends a new snapshot only after the GUI
has drawn the previous one (``acknowledge``), so a slow plot never builds a queue of
stale snapshots.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from models.runs import Run

logger = logging.getLogger(__name__)

VIEW_BUDGET = 0.025
"""Largest share of wall time that making and drawing snapshots may take.

Drawing runs on the GUI thread but holds the GIL for most of its time, so it
stalls the worker's Python code as much as making a snapshot does. PySide6 6.11
keeps the GIL during ``QPainter`` calls too, so painting counts as well. On ring8 a
snapshot took about 20 ms and drawing it about 17 ms against 6 ms per training
step, so 30 snapshots a second left the run under half its bare speed (measured
with benchmarks/gui_speed.py on 2 busy cores). The views also slow the worker's
own steps, through caches and GIL hand-overs. With a budget of 5 % digits trained
at 0.77-0.85 of the bare loop's speed, with 3 % at 0.86-0.97, and with 2.5 % at
0.91-0.92 (same script, 2 cores, load 1-7, so the ranges are wide).
"""

MAX_EMIT_SPACING = 1.0
"""Maximum seconds between two snapshots that the view budget may request.

The GUI thread's CPU time between two snapshots also counts work that is not
drawing them, so the budget alone could space them without bound.
"""


def thread_cpu_clock() -> Callable[[], float] | None:
    """Return a clock of the calling thread's CPU seconds that other threads can read.

    Returns None where ``time.pthread_getcpuclockid`` is missing or fails, as on
    Windows, because then no thread can read another thread's CPU time.
    """
    try:
        clock_id = time.pthread_getcpuclockid(threading.get_ident())
        time.clock_gettime(clock_id)
    except (AttributeError, OSError):
        return None
    return functools.partial(time.clock_gettime, clock_id)


@dataclass
class Progress:
    """What the worker sends to the GUI thread after some steps."""

    step: int
    total_steps: int | None
    steps_per_second: float
    snapshot: Any


class RunWorker(QObject):
    """Iterate a run in a worker thread.

    Parameters
    ----------
    run_factory : callable
        Returns the run to drive. Called in the worker thread, so building a model
        (and importing torch) does not block the window.
    emit_interval : float
        Minimum seconds between two snapshots sent to the GUI.
    single_step : bool
        Start paused and do exactly one step, then end.
    max_steps_per_second : float or None
        Slow the run down to this rate, for animations in a lecture.
    view_budget : float or None
        Space the snapshots so that making and drawing them takes at most this
        share of the wall time, measured on the last snapshot; None sends one
        every ``emit_interval``. Slowed-down runs ignore it, since they wait
        between steps anyway. Drawing is the CPU time of the thread that made
        the worker (the GUI thread) between two snapshots, painting included,
        where :func:`thread_cpu_clock` can read it. Elsewhere it is the time
        from sending a snapshot to its ``acknowledge``, which leaves out the
        paint that Qt does later.

    Signals
    -------
    created(object)
        The run, once the factory has built it.
    progressed(Progress)
        A snapshot of the run; call ``acknowledge`` once it is drawn.
    failed(str)
        A message for an exception raised by the factory or the run.
    finished()
        The loop has ended (completed, stopped or failed).
    """

    created = Signal(object)
    progressed = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        run_factory: Callable[[], Run],
        emit_interval: float = 1 / 30,
        single_step: bool = False,
        max_steps_per_second: float | None = None,
        view_budget: float | None = VIEW_BUDGET,
    ):
        super().__init__()
        self._run_factory = run_factory
        self.emit_interval = emit_interval
        self.view_budget = view_budget
        self._snapshot_seconds = 0.0
        self._draw_seconds = 0.0
        self._emitted_at = 0.0
        # Made in the GUI thread, so this clock reads that thread's CPU time.
        self._gui_cpu_clock = thread_cpu_clock()
        self._gui_cpu_seconds: float | None = None
        self._gui_cpu_at: float | None = None
        self._waited_in_pause = False
        self.max_steps_per_second = max_steps_per_second
        self.run: Run | None = None
        self._condition = threading.Condition()
        self._stop = False
        self._paused = single_step
        self._pending_steps = 1 if single_step else 0
        self._end_after_pending = single_step
        self._drawn = threading.Event()
        self._drawn.set()

    # Called from the GUI thread.

    def request_stop(self) -> None:
        with self._condition:
            self._stop = True
            self._condition.notify_all()

    def set_paused(self, paused: bool) -> None:
        with self._condition:
            self._paused = paused
            self._condition.notify_all()

    def request_step(self) -> None:
        """Do one step while paused; ignored while running."""
        with self._condition:
            self._pending_steps += 1
            self._condition.notify_all()

    def set_max_steps_per_second(self, rate: float | None) -> None:
        """Change the speed limit of a running worker; None removes it."""
        with self._condition:
            self.max_steps_per_second = rate
            self._condition.notify_all()

    def acknowledge(self) -> None:
        """Tell the worker the last snapshot is drawn, so it may send another."""
        # The wait in the GUI thread's queue counts as drawing time too.
        self._draw_seconds = time.monotonic() - self._emitted_at
        self._drawn.set()

    @property
    def paused(self) -> bool:
        return self._paused

    # Runs in the worker thread.

    def _wait_for_go(self) -> bool:
        """Block while paused; return False when the loop should end."""
        with self._condition:
            while self._paused and not self._stop and self._pending_steps == 0:
                # What the GUI does during a pause is not drawing snapshots.
                self._gui_cpu_at = None
                self._waited_in_pause = True
                self._condition.wait()
            if self._stop:
                return False
            if self._paused:
                self._pending_steps -= 1
            elif self._pending_steps:
                self._pending_steps = 0
            return True

    def _emit(self, run: Run, rate: float) -> None:
        self._drawn.clear()
        started = time.monotonic()
        snapshot = run.snapshot()
        self._emitted_at = time.monotonic()
        self._snapshot_seconds = self._emitted_at - started
        self._read_gui_cpu()
        self.progressed.emit(Progress(run.step, run.total_steps, rate, snapshot))

    def _read_gui_cpu(self) -> None:
        # The GUI thread's CPU time since the previous snapshot covers drawing
        # and painting that snapshot, and whatever else the GUI did meanwhile.
        if self._gui_cpu_clock is None:
            return
        try:
            now = self._gui_cpu_clock()
        except OSError:
            # The thread that made the worker has ended.
            self._gui_cpu_clock = None
            return
        if self._gui_cpu_at is not None:
            self._gui_cpu_seconds = now - self._gui_cpu_at
        self._gui_cpu_at = now

    def _emit_spacing(self) -> float:
        """Return the seconds to wait after a snapshot before the next one."""
        if not self.view_budget or self.max_steps_per_second:
            return self.emit_interval
        draw = self._gui_cpu_seconds
        if draw is None:
            draw = self._draw_seconds
        cost = self._snapshot_seconds + draw
        spacing = max(self.emit_interval, cost / self.view_budget)
        return min(spacing, max(self.emit_interval, MAX_EMIT_SPACING))

    @Slot()
    def process(self) -> None:
        """Build the run and iterate it until it ends, fails or is stopped."""
        run = None
        try:
            run = self._run_factory()
            self.run = run
            self.created.emit(run)
            logger.info("worker started %s at step %s", type(run).__name__, run.step)
            self._loop(run)
        except Exception as error:  # noqa: BLE001 - every failure must reach the GUI
            logger.exception("worker failed")
            self.failed.emit(_describe(error))
        finally:
            if run is not None:
                try:
                    self._emit(run, 0.0)
                except Exception:  # noqa: BLE001
                    logger.warning("final snapshot failed", exc_info=True)
            logger.info("worker finished at step %s", getattr(run, "step", None))
            self.finished.emit()

    def _loop(self, run: Run) -> None:
        steps = run.steps()
        last_emit = time.monotonic()
        rate_start_time, rate_start_step = last_emit, run.step
        rate = 0.0
        while self._wait_for_go():
            started = time.monotonic()
            if self._waited_in_pause:
                # The pause drew the step it stopped at, so the spacing and the
                # rate start again from the resume.
                self._waited_in_pause = False
                last_emit = rate_start_time = started
                rate_start_step = run.step
            single = self._paused
            try:
                next(steps)
            except StopIteration:
                return
            now = time.monotonic()
            if now - rate_start_time >= 0.5:
                rate = (run.step - rate_start_step) / (now - rate_start_time)
                rate_start_time, rate_start_step = now, run.step
            if single:
                self._emit(run, 0.0)
                last_emit = now
                if self._end_after_pending and self._pending_steps == 0:
                    return
            elif self._drawn.is_set() and (
                # A pause shows the step it stops at, however soon it comes.
                self._paused or now - last_emit >= self._emit_spacing()
            ):
                self._emit(run, rate)
                last_emit = now
            if self.max_steps_per_second:
                self._sleep_after(started)

    def _sleep_after(self, started: float) -> None:
        # Sleep out the rest of the step period. A stop or pause request cuts the
        # sleep short, and a new rate takes effect at once.
        with self._condition:
            while not self._stop and not self._paused:
                rate = self.max_steps_per_second
                if not rate:
                    return
                remaining = started + 1.0 / rate - time.monotonic()
                if remaining <= 0:
                    return
                self._condition.wait(remaining)


_outliving_threads: list[tuple[QThread, RunWorker]] = []
"""Worker threads that did not stop within a controller's time-out, with their
workers. Holding them here keeps Python from deleting a QThread that still runs when
its controller goes, which would abort the process."""


def wait_for_worker_threads(timeout_ms: int) -> bool:
    """Wait for worker threads that outlived a stop; return True when none runs."""
    deadline = time.monotonic() + timeout_ms / 1000
    for thread, _worker in list(_outliving_threads):
        remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
        if not thread.wait(remaining_ms):
            return False
        _outliving_threads.remove((thread, _worker))
    return True


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, (ValueError, FloatingPointError, OSError)):
        return text
    return f"{type(error).__name__}: {text}"


class RunController(QObject):
    """Own one run and at most one worker thread that drives it.

    The run survives Stop, so Start continues it; ``reset`` drops it. The GUI
    thread never calls into the run while a worker is alive.

    Signals
    -------
    state_changed(str)
        ``idle`` (no run), ``running``, ``paused`` or ``stopped`` (run kept).
    progressed(Progress)
        Forwarded from the worker.
    failed(str)
        Forwarded from the worker.
    """

    state_changed = Signal(str)
    progressed = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.run: Run | None = None
        self._thread: QThread | None = None
        self._worker: RunWorker | None = None
        self.state = "idle"

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def start(
        self,
        run_factory: Callable[[], Run] | None = None,
        single_step: bool = False,
        max_steps_per_second: float | None = None,
    ) -> None:
        """Start or continue the run in a new worker thread.

        ``run_factory`` builds a new run when there is none; with a run kept from
        before, the worker continues it. Does nothing while a worker is alive.
        """
        if self._thread is not None:
            return
        if self.run is not None:
            existing = self.run

            def run_factory():
                return existing

        elif run_factory is None:
            raise ValueError("no run to continue and no factory to build one")
        worker = RunWorker(
            run_factory,
            single_step=single_step,
            max_steps_per_second=max_steps_per_second,
        )
        thread = QThread()
        thread.setObjectName("run-worker")
        worker.moveToThread(thread)
        thread.started.connect(worker.process)
        worker.created.connect(self._on_worker_created)
        worker.progressed.connect(self._on_worker_progressed)
        worker.failed.connect(self._on_worker_failed)
        # QThread.quit is thread-safe; a direct call ends the event loop even while
        # the GUI thread is blocked in stop()'s wait, where a queued call would
        # wait for the GUI thread and dead-lock.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._worker, self._thread = worker, thread
        thread.start()
        self._set_state("paused" if single_step else "running")

    def pause(self, paused: bool = True) -> None:
        if self._worker is None:
            return
        self._worker.set_paused(paused)
        self._set_state("paused" if paused else "running")

    def set_max_steps_per_second(self, rate: float | None) -> None:
        """Change the speed limit of the live worker, if there is one."""
        if self._worker is not None:
            self._worker.set_max_steps_per_second(rate)

    def step(self, run_factory: Callable[[], Run] | None = None) -> None:
        """Do one step: inside the paused worker, or in a short worker of its own."""
        if self._worker is not None:
            if self._worker.paused:
                self._worker.request_step()
            return
        self.start(run_factory, single_step=True)

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Stop the worker and wait for its thread; return False on a time-out."""
        if self._thread is None:
            return True
        self._worker.request_stop()
        thread = self._thread
        finished = thread.wait(timeout_ms)
        if finished:
            # Deliver the worker's queued signals (last snapshot, failure, end) now,
            # so that nothing from this worker arrives after a reset.
            QCoreApplication.sendPostedEvents(self)
            if self._thread is thread:
                self._release(thread)
        else:
            logger.warning("worker thread did not stop within %s ms", timeout_ms)
            if (thread, self._worker) not in _outliving_threads:
                _outliving_threads.append((thread, self._worker))
        return finished

    def reset(self) -> None:
        """Stop the worker and drop the run."""
        self.stop()
        self.run = None
        self._set_state("idle")

    def adopt(self, run: Run) -> None:
        """Stop the worker and keep ``run`` in place of the current run.

        Start then continues ``run`` from its step, as after Stop.

        Raises
        ------
        RuntimeError
            If the worker does not stop in time; the current run is kept.
        """
        if not self.stop():
            raise RuntimeError("the running worker did not stop; try again")
        self.run = run
        self._set_state("stopped")

    @Slot(object)
    def _on_worker_created(self, run) -> None:
        if self.sender() is self._worker:
            self.run = run

    @Slot(object)
    def _on_worker_progressed(self, progress: Progress) -> None:
        worker = self._worker
        if self.sender() is not worker:
            return
        try:
            self.progressed.emit(progress)
        finally:
            worker.acknowledge()

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        if self.sender() is self._worker:
            self.failed.emit(message)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if thread is self._thread:
            self._release(thread)

    def _release(self, thread: QThread) -> None:
        worker = self._worker
        if worker.run is not None:
            self.run = worker.run
        self._worker = self._thread = None
        thread.deleteLater()
        worker.deleteLater()
        self._set_state("stopped" if self.run is not None else "idle")
