"""Plot layout: log-axis labels, legends below the data, titles, heat-map framing."""

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF

from widgets.plot_helpers import (
    LOG_LABEL_GAP_PX,
    LogAxis,
    fit_legend,
    fit_title,
    legend_below,
)


def _labelled_ticks(axis: LogAxis, low: float, high: float, pixels: float):
    axis.setLogMode(True)
    levels = axis.tickValues(low, high, pixels)
    values = sorted(levels[0][1]) if levels else []
    return values, axis.tickStrings(values, 1.0, None)


@pytest.mark.parametrize(
    ("low", "high", "pixels"),
    [
        (-12.0, 2.0, 120.0),  # twelve decades on a short axis
        (-3.0, 1.0, 100.0),
        (0.5, 2.7, 150.0),  # the gradient plot's range that overlapped
        (2.48, 2.6, 150.0),  # inside one decade
        (-1.0, 0.0, 400.0),
    ],
)
def test_log_axis_labels_do_not_overlap(qapp, low, high, pixels):
    values, labels = _labelled_ticks(LogAxis("left"), low, high, pixels)
    assert len(values) >= 2, f"at least two labels on [{low}, {high}]: {labels}"
    assert all(label for label in labels), f"every labelled tick has text: {labels}"
    gaps = np.diff(values) * pixels / (high - low)
    assert gaps.min() >= LOG_LABEL_GAP_PX, f"labels {labels} only {gaps.min():.1f} px"


def test_log_axis_label_text(qapp):
    axis = LogAxis("left")
    labels = axis.logTickStrings([-3.0, 0.0, 2.0, math.log10(200)], 1.0, None)
    assert labels == ["10⁻³", "1", "10²", "2·10²"], labels
    assert axis.logTickStrings([math.log10(0.0031)], 1.0, None) == ["0.0031"]


def _layout_widget(qtbot, width: int, height: int = 240) -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget()
    widget.resize(width, height)
    qtbot.addWidget(widget)
    return widget


def test_legend_below_covers_no_data(qtbot):
    widget = _layout_widget(qtbot, 700)
    plot = widget.addPlot(title="Mean D(G(z))")
    legend = legend_below(plot)
    x = np.arange(100.0)
    plot.plot(x, np.sin(x), pen="g", name="−log D(G(z))")
    plot.plot(x, np.cos(x), pen="m", name="log(1 − D(G(z)))")
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: legend.columnCount == 2, timeout=5000)

    view = plot.vb.mapRectToScene(plot.vb.boundingRect())
    box = legend.mapRectToScene(legend.boundingRect())
    assert box.top() >= view.bottom(), f"legend {box} overlaps the view {view}"
    assert len(legend.items) == 2, "both curves are named"

    # A narrow plot stacks the entries instead of widening past the view.
    widget.resize(220, 240)
    qtbot.waitUntil(lambda: legend.columnCount == 1, timeout=5000)
    fit_legend(plot)
    assert plot.width() <= widget.viewport().width(), "the plot fits the view"


def test_long_title_shrinks_to_fit(qtbot):
    widget = _layout_widget(qtbot, 200)
    plot = widget.addPlot()
    title = "MMD² per batch (unbiased; values at or below zero are not drawn)"
    plot.setTitle(title)
    fit_title(plot)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: plot.titleLabel.toolTip() == title, timeout=5000)
    assert plot.width() <= widget.viewport().width(), "the title does not widen it"
    assert plot.titleLabel.text == title, "the label keeps the full title"


def test_point_view_field_fills_view(qtbot):
    from widgets.point_view import PointView

    view = PointView()
    view.resize(300, 500)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    grid = np.linspace(-2.0, 2.0, 41)
    view.set_field(grid, grid, np.zeros((41, 41)))
    field = view.field.mapRectToView(view.field.boundingRect())
    plot = view.getPlotItem()

    def inside() -> bool:
        (x_low, x_high), (y_low, y_high) = plot.vb.viewRange()
        shown = QRectF(x_low, y_low, x_high - x_low, y_high - y_low)
        return field.adjusted(-1e-6, -1e-6, 1e-6, 1e-6).contains(shown)

    qtbot.waitUntil(inside, timeout=5000)
    (x_low, x_high), (y_low, y_high) = plot.vb.viewRange()
    assert y_high - y_low == pytest.approx(field.height(), rel=1e-3), (
        "the taller side shows the whole field"
    )


def test_point_view_keeps_real_data(qtbot):
    from widgets.point_view import PointView

    view = PointView()
    view.resize(260, 560)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    angles = np.linspace(0, 2 * np.pi, 64)
    view.set_real(1.8 * np.column_stack([np.cos(angles), np.sin(angles)]))
    grid = np.linspace(-2.0, 2.0, 41)
    view.set_field(grid, grid, np.zeros((41, 41)))
    plot = view.getPlotItem()

    def shows_real() -> bool:
        (x_low, x_high), (y_low, y_high) = plot.vb.viewRange()
        return x_low <= -1.8 and x_high >= 1.8 and y_low <= -1.8 and y_high >= 1.8

    qtbot.waitUntil(shows_real, timeout=5000)


def test_screenshot_exits_cleanly(tmp_path):
    # A legend put into a PlotItem's grid layout crashed the process at exit.
    import subprocess
    import sys

    out = tmp_path / "mh.png"
    result = subprocess.run(
        [sys.executable, "-m", "app", "screenshot", "--tab", "mh"]
        + ["--steps", "200", "--size", "900", "600", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-500:]}"
    assert out.exists(), "the image is written"
