"""Resident memory of the window over a long GAN run with live plots and metrics.

The real ``GanTab`` in an off-screen ``MainWindow`` trains a small GAN (widths 32,
batch 64) for ``--steps`` steps while it draws. The process's RSS is sampled every
second on the GUI thread. Growth is measured from the first sample after
``--warm-up`` steps, when torch, the plots and the metrics have made their one-time
allocations, to the end of the run::

    python benchmarks/gui_memory.py --steps 100000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import machine, rss_mb  # noqa: E402

SAMPLE_MS = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="ring8", help="data set (default: ring8)")
    parser.add_argument("--steps", type=int, default=100_000, help="training steps")
    parser.add_argument(
        "--warm-up", type=int, default=5000, help="steps before the baseline RSS"
    )
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEventLoop, QTimer

    from app.gan_tab import GanTab
    from app.gui import make_application
    from app.main_window import MainWindow
    from app.threads import configure_torch_threads

    threads = configure_torch_threads()
    make_application()
    window = MainWindow(probe_torch=False)
    window.show()
    tab = next(t for t in window.tab_instances() if isinstance(t, GanTab))
    tab.form.set_value("data", args.data)
    tab.form.set_values(
        {"steps": args.steps, "g_width": 32, "d_width": 32, "batch_size": 64}
    )
    print(json.dumps({"machine": machine(), "threads": threads, "data": args.data}))

    samples: list[tuple[float, int, float]] = []
    started = time.perf_counter()

    def sample():
        run = tab.controller.run
        step = run.step if run is not None else 0
        samples.append((time.perf_counter() - started, step, rss_mb()))

    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(SAMPLE_MS)
    timer.timeout.connect(sample)
    tab.controller.state_changed.connect(
        lambda state: loop.quit() if state in ("stopped", "idle") else None
    )
    sample()
    timer.start()
    tab.start()
    loop.exec()
    timer.stop()
    sample()
    window.shutdown()

    baseline = next((s for s in samples if s[1] >= args.warm_up), samples[-1])
    end = samples[-1]
    peak = max(s[2] for s in samples)
    for seconds, step, rss in samples[:: max(1, len(samples) // 20)]:
        print(f"{seconds:7.1f} s  step {step:7d}  RSS {rss:7.1f} MiB")
    print(
        f"RSS {baseline[2]:.1f} MiB at step {baseline[1]:,}, {end[2]:.1f} MiB at step "
        f"{end[1]:,} ({end[0]:.0f} s): growth {end[2] - baseline[2]:+.1f} MiB; "
        f"start {samples[0][2]:.1f} MiB, peak {peak:.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
