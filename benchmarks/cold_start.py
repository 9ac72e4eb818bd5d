"""Time from process start to the window's first paint, in fresh processes.

Each trial starts ``python benchmarks/cold_start.py --child`` and measures from just
before the process is created until the child reports its first paint event of the
main window. The child does what ``gan-playground`` does (logging, the application,
the window with its torch probe, ``show``) and exits after that paint. The same
trials of ``python -c pass`` give the interpreter's own start, a floor that no
change in the playground can lower::

    python benchmarks/cold_start.py --trials 7

Qt runs off screen unless QT_QPA_PLATFORM is set.
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
    from PySide6.QtCore import QEvent, QObject, QTimer

    from app.gui import make_application
    from app.logs import add_exception_listener
    from app.main_window import MainWindow

    application = make_application()
    window = MainWindow()
    add_exception_listener(window.report_uncaught)

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint and not self.seen:
                if watched is window or (
                    hasattr(watched, "window") and watched.window() is window
                ):
                    self.seen = True
                    print(f"painted {time.time():.6f}", flush=True)
                    QTimer.singleShot(0, application.quit)
            return False

    first_paint = FirstPaint()
    first_paint.seen = False
    application.installEventFilter(first_paint)
    window.show()
    return application.exec()


def time_child(command: list[str], env: dict) -> float:
    """Return seconds from before process creation to the child's paint report."""
    started = time.time()
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    for line in result.stdout.splitlines():
        if line.startswith("painted "):
            return float(line.split()[1]) - started
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
    args = parser.parse_args(argv)
    if args.child:
        return child()

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as data_home:
        # Keep the children's log files out of the user's folder.
        env["XDG_DATA_HOME"] = data_home
        window_command = [sys.executable, str(Path(__file__).resolve()), "--child"]
        floor_command = [sys.executable, "-c", "pass"]
        time_child(window_command, env)  # Warm the file cache once.
        paints, floors = [], []
        for _ in range(args.trials):
            paints.append(time_child(window_command, env))
            floors.append(time_process(floor_command, env))
    paints, floors = np.array(paints), np.array(floors)
    print(
        f"first paint: median {np.median(paints):.3f} s, min {paints.min():.3f} s, "
        f"max {paints.max():.3f} s over {args.trials} trials; python -c pass: "
        f"median {np.median(floors):.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
