"""Fixtures for GUI tests: a main window whose workers are stopped after each test."""

import pytest


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
    for tab in window.tab_instances():
        controller = getattr(tab, "controller", None)
        if controller is not None:
            assert not controller.busy, f"{tab.title} tab left a worker running"


@pytest.fixture
def gan_tab(main_window):
    from app.gan_tab import GanTab

    tab = next(t for t in main_window.tab_instances() if isinstance(t, GanTab))
    main_window.tabs.setCurrentWidget(tab)
    return tab
