"""The three sampling tabs under pytest-qt: real samplers in a worker thread."""

import math
import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer

TIMEOUT_MS = 60_000


def _tab(main_window, key):
    tab = next(t for t in main_window.tab_instances() if getattr(t, "key", "") == key)
    main_window.tabs.setCurrentWidget(tab)
    return tab


def _run_to_end(qtbot, tab, **values):
    """Apply settings, press Start and wait until the worker has ended."""
    tab.form.set_values(values)
    tab.start()
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)


def _curve_points(item):
    x, _ = item.getData()
    return 0 if x is None else len(x)


class HalfwayProbe:
    """Hold the worker halfway through a run until a GUI-thread timer releases it,
    and record which threads ran the steps and how large each snapshot was.

    ``wrap`` wraps a tab's run factory. The wrapped run waits at its middle step
    until ``poll``, called by a timer on the GUI thread, releases it. A window whose
    event loop stalls while a run is in progress (sampling on the GUI thread, or a
    GUI thread that waits for the worker) cannot release it, so after
    ``RELEASE_SECONDS`` the run goes on with ``released_in_time`` False.
    """

    RELEASE_SECONDS = 60.0

    def __init__(self):
        self.step_threads: set[int] = set()
        self.reached_halfway = False
        self.released_in_time = False
        self.waiting = threading.Event()
        self.released = threading.Event()
        self.largest_snapshot = 0

    def wrap(self, factory):
        def build():
            run = factory()
            steps = run.steps

            def probed_steps():
                for record in steps():
                    self.step_threads.add(threading.get_ident())
                    if not self.reached_halfway and run.step >= run.total_steps // 2:
                        self.reached_halfway = True
                        self.waiting.set()
                        self.released_in_time = self.released.wait(self.RELEASE_SECONDS)
                        self.waiting.clear()
                    yield record

            run.steps = probed_steps
            return run

        return build

    def poll(self):
        if self.waiting.is_set():
            self.released.set()

    def on_progressed(self, progress):
        size = sum(
            np.asarray(value).size
            for value in progress.snapshot.values()
            if isinstance(value, (np.ndarray, list, tuple))
        )
        self.largest_snapshot = max(self.largest_snapshot, size)


def test_tabs_come_before_gan(main_window):
    titles = [tab.title for tab in main_window.tab_instances()]
    expected = ["Inverse transform", "Rejection", "Metropolis-Hastings", "GAN"]
    assert titles[:4] == expected, f"sampling tabs should lead, got {titles}"


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("inverse", {"mode": "bulk", "samples": 5000}),
        ("rejection", {"mode": "bulk", "proposals": 5000}),
        ("mh", {"mode": "bulk", "iterations": 600, "burn_in": 100}),
    ],
)
def test_start_draws_snapshots(qtbot, main_window, key, values):
    tab = _tab(main_window, key)
    tab.form.set_values(values)
    with qtbot.waitSignal(tab.controller.progressed, timeout=TIMEOUT_MS):
        tab.controls.start_button.click()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    run = tab.controller.run
    assert run.step == run.total_steps, "the run should end at its last step"
    assert tab.export_button.isEnabled(), "a finished run can be exported"
    if key == "inverse":
        assert _curve_points(tab.cdf_view.cdf) == 400, "the CDF should be drawn"
        assert _curve_points(tab.cdf_view.latest) == 4, "one projection u -> x"
        _, heights = tab.histogram_view.histogram.getData()
        assert heights is not None and heights.sum() > 0, "histogram should fill"
        assert "5,000 samples" in tab.caption.text(), tab.caption.text()
        assert "closed-form" in tab.caption.text(), "normal has a closed-form F⁻¹"
    elif key == "rejection":
        darts = len(tab.dart_view.accepted.data) + len(tab.dart_view.rejected.data)
        assert darts == 3000, f"the latest 3000 darts should be drawn, got {darts}"
        assert _curve_points(tab.dart_view.envelope) == 400, "envelope drawn"
        assert not tab.warning_row.isVisible(), "a computed M needs no warning"
        assert "1/M" in tab.caption.text(), tab.caption.text()
        rates = _curve_points(tab.rate_plot.curve)
        assert rates == 50, f"a rate after each of the 50 steps, got {rates}"
    else:
        assert tab.chain_view.image.image is not None, "2-D target as a heat map"
        assert tab.chain_view.image.image.shape == (120, 120), "grid of the run"
        x, _ = tab.trace_view.curves[0][0].getData()
        assert x is not None and len(x) == 500, "trace of the 500 kept draws"
        assert "R̂" in tab.caption.text(), "R-hat should be shown"
        assert "ESS" in tab.caption.text(), "ESS should be shown"


def test_inverse_step_draws_one_u(qtbot, main_window):
    tab = _tab(main_window, "inverse")
    tab.form.set_value("mode", "animate")
    with qtbot.waitSignal(tab.controller.progressed, timeout=TIMEOUT_MS) as blocker:
        tab.controls.step_button.click()
    assert blocker.args[0].snapshot["n"] == 1, "Step should draw exactly one u"
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    assert tab.controller.run.step == 1, "Step from idle should do one step"
    assert _curve_points(tab.cdf_view.latest) == 4, "the u should be projected"
    with qtbot.waitSignal(tab.controller.progressed, timeout=TIMEOUT_MS) as blocker:
        tab.controls.step_button.click()
    assert blocker.args[0].snapshot["n"] == 2, "a second Step draws a second u"
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)


@pytest.mark.parametrize("key", ["rejection", "mh"])
def test_step_advances_one(qtbot, main_window, key):
    tab = _tab(main_window, key)
    tab.form.set_value("mode", "animate")
    tab.step()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert tab.controller.run.step == 1, "Step should do one step"
    tab.step()
    qtbot.waitUntil(lambda: tab.controller.run.step == 2, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)


def test_pause_step_speed_stop_reset(qtbot, main_window):
    tab = _tab(main_window, "mh")
    tab.form.set_values({"mode": "animate", "iterations": 100_000})
    tab.speed.set_speed(5)
    tab.start()
    qtbot.waitUntil(
        lambda: tab.controller.run is not None and tab.controller.run.step >= 1,
        timeout=TIMEOUT_MS,
    )
    tab.controls.pause_button.click()
    assert tab.controller.state == "paused", "Pause should pause"
    held = tab.controller.run.step
    tab.controls.step_button.click()
    qtbot.waitUntil(lambda: tab.controller.run.step >= held + 1, timeout=TIMEOUT_MS)
    # A step already under way when Pause was pressed may still finish.
    assert tab.controller.run.step <= held + 2, "Step while paused does one step"

    # Resume with no speed limit: the run must speed up at once.
    tab.speed.set_speed(None)
    tab.controls.pause_button.click()
    qtbot.waitUntil(lambda: tab.controller.run.step > held + 200, timeout=TIMEOUT_MS)
    tab.controls.stop_button.click()
    assert tab.controller.state == "stopped", "Stop should keep the run"
    assert not tab.controller.busy, "Stop should end the worker"
    tab.controls.reset_button.click()
    assert tab.controller.run is None, "Reset should drop the run"
    assert tab.controller.state == "idle", "Reset should return to idle"
    assert len(tab.chain_view.states.data) == 0, "Reset should clear the chains"
    assert _curve_points(tab.trace_view.curves[0][0]) == 0, "and the traces"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"kind": "density", "target": "__import__('os').system('true')"},
            "named math functions",
        ),
        ({"kind": "density", "target": "exp(-x^2"}, "column"),
        ({"kind": "density", "target": "x.real"}, "attribute"),
        ({"kind": "density", "target": "exp(-y^2)"}, "Metropolis-Hastings"),
        ({"kind": "distribution", "target": "gauss(0, 1)"}, "unknown distribution"),
        (
            {"kind": "density", "target": "x - 1", "low": "0", "high": "2"},
            "negative",
        ),
        (
            {"kind": "density", "target": "1/x", "low": "0", "high": "1"},
            "x = 0",
        ),
        ({"kind": "density", "target": "exp(-x^2)", "low": "5", "high": "1"}, "low"),
    ],
)
def test_bad_target_keeps_plot(qtbot, main_window, values, expected):
    tab = _tab(main_window, "inverse")
    _run_to_end(qtbot, tab, mode="bulk", samples=2000)
    _, before = tab.histogram_view.histogram.getData()
    assert before is not None and before.sum() > 0, "the first run should draw"

    errors = []
    tab.error_occurred.connect(errors.append)
    tab.form.set_values(values)
    tab.start()
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    assert expected in errors[-1], f"message should name the problem: {errors[-1]}"
    inline = tab.form.field_error("target")
    assert expected in inline, f"the field should show the problem: {inline!r}"
    assert expected in main_window.error_label.text(), "the status bar shows it"
    _, after = tab.histogram_view.histogram.getData()
    assert np.array_equal(before, after), "the previous histogram must stay"

    # A good target clears the message.
    tab.form.set_values({"kind": "distribution"})
    tab.form.set_value("target", "gamma(3, 1)")
    _run_to_end(qtbot, tab)
    assert tab.form.field_error("target") == "", "a good run clears the message"


def test_typed_cdf_uses_numerical_inversion(qtbot, main_window):
    tab = _tab(main_window, "inverse")
    tab.form.set_value("kind", "CDF")
    tab.form.set_values({"target": "1 - exp(-x)", "low": "0", "high": "30"})
    _run_to_end(qtbot, tab, mode="bulk", samples=20_000)
    text = tab.caption.text()
    assert "numerical inversion" in text, f"a typed CDF is inverted numerically: {text}"
    statistic = tab.controller.run.run.snapshot()["ks_statistic"]
    # sqrt(n) D stays below 1.95 with probability 0.999 for samples from F.
    assert statistic * math.sqrt(20_000) < 1.95, f"KS distance too large: {statistic}"


def test_singular_density_frames_finite_range(qtbot, main_window):
    tab = _tab(main_window, "inverse")
    tab.form.set_value("target", "beta(0.5, 0.5)")
    _run_to_end(qtbot, tab, mode="bulk", samples=5000)
    (x_low, x_high), (y_low, y_high) = tab.histogram_view.plot_item.viewRange()
    ranges = [x_low, x_high, y_low, y_high]
    assert all(math.isfinite(v) for v in ranges), f"view range {ranges}"
    assert y_high < 50, f"the infinite density must not stretch the view: {y_high}"


def test_small_m_warns_and_use_m_fixes(qtbot, main_window):
    tab = _tab(main_window, "rejection")
    tab.form.set_value("proposal", "laplace")
    _run_to_end(
        qtbot, tab, mode="bulk", proposals=5000, m_mode="by hand", m=1.1, seed=3
    )
    snapshot = tab.controller.run.run.snapshot()
    assert not snapshot["envelope_ok"], "M = 1.1 is below sqrt(2e/pi) = 1.3155"
    assert tab.warning_row.isVisible(), "a too-small M should be flagged"
    assert "too small" in tab.m_warning.text(), tab.m_warning.text()
    shaded = [region for region in tab.dart_view.regions if region.isVisible()]
    assert len(shaded) == 2, "p > M q on two intervals around the peak"
    low, high = shaded[0].getRegion()
    assert -1.7 < low < high < -0.3, f"left interval [{low:.3f}, {high:.3f}]"

    # The offered M is the numerical maximum of p/q times 1.01, rounded up.
    required = snapshot["m_required"]
    assert abs(required - 1.01 * math.sqrt(2 * math.e / math.pi)) < 1e-6, required
    offered = math.ceil(required * 1e4) / 1e4
    assert tab.use_m_button.text() == f"Use M = {offered:g}", tab.use_m_button.text()
    tab.use_m_button.click()
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    assert tab.form.value("m") == pytest.approx(offered), "the field should hold M"
    snapshot = tab.controller.run.run.snapshot()
    assert snapshot["envelope_ok"], "the new run should use a valid envelope"
    assert snapshot["m"] == pytest.approx(offered), "and run with the offered M"
    assert not tab.warning_row.isVisible(), "the warning should go away"
    assert not any(r.isVisible() for r in tab.dart_view.regions), "no shading"


def test_unbounded_ratio_is_refused(qtbot, main_window):
    tab = _tab(main_window, "rejection")
    errors = []
    tab.error_occurred.connect(errors.append)
    tab.form.set_value("target", "cauchy(0, 1)")
    tab.form.set_value("proposal", "normal")
    tab.start()
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    assert "unbounded" in errors[-1], f"the refusal should say why: {errors[-1]}"
    assert "unbounded" in tab.form.field_error("proposal"), "under the proposal"
    assert tab.controller.run is None, "no run should be kept"


def test_export_writes_npy_and_csv(qtbot, main_window, tmp_path):
    tab = _tab(main_window, "inverse")
    _run_to_end(qtbot, tab, mode="bulk", samples=1234)
    tab.export_samples(tmp_path / "inverse.npy")
    tab.export_samples(tmp_path / "inverse.csv")
    array = np.load(tmp_path / "inverse.npy")
    assert array.shape == (1234,), f"one value per sample, got {array.shape}"
    table = np.loadtxt(tmp_path / "inverse.csv", delimiter=",", skiprows=1)
    assert table.shape == (1234,), f"one CSV row per sample, got {table.shape}"
    assert np.array_equal(table, array), "CSV and NPY should hold the same values"
    assert (tmp_path / "inverse.csv").read_text().startswith("x\n"), "CSV header"
    leftovers = [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    assert not leftovers, f"temporary files should be renamed: {leftovers}"


def test_mh_export_keeps_chains(qtbot, main_window, tmp_path):
    tab = _tab(main_window, "mh")
    _run_to_end(qtbot, tab, mode="bulk", chains=3, iterations=300, burn_in=100)
    tab.export_samples(tmp_path / "mh.npy")
    tab.export_samples(tmp_path / "mh.csv")
    array = np.load(tmp_path / "mh.npy")
    assert array.shape == (3, 200, 2), f"(chains, kept, dim), got {array.shape}"
    lines = (tmp_path / "mh.csv").read_text().splitlines()
    assert lines[0] == "chain,draw,x,y", f"CSV header, got {lines[0]!r}"
    table = np.loadtxt(tmp_path / "mh.csv", delimiter=",", skiprows=1)
    assert table.shape == (600, 4), f"one row per draw, got {table.shape}"
    assert np.array_equal(table[:, 2:], array.reshape(-1, 2)), "same draws"
    assert tab.samples().shape == (600, 2), "samples() pools the chains"


def test_export_refused_while_running(qtbot, main_window, tmp_path):
    tab = _tab(main_window, "inverse")
    tab.form.set_values({"mode": "animate", "samples": 100_000})
    tab.speed.set_speed(5)
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.run is not None, timeout=TIMEOUT_MS)
    assert not tab.export_button.isEnabled(), "no export while the worker runs"
    with pytest.raises(ValueError, match="stop the run"):
        tab.export_samples(tmp_path / "busy.npy")
    tab.stop()
    assert not (tmp_path / "busy.npy").exists(), "nothing should be written"


def test_same_seed_repeats(qtbot, main_window):
    tab = _tab(main_window, "rejection")
    results = []
    for _ in range(2):
        _run_to_end(qtbot, tab, mode="bulk", proposals=3000, seed=11)
        results.append(tab.samples())
        tab.reset()
    assert np.array_equal(results[0], results[1]), "same seed, same samples"


def test_mh_switches_between_1d_and_2d(qtbot, main_window):
    tab = _tab(main_window, "mh")
    spec = "mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))"
    tab.form.set_value("target", spec)
    _run_to_end(qtbot, tab, mode="bulk", iterations=400, burn_in=50)
    assert tab.chain_view.dim == 1, "a 1-D target gets the 1-D view"
    assert tab.chain_view.histogram.isVisible(), "histogram against the target"
    assert not tab.chain_view.image.isVisible(), "no heat map in 1-D"
    assert tab.trace_view.dim == 1, "one trace plot"

    tab.form.set_values({"kind": "density"})
    tab.form.set_value("target", "exp(-(sqrt(x^2 + y^2) - 2)^2 / 0.18)")
    _run_to_end(qtbot, tab)
    assert tab.chain_view.dim == 2, "a density in x and y gets the 2-D view"
    assert tab.chain_view.image.isVisible(), "heat map of the typed density"
    assert tab.trace_view.dim == 2, "two trace plots"
    assert len(tab.chain_view.states.data) == 4, "one current state per chain"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("inverse", {"mode": "bulk", "samples": 1_000_000}),
        (
            "rejection",
            {"mode": "bulk", "proposals": 1_500_000, "proposal": "laplace"},
        ),
        ("mh", {"mode": "bulk", "chains": 100, "iterations": 10_100, "burn_in": 100}),
    ],
)
def test_bulk_million_keeps_window_responsive(
    qtbot, main_window, monkeypatch, key, values
):
    # Behaviour, not wall time: the steps run off the GUI thread, the event loop
    # runs while a run is in progress, and snapshots stay small however many
    # samples there are. Wall-time gaps grow with the load of a shared machine, so
    # a bound on them made this test fail at random.
    tab = _tab(main_window, key)
    tab.form.set_values(values)
    probe = HalfwayProbe()
    monkeypatch.setattr(
        tab, "run_factory", lambda *args: probe.wrap(type(tab).run_factory(tab, *args))
    )
    tab.controller.progressed.connect(probe.on_progressed)
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(probe.poll)
    timer.start()
    try:
        tab.start()
        qtbot.waitUntil(lambda: not tab.controller.busy, timeout=240_000)
    finally:
        timer.stop()
        probe.released.set()

    assert probe.reached_halfway, "the run should reach its middle step"
    assert probe.released_in_time, (
        "the GUI event loop did not run while the worker waited halfway"
    )
    gui_thread = threading.main_thread().ident
    assert probe.step_threads, "the run should have taken steps"
    assert gui_thread not in probe.step_threads, "steps must run off the GUI thread"
    assert tab.controller.state == "stopped", "the bulk run should finish"
    drawn = len(tab.samples())
    if key == "rejection":
        # 1.5 million darts under an envelope with M = 1.33 give about 1.13 million.
        assert drawn > 1_000_000, f"over 10^6 samples expected, got {drawn}"
    else:
        assert drawn == 1_000_000, f"10^6 samples expected, got {drawn}"
    # The Metropolis-Hastings trace of 4 shown chains is the largest array, 80,000
    # numbers; the samples themselves must not reach the GUI thread.
    assert 0 < probe.largest_snapshot <= 120_000, (
        f"a snapshot carried {probe.largest_snapshot:,} numbers"
    )


def test_space_toggles_but_not_in_text_field(qtbot, main_window):
    from PySide6.QtCore import Qt

    tab = _tab(main_window, "inverse")
    tab.form.set_values({"mode": "animate", "samples": 100_000})
    tab.speed.set_speed(5)
    editor = tab.form.controls["target"].lineEdit()
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus, timeout=5000)
    editor.selectAll()
    qtbot.keyClicks(editor, "normal(0, 2)")
    qtbot.keyClick(editor, Qt.Key.Key_Space)
    assert tab.controller.run is None, "a space typed in a field must not start"
    assert editor.text().endswith(" "), "the space should reach the field"
    main_window.space_shortcut.activated.emit()
    qtbot.waitUntil(lambda: tab.controller.state == "running", timeout=TIMEOUT_MS)
    main_window.space_shortcut.activated.emit()
    assert tab.controller.state == "paused", "Space pauses a running run"
    tab.stop()


def test_close_while_running_joins_thread(qtbot, main_window):
    tab = _tab(main_window, "mh")
    tab.form.set_values({"mode": "animate", "iterations": 100_000})
    tab.speed.set_speed(None)
    tab.start()
    qtbot.waitUntil(
        lambda: tab.controller.run is not None and tab.controller.run.step > 3,
        timeout=TIMEOUT_MS,
    )
    main_window.close()
    assert not tab.controller.busy, "closing the window should join the worker"


def test_screenshot_finds_tab_by_key(tmp_path):
    from app.screenshot import capture_window

    out = capture_window(
        "mh", tmp_path / "mh.png", data="donut(2, 0.3)", steps=1000, size=(900, 600)
    )
    assert out.exists(), "a PNG should be written"
    assert out.stat().st_size > 10_000, "the PNG should show the window"


def test_rate_history_thins_evenly():
    from app.rejection_tab import RateHistory

    history = RateHistory(limit=8)
    for step in range(1, 101):
        history.add({"proposed": 10 * step, "accepted": 5 * step})
    arrays = history.arrays()
    proposed = arrays["rate_proposed"]
    assert len(proposed) <= 8, f"at most 8 points should be kept, got {len(proposed)}"
    steps = proposed / 10
    assert np.all(steps % history.stride == 0), f"uneven thinning: {steps}"
    assert np.all(np.diff(steps) == history.stride), f"gaps in the history: {steps}"
    assert np.allclose(arrays["rate_history"], 0.5), "rates should be accepted/proposed"


@pytest.mark.parametrize("key", ["inverse", "rejection", "mh"])
def test_repeated_runs_add_no_items(qtbot, main_window, key):
    from pyqtgraph import GraphicsView

    tab = _tab(main_window, key)
    values = {"mode": "bulk", tab.count_key: 1000}
    if key == "mh":
        values["burn_in"] = 100
    _run_to_end(qtbot, tab, **values)
    views = tab.views.findChildren(GraphicsView)
    before = [len(view.scene().items()) for view in views]
    for seed in (1, 2, 3):
        tab.form.set_value("seed", seed)
        _run_to_end(qtbot, tab)
    after = [len(view.scene().items()) for view in views]
    assert after == before, f"scene items grew from {before} to {after}"
