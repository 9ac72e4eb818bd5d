"""Live quality metrics reach the GAN tab's panel, computed off the GUI thread."""

import threading

import pytest

TIMEOUT_MS = 60_000


def _use_small_run(tab, data="ring8", steps=100_000):
    tab.form.set_value("data", data)
    tab.form.set_values(
        {"steps": steps, "g_width": 32, "d_width": 32, "batch_size": 64}
    )


def _row_labels(panel):
    return [label for label, _, _ in panel.rows]


def test_ring_metrics_reach_panel(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=300)
    panel = gan_tab.metrics_panel
    assert panel.step is None, "no metrics before a run"
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.step == 300, timeout=TIMEOUT_MS)
    labels = _row_labels(panel)
    assert labels == ["Modes captured", "High-quality samples", "MMD²"], labels
    modes = dict((label, real) for label, _, real in panel.rows)["Modes captured"]
    assert modes == "8 / 8", f"held-out real data covers all 8 modes, got {modes}"
    assert "step 300" in panel.text(), "the panel names the step of its values"


def test_metrics_are_computed_in_worker_thread(qtbot, gan_tab, monkeypatch):
    from models.live_metrics import LiveMetrics

    threads = []
    original = LiveMetrics.update

    def recording_update(self, *args, **kwargs):
        threads.append(threading.current_thread())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LiveMetrics, "update", recording_update)
    _use_small_run(gan_tab, steps=50)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert threads, "the snapshots should ask for metrics"
    main = threading.main_thread()
    assert all(thread is not main for thread in threads), (
        "metrics must never run on the GUI thread"
    )


def test_running_metrics_use_own_thread(qtbot, gan_tab, monkeypatch):
    from models.live_metrics import LiveMetrics

    threads = []
    original = LiveMetrics._evaluate

    def recording_evaluate(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LiveMetrics, "_evaluate", recording_evaluate)
    _use_small_run(gan_tab)
    gan_tab.start()
    try:
        qtbot.waitUntil(
            lambda: gan_tab.metrics_panel.step is not None, timeout=TIMEOUT_MS
        )
    finally:
        gan_tab.stop()
    assert threads, "the running worker should have asked for metrics"
    assert threads[0].startswith("live-metrics"), (
        f"metrics of a running run belong to their own thread, not {threads[0]}"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("gauss1d", ["KS statistic", "Wasserstein-1", "MMD²"]),
        (
            "digits",
            [
                "Classes covered",
                "Confident digits",
                "Inception score",
                "KID",
                "MMD²",
            ],
        ),
    ],
)
def test_other_data_show_their_metrics(qtbot, gan_tab, data, expected):
    _use_small_run(gan_tab, data=data, steps=20)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    panel = gan_tab.metrics_panel
    qtbot.waitUntil(lambda: panel.step == 20, timeout=TIMEOUT_MS)
    assert _row_labels(panel) == expected, f"{data}: {panel.rows}"
    for label, generated, real in panel.rows:
        assert generated not in ("", "–"), f"{data}: {label} has no value"
        assert real not in ("", "–"), f"{data}: {label} has no real-data value"


def test_reset_clears_panel(qtbot, gan_tab):
    _use_small_run(gan_tab, steps=30)
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: gan_tab.metrics_panel.step == 30, timeout=TIMEOUT_MS)
    gan_tab.controls.reset_button.click()
    assert gan_tab.metrics_panel.step is None, "Reset should clear the metrics"
    assert gan_tab.metrics_panel.rows == [], "and their rows"
