"""Adaptive Simpson tabulation of the cumulative integral of a non-negative function.

`tabulate_cumulative` integrates g >= 0 on a finite interval [t0, t1] and returns a
`CumulativeTable`, from which the normalised integral G(t) / G(t1) of g from t0 to t
can be read at any t. `models.targets.DensityTarget` builds its CDF this way.

The steps:

1. Scan. g is evaluated at ``SCAN_STEPS`` + 1 equally spaced points. Every strict
   local maximum of these values may hide a peak narrower than the spacing, so the
   maximum of g between its two neighbours is located by a zoom and becomes a cell
   edge. A peak is found however narrow it is if the scan point nearest to it is a
   strict local maximum. That fails where g is exactly zero (for example
   underflowed) at the scan points near the peak.
2. Refine. The interval is cut into units, each evaluated at its ends, midpoint and
   quarter points. The integral of the quadratic through a unit's ends and midpoint
   is compared with that of the two quadratics on its halves at the quarter points,
   the midpoint and the end. For a smooth g those partial integrals have an error
   that falls as the fourth power of the width, so each difference divided by 15
   estimates the error of the halves (Richardson extrapolation). The error of the
   table at any t is at most the summed errors of the whole units before t plus
   the error of a partial integral in the unit of t. Units are bisected until both
   the sum and the largest partial error are below half of ``tolerance`` times the
   integral, those with the largest errors first.
3. Table. The halves of the units are the cells of the table. On a cell, g is
   interpolated by the quadratic through the cell's ends and midpoint, and the
   cumulative integral is the exact integral of that quadratic (Simpson's rule over a
   whole cell). Where the quadratic is negative inside a cell, the cell uses a
   constant with the same integral instead, so that the table never decreases. Step 2
   counts the whole integral of such a cell as error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Scan steps in step 1; units of four steps start step 2.
SCAN_STEPS = 2**15
# Local maxima zoomed in step 1, at most.
MAX_PEAKS = 256
# Units in step 2, at most: about 4 evaluations of g each.
MAX_UNITS = 2**18
MAX_ROUNDS = 100
# Buckets of a table's cell look-up, at most.
MAX_BUCKETS = 2**18

# Positions of a unit's five points, as fractions of its width.
_FRACTIONS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])


def _partial_weights(s) -> tuple:
    """Weights (w0, wm, w1) such that the integral from 0 to s of the quadratic
    through (0, g0), (1/2, gm) and (1, g1) is w0 g0 + wm gm + w1 g1."""
    s2 = s * s
    s3 = s2 * s
    return s - 1.5 * s2 + s3 * (2 / 3), 2 * s2 - s3 * (4 / 3), s3 * (2 / 3) - 0.5 * s2


def _difference_matrix() -> np.ndarray:
    """Matrix D of shape (5, 4): a unit's values times D, times its width, are the
    differences between the halves' and the whole unit's partial integrals at the
    fractions 1/4, 1/2, 3/4 and 1 of the unit."""
    halves = np.zeros((5, 4))
    first, whole = np.array(_partial_weights(0.5)), np.array(_partial_weights(1.0))
    halves[0:3, 0] = first / 2
    halves[0:3, 1:4] = whole[:, None] / 2
    halves[2:5, 2] += first / 2
    halves[2:5, 3] += whole / 2
    unit = np.zeros((5, 4))
    for column, s in enumerate((0.25, 0.5, 0.75, 1.0)):
        unit[[0, 2, 4], column] = _partial_weights(s)
    return halves - unit


def _negative_inside(g0, gm, g1) -> np.ndarray:
    """Test whether the quadratic through (0, g0), (1/2, gm), (1, g1) is negative
    somewhere in (0, 1), for non-negative values."""
    a = 2 * g0 - 4 * gm + 2 * g1
    b = -3 * g0 + 4 * gm - g1
    with np.errstate(divide="ignore", invalid="ignore"):
        vertex = -b / (2 * a)
        minimum = g0 - b * b / (4 * a)
    return (a > 0) & (vertex > 0) & (vertex < 1) & (minimum < 0)


def _simpson_halves(width: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Simpson's rule on each half of each unit, shape (n, 2)."""
    first = values[:, 0] + 4 * values[:, 1] + values[:, 2]
    second = values[:, 2] + 4 * values[:, 3] + values[:, 4]
    return np.column_stack([first, second]) * (width / 12)[:, None]


def _unit_errors(width: np.ndarray, values: np.ndarray) -> tuple:
    """Estimated absolute errors of the halves of each unit: of their integral, and
    the largest of their partial integrals, including a constant cell's integral."""
    differences = np.abs(values @ _difference_matrix()) * (width / 15)[:, None]
    negative = np.column_stack(
        [
            _negative_inside(values[:, 0], values[:, 1], values[:, 2]),
            _negative_inside(values[:, 2], values[:, 3], values[:, 4]),
        ]
    )
    constant = np.where(negative, _simpson_halves(width, values), 0.0)
    partial = np.maximum(np.max(differences[:, :3], axis=1), np.max(constant, axis=1))
    return differences[:, 3], partial


def _zoom_maxima(function, lower: np.ndarray, upper: np.ndarray, rounds: int = 5):
    """Locate the maximum of ``function`` on each interval [lower_i, upper_i].

    Each round evaluates 33 equally spaced points per interval in one call and keeps
    the two spacings around the best, so the interval shrinks 16-fold per round.
    Returns the best points and their values.
    """
    steps = np.linspace(0.0, 1.0, 33)
    rows = np.arange(len(lower))
    best_t = best_value = np.empty(0)
    for _ in range(rounds):
        grid = lower[:, None] + (upper - lower)[:, None] * steps
        values = function(grid.ravel()).reshape(grid.shape)
        best = np.argmax(values, axis=1)
        best_t, best_value = grid[rows, best], values[rows, best]
        lower = grid[rows, np.maximum(best - 1, 0)]
        upper = grid[rows, np.minimum(best + 1, len(steps) - 1)]
    return best_t, best_value


def _peak_candidates(points: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Indices of strict local maxima of the scan, sharpest first, at most
    ``MAX_PEAKS``.

    Sharpness is the drop to the mean of the neighbours, relative to the value.
    """
    padded = np.concatenate([[-1.0], values, [-1.0]])
    middle, left, right = padded[1:-1], padded[:-2], padded[2:]
    maxima = np.flatnonzero((middle > 0) & (middle > left) & (middle >= right))
    if maxima.size <= MAX_PEAKS:
        return maxima
    # NOTE: with more local maxima than MAX_PEAKS, as for a fast oscillation, the
    # flattest are not zoomed, so a narrow peak on top of a wide one may be missed.
    neighbours = (np.maximum(left[maxima], 0.0) + np.maximum(right[maxima], 0.0)) / 2
    sharpness = 1 - neighbours / middle[maxima]
    return maxima[np.argsort(-sharpness, kind="stable")[:MAX_PEAKS]]


def _exclusive_cumsum(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)


class _CellLocator:
    """Find the cell of each t among sorted edges, mostly without a binary search.

    Buckets of equal width record how many edges lie in earlier buckets. The
    bucket of t, floor((t - t0) scale), does not decrease as t grows, so every edge
    in an earlier bucket is <= t and every edge in a later one is > t. In a bucket
    with at most one edge, one comparison then gives the cell.
    A bucket with more edges is divided in the same way into four sub-buckets per
    edge, and t in a sub-bucket with more than one edge takes a binary search.
    """

    def __init__(self, edges: np.ndarray, buckets: int):
        self.edges = edges
        self.last_cell = len(edges) - 2
        self.last_bucket = buckets - 1
        self.scale = buckets / (edges[-1] - edges[0])
        bucket = self._bucket(edges)
        counts = np.bincount(bucket, minlength=buckets)
        self.before = _exclusive_cumsum(counts)
        self.edge = self._single_edges(counts, self.before)
        crowded = np.flatnonzero(counts > 1)
        # Index of each crowded bucket among the crowded ones, -1 for the others.
        self.crowded_index = np.full(buckets, -1, dtype=np.int32)
        self.crowded_index[crowded] = np.arange(len(crowded), dtype=np.int32)
        self.any_crowded = bool(crowded.size)
        if not self.any_crowded:
            return

        # Sub-buckets of the crowded buckets, laid out bucket by bucket.
        self.sub_count = (4 * counts[crowded]).astype(np.int32)
        self.sub_offset = _exclusive_cumsum(self.sub_count)
        self.sub_start = edges[0] + crowded / self.scale
        self.sub_scale = self.sub_count * self.scale
        index = self.crowded_index[bucket]
        inside = index >= 0
        sub = self._sub_bucket(edges[inside], index[inside])
        sub_counts = np.bincount(sub, minlength=int(self.sub_count.sum()))
        earlier = _exclusive_cumsum(sub_counts)
        shift = self.before[crowded] - earlier[self.sub_offset]
        self.sub_before = earlier + np.repeat(shift, self.sub_count)
        self.sub_edge = self._single_edges(sub_counts, self.sub_before)
        self.sub_crowded = sub_counts > 1

    def _single_edges(self, counts: np.ndarray, before: np.ndarray) -> np.ndarray:
        """Return the edge in each bucket that contains exactly one, else infinity."""
        edge = np.full(len(counts), np.inf)
        single = counts == 1
        edge[single] = self.edges[before[single]]
        return edge

    def _bucket(self, t: np.ndarray) -> np.ndarray:
        bucket = ((t - self.edges[0]) * self.scale).astype(np.intp)
        return np.clip(bucket, 0, self.last_bucket, out=bucket)

    def _sub_bucket(self, t: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Sub-bucket of each t, given the index of its crowded bucket."""
        position = (t - self.sub_start[index]) * self.sub_scale[index]
        sub = np.clip(position.astype(np.intp), 0, self.sub_count[index] - 1)
        return self.sub_offset[index] + sub

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """Index of the cell that contains each t of a 1-D array, clipped to the
        cells."""
        bucket = self._bucket(t)
        cell = self.before[bucket] - 1
        cell += t >= self.edge[bucket]
        if self.any_crowded:
            index = self.crowded_index[bucket]
            crowded = np.flatnonzero(index >= 0)
            if crowded.size:
                tc = t[crowded]
                sub = self._sub_bucket(tc, index[crowded])
                found = self.sub_before[sub] - 1
                found += tc >= self.sub_edge[sub]
                searched = np.flatnonzero(self.sub_crowded[sub])
                if searched.size:
                    edges = self.edges
                    found[searched] = np.searchsorted(edges, tc[searched], "right") - 1
                cell[crowded] = found
        return np.clip(cell, 0, self.last_cell, out=cell)


@dataclass
class CumulativeTable:
    """Tabulated normalised cumulative integral of a non-negative function g.

    On each cell, g is the quadratic through the cell's ends and midpoint, or a
    constant where that quadratic is negative inside the cell. The table is the
    exact integral of this interpolant, divided by ``total``.

    Attributes
    ----------
    edges : ndarray, shape (m + 1,)
        Cell edges, increasing, from t0 to t1.
    values : ndarray, shape (m + 1,)
        g / total at the edges.
    midpoint_values : ndarray, shape (m,)
        g / total at the cells' midpoints.
    constant : ndarray of bool, shape (m,)
        Cells that use a constant.
    masses : ndarray, shape (m,)
        Normalised integral over each cell.
    cumulative : ndarray, shape (m + 1,)
        Normalised integral from t0 to each edge, from 0 to 1.
    total : float
        Integral of g over [t0, t1]; 0 when g is zero at every point evaluated.
    error : float
        Estimated largest error of the normalised integral at any t: the summed
        errors of the units' integrals plus the largest error of a partial one,
        over ``total`` (0 when ``total`` is 0).
    worst : float
        Midpoint of the unit with the largest estimated error.
    converged : bool
        Whether ``error`` reached the tolerance asked for.
    evaluations : int
        Number of points at which g was evaluated.
    points, unit_values : ndarray, shape (n, 5)
        Each unit's ends, quarter points and midpoint, and g / total there.
    """

    edges: np.ndarray
    values: np.ndarray
    midpoint_values: np.ndarray
    constant: np.ndarray
    masses: np.ndarray
    cumulative: np.ndarray
    total: float
    error: float
    worst: float
    converged: bool
    evaluations: int
    points: np.ndarray
    unit_values: np.ndarray

    def __post_init__(self):
        edges = self.edges
        width = np.diff(edges)
        mass = self.masses
        self._inverse_width = 1 / width
        # Normalised integral from each edge to t1, for `upper` without cancellation,
        # divided by its first value so that it starts at exactly 1.
        remaining = np.concatenate([np.cumsum(mass[::-1])[::-1], [0.0]])
        self._remaining = remaining / remaining[0] if remaining[0] > 0 else remaining

        # The partial integral over a fraction s of a cell is
        # s (c0 + s (c1 + s c2)); a constant cell has c1 = c2 = 0.
        g0, gm, g1 = self.values[:-1], self.midpoint_values, self.values[1:]
        self._c0 = np.where(self.constant, mass, width * g0)
        self._c1 = np.where(self.constant, 0.0, width * (-3 * g0 + 4 * gm - g1) / 2)
        self._c2 = np.where(self.constant, 0.0, width * (2 * g0 - 4 * gm + 2 * g1) / 3)

        # Buckets for the look-up: four per cell on average, or more, so that the
        # cells that contain at least half of the mass are each two buckets wide or
        # wider, but MAX_BUCKETS at most.
        by_width = np.argsort(width)
        half = np.searchsorted(np.cumsum(mass[by_width]), 0.5)
        typical = width[by_width[min(half, len(width) - 1)]]
        buckets = min(
            max(2 * (edges[-1] - edges[0]) / typical, 4 * len(width)), MAX_BUCKETS
        )
        self._locator = _CellLocator(edges, int(buckets))

    def _partial(self, t) -> tuple[np.ndarray, np.ndarray]:
        """Cell index of each t and the normalised integral from that cell's left
        edge to t."""
        t = np.asarray(t, dtype=float)
        shape = t.shape
        t = t.reshape(-1)
        cell = self._locator(t)
        s = t - self.edges[cell]
        s *= self._inverse_width[cell]
        np.clip(s, 0.0, 1.0, out=s)
        partial = self._c2[cell]
        partial *= s
        partial += self._c1[cell]
        partial *= s
        partial += self._c0[cell]
        partial *= s
        return cell.reshape(shape), partial.reshape(shape)

    def lower(self, t) -> np.ndarray:
        """Normalised integral of g from t0 to t, clipped to [0, 1]."""
        cell, value = self._partial(t)
        value += self.cumulative[cell]
        return np.clip(value, 0.0, 1.0, out=value)

    def upper(self, t) -> np.ndarray:
        """Normalised integral of g from t to t1, clipped to [0, 1]."""
        cell, value = self._partial(t)
        np.subtract(self._remaining[cell], value, out=value)
        return np.clip(value, 0.0, 1.0, out=value)


class _Units:
    """Units of step 2: edges a < b and the values of g at their five points."""

    def __init__(self, function, low_limit: bool, high_limit: bool):
        self.function = function
        self.low_limit, self.high_limit = low_limit, high_limit
        self.evaluations = 0

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        self.evaluations += t.size
        return np.asarray(self.function(t.ravel()), dtype=float).reshape(t.shape)

    def build(self, edges: np.ndarray) -> None:
        """Start from units between consecutive ``edges``."""
        self.a, self.b = edges[:-1], edges[1:]
        self.values = self.evaluate(self.unit_points(self.a, self.b))
        self._fix_limits()

    @staticmethod
    def unit_points(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        inner = a[:, None] + (b - a)[:, None] * _FRACTIONS[1:4]
        return np.column_stack([a, inner, b])

    def _fix_limits(self) -> None:
        # Where g has only a limit at an end, extrapolate it linearly from the two
        # nearest points, which lie at equal steps.
        if self.low_limit:
            first = self.values[0]
            first[0] = max(2 * first[1] - first[2], 0.0)
        if self.high_limit:
            last = self.values[-1]
            last[4] = max(2 * last[3] - last[2], 0.0)

    def insert_edges(self, new_edges: np.ndarray) -> None:
        """Split the units that contain ``new_edges``, keeping the others' values."""
        edges = np.append(self.a, self.b[-1])
        merged = np.union1d(edges, new_edges)
        if len(merged) == len(edges):
            return
        a, b = merged[:-1], merged[1:]
        old = np.minimum(np.searchsorted(edges, a), len(self.a) - 1)
        unchanged = (self.a[old] == a) & (self.b[old] == b)
        values = np.empty((len(a), 5))
        values[unchanged] = self.values[old[unchanged]]
        new = ~unchanged
        values[new] = self.evaluate(self.unit_points(a[new], b[new]))
        self.a, self.b, self.values = a, b, values
        self._fix_limits()

    def bisect(self, chosen: np.ndarray) -> None:
        """Bisect the units ``chosen``, evaluating g at four new points each."""
        a, b, values = self.a[chosen], self.b[chosen], self.values[chosen]
        width = b - a
        eighths = a[:, None] + width[:, None] * np.array([1, 3, 5, 7]) / 8
        new = self.evaluate(eighths)
        middle = a + width * 0.5

        counts = np.ones(len(self.a), dtype=np.intp)
        counts[chosen] = 2
        left = (np.cumsum(counts) - counts)[chosen]
        right = left + 1
        self.a = np.repeat(self.a, counts)
        self.b = np.repeat(self.b, counts)
        self.values = np.repeat(self.values, counts, axis=0)
        self.b[left] = middle
        self.a[right] = middle
        self.values[left] = np.column_stack(
            [values[:, 0], new[:, 0], values[:, 1], new[:, 1], values[:, 2]]
        )
        self.values[right] = np.column_stack(
            [values[:, 2], new[:, 2], values[:, 3], new[:, 3], values[:, 4]]
        )
        self._fix_limits()


def _find_peaks(units: _Units) -> np.ndarray:
    """Step 1: zoom on the scan's local maxima and return where g peaks."""
    points = np.append(units.unit_points(units.a, units.b)[:, :4].ravel(), units.b[-1])
    values = np.append(units.values[:, :4].ravel(), units.values[-1, 4])
    candidates = _peak_candidates(points, values)
    if not candidates.size:
        return np.empty(0)
    lower = points[np.maximum(candidates - 1, 0)]
    upper = points[np.minimum(candidates + 1, len(points) - 1)]
    peaks, _ = _zoom_maxima(units.evaluate, lower, upper)
    return peaks


def tabulate_cumulative(
    function: Callable[[np.ndarray], np.ndarray],
    t0: float,
    t1: float,
    *,
    tolerance: float = 1e-10,
    low_limit: bool = False,
    high_limit: bool = False,
) -> CumulativeTable:
    """Tabulate the cumulative integral of a non-negative ``function`` on [t0, t1].

    Parameters
    ----------
    function : callable
        Vectorised g(t) >= 0; it may raise on invalid values.
    t0, t1 : float
        Finite interval, t0 < t1.
    tolerance : float
        Goal for the summed estimated error, relative to the integral.
    low_limit, high_limit : bool
        Whether g has only a limit at t0 or t1, where ``function`` returns 0; the
        value there is then extrapolated from the two nearest points.

    Returns
    -------
    CumulativeTable
        With ``converged`` False when ``MAX_UNITS`` units or ``MAX_ROUNDS`` rounds,
        or units a few rounding steps wide, did not reach ``tolerance``.
    """
    units = _Units(function, low_limit, high_limit)
    units.build(np.linspace(t0, t1, SCAN_STEPS // 4 + 1))
    units.insert_edges(_find_peaks(units))
    min_width = max(1e-13 * (t1 - t0), 64 * np.finfo(float).eps * max(abs(t0), abs(t1)))

    converged = False
    for _ in range(MAX_ROUNDS):
        width = units.b - units.a
        mass_errors, partial_errors = _unit_errors(width, units.values)
        total = float(np.sum(_simpson_halves(width, units.values)))
        budget = tolerance * total / 2
        if not (mass_errors.sum() > budget or partial_errors.max() > budget):
            converged = True
            break

        # Bisect every unit with a partial integral off by more than its half of the
        # tolerance, and the units with the largest errors of their integral, so
        # that the others' sum to at most a quarter of the tolerance.
        chosen = partial_errors > budget
        if mass_errors.sum() > budget:
            order = np.argsort(mass_errors)
            unsplit = np.searchsorted(
                np.cumsum(mass_errors[order]), budget / 2, "right"
            )
            chosen[order[unsplit:]] = True
        chosen = np.flatnonzero(chosen & (width > min_width))
        room = MAX_UNITS - len(units.a)
        if not chosen.size or room <= 0:
            break
        if chosen.size > room:
            largest = np.argsort(mass_errors[chosen] + partial_errors[chosen])
            chosen = chosen[largest[-room:]]
        units.bisect(chosen)

    # The table: the halves of every unit.
    width = units.b - units.a
    mass_errors, partial_errors = _unit_errors(width, units.values)
    masses = _simpson_halves(width, units.values).ravel()
    cumulative = np.concatenate([[0.0], np.cumsum(masses)])
    total = float(cumulative[-1])
    # Divide rather than multiply by 1 / total, so that the table ends at exactly 1.
    divisor = total if total > 0 else 1.0
    masses /= divisor
    cumulative /= divisor
    values = units.values / divisor
    edges = np.empty(2 * len(units.a) + 1)
    edges[0:-1:2], edges[1::2], edges[-1] = units.a, units.a + width * 0.5, units.b[-1]
    edge_values = np.append(values[:, [0, 2]].ravel(), values[-1, 4])
    midpoint_values = values[:, [1, 3]].ravel()
    constant = _negative_inside(edge_values[:-1], midpoint_values, edge_values[1:])
    worst = int(np.argmax(mass_errors + partial_errors))
    return CumulativeTable(
        edges=edges,
        values=edge_values,
        midpoint_values=midpoint_values,
        constant=constant,
        masses=masses,
        cumulative=cumulative,
        total=total,
        error=float((mass_errors.sum() + partial_errors.max()) / divisor),
        worst=float((units.a[worst] + units.b[worst]) / 2),
        converged=converged,
        evaluations=units.evaluations,
        points=units.unit_points(units.a, units.b),
        unit_values=values,
    )
