"""The GAN tab's loss comparison, gradient plot and gradient arrows."""

import numpy as np
import torch

from models.gan_compare import LossComparison
from models.gan_config import GENERATOR_LOSSES

TIMEOUT_MS = 60_000


def _use_small_run(tab, data="ring8", steps=100_000):
    tab.form.set_value("data", data)
    tab.form.set_values(
        {"steps": steps, "g_width": 32, "d_width": 32, "batch_size": 64}
    )


def test_compare_runs_both_losses(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=40)
    gan_tab.compare_box.setChecked(True)
    assert gan_tab.comparing, "ticking the box shows the side-by-side views"
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    run = gan_tab.controller.run
    assert isinstance(run, LossComparison), "the run should hold both GANs"
    assert run.step == 40, "the pair stops at its step count"

    for kind in GENERATOR_LOSSES:
        view = gan_tab.compare_views[kind].points
        assert len(view.generated.data) == 1000, f"{kind}: samples drawn"
        assert view.field.image.shape == (96, 96), f"{kind}: D map drawn"
        x, _ = gan_tab.compare_plot.curves[f"{kind}.d_fake"].getData()
        assert x is not None and x[-1] == 40, f"{kind}: D(G(z)) curve drawn"
        x, y = gan_tab.compare_gradient_plot.items[kind].getData()
        assert x is not None and len(x) == 256, f"{kind}: 256 gradient points"
        assert np.all((x >= 0) & (x <= 1)), f"{kind}: D(G(z)) in [0, 1]"
    assert not gan_tab.metrics_panel.isVisible(), "one metrics panel per column"


def test_compare_starts_from_identical_weights(qtbot, gan_tab):
    _use_small_run(gan_tab)
    gan_tab.compare_box.setChecked(True)
    gan_tab.controls.step_button.click()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    run = gan_tab.controller.run
    first, second = (run.trainers[kind] for kind in GENERATOR_LOSSES)

    # Both D updates of step 1 saw the same G and batches, so the Ds still agree.
    for key, value in first.netD.state_dict().items():
        assert torch.equal(value, second.netD.state_dict()[key]), f"D {key} differs"
    assert first.history.last()["d_loss"] == second.history.last()["d_loss"], (
        "same initial weights and batches give the same first D loss"
    )


def test_toggle_during_run_starts_new_run(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=20)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    single = gan_tab.controller.run
    gan_tab.compare_box.setChecked(True)
    assert not gan_tab.comparing, "the kept run's views stay until a new run"
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert gan_tab.controller.run is not single, "Start begins a new run"
    assert isinstance(gan_tab.controller.run, LossComparison), "a comparison"
    assert gan_tab.comparing, "now the side-by-side views show"
    gan_tab.compare_box.setChecked(False)
    gan_tab.reset()
    assert not gan_tab.comparing, "Reset returns to the single views"


def test_single_run_plots_both_gradients(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=30)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    plot = gan_tab.gradient_plot
    d_ns, norm_ns = plot.items["non-saturating"].getData()
    d_sat, norm_sat = plot.items["saturating"].getData()
    assert len(d_ns) == 256 and len(d_sat) == 256, "one point per sample and loss"
    assert np.allclose(d_ns, d_sat), "both losses at the same batch"
    assert plot.getPlotItem().ctrl.logYCheck.isChecked(), "log y axis"
    # Where D rejects a sample, the saturating gradient is the smaller one.
    low = d_ns < 0.5
    assert np.all(norm_sat[low] <= norm_ns[low] * (1 + 1e-6)), "(1 - D) / D > 1"


def test_gradient_arrows_follow_check_box(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=10)
    arrows = gan_tab.data_view.points.arrows
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert not arrows.isVisible(), "arrows are off by default"
    x, y = arrows.getData()
    assert x is not None and len(x) == 128 * 6, "128 arrows of 3 segments"
    gan_tab.arrows_box.setChecked(True)
    assert arrows.isVisible(), "the box shows the arrows"
    gan_tab.arrows_box.setChecked(False)
    assert not arrows.isVisible(), "and hides them"


def test_compare_rapid_cycles_leave_no_thread(qtbot, gan_tab):
    _use_small_run(gan_tab)
    gan_tab.compare_box.setChecked(True)
    for i in range(8):
        gan_tab.start()
        if i % 2 == 0:
            gan_tab.step()
        gan_tab.stop()
        if i % 3 == 0:
            gan_tab.reset()
    assert not gan_tab.controller.busy, "no worker should be left running"


def test_arrow_plot_width_follows_data(gan_tab):
    gan_tab.form.set_value("data", "ring8")
    ring = gan_tab._plot_width(gan_tab.dataset)
    assert ring == gan_tab._plot_width(gan_tab.dataset), "the same data, one width"
    gan_tab.form.set_value("data", "grid25")
    grid = gan_tab._plot_width(gan_tab.dataset)
    assert grid > 3 * ring, f"grid25 spans ±4, ring8 ±1: {grid} vs {ring}"
