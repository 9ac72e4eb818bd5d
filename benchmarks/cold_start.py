"""Time from process start to the window's first paint, in fresh processes.

Each trial starts ``python benchmarks/cold_start.py --child`` and measures from just
before the process is created until the child reports its first paint event of the
main window. The child does what ``gan-playground`` does (logging, the application,
the window with its torch probe, ``show``) and exits after that paint. It also
reports the CPU seconds of its threads up to that paint, which depend less on other
processes than the wall time does.

Two floors are timed in the same trials. ``python -c pass`` is the interpreter's own
start. The Qt floor is a process that imports PySide6 and pyqtgraph, as the
playground must, and paints a window with one empty plot. No change in the
playground's own code can paint its window sooner than that::

    python benchmarks/cold_start.py --trials 7

Qt runs off screen unless QT_QPA_PLATFORM is set. Python compiles every module
without a cached ``.pyc`` again in each process, for example when
PYTHONDONTWRITEBYTECODE is set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def child() -> int:
    """Open the window like ``gan-playground``; print the time of its first paint."""
    sys.path.insert(0, str(ROOT))
    from app.cli import configure_logging

    configure_logging(0)
    from app.gui import make_application
    from app.logs import add_exception_listener
    from app.main_window import MainWindow

    application = make_application()
    window = MainWindow()
    add_exception_listener(window.report_uncaught)
    return _show_until_painted(application, window)


def floor_child() -> int:
    """Paint a window with one empty pyqtgraph plot; print the time of that paint."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication, QMainWindow

    application = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(pg.PlotWidget())
    window.resize(1400, 860)
    return _show_until_painted(application, window)


def _show_until_painted(application, window) -> int:
    """Show ``window`` and quit after its first paint event, printing its time."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint and not self.seen:
                if watched is window or (
                    hasattr(watched, "window") and watched.window() is window
                ):
                    self.seen = True
                    print(
                        f"painted {time.time():.6f} {time.process_time():.6f}",
                        flush=True,
                    )
                    QTimer.singleShot(0, application.quit)
            return False

    first_paint = FirstPaint()
    first_paint.seen = False
    application.installEventFilter(first_paint)
    window.show()
    return application.exec()


def time_child(command: list[str], env: dict) -> tuple[float, float]:
    """Return the wall seconds to the child's paint report and its CPU seconds.

    The wall time counts from just before the process is created.
    """
    started = time.time()
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    for line in result.stdout.splitlines():
        if line.startswith("painted "):
            _, painted, cpu = line.split()
            return float(painted) - started, float(cpu)
    raise RuntimeError(
        f"the window process exited without a first paint; its stderr:\n"
        f"{result.stderr[-2000:]}"
    )


def time_process(command: list[str], env: dict) -> float:
    """Return the wall seconds of a whole process."""
    started = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, timeout=120, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=7, help="processes per kind")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child()
    if args.floor_child:
        return floor_child()

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as data_home:
        # Keep the children's log files out of the user's folder.
        env["XDG_DATA_HOME"] = data_home
        script = str(Path(__file__).resolve())
        window_command = [sys.executable, script, "--child"]
        qt_command = [sys.executable, script, "--floor-child"]
        python_command = [sys.executable, "-c", "pass"]
        # Warm the file cache once.
        time_child(window_command, env)
        time_child(qt_command, env)
        paints, cpus, qt_floors, python_floors = [], [], [], []
        for _ in range(args.trials):
            paint, cpu = time_child(window_command, env)
            paints.append(paint)
            cpus.append(cpu)
            qt_floors.append(time_child(qt_command, env)[0])
            python_floors.append(time_process(python_command, env))
    paints = np.array(paints)
    print(
        f"first paint: median {np.median(paints):.3f} s, min {paints.min():.3f} s, "
        f"max {paints.max():.3f} s over {args.trials} trials, "
        f"median CPU {np.median(cpus):.3f} s; PySide6 + pyqtgraph window: median "
        f"{np.median(qt_floors):.3f} s; python -c pass: median "
        f"{np.median(python_floors):.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
