"""Tests of the step-function hat: domination, squeezes, exact samples, fallbacks."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from models.sampling.hat import HatProposal, build_hat
from models.sampling.rejection import (
    CauchyProposal,
    RejectionRun,
    RejectionSampler,
    UnboundedRatioError,
    UniformProposal,
    check_envelope,
    make_proposal,
)
from models.targets import DensityTarget, Target1D, parse_target

SPIKE = "mixture(0.9*normal(0, 1) + 0.1*normal(1.23456, 0.0001))"
TARGETS = [
    "normal(0, 1)",
    "gamma(3, 1)",
    "beta(2, 5)",
    "cauchy(0, 1)",
    "exponential(1)",
    "logistic(0, 1)",
    "weibull(2)",
    "laplace(1, 2)",
    "uniform(0, 2)",
    "mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))",
    SPIKE,
    "density:exp(-x^2/2) * (2 + sin(5*x))",
    "density:abs(x)",
    "density:exp(-((x-0.3)/0.001)^2)",
]


def make_target(spec):
    if spec == "density:exp(-((x-0.3)/0.001)^2)":
        return DensityTarget(spec.removeprefix("density:"), 0, 1)
    if spec.startswith("density:"):
        return DensityTarget(spec.removeprefix("density:"), -3, 3)
    return parse_target(spec)


def probe_points(hat: HatProposal) -> np.ndarray:
    """Dense and random points over the cells, the cell edges from both sides and
    points running out into the tails."""
    a, b = hat.central_range()
    rng = np.random.default_rng(11)
    edges = hat.edges
    parts = [
        np.linspace(a, b, 200_001),
        rng.uniform(a, b, 100_000),
        edges,
        np.nextafter(edges, -np.inf),
        np.nextafter(edges, np.inf),
        # Five random points in every cell, however narrow.
        (edges[:-1, None] + rng.random((len(edges) - 1, 5)) * np.diff(edges)[:, None]),
    ]
    far = (b - a) * 2.0 ** np.arange(-20, 40, 0.25)
    if math.isinf(hat.low):
        parts.append(a - far)
    if math.isinf(hat.high):
        parts.append(b + far)
    x = np.concatenate([np.ravel(part) for part in parts])
    return x[(x >= hat.low) & (x <= hat.high)]


@pytest.mark.parametrize("spec", TARGETS)
def test_hat_lies_above_density(spec):
    target = make_target(spec)
    hat = build_hat(target)
    x = probe_points(hat)
    with np.errstate(divide="ignore"):
        log_p = target.logpdf(x)
    log_hat = hat.logpdf(x) + math.log(hat.area)
    gap = log_p - log_hat
    worst = int(np.argmax(gap))
    assert gap[worst] <= 1e-12, (
        f"{spec}: p > M q at x = {x[worst]!r}: log p = {log_p[worst]}, "
        f"log M q = {log_hat[worst]}"
    )


@pytest.mark.parametrize("spec", TARGETS)
def test_squeeze_lies_below_density(spec):
    target = make_target(spec)
    hat = build_hat(target)
    x = probe_points(hat)
    a, b = hat.central_range()
    x = x[(x >= a) & (x <= b)]
    cell = np.clip(np.searchsorted(hat.edges, x, side="right") - 1, 0, None)
    cell = np.minimum(cell, len(hat.squeezes) - 1)
    p = target.pdf(x)
    below = p - hat.squeezes[cell]
    worst = int(np.argmin(below))
    assert below[worst] >= 0, (
        f"{spec}: squeeze {hat.squeezes[cell[worst]]} above p = {p[worst]} at "
        f"x = {x[worst]!r}"
    )


@pytest.mark.parametrize("spec", TARGETS)
def test_hat_samples_follow_target(spec):
    target = make_target(spec)
    sampler = RejectionSampler(target, make_proposal("hat", target))
    assert isinstance(sampler.proposal, HatProposal), sampler.proposal.note
    n = 20_000
    samples, proposed = sampler.sample_counted(n, np.random.default_rng(2))
    result = scipy.stats.kstest(samples, target.cdf)
    assert result.pvalue > 1e-3, f"{spec}: {result}"

    # Acceptance is binomial with p = 1/M, and the hat keeps M close to 1.
    p = 1 / sampler.m
    rate_error = math.sqrt(p * (1 - p) / proposed)
    assert abs(n / proposed - p) < 4 * rate_error, f"{spec}: rate {n / proposed}"
    assert sampler.envelope.ok, sampler.envelope.message()


@pytest.mark.parametrize("spec", ["normal(0, 1)", "gamma(3, 1)", "beta(2, 5)"])
def test_hat_accepts_nearly_every_dart(spec):
    hat = build_hat(parse_target(spec))
    assert hat.area < 1.02, f"{spec}: area under the hat {hat.area}, M > 1.02"


def test_spike_chi_square_with_hat():
    """The narrow component has a tenth of the mass in a peak 2e-4 wide."""
    target = parse_target(SPIKE)
    sampler = RejectionSampler(target, make_proposal("hat", target))
    n = 50_000
    samples = sampler.sample(n, np.random.default_rng(3))
    edges = np.concatenate(
        [[-np.inf, -1, 0, 1], 1.23456 + 1e-4 * np.array([-2, -1, 0, 1, 2]), [2, np.inf]]
    )
    expected = n * np.diff(target.cdf(edges))
    observed, _ = np.histogram(samples, edges)
    result = scipy.stats.chisquare(observed, expected)
    assert result.pvalue > 1e-3, f"counts {observed} against {expected.round()}"


@pytest.mark.parametrize("spec", ["normal(0, 1)", "gamma(3, 1)", "cauchy(0, 1)"])
def test_hat_draws_follow_q(spec):
    hat = build_hat(parse_target(spec))
    x = hat.sample(20_000, np.random.default_rng(4))
    result = scipy.stats.kstest(x, hat.cdf)
    assert result.pvalue > 1e-3, f"{spec}: draws from q: {result}"
    ends = hat.cdf(np.array([-np.inf, np.inf]))
    np.testing.assert_allclose(ends, [0, 1], atol=1e-12, err_msg="CDF of q")

    # The density of q agrees with its CDF: exactly on the cells, where q is
    # constant, and by quadrature in the tails.
    a, b = hat.central_range()
    middle = (hat.edges[1:] + hat.edges[:-1]) / 2
    central = np.sum(np.exp(hat.logpdf(middle)) * np.diff(hat.edges))
    expected = hat.cdf(np.array([b]))[0] - hat.cdf(np.array([a]))[0]
    assert central == pytest.approx(expected, rel=1e-12), "mass on the cells"
    if math.isinf(hat.high):
        tail, _ = scipy.integrate.quad(lambda v: np.exp(hat.logpdf(v)), b, np.inf)
        above = 1 - hat.cdf(np.array([b]))[0]
        assert tail == pytest.approx(above, rel=1e-6), "mass of the right tail"


def test_sample_into_takes_same_numbers():
    hat = build_hat(parse_target("normal(0, 1)"))
    drawn = np.empty(100_001)
    hat.sample_into(drawn, np.random.default_rng(5))
    plain = hat.sample(100_001, np.random.default_rng(5))
    assert np.array_equal(drawn, plain), "sample_into should take the same numbers"

    # The log density from the slots equals logpdf, tails included.
    with_density, log_density = np.empty((2, 100_001))
    hat.sample_logpdf_into(with_density, log_density, np.random.default_rng(5))
    assert np.array_equal(with_density, plain), "sample_logpdf_into: same numbers"
    a, b = hat.central_range()
    assert np.any(plain < a) or np.any(plain > b), "some draws should be in a tail"
    np.testing.assert_allclose(log_density, hat.logpdf(plain), rtol=1e-12)


def test_squeezed_path_matches_plain_darts():
    # The batched sampler accepts under the squeeze without p; `propose` always
    # evaluates p. Both must give the target and the rate 1/M.
    target = parse_target("gamma(3, 1)")
    sampler = RejectionSampler(target, make_proposal("hat", target))
    x, _, accepted = sampler.propose(40_000, np.random.default_rng(6))
    plain = scipy.stats.kstest(x[accepted], target.cdf)
    assert plain.pvalue > 1e-3, f"propose: {plain}"
    p = 1 / sampler.m
    error = math.sqrt(p * (1 - p) / 40_000)
    assert abs(accepted.mean() - p) < 4 * error, f"rate {accepted.mean()}"
    batched = sampler.sample(40_000, np.random.default_rng(6))
    result = scipy.stats.kstest(batched, target.cdf)
    assert result.pvalue > 1e-3, f"sample: {result}"


def clipped(target, hat, m):
    """Mass and CDF of min(p, m q), by quadrature on the cells."""
    a, b = hat.central_range()
    grid = np.concatenate([np.linspace(a, b, 400_001), hat.edges])
    grid = np.unique(grid)
    middle = (grid[1:] + grid[:-1]) / 2
    density = np.minimum(target.pdf(middle), m * np.exp(hat.logpdf(middle)))
    cumulative = np.concatenate([[0], np.cumsum(density * np.diff(grid))])
    mass = cumulative[-1]
    return mass, lambda x: np.interp(x, grid, cumulative / mass)


@pytest.mark.parametrize("factor", [0.5, 0.9, 2.0])
def test_hand_set_m_with_hat(factor):
    """A hand-set M scales the squeeze test; samples follow min(p, M q)."""
    target = parse_target("beta(2, 5)")
    hat = build_hat(target)
    m = factor * hat.area
    sampler = RejectionSampler(target, hat, m=m)
    assert sampler.envelope.ok == (factor >= 1), sampler.envelope.message()
    n = 40_000
    samples, proposed = sampler.sample_counted(n, np.random.default_rng(7))
    mass, cdf = clipped(target, hat, m)
    rate = mass / m
    error = math.sqrt(rate * (1 - rate) / proposed)
    assert abs(n / proposed - rate) < 4 * error, f"rate {n / proposed}, {rate=}"
    result = scipy.stats.kstest(samples, cdf)
    assert result.pvalue > 1e-3, f"M = {factor} H: {result}"


def test_hand_set_m_with_hat_reports_violations():
    target = parse_target("normal(0, 1)")
    hat = build_hat(target)
    check = check_envelope(target, hat, 0.5 * hat.area)
    assert not check.ok, "half the hat's area is too small"
    assert check.m_required == pytest.approx(hat.area), "the hat's area is needed"
    # Half the hat lies below p wherever the hat is within a factor 2 of p, which
    # is true on the whole bulk.
    covers = [a <= -3 and 3 <= b for a, b in check.violations]
    assert any(covers), f"p > M q should hold on [-3, 3]: {check.violations}"
    assert check_envelope(target, hat, hat.area).ok, "the area itself is valid"


def test_hat_falls_back_where_it_cannot_be_verified():
    target = DensityTarget("2 + sin(200*x)", -5, 5)
    proposal = make_proposal("hat", target)
    assert isinstance(proposal, UniformProposal), proposal.name
    assert "local maxima" in proposal.note, proposal.note
    assert "uniform(-5, 5)" in proposal.note, proposal.note
    verified = make_proposal("hat", parse_target("normal(0, 1)"))
    assert verified.note == "", f"a verified hat has no note: {verified.note}"


def test_fallback_to_cauchy_on_infinite_support(monkeypatch):
    import models.sampling.hat as hat_module

    def fail(target, cells=1024):
        raise hat_module.HatError("forced")

    monkeypatch.setattr(hat_module, "build_hat", fail)
    proposal = make_proposal("hat", parse_target("normal(0, 1)"))
    assert isinstance(proposal, CauchyProposal), proposal.name
    assert "forced" in proposal.note, proposal.note


class HeavyTail(Target1D):
    """Density (1 + |x|)^-1.5 / 4, whose tails are heavier than a Cauchy's."""

    name = "heavy"
    low, high = -math.inf, math.inf
    mean = variance = None
    plot_range = (-50.0, 50.0)

    def logpdf(self, x):
        return -1.5 * np.log1p(np.abs(np.asarray(x, dtype=float))) - math.log(4)

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        tail = 0.5 / np.sqrt(1 + np.abs(x))
        return np.where(x < 0, tail, 1 - tail)


@pytest.mark.parametrize(
    "target, message",
    [
        (parse_target("beta(0.5, 0.5)"), "infinite at x = 0"),
        (parse_target("gamma(0.5, 1)"), "infinite at x = 0"),
        (HeavyTail(), "heavier than a Cauchy tail"),
    ],
)
def test_hat_refuses_unbounded(target, message):
    with pytest.raises(UnboundedRatioError, match=message):
        make_proposal("hat", target)


def test_run_with_hat_draws_envelope_above_target():
    target = parse_target("gamma(3, 1)")
    sampler = RejectionSampler(target, make_proposal("hat", target))
    run = RejectionRun(sampler, np.random.default_rng(8), 20_000, chunk_size=4000)
    list(run.steps())
    snapshot = run.snapshot()
    assert snapshot["envelope_ok"], snapshot["envelope_message"]
    assert np.all(snapshot["envelope"] >= snapshot["target_pdf"]), "M q below p"
    heights = snapshot["darts_y"]
    envelope = sampler.m * np.exp(sampler.proposal.logpdf(snapshot["darts_x"]))
    assert np.all(heights <= envelope), "a dart lies above the envelope"
    p = snapshot["theoretical_acceptance_rate"]
    error = math.sqrt(p * (1 - p) / 20_000)
    assert abs(snapshot["acceptance_rate"] - p) < 4 * error, "acceptance rate"
    assert p > 0.98, f"1/M = {p}"
