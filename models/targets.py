"""Target distributions for the samplers: named families, typed densities, 2-D shapes.

One-dimensional targets (`Target1D`) are normalised and offer ``pdf``, ``logpdf``,
``cdf``, ``sf``, a closed-form ``ppf`` where one exists, their support, mean and
variance. They come from

- a specification parsed by `parse_target`, such as ``normal(0, 1)`` or
  ``mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))`` (see `TARGET_HELP`);
- a typed unnormalised density, `DensityTarget`, normalised numerically;
- a typed cumulative distribution function, `CdfTarget`.

Two-dimensional targets (`Target2D`) only offer an unnormalised ``log_density``, which
is all that Metropolis-Hastings needs: the built-in ``banana``, ``donut``,
``mixture2d`` and ``funnel``, and `Density2DTarget` for a typed density in x and y.

Every target has ``log_density(points)`` taking an array of shape (k, dim) and
returning shape (k,), with -inf outside the support.

Specifications are parsed with the same allowlist parser as typed expressions
(`models.expressions`), so nothing typed is ever executed.
"""

from __future__ import annotations

import ast
import logging
import math
from collections.abc import Sequence

import numpy as np
import scipy.special as special

from models.expressions import (
    ExpressionError,
    check_finite,
    compile_expression,
    compile_node,
    node_column,
    prepare_source,
)
from models.quadrature import SCAN_STEPS, tabulate_cumulative
from models.sampler_options import TARGET_HELP

logger = logging.getLogger(__name__)

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


class TargetError(ValueError):
    """A target specification or typed function that cannot be used."""


def _as_array(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


class Target1D:
    """A normalised one-dimensional distribution.

    Attributes
    ----------
    name : str
        Specification or description, for titles and messages.
    low, high : float
        Support; either may be infinite.
    mean, variance : float or None
        None where the moment does not exist.
    plot_range : tuple of float
        Finite interval that contains nearly all of the mass, for plots and grids.
    has_closed_form_ppf : bool
        Whether `ppf` is available without numerical inversion.
    """

    dim = 1
    has_closed_form_ppf = False

    name: str
    low: float
    high: float
    mean: float | None
    variance: float | None
    plot_range: tuple[float, float]

    def logpdf(self, x) -> np.ndarray:
        raise NotImplementedError

    def pdf(self, x) -> np.ndarray:
        with np.errstate(under="ignore"):
            return np.exp(self.logpdf(x))

    def cdf(self, x) -> np.ndarray:
        raise NotImplementedError

    def sf(self, x) -> np.ndarray:
        """Survival function 1 - cdf; subclasses compute it without cancellation."""
        return 1.0 - self.cdf(x)

    def ppf(self, u) -> np.ndarray:
        """Quantile function, for targets with a closed form."""
        raise NotImplementedError(
            f"{self.name} has no closed-form quantile function; "
            "use models.sampling.inverse.NumericalInversion"
        )

    def log_density(self, points) -> np.ndarray:
        """Log density at points of shape (k, 1), returned with shape (k,)."""
        return self.logpdf(np.asarray(points)[..., 0])

    def _inside(self, x: np.ndarray) -> np.ndarray:
        return (x >= self.low) & (x <= self.high)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _positive(name: str, value: float, family: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise TargetError(f"{family}: {name} must be a positive number, got {value:g}")
    return float(value)


def _finite(name: str, value: float, family: str) -> float:
    if not math.isfinite(value):
        raise TargetError(f"{family}: {name} must be finite, got {value:g}")
    return float(value)


class Normal(Target1D):
    """Normal distribution N(loc, scale^2)."""

    has_closed_form_ppf = True

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        self.loc = _finite("loc", loc, "normal")
        self.scale = _positive("scale", scale, "normal")
        self.name = f"normal({loc:g}, {scale:g})"
        self.low, self.high = -math.inf, math.inf
        self.mean, self.variance = self.loc, self.scale**2
        self.plot_range = (self.loc - 4 * self.scale, self.loc + 4 * self.scale)
        self._log_norm = math.log(self.scale) + _LOG_SQRT_2PI

    def logpdf(self, x):
        # In place after the first subtraction: samplers call this on large arrays,
        # where every temporary array costs time. The results equal
        # -0.5 * z**2 - log_norm computed out of place.
        z = np.subtract(x, self.loc, dtype=float)
        z /= self.scale
        z *= z
        z *= -0.5
        z -= self._log_norm
        return z

    def cdf(self, x):
        return special.ndtr((_as_array(x) - self.loc) / self.scale)

    def sf(self, x):
        return special.ndtr((self.loc - _as_array(x)) / self.scale)

    def ppf(self, u):
        return self.loc + self.scale * special.ndtri(u)


class Exponential(Target1D):
    """Exponential distribution with rate lambda, density lambda exp(-lambda x)."""

    has_closed_form_ppf = True

    def __init__(self, rate: float = 1.0):
        self.rate = _positive("rate", rate, "exponential")
        self.name = f"exponential({rate:g})"
        self.low, self.high = 0.0, math.inf
        self.mean, self.variance = 1 / self.rate, 1 / self.rate**2
        self.plot_range = (0.0, 7.0 / self.rate)

    def logpdf(self, x):
        x = _as_array(x)
        with np.errstate(invalid="ignore"):
            value = math.log(self.rate) - self.rate * x
        return np.where(x >= 0, value, -np.inf)

    def cdf(self, x):
        return -np.expm1(-self.rate * np.maximum(_as_array(x), 0.0))

    def sf(self, x):
        return np.exp(-self.rate * np.maximum(_as_array(x), 0.0))

    def ppf(self, u):
        return -np.log1p(-_as_array(u)) / self.rate


class Laplace(Target1D):
    """Laplace distribution, density exp(-|x - loc| / scale) / (2 scale)."""

    has_closed_form_ppf = True

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        self.loc = _finite("loc", loc, "laplace")
        self.scale = _positive("scale", scale, "laplace")
        self.name = f"laplace({loc:g}, {scale:g})"
        self.low, self.high = -math.inf, math.inf
        self.mean, self.variance = self.loc, 2 * self.scale**2
        self.plot_range = (self.loc - 7 * self.scale, self.loc + 7 * self.scale)

    def logpdf(self, x):
        return -np.abs(_as_array(x) - self.loc) / self.scale - math.log(2 * self.scale)

    def cdf(self, x):
        z = (_as_array(x) - self.loc) / self.scale
        with np.errstate(over="ignore"):
            return np.where(z < 0, 0.5 * np.exp(z), 1 - 0.5 * np.exp(-z))

    def sf(self, x):
        return self.cdf(2 * self.loc - _as_array(x))

    def ppf(self, u):
        u = _as_array(u)
        with np.errstate(divide="ignore"):
            lower = self.loc + self.scale * np.log(2 * u)
            upper = self.loc - self.scale * np.log(2 * (1 - u))
        return np.where(u < 0.5, lower, upper)


class Cauchy(Target1D):
    """Cauchy distribution, density 1 / (pi scale (1 + ((x - loc)/scale)^2))."""

    has_closed_form_ppf = True

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        self.loc = _finite("loc", loc, "cauchy")
        self.scale = _positive("scale", scale, "cauchy")
        self.name = f"cauchy({loc:g}, {scale:g})"
        self.low, self.high = -math.inf, math.inf
        self.mean = self.variance = None
        self.plot_range = (self.loc - 10 * self.scale, self.loc + 10 * self.scale)

    def logpdf(self, x):
        z = (_as_array(x) - self.loc) / self.scale
        return -np.log1p(z * z) - math.log(math.pi * self.scale)

    # arctan2(1, -z) / pi equals 1/2 + arctan(z) / pi without cancellation in the tails.
    def cdf(self, x):
        return np.arctan2(1.0, (self.loc - _as_array(x)) / self.scale) / math.pi

    def sf(self, x):
        return np.arctan2(1.0, (_as_array(x) - self.loc) / self.scale) / math.pi

    def ppf(self, u):
        return self.loc + self.scale * np.tan(math.pi * (_as_array(u) - 0.5))


class Logistic(Target1D):
    """Logistic distribution with cdf 1 / (1 + exp(-(x - loc)/scale))."""

    has_closed_form_ppf = True

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        self.loc = _finite("loc", loc, "logistic")
        self.scale = _positive("scale", scale, "logistic")
        self.name = f"logistic({loc:g}, {scale:g})"
        self.low, self.high = -math.inf, math.inf
        self.mean = self.loc
        self.variance = (math.pi * self.scale) ** 2 / 3
        self.plot_range = (self.loc - 8 * self.scale, self.loc + 8 * self.scale)

    def logpdf(self, x):
        z = np.abs((_as_array(x) - self.loc) / self.scale)
        return -z - 2 * np.log1p(np.exp(-z)) - math.log(self.scale)

    def cdf(self, x):
        return special.expit((_as_array(x) - self.loc) / self.scale)

    def sf(self, x):
        return special.expit((self.loc - _as_array(x)) / self.scale)

    def ppf(self, u):
        return self.loc + self.scale * special.logit(u)


class Weibull(Target1D):
    """Weibull distribution with cdf 1 - exp(-(x/scale)^shape) on x >= 0."""

    has_closed_form_ppf = True

    def __init__(self, shape: float, scale: float = 1.0):
        self.shape = _positive("shape", shape, "weibull")
        self.scale = _positive("scale", scale, "weibull")
        self.name = f"weibull({shape:g}, {scale:g})"
        self.low, self.high = 0.0, math.inf
        g1 = special.gamma(1 + 1 / self.shape)
        g2 = special.gamma(1 + 2 / self.shape)
        self.mean = self.scale * g1
        self.variance = self.scale**2 * (g2 - g1**2)
        self.plot_range = (0.0, self.scale * math.log(1e3) ** (1 / self.shape))

    def logpdf(self, x):
        x = _as_array(x)
        z = np.maximum(x, 0.0) / self.scale
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (
                math.log(self.shape / self.scale)
                + special.xlogy(self.shape - 1, z)
                - z**self.shape
            )
        return np.where(x >= 0, value, -np.inf)

    def cdf(self, x):
        z = np.maximum(_as_array(x), 0.0) / self.scale
        return -np.expm1(-(z**self.shape))

    def sf(self, x):
        z = np.maximum(_as_array(x), 0.0) / self.scale
        return np.exp(-(z**self.shape))

    def ppf(self, u):
        return self.scale * (-np.log1p(-_as_array(u))) ** (1 / self.shape)


class Beta(Target1D):
    """Beta distribution on [0, 1], density x^(a-1) (1-x)^(b-1) / B(a, b)."""

    def __init__(self, a: float, b: float):
        self.a = _positive("a", a, "beta")
        self.b = _positive("b", b, "beta")
        self.name = f"beta({a:g}, {b:g})"
        self.low, self.high = 0.0, 1.0
        total = self.a + self.b
        self.mean = self.a / total
        self.variance = self.a * self.b / (total**2 * (total + 1))
        self.plot_range = (0.0, 1.0)
        self._log_norm = special.betaln(self.a, self.b)

    def logpdf(self, x):
        x = _as_array(x)
        inside = self._inside(x)
        z = np.clip(x, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (
                special.xlogy(self.a - 1, z)
                + special.xlog1py(self.b - 1, -z)
                - self._log_norm
            )
        return np.where(inside, value, -np.inf)

    def cdf(self, x):
        return special.betainc(self.a, self.b, np.clip(_as_array(x), 0.0, 1.0))

    def sf(self, x):
        return special.betainc(self.b, self.a, 1 - np.clip(_as_array(x), 0.0, 1.0))


class Gamma(Target1D):
    """Gamma distribution with shape alpha and rate beta, mean alpha / beta."""

    def __init__(self, shape: float, rate: float = 1.0):
        self.shape = _positive("shape", shape, "gamma")
        self.rate = _positive("rate", rate, "gamma")
        self.name = f"gamma({shape:g}, {rate:g})"
        self.low, self.high = 0.0, math.inf
        self.mean = self.shape / self.rate
        self.variance = self.shape / self.rate**2
        upper = special.gammainccinv(self.shape, 1e-3) / self.rate
        self.plot_range = (0.0, float(upper))
        self._log_norm = special.gammaln(self.shape) - self.shape * math.log(self.rate)

    def logpdf(self, x):
        # (shape - 1) log z - rate z - log_norm, in place to spare samplers the
        # temporary arrays, with -inf outside [0, inf).
        x = _as_array(x)
        z = np.maximum(x, 0.0, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.shape == 1:
                value = np.zeros_like(z)
            else:
                value = np.log(z)
                value *= self.shape - 1
            z *= self.rate
            value -= z
            value -= self._log_norm
        outside = np.less(x, 0.0)
        outside |= np.isnan(x)
        outside |= np.equal(x, np.inf)
        if value.ndim == 0:
            return np.float64(-np.inf) if outside else value
        value[outside] = -np.inf
        return value

    def cdf(self, x):
        return special.gammainc(self.shape, self.rate * np.maximum(_as_array(x), 0.0))

    def sf(self, x):
        return special.gammaincc(self.shape, self.rate * np.maximum(_as_array(x), 0.0))


class Uniform(Target1D):
    """Uniform distribution on [low, high]."""

    has_closed_form_ppf = True

    def __init__(self, low: float = 0.0, high: float = 1.0):
        low = _finite("low", low, "uniform")
        high = _finite("high", high, "uniform")
        if not high > low:
            raise TargetError(f"uniform: high ({high:g}) must exceed low ({low:g})")
        self.name = f"uniform({low:g}, {high:g})"
        self.low, self.high = low, high
        self.mean = (low + high) / 2
        self.variance = (high - low) ** 2 / 12
        self.plot_range = (low, high)

    def logpdf(self, x):
        x = _as_array(x)
        return np.where(self._inside(x), -math.log(self.high - self.low), -np.inf)

    def cdf(self, x):
        return np.clip((_as_array(x) - self.low) / (self.high - self.low), 0.0, 1.0)

    def ppf(self, u):
        return self.low + (self.high - self.low) * _as_array(u)


class Mixture(Target1D):
    """Finite mixture: density sum_k w_k p_k(x) with weights that sum to 1."""

    def __init__(self, components: Sequence[Target1D], weights: Sequence[float]):
        if len(components) == 0 or len(components) != len(weights):
            raise TargetError("mixture: give one weight per component")
        weights = np.asarray(weights, dtype=float)
        if not np.all(np.isfinite(weights) & (weights > 0)):
            raise TargetError(f"mixture: weights must be positive, got {weights}")
        total = float(weights.sum())
        if abs(total - 1) > 1e-6:
            raise TargetError(f"mixture: weights sum to {total:g}; they must sum to 1")
        self.components = list(components)
        self.weights = weights / total
        self._log_weights = np.log(self.weights)[:, None]
        terms = [
            f"{w:g}*{c.name}" for w, c in zip(self.weights, components, strict=True)
        ]
        self.name = f"mixture({' + '.join(terms)})"
        self.low = min(c.low for c in components)
        self.high = max(c.high for c in components)
        self.plot_range = (
            min(c.plot_range[0] for c in components),
            max(c.plot_range[1] for c in components),
        )
        means = [c.mean for c in components]
        variances = [c.variance for c in components]
        if any(m is None for m in means) or any(v is None for v in variances):
            self.mean = self.variance = None
        else:
            self.mean = float(np.dot(self.weights, means))
            second = np.dot(self.weights, np.add(variances, np.square(means)))
            self.variance = float(second - self.mean**2)

    def logpdf(self, x):
        x = _as_array(x)
        terms = np.stack([c.logpdf(x) for c in self.components])
        terms = terms.reshape(len(self.components), -1) + self._log_weights
        return special.logsumexp(terms, axis=0).reshape(x.shape)

    def pdf(self, x):
        pairs = zip(self.weights, self.components, strict=True)
        return sum(w * c.pdf(x) for w, c in pairs)

    def cdf(self, x):
        pairs = zip(self.weights, self.components, strict=True)
        return sum(w * c.cdf(x) for w, c in pairs)

    def sf(self, x):
        pairs = zip(self.weights, self.components, strict=True)
        return sum(w * c.sf(x) for w, c in pairs)


class _Transform:
    """Map t in a finite interval onto the support, for integrating on it.

    Finite supports use x = t. Infinite ends use rational maps: x = c + s t/(1 - t^2)
    for the whole line, x = a + s t/(1 - t) for [a, inf) and x = b + s t/(1 + t) for
    (-inf, b].
    """

    def __init__(self, low: float, high: float, center: float, scale: float):
        self.low, self.high = low, high
        self.center, self.scale = center, scale
        if math.isfinite(low) and math.isfinite(high):
            self.kind, self.t_range = "finite", (low, high)
        elif math.isfinite(low):
            self.kind, self.t_range = "lower", (0.0, 1.0)
        elif math.isfinite(high):
            self.kind, self.t_range = "upper", (-1.0, 0.0)
        else:
            self.kind, self.t_range = "both", (-1.0, 1.0)

    def x_of_t(self, t):
        s = self.scale
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "finite":
                return np.array(t, dtype=float)
            if self.kind == "lower":
                return self.low + s * t / (1 - t)
            if self.kind == "upper":
                return self.high + s * t / (1 + t)
            return self.center + s * t / (1 - t * t)

    def dx_dt(self, t):
        s = self.scale
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "finite":
                return np.ones_like(t)
            if self.kind == "lower":
                return s / (1 - t) ** 2
            if self.kind == "upper":
                return s / (1 + t) ** 2
            return s * (1 + t * t) / (1 - t * t) ** 2

    def far_out(self, t) -> np.ndarray:
        """Test which t lie in the outer 1% of the range, next to an infinite end."""
        t = np.asarray(t, dtype=float)
        if self.kind == "lower":
            return t > 0.99
        if self.kind == "upper":
            return t < -0.99
        if self.kind == "both":
            return np.abs(t) > 0.99
        return np.zeros(t.shape, dtype=bool)

    def t_of_x(self, x):
        x = np.clip(_as_array(x), self.low, self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "finite":
                return x
            if self.kind == "lower":
                y = (x - self.low) / self.scale
                return np.where(np.isinf(y), 1.0, y / (1 + y))
            if self.kind == "upper":
                y = (x - self.high) / self.scale
                return np.where(np.isinf(y), -1.0, y / (1 - y))
            y = (x - self.center) / self.scale
            t = 2 * y / (1 + np.sqrt(1 + 4 * y * y))
            return np.where(np.isinf(y), np.sign(y), t)


# Goal and limit for the estimated error of a DensityTarget's normalised CDF.
_CDF_TOLERANCE = 1e-10
_CDF_ACCEPTABLE = 1e-6


class DensityTarget(Target1D):
    """A typed unnormalised density in x on [low, high], normalised numerically.

    The density is integrated in x, or in a variable t that maps a finite interval
    onto an infinite support, by `models.quadrature.tabulate_cumulative`: a scan of
    2^15 steps whose local maxima are zoomed on, so that narrow peaks between scan
    points are found, then adaptive Simpson bisection until the estimated error of
    the normalised CDF is below 1e-10 (a warning is logged above 1e-10, an error
    raised above 1e-6). `cdf` is the exact integral of the piecewise quadratic
    interpolant of the tabulated density, so it is continuous and non-decreasing.
    `pdf` evaluates the expression itself.

    Parameters
    ----------
    expression : str
        Density in x, for example ``"exp(-x^2/2) * (2 + sin(5*x))"``.
    low, high : float
        Support. Either may be infinite, which only Metropolis-Hastings needs; the
        density must then decay fast enough for the integral to converge.

    Raises
    ------
    ExpressionError
        If the expression is invalid, or is NaN, infinite or negative at a point
        where it is evaluated (`EvaluationError`, with the point).
    TargetError
        If the bounds are invalid or the integral is zero, infinite or does not
        converge; the message names the point or tail and the change to make.
    """

    def __init__(self, expression: str, low: float, high: float):
        low, high = float(low), float(high)
        if math.isnan(low) or math.isnan(high) or not high > low:
            raise TargetError(f"domain [{low:g}, {high:g}] is invalid; give low < high")
        span = high - low
        if math.isfinite(span) and span <= 1e-9 * max(abs(low), abs(high)):
            raise TargetError(
                f"domain [{low:.12g}, {high:.12g}] is too narrow for its distance "
                "from 0 to be tabulated in floating point; shift x so that the "
                "domain lies near 0"
            )
        self.expression = compile_expression(expression, ("x",))
        self.name = expression
        self.low, self.high = low, high

        center, scale = self._locate_mass()
        self._transform = _Transform(low, high, center, scale)
        self._tabulate()
        self.plot_range = self._find_plot_range()
        self.mean, self.variance = self._moments()

    def _density(self, x: np.ndarray) -> np.ndarray:
        values = self.expression(x)
        check_finite(values, x, "the density", nonnegative=True)
        return values

    def _locate_mass(self) -> tuple[float, float]:
        """Guess the centre and width of the mass, to scale the map onto infinity."""
        if math.isfinite(self.low) and math.isfinite(self.high):
            return (self.low + self.high) / 2, (self.high - self.low) / 2
        far = np.logspace(-3, 8, 45)
        probes = np.concatenate([-far[::-1], np.linspace(-10, 10, 201), far])
        probes = probes[(probes > self.low) & (probes < self.high)]
        if math.isfinite(self.low):
            probes = np.concatenate([self.low + far, probes])
        if math.isfinite(self.high):
            probes = np.concatenate([probes, self.high - far])
        values = self.expression(probes)
        values = np.where(np.isfinite(values) & (values > 0), values, 0.0)
        if not values.any():
            return 0.0, 1.0
        center = float(probes[np.argmax(values)])
        heavy = probes[values >= values.max() * math.exp(-2)]
        scale = max(float(heavy.max() - heavy.min()) / 2, 1e-3 * max(1, abs(center)))
        anchor = self.low if math.isfinite(self.low) else self.high
        if math.isfinite(anchor):
            scale = max(scale, abs(center - anchor))
        return center, scale

    def _integrand(self, t: np.ndarray) -> np.ndarray:
        x = self._transform.x_of_t(t)
        result = np.zeros_like(t)
        inner = np.isfinite(x)
        values = self.expression(x[inner])
        with np.errstate(over="ignore", invalid="ignore"):
            result[inner] = values * self._transform.dx_dt(t[inner])

        # An infinite value far out towards an infinite end means growth, not a
        # singularity. Check for it before the values, which reject any infinity.
        growing = (result == np.inf) & self._transform.far_out(t)
        if not growing.any():
            check_finite(values, x[inner], "the density", nonnegative=True)
            growing = ~np.isfinite(result)
        if growing.any():
            bad = x[growing][0]
            raise TargetError(
                f"the density does not decay fast enough near x = {bad:.6g}, so its "
                "integral is infinite; use a finite domain"
            )
        return result

    def _tabulate(self) -> None:
        transform = self._transform
        t0, t1 = transform.t_range
        table = tabulate_cumulative(
            self._integrand,
            t0,
            t1,
            tolerance=_CDF_TOLERANCE,
            low_limit=transform.kind in ("upper", "both"),
            high_limit=transform.kind in ("lower", "both"),
        )
        domain = f"[{self.low:g}, {self.high:g}]"
        if not table.total > 0:
            spacing = (t1 - t0) / SCAN_STEPS
            hint = (
                f" if the density has a peak narrower than {spacing:.3g}"
                if transform.kind == "finite"
                else " if the density has a narrow peak"
            )
            raise TargetError(
                f"the density is zero everywhere on {domain}, at all "
                f"{table.evaluations:,} points where it was evaluated; check the "
                f"expression, or narrow the domain{hint}"
            )
        if not math.isfinite(table.total):
            raise TargetError(
                f"the integral of the density over {domain} overflows; divide the "
                "expression by a large constant"
            )
        if table.error > _CDF_ACCEPTABLE:
            raise TargetError(self._convergence_message(table))
        if table.error > _CDF_TOLERANCE:
            logger.warning(
                "density %r: CDF accurate to about %.2g only, worst near x = %.6g",
                self.name,
                table.error,
                float(transform.x_of_t(np.array(table.worst))),
            )
        self._table = table
        self._normaliser = table.total
        self._log_normaliser = math.log(table.total)

    def _convergence_message(self, table) -> str:
        worst = np.array(table.worst)
        x = float(self._transform.x_of_t(worst))
        start = (
            f"the integral of the density did not converge on "
            f"[{self.low:g}, {self.high:g}]: after {table.evaluations:,} "
            f"evaluations its CDF is still uncertain by about {table.error:.2g}"
        )
        if self._transform.far_out(worst):
            end = "inf" if x > 0 else "-inf"
            return (
                f"{start}, most of it far out towards x = {end}. The density may "
                "decay too slowly there for its integral to be finite; use a "
                "finite domain."
            )
        return (
            f"{start}, most of it near x = {x:.6g}. The density may have a "
            "singularity there, a peak or oscillation too narrow to resolve on "
            "this domain, or an infinite integral. Exclude a singularity from the "
            f"domain; otherwise narrow the domain around x = {x:.6g} or smooth the "
            "density."
        )

    def logpdf(self, x):
        x = _as_array(x)
        inside = self._inside(x)
        values = np.zeros(x.shape)
        values[inside] = self._density(x[inside])
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(values) - self._log_normaliser, -np.inf)

    def pdf(self, x):
        x = _as_array(x)
        inside = self._inside(x)
        values = np.zeros(x.shape)
        values[inside] = self._density(x[inside]) / self._normaliser
        return values

    def cdf(self, x):
        return self._table.lower(self._transform.t_of_x(x))

    def sf(self, x):
        return self._table.upper(self._transform.t_of_x(x))

    def _find_plot_range(self) -> tuple[float, float]:
        if math.isfinite(self.low) and math.isfinite(self.high):
            return self.low, self.high
        table = self._table
        t_low, t_high = np.interp([5e-4, 1 - 5e-4], table.cumulative, table.edges)
        x_low, x_high = self._transform.x_of_t(np.array([t_low, t_high]))
        pad = 0.1 * (x_high - x_low)
        return max(self.low, x_low - pad), min(self.high, x_high + pad)

    def _moments(self) -> tuple[float | None, float | None]:
        table = self._table
        x = self._transform.x_of_t(table.points)
        inner = np.isfinite(x)
        weights = np.where(inner, table.unit_values, 0.0)
        xs = np.where(inner, x, 0.0)
        width = table.points[:, 4] - table.points[:, 0]

        # Compare Simpson's rule on the halves of each unit with Simpson's rule on
        # whole units. A large difference means that the moment does not converge
        # (a heavy tail), so it is None.
        moments = []
        for power in (1, 2):
            f = xs**power * weights
            halves = f[:, 0] + 4 * f[:, 1] + 2 * f[:, 2] + 4 * f[:, 3] + f[:, 4]
            fine = float(np.sum(width * halves) / 12)
            coarse = float(np.sum(width * (f[:, 0] + 4 * f[:, 2] + f[:, 4])) / 6)
            if not abs(fine - coarse) <= 1e-6 * max(1.0, abs(fine)):
                return None, None
            moments.append(fine)
        return moments[0], max(moments[1] - moments[0] ** 2, 0.0)


class CdfTarget(Target1D):
    """A typed cumulative distribution function in x on a finite [low, high].

    The CDF is checked on a grid of 2^14 cells: it must be finite, non-decreasing and
    within 1e-3 of 0 at ``low`` and of 1 at ``high``. It is then rescaled to go
    exactly from 0 to 1 on the domain. The density is its numerical derivative on the
    grid, used only for plots and Newton steps.

    Raises
    ------
    ExpressionError
        If the expression is invalid or not finite at a grid point.
    TargetError
        If the domain is not finite, the function decreases, or its end values are
        not about 0 and 1. The message gives the x where the check failed.
    """

    _CELLS = 2**14
    _END_TOLERANCE = 1e-3

    def __init__(self, expression: str, low: float, high: float):
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high) and high > low):
            raise TargetError(
                f"domain [{low:g}, {high:g}] is invalid; a typed CDF needs a finite "
                "domain with low < high"
            )
        self.expression = compile_expression(expression, ("x",))
        self.name = expression
        self.low, self.high = low, high
        self.plot_range = (low, high)

        # Check the function on the grid.
        x = np.linspace(low, high, self._CELLS + 1)
        values = self.expression(x)
        check_finite(values, x, "the CDF")
        steps = np.diff(values)
        scale = max(1.0, float(np.max(np.abs(values))))
        falling = np.flatnonzero(steps < -1e-12 * scale)
        if falling.size:
            i = falling[0]
            raise TargetError(
                f"the CDF decreases between x = {x[i]:.6g} (F = {values[i]:.6g}) and "
                f"x = {x[i + 1]:.6g} (F = {values[i + 1]:.6g}); a CDF must be "
                "non-decreasing"
            )
        if abs(values[0]) > self._END_TOLERANCE:
            raise TargetError(
                f"the CDF is {values[0]:.6g} at x = {low:g}, not about 0; widen the "
                "domain or fix the expression"
            )
        if abs(values[-1] - 1) > self._END_TOLERANCE:
            raise TargetError(
                f"the CDF is {values[-1]:.6g} at x = {high:g}, not about 1; widen the "
                "domain or fix the expression"
            )
        self._offset = float(values[0])
        self._span = float(values[-1] - values[0])

        # Tabulate the density and the moments.
        self._x = x
        normalised = np.clip((values - self._offset) / self._span, 0.0, 1.0)
        self._density = np.maximum(np.gradient(normalised, x), 0.0)
        mass = np.diff(normalised)
        middle = (x[1:] + x[:-1]) / 2
        self.mean = float(np.sum(middle * mass))
        self.variance = float(max(np.sum(middle**2 * mass) - self.mean**2, 0.0))

    def cdf(self, x):
        x = np.clip(_as_array(x), self.low, self.high)
        values = (self.expression(x) - self._offset) / self._span
        return np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0)

    def pdf(self, x):
        x = _as_array(x)
        values = np.interp(x, self._x, self._density)
        return np.where(self._inside(x), values, 0.0)

    def logpdf(self, x):
        with np.errstate(divide="ignore"):
            return np.log(self.pdf(x))


class Target2D:
    """A two-dimensional target known through an unnormalised log density.

    Attributes
    ----------
    name : str
    bounds : tuple of two (low, high) pairs
        Support of x and of y; the log density is -inf outside.
    plot_range : tuple of two (low, high) pairs
        Finite box that contains nearly all of the mass.
    mean : ndarray of shape (2,) or None
    start : ndarray of shape (2,) or None
        A point of high density for chains to start from, where the mean is a poor
        start (it has low density for the donut).
    """

    dim = 2
    name: str
    bounds: tuple[tuple[float, float], tuple[float, float]] = (
        (-math.inf, math.inf),
        (-math.inf, math.inf),
    )
    plot_range: tuple[tuple[float, float], tuple[float, float]]
    mean: np.ndarray | None = None
    start: np.ndarray | None = None

    def log_density(self, points) -> np.ndarray:
        """Unnormalised log density at points of shape (k, 2), shape (k,)."""
        raise NotImplementedError

    def marginal(self, axis: int) -> Target1D | None:
        """Exact marginal distribution of coordinate ``axis``, where known."""
        return None

    def sample_exact(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Independent exact draws of shape (n, 2), where a direct sampler exists."""
        raise NotImplementedError(f"{self.name} has no exact sampler")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Banana(Target2D):
    """Twisted Gaussian: x ~ N(0, 2^2) and y | x ~ N(b (x^2 - 4), 1).

    After Haario, Saksman and Tamminen (1999), "Adaptive proposal distribution for
    random walk Metropolis algorithm", with the scales reduced for plotting.
    """

    def __init__(self, b: float = 0.5):
        self.b = _finite("b", b, "banana")
        self.name = f"banana({b:g})"
        self.mean = np.zeros(2)
        y_low, y_high = -4 - 4 * abs(self.b), 4 + 20 * abs(self.b)
        if self.b < 0:
            y_low, y_high = -y_high, -y_low
        self.plot_range = ((-7.0, 7.0), (y_low, y_high))

    def log_density(self, points):
        x, y = points[:, 0], points[:, 1]
        r = y - self.b * (x * x - 4)
        return -0.125 * (x * x) - 0.5 * (r * r)

    def marginal(self, axis):
        return Normal(0.0, 2.0) if axis == 0 else None

    def sample_exact(self, n, rng):
        x = rng.normal(0.0, 2.0, n)
        y = self.b * (x * x - 4) + rng.standard_normal(n)
        return np.column_stack([x, y])


class Donut(Target2D):
    """Ring: log density -(r - radius)^2 / (2 width^2) with r = sqrt(x^2 + y^2)."""

    def __init__(self, radius: float = 2.0, width: float = 0.3):
        self.radius = _positive("radius", radius, "donut")
        self.width = _positive("width", width, "donut")
        self.name = f"donut({radius:g}, {width:g})"
        self.mean = np.zeros(2)
        self.start = np.array([self.radius, 0.0])
        edge = self.radius + 5 * self.width
        self.plot_range = ((-edge, edge), (-edge, edge))

    def log_density(self, points):
        r = np.hypot(points[:, 0], points[:, 1])
        d = (r - self.radius) / self.width
        return -0.5 * (d * d)


class Mixture2D(Target2D):
    """Three isotropic Gaussians, weights 0.3, 0.3, 0.4, standard deviation 0.7."""

    means = np.array([[-1.5, -1.0], [1.5, -1.0], [0.0, 1.5]])
    weights = np.array([0.3, 0.3, 0.4])
    sd = 0.7

    def __init__(self):
        self.name = "mixture2d"
        self.mean = self.weights @ self.means
        self.plot_range = ((-4.5, 4.5), (-4.0, 4.5))

    def log_density(self, points):
        dx = points[:, None, :] - self.means[None, :, :]
        log_terms = -0.5 * np.sum(dx * dx, axis=2) / self.sd**2
        return special.logsumexp(log_terms, axis=1, b=self.weights[None, :])

    def marginal(self, axis):
        components = [Normal(m, self.sd) for m in self.means[:, axis]]
        if axis == 0:
            return Mixture(components, self.weights)
        # Two components share the same y mean, so merge them.
        return Mixture([components[0], components[2]], [0.6, 0.4])

    def sample_exact(self, n, rng):
        component = rng.choice(3, size=n, p=self.weights)
        return self.means[component] + self.sd * rng.standard_normal((n, 2))


class Funnel(Target2D):
    """Neal's funnel: y ~ N(0, scale^2) and x | y ~ N(0, exp(y)).

    From Neal (2003), "Slice sampling", Annals of Statistics 31(3), with the vertical
    coordinate y as the log variance of x. The neck is hard for a fixed step size.
    """

    def __init__(self, scale: float = 3.0):
        self.scale = _positive("scale", scale, "funnel")
        self.name = f"funnel({scale:g})"
        self.mean = np.zeros(2)
        self.plot_range = ((-10.0, 10.0), (-2.5 * self.scale, 2.5 * self.scale))

    def log_density(self, points):
        x, y = points[:, 0], points[:, 1]
        with np.errstate(over="ignore"):
            return -0.5 * (y / self.scale) ** 2 - 0.5 * x * x * np.exp(-y) - 0.5 * y

    def marginal(self, axis):
        return Normal(0.0, self.scale) if axis == 1 else None

    def sample_exact(self, n, rng):
        y = rng.normal(0.0, self.scale, n)
        x = rng.standard_normal(n) * np.exp(y / 2)
        return np.column_stack([x, y])


class Density2DTarget(Target2D):
    """A typed unnormalised density in x and y, for Metropolis-Hastings.

    Bounds may be infinite. The expression is checked on a 201 x 201 probe grid over
    the bounds (or [-10, 10] where a bound is infinite): it must be finite and
    non-negative there and positive somewhere. `log_density` raises
    `EvaluationError`, naming the point, if a later evaluation is NaN, infinite or
    negative.
    """

    def __init__(
        self,
        expression: str,
        x_bounds: tuple[float, float] = (-math.inf, math.inf),
        y_bounds: tuple[float, float] = (-math.inf, math.inf),
    ):
        bounds = []
        for name, (low, high) in (("x", x_bounds), ("y", y_bounds)):
            low, high = float(low), float(high)
            if math.isnan(low) or math.isnan(high) or not high > low:
                raise TargetError(
                    f"bounds of {name}, [{low:g}, {high:g}], are invalid; "
                    "give low < high"
                )
            bounds.append((low, high))
        self.bounds = (bounds[0], bounds[1])
        self.expression = compile_expression(expression, ("x", "y"))
        self.name = expression

        # Probe a grid, check the values and find the box that holds the mass.
        axes = [
            np.linspace(max(low, -10.0), min(high, 10.0), 201) for low, high in bounds
        ]
        grid_x, grid_y = np.meshgrid(*axes, indexing="ij")
        points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
        values = self.expression(points[:, 0], points[:, 1])
        check_finite(values, points, "the density", names=("x", "y"), nonnegative=True)
        if not values.max() > 0:
            raise TargetError(
                "the density is zero everywhere on the probe grid "
                f"x in [{axes[0][0]:g}, {axes[0][-1]:g}], "
                f"y in [{axes[1][0]:g}, {axes[1][-1]:g}]; check the expression"
            )
        heavy = points[values >= values.max() * 1e-4]
        ranges = []
        for axis in range(2):
            low, high = float(heavy[:, axis].min()), float(heavy[:, axis].max())
            pad = max(0.1 * (high - low), 0.5)
            ranges.append(
                (max(low - pad, axes[axis][0]), min(high + pad, axes[axis][-1]))
            )
        self.plot_range = (ranges[0], ranges[1])
        weights = values / values.sum()
        self.mean = weights @ points
        self.start = points[np.argmax(values)]
        # NOTE: the mean is a probe-grid estimate, not exact, when mass lies beyond it.

    def log_density(self, points):
        points = np.asarray(points, dtype=float)
        (x_low, x_high), (y_low, y_high) = self.bounds
        x, y = points[:, 0], points[:, 1]
        inside = (x >= x_low) & (x <= x_high) & (y >= y_low) & (y <= y_high)
        values = np.zeros(len(points))
        if inside.all():
            values = self.expression(x, y)
            check_finite(
                values, points, "the density", names=("x", "y"), nonnegative=True
            )
        else:
            values[inside] = self.expression(x[inside], y[inside])
            check_finite(
                values[inside],
                points[inside],
                "the density",
                names=("x", "y"),
                nonnegative=True,
            )
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(values), -np.inf)


# Family name -> (class, parameter names, default values; None means required).
FAMILIES_1D: dict[str, tuple[type, tuple[str, ...], tuple[float | None, ...]]] = {
    "normal": (Normal, ("loc", "scale"), (0.0, 1.0)),
    "exponential": (Exponential, ("rate",), (1.0,)),
    "laplace": (Laplace, ("loc", "scale"), (0.0, 1.0)),
    "cauchy": (Cauchy, ("loc", "scale"), (0.0, 1.0)),
    "logistic": (Logistic, ("loc", "scale"), (0.0, 1.0)),
    "weibull": (Weibull, ("shape", "scale"), (None, 1.0)),
    "beta": (Beta, ("a", "b"), (None, None)),
    "gamma": (Gamma, ("shape", "rate"), (None, 1.0)),
    "uniform": (Uniform, ("low", "high"), (0.0, 1.0)),
}

FAMILIES_2D: dict[str, tuple[type, tuple[str, ...], tuple[float | None, ...]]] = {
    "banana": (Banana, ("b",), (0.5,)),
    "donut": (Donut, ("radius", "width"), (2.0, 0.3)),
    "mixture2d": (Mixture2D, (), ()),
    "funnel": (Funnel, ("scale",), (3.0,)),
}


class _SpecParser:
    def __init__(self, spec: str):
        self.spec = spec
        try:
            self.tree, self.source_map = prepare_source(spec)
        except ExpressionError as error:
            raise TargetError(f"target {spec!r}: {error}") from None

    def error(self, message: str, node: ast.AST) -> TargetError:
        column = node_column(node, self.source_map)
        where = f" (at column {column})" if column is not None else ""
        return TargetError(f"target {self.spec!r}: {message}{where}. {TARGET_HELP}")

    def constant(self, node: ast.AST) -> float:
        try:
            _, value, _ = compile_node(node, (), self.source_map)
        except ExpressionError as error:
            raise TargetError(f"target {self.spec!r}: {error}") from None
        if value is None:
            raise self.error("arguments must be constant numbers", node)
        return value

    def parse(self) -> Target1D | Target2D:
        return self.family(self.tree.body, allow_2d=True, allow_mixture=True)

    def family(self, node: ast.AST, *, allow_2d: bool, allow_mixture: bool):
        if isinstance(node, ast.Name):
            name, args, keywords = node.id, [], []
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name, args, keywords = node.func.id, node.args, node.keywords
        else:
            raise self.error("expected a distribution such as normal(0, 1)", node)

        if name == "mixture":
            if not allow_mixture:
                raise self.error("a mixture cannot contain a mixture", node)
            if keywords:
                raise self.error("mixture() takes no keyword arguments", node)
            return self.mixture(node, args)
        if name in FAMILIES_2D and not allow_2d:
            raise self.error(f"{name} is 2-D and cannot be a mixture component", node)
        table = {**FAMILIES_1D, **FAMILIES_2D}
        if name not in table:
            known = ", ".join([*FAMILIES_1D, "mixture", *FAMILIES_2D])
            raise self.error(f"unknown distribution {name!r}; known: {known}", node)
        cls, names, defaults = table[name]

        # Match positional and keyword arguments to the parameters.
        if len(args) > len(names):
            raise self.error(
                f"{name}() takes at most {len(names)} arguments, got {len(args)}", node
            )
        values: list[float | None] = list(defaults)
        assigned = set()
        for i, arg in enumerate(args):
            if isinstance(arg, ast.Starred):
                raise self.error("'*' unpacking is not allowed", arg)
            values[i] = self.constant(arg)
            assigned.add(names[i])
        for keyword in keywords:
            if keyword.arg not in names or keyword.arg in assigned:
                raise self.error(
                    f"{name}() has no argument {keyword.arg!r} or it is given twice; "
                    f"its arguments are {', '.join(names) or 'none'}",
                    keyword.value,
                )
            values[names.index(keyword.arg)] = self.constant(keyword.value)
            assigned.add(keyword.arg)
        missing = [n for n, v in zip(names, values, strict=True) if v is None]
        if missing:
            raise self.error(f"{name}() needs a value for {', '.join(missing)}", node)
        return cls(*values)

    def mixture(self, node: ast.AST, args: list[ast.AST]) -> Mixture:
        terms: list[ast.AST] = []

        def flatten(term):
            if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Add):
                flatten(term.left)
                flatten(term.right)
            else:
                terms.append(term)

        for arg in args:
            flatten(arg)
        if not terms:
            raise self.error("mixture() needs at least one component", node)

        components, weights = [], []
        for term in terms:
            weight = None
            if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult):
                if isinstance(term.right, (ast.Call, ast.Name)) and _is_family(
                    term.right
                ):
                    weight, term = self.constant(term.left), term.right
                else:
                    weight, term = self.constant(term.right), term.left
            components.append(self.family(term, allow_2d=False, allow_mixture=False))
            weights.append(weight)
        if all(w is None for w in weights):
            weights = [1.0 / len(components)] * len(components)
        elif any(w is None for w in weights):
            raise self.error("give a weight to every component or to none", node)
        return Mixture(components, weights)


def _is_family(node: ast.AST) -> bool:
    name = node.func.id if isinstance(node, ast.Call) else getattr(node, "id", None)
    return isinstance(name, str) and (name in FAMILIES_1D or name in FAMILIES_2D)


def parse_target(spec: str) -> Target1D | Target2D:
    """Build a target from a specification such as ``gamma(3, 1)`` or ``banana``.

    See `TARGET_HELP` for the families and their parameters.

    Raises
    ------
    TargetError
        If the specification is invalid; the message names the problem.
    """
    return _SpecParser(spec).parse()


def parse_target_1d(spec: str) -> Target1D:
    """Like `parse_target`, but reject 2-D targets."""
    target = parse_target(spec)
    if target.dim != 1:
        raise TargetError(
            f"target {spec!r} is 2-D; this sampler needs a 1-D target. {TARGET_HELP}"
        )
    return target


__all__ = [
    "Banana",
    "Beta",
    "Cauchy",
    "CdfTarget",
    "Density2DTarget",
    "DensityTarget",
    "Donut",
    "Exponential",
    "FAMILIES_1D",
    "FAMILIES_2D",
    "Funnel",
    "Gamma",
    "Laplace",
    "Logistic",
    "Mixture",
    "Mixture2D",
    "Normal",
    "TARGET_HELP",
    "Target1D",
    "Target2D",
    "TargetError",
    "Uniform",
    "Weibull",
    "parse_target",
    "parse_target_1d",
]
