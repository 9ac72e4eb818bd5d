"""Direct (MMD) tab under pytest-qt: the buttons drive a real MMD trainer."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRect

from app.mmd_tab import MmdTab, parse_scales, with_moving_average

TIMEOUT_MS = 60_000


@pytest.fixture
def mmd_tab(main_window):
    tab = next(t for t in main_window.tab_instances() if isinstance(t, MmdTab))
    main_window.tabs.setCurrentWidget(tab)
    return tab


def _use_small_run(tab, data="ring8", steps=100_000):
    tab.form.set_value("data", data)
    tab.form.set_values({"steps": steps, "width": 32, "batch_size": 64})


def test_tab_follows_gan_tab(main_window):
    from app.gan_tab import GanTab

    classes = [type(tab) for tab in main_window.tab_instances()]
    assert MmdTab in classes, "the window should have the MMD tab"
    assert classes.index(MmdTab) == classes.index(GanTab) + 1, "right after GAN"
    assert MmdTab.title == "Direct (MMD)", "tab title"


def test_start_draws_snapshots(qtbot, mmd_tab):
    _use_small_run(mmd_tab, steps=120)
    with qtbot.waitSignal(mmd_tab.controller.progressed, timeout=TIMEOUT_MS):
        mmd_tab.controls.start_button.click()
    qtbot.waitUntil(lambda: mmd_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert mmd_tab.controller.run.step == 120, "run should stop at its step count"

    x, _ = mmd_tab.history_plot.curves["mmd2"].getData()
    assert x is not None and len(x) > 10, "the MMD² curve should hold the history"
    assert x[-1] == 120, f"last plotted step should be 120, got {x[-1]}"
    x, _ = mmd_tab.history_plot.curves["bandwidth"].getData()
    assert x is not None and len(x) > 10, "the bandwidth curve should be drawn"

    points = mmd_tab.data_view.points
    assert len(points.generated.data) == 1000, "all fixed-noise samples are drawn"
    field = points.field.image
    assert field is not None and field.shape == (96, 96), "witness map is drawn"
    low, high = points.colorbar.levels()
    assert low == pytest.approx(-high), "colour levels are symmetric around 0"
    assert high == pytest.approx(np.abs(field).max()), "and fit the largest |f|"
    text = mmd_tab.bandwidth_label.text()
    assert "Kernel bandwidths in use" in text, f"bandwidths are shown: {text}"
    assert mmd_tab.controls.progress.value() == 120, "progress bar should be full"


def _unclipped_rect(widget) -> QRect:
    """Return the part of ``widget`` in screen coordinates that no ancestor clips."""
    unclipped = QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None:
        unclipped &= QRect(parent.mapToGlobal(QPoint(0, 0)), parent.size())
        parent = parent.parentWidget()
    return unclipped


def test_history_shows_last_step(qtbot, main_window, mmd_tab):
    # At the window's default size the plots were once wider than the room they
    # had, so their right ends, with the newest steps, were clipped.
    main_window.resize(1400, 860)
    _use_small_run(mmd_tab, steps=120)
    mmd_tab.start()
    qtbot.waitUntil(lambda: mmd_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: mmd_tab.history_plot.isVisible(), timeout=TIMEOUT_MS)

    view = mmd_tab.history_plot
    unclipped = _unclipped_rect(view)
    for plot in view.plots:
        box = plot.getViewBox()
        (_, x_high), (y_low, y_high) = box.viewRange()
        assert x_high >= 120, f"{plot.titleLabel.text}: x axis ends at {x_high}"
        point = box.mapViewToScene(QPointF(120, (y_low + y_high) / 2))
        screen = view.mapToGlobal(view.mapFromScene(point))
        assert unclipped.contains(screen), (
            f"{plot.titleLabel.text}: step 120 lies at {screen}, outside the "
            f"unclipped part {unclipped} of the plot"
        )


def test_pause_step_and_stop(qtbot, mmd_tab):
    _use_small_run(mmd_tab)
    mmd_tab.start()
    qtbot.waitUntil(
        lambda: mmd_tab.controller.run is not None and mmd_tab.controller.run.step > 5,
        timeout=TIMEOUT_MS,
    )
    mmd_tab.controls.pause_button.click()
    assert mmd_tab.controller.state == "paused", "Pause should pause"
    mmd_tab.controls.pause_button.click()
    assert mmd_tab.controller.state == "running", "Resume should resume"
    resumed_at = mmd_tab.controller.run.step
    qtbot.waitUntil(
        lambda: mmd_tab.controller.run.step > resumed_at + 5, timeout=TIMEOUT_MS
    )
    mmd_tab.controls.stop_button.click()
    assert mmd_tab.controller.state == "stopped", "Stop should stop and keep the run"
    assert not mmd_tab.controller.busy, "Stop should end the worker thread"

    # With no worker running, Step does exactly one step of the kept run.
    held = mmd_tab.controller.run.step
    mmd_tab.controls.step_button.click()
    qtbot.waitUntil(lambda: not mmd_tab.controller.busy, timeout=TIMEOUT_MS)
    assert mmd_tab.controller.run.step == held + 1, "Step should do one step"


def test_space_toggles_run(qtbot, main_window, mmd_tab):
    _use_small_run(mmd_tab)
    main_window._on_space_activated()
    assert mmd_tab.controller.state == "running", "Space should start the run"
    qtbot.waitUntil(lambda: mmd_tab.controller.run is not None, timeout=TIMEOUT_MS)
    main_window._on_space_activated()
    assert mmd_tab.controller.state == "paused", "Space again should pause"
    mmd_tab.stop()


def test_reset_clears_run_and_plots(qtbot, mmd_tab):
    _use_small_run(mmd_tab, steps=40)
    mmd_tab.start()
    qtbot.waitUntil(lambda: mmd_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    mmd_tab.controls.reset_button.click()
    assert mmd_tab.controller.run is None, "Reset should drop the run"
    assert mmd_tab.controller.state == "idle", "Reset should return to idle"
    x, _ = mmd_tab.history_plot.curves["mmd2"].getData()
    assert x is None or len(x) == 0, "Reset should clear the MMD² curve"
    assert len(mmd_tab.data_view.points.generated.data) == 0, "and the samples"
    assert mmd_tab.data_view.points.field.image is None, "and the witness map"


@pytest.mark.parametrize("data", ["gauss1d", "digits"])
def test_other_data_views_update(qtbot, mmd_tab, data):
    _use_small_run(mmd_tab, data=data, steps=10)
    mmd_tab.start()
    qtbot.waitUntil(lambda: mmd_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    view = mmd_tab.data_view
    if data == "digits":
        assert view.currentWidget() is view.images, "digits should show image grids"
        assert mmd_tab.witness_images.isVisible(), "witness digits are shown"
        image = mmd_tab.missing_images.image.image
        assert image is not None, "the under-generated digits are drawn"
    else:
        assert view.currentWidget() is view.histogram, "1-D data shows histograms"
        assert not mmd_tab.witness_images.isVisible(), "no witness digits for 1-D"
        x, y = view.histogram.curve.getData()
        assert len(x) == 200, "the witness curve has one value per grid point"
        assert np.all(np.isfinite(y)), "witness values are finite"


def test_invalid_scales_are_reported(qtbot, mmd_tab):
    errors = []
    mmd_tab.error_occurred.connect(errors.append)
    mmd_tab.form.set_value("bandwidth_scales", "0.5, wide")
    mmd_tab.start()
    assert errors and "bandwidth scales" in errors[-1], f"error shown: {errors}"
    assert mmd_tab.controller.run is None, "no run starts with invalid settings"
    assert not mmd_tab.controller.busy, "and no worker"


def test_close_during_training_joins_thread(qtbot, main_window, mmd_tab):
    _use_small_run(mmd_tab)
    mmd_tab.start()
    qtbot.waitUntil(
        lambda: mmd_tab.controller.run is not None and mmd_tab.controller.run.step > 3,
        timeout=TIMEOUT_MS,
    )
    main_window.close()
    assert not mmd_tab.controller.busy, "closing the window should join the worker"


def test_parse_scales_reads_commas():
    assert parse_scales("0.25, 0.5,1 ,2") == (0.25, 0.5, 1.0, 2.0), "commas"
    with pytest.raises(ValueError, match="numbers separated by commas"):
        parse_scales("a, b")


def test_moving_average_of_history():
    history = {"step": np.arange(1, 5.0), "mmd2": np.array([4.0, 2.0, 0.0, 2.0])}
    mean = with_moving_average(history)["mmd2_mean"]
    assert mean[:2] == pytest.approx([4.0, 3.0]), "short prefix averages"
    assert len(mean) == 4, "one value per row"
