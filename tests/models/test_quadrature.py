"""Tests of the adaptive Simpson tabulation of cumulative integrals."""

import math

import numpy as np
import pytest

from models.quadrature import _CellLocator, tabulate_cumulative


def test_quadratic_is_integrated_exactly():
    table = tabulate_cumulative(lambda t: (t - 0.3) ** 2 + 0.1, 0.0, 2.0)
    t = np.linspace(0.0, 2.0, 1001)
    exact = ((t - 0.3) ** 3 + 0.027) / 3 + 0.1 * t
    total = (1.7**3 + 0.027) / 3 + 0.2
    assert table.converged, "a quadratic needs no refinement"
    assert table.total == pytest.approx(total, rel=1e-14), "total"
    np.testing.assert_allclose(table.lower(t), exact / total, rtol=0, atol=1e-14)
    # upper sums the cells from the other end, with other rounding errors.
    np.testing.assert_allclose(table.upper(t), 1 - exact / total, rtol=0, atol=1e-13)


def test_table_never_decreases_at_jumps_and_kinks():
    # Boxes with jumps off the grid, a kink and a peak that falls to zero within a
    # cell. A quadratic through a cell where a box starts between the midpoint and
    # the right end, or ends between the left end and the midpoint, dips below
    # zero, so that cell uses a constant.
    starts = np.array([0.31234, 0.4321, 0.5555, 0.6789, 0.8123])

    def g(t):
        boxes = np.sum((t[:, None] > starts) & (t[:, None] < starts + 0.0567), axis=1)
        return (
            boxes + np.abs(t + 0.5) * (t < 0) + np.maximum(0, 1 - 1e4 * (t + 0.7) ** 2)
        )

    table = tabulate_cumulative(g, -1.0, 1.0)
    assert table.converged, f"error {table.error:.2e}"
    assert table.constant.any(), "some cell at a jump should use a constant"
    t = np.sort(np.concatenate([np.linspace(-1, 1, 200_001), table.edges]))
    steps = np.diff(table.lower(t))
    assert steps.min() >= 0, f"the table decreases by {-steps.min():.2e}"


def test_upper_keeps_relative_precision_in_the_tail():
    table = tabulate_cumulative(lambda t: np.exp(-t), 0.0, 50.0)
    t = np.array([30.0, 40.0, 45.0])
    exact = (np.exp(-t) - math.exp(-50)) / (1 - math.exp(-50))
    np.testing.assert_allclose(table.upper(t), exact, rtol=1e-6)


def test_limit_at_an_end_is_extrapolated():
    # The function returns 0 at t = 1, where it only has the limit 1.
    table = tabulate_cumulative(
        lambda t: np.where(t < 1, 1.0 + 0 * t, 0.0), 0.0, 1.0, high_limit=True
    )
    assert table.total == pytest.approx(1.0, rel=1e-14), "total with the limit"


def test_narrow_peak_between_scan_points_is_found():
    # The scan spacing is 2^-15; this peak is 100 times narrower.
    width = 2.0**-15 / 100
    table = tabulate_cumulative(
        lambda t: np.exp(-(((t - 0.31234) / width) ** 2)), 0.0, 1.0
    )
    assert table.total == pytest.approx(math.sqrt(math.pi) * width, rel=1e-9), (
        "integral of the narrow peak"
    )


def test_singularity_is_reported_unconverged():
    table = tabulate_cumulative(lambda t: np.abs(t - 0.31234) ** -0.9, -1.0, 1.0)
    assert not table.converged, "the integral near the singularity cannot converge"
    assert table.error > 1e-6, f"estimated error {table.error:.2e}"
    assert table.worst == pytest.approx(0.31234, abs=1e-6), f"worst {table.worst}"


@pytest.mark.parametrize("seed", range(6))
def test_cell_locator_matches_binary_search(seed):
    rng = np.random.default_rng(seed)
    edges = np.unique(
        np.concatenate(
            [
                np.linspace(-5, 5, rng.integers(2, 300)),
                rng.normal(0.3, 10 ** rng.uniform(-9, 0), rng.integers(0, 300)),
                0.3 + 2.0 ** -np.arange(1, 40),
            ]
        )
    )
    edges = edges[(edges >= -5) & (edges <= 5)]
    buckets = int(rng.choice([7, len(edges), 4 * len(edges), 2**16]))
    locate = _CellLocator(edges, buckets)
    t = np.concatenate(
        [
            rng.uniform(-5, 5, 20_000),
            rng.normal(0.3, 1e-6, 20_000),
            edges,
            np.nextafter(edges, -np.inf),
            np.nextafter(edges, np.inf),
        ]
    )
    t = np.clip(t, -5, 5)
    expected = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(edges) - 2)
    found = locate(t)
    wrong = np.flatnonzero(found != expected)
    assert wrong.size == 0, f"{wrong.size} cells wrong, first at t = {t[wrong[:3]]}"
