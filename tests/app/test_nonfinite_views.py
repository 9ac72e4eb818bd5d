"""Every view with NaN, infinite, all-NaN, constant and all-zero data.

Each case feeds a widget such data, forces an autorange of every view box and
paints the widget. Qt warnings fail the test (``qt_log_level_fail``), pyqtgraph
raises on a NaN or infinite range, and the ranges must come out finite.
"""

import math

import numpy as np
import pyqtgraph as pg
import pytest

BAD = np.array([0.1, np.nan, np.inf, -np.inf, 0.3, 0.2, 0.5])
STEPS = np.arange(len(BAD), dtype=float)
CONSTANT = np.full(len(BAD), 2.0)


def _history(values):
    columns = ("d_loss", "g_loss", "d_real", "d_fake", "mmd2", "bandwidth")
    return {"step": STEPS, **dict.fromkeys(columns, values)}


def _loss_plot(values):
    from widgets.loss_plot import LossPlot

    widget = LossPlot()
    widget.set_history(_history(values))
    return widget


def _history_plot(values):
    from widgets.history_plot import Curve, HistoryPlot, Panel

    widget = HistoryPlot(
        [
            Panel("log", "y", (Curve("mmd2", "a", (0, 0, 0)),), log_y=True),
            Panel("linear", "y", (Curve("bandwidth", "b", (0, 0, 0)),)),
            Panel("fixed", "y", (Curve("d_fake", "c", (0, 0, 0)),), y_range=(0, 1)),
        ]
    )
    widget.set_history(_history(values))
    return widget


def _point_view(values):
    from widgets.point_view import PointView

    widget = PointView()
    points = np.column_stack([values, values[::-1]])
    widget.set_real(np.column_stack([CONSTANT, CONSTANT]))
    widget.set_generated(points)
    grid = np.linspace(-1.0, 1.0, 5)
    widget.set_field(grid, grid, np.resize(values, (5, 5)), levels=(0.0, 1.0))
    widget.set_arrows(points, points)
    widget.set_arrows_visible(True)
    return widget


def _point_view_bad_grid(values):
    from widgets.point_view import PointView

    widget = PointView()
    grid = values[:2]
    widget.set_field(grid, grid, np.ones((2, 2)))
    return widget


def _histogram_view(values):
    from widgets.histogram_view import HistogramView

    widget = HistogramView()
    widget.set_real(values)
    widget.set_generated(values)
    widget.set_curve(np.linspace(0.0, 1.0, len(values)), values)
    return widget


def _image_grid(values):
    from widgets.image_grid import ImageGrid

    widget = ImageGrid()
    widget.set_images(np.resize(values, (4, 8, 8)), value_range=(0.0, 16.0))
    return widget


def _image_grid_flat_range(values):
    from widgets.image_grid import ImageGrid

    widget = ImageGrid()
    widget.set_images(np.resize(values, (4, 8, 8)), value_range=(3.0, 3.0))
    return widget


def _data_view(values):
    from models.datasets import make_dataset
    from widgets.data_view import DataView

    widget = DataView()
    widget.show_dataset(make_dataset("ring8", seed=0))
    grid = np.linspace(-1.0, 1.0, 5)
    widget.show_snapshot(
        {
            "generated": np.column_stack([values, values]),
            "d_map": {"x": grid, "y": grid, "d": np.resize(values, (5, 5))},
        }
    )
    return widget


def _gradient_plot(values):
    from widgets.gradient_plot import GradientPlot

    widget = GradientPlot([("a", "a", (0, 0, 0))])
    widget.set_points("a", values, values)
    return widget


def _sample_histogram(values):
    from widgets.sample_histogram import SampleHistogramView

    widget = SampleHistogramView()
    x = np.linspace(0.0, 1.0, len(values))
    widget.set_density(x, values)
    widget.set_histogram(np.linspace(0.0, 1.0, len(values) + 1), values, values)
    return widget


def _dart_view(values):
    from widgets.dart_view import DartView

    widget = DartView()
    widget.set_curves(np.linspace(0.0, 1.0, len(values)), values, values)
    accepted = np.arange(len(values)) % 2 == 0
    widget.set_darts(values, values, accepted)
    widget.set_violations([(float(values[0]), float(values[-1]))])
    return widget


def _cdf_view(values):
    from widgets.cdf_view import CdfView

    widget = CdfView()
    widget.set_cdf(np.linspace(0.0, 1.0, len(values)), values)
    widget.set_projections(values, values)
    return widget


def _rate_plot(values):
    from widgets.rate_plot import AcceptanceRatePlot

    widget = AcceptanceRatePlot()
    widget.set_rates(STEPS, values)
    widget.set_reference(float(values[1]), "reference")
    widget.set_x_limit(float(values[2]))
    return widget


def _trace_view(values):
    from widgets.chain_diagnostics import TraceView

    widget = TraceView()
    widget.set_dimension(2)
    widget.set_traces(np.stack([np.column_stack([values, values])] * 2))
    return widget


def _autocorrelation(values):
    from widgets.chain_diagnostics import AutocorrelationPlot

    widget = AutocorrelationPlot()
    widget.set_autocorrelation(np.stack([values, values]))
    return widget


def _chain_view_1d(values):
    from widgets.chain_view import ChainView

    widget = ChainView()
    widget.set_dimension(1)
    widget.set_density(np.linspace(0.0, 1.0, len(values)), values)
    chains = values[None, :, None]
    widget.set_chains(chains, chains, np.ones((1, len(values)), dtype=bool))
    return widget


def _chain_view_2d(values):
    from widgets.chain_view import ChainView

    widget = ChainView()
    widget.set_dimension(2)
    grid = np.linspace(-1.0, 1.0, 5)
    widget.set_density_map(grid, grid, np.resize(values, (5, 5)))
    chains = np.column_stack([values, values])[None]
    flags = np.ones((1, len(values)), dtype=bool)
    widget.set_chains(chains, chains, flags, np.column_stack([values, values]))
    return widget


VIEWS = [
    _loss_plot,
    _history_plot,
    _point_view,
    _point_view_bad_grid,
    _histogram_view,
    _image_grid,
    _image_grid_flat_range,
    _data_view,
    _gradient_plot,
    _sample_histogram,
    _dart_view,
    _cdf_view,
    _rate_plot,
    _trace_view,
    _autocorrelation,
    _chain_view_1d,
    _chain_view_2d,
]
DATA = {
    "nonfinite": BAD,
    "all_nan": np.full(len(BAD), np.nan),
    "constant": CONSTANT,
    "zeros": np.zeros(len(BAD)),
}


def _view_ranges(widget):
    """Autorange every view box of the widget and return their ranges."""
    views = widget.findChildren(pg.GraphicsView)
    if isinstance(widget, pg.GraphicsView):
        views.append(widget)
    ranges = []
    for view in views:
        for item in view.scene().items():
            if isinstance(item, pg.ViewBox):
                item.enableAutoRange()
                item.autoRange()
                ranges.append(item.viewRange())
    return ranges


@pytest.mark.parametrize("values", DATA.values(), ids=DATA.keys())
@pytest.mark.parametrize("make", VIEWS, ids=lambda make: make.__name__[1:])
def test_view_draws_bad_data(qtbot, make, values):
    widget = make(values.copy())
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    ranges = _view_ranges(widget)
    assert ranges, "the widget has at least one view box"
    for box_range in ranges:
        for low, high in box_range:
            assert math.isfinite(low), f"view range {box_range} is not finite"
            assert math.isfinite(high), f"view range {box_range} is not finite"
    image = widget.grab()
    assert not image.isNull(), "the widget paints"
