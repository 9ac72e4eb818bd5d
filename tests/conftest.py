"""Shared test set-up: Qt runs off screen, and no test leaves a thread behind."""

import os
import threading
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GAN_PLAYGROUND_TORCH_THREADS", "1")

SLOW_TEST_TIMEOUT_SECONDS = 600
"""Time-out of a test marked slow; other tests get pyproject's shorter one."""

THREAD_JOIN_SECONDS = 10.0
"""How long a thread that a test started may take to end after the test."""

PROCESS_THREAD_PREFIXES = ("mathtext", "live-metrics")
"""Names of process-wide pool threads that stay idle between uses by design:
widgets.formula_view renders formulas, and app.threads.metrics_executor computes live
quality metrics, each in a one-thread executor that lives as long as the process."""


def pytest_collection_modifyitems(items):
    """Give tests marked slow a longer time-out, unless they set their own."""
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT_SECONDS))


def _is_process_thread(thread: threading.Thread) -> bool:
    # A _DummyThread stands for a thread that Python did not start (a QThread or a
    # torch worker) and reports itself alive for ever on Python 3.11; the Qt
    # fixtures check QThreads themselves.
    return isinstance(thread, threading._DummyThread) or thread.name.startswith(
        PROCESS_THREAD_PREFIXES
    )


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """Fail a test that leaves a Python thread it started running at teardown."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_JOIN_SECONDS
    started = [
        thread
        for thread in threading.enumerate()
        if thread not in before and not _is_process_thread(thread)
    ]
    for thread in started:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [thread.name for thread in started if thread.is_alive()]
    assert not alive, f"threads still running after the test: {alive}"
