"""Rejection sampling from a 1-D target under an envelope M q(x).

Draw x from the proposal q and u uniform on (0, 1), and accept x when
u M q(x) <= p(x). If p(x) <= M q(x) everywhere, accepted points have density p and a
proposal is accepted with probability 1/M for a normalised p (von Neumann, 1951,
"Various techniques used in connection with random digits"; Robert and Casella,
"Monte Carlo Statistical Methods", 2nd ed., section 2.3).

`find_envelope` computes the smallest valid M numerically. It takes the maximum of
log p - log q over a fine grid, with points added inside narrow peaks of p that fall
between grid points, polishes it by a vectorised zoom and multiplies it by a margin.
It rejects a pair whose ratio p/q is unbounded, such as a Cauchy target under a normal
proposal, or a target density that is infinite somewhere. With a hand-set M,
`check_envelope` reports where p > M q and the M that would be valid, so the GUI can
offer it; the sampler still runs, and its histogram then follows min(p, M q), so
1/M is then no acceptance rate.

The proposal "hat" (`models.sampling.hat`) is a step function built above p, whose
area is M; it accepts nearly every dart, most of them without evaluating p.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from models.sampler_options import REJECTION_PROPOSALS
from models.sampling.diagnostics import (
    MAX_STORED_SAMPLES,
    RunningHistogram,
    RunningKS,
)
from models.targets import Target1D, TargetError

logger = logging.getLogger(__name__)

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class Proposal:
    """A 1-D proposal distribution q with a fast vectorised sampler.

    Attributes
    ----------
    name : str
    loc, scale : float
    low, high : float
        Support of q.
    note : str
        Why this proposal replaces the one requested; empty if it does not.
    """

    name: str
    loc: float
    scale: float
    low: float = -math.inf
    high: float = math.inf
    # Whether the proposal has a squeeze, a lower bound on p under which a dart is
    # accepted without evaluating p, and throws its own darts with ``throw_into``
    # (models.sampling.hat.HatProposal).
    has_squeeze = False
    # Why this proposal replaces the one requested, if it does.
    note = ""

    def logpdf(self, x) -> np.ndarray:
        raise NotImplementedError

    def pdf(self, x) -> np.ndarray:
        return np.exp(self.logpdf(x))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def sample_into(self, out: np.ndarray, rng: np.random.Generator) -> None:
        """Fill ``out`` with draws, taking the same random numbers as `sample`."""
        out[...] = self.sample(len(out), rng)

    def logpdf_into(self, x: np.ndarray, out: np.ndarray) -> None:
        """Write log q(x) into ``out``, a float64 array of x's shape other than x."""
        np.copyto(out, self.logpdf(x))

    def sample_logpdf_into(
        self, out: np.ndarray, log_density: np.ndarray, rng: np.random.Generator
    ) -> None:
        """Fill ``out`` with draws, taking the same random numbers as `sample`, and
        ``log_density`` with log q at them."""
        self.sample_into(out, rng)
        self.logpdf_into(out, log_density)

    def central_range(self) -> tuple[float, float]:
        """Interval that holds nearly all of the proposal's mass, for grids."""
        return self.loc - 6 * self.scale, self.loc + 6 * self.scale

    def probe_points(self) -> np.ndarray:
        """Points where p/q may peak because of q's shape, for envelope searches."""
        return np.empty(0)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _check_location_scale(family: str, loc: float, scale: float) -> None:
    if not math.isfinite(loc):
        raise TargetError(f"{family} proposal: location must be finite, got {loc:g}")
    if not (math.isfinite(scale) and scale > 0):
        raise TargetError(
            f"{family} proposal: scale must be a positive number, got {scale:g}"
        )


class UniformProposal(Proposal):
    """Uniform proposal on [low, high]."""

    def __init__(self, low: float, high: float):
        if not (math.isfinite(low) and math.isfinite(high) and high > low):
            raise TargetError(
                f"a uniform proposal needs a finite interval, got [{low:g}, {high:g}]; "
                "give the target a finite domain or use another proposal"
            )
        self.low, self.high = float(low), float(high)
        self.loc, self.scale = (low + high) / 2, (high - low) / 2
        self.name = f"uniform({low:g}, {high:g})"
        self._log_density = -math.log(high - low)

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, self._log_density, -np.inf)

    def sample(self, n, rng):
        x = np.empty(n)
        self.sample_into(x, rng)
        return x

    def sample_into(self, out, rng):
        rng.random(out=out)
        out *= self.high - self.low
        out += self.low

    def logpdf_into(self, x, out):
        # Written as "not inside", so that NaN is outside, as in logpdf.
        out.fill(self._log_density)
        outside = np.greater_equal(x, self.low)
        outside &= np.less_equal(x, self.high)
        np.logical_not(outside, out=outside)
        out[outside] = -np.inf

    def central_range(self):
        return self.low, self.high


class NormalProposal(Proposal):
    """Normal proposal N(loc, scale^2)."""

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        _check_location_scale("normal", loc, scale)
        self.loc, self.scale = float(loc), float(scale)
        self.name = f"normal({loc:g}, {scale:g})"
        self._log_norm = math.log(scale) + _LOG_SQRT_2PI

    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.loc) / self.scale
        return -0.5 * (z * z) - self._log_norm

    def logpdf_into(self, x, out):
        # The same operations as logpdf, in place, so the results are identical.
        np.subtract(x, self.loc, out=out)
        out /= self.scale
        out *= out
        out *= -0.5
        out -= self._log_norm

    def sample(self, n, rng):
        x = np.empty(n)
        self.sample_into(x, rng)
        return x

    def sample_into(self, out, rng):
        rng.standard_normal(out=out)
        out *= self.scale
        out += self.loc


class LaplaceProposal(Proposal):
    """Laplace proposal, density exp(-|x - loc| / scale) / (2 scale)."""

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        _check_location_scale("laplace", loc, scale)
        self.loc, self.scale = float(loc), float(scale)
        self.name = f"laplace({loc:g}, {scale:g})"
        self._log_norm = math.log(2 * scale)

    def logpdf(self, x):
        return -np.abs(np.asarray(x, dtype=float) - self.loc) / self.scale - (
            self._log_norm
        )

    def logpdf_into(self, x, out):
        np.subtract(x, self.loc, out=out)
        np.abs(out, out=out)
        np.negative(out, out=out)
        out /= self.scale
        out -= self._log_norm

    def sample(self, n, rng):
        x = np.empty(n)
        self.sample_into(x, rng)
        return x

    def sample_into(self, out, rng):
        self.sample_logpdf_into(out, None, rng)

    def sample_logpdf_into(self, out, log_density, rng):
        # An exponential with a random sign, several times faster than rng.laplace.
        # The signs come from random bytes, eight per byte, as +1 or -1 in int8,
        # which numpy converts in small chunks instead of a full float array.
        n = len(out)
        rng.standard_exponential(out=out)
        if log_density is not None:
            # log q = -E - log(2 scale) for x = loc +- scale E, without |x - loc|.
            np.subtract(-self._log_norm, out, out=log_density)
        bits = np.unpackbits(np.frombuffer(rng.bytes((n + 7) // 8), np.uint8))
        signs = bits[:n].view(np.int8)
        signs *= 2
        signs -= 1
        out *= signs
        if self.scale != 1:
            out *= self.scale
        if self.loc != 0:
            out += self.loc

    def central_range(self):
        return self.loc - 12 * self.scale, self.loc + 12 * self.scale


class CauchyProposal(Proposal):
    """Cauchy proposal, density 1 / (pi scale (1 + ((x - loc)/scale)^2))."""

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        _check_location_scale("cauchy", loc, scale)
        self.loc, self.scale = float(loc), float(scale)
        self.name = f"cauchy({loc:g}, {scale:g})"
        self._log_norm = math.log(math.pi * scale)

    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.loc) / self.scale
        return -np.log1p(z * z) - self._log_norm

    def logpdf_into(self, x, out):
        np.subtract(x, self.loc, out=out)
        out /= self.scale
        out *= out
        np.log1p(out, out=out)
        np.negative(out, out=out)
        out -= self._log_norm

    def sample(self, n, rng):
        x = np.empty(n)
        self.sample_into(x, rng)
        return x

    def sample_into(self, out, rng):
        # Inversion, tan(pi (u - 1/2)), is faster than rng.standard_cauchy.
        rng.random(out=out)
        out -= 0.5
        out *= math.pi
        np.tan(out, out=out)
        out *= self.scale
        out += self.loc

    def central_range(self):
        return self.loc - 30 * self.scale, self.loc + 30 * self.scale


PROPOSALS = REJECTION_PROPOSALS


def _median(target: Target1D) -> float:
    if target.has_closed_form_ppf:
        return float(target.ppf(0.5))
    import scipy.optimize

    low, high = target.plot_range
    return float(scipy.optimize.brentq(lambda x: float(target.cdf(x)) - 0.5, low, high))


def default_scale(target: Target1D) -> float:
    """Standard deviation of the target, or half its interquartile range."""
    if target.variance is not None and target.variance > 0:
        return math.sqrt(target.variance)
    if target.has_closed_form_ppf:
        q1, q3 = target.ppf(np.array([0.25, 0.75]))
    else:
        low, high = target.plot_range
        grid = np.linspace(low, high, 2001)
        q1, q3 = np.interp([0.25, 0.75], target.cdf(grid), grid)
    return float(max((q3 - q1) / 2, 1e-12))


def make_proposal(
    name: str,
    target: Target1D,
    *,
    loc: float | None = None,
    scale: float | None = None,
) -> Proposal:
    """Build a proposal by name for a target.

    ``loc`` defaults to the target's median and ``scale`` to its standard deviation
    (half the interquartile range when the variance is infinite). A uniform proposal
    covers the target's support, which must be finite, and ignores both. A hat is a
    step function fitted to the target (`models.sampling.hat`) and ignores both too.
    When no hat can be verified for the target, this returns a uniform proposal
    on a finite support, else a Cauchy one, and its ``note`` gives the reason.
    """
    if name == "uniform":
        return UniformProposal(target.low, target.high)
    if name == "hat":
        from models.sampling.hat import HatError, build_hat

        try:
            return build_hat(target)
        except HatError as error:
            finite = math.isfinite(target.low) and math.isfinite(target.high)
            fallback = make_proposal("uniform" if finite else "cauchy", target)
            fallback.note = (
                f"the hat proposal was not used because {error}; "
                f"using {fallback.name} instead"
            )
            logger.warning("%s: %s", target.name, fallback.note)
            return fallback
    classes = {
        "normal": NormalProposal,
        "laplace": LaplaceProposal,
        "cauchy": CauchyProposal,
    }
    if name not in classes:
        raise TargetError(
            f"unknown proposal {name!r}; choose one of {', '.join(PROPOSALS)}"
        )
    loc = _median(target) if loc is None else float(loc)
    scale = default_scale(target) if scale is None else float(scale)
    return classes[name](loc, scale)


class UnboundedRatioError(TargetError):
    """The ratio p/q of target to proposal density has no finite maximum."""


@dataclass(frozen=True)
class EnvelopeCheck:
    """Result of checking an envelope M q against a target p.

    Attributes
    ----------
    m : float
        The envelope constant in use.
    ratio_max : float
        The maximum of p/q found numerically.
    argmax : float
        Where that maximum is.
    m_required : float
        The constant to use instead: ``ratio_max`` times the safety margin.
    ok : bool
        Whether p <= M q at every grid point, to a relative 1e-9.
    violations : list of (float, float)
        Intervals of x where p > M q, at most ten, from grid points.
    """

    m: float
    ratio_max: float
    argmax: float
    m_required: float
    ok: bool
    violations: list[tuple[float, float]] = field(default_factory=list)

    def message(self) -> str:
        """Describe the result in one sentence for the GUI or the command line."""
        if self.ok:
            return (
                f"M = {self.m:.6g} is a valid envelope constant "
                f"(max p/q = {self.ratio_max:.6g} at x = {self.argmax:.4g})"
            )
        where = ", ".join(f"[{a:.4g}, {b:.4g}]" for a, b in self.violations)
        return (
            f"M = {self.m:.6g} is too small: p/(M q) > 1 for x in {where} "
            f"(max p/q = {self.ratio_max:.6g} at x = {self.argmax:.4g}); "
            f"use M = {self.m_required:.6g}"
        )


def _log_ratio(
    target: Target1D, proposal: Proposal, x: np.ndarray, log_p=None
) -> np.ndarray:
    """log p(x) - log q(x), -inf where p is zero and +inf where only q is zero."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if log_p is None:
            log_p = np.asarray(target.logpdf(x), dtype=float)
        log_q = np.asarray(proposal.logpdf(x), dtype=float)
        ratio = log_p - log_q
    ratio = np.where(log_p == -np.inf, -np.inf, ratio)
    return np.where(np.isnan(ratio), -np.inf, ratio)


def add_hidden_peak_points(
    target: Target1D,
    x: np.ndarray,
    log_p: np.ndarray,
    *,
    rounds: int = 4,
    per_cell: int = 16,
    max_cells: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Add grid points inside peaks of p that fall between the points of ``x``.

    Between two grid points a monotone p has mass at most max(p at the ends) times
    the spacing. Where the target's CDF shows more than 1.05 times that, plus 1e-10
    for rounding, p peaks between the points. Each such cell gets ``per_cell`` - 1
    points at equal steps of the CDF, found by bisection, so that they land inside
    the peak however narrow it is. This repeats up to ``rounds`` times, for the
    ``max_cells`` cells with the largest excess mass each time.

    ``x`` must be sorted and finite. Returns the merged points and log p at them.
    """
    for _ in range(rounds):
        cdf = np.asarray(target.cdf(x), dtype=float)
        mass = np.diff(cdf)
        with np.errstate(over="ignore"):
            p = np.exp(log_p)
        bound = np.maximum(p[:-1], p[1:]) * np.diff(x)
        with np.errstate(invalid="ignore"):
            excess = mass - 1.05 * bound - 1e-10
        cells = np.flatnonzero(excess > 0)
        if not cells.size:
            break
        cells = cells[np.argsort(excess[cells])[::-1][:max_cells]]

        # Bisection on the CDF for every level in every cell at once.
        fractions = np.arange(1, per_cell) / per_cell
        levels = cdf[cells, None] + mass[cells, None] * fractions
        lower = np.repeat(x[cells, None], per_cell - 1, axis=1)
        upper = np.repeat(x[cells + 1, None], per_cell - 1, axis=1)
        for _ in range(64):
            middle = (lower + upper) / 2
            below = np.asarray(target.cdf(middle), dtype=float) < levels
            lower = np.where(below, middle, lower)
            upper = np.where(below, upper, middle)
        new = np.setdiff1d(((lower + upper) / 2).ravel(), x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new_log_p = np.asarray(target.logpdf(new), dtype=float)
        x = np.concatenate([x, new])
        log_p = np.concatenate(
            [log_p, np.where(np.isnan(new_log_p), -np.inf, new_log_p)]
        )
        order = np.argsort(x, kind="stable")
        x, log_p = x[order], log_p[order]
    return x, log_p


def zoom_maximum(function, lower, upper, rounds: int = 5, points: int = 33):
    """Locate the maximum of ``function`` on each interval [lower_i, upper_i].

    Each round evaluates ``points`` equally spaced points per interval in one call
    and keeps the two spacings around the best, so the interval shrinks 16-fold per
    round. For a function with one maximum on the interval, the result is within
    (upper - lower) / 16^rounds of it. Returns the best points and values.
    """
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    steps = np.linspace(0.0, 1.0, points)
    rows = np.arange(len(lower))
    for _ in range(rounds):
        grid = lower[:, None] + (upper - lower)[:, None] * steps
        values = function(grid.ravel()).reshape(grid.shape)
        best = np.argmax(values, axis=1)
        best_x, best_value = grid[rows, best], values[rows, best]
        lower = grid[rows, np.maximum(best - 1, 0)]
        upper = grid[rows, np.minimum(best + 1, points - 1)]
    return best_x, best_value


def _probe_points(target: Target1D, proposal: Proposal) -> np.ndarray:
    """Grid over the bulk of p and q plus points running out to the support ends,
    with the proposal's own probe points. Returns the sorted points."""
    low, high = target.low, target.high
    ranges = [target.plot_range, proposal.central_range()]
    a = max(min(r[0] for r in ranges), low)
    b = min(max(r[1] for r in ranges), high)
    width = b - a
    bulk = np.linspace(a, b, 20001)

    # Approach each end geometrically: out to 2^30 widths for an infinite end, down
    # to 2^-60 widths for a finite one, where a density may have a singularity.
    steps = 2.0 ** np.arange(0, 31)
    closer = 2.0 ** -np.arange(10, 61)
    tails = []
    for end, edge, sign in ((low, a, -1), (high, b, 1)):
        if math.isinf(end):
            tails.append(edge + sign * width * steps)
        else:
            gap = abs(end - edge)
            if gap > 0:
                tails.append(end - sign * gap * 2.0 ** -np.arange(0, 61))
            tails.append(end - sign * width * closer)
            tails.append([end])
    parts = [bulk, *map(np.asarray, tails), proposal.probe_points()]
    points = np.unique(np.concatenate(parts))
    return points[(points >= low) & (points <= high)]


def _envelope_grid(target, proposal) -> tuple[np.ndarray, np.ndarray]:
    """Probe points, refined inside narrow peaks of p, and log p/q at them."""
    x = _probe_points(target, proposal)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_p = np.asarray(target.logpdf(x), dtype=float)
    finite = np.isfinite(x)
    if finite.all() and not np.any(log_p == np.inf):
        x, log_p = add_hidden_peak_points(target, x, log_p)
    return x, _log_ratio(target, proposal, x, log_p)


def _check_bounded(target, proposal, x: np.ndarray, ratio: np.ndarray) -> None:
    infinite = np.flatnonzero(ratio == np.inf)
    if infinite.size:
        where = float(x[infinite[0]])
        if np.isinf(target.logpdf(np.array([where]))[0]):
            problem = f"the target density is infinite at x = {where:.6g}"
        else:
            problem = (
                f"the proposal density is zero at x = {where:.6g}, where the target "
                "is positive"
            )
        raise UnboundedRatioError(
            f"p/q is unbounded for {target.name} under {proposal.name}: {problem}. "
            "Rejection sampling needs p/q bounded; choose another proposal or domain."
        )
    top = ratio.max()
    tolerance = 1e-9 * (1 + abs(top))
    for side, outer, inner in (("left", 0, 1), ("right", -1, -2)):
        last, before = ratio[outer], ratio[inner]
        if last >= top - tolerance and last > before + 1e-3:
            end = target.low if side == "left" else target.high
            if math.isinf(end):
                reason = (
                    f"as x -> {end}: the target's tail is heavier than the "
                    f"proposal's. Use a heavier-tailed proposal (laplace or cauchy) "
                    "or a larger scale"
                )
            else:
                reason = (
                    f"near x = {end:g}: the target density grows without bound "
                    "there. Narrow the domain"
                )
            raise UnboundedRatioError(
                f"p/q is unbounded for {target.name} under {proposal.name} {reason}."
            )


def find_envelope(
    target: Target1D, proposal: Proposal, *, margin: float = 1.01
) -> EnvelopeCheck:
    """Compute the smallest valid envelope constant M, times ``margin``.

    The maximum of p/q is searched on a grid, refined inside narrow peaks of p (see
    `add_hidden_peak_points`), and polished by `zoom_maximum`. A hat built
    for this target (`models.sampling.hat.HatProposal`) lies above p by
    construction, so its area is M, without ``margin``.

    Raises
    ------
    UnboundedRatioError
        If p/q has no finite maximum; the message says where it grows.
    """
    if margin < 1:
        raise ValueError(f"margin must be at least 1, got {margin:g}")
    own = getattr(proposal, "envelope", None)
    if own is not None and getattr(proposal, "target", None) is target:
        return own
    x, ratio = _envelope_grid(target, proposal)
    if not np.isfinite(ratio).any():
        raise TargetError(
            f"the target {target.name} and the proposal {proposal.name} do not overlap"
        )
    _check_bounded(target, proposal, x, ratio)

    # Polish the largest local maxima of the grid with `zoom_maximum`. Where p/q
    # is flat at its maximum, report the top point nearest the proposal.
    top = ratio.max()
    near_top = np.flatnonzero(ratio >= top - 1e-12 * (1 + abs(top)))
    best = near_top[np.argmin(np.abs(x[near_top] - proposal.loc))]
    best_x, best_ratio = float(x[best]), float(ratio[best])
    interior = (
        np.flatnonzero((ratio[1:-1] >= ratio[:-2]) & (ratio[1:-1] >= ratio[2:])) + 1
    )
    candidates = interior[np.argsort(ratio[interior])[::-1][:5]]
    if candidates.size:
        polished, value = zoom_maximum(
            lambda v: _log_ratio(target, proposal, v),
            x[candidates - 1],
            x[candidates + 1],
        )
        i = int(np.argmax(value))
        if np.isfinite(value[i]) and value[i] > best_ratio:
            best_x, best_ratio = float(polished[i]), float(value[i])

    ratio_max = math.exp(best_ratio)
    m = ratio_max * margin
    return EnvelopeCheck(m, ratio_max, best_x, m, True, [])


def check_envelope(
    target: Target1D, proposal: Proposal, m: float, *, margin: float = 1.01
) -> EnvelopeCheck:
    """Check a hand-set envelope constant M against the numerical maximum of p/q.

    Returns an `EnvelopeCheck` whose ``violations`` list the x intervals where
    p > M q, found on the probe grid.

    Raises
    ------
    UnboundedRatioError
        If p/q has no finite maximum, so that no M works.
    """
    if not (math.isfinite(m) and m > 0):
        raise TargetError(f"envelope constant M must be positive, got {m:g}")
    found = find_envelope(target, proposal, margin=margin)
    # The numerical maximum is accurate to about 1e-10, so an exact M (such as
    # sqrt(2e/pi) for a normal under a Laplace) must not fail on rounding.
    ok = m >= found.ratio_max * (1 - 1e-9)
    violations = []
    if not ok:
        x, ratio = _envelope_grid(target, proposal)
        over = ratio > math.log(m)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], over.astype(int), [0]])))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            violations.append((float(x[start]), float(x[stop - 1])))
        if not violations:
            violations.append((found.argmax, found.argmax))
        violations = violations[:10]
    return EnvelopeCheck(
        float(m), found.ratio_max, found.argmax, found.m_required, ok, violations
    )


class RejectionSampler:
    """Rejection sampler for a 1-D target under the envelope M q.

    Parameters
    ----------
    target : Target1D
        Must be normalised (every `Target1D` is), so that 1/M is the acceptance rate.
    proposal : Proposal
    m : float or None
        Envelope constant. None computes it with `find_envelope`. A hand-set M that
        is too small is kept, and `envelope` reports the problem.
    margin : float
        Factor applied to the numerical maximum of p/q when M is computed.

    Attributes
    ----------
    m : float
    envelope : EnvelopeCheck
    """

    batch_size = 2**16

    def __init__(
        self,
        target: Target1D,
        proposal: Proposal,
        m: float | None = None,
        *,
        margin: float = 1.01,
    ):
        if target.dim != 1:
            raise TargetError(
                f"rejection sampling needs a 1-D target, got {target.name}"
            )
        self.target = target
        self.proposal = proposal
        if m is None:
            self.envelope = find_envelope(target, proposal, margin=margin)
        else:
            self.envelope = check_envelope(target, proposal, m, margin=margin)
            if not self.envelope.ok:
                logger.info("%s", self.envelope.message())
        self.m = self.envelope.m
        self._log_m = math.log(self.m)

    @property
    def theoretical_acceptance_rate(self) -> float:
        """1/M, the acceptance rate when the envelope is valid, else NaN.

        With M too small, p > M q somewhere and the rate is the mass of min(p, M q)
        divided by M, which 1/M does not give. `envelope` lists where p > M q.
        """
        return 1 / self.m if self.envelope.ok else math.nan

    def propose(
        self, n: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Throw n darts and return x, log(u) and whether each was accepted.

        The dart's height is u M q(x); `dart_heights` computes it from log(u).
        """
        x = np.empty(n)
        log_u = np.empty(n)
        threshold = np.empty(n)
        accepted = np.empty(n, dtype=bool)
        self._throw_into(x, log_u, threshold, accepted, rng)
        return x, log_u, accepted

    def _throw_into(self, x, log_u, threshold, accepted, rng) -> None:
        """Throw len(x) darts into the given arrays."""
        self.proposal.sample_logpdf_into(x, threshold, rng)

        # u = 1 - U with U uniform on [0, 1), so u > 0 and log u is finite; then
        # accept when log u <= log p - log q - log M. A NaN threshold (p and q both
        # zero) compares false and rejects the dart.
        rng.random(out=log_u)
        np.subtract(1.0, log_u, out=log_u)
        np.log(log_u, out=log_u)
        threshold += self._log_m
        with np.errstate(invalid="ignore"):
            np.subtract(self.target.logpdf(x), threshold, out=threshold)
        np.less_equal(log_u, threshold, out=accepted)

    def dart_heights(self, x: np.ndarray, log_u: np.ndarray) -> np.ndarray:
        """Height u M q(x) of each dart."""
        return np.exp(log_u + self._log_m + self.proposal.logpdf(x))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw n accepted samples, proposing in batches."""
        return self.sample_counted(n, rng)[0]

    def sample_counted(
        self, n: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, int]:
        """Draw n accepted samples and return them with the number of darts used.

        Darts thrown after the n-th acceptance in the last batch are not counted, so
        n / darts estimates the acceptance rate without bias from the batching.
        With a hat, darts under its squeeze are accepted without evaluating p.
        """
        out = np.empty(n)
        have = proposed = 0
        # With M too small the rate exceeds 1/M, but 1/M still sizes the batches.
        rate = min(1.0, 1 / self.m)

        # Work arrays are allocated once and reused by every batch, because fresh
        # arrays of this size cost page faults on each allocation. Without a
        # squeeze, the batches take the same random numbers as repeated calls of
        # `propose` would.
        size = int(min(self.batch_size, n / rate * 1.05 + 64))
        x_buffer, log_u_buffer, threshold_buffer = np.empty((3, size))
        accepted_buffer = np.empty(size, dtype=bool)
        slot_buffer = (
            np.empty(size, dtype=np.intp) if self.proposal.has_squeeze else None
        )
        while have < n:
            size = int(min(self.batch_size, (n - have) / rate * 1.05 + 64))
            x = x_buffer[:size]
            accepted = accepted_buffer[:size]
            if slot_buffer is None:
                self._throw_into(
                    x, log_u_buffer[:size], threshold_buffer[:size], accepted, rng
                )
            else:
                self.proposal.throw_into(
                    self.target,
                    self.m,
                    x,
                    slot_buffer[:size],
                    threshold_buffer[:size],
                    accepted,
                    rng,
                )

            # Copy the accepted darts straight into the output.
            count = int(np.count_nonzero(accepted))
            if have + count >= n:
                index = np.flatnonzero(accepted)[: n - have]
                out[have:] = x[index]
                return out, proposed + int(index[-1]) + 1
            np.compress(accepted, x, out=out[have : have + count])
            have += count
            proposed += size
        return out, proposed


class RejectionRun:
    """Rejection sampling in steps, for the GUI and the command line.

    Each step throws ``chunk_size`` darts: 1 shows darts one at a time, a large
    chunk fills the histogram fast.

    Parameters
    ----------
    sampler : RejectionSampler
    rng : numpy.random.Generator
    n_proposals : int or None
        Total number of darts, or None for an open-ended run.
    chunk_size : int
    bins : int
        Histogram bins over the target's plot range.
    max_darts : int
        How many of the latest darts the snapshot contains.
    max_stored : int
        Upper limit on kept accepted samples, about 16 bytes each with the exact
        KS distance. The run raises `TargetError` at the step that would pass it.
    """

    def __init__(
        self,
        sampler: RejectionSampler,
        rng: np.random.Generator,
        n_proposals: int | None = 10_000,
        *,
        chunk_size: int = 1,
        bins: int = 60,
        max_darts: int = 5000,
        max_stored: int = MAX_STORED_SAMPLES,
    ):
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        if n_proposals is not None and n_proposals < 1:
            raise ValueError(f"n_proposals must be at least 1, got {n_proposals}")
        self.sampler = sampler
        self.rng = rng
        self.n_proposals = n_proposals
        self.chunk_size = chunk_size
        self.total_steps = (
            None if n_proposals is None else math.ceil(n_proposals / chunk_size)
        )
        self.step = 0
        self.proposed = 0
        self.accepted = 0
        self._max_darts = max_darts
        self._max_stored = max_stored

        target, proposal = sampler.target, sampler.proposal
        low, high = target.plot_range
        self._histogram = RunningHistogram(low, high, bins)
        edges = self._histogram.edges
        self._expected = np.diff(target.cdf(edges)) / np.diff(edges)
        self._ks = RunningKS(target.cdf)
        self._curve_x = np.linspace(low, high, 400)
        self._target_pdf = np.asarray(target.pdf(self._curve_x))
        self._proposal_pdf = np.asarray(proposal.pdf(self._curve_x))
        self._darts_x = np.empty(0)
        self._darts_y = np.empty(0)
        self._darts_accepted = np.empty(0, dtype=bool)
        self._samples: list[np.ndarray] = []

    def steps(self) -> Iterator[dict]:
        """Throw one chunk of darts per iteration and yield a record.

        The record has ``step``, ``proposed`` and ``accepted`` (totals so far) and
        the last dart: ``x``, ``y`` (its height u M q(x)) and ``dart_accepted``.
        """
        sampler = self.sampler
        while self.total_steps is None or self.step < self.total_steps:
            size = self.chunk_size
            if self.n_proposals is not None:
                size = min(size, self.n_proposals - self.proposed)
            x, log_u, accepted = sampler.propose(size, self.rng)
            kept = x[accepted]
            if self.accepted + len(kept) > self._max_stored:
                raise TargetError(
                    f"the run has kept {self.accepted:,} samples and would pass "
                    f"the limit of {self._max_stored:,}; use fewer proposals"
                )
            self._histogram.add(kept)
            self._ks.add(kept)
            self._samples.append(kept)
            self.proposed += size
            self.accepted += int(accepted.sum())

            # Keep only the latest darts for the scatter plot.
            last = slice(-self._max_darts, None)
            y = sampler.dart_heights(x[last], log_u[last])
            self._darts_x = np.concatenate([self._darts_x, x[last]])[last]
            self._darts_y = np.concatenate([self._darts_y, y])[last]
            self._darts_accepted = np.concatenate(
                [self._darts_accepted, accepted[last]]
            )[last]
            self.step += 1
            yield {
                "step": self.step,
                "proposed": self.proposed,
                "accepted": self.accepted,
                "x": float(x[-1]),
                "y": float(y[-1]),
                "dart_accepted": bool(accepted[-1]),
            }

    def samples(self) -> np.ndarray:
        """Return all accepted samples so far, in order."""
        if len(self._samples) > 1:
            self._samples = [np.concatenate(self._samples)]
        return self._samples[0].copy() if self._samples else np.empty(0)

    def snapshot(self) -> dict:
        """Plain data for the plots.

        Keys: ``step``, ``proposed``, ``accepted``; ``acceptance_rate`` (observed,
        NaN before the first dart) and ``theoretical_acceptance_rate`` (1/M, valid
        when ``envelope_ok``); ``m``, ``m_required``, ``envelope_ok``,
        ``violations`` (list of (low, high) x intervals where p > M q) and
        ``envelope_message``; ``curve_x`` with ``target_pdf``, ``proposal_pdf`` and
        ``envelope`` (M q) on it; ``darts_x``, ``darts_y`` (u M q(x)) and
        ``darts_accepted`` for the latest darts, oldest first; ``bin_edges``,
        ``histogram`` (accepted counts / (n * width)) and ``expected`` (exact bin
        probability / width); ``ks_statistic`` of the accepted samples against the
        target's CDF (NaN before the first acceptance).
        """
        sampler = self.sampler
        check = sampler.envelope
        rate = self.accepted / self.proposed if self.proposed else math.nan
        return {
            "step": self.step,
            "proposed": self.proposed,
            "accepted": self.accepted,
            "acceptance_rate": rate,
            "theoretical_acceptance_rate": sampler.theoretical_acceptance_rate,
            "m": sampler.m,
            "m_required": check.m_required,
            "envelope_ok": check.ok,
            "violations": list(check.violations),
            "envelope_message": check.message(),
            "curve_x": self._curve_x.copy(),
            "target_pdf": self._target_pdf.copy(),
            "proposal_pdf": self._proposal_pdf.copy(),
            "envelope": sampler.m * self._proposal_pdf,
            "darts_x": self._darts_x.copy(),
            "darts_y": self._darts_y.copy(),
            "darts_accepted": self._darts_accepted.copy(),
            "bin_edges": self._histogram.edges.copy(),
            "histogram": self._histogram.density(),
            "expected": self._expected.copy(),
            "ks_statistic": self._ks.statistic(),
        }


__all__ = [
    "PROPOSALS",
    "CauchyProposal",
    "EnvelopeCheck",
    "LaplaceProposal",
    "NormalProposal",
    "Proposal",
    "RejectionRun",
    "RejectionSampler",
    "UnboundedRatioError",
    "UniformProposal",
    "check_envelope",
    "default_scale",
    "find_envelope",
    "make_proposal",
]
