"""A step-function hat fitted to a 1-D target, for rejection sampling.

The hat h(x) is constant on each cell [e_i, e_(i+1)] of a central interval [a, b].
Where the support goes on past a or b to infinity, a Cauchy-shaped tail
c / (1 + z^2), with z = (x - b) / s beyond b, continues it. The proposal is q = h / H,
with H the area under h, and the envelope constant is M = H. So M q is the hat
itself, and a dart is accepted with probability 1/H. Every cell has the same area C,
so that one uniform number picks a cell and a place in it. Each cell also has a
squeeze, a constant at or below p on the cell, and a dart under the squeeze is
accepted without evaluating p. Hats and squeezes are also what scipy's
TransformedDensityRejection builds (scipy.stats.sampling documentation). That method
needs a concave transformed density, but this hat only needs a density that is
monotone between the points where it was evaluated.

Construction:

1. Evaluate p on a grid over [a, b]. Add points where the target's CDF shows more
   mass than p on the grid allows (a narrow peak between two grid points), and
   where log p changes by more than 0.5 between neighbours.
2. Split [a, b] at the local maxima and minima, so that p is monotone on each piece,
   and polish each maximum with a bounded scalar search.
3. Walk each piece from its high end, closing a cell at width C / p(start), so that
   p at the start times the width is about C.
4. Evaluate p at every cell edge. On a monotone cell the supremum and infimum of p
   are at its ends. The hat is (1 + MARGIN) times the larger end value, raised to
   the common cell area, and the squeeze is (1 - MARGIN) times the smaller one.
   Cells next to a local minimum get no squeeze. Cells that come out too heavy are
   split.
5. Verify: p at the grid points and cell midpoints lies between squeeze and hat, and
   the CDF's mass in each cell lies between squeeze and hat areas. If not, building
   fails with `HatError`, and `models.sampling.rejection.make_proposal` falls back to
   another proposal.
6. Beyond an infinite end, the tail constant c is the numerical maximum of
   p (1 + z^2), times TAIL_MARGIN, with s the decay length of p at the end.

NOTE: the verification is numerical. A feature of p narrower than the grid whose
mass between two grid points is below about 1e-10 could escape it.
"""

from __future__ import annotations

import bisect
import logging
import math

import numpy as np

from models.sampling.rejection import (
    EnvelopeCheck,
    Proposal,
    UnboundedRatioError,
    add_hidden_peak_points,
    zoom_maximum,
)
from models.targets import Target1D, TargetError

logger = logging.getLogger(__name__)

DEFAULT_CELLS = 1024
# Relative margin of the hat above, and of the squeeze below, the end values of p.
MARGIN = 1e-3
# Target mass left beyond each infinite end of the central interval, for the tails.
TAIL_MASS = 1e-5
# The tail constant c is found numerically, so it gets the same 1 % as find_envelope.
TAIL_MARGIN = 1.01
_GRID_POINTS = 4097
# Every cell gets the area of the heaviest, so heavier ones are split.
_SPLIT_ABOVE = 1.001
_MAX_EXTREMA = 200


class HatError(TargetError):
    """The hat could not be built or verified for this target."""


class HatProposal(Proposal):
    """Step-function hat with Cauchy-shaped tails, built by `build_hat`.

    Attributes
    ----------
    target : Target1D
        The target the hat covers.
    edges : numpy.ndarray
        Cell edges e_0 = a < ... < e_K = b.
    heights : numpy.ndarray
        Hat value h_i on each cell, in the units of p.
    squeezes : numpy.ndarray
        Lower bound of p on each cell, in the units of p; 0 where none is known.
    area : float
        H, the area under the hat: the envelope constant M for which M q = h.
    envelope : EnvelopeCheck
        The maximum of p/q at the points checked, for `find_envelope`.
    """

    has_squeeze = True

    def __init__(
        self,
        target: Target1D,
        edges: np.ndarray,
        cell_area: float,
        squeezes: np.ndarray,
        tails: dict,
        largest_ratio: tuple[float, float],
    ):
        self.target = target
        self.edges = edges
        widths = np.diff(edges)
        self.heights = cell_area / widths
        self.squeezes = squeezes
        self.low, self.high = target.low, target.high
        a, b = float(edges[0]), float(edges[-1])
        self.loc, self.scale = (a + b) / 2, (b - a) / 2
        self._tails = tails
        left_slots = tails["left"][2] if "left" in tails else 0
        right_slots = tails["right"][2] if "right" in tails else 0
        cells = len(widths)
        slots = left_slots + cells + right_slots
        self.area = slots * cell_area
        self._log_area = math.log(self.area)
        self._log_heights = np.log(self.heights) - self._log_area
        self.name = f"hat({cells} cells on [{a:.4g}, {b:.4g}])"

        # Slots of equal area: left tail, cells, right tail. A tail slot has left
        # edge 0 and width 1, so that the cell formula leaves its uniform in place
        # for `place_tails`. One more slot repeats the last, for U S rounded up to S.
        self._slots = slots
        self._first_cell = left_slots
        self._first_right = left_slots + cells
        central = slice(left_slots, left_slots + cells)
        self._slot_left = np.zeros(slots + 1)
        self._slot_width = np.ones(slots + 1)
        self._slot_left[central] = edges[:-1]
        self._slot_width[central] = widths
        # log q per slot, NaN in the tails, where q varies. Squeeze over hat per
        # slot, 0 in the tails, where no squeeze is known.
        self._slot_log_density = np.full(slots + 1, np.nan)
        self._slot_log_density[central] = self._log_heights
        self._squeeze_ratios = np.zeros(slots + 1)
        self._squeeze_ratios[central] = squeezes / self.heights
        for array in (
            self._slot_left,
            self._slot_width,
            self._slot_log_density,
            self._squeeze_ratios,
        ):
            array[-1] = array[-2]
        self._squeeze_tables: dict[float, tuple[np.ndarray, np.ndarray]] = {}

        # p/q = H p/h, so the largest p/h, at most 1, gives the largest p/q.
        ratio, argmax = largest_ratio
        self.envelope = EnvelopeCheck(
            self.area, ratio * self.area, argmax, self.area, True
        )

    # Tails: (end, scale s, slots, constant c); density c / (1 + z^2) beyond the end.

    def _tail_logpdf(self, side: str, x: np.ndarray) -> np.ndarray:
        end, scale, _, constant = self._tails[side]
        z = (x - end) / scale
        return math.log(constant) - np.log1p(z * z) - self._log_area

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        result = np.full(x.shape, -np.inf)
        a, b = self.edges[0], self.edges[-1]
        inside = (x >= a) & (x <= b)
        cell = np.searchsorted(self.edges, x[inside], side="right") - 1
        np.clip(cell, 0, len(self.heights) - 1, out=cell)
        result[inside] = self._log_heights[cell]
        for side, beyond in (("left", x < a), ("right", x > b)):
            if side in self._tails:
                beyond &= (x >= self.low) & (x <= self.high)
                result[beyond] = self._tail_logpdf(side, x[beyond])
        return result

    def sample(self, n, rng):
        x = np.empty(n)
        self.sample_into(x, rng)
        return x

    def sample_into(self, out, rng):
        self.sample_slots_into(out, np.empty(len(out), dtype=np.intp), rng)

    def sample_slots_into(
        self, out: np.ndarray, slots: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Fill ``out`` with draws from q and ``slots`` with the slot of each.

        One uniform U per draw: the integer part of U S picks one of the S slots of
        equal area, and its fractional part the place in the slot.
        """
        rng.random(out=out)
        out *= self._slots
        slots[...] = out
        out -= slots
        out *= self._slot_width[slots]
        out += self._slot_left[slots]
        self.place_tails(out, slots)

    def sample_logpdf_into(self, out, log_density, rng):
        # The slot of each draw gives log q without a search over the edges.
        slots = np.empty(len(out), dtype=np.intp)
        rng.random(out=out)
        out *= self._slots
        slots[...] = out
        out -= slots
        out *= self._slot_width[slots]
        out += self._slot_left[slots]
        np.take(self._slot_log_density, slots, out=log_density)
        self.place_tails(out, slots, log_density)

    def throw_into(
        self,
        target: Target1D,
        m: float,
        x: np.ndarray,
        slots: np.ndarray,
        work: np.ndarray,
        accepted: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        """Throw len(x) darts under the envelope m q and mark the accepted ones.

        On a cell m q = (m / H) h, so a dart of height u m q lies under the
        squeeze s exactly when u <= r = (s / h) (H / m). One uniform U per dart:
        the integer part of U S picks the slot, and its fractional part, uniform on
        [0, 1) and independent of the slot, is u. Given u < r, u / r is uniform on
        [0, 1) again, so it places the accepted dart in its cell. Above r, a fresh
        uniform places the dart and p decides. ``work`` is a float array and
        ``slots`` an intp array of the same length.
        """
        ratio, stretch = self._squeeze_table(m)
        rng.random(out=x)
        x *= self._slots
        slots[...] = x
        x -= slots
        np.take(ratio, slots, out=work)
        np.less(x, work, out=accepted)
        unsure = np.flatnonzero(np.greater_equal(x, work))
        height = x[unsure]

        # Under the squeeze: x = left + (u / r) width.
        np.take(stretch, slots, out=work)
        x *= work
        np.take(self._slot_left, slots, out=work)
        x += work
        if not unsure.size:
            return

        # The rest: a fresh place, then accept when u m q(x) < p(x).
        unsure_slots = slots[unsure]
        place = rng.random(unsure.size)
        x_unsure = (
            self._slot_left[unsure_slots] + place * self._slot_width[unsure_slots]
        )
        log_q = self._slot_log_density[unsure_slots]
        self.place_tails(x_unsure, unsure_slots, log_density=log_q)
        x[unsure] = x_unsure
        with np.errstate(divide="ignore", invalid="ignore"):
            log_height = np.log(height) + math.log(m) + log_q
            accepted[unsure] = log_height < target.logpdf(x_unsure)

    def _squeeze_table(self, m: float) -> tuple[np.ndarray, np.ndarray]:
        """Per slot, r = min(1, (s / h) (H / m)) and width / r (0 where r is 0)."""
        if m not in self._squeeze_tables:
            ratio = np.minimum(self._squeeze_ratios * (self.area / m), 1.0)
            stretch = np.zeros_like(ratio)
            np.divide(self._slot_width, ratio, out=stretch, where=ratio > 0)
            self._squeeze_tables = {m: (ratio, stretch)}
        return self._squeeze_tables[m]

    def place_tails(
        self,
        out: np.ndarray,
        slots: np.ndarray,
        log_density: np.ndarray | None = None,
    ) -> None:
        """Turn places in tail slots, uniform on [0, 1), into x beyond the cells.

        The tail is inverted, x = end + s tan(pi v / 2) with v uniform on [0, 1).
        The tail values of log q are written into ``log_density`` if given.
        """
        for side, (end, scale, count, _) in self._tails.items():
            if side == "left":
                hits = np.flatnonzero(slots < count)
                first = 0
            else:
                hits = np.flatnonzero(slots >= self._first_right)
                first = self._first_right
            if not hits.size:
                continue
            # v reaches 1 only in the extra slot for U S rounded up to S.
            v = np.minimum((slots[hits] - first + out[hits]) / count, 1.0)
            distance = scale * np.tan(0.5 * math.pi * v)
            x = end - distance if side == "left" else end + distance
            out[hits] = x
            if log_density is not None:
                log_density[hits] = self._tail_logpdf(side, x)

    def cdf(self, x) -> np.ndarray:
        """Cumulative distribution function of q."""
        x = np.asarray(x, dtype=float)
        a, b = self.edges[0], self.edges[-1]
        cell_area = self.area / self._slots
        below_a = cell_area * self._first_cell
        result = np.zeros(x.shape)

        # Cells: the slots before the cell, then the part of the cell left of x.
        inside = (x >= a) & (x <= b)
        cell = np.searchsorted(self.edges, x[inside], side="right") - 1
        np.clip(cell, 0, len(self.heights) - 1, out=cell)
        part = (x[inside] - self.edges[cell]) * self.heights[cell]
        result[inside] = below_a + cell * cell_area + part

        # Tails: the integral of c / (1 + z^2) is c s atan(z).
        above_b = below_a + cell_area * len(self.heights)
        result[x > b] = above_b
        for side, (end, scale, _, constant) in self._tails.items():
            if side == "left":
                beyond = x < a
                z = (end - x[beyond]) / scale
                result[beyond] = constant * scale * (math.pi / 2 - np.arctan(z))
            else:
                beyond = x > b
                z = (x[beyond] - end) / scale
                result[beyond] = above_b + constant * scale * np.arctan(z)
        return result / self.area

    def central_range(self):
        return float(self.edges[0]), float(self.edges[-1])

    def probe_points(self) -> np.ndarray:
        """Cell edges, the points just left of them and the midpoints.

        On a monotone cell, p/q is largest at one end of the cell, so an envelope
        search with a hand-set M needs these points.
        """
        edges = self.edges
        before = np.nextafter(edges[1:], -np.inf)
        return np.concatenate([edges, before, (edges[1:] + edges[:-1]) / 2])


def _logpdf(target: Target1D, x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        values = np.asarray(target.logpdf(x), dtype=float)
    return np.where(np.isnan(values), -np.inf, values)


def _central_interval(target: Target1D) -> tuple[float, float]:
    """[a, b]: the support's finite ends, or where TAIL_MASS is left beyond."""
    a, b = target.plot_range
    width = b - a
    if math.isinf(target.low):
        step = width
        for _ in range(64):
            if float(target.cdf(np.array([a]))[0]) <= TAIL_MASS:
                break
            a, step = a - step, 2 * step
    else:
        a = target.low
    if math.isinf(target.high):
        step = width
        for _ in range(64):
            if float(target.sf(np.array([b]))[0]) <= TAIL_MASS:
                break
            b, step = b + step, 2 * step
    else:
        b = target.high
    return float(a), float(b)


def _grid(target: Target1D, a: float, b: float) -> np.ndarray:
    """A uniform grid over the plot range, geometric out to a and b and towards
    finite ends of the support, where a density may change fast."""
    low, high = target.plot_range
    low, high = max(low, a), min(high, b)
    width = high - low
    parts = [np.linspace(low, high, _GRID_POINTS)]
    # Outside the plot range the spacing grows by 9 % per point.
    spacing = width / (_GRID_POINTS - 1)
    distances = spacing * 2.0 ** np.arange(0, 64, 0.125)
    ends = ((low, a, target.low, -1), (high, b, target.high, 1))
    for edge, end, support_end, sign in ends:
        gap = abs(end - edge)
        if gap > 0:
            steps = distances[distances < gap]
            parts.append(edge + sign * steps)
            parts.append([end])
        if math.isfinite(support_end):
            parts.append(end - sign * width * 2.0 ** -np.arange(6, 61))
    x = np.unique(np.concatenate(parts))
    return x[(x >= a) & (x <= b)]


def _refine_steep(target, x, log_p, cell_area, rounds=40):
    """Add midpoints where log p changes by over 0.5 between grid points that hold
    a sizeable part of a cell, so that interpolating log p in the walk is close.

    Next to a narrow peak, p falls by orders of magnitude between two points of the
    coarse grid; interpolating there would make many cells far too small.
    """
    for _ in range(rounds):
        with np.errstate(invalid="ignore", over="ignore"):
            step = np.abs(np.diff(log_p))
            weight = np.exp(np.maximum(log_p[:-1], log_p[1:])) * np.diff(x)
        steep = np.flatnonzero((step > 0.5) & (weight > cell_area / 16))
        if not steep.size:
            break
        middle = (x[steep] + x[steep + 1]) / 2
        x = np.concatenate([x, middle])
        log_p = np.concatenate([log_p, _logpdf(target, middle)])
        order = np.argsort(x, kind="stable")
        x, log_p = x[order], log_p[order]
    return x, log_p


def _split_points(target, x, log_p) -> tuple[list[float], list[float]]:
    """Local maxima (polished) and minima of p on the grid, as piece boundaries."""
    with np.errstate(invalid="ignore"):
        change = np.diff(log_p)
    change[np.isnan(change)] = 0.0
    flat = np.abs(change) <= 1e-12 * (1 + np.abs(log_p[:-1]))
    sign = np.where(flat, 0, np.sign(change))
    moving = np.flatnonzero(sign)
    turns = np.flatnonzero(sign[moving[1:]] != sign[moving[:-1]])
    if len(turns) > _MAX_EXTREMA:
        raise HatError(
            f"the density has over {_MAX_EXTREMA} local maxima and minima on "
            f"[{x[0]:.4g}, {x[-1]:.4g}], too many for a hat"
        )
    # At each turn, the grid point after the last step of the run that ends there.
    at = moving[turns] + 1
    rising = sign[moving[turns]] > 0
    minima = x[at[~rising]].tolist()
    peaks = at[rising]
    if not peaks.size:
        return [], minima
    lower, upper = x[peaks - 1], x[np.minimum(peaks + 1, len(x) - 1)]
    polished, value = zoom_maximum(lambda v: _logpdf(target, v), lower, upper)
    maxima = np.where(value > log_p[peaks], polished, x[peaks])
    return maxima.tolist(), minima


def _walk_piece(
    start: float, stop: float, grid: tuple[list, list], cell_area: float, limit: int
) -> list[float]:
    """Cell edges from ``start`` up to ``stop``, where p falls, each cell about
    ``cell_area`` / (1 + MARGIN) under p at its start.

    ``grid`` holds x ascending and log p as lists; p between grid points comes from
    linear interpolation of log p. The exact values are taken later at the edges.
    """
    xs, log_ps = grid
    step_area = cell_area / (1 + MARGIN)
    e, stop = float(start), float(stop)
    i = min(max(bisect.bisect_right(xs, e) - 1, 0), len(xs) - 2)
    last = len(xs) - 2
    edges = []
    for _ in range(limit):
        while i < last and xs[i + 1] <= e:
            i += 1
        x0, x1 = xs[i], xs[i + 1]
        l0, l1 = log_ps[i], log_ps[i + 1]
        if l0 == -math.inf or l1 == -math.inf:
            density = math.exp(max(l0, l1))
        else:
            t = min(max((e - x0) / (x1 - x0), 0.0), 1.0)
            density = math.exp(l0 + t * (l1 - l0))
        if not density > 0:
            return edges
        e += step_area / density
        if e >= stop:
            return edges
        edges.append(e)
    raise HatError(
        f"the hat needs over {limit} cells on a piece of the density where it is "
        "monotone"
    )


def _cell_edges(target, a, b, x, log_p, cell_area, cells):
    """Edges of cells of about equal hat area, and the intervals next to local
    minima of p, which get no squeeze.

    The true minimum may lie a little off the grid point where a piece ends, inside
    a neighbouring cell and below both of its ends.
    """
    maxima, minima = _split_points(target, x, log_p)
    boundaries = sorted({a, b, *maxima, *minima})
    boundary_log_p = _logpdf(target, np.array(boundaries))

    # Each piece is walked from its high end; a walk to the left runs to the right
    # in -x. Python lists and floats, because the walk is a scalar loop.
    rightwards = (x.tolist(), log_p.tolist())
    leftwards = ((-x[::-1]).tolist(), log_p[::-1].tolist())
    edges = list(boundaries)
    limit = 8 * cells
    for i in range(len(boundaries) - 1):
        left, right = float(boundaries[i]), float(boundaries[i + 1])
        if boundary_log_p[i] >= boundary_log_p[i + 1]:
            edges += _walk_piece(left, right, rightwards, cell_area, limit)
        else:
            walked = _walk_piece(-right, -left, leftwards, cell_area, limit)
            edges += [-e for e in walked]
    edges = np.unique(np.array(edges))
    at = np.searchsorted(edges, minima)
    no_squeeze = [(edges[max(i - 1, 0)], edges[min(i + 1, len(edges) - 1)]) for i in at]
    return edges, no_squeeze


def _bounds_on_cells(target, edges, no_squeeze):
    """Supremum and infimum of p on each cell from its end values; the infimum is
    0 on cells inside the ``no_squeeze`` intervals."""
    log_p = _logpdf(target, edges)
    if np.any(log_p == np.inf):
        where = float(edges[np.argmax(log_p == np.inf)])
        raise UnboundedRatioError(
            f"the target density is infinite at x = {where:.6g}, so no hat covers "
            "it; narrow the domain"
        )
    p = np.exp(log_p)
    supremum = np.maximum(p[:-1], p[1:])
    infimum = np.minimum(p[:-1], p[1:])

    middle = (edges[1:] + edges[:-1]) / 2
    for low, high in no_squeeze:
        infimum[(middle > low) & (middle < high)] = 0.0
    return supremum, infimum


def _split_heavy_cells(target, edges, no_squeeze, cell_area):
    """Split cells whose supremum times width passes the cell area by over 0.1 %.

    The walk used interpolated p, so a few cells can come out too heavy. The pieces
    of a monotone cell have suprema no larger than the whole cell's. Runs of cells
    where p is 0 are merged afterwards, since each cell costs one cell area.
    """
    supremum, infimum = _bounds_on_cells(target, edges, no_squeeze)
    load = supremum * (1 + MARGIN) * np.diff(edges) / (cell_area * _SPLIT_ABOVE)
    heavy = np.flatnonzero(load > 1)
    if not heavy.size:
        return edges, supremum, infimum
    parts = np.minimum(np.ceil(load[heavy]).astype(int), 4096)
    new = [
        np.linspace(edges[i], edges[i + 1], k + 1)[1:-1]
        for i, k in zip(heavy, parts, strict=True)
    ]
    edges = np.unique(np.concatenate([edges, *new]))
    supremum, _ = _bounds_on_cells(target, edges, no_squeeze)
    zero = supremum == 0
    inner = np.concatenate([[False], zero[:-1] & zero[1:], [False]])
    edges = edges[~inner]
    supremum, infimum = _bounds_on_cells(target, edges, no_squeeze)
    return edges, supremum, infimum


def _tail(target, end, inner, side, cell_area):
    """Tail beyond ``end`` with c / (1 + z^2) >= p, z = |x - end| / s.

    The scale s is the decay length of p at the end, from the grid point ``inner``.
    The constant c is the numerical maximum of p (1 + z^2) over points running out
    to 2^40 scales, polished by `zoom_maximum`, times TAIL_MARGIN, rounded up to
    a whole number of slots.
    Returns (end, s, slots, c) and the largest p / h found, with where.
    """

    sign = 1.0 if side == "right" else -1.0
    log_end, log_inner = _logpdf(target, np.array([end, inner]))
    distance = abs(end - inner)
    decay = (log_inner - log_end) / distance if distance > 0 else 0.0
    scale = 1 / decay if decay > 0 else distance * 64
    scale = max(scale, 1e-9 * max(1.0, abs(end)))

    z = np.concatenate([[0.0], 2.0 ** np.arange(-10, 40, 0.25)])
    ratio = _logpdf(target, end + sign * scale * z) + np.log1p(z * z)
    top = int(np.argmax(ratio))
    if not np.isfinite(ratio[top]):
        raise HatError(f"the density is not finite beyond x = {end:.6g}")
    if ratio[-1] >= ratio[top] - 1e-9 and ratio[-1] > ratio[-2] + 1e-3:
        raise UnboundedRatioError(
            f"the target's {side} tail is heavier than a Cauchy tail, so no hat "
            "covers it; narrow the domain"
        )
    best, best_z = float(ratio[top]), float(z[top])
    if 0 < top < len(z) - 1:

        def log_ratio(v):
            return _logpdf(target, end + sign * scale * v) + np.log1p(v * v)

        found, value = zoom_maximum(log_ratio, z[top - 1 : top], z[top + 1 : top + 2])
        if value[0] > best:
            best, best_z = float(value[0]), float(found[0])
    constant = math.exp(best) * TAIL_MARGIN
    slots = max(1, math.ceil(constant * scale * math.pi / 2 / cell_area))
    constant = slots * cell_area / (scale * math.pi / 2)
    largest = (math.exp(best) / constant, end + sign * scale * best_z)
    return (end, scale, slots, constant), largest


def _verify(target, edges, heights, squeezes, x, log_p) -> tuple[float, float]:
    """Check p against hat and squeeze at grid points and midpoints, and the CDF's
    mass per cell against their areas. Returns the largest p / h and where."""
    midpoints = (edges[1:] + edges[:-1]) / 2
    points = np.concatenate([x, midpoints])
    values = np.exp(np.concatenate([log_p, _logpdf(target, midpoints)]))
    cell = np.clip(
        np.searchsorted(edges, points, side="right") - 1, 0, len(heights) - 1
    )
    over = values * (1 + MARGIN / 2) > heights[cell]
    under = values * (1 - MARGIN / 2) < squeezes[cell]
    bad = np.flatnonzero(over | under)
    if bad.size:
        where = float(points[bad[0]])
        raise HatError(
            f"the density is not monotone between the hat's grid points near "
            f"x = {where:.6g}, so the hat cannot be verified"
        )

    widths = np.diff(edges)
    mass = np.diff(np.asarray(target.cdf(edges), dtype=float))
    heavy = mass > heights * widths + 1e-9
    light = mass < squeezes * widths - 1e-9
    bad = np.flatnonzero(heavy | light)
    if bad.size:
        i = int(bad[0])
        raise HatError(
            f"the target's mass on [{edges[i]:.6g}, {edges[i + 1]:.6g}] does not fit "
            "between the squeeze and the hat there, so the hat cannot be verified"
        )

    # p / h is largest at the end of each cell where p is largest.
    end_log_p = _logpdf(target, edges)
    end_p = np.exp(end_log_p)
    ratios = np.maximum(end_p[:-1], end_p[1:]) / heights
    i = int(np.argmax(ratios))
    argmax = edges[i] if end_p[i] >= end_p[i + 1] else edges[i + 1]
    return float(ratios[i]), float(argmax)


def build_hat(target: Target1D, cells: int = DEFAULT_CELLS) -> HatProposal:
    """Build a step-function hat over ``target`` with about ``cells`` cells.

    Raises
    ------
    UnboundedRatioError
        If the density is infinite somewhere or its tail is heavier than a Cauchy
        tail, so that no hat covers it.
    HatError
        If the hat cannot be built or its verification fails.
    """
    if target.dim != 1:
        raise TargetError(f"a hat needs a 1-D target, got {target.name}")
    if cells < 2:
        raise ValueError(f"cells must be at least 2, got {cells}")

    # Grid, with points added inside peaks that fall between grid points.
    a, b = _central_interval(target)
    x = _grid(target, a, b)
    log_p = _logpdf(target, x)
    if np.any(log_p == np.inf):
        where = float(x[np.argmax(log_p == np.inf)])
        raise UnboundedRatioError(
            f"the target density is infinite at x = {where:.6g}, so no hat covers "
            "it; narrow the domain"
        )
    x, log_p = add_hidden_peak_points(target, x, log_p)

    # Cells of about equal area under the hat, on pieces where p is monotone. The
    # target's mass on [a, b] sets the area of one cell.
    mass = float(np.diff(np.asarray(target.cdf(np.array([a, b])), dtype=float))[0])
    if not (math.isfinite(mass) and mass > 0):
        raise HatError(f"the target has no mass on [{a:.6g}, {b:.6g}]")
    cell_area = mass / cells
    x, log_p = _refine_steep(target, x, log_p, cell_area)
    edges, no_squeeze = _cell_edges(target, a, b, x, log_p, cell_area, cells)
    edges, supremum, infimum = _split_heavy_cells(target, edges, no_squeeze, cell_area)

    # Every cell gets exactly the same area, the largest that any cell needs.
    widths = np.diff(edges)
    cell_area = float(np.max(supremum * (1 + MARGIN) * widths))
    if not (math.isfinite(cell_area) and cell_area > 0):
        raise HatError(f"the density is zero or not finite on [{a:.6g}, {b:.6g}]")
    heights = cell_area / widths
    squeezes = infimum * (1 - MARGIN)
    ratio, argmax = _verify(target, edges, heights, squeezes, x, log_p)

    # Cauchy-shaped tails beyond infinite ends.
    tails = {}
    for side, end, inner in (("left", a, x[1]), ("right", b, x[-2])):
        if math.isinf(target.low if side == "left" else target.high):
            tails[side], largest = _tail(target, end, float(inner), side, cell_area)
            if largest[0] > ratio:
                ratio, argmax = largest
    logger.debug(
        "hat for %s: %d cells on [%g, %g], tails %s",
        target.name,
        len(widths),
        a,
        b,
        {side: tail[2] for side, tail in tails.items()},
    )
    return HatProposal(target, edges, cell_area, squeezes, tails, (ratio, argmax))
