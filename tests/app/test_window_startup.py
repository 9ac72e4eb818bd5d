"""Start-up of the main window: what it imports and builds before its first paint.

The window builds only the current tab before it shows and the other tabs after its
first paint. torch, scipy and matplotlib load in background threads after that paint.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_MS = 60_000
FORMULA_TIMEOUT_MS = 60_000

HEAVY_PACKAGES = ("torch", "scipy", "matplotlib")
"""Packages that took 0.5 s or more each to import on 2 cores: torch, scipy.optimize
or scipy.special, and matplotlib with its figure module."""

FIRST_PAINT_SCRIPT = """
import json
import os
import sys

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from app.gui import make_application
from app.main_window import MainWindow
from app.window_settings import open_settings

HEAVY = {heavy!r}
application = make_application()
window = MainWindow(settings=open_settings())


class FirstPaint(QObject):
    def eventFilter(self, watched, event):  # noqa: N802 - Qt override
        if (
            event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and watched.window() is window
        ):
            loaded = sorted(
                name for name in sys.modules if name.split(".")[0] in HEAVY
            )
            current = window.tabs.currentWidget()
            report = {{
                "loaded": loaded,
                "current": getattr(current, "key", None),
                "built": [tab.key for tab in window.built_tabs()],
            }}
            print(json.dumps(report), flush=True)
            # Leave before the work that the window starts after its first paint.
            os._exit(0)
        return False


first_paint = FirstPaint()
application.installEventFilter(first_paint)
window.show()
application.exec()
sys.exit("the event loop ended without a paint")
"""


def _first_paint_report(tmp_path, last_tab: str | None) -> dict:
    data_home = tmp_path / "data"
    folder = data_home / "gan-playground"
    folder.mkdir(parents=True)
    if last_tab is not None:
        (folder / "settings.ini").write_text(f"[window]\ntab={last_tab}\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(data_home))
    script = FIRST_PAINT_SCRIPT.format(heavy=HEAVY_PACKAGES)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"the window process failed:\n{result.stderr}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the window reported no paint:\n{result.stdout}\n{result.stderr}"
    return json.loads(lines[-1])


@pytest.mark.parametrize("last_tab", [None, "gan", "mmd"])
def test_first_paint_imports_no_heavy_package(tmp_path, last_tab):
    report = _first_paint_report(tmp_path, last_tab)
    assert report["loaded"] == [], (
        f"imported before the first paint with last tab {last_tab}: "
        f"{report['loaded'][:10]}"
    )
    expected = last_tab or "inverse"
    assert report["current"] == expected, f"the current tab is {report['current']}"
    assert report["built"] == [expected], f"tabs built first: {report['built']}"


@pytest.fixture
def unshown_window(qtbot, tmp_path, monkeypatch):
    """A window that has not been shown, so it has built only its current tab."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from app.gui import make_application
    from app.main_window import MainWindow

    make_application()
    window = MainWindow(probe_torch=False)
    qtbot.addWidget(window)
    yield window
    window.shutdown()


def test_window_builds_other_tabs_after_first_paint(qtbot, unshown_window):
    window = unshown_window
    titles = [tab.title for tab in window.built_tabs()]
    assert titles == ["Inverse transform"], f"built before showing: {titles}"
    window.show()
    qtbot.waitUntil(lambda: len(window.built_tabs()) == 5, timeout=BUILD_TIMEOUT_MS)
    pages = [window.tabs.widget(index) for index in range(window.tabs.count())]
    assert pages == window.built_tabs(), "every page is a built tab"
    keys = [tab.key for tab in pages]
    assert keys == ["inverse", "rejection", "mh", "gan", "mmd"], f"order: {keys}"
    assert window.tabs.currentIndex() == 0, "building changed the current tab"


def test_clicking_unbuilt_tab_builds_and_shows_it(qtbot, unshown_window):
    from PySide6.QtCore import Qt

    from app.mmd_tab import MmdTab

    window = unshown_window
    # Keep the tabs from being built after the first paint during this test.
    window._tab_build_timer.setInterval(3_600_000)
    seen = []
    window.tabs.currentChanged.connect(
        lambda index: seen.append(type(window.tabs.widget(index)))
    )
    window.show()
    qtbot.waitExposed(window)
    bar = window.tabs.tabBar()
    assert len(window.built_tabs()) == 1, "only the current tab is built"

    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(4).center())
    current = window.tabs.currentWidget()
    assert isinstance(current, MmdTab), f"the click showed {type(current)}"
    assert current.isVisible(), "the built tab is visible"
    assert window.tabs.currentIndex() == 4, "the clicked index is current"
    assert seen == [MmdTab], f"currentChanged listeners saw {seen}"
    formulas = window.menus.formula_stack.currentWidget()
    assert formulas.header.text() == "Direct (MMD): formulas", "formula panel follows"
    assert window.menus.save_preset_action.isEnabled(), "the tab's menus are on"
    assert len(window.built_tabs()) == 2, "no other tab was built"


def test_unbuilt_tab_gets_restored_settings(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from app.gui import make_application
    from app.main_window import MainWindow
    from app.window_settings import open_settings

    make_application()
    path = tmp_path / "settings.ini"
    settings = open_settings(path)
    settings.setValue("tabs/mmd", json.dumps({"seed": 23, "data": "moons"}))
    settings.setValue("window/tab", "inverse")
    settings.sync()

    # Closing a window that never built the MMD tab keeps its stored settings.
    first = MainWindow(probe_torch=False, settings=open_settings(path))
    qtbot.addWidget(first)
    first._tab_build_timer.setInterval(3_600_000)
    first.show()
    assert first.tabs.widget(4) not in first.built_tabs(), "MMD tab not built yet"
    first.close()
    stored = json.loads(open_settings(path).value("tabs/mmd"))
    assert stored == {"seed": 23, "data": "moons"}, f"stored settings: {stored}"

    second = MainWindow(probe_torch=False, settings=open_settings(path))
    qtbot.addWidget(second)
    mmd = second.build_tab(second.tab_index("mmd"))
    assert mmd.form.value("seed") == 23, "the seed is restored on building"
    assert mmd.form.value("data") == "moons", "the data set is restored on building"
    second.shutdown()


def test_tab_built_in_presenter_mode_is_styled(qtbot, unshown_window):
    import pyqtgraph as pg

    window = unshown_window
    window._tab_build_timer.setInterval(3_600_000)
    window.menus.set_presenter_mode(True)
    window.menus.set_controls_hidden(True)
    tab = window.build_tab(window.tab_index("rejection"))
    axes = [
        item
        for view in tab.findChildren(pg.GraphicsView)
        for item in view.scene().items()
        if isinstance(item, pg.AxisItem)
    ]
    assert axes, "the rejection tab has plot axes"
    fonts = [axis.style.get("tickFont") for axis in axes]
    sizes = [font.pointSizeF() if font is not None else 0.0 for font in fonts]
    least = 9.0 * window.menus.presenter.font_scale
    assert min(sizes) >= least, f"tick fonts of {sizes} pt, expected {least} or more"
    assert not tab.settings_scroll.isVisibleTo(tab), "the controls stay hidden"
    window.menus.set_presenter_mode(False)


def test_formulas_show_no_source_before_typesetting(qtbot):
    from app.gui import make_application
    from widgets.formula_view import Formula, FormulaView

    make_application()
    good = Formula("Good", r"$x^2$", "a square")
    bad = Formula("Bad", r"$\frac{1}{$", "unbalanced")
    view = FormulaView([good, bad])
    qtbot.addWidget(view)
    texts = [label.text() for label in view._images]
    assert texts == ["", ""], f"labels before the first paint: {texts}"
    assert view.rendering, "typesetting waits for the first paint"

    with qtbot.waitSignal(view.typesetting_finished, timeout=FORMULA_TIMEOUT_MS):
        view.show()
    assert not view.rendering, "every formula is done"
    assert not view._images[0].pixmap().isNull(), "the good formula is an image"
    assert view._images[0].text() == "", "the good formula shows no source"
    assert view._images[1].text() == bad.tex, "the bad formula shows its source"
