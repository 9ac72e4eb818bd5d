"""CPU time of the GUI thread to take in and paint one GAN snapshot.

The GAN tab of an off-screen ``MainWindow`` is shown, a trainer of the data set's
default settings takes ``--steps`` steps, and the tab then draws ``--snapshots``
consecutive snapshots. Each one is handed to the tab as the worker would, and
the event loop runs until Qt has painted it. The script prints the GUI thread's
CPU milliseconds per snapshot and the part spent before painting. It also times
frames of a ``LossPlot`` of 265 x 295 pixels with the same history, drawn the way
the window draws it and with every step antialiased::

    python benchmarks/draw_cost.py --data digits --steps 3000
    python benchmarks/draw_cost.py --data ring8 --steps 8000
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

from benchmarks.common import machine  # noqa: E402

WARM_UP_SNAPSHOTS = 5


def snapshots_of(config, steps: int, count: int) -> list[dict]:
    """Return ``count`` snapshots of a trainer, one per step after ``steps`` steps."""
    from models.gan import GanTrainer
    from models.live_metrics import LiveMetrics

    trainer = GanTrainer(config)
    trainer.live_metrics = LiveMetrics(trainer.dataset, seed=config.seed)
    for _ in range(steps):
        trainer.train_step()
    snapshots = []
    for _ in range(count):
        trainer.train_step()
        snapshots.append(trainer.snapshot())
    return snapshots


def tab_draw_ms(tab, application, snapshots) -> tuple[float, float]:
    """Return the GUI thread's CPU ms per snapshot: in total and before painting."""
    from app.worker import Progress

    total = handler = 0.0
    for index, snapshot in enumerate(snapshots):
        started = time.thread_time()
        progress = Progress(snapshot["step"], None, 100.0, snapshot)
        tab.controller.progressed.emit(progress)
        handled = time.thread_time()
        application.processEvents()
        if index >= WARM_UP_SNAPSHOTS:
            total += time.thread_time() - started
            handler += handled - started
    measured = max(len(snapshots) - WARM_UP_SNAPSHOTS, 1)
    return 1000 * total / measured, 1000 * handler / measured


def loss_plot_frame_ms(application, history: dict, plain: bool) -> float:
    """Return the CPU ms to draw ``history`` in a 265 x 295 ``LossPlot``.

    ``plain`` turns off the binning and draws every step antialiased.
    """
    from widgets.loss_plot import LossPlot
    from widgets.plot_helpers import apply_pending_ranges

    plot = LossPlot()
    plot.resize(265, 295)
    plot.show()
    if plain:
        for item in (plot.loss_plot, plot.output_plot):
            item.setDownsampling(auto=False)
            item.setClipToView(False)
        for curve in (
            plot.d_loss_curve,
            plot.g_loss_curve,
            plot.d_real_curve,
            plot.d_fake_curve,
        ):
            curve.opts["antialias"] = True
    frames = 20
    total = 0.0
    for index in range(frames + 3):
        # Move the steps a little, so that every frame redraws the curves.
        shifted = dict(history, step=history["step"] * (1 + 1e-3 * index))
        started = time.thread_time()
        plot.set_history(shifted)
        apply_pending_ranges(plot)
        application.processEvents()
        if index >= 3:
            total += time.thread_time() - started
    plot.close()
    return 1000 * total / frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="digits", help="data set (default: digits)")
    parser.add_argument(
        "--steps", type=int, default=3000, help="training steps before the snapshots"
    )
    parser.add_argument(
        "--snapshots", type=int, default=40, help="snapshots to draw (default: 40)"
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.snapshots <= WARM_UP_SNAPSHOTS:
        parser.error(
            f"--steps must be at least 1 and --snapshots more than {WARM_UP_SNAPSHOTS}"
        )

    from app.gan_tab import GanTab, form_from_config
    from app.gui import make_application
    from app.main_window import MainWindow
    from app.threads import configure_torch_threads
    from models.gan_config import default_config

    threads = configure_torch_threads()
    config = default_config(args.data)
    application = make_application()
    window = MainWindow(probe_torch=False)
    window.show()
    tab = next(t for t in window.tab_instances() if isinstance(t, GanTab))
    window.tabs.setCurrentWidget(tab)
    values = form_from_config(config)
    tab.form.set_value("data", values.pop("data"))
    tab.form.set_values(values)
    tab.clear_views()
    application.processEvents()
    print(json.dumps({"machine": machine(), "data": args.data, "threads": threads}))

    snapshots = snapshots_of(config, args.steps, args.snapshots)
    total_ms, handler_ms = tab_draw_ms(tab, application, snapshots)
    history = snapshots[-1]["history"]
    binned_ms = loss_plot_frame_ms(application, history, plain=False)
    plain_ms = loss_plot_frame_ms(application, history, plain=True)
    window.close()
    print(
        f"{args.data} after {args.steps} steps ({len(history['step'])} history rows): "
        f"GUI thread {total_ms:.1f} CPU ms per snapshot, {handler_ms:.1f} ms of it "
        f"before painting; LossPlot frame {binned_ms:.1f} ms as drawn, "
        f"{plain_ms:.1f} ms with every step antialiased"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
