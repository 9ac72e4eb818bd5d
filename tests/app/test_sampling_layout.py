"""Sampling tabs and window docks: which fields show, axis labels, dock heights."""

import pytest


def _tab(main_window, key):
    tab = main_window.build_tab(main_window.tab_index(key))
    main_window.tabs.setCurrentWidget(tab)
    return tab


@pytest.mark.parametrize("key", ["inverse", "rejection", "mh"])
def test_domain_hidden_for_named_distribution(qtbot, main_window, key):
    tab = _tab(main_window, key)
    form = tab.form
    tab.form.set_value("kind", "distribution")
    assert not form.controls["low"].isVisibleTo(form), "no domain for beta(2, 5)"
    assert not form.controls["high"].isVisibleTo(form), "no upper bound either"
    form.set_value("kind", "density")
    assert form.controls["low"].isVisibleTo(form), "a typed density has a domain"
    assert form.controls["high"].isVisibleTo(form), "and an upper bound"


def test_sampling_axis_labels(qtbot, main_window):
    cdf = _tab(main_window, "inverse").cdf_view.plot_item
    assert cdf.getAxis("bottom").labelText == "x", "x along the bottom"
    assert cdf.getAxis("left").labelText == "u = F(x)", "u up the side"
    assert "x = F⁻¹(u)" in cdf.titleLabel.text, cdf.titleLabel.text
    darts = _tab(main_window, "rejection").dart_view.plot_item
    assert darts.getAxis("left").labelText == "dart height u·M·q(x)", darts.getAxis(
        "left"
    ).labelText
    chains = _tab(main_window, "mh").chain_view.plot_item
    assert chains.getAxis("bottom").labelText == "x", "chains over x"


def test_demonstration_dock_fits_its_text(qtbot, main_window):
    panel = main_window.menus.preset_panel
    dock = main_window.menus.preset_dock
    qtbot.waitUntil(lambda: panel.explanation.width() > 0, timeout=5000)
    line = panel.explanation.fontMetrics().lineSpacing()
    assert panel.maximumHeight() <= 3 * line + 10, (
        f"one line of text, but {panel.maximumHeight()} px allowed"
    )
    qtbot.waitUntil(
        lambda: dock.widget().height() <= panel.maximumHeight(), timeout=5000
    )
