"""Remembered settings: geometry, tab, parameters and recent files survive a restart.

Every window here reads and writes a settings file in the test's temporary folder,
never the user's.
"""

import numpy as np
import pytest

from app.window_settings import (
    MAX_RECENT,
    add_recent_file,
    open_settings,
    recent_files,
)


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """Build windows that share one settings file under ``tmp_path``."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from app.gui import make_application
    from app.main_window import MainWindow

    make_application()
    path = tmp_path / "settings.ini"
    windows = []

    def make():
        window = MainWindow(probe_torch=False, settings=open_settings(path))
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


def _gan(window):
    return next(t for t in window.tab_instances() if t.title == "GAN")


def test_restart_restores_window(make_window):
    first = make_window()
    first.resize(first.width(), 650)
    gan = _gan(first)
    first.tabs.setCurrentWidget(gan)
    gan.apply_settings({"data": "moons", "g_lr": 0.0012, "seed": 17, "pack": 2})
    gan.options["gradient_arrows"].setChecked(True)
    first.menus.formula_dock.hide()
    first.close()

    second = make_window()
    gan = _gan(second)
    # Only the height can be compared: restoreGeometry fits the window to the
    # screen, and the offscreen platform's screen is narrower than the window.
    assert second.size().height() == 650, f"height restored: {second.size()}"
    assert second.tabs.currentWidget() is gan, "the last tab is current again"
    assert gan.form.value("data") == "moons", "the data set is restored"
    assert gan.form.value("g_lr") == pytest.approx(0.0012), "g_lr is restored"
    assert gan.form.value("seed") == 17, "the seed is restored"
    assert gan.form.value("pack") == 2, "the pack size is restored"
    assert gan.options["gradient_arrows"].isChecked(), "check boxes are restored"
    assert second.menus.formula_dock.isHidden(), "the closed dock stays closed"


def test_restart_without_changes_keeps_defaults(make_window):
    first = make_window()
    defaults = _gan(first).settings()
    first.close()
    second = make_window()
    assert _gan(second).settings() == defaults, "nothing changes by itself"


def test_unreadable_stored_settings_are_ignored(make_window, tmp_path):
    settings = open_settings(tmp_path / "settings.ini")
    settings.setValue("tabs/gan", '{"data": "no-such-set", "steps": 5}')
    settings.setValue("tabs/mmd", "not json at all")
    settings.sync()
    window = make_window()
    assert _gan(window).form.value("data") == "ring8", "invalid values are skipped"


def test_custom_data_falls_back_to_defaults(make_window, tmp_path):
    first = make_window()
    gan = _gan(first)
    points = np.random.default_rng(0).normal(size=(50, 2))
    path = tmp_path / "points.npy"
    np.save(path, points)
    first.tabs.setCurrentWidget(gan)
    assert first.menus.load_data(path), first.error_label.text()
    gan.apply_settings({"g_width": 40})
    first.close()

    second = make_window()
    gan = _gan(second)
    assert gan.form.value("data") == "ring8", "own data are not reloaded"
    assert gan.form.value("g_width") == 40, "the other settings are restored"


def test_recent_files_survive_restart(make_window, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n" + "\n".join(f"{i},{i % 3}" for i in range(20)) + "\n")
    first = make_window()
    first.tabs.setCurrentWidget(_gan(first))
    assert first.menus.load_data(path), first.error_label.text()
    first.close()

    second = make_window()
    assert recent_files(second.menus.settings, "data") == [str(path.resolve())]
    second.menus.recent_menu.aboutToShow.emit()
    texts = [action.text() for action in second.menus.recent_menu.actions()]
    assert str(path.resolve()) in texts, f"the recent menu lists the file: {texts}"


def test_recent_list_is_capped_and_deduplicated(tmp_path):
    settings = open_settings(tmp_path / "settings.ini")
    for index in range(MAX_RECENT + 3):
        add_recent_file(settings, "presets", tmp_path / f"p{index}.toml")
    add_recent_file(settings, "presets", tmp_path / "p5.toml")
    paths = recent_files(settings, "presets")
    assert len(paths) == MAX_RECENT, f"at most {MAX_RECENT}, got {len(paths)}"
    assert paths[0].endswith("p5.toml"), "the last one used comes first"
    assert len(set(paths)) == len(paths), "no path is listed twice"
    with pytest.raises(ValueError, match="unknown kind"):
        recent_files(settings, "pictures")


def test_settings_file_lives_in_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = open_settings()
    assert settings.fileName() == str(tmp_path / "gan-playground" / "settings.ini")
