"""Presenter mode, keys, slow motion, formulas and tooltips in the window."""

import re

import pytest
from PySide6.QtCore import Qt

TIMEOUT_MS = 60_000


def _activate(qtbot, window):
    # Window shortcuts fire only in the active window; showing a tab for the first
    # time can deactivate it under the offscreen platform.
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def _small_slow_motion(gan_tab):
    gan_tab.apply_settings(
        {
            "data": "ring8",
            "g_width": 16,
            "d_width": 16,
            "batch_size": 32,
            "slow_motion": True,
        }
    )


def test_presenter_mode_enlarges_and_restores(main_window, gan_tab):
    menus = main_window.menus
    curve = gan_tab.loss_plot.d_loss_curve
    axis = gan_tab.loss_plot.loss_plot.getAxis("left")
    font_before = main_window.font().pointSizeF()
    pen_before = curve.opts["pen"].widthF()
    axis_pen_before = axis.pen().widthF()

    menus.set_presenter_mode(True)
    assert main_window.font().pointSizeF() > 1.4 * font_before, "larger window font"
    assert curve.opts["pen"].widthF() >= 2 * pen_before, "thicker curves"
    assert axis.pen().widthF() > axis_pen_before, "thicker axes"
    assert axis.style["tickFont"].pointSizeF() > 12, "larger tick labels"

    menus.set_presenter_mode(False)
    assert main_window.font().pointSizeF() == font_before, "font restored"
    assert curve.opts["pen"].widthF() == pen_before, "curve width restored"
    assert axis.pen().widthF() == axis_pen_before, "axis width restored"


def test_view_shortcuts_toggle(qtbot, main_window, gan_tab):
    menus = main_window.menus
    _activate(qtbot, main_window)
    qtbot.keyClick(main_window, Qt.Key.Key_F5)
    assert menus.presenter_action.isChecked(), "F5 should enter presenter mode"
    qtbot.keyClick(main_window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not menus.presenter_action.isChecked(), "Ctrl+P should leave it"
    assert not menus.presenter.active, "and restore the normal look"

    scroll = gan_tab.form.parentWidget().parentWidget()
    qtbot.keyClick(main_window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert not scroll.isVisible(), "Ctrl+H should hide the settings column"
    qtbot.keyClick(main_window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert scroll.isVisible(), "a second Ctrl+H should show it"

    qtbot.keyClick(main_window, Qt.Key.Key_F11)
    assert menus.fullscreen_action.isChecked(), "F11 should ask for full screen"
    qtbot.keyClick(main_window, Qt.Key.Key_F11)
    assert not main_window.isFullScreen(), "a second F11 should leave it"


def test_step_and_reset_keys(qtbot, main_window, gan_tab):
    gan_tab.apply_settings({"g_width": 16, "d_width": 16, "batch_size": 32})
    controller = gan_tab.controller
    _activate(qtbot, main_window)
    qtbot.keyClick(main_window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: controller.state == "stopped", timeout=TIMEOUT_MS)
    assert controller.run.step == 1, "S should do one step"
    qtbot.keyClick(main_window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: controller.run.step == 2, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not controller.busy, timeout=TIMEOUT_MS)
    qtbot.keyClick(main_window, Qt.Key.Key_R)
    assert controller.run is None, "R should reset the run"
    assert controller.state == "idle", "and return to idle"


def test_letter_keys_type_into_fields(qtbot, main_window, gan_tab):
    spin = gan_tab.form.controls["steps"]
    spin.setFocus()
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_R)
    assert gan_tab.controller.state == "idle", "R in a field must not reset"
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_S)
    assert gan_tab.controller.run is None, "S in a field must not step"


def test_slow_motion_shows_each_phase(qtbot, gan_tab):
    _small_slow_motion(gan_tab)
    controller = gan_tab.controller
    expected = ["1/4 Draw", "2/4 Generate", "3/4 Update D", "4/4 Update G"]
    for prefix in expected:
        with qtbot.waitSignal(controller.progressed, timeout=TIMEOUT_MS):
            gan_tab.step()
        qtbot.waitUntil(lambda: not controller.busy, timeout=TIMEOUT_MS)
        caption = gan_tab.caption.text()
        assert prefix in caption, f"expected {prefix!r} in the caption: {caption}"
    assert controller.run.step == 1, "four phases make one training step"
    arrows = gan_tab.data_view.points.arrows
    assert arrows.isVisible(), "the G update should draw its moves"
    x, _ = arrows.getData()
    assert x is not None and len(x) == 6 * 32, "one arrow (6 points) per sample"


def test_slow_motion_toggle_keeps_run(qtbot, gan_tab):
    gan_tab.apply_settings({"g_width": 16, "d_width": 16, "batch_size": 32})
    controller = gan_tab.controller
    gan_tab.step()
    qtbot.waitUntil(lambda: controller.state == "stopped", timeout=TIMEOUT_MS)
    trainer = controller.run
    gan_tab.slow_motion_box.setChecked(True)
    assert controller.run.trainer is trainer, "slow motion should wrap the run"
    gan_tab.slow_motion_box.setChecked(False)
    assert controller.run is trainer, "and leaving it should unwrap the run"
    assert controller.state == "stopped", "the run is kept"


def test_formula_panel_renders_gan_formulas(qtbot, main_window, gan_tab):
    from widgets.formula_view import FormulaView

    view = main_window.menus.formula_stack.currentWidget()
    assert isinstance(view, FormulaView), "the GAN tab should have a formula view"
    titles = [formula.title for formula in view.formulas]
    assert "Discriminator loss" in titles, f"missing D loss: {titles}"
    assert "Saturating generator loss" in titles, "missing saturating G loss"
    assert "Non-saturating generator loss" in titles, "missing NS G loss"
    assert "Minimax objective" in titles, "missing minimax objective"
    qtbot.waitUntil(lambda: not view.rendering, timeout=TIMEOUT_MS)
    shown = [label.pixmap().width() for label in view._images]
    assert all(width > 50 for width in shown), f"every formula drawn: {shown}"
    room = view.scroll.viewport().width()
    assert max(shown) <= room, f"formulas fit the panel's {room} px: {shown}"

    # Compare the typeset images: the shown ones are scaled to fit the panel.
    widths = [view._full_images[i].width() for i in range(len(view.formulas))]
    main_window.menus.set_presenter_mode(True)
    qtbot.waitUntil(lambda: not view.rendering, timeout=TIMEOUT_MS)
    larger = [view._full_images[i].width() for i in range(len(view.formulas))]
    assert all(b > a for a, b in zip(widths, larger, strict=True)), (
        f"presenter mode should typeset larger: {widths} -> {larger}"
    )
    main_window.menus.set_presenter_mode(False)


def test_formula_panel_collapses(main_window, gan_tab):
    view = main_window.menus.formula_stack.currentWidget()
    view.header.click()
    assert not view.scroll.isVisible(), "a click on the header should collapse"
    view.header.click()
    assert view.scroll.isVisible(), "a second click should expand"


def test_every_gan_control_has_tooltip(gan_tab):
    missing = [key for key, c in gan_tab.form.controls.items() if not c.toolTip()]
    assert not missing, f"controls without a tooltip: {missing}"
    for name, box in gan_tab.options.items():
        assert box.toolTip(), f"option {name} needs a tooltip"
    assert gan_tab.phase_rate_box.toolTip(), "the phase rate needs a tooltip"


@pytest.mark.parametrize("key", ["gan", "inverse", "rejection", "mh", "mmd"])
def test_formulas_exist_for_each_method(key):
    from app.formulas import formulas_for

    formulas = formulas_for(key)
    assert len(formulas) >= 3, f"{key} should have its formulas"
    for formula in formulas:
        assert formula.tex.startswith("$"), f"mathtext opens with $: {formula}"
        assert formula.tex.endswith("$"), f"mathtext closes with $: {formula}"


@pytest.mark.parametrize("key", ["gan", "inverse", "rejection", "mh", "mmd"])
def test_formula_notes_contain_no_tex(key):
    from app.formulas import formulas_for

    for formula in formulas_for(key):
        prose = re.sub(r"</?(sub|sup)>|&(gt|lt|amp);", "", formula.note)
        tex = re.findall(r"[_^{}\\$<>&]", prose)
        assert not tex, f"TeX or bare markup {tex} in the note {formula.note!r}"


def test_formula_note_shows_subscripts(qtbot):
    from PySide6.QtWidgets import QLabel

    from app.formulas import formulas_for
    from widgets.formula_view import FormulaView

    view = FormulaView(formulas_for("inverse"))
    qtbot.addWidget(view)
    notes = [label for label in view.findChildren(QLabel) if "F<sub>X" in label.text()]
    assert notes, "the inverse-transform notes should use subscripts"
    for label in notes:
        assert label.textFormat() == Qt.TextFormat.RichText, label.text()
