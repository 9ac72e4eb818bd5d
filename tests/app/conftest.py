"""Fixtures for GUI tests: a main window whose workers are stopped after each test."""

import pytest

THREAD_WAIT_MS = 10_000
"""How long a worker thread that a test started may take to end after the test."""

_outlived_threads: list = []
"""Worker threads that outlived their test. They stay referenced, because Python
deleting a QThread that still runs aborts the process."""


@pytest.fixture(autouse=True)
def no_worker_thread_left_running(monkeypatch):
    """Fail a test that leaves a worker QThread it started running at teardown."""
    from PySide6.QtCore import QThread

    import app.worker

    started = []

    class TrackedThread(QThread):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(app.worker, "QThread", TrackedThread)
    yield
    running = []
    for thread in started:
        try:
            if thread.isRunning() and not thread.wait(THREAD_WAIT_MS):
                running.append(thread)
        except RuntimeError:
            # The C++ object was deleted, which the controller only does after
            # the thread has finished.
            continue
    _outlived_threads.extend(running)
    assert not running, f"{len(running)} worker thread(s) still running after the test"


@pytest.fixture
def main_window(qtbot, tmp_path, monkeypatch):
    """A MainWindow without the torch probe; every worker is joined at teardown."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from app.gui import make_application
    from app.main_window import MainWindow

    make_application()
    window = MainWindow(probe_torch=False)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.shutdown()
    for tab in window.built_tabs():
        controller = getattr(tab, "controller", None)
        if controller is not None:
            assert not controller.busy, f"{tab.title} tab left a worker running"


@pytest.fixture
def gan_tab(main_window):
    from app.gan_tab import GanTab

    tab = next(t for t in main_window.tab_instances() if isinstance(t, GanTab))
    main_window.tabs.setCurrentWidget(tab)
    return tab
