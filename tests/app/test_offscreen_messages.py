"""Qt's off-screen platform: its size-hint warning is dropped, others are kept."""

import os
import subprocess
import sys

SCRIPT = """
from PySide6.QtCore import Qt, qWarning
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from app.gui import make_application

app = make_application()
window = QMainWindow()
dock = QDockWidget("dock")
dock.setWidget(QLabel("text"))
window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock)
window.show()
app.processEvents()
qWarning("a real warning")
"""


def _run(platform: str) -> str:
    env = {**os.environ, "QT_QPA_PLATFORM": platform}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_offscreen_drops_size_hint_noise():
    stderr = _run("offscreen")
    assert "propagateSizeHints" not in stderr, f"noise printed: {stderr!r}"
    assert "a real warning" in stderr, f"other warnings must stay: {stderr!r}"
