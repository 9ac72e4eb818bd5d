"""The main window: one tab per method, a status bar and one place for errors.

Only the current tab is built before the first paint. Each other tab is built when
it is first shown, when code requests it through :meth:`MainWindow.build_tab` or
:meth:`MainWindow.tab_instances`, or in an idle turn of the event loop after the
first paint. Building those four tabs and their pyqtgraph plots took about 0.5 s of
CPU time on a 2-core machine.
"""

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
    QWidget,
)

from app import __version__
from app.tab_protocol import tab_key

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

    Signals
    -------
    tab_built(QWidget)
        A tab was built and replaced its empty page in ``tabs``.
    """

    tab_built = Signal(QWidget)
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

        # One empty page per tab. The current tab is built before the window shows.
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self.tab_types: tuple[type, ...] = tuple(tab_classes())
        self._unbuilt: dict[QWidget, type] = {}
        for cls in self.tab_types:
            page = QWidget()
            self.tabs.addTab(page, cls.title)
            self._unbuilt[page] = cls
        self._devices: tuple | None = None
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

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
        self.build_tab(self.tabs.currentIndex())

        self._uncaught.connect(self._on_uncaught)
        self.torch_probe = _TorchProbe(self)
        self.torch_probe.devices_found.connect(self._on_torch_probe_devices_found)
        self._probe_torch = probe_torch
        self._painted = False

        # The other tabs are built one per turn of the event loop after the first
        # paint, so that a tab the user opens later is usually ready.
        self._tab_build_timer = QTimer(self)
        self._tab_build_timer.setSingleShot(True)
        self._tab_build_timer.setInterval(0)
        self._tab_build_timer.timeout.connect(self._on_tab_build_timer_timeout)
        self.show_status("Ready. Pick a data set and press Start (Space).")

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._painted:
            return
        self._painted = True
        # Importing torch holds the GIL for seconds in total, which slowed the first
        # paint from about 1.8 s to 3.1 s on 2 busy cores (benchmarks/cold_start.py),
        # so the probe starts after the first paint. Zero timers fire once the
        # whole window has been painted.
        if self._probe_torch:
            QTimer.singleShot(0, self.torch_probe.start)
        self._tab_build_timer.start()

    def tab_instances(self) -> list:
        """Return every tab in order, building those not built yet."""
        return [self.build_tab(index) for index in range(self.tabs.count())]

    def built_tabs(self) -> list:
        """Return the tabs built so far, in order."""
        pages = [self.tabs.widget(index) for index in range(self.tabs.count())]
        return [page for page in pages if page not in self._unbuilt]

    def tab_index(self, key: str) -> int:
        """Return the index of the tab with stable key ``key``, or -1."""
        for index, cls in enumerate(self.tab_types):
            if tab_key(cls) == key:
                return index
        return -1

    def build_tab(self, index: int):
        """Return the tab at ``index``, building it in place of its empty page."""
        page = self.tabs.widget(index)
        cls = self._unbuilt.get(page)
        if cls is None:
            return page
        started = time.perf_counter()
        tab = cls()
        del self._unbuilt[page]
        tab.status_message.connect(self.show_status)
        tab.error_occurred.connect(self.show_error)

        # Insert the tab before its page and remove the page, so that no other
        # tab becomes current in between. currentChanged stays blocked, so its
        # listeners see only the switch that led here, if any, and tab_built.
        blocked = self.tabs.blockSignals(True)
        try:
            was_current = self.tabs.currentIndex() == index
            self.tabs.insertTab(index, tab, cls.title)
            if was_current:
                self.tabs.setCurrentIndex(index)
            self.tabs.removeTab(index + 1)
        finally:
            self.tabs.blockSignals(blocked)
        page.deleteLater()

        if self._devices is not None and hasattr(tab, "set_devices"):
            tab.set_devices(self._devices)
        logger.debug(
            "built the %s tab in %.2f s", cls.title, time.perf_counter() - started
        )
        self.tab_built.emit(tab)
        return tab

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

    def _on_tabs_current_changed(self, index: int) -> None:
        if index >= 0:
            self.build_tab(index)

    def _on_tab_build_timer_timeout(self) -> None:
        unbuilt = [self.tabs.indexOf(page) for page in self._unbuilt]
        if unbuilt:
            self.build_tab(min(unbuilt))
        if len(unbuilt) > 1:
            self._tab_build_timer.start()

    def _on_torch_probe_devices_found(self, devices: tuple) -> None:
        self._devices = devices
        for tab in self.built_tabs():
            if hasattr(tab, "set_devices"):
                tab.set_devices(devices)

    def shutdown(self) -> None:
        """Stop building tabs, stop every tab's worker and wait for its thread."""
        self._tab_build_timer.stop()
        for tab in self.built_tabs():
            if hasattr(tab, "shutdown"):
                tab.shutdown()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.menus.save_settings()
        self.shutdown()
        super().closeEvent(event)
