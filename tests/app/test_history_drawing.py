"""Loss histories draw at a cost set by the plot's width, and in one paint."""

import numpy as np

STEPS = 20_000


def _noisy_history(rng):
    steps = np.arange(1, STEPS + 1, dtype=float)
    history = {"step": steps}
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
        history[key] = 0.5 + 0.05 * rng.standard_normal(STEPS)
    return history


def _shown_loss_plot(qtbot):
    from widgets.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(300, 400)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def test_long_loss_keeps_band_in_fewer_points(qtbot):
    from widgets.plot_helpers import apply_pending_ranges

    history = _noisy_history(np.random.default_rng(0))
    history["g_loss"][12_345] = 3.0
    history["g_loss"][7_000] = -2.0
    plot = _shown_loss_plot(qtbot)
    plot.set_history(history)
    apply_pending_ranges(plot)

    x, y = plot.g_loss_curve.getData()
    assert len(x) < STEPS / 4, f"{len(x)} of {STEPS} steps drawn for 300 pixels"
    assert np.nanmax(y) == 3.0, "the bin with the spike keeps its maximum"
    assert np.nanmin(y) == -2.0, "the bin with the dip keeps its minimum"
    assert x[-1] > STEPS * 0.99, f"the curve reaches the last step, got {x[-1]}"


def test_pending_ranges_applied_before_paint(qtbot):
    from widgets.plot_helpers import apply_pending_ranges

    plot = _shown_loss_plot(qtbot)
    plot.set_history(_noisy_history(np.random.default_rng(1)))
    apply_pending_ranges(plot)

    (low, high), _ = plot.loss_plot.viewRange()
    assert high >= STEPS, f"the step axis reaches {high}, before any paint"
    assert low <= 1, f"the step axis starts at {low}"
