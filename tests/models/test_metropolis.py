"""Tests of vectorised Metropolis-Hastings: correctness, acceptance rates, runs."""

import math

import numpy as np
import pytest
import scipy.stats

from models.expressions import EvaluationError
from models.runs import Run
from models.sampling.metropolis import (
    MetropolisHastings,
    MetropolisRun,
    metropolis_hastings,
)
from models.targets import (
    Banana,
    Density2DTarget,
    DensityTarget,
    Mixture2D,
    Normal,
    TargetError,
    parse_target,
)


def final_states(target, chains, iterations, seed, **options):
    """Last state of many independent chains: iid draws once the chains converged."""
    sampler = MetropolisHastings(target, chains=chains, **options)
    sampler.advance(iterations, np.random.default_rng(seed))
    return sampler.state


CASES = [
    ("normal(1, 2)", "normal", 4.0),
    ("gamma(3, 1)", "lognormal", 0.8),
    ("exponential(1)", "lognormal", 1.0),
    ("beta(2, 5)", "normal", 0.4),
    ("logistic(0, 1)", "independent", 3.0),
    ("cauchy(0, 1)", "normal", 5.0),
    ("mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))", "normal", 2.5),
    ("density:exp(-x^2/2) * (2 + sin(5*x))", "normal", 2.5),
]


def make_target(spec):
    if spec.startswith("density:"):
        return DensityTarget(spec.removeprefix("density:"), -math.inf, math.inf)
    return parse_target(spec)


@pytest.mark.parametrize("spec, proposal, step", CASES)
def test_final_states_pass_ks(spec, proposal, step):
    target = make_target(spec)
    x = final_states(target, 3000, 600, seed=1, proposal=proposal, step_size=step)
    result = scipy.stats.kstest(x[:, 0], target.cdf)
    assert result.pvalue > 1e-3, f"{spec} with {proposal}: {result}"


@pytest.mark.parametrize("spec, proposal, step", CASES)
def test_long_chains_ks_distance_and_mean(spec, proposal, step):
    target = make_target(spec)
    result = metropolis_hastings(
        target,
        200_000,
        np.random.default_rng(2),
        proposal=proposal,
        step_size=step,
        chains=20,
        burn_in=500,
    )
    distance = scipy.stats.kstest(result.samples, target.cdf).statistic
    assert distance < 0.05, f"{spec}: KS distance {distance}"
    assert np.all(result.rhat < 1.01), f"{spec}: R-hat {result.rhat}"
    if target.variance is not None:
        error = math.sqrt(target.variance / result.ess[0])
        mean = result.samples.mean()
        assert abs(mean - target.mean) < 4 * error, f"{spec}: mean {mean}"


def test_random_walk_acceptance_rate():
    """On N(0, 1), a Gaussian walk with step s accepts (2/pi) atan(2/s) at
    stationarity, 0.442 for s = 2.4 (Gelman, Roberts and Gilks, 1996)."""
    chains = 4000
    rng = np.random.default_rng(3)
    start = rng.standard_normal((chains, 1))
    sampler = MetropolisHastings(Normal(), step_size=2.4, chains=chains, start=start)
    sampler.advance(100, rng)
    expected = 2 / math.pi * math.atan(2 / 2.4)
    assert expected == pytest.approx(0.442, abs=5e-4), f"formula gives {expected}"

    # Chains are independent, so their spread gives the standard error.
    rates = sampler.accepted / sampler.iteration
    error = rates.std(ddof=1) / math.sqrt(chains)
    rate = rates.mean()
    assert abs(rate - expected) < 4 * error, f"rate {rate:.4f}, SE {error:.4f}"


def gamma_mean_statistic(hastings_correction):
    """z-score of the pooled mean of gamma(3, 1) draws from the lognormal walk."""
    target = parse_target("gamma(3, 1)")
    result = metropolis_hastings(
        target,
        100_000,
        np.random.default_rng(4),
        proposal="lognormal",
        step_size=0.8,
        chains=20,
        burn_in=500,
        hastings_correction=hastings_correction,
    )
    error = math.sqrt(target.variance / result.ess[0])
    return (result.samples.mean() - target.mean) / error, result


def test_lognormal_walk_needs_hastings_correction():
    z, result = gamma_mean_statistic(True)
    assert abs(z) < 4, f"mean is {z:.1f} standard errors off with the correction"
    distance = scipy.stats.kstest(result.samples, scipy.stats.gamma(3).cdf).statistic
    assert distance < 0.02, f"KS distance {distance} with the correction"


def test_dropped_correction_is_caught():
    """Without x'/x the walk samples p(x)/x, gamma(2, 1); the statistic sees it."""
    z, result = gamma_mean_statistic(False)
    assert abs(z) > 10, f"mean only {z:.1f} standard errors off without correction"
    assert result.samples.mean() == pytest.approx(2.0, abs=0.1), "gamma(2, 1) mean"


def test_exponential_mean_with_lognormal_walk():
    target = parse_target("exponential(1)")
    result = metropolis_hastings(
        target,
        100_000,
        np.random.default_rng(5),
        proposal="lognormal",
        step_size=1.0,
        chains=20,
        burn_in=500,
    )
    error = math.sqrt(target.variance / result.ess[0])
    assert abs(result.samples.mean() - 1) < 4 * error, "exponential mean"


def test_banana_marginal():
    target = Banana(0.5)
    x = final_states(target, 3000, 1500, seed=6, step_size=1.5)
    result = scipy.stats.kstest(x[:, 0], scipy.stats.norm(0, 2).cdf)
    assert result.pvalue > 1e-3, f"banana x marginal: {result}"
    exact = target.sample_exact(3000, np.random.default_rng(7))
    two_sample = scipy.stats.ks_2samp(x[:, 1], exact[:, 1])
    assert two_sample.pvalue > 1e-3, f"banana y marginal: {two_sample}"


def test_mixture_2d_marginals():
    target = Mixture2D()
    x = final_states(target, 3000, 800, seed=8, step_size=1.5)
    for axis in (0, 1):
        result = scipy.stats.kstest(x[:, axis], target.marginal(axis).cdf)
        assert result.pvalue > 1e-3, f"mixture2d axis {axis}: {result}"


def test_typed_2d_density_with_bounds():
    target = Density2DTarget("exp(-x^2/2 - y^2/2)", (0, math.inf))
    x = final_states(target, 3000, 600, seed=9, step_size=1.5, start=[1.0, 0.0])
    assert np.all(x[:, 0] >= 0), "a chain left the support"
    half = scipy.stats.kstest(x[:, 0], scipy.stats.halfnorm.cdf)
    assert half.pvalue > 1e-3, f"x marginal: {half}"
    full = scipy.stats.kstest(x[:, 1], scipy.stats.norm.cdf)
    assert full.pvalue > 1e-3, f"y marginal: {full}"


def test_independent_proposal_in_2d():
    target = Density2DTarget("exp(-(x-1)^2/2 - (y+1)^2/8)")
    x = final_states(
        target,
        3000,
        300,
        seed=10,
        proposal="independent",
        step_size=3.0,
        proposal_loc=[0.0, 0.0],
    )
    result = scipy.stats.kstest(x[:, 1], scipy.stats.norm(-1, 2).cdf)
    assert result.pvalue > 1e-3, f"y marginal: {result}"


def test_lognormal_2d_correction_is_product():
    """A 2-D gamma(3)xgamma(3) density needs the correction in both coordinates."""
    target = Density2DTarget("x^2*y^2*exp(-x-y)", (0, math.inf), (0, math.inf))
    x = final_states(
        target,
        3000,
        600,
        seed=11,
        proposal="lognormal",
        step_size=0.8,
        start=[3.0, 3.0],
    )
    for axis in (0, 1):
        result = scipy.stats.kstest(x[:, axis], scipy.stats.gamma(3).cdf)
        assert result.pvalue > 1e-3, f"axis {axis}: {result}"


def test_states_never_nan_and_stay_in_support():
    target = parse_target("beta(2, 5)")
    sampler = MetropolisHastings(target, step_size=5.0, chains=500)
    sampler.advance(200, np.random.default_rng(12))
    assert np.all(np.isfinite(sampler.state)), "NaN or infinite state"
    assert np.all((sampler.state > 0) & (sampler.state < 1)), "state outside [0, 1]"
    assert np.all(np.isfinite(sampler.log_density)), "non-finite log density"


def test_huge_lognormal_steps_stay_finite():
    target = parse_target("gamma(3, 1)")
    sampler = MetropolisHastings(target, proposal="lognormal", step_size=50.0)
    sampler.advance(500, np.random.default_rng(13))
    assert np.all(np.isfinite(sampler.state)), f"state {sampler.state}"
    assert np.all(sampler.state > 0), f"state {sampler.state}"


def test_typed_density_nan_during_run_names_point():
    # The probe grid stops at |x| = 10, so the NaN branch is only met while sampling.
    target = Density2DTarget("where(x < 20, exp(-x^2/2 - y^2/2), log(-x))")
    sampler = MetropolisHastings(target, step_size=30.0, chains=50)
    with pytest.raises(EvaluationError, match=r"NaN \(undefined\) at \(x, y\)"):
        sampler.advance(200, np.random.default_rng(14))


@pytest.mark.parametrize(
    "options, message",
    [
        ({"start": [-1.0]}, "zero density"),
        ({"proposal": "lognormal"}, "positive values"),
        ({"proposal": "hmc"}, "unknown Metropolis-Hastings proposal"),
        ({"step_size": 0.0}, "step size must be positive"),
        ({"chains": 0}, "at least 1"),
        ({"start": [0.0, 1.0, 2.0]}, "coordinates"),
    ],
)
def test_invalid_settings_rejected(options, message):
    target = parse_target("normal(0, 1)") if "proposal" in options else None
    target = target or parse_target("exponential(1)")
    with pytest.raises(TargetError, match=message):
        MetropolisHastings(target, **options)


def test_bulk_counts_and_thinning():
    result = metropolis_hastings(
        Normal(), 1001, np.random.default_rng(15), chains=4, burn_in=10, thin=3
    )
    assert result.samples.shape == (1001,), f"shape {result.samples.shape}"
    assert result.draws.shape == (4, 251, 1), f"draws {result.draws.shape}"
    np.testing.assert_array_equal(result.samples[:251], result.draws[0, :, 0])


def test_bulk_is_reproducible():
    first = metropolis_hastings(Banana(), 500, np.random.default_rng(16))
    second = metropolis_hastings(Banana(), 500, np.random.default_rng(16))
    np.testing.assert_array_equal(first.samples, second.samples)
    assert first.samples.shape == (500, 2), f"shape {first.samples.shape}"


def test_run_snapshot_1d():
    sampler = MetropolisHastings(Normal(), step_size=2.4, chains=8)
    run = MetropolisRun(
        sampler,
        np.random.default_rng(17),
        iterations=1000,
        burn_in=100,
        thin=2,
        chunk_size=50,
        display_chains=3,
        path_length=40,
        recent_proposals=30,
    )
    assert isinstance(run, Run), "run does not follow the Run protocol"
    records = list(run.steps())
    assert len(records) == run.total_steps == 20, f"{len(records)} steps"

    # Shapes: 100 burn-in iterations, then every second of 900 is kept.
    snapshot = run.snapshot()
    assert snapshot["kept"] == 450, f"kept {snapshot['kept']}"
    assert snapshot["path"].shape == (3, 40, 1), f"path {snapshot['path'].shape}"
    assert snapshot["proposals"].shape == (3, 30, 1), "proposals"
    assert snapshot["proposal_accepted"].shape == (3, 30), "proposal flags"
    assert snapshot["trace"].shape == (3, 450, 1), f"trace {snapshot['trace'].shape}"
    assert snapshot["acceptance_trace"].shape == (20,), "acceptance trace"
    assert snapshot["autocorrelation"].shape == (1, 101), "autocorrelation"
    assert snapshot["autocorrelation"][0, 0] == pytest.approx(1.0), "lag 0"

    # Values: rates, diagnostics and the target histogram.
    assert 0.35 < snapshot["acceptance_rate"] < 0.55, "acceptance rate"
    assert snapshot["ess"][0] > 500, f"ESS {snapshot['ess']}"
    assert snapshot["rhat"][0] < 1.05, f"R-hat {snapshot['rhat']}"
    np.testing.assert_array_equal(snapshot["path"][:, -1], sampler.state[:3])
    assert snapshot["histogram"].shape == snapshot["expected"].shape, "histogram"
    assert snapshot["ks_statistic"] < 0.1, f"KS {snapshot['ks_statistic']}"
    assert snapshot["recent_samples"].shape[1] == 1, "recent samples"


def test_run_step_mode_records_proposals():
    sampler = MetropolisHastings(Normal(), chains=2)
    run = MetropolisRun(sampler, np.random.default_rng(18), iterations=5, burn_in=0)
    states = [record["state"].copy() for record in run.steps()]
    snapshot = run.snapshot()
    accepted = snapshot["proposal_accepted"][0]
    proposals = snapshot["proposals"][0, :, 0]
    for i in range(5):
        if accepted[i]:
            assert states[i][0] == proposals[i], f"step {i}: accepted not taken"
        elif i > 0:
            assert states[i][0] == states[i - 1][0], f"step {i}: rejection moved"


def test_run_diagnostics_nan_when_short():
    sampler = MetropolisHastings(Normal(), chains=2)
    run = MetropolisRun(sampler, np.random.default_rng(18), iterations=3, burn_in=0)
    for _ in run.steps():
        pass
    snapshot = run.snapshot()
    assert math.isnan(snapshot["ess"][0]), "ESS with 3 draws per chain"
    assert math.isnan(snapshot["rhat"][0]), "R-hat with 3 draws per chain"


def test_run_snapshot_2d():
    sampler = MetropolisHastings(Banana(), chains=4, step_size=1.0)
    run = MetropolisRun(
        sampler, np.random.default_rng(19), iterations=300, burn_in=50, chunk_size=100
    )
    for _ in run.steps():
        pass
    snapshot = run.snapshot()
    grid = snapshot["grid_log_density"]
    assert grid.shape == (len(snapshot["grid_y"]), len(snapshot["grid_x"])), "grid"
    assert snapshot["histogram2d"].sum() == 4 * 250, "2-D histogram counts"
    assert snapshot["ess"].shape == snapshot["rhat"].shape == (2,), "per coordinate"
    assert "histogram" not in snapshot, "1-D histogram in a 2-D snapshot"


def test_run_rejects_huge_storage():
    sampler = MetropolisHastings(Normal(), chains=1000)
    with pytest.raises(TargetError, match="draw values"):
        MetropolisRun(sampler, np.random.default_rng(20), iterations=10**6)


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_run_reports_stuck_chains(chunk_size):
    # A step of 10^6 on N(0, 1) lands within 3 of the mode with probability about
    # 2.4e-6, so 4 chains of 1,000 iterations accept nothing.
    sampler = MetropolisHastings(Normal(0, 1), step_size=1e6, chains=4)
    run = MetropolisRun(
        sampler, np.random.default_rng(0), 1000, burn_in=0, chunk_size=chunk_size
    )
    list(run.steps())
    snapshot = run.snapshot()
    assert snapshot["acceptance_rate"] == 0.0, "no proposal accepted"
    assert snapshot["stuck_chains"] == 4, f"stuck: {snapshot['stuck_chains']}"
    assert snapshot["stuck_window"] >= 200, f"window {snapshot['stuck_window']}"
    rates = snapshot["chain_acceptance_rates"]
    np.testing.assert_array_equal(rates, np.zeros(4))


def test_run_reports_no_stuck_chains():
    sampler = MetropolisHastings(Normal(0, 1), step_size=2.4, chains=8)
    run = MetropolisRun(sampler, np.random.default_rng(0), 1000, chunk_size=1)
    list(run.steps())
    snapshot = run.snapshot()
    assert snapshot["stuck_chains"] == 0, f"stuck: {snapshot['stuck_chains']}"
    rates = snapshot["chain_acceptance_rates"]
    assert rates.shape == (8,), f"one rate per chain: {rates.shape}"
    assert np.all((rates > 0.3) & (rates < 0.6)), f"rates near 0.44: {rates}"


def test_run_short_window_not_stuck():
    sampler = MetropolisHastings(Normal(0, 1), step_size=1e6, chains=4)
    run = MetropolisRun(sampler, np.random.default_rng(0), 150, burn_in=0)
    list(run.steps())
    snapshot = run.snapshot()
    assert snapshot["stuck_window"] == 150, "the window is the whole run"
    assert snapshot["stuck_chains"] == 0, "150 iterations are too few to judge"


def test_run_chain_stuck_later():
    # The window moves: a chain that mixed early and then stopped is reported.
    sampler = MetropolisHastings(Normal(0, 1), step_size=2.4, chains=4)
    run = MetropolisRun(sampler, np.random.default_rng(0), 2000, chunk_size=10)
    steps = run.steps()
    for _ in range(100):
        next(steps)
    assert run.snapshot()["stuck_chains"] == 0, "mixing at first"
    sampler.step_size = 1e6
    list(steps)
    snapshot = run.snapshot()
    assert snapshot["stuck_chains"] == 4, f"stuck: {snapshot['stuck_chains']}"
    assert snapshot["acceptance_rate"] > 0.1, "the run-long rate hides it"
