"""Inverse transform sampling: x = F^-1(u) with u uniform on (0, 1).

If U is uniform on (0, 1) and F is a continuous CDF, then F^-1(U) has CDF F
(Devroye, "Non-Uniform Random Variate Generation", 1986, chapter II.2). Targets with a
closed-form quantile function use it. For the others, `NumericalInversion` tabulates
F^-1 once and interpolates:

- knots at u = j / M for j = 64 .. M - 64 (M = 2^14 cells by default), each solved to
  |F(x) - u| <= 1e-12 by Newton steps that fall back to bisection when a step leaves
  the bracket;
- linear interpolation between knots, so a draw costs a table look-up and one
  multiply-add;
- in the outer 64 cells of each tail, cubic Hermite tables over log(u) and
  log(1 - u) down to 1e-14, because F^-1 is too curved there for the uniform table.
  Probabilities further out than 1e-14 map to the last knot.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator

import numpy as np

from models.sampling.diagnostics import (
    MAX_STORED_SAMPLES,
    RunningHistogram,
    RunningKS,
)
from models.targets import Target1D, TargetError

logger = logging.getLogger(__name__)

# rng.random() returns k / 2^53 for k = 0 .. 2^53 - 1, so raising 0 to 2^-54 gives a
# value in the open interval (0, 1) without biasing any other value.
_MIN_U = 2.0**-54


def open_uniform(rng: np.random.Generator, size) -> np.ndarray:
    """Draw uniform numbers from the open interval (0, 1), never exactly 0 or 1."""
    u = rng.random(size)
    np.maximum(u, _MIN_U, out=u)
    return u


def _solve_increasing(
    function: Callable,
    derivative: Callable,
    targets: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    start: np.ndarray,
    tolerance: np.ndarray,
    max_iterations: int = 100,
) -> np.ndarray:
    """Solve function(x) = targets elementwise for an increasing function.

    Each x starts at ``start`` inside its finite bracket [low, high]. A Newton step that
    leaves the bracket, or a zero derivative, is replaced by bisection.
    """
    x = start.copy()
    low, high = low.copy(), high.copy()
    active = np.arange(len(x))
    for _ in range(max_iterations):
        xa = x[active]
        residual = function(xa) - targets[active]
        done = np.abs(residual) <= tolerance[active]
        done |= high[active] - low[active] <= 4e-16 * np.maximum(np.abs(xa), 1e-300)
        low[active] = np.where(residual < 0, xa, low[active])
        high[active] = np.where(residual > 0, xa, high[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - residual / derivative(xa)
        la, ha = low[active], high[active]
        inside = (newton > la) & (newton < ha)
        x[active] = np.where(done, xa, np.where(inside, newton, (la + ha) / 2))
        active = active[~done]
        if active.size == 0:
            break
    else:
        logger.debug("inversion: %d knots did not converge", active.size)
    return x


class _HermiteTable:
    """Monotone cubic Hermite interpolation of y(t) from values and slopes at knots.

    Slopes are limited to three times the neighbouring secants (Fritsch and Carlson,
    1980, "Monotone piecewise cubic interpolation"), which keeps each piece monotone
    and tames infinite slopes at a support boundary. Outside the knots the end values
    are returned.
    """

    def __init__(self, t: np.ndarray, y: np.ndarray, slopes: np.ndarray):
        secants = np.diff(y) / np.diff(t)
        limit = np.full(len(t), np.inf)
        limit[:-1] = 3 * np.abs(secants)
        limit[1:] = np.minimum(limit[1:], 3 * np.abs(secants))
        sign = np.sign(secants.sum()) if secants.any() else 1.0
        slopes = np.where(np.isfinite(slopes), np.abs(slopes), np.inf)
        self._t, self._y = t, y
        self._slopes = sign * np.minimum(slopes, limit)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        knots = self._t
        t = np.clip(t, knots[0], knots[-1])
        i = np.clip(np.searchsorted(knots, t) - 1, 0, len(knots) - 2)
        h = knots[i + 1] - knots[i]
        s = (t - knots[i]) / h
        y0, y1 = self._y[i], self._y[i + 1]
        m0, m1 = self._slopes[i] * h, self._slopes[i + 1] * h
        s2, s3 = s * s, s * s * s
        return (
            (2 * s3 - 3 * s2 + 1) * y0
            + (s3 - 2 * s2 + s) * m0
            + (-2 * s3 + 3 * s2) * y1
            + (s3 - s2) * m1
        )


class NumericalInversion:
    """Tabulated quantile function of a 1-D target without a closed form.

    Parameters
    ----------
    target : Target1D
        Needs ``cdf``, ``sf`` and ``pdf``.
    cells : int
        Number M of equal cells in u; the interpolation error in u falls as 1/M^2.
    tail_probability : float
        Probability left out at each end; u below it maps to the first knot.

    Attributes
    ----------
    bracket : tuple of float
        Finite interval [a, b] with F(a) <= tail_probability and
        1 - F(b) <= tail_probability.
    """

    tail_cells = 64
    tail_knots = 96

    def __init__(
        self, target: Target1D, cells: int = 2**14, tail_probability: float = 1e-14
    ):
        if cells < 4 * self.tail_cells:
            raise ValueError(f"cells must be at least {4 * self.tail_cells}")
        self.target = target
        self.cells = cells
        self.tail_probability = tail_probability
        self.bracket = self._find_bracket()

        # Knots: the inner uniform table, then the two tail tables.
        m, tail = cells, self.tail_cells
        inner_u = np.arange(tail, m - tail + 1) / m
        tail_u = np.logspace(
            math.log10(tail_probability), math.log10(tail / m), self.tail_knots
        )
        self._log_tail_u = np.log(tail_u)
        lower = self._solve(tail_u, upper=False)
        inner = self._solve(inner_u, upper=False)
        upper = self._solve(tail_u, upper=True)

        # Slopes for the cubic Hermite tails: dx/dlog(u) = u / f(x), and
        # dx/dlog(1 - u) = -(1 - u) / f(x).
        with np.errstate(divide="ignore", invalid="ignore"):
            lower_slopes = tail_u / np.asarray(target.pdf(lower))
            upper_slopes = -tail_u / np.asarray(target.pdf(upper))
        self._lower_tail = _HermiteTable(self._log_tail_u, lower, lower_slopes)
        self._upper_tail = _HermiteTable(self._log_tail_u, upper, upper_slopes)

        table = np.empty(m + 1)
        table[tail : m - tail + 1] = inner
        table[:tail] = inner[0]
        table[m - tail + 1 :] = inner[-1]
        self._table = table
        self._slopes = np.diff(table)

    def _find_bracket(self) -> tuple[float, float]:
        target, p = self.target, self.tail_probability
        low, high = target.plot_range
        width = max(high - low, 1e-12)
        a, b = target.low, target.high
        if not math.isfinite(a):
            a, step = low, width
            for _ in range(1100):
                if target.cdf(a) <= p:
                    break
                a, step = a - step, step * 2
            else:
                raise TargetError(f"{target.name}: could not find the lower tail")
        if not math.isfinite(b):
            b, step = high, width
            for _ in range(1100):
                if target.sf(b) <= p:
                    break
                b, step = b + step, step * 2
            else:
                raise TargetError(f"{target.name}: could not find the upper tail")
        return float(a), float(b)

    def _solve(self, probabilities: np.ndarray, *, upper: bool) -> np.ndarray:
        """Solve F(x) = p, or 1 - F(x) = p in the upper tail, for every p."""
        target = self.target
        a, b = self.bracket

        # Start from a coarse forward table, which also gives each knot a bracket.
        grid = np.linspace(a, b, 4097)
        plot_low, plot_high = target.plot_range
        inner = np.linspace(max(a, plot_low), min(b, plot_high), 4097)
        grid = np.unique(np.concatenate([grid, inner]))
        if upper:
            values = -np.minimum.accumulate(np.asarray(target.sf(grid)))
            goal = -probabilities

            def function(x):
                return -target.sf(x)
        else:
            values = np.maximum.accumulate(np.asarray(target.cdf(grid)))
            goal = probabilities
            function = target.cdf
        index = np.clip(np.searchsorted(values, goal), 1, len(grid) - 1)
        low, high = grid[index - 1], grid[index]
        start = np.clip(np.interp(goal, values, grid), low, high)
        tolerance = np.maximum(1e-12 * probabilities, 1e-300)
        tolerance = np.minimum(tolerance, 1e-13)
        return _solve_increasing(
            function, target.pdf, goal, low, high, start, tolerance
        )

    def __call__(self, u) -> np.ndarray:
        """Approximate F^-1(u) for u in (0, 1)."""
        u = np.asarray(u, dtype=float)
        shape = u.shape
        u = u.ravel()
        scaled = u * self.cells
        index = scaled.astype(np.intp)
        np.clip(index, 0, self.cells - 1, out=index)
        scaled -= index
        x = self._table[index]
        x += scaled * self._slopes[index]

        tail = self.tail_cells
        outer = np.flatnonzero((index < tail) | (index >= self.cells - tail))
        if outer.size:
            uo = u[outer]
            lower = uo < 0.5
            result = np.empty(outer.size)
            result[lower] = self._lower_tail(np.log(uo[lower]))
            result[~lower] = self._upper_tail(np.log1p(-uo[~lower]))
            x[outer] = result
        return x.reshape(shape)


class InverseTransformSampler:
    """Draw from a 1-D target by inverse transform.

    Uses the target's closed-form quantile function when it has one and a
    `NumericalInversion` table otherwise (built when the sampler is made).

    Parameters
    ----------
    target : Target1D
    numerical : bool
        Use the table even when a closed form exists, for comparison.
    """

    def __init__(self, target: Target1D, *, numerical: bool = False):
        if target.dim != 1:
            raise TargetError(
                f"inverse transform needs a 1-D target, got {target.name}"
            )
        self.target = target
        self.method = "closed form"
        if target.has_closed_form_ppf and not numerical:
            self._quantile = target.ppf
        else:
            self._quantile = NumericalInversion(target)
            self.method = "numerical inversion"

    def transform(self, u) -> np.ndarray:
        """Map uniform numbers in (0, 1) to draws from the target."""
        return self._quantile(u)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw n independent samples."""
        return self.transform(open_uniform(rng, n))


class InverseTransformRun:
    """Inverse transform sampling in steps, for the GUI and the command line.

    Each step draws ``chunk_size`` samples: 1 shows every u and its x, a large chunk
    fills the histogram fast.

    Parameters
    ----------
    sampler : InverseTransformSampler
    rng : numpy.random.Generator
    n : int or None
        Total number of samples, or None for an open-ended run.
    chunk_size : int
    bins : int
        Number of histogram bins over the target's plot range.
    recent : int
        How many of the latest (u, x) pairs the snapshot contains.
    max_stored : int
        Upper limit on kept draws. Every draw is kept, for export and the exact KS
        distance, which costs about 16 bytes each; a larger ``n`` is rejected up
        front.
    """

    def __init__(
        self,
        sampler: InverseTransformSampler,
        rng: np.random.Generator,
        n: int | None = 10_000,
        *,
        chunk_size: int = 1,
        bins: int = 60,
        recent: int = 50,
        max_stored: int = MAX_STORED_SAMPLES,
    ):
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        if n is not None and n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if n is not None and n > max_stored:
            raise ValueError(
                f"the run would keep {n:,} samples, more than {max_stored:,}; "
                "draw fewer samples"
            )
        # NOTE: an open-ended run (n None) keeps every draw, so its memory grows
        # with its length.
        self.sampler = sampler
        self.target = sampler.target
        self.rng = rng
        self.n = n
        self.chunk_size = chunk_size
        self.total_steps = None if n is None else math.ceil(n / chunk_size)
        self.step = 0
        self.drawn = 0

        target = self.target
        low, high = target.plot_range
        self._histogram = RunningHistogram(low, high, bins)
        edges = self._histogram.edges
        self._expected = np.diff(target.cdf(edges)) / np.diff(edges)
        self._ks = RunningKS(target.cdf)
        self._cdf_x = np.linspace(low, high, 400)
        self._cdf = np.asarray(target.cdf(self._cdf_x))
        self._pdf = np.asarray(target.pdf(self._cdf_x))
        self._recent_u = np.empty(0)
        self._recent_x = np.empty(0)
        self._recent = recent
        self._samples: list[np.ndarray] = []

    def steps(self) -> Iterator[dict]:
        """Draw one chunk per iteration and yield ``{"step", "n", "u", "x"}``.

        ``u`` and ``x`` are the last uniform number and its draw.
        """
        while self.total_steps is None or self.step < self.total_steps:
            size = self.chunk_size
            if self.n is not None:
                size = min(size, self.n - self.drawn)
            u = open_uniform(self.rng, size)
            x = self.sampler.transform(u)
            self._histogram.add(x)
            self._ks.add(x)
            self._samples.append(x)
            self._recent_u = np.concatenate([self._recent_u, u[-self._recent :]])
            self._recent_u = self._recent_u[-self._recent :]
            self._recent_x = np.concatenate([self._recent_x, x[-self._recent :]])
            self._recent_x = self._recent_x[-self._recent :]
            self.drawn += size
            self.step += 1
            yield {
                "step": self.step,
                "n": self.drawn,
                "u": float(u[-1]),
                "x": float(x[-1]),
            }

    def samples(self) -> np.ndarray:
        """Return all draws so far, in order."""
        if len(self._samples) > 1:
            self._samples = [np.concatenate(self._samples)]
        return self._samples[0].copy() if self._samples else np.empty(0)

    def snapshot(self) -> dict:
        """Plain data for the plots.

        Keys:

        - ``step``, ``n`` (draws so far) and ``method`` ("closed form" or
          "numerical inversion").
        - ``cdf_x`` and ``cdf``: the CDF curve on the plot range, and ``pdf``, the
          density on ``cdf_x``.
        - ``recent_u`` and ``recent_x``: the latest uniform numbers and their draws,
          oldest first.
        - ``bin_edges``, ``histogram`` (counts / (n * width)) and ``expected``
          (exact bin probability / width) on the same bins.
        - ``ks_statistic``: KS distance of all draws from the exact CDF, NaN before
          the first draw.
        """
        return {
            "step": self.step,
            "n": self.drawn,
            "method": self.sampler.method,
            "cdf_x": self._cdf_x.copy(),
            "cdf": self._cdf.copy(),
            "pdf": self._pdf.copy(),
            "recent_u": self._recent_u.copy(),
            "recent_x": self._recent_x.copy(),
            "bin_edges": self._histogram.edges.copy(),
            "histogram": self._histogram.density(),
            "expected": self._expected.copy(),
            "ks_statistic": self._ks.statistic(),
        }
