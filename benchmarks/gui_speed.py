"""Training speed inside the window against a bare PyTorch loop, and the GUI's gaps.

In one process this alternates ``--rounds`` times between two measurements of
``--chunk`` seconds each:

- *bare*: the GAN's own networks and optimisers stepped in a plain loop (D update,
  G update, nothing else) on the main thread, with no Qt event processing;
- *window*: the real ``GanTab`` in an off-screen ``MainWindow`` training the same
  settings in its worker thread while it draws the live plots and metrics. The
  GAN tab is the shown tab, since only that one paints. Its run warms up until
  the first live metrics are shown, pauses, and is resumed for each chunk and
  paused after it.

The ratio is window steps/s over bare steps/s, both summed over all rounds.
Short alternating chunks share the machine's load. On a machine busy with other
processes the wall-clock ratio still moves both ways: the window's two threads may
win a larger share of the cores, or wait for the GIL while the OS has descheduled
the thread that holds it. The script therefore also prints the ratio of steps per
CPU second of the whole process, which counts the GUI thread's work against the
window and depends less on the load.

After the speed rounds, the window trains for ``--gap-seconds`` while a 5 ms
``QTimer`` records the intervals between its timeouts. An interval much longer
than 5 ms is time when the GUI thread could not react. The timer runs apart from
the speed rounds because its own callbacks compete with the worker for the GIL.
The same timer in the idle window first shows what the machine's load alone does
to the intervals::

    python benchmarks/gui_speed.py --data ring8 --rounds 10 --chunk 2
    python benchmarks/gui_speed.py --data digits --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import machine  # noqa: E402

TIMER_MS = 5
WARM_UP_S = 2.0
METRICS_TIMEOUT_S = 60.0


class BareLoop:
    """The GAN's own networks and optimisers stepped in a plain loop.

    The loop does the same tensor work as ``GanTrainer.train_step`` for the
    options it supports (packing, the R1 penalty, the weight average) but keeps no
    history, checks nothing and reads no loss back to Python.
    """

    def __init__(self, config):
        from models.gan import GanTrainer

        self.config = config
        self.trainer = GanTrainer(config)
        for _ in range(20):
            self.step()

    def step(self) -> None:
        import torch

        from models.losses import discriminator_loss, generator_loss, gradient_penalty

        config, trainer = self.config, self.trainer
        netG, netD = trainer.netG, trainer.netD
        samples = config.batch_size * config.pack
        gamma = config.r1_gamma

        def pack(x):
            return x.reshape(-1, config.pack * x.shape[1])

        # Update D.
        for _ in range(config.d_steps):
            index = torch.randint(len(trainer.real), (samples,))
            real = pack(trainer.real[index])
            with torch.no_grad():
                fake = pack(netG(trainer._noise(samples)))
            real.requires_grad_(gamma > 0)
            real_logits = netD(real)
            loss = discriminator_loss(real_logits, netD(fake))
            if gamma > 0:
                loss = loss + 0.5 * gamma * gradient_penalty(real_logits, real)
            trainer.optD.zero_grad(set_to_none=True)
            loss.backward()
            trainer.optD.step()

        # Update G, then its weight average.
        fake_logits = netD(pack(netG(trainer._noise(samples))))
        loss = generator_loss(fake_logits, config.generator_loss)
        trainer.optG.zero_grad(set_to_none=True)
        loss.backward()
        trainer.optG.step()
        if trainer.netG_ema is not None:
            with torch.no_grad():
                for mean, current in zip(
                    trainer.netG_ema.parameters(), netG.parameters(), strict=True
                ):
                    mean.lerp_(current, 1 - config.g_ema)

    def run_for(self, seconds: float) -> tuple[int, float, float]:
        """Step for ``seconds``; return the steps, wall seconds and CPU seconds."""
        steps = 0
        started, cpu_started = time.perf_counter(), time.process_time()
        while time.perf_counter() - started < seconds:
            self.step()
            steps += 1
        return (
            steps,
            time.perf_counter() - started,
            time.process_time() - cpu_started,
        )


def run_events(duration: float) -> None:
    """Run the Qt event loop for ``duration`` seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(duration * 1000), loop.quit)
    loop.exec()


class IntervalRecorder:
    """Record the intervals between the timeouts of a 5 ms ``QTimer``."""

    def __init__(self):
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.intervals: list[float] = []
        self._clock = QElapsedTimer()
        self._clock.start()
        self._last = 0
        self._timer = QTimer()
        self._timer.setInterval(TIMER_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> dict:
        """Stop recording; return the p50, p99 and max interval in ms."""
        self._timer.stop()
        gaps = np.array(self.intervals)
        return {
            "gap_p50_ms": float(np.percentile(gaps, 50)),
            "gap_p99_ms": float(np.percentile(gaps, 99)),
            "gap_max_ms": float(gaps.max()),
            "timer_ticks": len(gaps),
        }

    def _on_timer_timeout(self) -> None:
        now = self._clock.nsecsElapsed()
        self.intervals.append((now - self._last) / 1e6)
        self._last = now


def idle_measurement(seconds: float) -> dict:
    """Return the timer intervals of the window while nothing trains."""
    recorder = IntervalRecorder()
    recorder.start()
    run_events(seconds)
    return recorder.stop()


def start_window_run(tab, config) -> None:
    """Start a run of ``config`` in the tab, let it warm up, then pause it.

    The warm-up lasts until the first live metrics are shown, so one-time costs
    such as fitting the digit classifier fall before the measurements.
    """
    from app.gan_tab import form_from_config

    tab.reset()
    values = form_from_config(config)
    values["steps"] = 10_000_000
    tab.form.set_value("data", values.pop("data"))
    tab.form.set_values(values)
    tab.start()
    run_events(WARM_UP_S)
    deadline = time.monotonic() + METRICS_TIMEOUT_S
    while tab.metrics_panel.step is None and time.monotonic() < deadline:
        run_events(0.1)
    if tab.controller.run is None:
        raise RuntimeError("the GAN tab built no run during the warm-up")
    # Paused, the run leaves the first bare round the machine to itself.
    tab.controller.pause(True)
    run_events(0.2)


def window_chunk(
    tab, seconds: float, record_intervals: bool = False
) -> tuple[int, float, float, list]:
    """Resume the tab's run for ``seconds``, then pause it.

    Returns the steps done, the wall and CPU seconds they took (CPU summed over
    the process's threads) and, with ``record_intervals``, the intervals of a
    5 ms timer on the GUI thread.
    """
    run = tab.controller.run
    recorder = IntervalRecorder()
    if record_intervals:
        recorder.start()
    start_step = run.step
    started, cpu_started = time.perf_counter(), time.process_time()
    tab.controller.pause(False)
    run_events(seconds)
    tab.controller.pause(True)
    steps = run.step - start_step
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    run_events(0.2)  # Draw the snapshot sent at the pause.
    if record_intervals:
        recorder.stop()
    return steps, elapsed, cpu, recorder.intervals


def interval_summary(intervals) -> dict:
    gaps = np.asarray(intervals)
    return {
        "gap_p50_ms": float(np.percentile(gaps, 50)),
        "gap_p99_ms": float(np.percentile(gaps, 99)),
        "gap_max_ms": float(gaps.max()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="ring8", help="data set (default: ring8)")
    parser.add_argument(
        "--chunk", type=float, default=2.0, help="seconds of each measurement"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="alternations of bare and window"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="torch intra-op threads for both (default: the window's choice)",
    )
    parser.add_argument(
        "--gap-seconds",
        type=float,
        default=20.0,
        help="seconds of training while the 5 ms timer records intervals",
    )
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        help="Python's GIL switch interval (default: Python's, 5 ms)",
    )
    args = parser.parse_args(argv)

    if args.switch_interval_ms:
        sys.setswitchinterval(args.switch_interval_ms / 1000)
    if args.threads:
        os.environ["GAN_PLAYGROUND_TORCH_THREADS"] = str(args.threads)
    import torch

    from app.gan_tab import GanTab
    from app.gui import make_application
    from app.main_window import MainWindow
    from app.threads import configure_torch_threads
    from models.gan_config import default_config

    threads = configure_torch_threads()
    config = default_config(args.data)
    make_application()
    window = MainWindow(probe_torch=False)
    window.show()
    tab = next(t for t in window.tab_instances() if isinstance(t, GanTab))
    # Only the current tab paints, so the GAN tab must be the one shown.
    window.tabs.setCurrentWidget(tab)
    print(json.dumps({"machine": machine(), "data": args.data, "threads": threads}))

    idle = idle_measurement(min(args.chunk * args.rounds / 2, 10.0))
    print(
        f"idle window: timer interval p50 {idle['gap_p50_ms']:.1f} ms, "
        f"p99 {idle['gap_p99_ms']:.1f} ms, max {idle['gap_max_ms']:.1f} ms",
        flush=True,
    )
    bare = BareLoop(config)
    start_window_run(tab, config)
    # Steps, wall seconds and CPU seconds of each kind of measurement.
    totals = {"bare": np.zeros(3), "window": np.zeros(3)}
    ratios = []
    try:
        for round_index in range(args.rounds):
            torch.set_num_threads(threads)
            bare_steps, bare_seconds, bare_cpu = bare.run_for(args.chunk)
            steps, seconds, cpu, _ = window_chunk(tab, args.chunk)
            totals["bare"] += (bare_steps, bare_seconds, bare_cpu)
            totals["window"] += (steps, seconds, cpu)
            ratios.append((steps / seconds) / (bare_steps / bare_seconds))
            print(
                f"round {round_index}: bare {bare_steps / bare_seconds:7.1f} steps/s, "
                f"window {steps / seconds:7.1f} steps/s, ratio {ratios[-1]:.3f}",
                flush=True,
            )
        # The timer's own callbacks compete with the worker for the GIL, so the
        # intervals are recorded apart from the speed measurements.
        *_, intervals = window_chunk(tab, args.gap_seconds, record_intervals=True)
        metrics_shown = tab.metrics_panel.step is not None
    finally:
        window.shutdown()
        window.close()
    bare_rate = totals["bare"][0] / totals["bare"][1]
    window_rate = totals["window"][0] / totals["window"][1]
    bare_per_cpu = totals["bare"][0] / totals["bare"][2]
    window_per_cpu = totals["window"][0] / totals["window"][2]
    gaps = interval_summary(intervals)
    print(
        f"{args.data}, {threads} torch thread(s), switch interval "
        f"{1000 * sys.getswitchinterval():.1f} ms: bare {bare_rate:.1f} steps/s, "
        f"window {window_rate:.1f} steps/s, ratio {window_rate / bare_rate:.3f} "
        f"(median of rounds {np.median(ratios):.3f}); steps per CPU second: bare "
        f"{bare_per_cpu:.1f}, window {window_per_cpu:.1f}, ratio "
        f"{window_per_cpu / bare_per_cpu:.3f}; GUI timer interval while training "
        f"p50 {gaps['gap_p50_ms']:.1f} ms, p99 {gaps['gap_p99_ms']:.1f} ms, max "
        f"{gaps['gap_max_ms']:.1f} ms; metrics shown: {metrics_shown}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
