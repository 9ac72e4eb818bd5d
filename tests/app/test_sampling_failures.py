"""Sampling tabs: stuck Metropolis-Hastings chains, failed runs and progress units."""

import numpy as np
import pytest

TIMEOUT_MS = 60_000

# exp(x^2) overflows for |x| > 26.6, so 0 * exp(x^2) turns the density NaN there.
OVERFLOWING_DENSITY = {
    "kind": "density",
    "target": "exp(-(x^2 + y^2)/2) + 0*exp(x^2)",
    "low": "-100",
    "high": "100",
    "y_low": "-100",
    "y_high": "100",
}


def _tab(main_window, key):
    tab = next(t for t in main_window.tab_instances() if getattr(t, "key", "") == key)
    main_window.tabs.setCurrentWidget(tab)
    return tab


def _run_to_end(qtbot, tab, **values):
    tab.form.set_values(values)
    tab.start()
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)


def _status(main_window):
    return main_window.statusBar().currentMessage()


def test_mh_stuck_chains_warn(qtbot, main_window):
    tab = _tab(main_window, "mh")
    _run_to_end(qtbot, tab, mode="bulk", iterations=2000, burn_in=100, step_size=1e4)
    warning = tab.stuck_label.text()
    assert tab.stuck_label.isVisible(), "stuck chains must be flagged"
    assert "All 4 chains are stuck" in warning, warning
    assert "acceptance rate 0.000" in warning, warning
    assert "s = 10000" in warning, f"the warning names the step size: {warning}"
    assert "acceptance 0.000" in tab.caption.text(), "the caption shows the rate"

    # A good step size clears the warning.
    _run_to_end(qtbot, tab, step_size=1.0)
    assert not tab.stuck_label.isVisible(), "mixing chains need no warning"


def test_mh_progress_counts_iterations(qtbot, main_window):
    tab = _tab(main_window, "mh")
    _run_to_end(qtbot, tab, mode="bulk", iterations=2000, burn_in=100)
    progress = tab.controls.progress.text()
    assert progress == "iteration 2000 of 2000", f"progress bar: {progress!r}"
    status = _status(main_window)
    assert "finished 2,000 iterations" in status, f"status bar: {status!r}"


@pytest.mark.parametrize(
    ("key", "values", "expected"),
    [
        ("inverse", {"mode": "bulk", "samples": 3001}, "sample 3001 of 3001"),
        ("rejection", {"mode": "bulk", "proposals": 3001}, "proposal 3001 of 3001"),
    ],
)
def test_progress_counts_setting(qtbot, main_window, key, values, expected):
    tab = _tab(main_window, key)
    _run_to_end(qtbot, tab, **values)
    progress = tab.controls.progress.text()
    assert progress == expected, f"progress bar: {progress!r}"


def test_failed_first_step_keeps_views(qtbot, main_window):
    tab = _tab(main_window, "mh")
    _run_to_end(qtbot, tab, mode="bulk", iterations=2000, burn_in=100)
    caption = tab.caption.text()
    trace = tab.trace_view.curves[0][0].getData()[1].copy()

    errors = []
    tab.error_occurred.connect(errors.append)
    tab.form.set_values(OVERFLOWING_DENSITY)
    _run_to_end(qtbot, tab, step_size=30.0)
    assert errors and "NaN" in errors[-1], f"the error is shown: {errors}"
    assert "NaN" in main_window.error_label.text(), "the status bar shows it"
    status = _status(main_window)
    assert "sampling" not in status, f"status still says sampling: {status!r}"
    assert "stopped by an error" in status, f"status names the failure: {status!r}"
    assert "views are unchanged" in status, f"status says what they show: {status!r}"
    assert tab.controller.state == "stopped", "the worker has ended"
    assert tab.controls.start_button.isEnabled(), "Start is enabled again"
    assert tab.caption.text() == caption, "the previous caption stays"
    after = tab.trace_view.curves[0][0].getData()[1]
    assert np.array_equal(after, trace), "the previous trace stays"


def test_failed_mid_run_keeps_views(qtbot, main_window):
    tab = _tab(main_window, "mh")
    tab.form.set_values(OVERFLOWING_DENSITY)
    tab.form.set_values(
        {"mode": "animate", "iterations": 100_000, "burn_in": 0, "step_size": 8.0}
    )

    # One step draws iteration 1, then Start runs on until the density fails.
    tab.step()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert tab.controller.run.step == 1, "the first step should succeed"
    errors = []
    tab.error_occurred.connect(errors.append)
    tab.speed.set_speed(None)
    tab.start()
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    failed_run = tab.controller.run
    assert "NaN" in errors[-1], f"the error is shown: {errors}"
    status = _status(main_window)
    assert "stopped by an error" in status, f"status bar: {status!r}"
    assert tab.controller.state == "stopped", "the run is kept for export"
    assert tab.controls.start_button.isEnabled(), "Start is enabled again"
    drawn = tab.controls.progress.value()
    assert f"iteration {drawn:,}," in status, f"status names the drawn step: {status}"
    caption = tab.caption.text()
    assert f"Iteration {drawn:,} of" in caption, f"caption of that step: {caption}"

    # Step begins a new run instead of continuing the failed one.
    tab.step()
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)
    assert tab.controller.run is not failed_run, "a new run after the failure"
    assert tab.controller.run.step == 1, "the new run starts at step 0"
