"""The figure of generated samples that ``gan-playground train`` writes as samples.png.

It is drawn with matplotlib's object API on an Agg canvas, so it needs no display
and leaves pyplot's global state alone.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

REAL_COLOR = "#9e9e9e"
GENERATED_COLOR = "#e8590c"
REAL_POINTS = 2500
"""Real points drawn in 2-D, as many as the samples that ``train`` writes."""


def samples_figure(dataset, samples: np.ndarray, title: str):
    """Draw generated samples next to the real data on a new matplotlib Figure.

    Images: a grid of the first 100 samples. 1-D data: the real histogram, filled
    in grey, under the outline of the generated one. 2-D data: two panels with the
    same limits, the real points alone on the left and on the right the generated
    points, half transparent, over the real ones in grey. The legend sits below the
    axes, where it covers no data.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if dataset.is_image:
        figure = Figure(figsize=(6, 6), dpi=100, layout="constrained")
        _draw_images(figure.add_subplot(1, 1, 1), dataset, samples)
    elif dataset.dim == 1:
        figure = Figure(figsize=(6, 5), dpi=100, layout="constrained")
        _draw_histograms(figure.add_subplot(1, 1, 1), dataset.samples[:, 0], samples)
    else:
        figure = Figure(figsize=(10, 5.4), dpi=100, layout="constrained")
        _draw_scatters(figure, dataset.samples[:REAL_POINTS], samples)
    figure.suptitle(title)
    FigureCanvasAgg(figure)
    return figure


def _draw_images(axes, dataset, samples: np.ndarray) -> None:
    from models.images import tile_images

    images = samples[:100].reshape(-1, *dataset.image_shape)
    low, high = dataset.value_range
    mosaic = tile_images(images, columns=10, fill=high * 0.35)
    # Row 0 of each image is its top row: imshow's default origin="upper".
    axes.imshow(mosaic, cmap="gray_r", vmin=low, vmax=high, origin="upper")
    axes.set_xticks([])
    axes.set_yticks([])


def _draw_histograms(axes, real: np.ndarray, samples: np.ndarray) -> None:
    low, high = np.percentile(real, [0, 100])
    pad = 0.15 * (high - low)
    bins = np.linspace(low - pad, high + pad, 61)
    axes.hist(real, bins=bins, density=True, color=REAL_COLOR, alpha=0.6, label="real")
    axes.hist(
        samples[:, 0],
        bins=bins,
        density=True,
        histtype="step",
        lw=2,
        color=GENERATED_COLOR,
        label="generated",
    )
    axes.set_xlabel("x")
    axes.set_ylabel("density")
    axes.figure.legend(loc="outside lower center", ncols=2)


def _draw_scatters(figure, real: np.ndarray, samples: np.ndarray) -> None:
    real_axes = figure.add_subplot(1, 2, 1)
    both_axes = figure.add_subplot(1, 2, 2, sharex=real_axes, sharey=real_axes)

    # Real points first, so that the generated ones lie on top of them.
    real_axes.scatter(real[:, 0], real[:, 1], s=4, color=REAL_COLOR, label="real")
    both_axes.scatter(real[:, 0], real[:, 1], s=4, color=REAL_COLOR, alpha=0.6)
    finite = samples[np.isfinite(samples).all(axis=1)]
    both_axes.scatter(
        finite[:, 0],
        finite[:, 1],
        s=4,
        color=GENERATED_COLOR,
        alpha=0.45,
        linewidths=0,
        label="generated",
    )
    # A square view that fits both panels' width. A few far outliers would shrink
    # everything else to a dot, so they are left outside the view and counted.
    low, high = _square_limits(real, finite)
    outside = int((~((finite >= low) & (finite <= high)).all(axis=1)).sum())
    real_axes.set_xlim(low[0], high[0])
    real_axes.set_ylim(low[1], high[1])
    real_axes.set_title("real")
    title = "generated over real"
    if outside:
        title += f" ({outside:,} outside the view)"
    both_axes.set_title(title)
    for axes in (real_axes, both_axes):
        axes.set_aspect("equal", adjustable="box")
        axes.set_xlabel("x₁")
        axes.set_ylabel("x₂")
    legend = figure.legend(loc="outside lower center", ncols=2, markerscale=3)
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)


def _square_limits(real: np.ndarray, generated: np.ndarray):
    """Return the lower and upper corner of a square view of both point sets.

    The view holds every real point and every generated point, unless the
    generated points' full span is over 4 times that of their central 98 %, in
    which case it holds only that central part.
    """
    points = real
    if len(generated):
        full = np.array([generated.min(axis=0), generated.max(axis=0)])
        bulk = np.percentile(generated, [1, 99], axis=0)
        if (full[1] - full[0]).max() > 4 * max((bulk[1] - bulk[0]).max(), 1e-12):
            full = bulk
        points = np.vstack([real, full])
    low, high = points.min(axis=0), points.max(axis=0)
    center = (low + high) / 2
    half = 0.55 * max(float((high - low).max()), 1e-6)
    return center - half, center + half


def render_samples_png(path: Path, dataset, samples: np.ndarray, title: str) -> None:
    """Write `samples_figure` as a PNG, atomically."""
    from models.checkpoint import atomic_write_bytes

    figure = samples_figure(dataset, samples, title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    atomic_write_bytes(path, buffer.getvalue())
