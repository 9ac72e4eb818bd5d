"""The samples.png figure of ``gan-playground train``: real data stays visible."""

import matplotlib.colors
import matplotlib.image
import numpy as np
import pytest

from app.samples_figure import (
    GENERATED_COLOR,
    REAL_COLOR,
    render_samples_png,
    samples_figure,
)
from models.datasets import make_dataset


@pytest.fixture(scope="module")
def ring8():
    return make_dataset("ring8", n=5000, seed=0)


def _legend_labels(figure):
    return [text.get_text() for legend in figure.legends for text in legend.texts]


def _is_below_axes(figure, legend, axes_list):
    renderer = figure.canvas.get_renderer()
    top = legend.get_window_extent(renderer).y1
    return all(top <= axes.get_window_extent(renderer).y0 for axes in axes_list)


def test_scatter_draws_real_under_generated(ring8):
    # A perfect generator: its points lie exactly on the real ones.
    figure = samples_figure(ring8, ring8.samples[:2500].copy(), "title")
    figure.canvas.draw()
    real_axes, both_axes = figure.axes
    assert real_axes.get_title() == "real", "left panel shows the real data alone"
    assert len(real_axes.collections) == 1, "only real points on the left"
    real, generated = both_axes.collections
    assert np.allclose(
        real.get_facecolor()[0][:3], matplotlib.colors.to_rgb(REAL_COLOR)
    ), "real points drawn first, in grey"
    assert np.allclose(
        generated.get_facecolor()[0][:3], matplotlib.colors.to_rgb(GENERATED_COLOR)
    ), "generated points drawn on top"
    assert generated.get_alpha() < 1, "generated points are half transparent"
    assert real_axes.get_xlim() == both_axes.get_xlim(), "same x limits"
    assert real_axes.get_ylim() == both_axes.get_ylim(), "same y limits"
    assert _legend_labels(figure) == ["real", "generated"], "one legend for both"
    assert _is_below_axes(figure, figure.legends[0], figure.axes), (
        "the legend must not cover data"
    )


def test_histogram_legend_below_axes():
    gauss = make_dataset("gauss1d", n=2000, seed=0)
    figure = samples_figure(gauss, gauss.samples[:1000] + 0.5, "title")
    figure.canvas.draw()
    assert _legend_labels(figure) == ["real", "generated"], "legend of 1-D data"
    assert _is_below_axes(figure, figure.legends[0], figure.axes), (
        "the legend must not cover the histogram"
    )
    assert figure.axes[0].get_xlabel() == "x", "x axis labelled"
    assert figure.axes[0].get_ylabel() == "density", "y axis labelled"


def _count_color(pixels, color, tolerance=0.08):
    target = np.array(matplotlib.colors.to_rgb(color))
    return int((np.abs(pixels[..., :3] - target).max(axis=-1) < tolerance).sum())


def test_png_shows_real_and_generated(ring8, tmp_path):
    path = tmp_path / "samples.png"
    render_samples_png(path, ring8, ring8.samples[:2500].copy(), "GAN on ring8")
    pixels = matplotlib.image.imread(path)
    half = pixels.shape[1] // 2
    real_pixels = _count_color(pixels[:, :half], REAL_COLOR)
    assert real_pixels > 500, f"real points visible on the left: {real_pixels} px"
    orange = pixels[..., 0] - pixels[..., 2] > 0.25
    right_orange = int(orange[:, half:].sum())
    assert right_orange > 500, f"generated points on the right: {right_orange} px"
    left_orange = int(orange[:, :half].sum())
    assert left_orange < 50, f"generated points on the left: {left_orange} px"


def test_scatter_counts_far_outliers(ring8):
    samples = ring8.samples[:2500].copy()
    samples[:3] = [[300.0, 300.0], [-200.0, 50.0], [1e5, 0.0]]
    figure = samples_figure(ring8, samples, "title")
    real_axes, both_axes = figure.axes
    assert both_axes.get_title() == "generated over real (3 outside the view)", (
        both_axes.get_title()
    )
    low, high = real_axes.get_xlim()
    assert -2 < low < -1 and 1 < high < 2, f"view fits ring8: {low}, {high}"
