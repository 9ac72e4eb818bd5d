"""Tests of the targets: named families against scipy.stats, typed functions."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from models.expressions import EvaluationError, ExpressionError
from models.targets import (
    Banana,
    CdfTarget,
    Density2DTarget,
    DensityTarget,
    Donut,
    Funnel,
    Mixture,
    Mixture2D,
    Normal,
    TargetError,
    parse_target,
    parse_target_1d,
)

# Specification -> the same distribution in scipy.stats, implemented independently.
REFERENCES = {
    "normal(1, 2)": scipy.stats.norm(1, 2),
    "exponential(2)": scipy.stats.expon(scale=0.5),
    "laplace(-1, 0.5)": scipy.stats.laplace(-1, 0.5),
    "cauchy(0, 1)": scipy.stats.cauchy(0, 1),
    "logistic(2, 0.7)": scipy.stats.logistic(2, 0.7),
    "weibull(1.5)": scipy.stats.weibull_min(1.5),
    "weibull(0.8, scale=2)": scipy.stats.weibull_min(0.8, scale=2),
    "beta(2, 5)": scipy.stats.beta(2, 5),
    "beta(0.5, 0.5)": scipy.stats.beta(0.5, 0.5),
    "gamma(3, 1)": scipy.stats.gamma(3),
    "gamma(0.5, 2)": scipy.stats.gamma(0.5, scale=0.5),
    "uniform(-1, 3)": scipy.stats.uniform(-1, 4),
}


@pytest.mark.parametrize("spec", REFERENCES)
def test_family_matches_scipy(spec):
    target, reference = parse_target(spec), REFERENCES[spec]
    low, high = target.plot_range
    x = np.linspace(low, high, 101)[1:-1]
    np.testing.assert_allclose(target.pdf(x), reference.pdf(x), rtol=1e-10)
    np.testing.assert_allclose(target.logpdf(x), reference.logpdf(x), rtol=1e-10)
    np.testing.assert_allclose(target.cdf(x), reference.cdf(x), rtol=1e-10)
    np.testing.assert_allclose(target.sf(x), reference.sf(x), rtol=1e-9)
    if target.mean is None:
        assert not np.isfinite(reference.mean()), f"{spec}: mean missing"
    else:
        assert target.mean == pytest.approx(reference.mean()), f"{spec}: mean"
        assert target.variance == pytest.approx(reference.var()), f"{spec}: var"
    support = reference.support()
    assert (target.low, target.high) == support, f"{spec}: support"


@pytest.mark.parametrize("spec", REFERENCES)
def test_closed_form_ppf_inverts_cdf(spec):
    target = parse_target(spec)
    if not target.has_closed_form_ppf:
        with pytest.raises(NotImplementedError):
            target.ppf(0.5)
        return
    u = np.array([1e-12, 1e-3, 0.25, 0.5, 0.75, 0.999, 1 - 1e-10])
    np.testing.assert_allclose(target.cdf(target.ppf(u)), u, rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("spec", ["normal(0, 1)", "gamma(3, 1)", "beta(2, 5)"])
def test_logpdf_minus_inf_outside_support(spec):
    target = parse_target(spec)
    outside = [x for x in (target.low - 1, target.high + 1) if math.isfinite(x)]
    outside += [-np.inf, np.inf, np.nan] if math.isfinite(target.low) else []
    for x in outside:
        value = target.logpdf(np.array([x]))[0]
        assert value == -np.inf, f"{spec}: logpdf({x}) = {value}"


def test_mixture_syntaxes_agree():
    specs = [
        "mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))",
        "mixture(0.3*normal(-2, 0.5), 0.7*normal(1, 1))",
        "mixture(normal(-2, 0.5)*0.3 + normal(1, 1)*(1 - 0.3))",
    ]
    x = np.linspace(-5, 5, 11)
    expected = 0.3 * scipy.stats.norm(-2, 0.5).pdf(x) + 0.7 * scipy.stats.norm(
        1, 1
    ).pdf(x)
    for spec in specs:
        target = parse_target(spec)
        np.testing.assert_allclose(target.pdf(x), expected, rtol=1e-12, err_msg=spec)
        np.testing.assert_allclose(
            np.exp(target.logpdf(x)), expected, rtol=1e-12, err_msg=spec
        )


def test_mixture_moments_and_equal_weights():
    target = parse_target("mixture(normal(-1, 1) + normal(1, 1))")
    assert isinstance(target, Mixture), f"parsed {target!r}"
    assert target.mean == pytest.approx(0.0), f"mean {target.mean}"
    assert target.variance == pytest.approx(2.0), f"variance {target.variance}"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("normal(0, -1)", "scale must be a positive"),
        ("foo(1)", "unknown distribution 'foo'"),
        ("normal(1, 2, 3)", "at most 2 arguments"),
        ("beta(1)", "needs a value for b"),
        ("mixture(0.3*normal(0,1) + 0.6*normal(1,1))", "sum to 0.9"),
        ("mixture(0.3*normal(0,1) + normal(1,1))", "every component or to none"),
        ("mixture(banana)", "2-D"),
        ("normal(x)", "unknown name 'x'"),
        ("normal(scale=1, scale=2)", "given twice"),
        ("normal(0, 1) + 1", "expected a distribution"),
        ("__import__('os')", "unknown distribution"),
        ("normal(0, 1).mean", "expected a distribution"),
        ("normal(0, 9^9^9)", "exponent"),
        ("normal(" * 60, "nested"),
    ],
)
def test_invalid_specs_rejected(spec, message):
    with pytest.raises(TargetError, match=message):
        parse_target(spec)


def test_parse_target_1d_rejects_2d():
    with pytest.raises(TargetError, match="2-D"):
        parse_target_1d("banana")


def test_density_target_matches_normal():
    target = DensityTarget("exp(-x^2/2)", -math.inf, math.inf)
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(target.cdf(x), scipy.stats.norm.cdf(x), atol=1e-8)
    np.testing.assert_allclose(target.pdf(x), scipy.stats.norm.pdf(x), rtol=1e-8)
    assert target.mean == pytest.approx(0, abs=1e-8), f"mean {target.mean}"
    assert target.variance == pytest.approx(1, rel=1e-6), f"var {target.variance}"


def test_density_target_truncates_to_domain():
    target = DensityTarget("exp(-x)", 0, 2)
    reference = scipy.stats.truncexpon(2)
    x = np.linspace(0, 2, 21)
    np.testing.assert_allclose(target.cdf(x), reference.cdf(x), atol=1e-9)
    assert target.mean == pytest.approx(reference.mean(), rel=1e-7), "mean"
    assert target.logpdf(np.array([-0.1]))[0] == -np.inf, "logpdf below domain"
    assert target.pdf(np.array([2.5]))[0] == 0, "pdf above domain"


def test_density_target_half_line():
    target = DensityTarget("x^2*exp(-x)", 0, math.inf)
    x = np.array([0.5, 3.0, 10.0])
    np.testing.assert_allclose(target.cdf(x), scipy.stats.gamma(3).cdf(x), atol=1e-8)
    assert target.mean == pytest.approx(3.0, rel=1e-6), f"mean {target.mean}"


def test_density_target_cauchy_tails():
    target = DensityTarget("1/(1+x^2)", -math.inf, math.inf)
    x = np.array([-10.0, -1.0, 0.0, 1.0, 10.0])
    np.testing.assert_allclose(target.cdf(x), scipy.stats.cauchy.cdf(x), atol=1e-6)
    assert target.mean is None, f"Cauchy mean reported as {target.mean}"


@pytest.mark.parametrize(
    "expression, low, high, error, message",
    [
        ("log(x)", 0, 1, EvaluationError, "-inf at x = 0"),
        ("x", -1, 1, EvaluationError, "negative"),
        ("sqrt(x)", -1, 1, EvaluationError, "NaN"),
        ("0*x", 0, 1, TargetError, "zero everywhere"),
        ("exp(x)", -math.inf, math.inf, TargetError, "integral is infinite"),
        ("1/(1+abs(x))", -math.inf, math.inf, TargetError, "did not converge"),
        ("x +", 0, 1, ExpressionError, "invalid syntax"),
        ("exp(-x)", 1, 0, TargetError, "low < high"),
    ],
)
def test_density_target_errors(expression, low, high, error, message):
    with pytest.raises(error, match=message):
        DensityTarget(expression, low, high)


def test_density_target_error_has_point():
    with pytest.raises(EvaluationError) as info:
        DensityTarget("1/(x - 0.5)^2", 0, 1)
    assert info.value.point == (0.5,), f"point {info.value.point}"


def test_cdf_target_matches_exponential():
    target = CdfTarget("1 - exp(-x)", 0, 30)
    x = np.array([0.1, 1.0, 5.0])
    np.testing.assert_allclose(target.cdf(x), scipy.stats.expon.cdf(x), atol=1e-12)
    np.testing.assert_allclose(target.pdf(x), scipy.stats.expon.pdf(x), rtol=1e-4)
    assert target.mean == pytest.approx(1.0, rel=1e-4), f"mean {target.mean}"
    assert target.variance == pytest.approx(1.0, rel=1e-3), "variance"


@pytest.mark.parametrize(
    "expression, low, high, message",
    [
        ("sin(x)", 0, 6, "decreases between x = 1.57"),
        ("x", 0, 2, "is 2 at x = 2"),
        ("x + 0.5", 0, 0.5, "is 0.5 at x = 0"),
        ("1 - exp(-x)", 0, math.inf, "finite domain"),
    ],
)
def test_cdf_target_errors(expression, low, high, message):
    with pytest.raises(TargetError, match=message):
        CdfTarget(expression, low, high)


def test_cdf_target_nan_names_point():
    with pytest.raises(EvaluationError, match="x = -1"):
        CdfTarget("sqrt(x)", -1, 1)


@pytest.mark.parametrize("target", [Banana(), Mixture2D(), Funnel(2.0)])
def test_2d_log_density_matches_exact_sampler(target):
    """Importance weights p/q from exact draws must be constant if they agree."""
    rng = np.random.default_rng(1)
    points = target.sample_exact(2000, rng)
    log_p = target.log_density(points)
    assert np.all(np.isfinite(log_p)), f"{target.name}: non-finite log density"
    for axis in (0, 1):
        marginal = target.marginal(axis)
        if marginal is None:
            continue
        result = scipy.stats.kstest(points[:, axis], marginal.cdf)
        assert result.pvalue > 1e-3, f"{target.name} axis {axis}: {result}"


def test_banana_log_density_formula():
    points = np.array([[1.0, 2.0], [-2.0, 0.5]])
    x, y = points.T
    expected = -(x**2) / 8 - (y - 0.5 * (x**2 - 4)) ** 2 / 2
    np.testing.assert_allclose(Banana(0.5).log_density(points), expected)


def test_donut_peaks_on_ring():
    donut = Donut(2.0, 0.3)
    on_ring = donut.log_density(np.array([[2.0, 0.0], [0.0, -2.0]]))
    assert np.all(on_ring == 0), f"log density on the ring {on_ring}"
    centre = donut.log_density(np.array([[0.0, 0.0]]))[0]
    assert centre < -20, f"log density at the centre {centre}"


def test_density_2d_bounds_and_errors():
    target = Density2DTarget("exp(-x^2/2 - y^2/2)", (0, math.inf), (-1, 1))
    values = target.log_density(np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 2.0]]))
    assert values[0] == pytest.approx(-0.5), f"inside: {values[0]}"
    assert values[1] == -np.inf, "x below its bound"
    assert values[2] == -np.inf, "y above its bound"
    with pytest.raises(EvaluationError, match=r"\(x, y\)"):
        Density2DTarget("x*y")
    with pytest.raises(TargetError, match="zero everywhere"):
        Density2DTarget("0*x*y")
    with pytest.raises(ExpressionError, match="unknown name 'z'"):
        Density2DTarget("z")


def test_density_2d_later_nan_raises():
    target = Density2DTarget("where(x < 20, exp(-x^2 - y^2), log(-x))")
    with pytest.raises(EvaluationError, match=r"\(x, y\) = \(30, 0\)"):
        target.log_density(np.array([[0.0, 0.0], [30.0, 0.0]]))


def test_normal_rejects_infinite_loc():
    with pytest.raises(TargetError, match="loc must be finite"):
        Normal(math.inf, 1)


def test_quad_normalisation_of_families():
    for spec in ["weibull(1.5)", "gamma(3, 2)", "logistic(0, 1)", "beta(2, 5)"]:
        target = parse_target(spec)
        total, _ = scipy.integrate.quad(
            lambda v, t=target: float(t.pdf(np.array([v]))[0]), target.low, target.high
        )
        assert total == pytest.approx(1.0, abs=1e-8), f"{spec} integrates to {total}"
