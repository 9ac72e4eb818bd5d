"""Runs in every tab under stress: NaN, rapid button presses, settings while running.

Each test drives real workers through the tabs' public methods, as the buttons do.
"""

import numpy as np
import pytest
import torch

TIMEOUT_MS = 60_000
KEYS = ("inverse", "rejection", "mh", "gan", "mmd")


def _tab(main_window, key):
    tab = next(t for t in main_window.tab_instances() if getattr(t, "key", "") == key)
    main_window.tabs.setCurrentWidget(tab)
    return tab


def _use_small_run(tab):
    """Make a run that is quick per step and long enough to outlast the test."""
    if tab.key == "gan":
        tab.form.set_values(
            {"steps": 100_000, "g_width": 16, "d_width": 16, "batch_size": 32}
        )
    elif tab.key == "mmd":
        tab.form.set_values({"steps": 100_000, "width": 16, "batch_size": 32})
    else:
        # A limited speed keeps the run going while the test looks at it. With no
        # limit, an inverse run of 100,000 draws could end before the first check.
        tab.form.set_values({"mode": "animate", tab.count_key: 100_000})
        tab.speed.set_speed(200)


def _poison_after(trainer_class, monkeypatch, step: int, interval: int = 5):
    """Make the generator's weights NaN after ``step``, so the next step fails."""
    original = trainer_class.train_step

    def train_step(self):
        self.last_good.interval = interval
        record = original(self)
        if self.step == step:
            with torch.no_grad():
                for parameter in self.netG.parameters():
                    parameter.fill_(float("nan"))
        return record

    monkeypatch.setattr(trainer_class, "train_step", train_step)


@pytest.mark.parametrize("key", ["gan", "mmd"])
def test_nan_weights_stop_and_restore(qtbot, main_window, monkeypatch, key):
    from models.gan import GanTrainer
    from models.mmd import MmdTrainer

    trainer_class = GanTrainer if key == "gan" else MmdTrainer
    _poison_after(trainer_class, monkeypatch, step=7)
    tab = _tab(main_window, key)
    _use_small_run(tab)
    errors = []
    tab.error_occurred.connect(errors.append)
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)

    assert errors, "a NaN must stop the run with a message"
    assert "nan" in errors[-1].lower(), f"the message names the NaN: {errors[-1]}"
    assert "nan" in main_window.error_label.text().lower(), "the window shows it"
    assert tab.restore_button.isVisible(), "Restore last good weights is offered"
    trainer = tab.controller.run
    assert trainer.step <= 8, f"the run stops at the NaN, not at step {trainer.step}"

    tab.restore_button.click()
    assert trainer.step == 5, f"weights of step 5 are kept, run is at {trainer.step}"
    finite = [bool(torch.isfinite(p).all()) for p in trainer.netG.parameters()]
    assert all(finite), "restored generator weights are finite"
    assert not tab.restore_button.isVisible(), "the button hides after a restore"
    assert tab.controls.progress.value() == 5, "progress shows the restored step"
    status = main_window.statusBar().currentMessage()
    assert "Restored the weights of step 5" in status, f"status: {status}"
    samples = tab.samples()
    assert samples is not None, "the restored run's samples can be exported"
    assert np.isfinite(samples).all(), "and are finite"


def test_sampler_nan_names_point(qtbot, main_window):
    # NaN only for 9.96 < x < 9.99, which no probe or display grid point hits
    # (they lie at 9.9, 10 and 9.83). The Cauchy tail in x sends chains there.
    tab = _tab(main_window, "mh")
    density = (
        "where((x > 9.96) * (x < 9.99), sqrt(-1 - x^2), 1) / (1 + x^2) * exp(-y^2/2)"
    )
    tab.form.set_value("kind", "density")
    tab.form.set_values(
        {
            "target": density,
            "low": "-inf",
            "high": "inf",
            "y_low": "-inf",
            "y_high": "inf",
            "mode": "bulk",
            "iterations": 50_000,
        }
    )
    errors = []
    tab.error_occurred.connect(errors.append)
    tab.start()
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    assert errors, "a NaN density at a proposal must stop the run"
    message = errors[-1]
    assert "NaN" in message, f"the message names the NaN: {message}"
    assert "(x, y) = (9.9" in message, f"and the point where it happened: {message}"
    assert tab.controller.run is not None, "draws made before the NaN are kept"
    assert tab.controller.run.step < tab.controller.run.total_steps, "run stopped"


@pytest.mark.parametrize(
    ("key", "target", "low", "high", "expected"),
    [
        ("rejection", "log(x) + 1", "0", "1", "x = 0"),
        ("rejection", "sqrt(x)", "-1", "1", "x = -1"),
        ("mh", "1/x", "0", "1", "x = 0"),
        ("mh", "sqrt(x - 0.5)", "0", "1", "x = 0"),
        ("inverse", "log(x)", "0", "2", "x = 0"),
    ],
)
def test_bad_density_names_x(qtbot, main_window, key, target, low, high, expected):
    tab = _tab(main_window, key)
    tab.form.set_value("kind", "density")
    tab.form.set_values({"target": target, "low": low, "high": high, "mode": "bulk"})
    errors = []
    tab.error_occurred.connect(errors.append)
    tab.start()
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    assert expected in errors[-1], f"the message should name {expected}: {errors[-1]}"
    assert expected in main_window.error_label.text(), "the window shows it"
    inline = tab.form.field_error("target")
    assert expected in inline, f"the target field shows it: {inline!r}"
    assert tab.controller.run is None, "no run is built from a bad density"


def test_settings_locked_while_running(qtbot, main_window):
    # One window for all tabs, which keeps the test short; messages name the tab.
    for key in KEYS:
        tab = _tab(main_window, key)
        _use_small_run(tab)
        assert tab.form.isEnabled(), f"{key}: settings can be edited before a run"
        tab.start()
        qtbot.waitUntil(
            lambda tab=tab: (
                tab.controller.run is not None and tab.controller.run.step > 0
            ),
            timeout=TIMEOUT_MS,
        )
        assert not tab.form.isEnabled(), f"{key}: settings are locked while running"
        tab.controller.pause(True)
        assert not tab.form.isEnabled(), f"{key}: and while paused"
        tab.stop()
        assert tab.form.isEnabled(), f"{key}: a stopped run unlocks them"

        # A change after Stop takes effect only in a new run from step 0.
        run = tab.controller.run
        tab.form.set_value("seed", 5)
        tab.start()
        qtbot.waitUntil(
            lambda tab=tab, run=run: (
                tab.controller.run is not None and tab.controller.run is not run
            ),
            timeout=TIMEOUT_MS,
        )
        tab.stop()
        assert tab.controller.run is not run, f"{key}: changed settings start anew"


def test_preset_while_running_resets(qtbot, main_window):
    from app.presets import Preset

    for key in KEYS:
        tab = _tab(main_window, key)
        _use_small_run(tab)
        tab.start()
        qtbot.waitUntil(
            lambda tab=tab: (
                tab.controller.run is not None and tab.controller.run.step > 0
            ),
            timeout=TIMEOUT_MS,
        )
        preset = Preset(
            name="seed-7", tab=key, title="Seed 7", explanation="", settings={"seed": 7}
        )
        assert main_window.menus.load_preset(preset), main_window.error_label.text()
        assert not tab.controller.busy, f"{key}: a preset stops the running worker"
        assert tab.controller.run is None, f"{key}: and drops the run"
        assert tab.form.value("seed") == 7, f"{key}: the preset's settings are shown"
        assert tab.form.isEnabled(), f"{key}: and can be edited"


def test_same_seed_repeats_after_reset(qtbot, main_window):
    for key in KEYS:
        tab = _tab(main_window, key)
        if key in ("gan", "mmd"):
            _use_small_run(tab)
            tab.form.set_values({"steps": 15, "seed": 3})
        else:
            tab.form.set_values({"mode": "bulk", tab.count_key: 3000, "seed": 3})
        results = []
        for _ in range(2):
            tab.start()
            qtbot.waitUntil(
                lambda tab=tab: tab.controller.state == "stopped", timeout=TIMEOUT_MS
            )
            history = getattr(tab.controller.run, "history", None)
            losses = history.as_dict() if history is not None else {}
            results.append((np.array(tab.samples(), copy=True), losses))
            tab.reset()
        (samples_a, losses_a), (samples_b, losses_b) = results
        assert np.array_equal(samples_a, samples_b), f"{key}: same seed, samples"
        for column, values in losses_a.items():
            assert np.array_equal(values, losses_b[column]), f"{key}: same {column}"


def test_device_field_says_runs_differ(main_window):
    for key in ("gan", "mmd"):
        tooltip = _tab(main_window, key).form.controls["device"].toolTip()
        assert "CPU" in tooltip, f"{key}: the device tooltip compares devices"
        assert "GPU" in tooltip, f"{key}: the device tooltip compares devices"


def test_rapid_presses_in_every_tab(qtbot, main_window):
    for key in KEYS:
        tab = _tab(main_window, key)
        _use_small_run(tab)
        for i in range(12):
            tab.start()
            if i % 3 == 0:
                tab.controller.pause(True)
            if i % 2 == 0:
                tab.step()
            tab.toggle()
            if i % 4 == 1:
                tab.reset()
            tab.stop()
        assert not tab.controller.busy, f"{key}: no worker is left running"
        assert tab.form.isEnabled(), f"{key}: settings are unlocked after Stop"


@pytest.mark.slow
def test_fifty_window_cycles(qtbot, tmp_path, monkeypatch):
    # Each cycle opens a window with one tab, so that 50 windows stay affordable,
    # starts a run, presses buttons quickly and closes the window while the run
    # is going.
    from PySide6.QtCore import QCoreApplication, QEvent

    import app.main_window
    from app.gui import make_application

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    make_application()
    classes = {cls.key: cls for cls in app.main_window.tab_classes()}
    for cycle in range(50):
        key = KEYS[cycle % len(KEYS)]
        monkeypatch.setattr(
            app.main_window, "tab_classes", lambda chosen=classes[key]: [chosen]
        )
        window = app.main_window.MainWindow(probe_torch=False)
        window.show()
        tab = _tab(window, key)
        _use_small_run(tab)
        tab.start()
        if cycle % 3 == 0:
            tab.step()
        if cycle % 2 == 0:
            tab.stop()
            tab.start()
        window.close()
        assert not tab.controller.busy, f"cycle {cycle}: closing left {key} running"
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


OUTLIVING_WORKER_SCRIPT = """
import gc
import time

from app.gui import make_application
from app.worker import RunController, wait_for_worker_threads

class SlowBuiltRun:
    total_steps = 1
    step = 0

    def steps(self):
        yield {}

    def snapshot(self):
        return {}

def build():
    time.sleep(1.0)
    return SlowBuiltRun()

application = make_application()
controller = RunController()
controller.start(build)
assert not controller.stop(timeout_ms=50), "the build outlasts the time-out"
del controller
gc.collect()
assert wait_for_worker_threads(10_000), "the worker ends after its build"
"""


def test_stop_timeout_does_not_abort():
    # In a process of its own, because the test fixtures hold every worker thread,
    # which would hide the abort. Deleting a controller whose stop timed out
    # dropped the last reference to a running QThread, and Qt aborts then.
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", OUTLIVING_WORKER_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"exit code {result.returncode}: {result.stderr}"
