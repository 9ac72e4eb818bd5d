"""Start the Qt application and show the main window."""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger(__name__)


def make_application():
    """Return the QApplication, creating it with the playground's settings."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("gan-playground")
    app.setOrganizationName("gan-playground")
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    return app


def run_gui() -> int:
    """Open the window and run the event loop until it closes."""
    from app.logs import add_exception_listener
    from app.main_window import MainWindow

    app = make_application()
    window = MainWindow()
    add_exception_listener(window.report_uncaught)
    window.show()
    return app.exec()
