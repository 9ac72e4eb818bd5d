"""The rejection tab's proposals and envelope diagnostics under pytest-qt."""

import math

TIMEOUT_MS = 60_000


def _rejection_tab(main_window):
    tab = next(t for t in main_window.tab_instances() if t.key == "rejection")
    main_window.tabs.setCurrentWidget(tab)
    return tab


def _run_to_end(qtbot, tab, **values):
    tab.form.set_values(values)
    tab.start()
    qtbot.waitUntil(lambda: not tab.controller.busy, timeout=TIMEOUT_MS)


def test_cauchy_is_default_and_hat_explained(main_window):
    tab = _rejection_tab(main_window)
    assert tab.form.value("proposal") == "cauchy", "the window shows rejections"
    tooltip = tab.form.controls["proposal"].toolTip()
    assert "cauchy (the default here)" in tooltip, tooltip
    assert "hat: the fast, nearly exact proposal" in tooltip, tooltip
    assert "command line's default is the hat" in tab.idle_caption(), tab.idle_caption()
    controls = tab.form.controls
    assert controls["auto_proposal"].isEnabled(), "cauchy takes loc and scale"
    tab.form.set_value("proposal", "hat")

    # The hat takes no location or scale; the shaped proposals do.
    assert not controls["auto_proposal"].isEnabled(), "no loc/scale for the hat"
    assert not controls["loc"].isEnabled(), "no location for the hat"
    tab.form.set_value("proposal", "laplace")
    assert controls["auto_proposal"].isEnabled(), "laplace takes loc and scale"
    tab.form.set_value("auto_proposal", False)
    assert controls["scale"].isEnabled(), "a hand-set scale for laplace"
    tab.form.set_value("proposal", "uniform")
    assert not controls["scale"].isEnabled(), "uniform takes no scale"


def test_default_run_shows_rejections(qtbot, main_window):
    tab = _rejection_tab(main_window)
    _run_to_end(qtbot, tab, mode="bulk", proposals=3000)
    snapshot = tab.controller.run.snapshot()
    assert snapshot["proposal"].startswith("cauchy("), snapshot["proposal"]
    assert snapshot["envelope_ok"], snapshot["envelope_message"]

    # normal(0, 1) under a unit Cauchy needs M = 1.01 sqrt(2 pi / e) = 1.536, and
    # at x = 0 the envelope is 0.489 against p = 0.399.
    gap = snapshot["envelope"] - snapshot["target_pdf"]
    assert gap.max() > 0.05, f"the envelope should clear p, largest gap {gap.max()}"
    rejected = len(tab.dart_view.rejected.data)
    assert rejected > 500, f"about a third of 3000 darts rejected, got {rejected}"


def test_hat_run_hugs_target(qtbot, main_window):
    tab = _rejection_tab(main_window)
    _run_to_end(
        qtbot, tab, target="gamma(3, 1)", proposal="hat", mode="bulk", proposals=5000
    )
    snapshot = tab.controller.run.snapshot()
    assert snapshot["proposal"].startswith("hat("), snapshot["proposal"]
    assert snapshot["envelope_ok"], snapshot["envelope_message"]
    assert snapshot["m"] < 1.02, f"the hat's area M = {snapshot['m']}"
    assert (snapshot["envelope"] >= snapshot["target_pdf"]).all(), "M q below p"

    # 5000 darts at rate 1/M near 0.99: the binomial error is about 0.0015.
    rate = snapshot["acceptance_rate"]
    assert abs(rate - 1 / snapshot["m"]) < 0.01, f"acceptance {rate}"
    assert not tab.warning_row.isVisible(), "a computed M needs no warning"
    caption = tab.caption.text()
    assert "hat(" in caption, caption
    assert "theory 1/M" in caption, caption
    assert tab.rate_plot.reference.isVisible(), "1/M is drawn"


def test_small_m_shows_no_rate(qtbot, main_window):
    tab = _rejection_tab(main_window)
    _run_to_end(
        qtbot,
        tab,
        proposal="laplace",
        mode="bulk",
        proposals=2000,
        m_mode="by hand",
        m=0.01,
    )
    snapshot = tab.controller.run.snapshot()
    assert not snapshot["envelope_ok"], "M = 0.01 is far too small"
    assert math.isnan(snapshot["theoretical_acceptance_rate"]), "no rate for it"
    caption = tab.caption.text()
    assert "1/M = 100" not in caption, f"an impossible rate is shown: {caption}"
    assert "M is too small, p > M q for x in [" in caption, caption
    assert not tab.rate_plot.reference.isVisible(), "no 1/M line for a bad M"
    assert tab.warning_row.isVisible(), "the warning offers a valid M"


def test_hat_fallback_is_named(qtbot, main_window):
    tab = _rejection_tab(main_window)
    tab.form.set_value("kind", "density")
    _run_to_end(
        qtbot,
        tab,
        target="2 + sin(200*x)",
        proposal="hat",
        low="-5",
        high="5",
        mode="bulk",
        proposals=2000,
    )
    snapshot = tab.controller.run.snapshot()
    assert snapshot["proposal"] == "uniform(-5, 5)", snapshot["proposal"]
    caption = tab.caption.text()
    assert "Note: the hat proposal was not used" in caption, caption
    assert snapshot["envelope_ok"], snapshot["envelope_message"]


def test_hat_errors_mark_proposal_field(main_window):
    tab = _rejection_tab(main_window)
    hat_error = "the target's left tail is heavier than a Cauchy tail, so no hat"
    assert tab.error_field(hat_error) == "proposal", "a hat error is the proposal's"
    density_error = "the density is NaN at x = -1; change it so that it is finite"
    assert tab.error_field(density_error) == "target", "'that' names no hat"
