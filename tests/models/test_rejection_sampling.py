"""Tests of rejection sampling: envelopes, exact acceptance rates and refusals."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from models.runs import Run
from models.sampling.rejection import (
    CauchyProposal,
    LaplaceProposal,
    NormalProposal,
    RejectionRun,
    RejectionSampler,
    UnboundedRatioError,
    UniformProposal,
    add_hidden_peak_points,
    check_envelope,
    find_envelope,
    make_proposal,
)
from models.targets import DensityTarget, Normal, TargetError, parse_target

M_LAPLACE = math.sqrt(2 * math.e / math.pi)
M_CAUCHY = math.sqrt(2 * math.pi / math.e)


@pytest.mark.parametrize(
    "proposal, m, argmax",
    [(LaplaceProposal(0, 1), M_LAPLACE, 1.0), (CauchyProposal(0, 1), M_CAUCHY, 1.0)],
)
def test_envelope_for_normal_target(proposal, m, argmax):
    found = find_envelope(Normal(), proposal)
    assert found.ratio_max == pytest.approx(m, rel=1e-10), f"max p/q {found.ratio_max}"
    assert abs(found.argmax) == pytest.approx(argmax, abs=1e-5), f"at {found.argmax}"
    assert found.m == pytest.approx(1.01 * m, rel=1e-10), f"M {found.m}"


@pytest.mark.parametrize(
    "proposal, m, expected",
    [
        (LaplaceProposal(0, 1), M_LAPLACE, 0.760),
        (CauchyProposal(0, 1), M_CAUCHY, 0.658),
    ],
)
def test_exact_acceptance_rate(proposal, m, expected):
    sampler = RejectionSampler(Normal(), proposal, m=m)
    assert sampler.envelope.ok, sampler.envelope.message()
    n = 200_000
    _, _, accepted = sampler.propose(n, np.random.default_rng(5))
    rate = accepted.mean()
    error = math.sqrt(expected * (1 - expected) / n)
    assert abs(rate - 1 / m) < 4 * error, f"rate {rate:.4f}, 1/M = {1 / m:.4f}"
    assert 1 / m == pytest.approx(expected, abs=5e-4), f"1/M = {1 / m}"


def make_target(spec):
    if spec.startswith("density:"):
        return DensityTarget(spec.removeprefix("density:"), -3, 3)
    return parse_target(spec)


CASES = [
    ("normal(1, 2)", "laplace"),
    ("normal(0, 1)", "cauchy"),
    ("gamma(3, 1)", "cauchy"),
    ("beta(2, 5)", "uniform"),
    ("logistic(0, 1)", "laplace"),
    ("exponential(1)", "laplace"),
    ("mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))", "normal"),
    ("density:exp(-x^2/2) * (2 + sin(5*x))", "uniform"),
    ("density:abs(x)", "normal"),
    ("normal(1, 2)", "hat"),
    ("gamma(3, 1)", "hat"),
    ("density:exp(-x^2/2) * (2 + sin(5*x))", "hat"),
]


@pytest.mark.parametrize("spec, proposal_name", CASES)
def test_rejection_passes_ks_and_moments(spec, proposal_name):
    target = make_target(spec)
    scale = 2 * math.sqrt(target.variance) if proposal_name == "normal" else None
    proposal = make_proposal(proposal_name, target, scale=scale)
    sampler = RejectionSampler(target, proposal)
    n = 20_000
    samples, proposed = sampler.sample_counted(n, np.random.default_rng(2))
    assert len(samples) == n, f"{len(samples)} samples"
    result = scipy.stats.kstest(samples, target.cdf)
    assert result.pvalue > 1e-3, f"{spec} under {proposal.name}: {result}"
    error = math.sqrt(target.variance / n)
    assert abs(samples.mean() - target.mean) < 4 * error, f"{spec}: mean"

    # Acceptance is binomial with p = 1/M when the envelope is valid.
    p = 1 / sampler.m
    rate_error = math.sqrt(p * (1 - p) / proposed)
    assert abs(n / proposed - p) < 4 * rate_error, f"{spec}: rate {n / proposed}"


@pytest.mark.parametrize(
    "spec, proposal, message",
    [
        ("cauchy(0, 1)", NormalProposal(0, 1), "tail is heavier"),
        ("cauchy(0, 1)", NormalProposal(0, 100), "tail is heavier"),
        ("laplace(0, 2)", LaplaceProposal(0, 1), "tail is heavier"),
        ("gamma(3, 1)", LaplaceProposal(0, 1), "x -> inf"),
        ("exponential(1)", NormalProposal(1, 1), "x -> inf"),
        ("beta(0.5, 0.5)", UniformProposal(0, 1), "infinite at x = 0"),
        ("gamma(0.5, 1)", CauchyProposal(1, 1), "infinite at x = 0"),
        ("weibull(0.5)", LaplaceProposal(1, 1), "infinite at x = 0"),
        ("beta(2, 5)", UniformProposal(0, 0.5), "proposal density is zero"),
    ],
)
def test_unbounded_ratio_refused(spec, proposal, message):
    with pytest.raises(UnboundedRatioError, match=message):
        RejectionSampler(parse_target(spec), proposal)


def test_unbounded_refused_for_hand_set_m():
    with pytest.raises(UnboundedRatioError):
        RejectionSampler(parse_target("cauchy(0, 1)"), NormalProposal(0, 1), m=100)


def test_small_m_reports_where_and_fix():
    check = check_envelope(Normal(), LaplaceProposal(0, 1), 1.0)
    assert not check.ok, "M = 1 accepted as valid"
    assert check.m_required == pytest.approx(1.01 * M_LAPLACE), f"{check.m_required}"
    assert len(check.violations) == 2, f"violations {check.violations}"

    # p/q > 1 exactly where |x| - x^2/2 > log(sqrt(2 pi) / 2).
    c = math.log(math.sqrt(2 * math.pi) / 2)
    inner, outer = 1 - math.sqrt(1 - 2 * c), 1 + math.sqrt(1 - 2 * c)
    (a, b), (c_, d) = check.violations
    for found, exact in [(a, -outer), (b, -inner), (c_, inner), (d, outer)]:
        assert found == pytest.approx(exact, abs=2e-3), f"{found} vs {exact}"
    assert "use M = 1.3" in check.message(), check.message()


def test_small_m_still_samples_clipped_target():
    """With M = 1 the accepted points follow min(p, q) renormalised."""
    target, proposal = Normal(), LaplaceProposal(0, 1)
    sampler = RejectionSampler(target, proposal, m=1.0)
    assert not sampler.envelope.ok, "M = 1 should be flagged"
    n = 200_000
    x, _, accepted = sampler.propose(n, np.random.default_rng(3))
    clipped_mass, _ = scipy.integrate.quad(
        lambda v: min(target.pdf(np.array([v]))[0], proposal.pdf(np.array([v]))[0]),
        -np.inf,
        np.inf,
    )
    error = math.sqrt(clipped_mass * (1 - clipped_mass) / n)
    rate = accepted.mean()
    assert abs(rate - clipped_mass) < 4 * error, f"rate {rate}, {clipped_mass=}"


def test_proposal_samplers_match_their_densities():
    rng = np.random.default_rng(4)
    cases = [
        (LaplaceProposal(1, 2), scipy.stats.laplace(1, 2)),
        (CauchyProposal(-1, 0.5), scipy.stats.cauchy(-1, 0.5)),
        (NormalProposal(2, 3), scipy.stats.norm(2, 3)),
        (UniformProposal(-1, 2), scipy.stats.uniform(-1, 3)),
    ]
    for proposal, reference in cases:
        x = proposal.sample(20_000, rng)
        result = scipy.stats.kstest(x, reference.cdf)
        assert result.pvalue > 1e-3, f"{proposal.name}: {result}"
        grid = np.linspace(-0.9, 1.9, 7)
        np.testing.assert_allclose(proposal.logpdf(grid), reference.logpdf(grid))


def test_make_proposal_defaults():
    target = parse_target("gamma(3, 1)")
    proposal = make_proposal("cauchy", target)
    median = scipy.stats.gamma(3).median()
    assert proposal.loc == pytest.approx(median, rel=1e-8), f"loc {proposal.loc}"
    assert proposal.scale == pytest.approx(math.sqrt(3)), f"scale {proposal.scale}"
    cauchy = make_proposal("laplace", parse_target("cauchy(0, 2)"))
    assert cauchy.scale == pytest.approx(2.0), f"IQR-based scale {cauchy.scale}"


def test_make_proposal_errors():
    with pytest.raises(TargetError, match="finite interval"):
        make_proposal("uniform", Normal())
    with pytest.raises(TargetError, match="unknown proposal"):
        make_proposal("gumbel", Normal())
    with pytest.raises(TargetError, match="scale must be a positive"):
        make_proposal("normal", Normal(), scale=-1)


def test_run_snapshot_darts():
    target, proposal = Normal(), LaplaceProposal(0, 1)
    sampler = RejectionSampler(target, proposal)
    run = RejectionRun(
        sampler,
        np.random.default_rng(8),
        n_proposals=20_000,
        chunk_size=3000,
        max_darts=1000,
    )
    assert isinstance(run, Run), "run does not follow the Run protocol"
    records = list(run.steps())
    assert len(records) == run.total_steps == 7, f"{len(records)} steps"

    # Darts: capped, under the envelope, accepted exactly when under p.
    snapshot = run.snapshot()
    assert snapshot["proposed"] == 20_000, f"proposed {snapshot['proposed']}"
    x, y = snapshot["darts_x"], snapshot["darts_y"]
    assert len(x) == len(y) == len(snapshot["darts_accepted"]) == 1000, "dart cap"
    envelope = sampler.m * proposal.pdf(x)
    assert np.all(y <= envelope), "a dart lies above the envelope"
    under_target = y <= target.pdf(x)
    np.testing.assert_array_equal(snapshot["darts_accepted"], under_target)

    # Curves and rates.
    np.testing.assert_allclose(
        snapshot["envelope"], sampler.m * snapshot["proposal_pdf"]
    )
    assert np.all(snapshot["envelope"] >= snapshot["target_pdf"]), "envelope below p"
    p = snapshot["theoretical_acceptance_rate"]
    error = math.sqrt(p * (1 - p) / 20_000)
    assert abs(snapshot["acceptance_rate"] - p) < 4 * error, "acceptance rate"
    assert snapshot["envelope_ok"], snapshot["envelope_message"]
    assert snapshot["ks_statistic"] < 1.63 / math.sqrt(snapshot["accepted"]), "KS"
    assert len(run.samples()) == snapshot["accepted"], "samples kept"


def test_run_step_mode_one_dart_per_step():
    sampler = RejectionSampler(Normal(), CauchyProposal(0, 1))
    run = RejectionRun(sampler, np.random.default_rng(7), n_proposals=5)
    records = list(run.steps())
    assert [r["proposed"] for r in records] == [1, 2, 3, 4, 5], "one dart per step"
    snapshot = run.snapshot()
    assert snapshot["darts_x"][-1] == records[-1]["x"], "last dart"
    assert snapshot["darts_accepted"][-1] == records[-1]["dart_accepted"], "flag"


@pytest.mark.parametrize(
    "proposal",
    [
        UniformProposal(-1, 2),
        NormalProposal(1, 2),
        LaplaceProposal(-1, 0.5),
        CauchyProposal(2, 3),
    ],
    ids=lambda proposal: proposal.name,
)
def test_into_methods_match_plain_ones(proposal):
    x = np.array([-np.inf, -3, -1e-300, 0, 0.5, 1, 2, 7, np.inf, np.nan])
    written = np.empty_like(x)
    with np.errstate(all="ignore"):
        expected = proposal.logpdf(x)
        proposal.logpdf_into(x, written)
    assert np.array_equal(written, expected, equal_nan=True), (
        f"logpdf_into {written} differs from logpdf {expected}"
    )
    drawn = np.empty(1001)
    proposal.sample_into(drawn, np.random.default_rng(5))
    plain = proposal.sample(1001, np.random.default_rng(5))
    assert np.array_equal(drawn, plain), "sample_into should take the same numbers"
    with_density, log_density = np.empty((2, 1001))
    proposal.sample_logpdf_into(with_density, log_density, np.random.default_rng(5))
    assert np.array_equal(with_density, plain), "sample_logpdf_into: same numbers"
    np.testing.assert_allclose(
        log_density, proposal.logpdf(plain), rtol=1e-12, atol=1e-12
    )


def test_sample_counted_matches_thrown_darts():
    # The batched sampler must keep exactly the darts that `propose` accepts,
    # in order, when both see the same random numbers.
    target = parse_target("gamma(3, 1)")
    sampler = RejectionSampler(target, make_proposal("cauchy", target))
    sampler.batch_size = 4096
    n = 10_000
    samples, used = sampler.sample_counted(n, np.random.default_rng(9))

    rng = np.random.default_rng(9)
    kept, thrown = [], 0
    rate = 1 / sampler.m
    while sum(len(k) for k in kept) < n:
        have = sum(len(k) for k in kept)
        size = int(min(sampler.batch_size, (n - have) / rate * 1.05 + 64))
        x, _, accepted = sampler.propose(size, rng)
        kept.append(x[accepted])
        thrown += size
    reference = np.concatenate(kept)[:n]
    assert np.array_equal(samples, reference), "batched and plain darts differ"
    assert used <= thrown, f"{used} darts counted, only {thrown} thrown"


SPIKE = "mixture(0.9*normal(0, 1) + 0.1*normal(1.23456, 0.0001))"


def test_hidden_peak_gets_grid_points():
    # A grid with spacing 1e-3 has no point within 2e-4 of the narrow peak.
    target = parse_target(SPIKE)
    x = np.linspace(-5, 5, 10_001)
    assert np.min(np.abs(x - 1.23456)) > 5e-5, "the grid should miss the peak"
    refined, log_p = add_hidden_peak_points(target, x, target.logpdf(x))
    near = refined[np.abs(refined - 1.23456) < 1e-4]
    assert len(near) >= 10, f"points within one width of the peak: {near}"
    np.testing.assert_array_equal(log_p, target.logpdf(refined))
    assert np.all(np.diff(refined) > 0), "points stay sorted and distinct"

    # A smooth target needs no extra points.
    smooth = parse_target("normal(0, 1)")
    same, _ = add_hidden_peak_points(smooth, x, smooth.logpdf(x))
    assert np.array_equal(same, x), "a smooth density should keep its grid"


def test_envelope_covers_narrow_peak():
    """p/q peaks at the narrow component, between the probe grid's points."""
    target = parse_target(SPIKE)
    proposal = make_proposal("cauchy", target)
    found = find_envelope(target, proposal)
    peak = np.array([1.23456])
    exact = float(target.pdf(peak)[0] / proposal.pdf(peak)[0])
    assert found.ratio_max >= exact * (1 - 1e-9), f"{found.ratio_max} < {exact}"
    assert abs(found.argmax - 1.23456) < 1e-5, f"argmax {found.argmax}"

    # About 3000 darts per sample: a small sample keeps the test short.
    sampler = RejectionSampler(target, proposal)
    samples = sampler.sample(2000, np.random.default_rng(12))
    result = scipy.stats.kstest(samples, target.cdf)
    assert result.pvalue > 1e-3, f"samples miss the peak: {result}"


@pytest.mark.parametrize("proposal_name", ["uniform", "hat"])
def test_narrow_density_chi_square(proposal_name):
    target = DensityTarget("exp(-((x-0.3)/0.001)^2)", 0, 1)
    sampler = RejectionSampler(target, make_proposal(proposal_name, target))
    n = 40_000
    samples = sampler.sample(n, np.random.default_rng(13))
    edges = np.concatenate([[0], 0.3 + 0.001 * np.arange(-3, 3.5, 0.5), [1]])
    expected = n * np.diff(target.cdf(edges))
    observed, _ = np.histogram(samples, edges)
    keep = expected > 5
    assert keep.sum() >= 10, f"too few bins with counts: {expected.round()}"
    result = scipy.stats.chisquare(
        observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()
    )
    assert result.pvalue > 1e-3, f"counts {observed} against {expected.round()}"


def test_small_m_has_no_theoretical_rate():
    sampler = RejectionSampler(Normal(), LaplaceProposal(0, 1), m=0.001)
    assert not sampler.envelope.ok, "M = 0.001 should be flagged"
    assert math.isnan(sampler.theoretical_acceptance_rate), "1/M = 1000 is no rate"
    message = sampler.envelope.message()
    assert "M = 0.001 is too small" in message, message
    (low, high), *_ = sampler.envelope.violations
    assert low < -3, f"p > M q on the bulk: {sampler.envelope.violations}"
    assert high > 3, f"p > M q on the bulk: {sampler.envelope.violations}"

    run = RejectionRun(sampler, np.random.default_rng(14), 1000, chunk_size=500)
    list(run.steps())
    snapshot = run.snapshot()
    assert math.isnan(snapshot["theoretical_acceptance_rate"]), "no rate shown"
    assert not snapshot["envelope_ok"], "the snapshot flags the envelope"
    assert snapshot["acceptance_rate"] <= 1, "the observed rate is a rate"
    assert "too small" in snapshot["envelope_message"], snapshot["envelope_message"]


def test_valid_m_keeps_theoretical_rate():
    sampler = RejectionSampler(Normal(), LaplaceProposal(0, 1), m=2.0)
    assert sampler.envelope.ok, sampler.envelope.message()
    assert sampler.theoretical_acceptance_rate == 0.5, "1/M for a valid M"
