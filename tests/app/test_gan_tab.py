"""GAN tab under pytest-qt: the buttons drive a real trainer in a worker thread."""

import numpy as np
import pytest

from models.runs import NonFiniteError

TIMEOUT_MS = 60_000


def _use_small_run(tab, data="ring8", steps=100_000):
    tab.form.set_value("data", data)
    tab.form.set_values(
        {"steps": steps, "g_width": 32, "d_width": 32, "batch_size": 64}
    )


def test_start_draws_snapshots(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=200)
    with qtbot.waitSignal(gan_tab.controller.progressed, timeout=TIMEOUT_MS):
        gan_tab.controls.start_button.click()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert gan_tab.controller.run.step == 200, "run should stop at its step count"
    x, y = gan_tab.loss_plot.g_loss_curve.getData()
    assert x is not None and len(x) > 10, "the G loss curve should hold the history"
    assert x[-1] == 200, f"last plotted step should be 200, got {x[-1]}"
    points = gan_tab.data_view.points.generated.data
    assert len(points) == 1000, "all fixed-noise samples should be drawn"
    field = gan_tab.data_view.points.field.image
    assert field is not None and field.shape == (96, 96), "D heat map should be drawn"
    assert gan_tab.controls.progress.value() == 200, "progress bar should be full"


def test_pause_holds_and_step_advances_one(qtbot, gan_tab):
    _use_small_run(gan_tab)
    gan_tab.start()
    qtbot.waitUntil(
        lambda: gan_tab.controller.run is not None and gan_tab.controller.run.step > 5,
        timeout=TIMEOUT_MS,
    )
    gan_tab.controls.pause_button.click()
    assert gan_tab.controller.state == "paused", "Pause should pause"
    with qtbot.waitSignal(gan_tab.controller.progressed, timeout=TIMEOUT_MS):
        pass
    held = gan_tab.controller.run.step
    qtbot.wait(200)  # a fixed wait: the run must not advance meanwhile
    assert gan_tab.controller.run.step == held, "a paused run must not advance"
    with qtbot.waitSignal(gan_tab.controller.progressed, timeout=TIMEOUT_MS) as blocker:
        gan_tab.controls.step_button.click()
    assert blocker.args[0].step == held + 1, "Step should do exactly one step"
    gan_tab.controls.pause_button.click()
    assert gan_tab.controller.state == "running", "Resume should resume"
    qtbot.waitUntil(lambda: gan_tab.controller.run.step > held + 5, timeout=TIMEOUT_MS)
    gan_tab.controls.stop_button.click()
    assert gan_tab.controller.state == "stopped", "Stop should stop and keep the run"


def test_step_from_idle_builds_run(qtbot, gan_tab):
    _use_small_run(gan_tab)
    gan_tab.controls.step_button.click()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert gan_tab.controller.run.step == 1, "Step from idle should do one step"
    gan_tab.controls.step_button.click()
    qtbot.waitUntil(lambda: gan_tab.controller.run.step == 2, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not gan_tab.controller.busy, timeout=TIMEOUT_MS)


def test_stop_while_paused(qtbot, gan_tab):
    _use_small_run(gan_tab)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.run is not None, timeout=TIMEOUT_MS)
    gan_tab.controller.pause(True)
    gan_tab.controls.stop_button.click()
    assert not gan_tab.controller.busy, "Stop while paused should end the thread"
    assert gan_tab.controller.state == "stopped", "the run should be kept"


def test_stop_then_start_continues(qtbot, gan_tab):
    _use_small_run(gan_tab)
    gan_tab.start()
    qtbot.waitUntil(
        lambda: gan_tab.controller.run is not None and gan_tab.controller.run.step > 10,
        timeout=TIMEOUT_MS,
    )
    gan_tab.stop()
    run = gan_tab.controller.run
    stopped_at = run.step
    gan_tab.start()
    qtbot.waitUntil(lambda: run.step > stopped_at + 5, timeout=TIMEOUT_MS)
    gan_tab.stop()
    assert gan_tab.controller.run is run, "Start after Stop should continue the run"


def test_reset_clears_run_and_plots(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=50)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    gan_tab.controls.reset_button.click()
    assert gan_tab.controller.run is None, "Reset should drop the run"
    assert gan_tab.controller.state == "idle", "Reset should return to idle"
    x, _ = gan_tab.loss_plot.g_loss_curve.getData()
    assert x is None or len(x) == 0, "Reset should clear the loss curves"
    assert len(gan_tab.data_view.points.generated.data) == 0, "and the samples"


def test_same_seed_repeats_after_reset(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=30)
    losses = []
    for _ in range(2):
        gan_tab.start()
        qtbot.waitUntil(
            lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS
        )
        losses.append(gan_tab.controller.run.history.as_dict()["g_loss"])
        gan_tab.reset()
    assert np.array_equal(losses[0], losses[1]), "same seed should repeat the run"


def test_close_during_training_joins_thread(qtbot, main_window, gan_tab):
    _use_small_run(gan_tab)
    gan_tab.start()
    qtbot.waitUntil(
        lambda: gan_tab.controller.run is not None and gan_tab.controller.run.step > 3,
        timeout=TIMEOUT_MS,
    )
    main_window.close()
    assert not gan_tab.controller.busy, "closing the window should join the worker"


def test_nan_loss_stops_with_message(qtbot, gan_tab, monkeypatch):
    from models.gan import GanTrainer

    original = GanTrainer.train_step

    def failing_step(self):
        if self.step == 7:
            raise NonFiniteError("the generator loss became nan at step 8")
        return original(self)

    monkeypatch.setattr(GanTrainer, "train_step", failing_step)
    _use_small_run(gan_tab)
    errors = []
    gan_tab.error_occurred.connect(errors.append)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert errors and "nan" in errors[-1], f"the failure should be shown: {errors}"
    window = gan_tab.window()
    assert "nan" in window.error_label.text(), "the status bar should show it"
    assert gan_tab.controller.run.step == 7, "weights of the last good step are kept"


def test_factory_error_is_shown(qtbot, gan_tab, monkeypatch):
    import app.gan_tab as gan_tab_module

    def broken(config, dataset=None):
        raise RuntimeError("simulated failure while building")

    monkeypatch.setattr(gan_tab_module, "build_gan_trainer", broken)
    errors = []
    gan_tab.error_occurred.connect(errors.append)
    gan_tab.start()
    qtbot.waitUntil(lambda: not gan_tab.controller.busy, timeout=TIMEOUT_MS)
    assert errors and "simulated failure" in errors[-1], "the error should be shown"
    assert gan_tab.controller.state == "idle", "no run should be kept"


@pytest.mark.parametrize("data", ["gauss1d", "digits"])
def test_other_data_views_update(qtbot, gan_tab, data):
    _use_small_run(gan_tab, data=data, steps=20)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    view = gan_tab.data_view
    if data == "digits":
        assert view.currentWidget() is view.images, "digits should show image grids"
        image = view.generated_images.image.image
        assert image is not None and image.shape[:2] == (71, 71), "8x8 grid of 8x8"
    else:
        assert view.currentWidget() is view.histogram, "1-D data shows histograms"
        x, y = view.histogram.curve.getData()
        assert len(x) == 200 and np.all((y >= 0) & (y <= 1)), "D(x) in [0, 1]"


def test_rapid_start_stop_cycles(qtbot, main_window, gan_tab):
    _use_small_run(gan_tab)
    for i in range(20):
        gan_tab.start()
        if i % 3 == 0:
            gan_tab.controller.pause(True)
        if i % 5 == 0:
            gan_tab.step()
        gan_tab.stop()
        if i % 4 == 0:
            gan_tab.reset()
    assert not gan_tab.controller.busy, "no worker should be left running"
