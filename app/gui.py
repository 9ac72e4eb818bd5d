"""Start the Qt application and show the main window."""

from __future__ import annotations

import logging
import os
import sys

logger = logging.getLogger(__name__)

WORKER_EXIT_TIMEOUT_MS = 60_000
"""How long the program waits at exit for a worker that missed the window's stop."""


OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints()"
"""Warning of Qt's off-screen platform each time a window or dock changes its size
limits. It is harmless, because that platform has no window manager to pass size
hints to."""


def make_application():
    """Return the QApplication, creating it with the playground's settings."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        if app.platformName() == "offscreen":
            _drop_offscreen_noise()
    app.setApplicationName("gan-playground")
    app.setOrganizationName("gan-playground")
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    return app


def _drop_offscreen_noise() -> None:
    """Install a Qt message handler that drops `OFFSCREEN_NOISE` only.

    Every other message goes to the handler installed before, or is written to
    standard error in Qt's format as Qt's own handler would.
    """
    from PySide6.QtCore import qFormatLogMessage, qInstallMessageHandler

    previous = None

    def handle(kind, context, message: str) -> None:
        if message == OFFSCREEN_NOISE:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            sys.stderr.write(qFormatLogMessage(kind, context, message) + "\n")

    previous = qInstallMessageHandler(handle)


def display_available() -> bool:
    """Return False on Linux with no X11 or Wayland display and no Qt platform set.

    Qt's default xcb platform aborts the process without a display, so the
    window must not be created then.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui(preset: str | None = None) -> int:
    """Open the window and run the event loop until it closes.

    ``preset`` is a shipped preset's name or a preset file, loaded before the
    window shows.

    Raises
    ------
    app.cli.CommandError
        If the preset is missing or invalid, or there is no display; the window
        does not open.
    """
    from app.cli import CommandError
    from app.logs import add_exception_listener
    from app.main_window import MainWindow
    from app.presets import PresetError, find_preset
    from app.window_settings import open_settings

    chosen = None
    if preset:
        try:
            chosen = find_preset(preset)
        except PresetError as error:
            raise CommandError(str(error)) from error
    if not display_available():
        raise CommandError(
            "no display found: set QT_QPA_PLATFORM=offscreen or use "
            "`gan-playground screenshot`"
        )
    app = make_application()
    window = MainWindow(settings=open_settings())
    add_exception_listener(window.report_uncaught)
    if chosen is not None and not window.menus.load_preset(chosen):
        message = window.error_label.text()
        window.shutdown()
        window.deleteLater()
        raise CommandError(message)
    window.show()
    code = app.exec()

    # A worker that missed the window's stop time-out still runs, and Python
    # deleting its QThread at exit would abort the process.
    from app.worker import wait_for_worker_threads

    if not wait_for_worker_threads(WORKER_EXIT_TIMEOUT_MS):
        logger.error(
            "a worker thread still runs %s s after the window closed; exiting "
            "without cleanup",
            WORKER_EXIT_TIMEOUT_MS // 1000,
        )
        logging.shutdown()
        os._exit(code or 1)
    return code
