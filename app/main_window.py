"""The main window: one tab per method, a status bar and one place for errors."""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QTabWidget,
)

from app import __version__

logger = logging.getLogger(__name__)


def tab_classes() -> list[type]:
    """Return the tab classes in the order the window shows them."""
    from app.gan_tab import GanTab
    from app.inverse_tab import InverseTab
    from app.mh_tab import MetropolisTab
    from app.mmd_tab import MmdTab
    from app.rejection_tab import RejectionTab

    return [InverseTab, RejectionTab, MetropolisTab, GanTab, MmdTab]


class _TorchProbe(QObject):
    """Import torch in a background thread and report the devices it finds.

    Signals
    -------
    devices_found(tuple)
        Device names, ``cpu`` first.
    """

    devices_found = Signal(tuple)

    def start(self) -> None:
        threading.Thread(target=self._probe, name="torch-probe", daemon=True).start()

    def _probe(self) -> None:
        started = time.perf_counter()
        try:
            import torch

            # The first optimiser imports torch._dynamo, which took 2 to 4 s on 2
            # busy cores; importing it here keeps the first Start quick.
            import torch._dynamo  # noqa: F401

            devices = ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
        except Exception:  # noqa: BLE001 - torch failing to load must not kill the GUI
            logger.warning("importing torch failed", exc_info=True)
            devices = ("cpu",)
        logger.debug(
            "torch ready in %.2f s: %s", time.perf_counter() - started, devices
        )
        self.devices_found.emit(devices)


class MainWindow(QMainWindow):
    """The playground's window.

    Every tab may emit ``status_message(str)`` and ``error_occurred(str)``; errors
    are shown in the status bar and kept in the Messages panel.
    """

    _uncaught = Signal(str)

    def __init__(self, probe_torch: bool = True, settings=None):
        """Build the window.

        ``settings`` is the QSettings that geometry, the last tab, parameters and
        recent files are restored from and saved to on close; None remembers
        nothing, which tests and the screenshot command rely on.
        """
        super().__init__()
        self.setWindowTitle(f"GAN Playground {__version__}")
        self.resize(1400, 860)

        # Build tabs.
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        for cls in tab_classes():
            tab = cls()
            self.tabs.addTab(tab, cls.title)
            tab.status_message.connect(self.show_status)
            tab.error_occurred.connect(self.show_error)

        # Build the status bar and the message panel.
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.statusBar().addPermanentWidget(self.error_label)
        self.messages = QPlainTextEdit()
        self.messages.setReadOnly(True)
        self.messages.setMaximumBlockCount(2000)
        self.messages_dock = QDockWidget("Messages", self)
        self.messages_dock.setObjectName("messages")
        self.messages_dock.setWidget(self.messages)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.messages_dock)
        self.messages_dock.hide()

        # Keyboard: Space starts, pauses and resumes the current tab's run.
        self.space_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Space), self)
        self.space_shortcut.activated.connect(self._on_space_activated)

        # Menus, presets, formulas, presenter mode, export and remembered settings.
        from app.window_menus import WindowMenus

        self.menus = WindowMenus(self, settings)
        self.menus.restore_settings()

        self._uncaught.connect(self._on_uncaught)
        self.torch_probe = _TorchProbe(self)
        self.torch_probe.devices_found.connect(self._on_torch_probe_devices_found)
        # Importing torch holds the GIL for seconds in total, which slowed the first
        # paint from about 1.8 s to 3.1 s on 2 busy cores (benchmarks/cold_start.py),
        # so the probe starts after the first paint.
        self._probe_after_paint = probe_torch
        self.show_status("Ready. Pick a data set and press Start (Space).")

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._probe_after_paint:
            self._probe_after_paint = False
            QTimer.singleShot(0, self.torch_probe.start)

    def tab_instances(self) -> list:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def show_status(self, message: str) -> None:
        self.error_label.clear()
        self.statusBar().showMessage(message)
        self._log_message(message)

    def show_error(self, message: str) -> None:
        logger.error("%s", message)
        self.error_label.setText(message)
        self.error_label.setToolTip(message)
        self._log_message(f"ERROR: {message}")
        self.messages_dock.show()

    def report_uncaught(self, message: str) -> None:
        """Show an uncaught exception; safe to call from any thread."""
        self._uncaught.emit(message)

    @Slot(str)
    def _on_uncaught(self, message: str) -> None:
        self.show_error(f"Unexpected error: {message}")

    def _log_message(self, message: str) -> None:
        self.messages.appendPlainText(f"{time.strftime('%H:%M:%S')}  {message}")

    def _on_space_activated(self) -> None:
        tab = self.tabs.currentWidget()
        if hasattr(tab, "toggle"):
            tab.toggle()

    def _on_torch_probe_devices_found(self, devices: tuple) -> None:
        for tab in self.tab_instances():
            if hasattr(tab, "set_devices"):
                tab.set_devices(devices)

    def shutdown(self) -> None:
        """Stop every tab's worker and wait for its thread."""
        for tab in self.tab_instances():
            if hasattr(tab, "shutdown"):
                tab.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.menus.save_settings()
        self.shutdown()
        super().closeEvent(event)
