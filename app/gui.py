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


def run_gui(preset: str | None = None) -> int:
    """Open the window and run the event loop until it closes.

    ``preset`` is a shipped preset's name or a preset file, loaded before the
    window shows.

    Raises
    ------
    app.cli.CommandError
        If the preset is missing or invalid; the window does not open.
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
