"""Plot updates must not leak or drop references to None (a PySide6 6.12.0 bug)."""

import sys

import numpy as np
import pytest


@pytest.mark.skipif(
    sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on"
)
def test_view_updates_keep_none_refcount(qtbot, gan_tab):
    history = {
        key: np.random.default_rng(0).random(100)
        for key in ("d_loss", "g_loss", "d_real", "d_fake")
    }
    history["step"] = np.arange(100.0)
    points = np.random.default_rng(1).normal(size=(500, 2))

    def update():
        gan_tab.loss_plot.set_history(history)
        gan_tab.data_view.points.set_generated(points)
        gan_tab.controls.set_progress(5, 100, 10.0)
        gan_tab.loss_plot.repaint()

    update()
    before = sys.getrefcount(None)
    for _ in range(200):
        update()
    change = sys.getrefcount(None) - before
    assert abs(change) < 50, (
        f"None's reference count moved by {change} over 200 updates; a binding "
        "that drops references to None will abort the process"
    )
