"""Tests of autocorrelation, ESS, R-hat and the running KS distance and histogram."""

import math

import numpy as np
import pytest
import scipy.signal
import scipy.stats

from models.sampling.diagnostics import (
    RunningHistogram,
    RunningKS,
    autocorrelation,
    ess,
    ks_statistic,
    rank_normalise,
    split_chains,
    split_rhat,
)


def ar1(rho, chains, n, seed):
    """Stationary Gaussian AR(1) chains with unit variance."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((chains, n)) * math.sqrt(1 - rho**2)
    noise[:, 0] = rng.standard_normal(chains)
    # x_t = rho x_{t-1} + e_t, started from the stationary N(0, 1).
    return scipy.signal.lfilter([1.0], [1.0, -rho], noise, axis=1)


def test_autocorrelation_matches_direct_sum():
    x = np.random.default_rng(0).standard_normal(200)
    centred = x - x.mean()
    direct = [
        np.sum(centred[: 200 - k] * centred[k:]) / np.sum(centred**2) for k in range(6)
    ]
    np.testing.assert_allclose(autocorrelation(x, max_lag=5), direct, atol=1e-12)


def test_autocorrelation_of_ar1():
    x = ar1(0.7, 4, 50_000, seed=1)
    acf = autocorrelation(x, max_lag=3).mean(axis=0)
    np.testing.assert_allclose(acf, 0.7 ** np.arange(4), atol=0.02)


def test_split_chains_drops_middle_draw():
    draws = np.arange(7.0)[None, :]
    halves = split_chains(draws)
    np.testing.assert_array_equal(halves, [[0, 1, 2], [4, 5, 6]])


def test_rank_normalise_is_normal_scores():
    z = rank_normalise(np.array([[3.0, 1.0, 2.0, 2.0]]))
    assert z[0, 2] == z[0, 3], "ties must share a score"
    assert z[0, 1] < z[0, 2] < z[0, 0], f"order lost: {z}"
    assert z.sum() == pytest.approx(0.0, abs=1e-12), f"scores not symmetric: {z}"


def test_ess_of_iid_draws():
    draws = np.random.default_rng(2).standard_normal((4, 5000))
    value = ess(draws)
    # Standard error of the ESS of iid draws is about 2 % here (simulated).
    assert value == pytest.approx(20_000, rel=0.08), f"ESS {value}"


# The relative standard deviation of this ESS estimate, over 12 seeds, is 2.2 % for
# rho = 0.5 and 5.2 % for rho = 0.9; the tolerance is four of them.
@pytest.mark.parametrize("rho, tolerance", [(0.5, 0.09), (0.9, 0.21)])
def test_ess_of_ar1(rho, tolerance):
    draws = ar1(rho, 4, 25_000, seed=3)
    expected = draws.size * (1 - rho) / (1 + rho)
    value = ess(draws)
    assert value == pytest.approx(expected, rel=tolerance), f"ESS {value}, {expected=}"
    plain = ess(draws, rank_normalised=False)
    assert plain == pytest.approx(expected, rel=tolerance), f"plain ESS {plain}"


def test_ess_of_antithetic_chain_exceeds_n():
    draws = ar1(-0.3, 4, 20_000, seed=4)
    value = ess(draws)
    expected = draws.size * 1.3 / 0.7
    assert value > draws.size, f"ESS {value} not above n"
    assert value == pytest.approx(expected, rel=0.08), f"ESS {value}, {expected=}"


def test_ess_of_heavy_tails_is_finite():
    draws = np.random.default_rng(5).standard_cauchy((4, 5000))
    value = ess(draws)
    assert value == pytest.approx(20_000, rel=0.08), f"ESS {value}"


def test_rhat_of_iid_draws():
    draws = np.random.default_rng(6).standard_normal((4, 2000))
    value = split_rhat(draws)
    assert 0.99 < value < 1.01, f"R-hat {value}"


def test_rhat_detects_shifted_chain():
    draws = np.random.default_rng(7).standard_normal((4, 1000))
    draws[0] += 1.0
    value = split_rhat(draws)
    assert value > 1.05, f"R-hat {value} misses a chain shifted by 1 sd"


def test_rhat_detects_trend():
    draws = np.random.default_rng(8).standard_normal((1, 2000))
    draws[0] += np.linspace(0, 2, 2000)
    value = split_rhat(draws)
    assert value > 1.05, f"split R-hat {value} misses a trend"


def test_folded_rhat_detects_scale():
    draws = np.random.default_rng(9).standard_normal((4, 1000))
    draws[0] *= 3
    classic = split_rhat(draws, rank_normalised=False)
    folded = split_rhat(draws)
    assert classic < 1.01, f"classic R-hat {classic} should miss a scale change"
    assert folded > 1.05, f"rank-normalised R-hat {folded} misses a scale change"


def test_diagnostics_nan_for_short_or_constant():
    assert math.isnan(ess(np.ones((2, 10)))), "constant chains"
    assert math.isnan(split_rhat(np.ones((2, 10)))), "constant chains"
    assert math.isnan(ess(np.zeros((2, 3)))), "three draws"
    assert math.isnan(split_rhat(np.array([[0.0, 1.0, np.nan, 2.0]]))), "NaN draws"


def test_ks_statistic_matches_scipy():
    x = np.random.default_rng(10).standard_normal(500)
    expected = scipy.stats.kstest(x, "norm").statistic
    value = ks_statistic(scipy.stats.norm.cdf(x))
    assert value == pytest.approx(expected, abs=1e-12), f"KS {value}"


def test_running_ks_matches_batch():
    rng = np.random.default_rng(11)
    running = RunningKS(scipy.stats.norm.cdf)
    chunks = [rng.standard_normal(k) for k in (1, 7, 300, 2)]
    for i, chunk in enumerate(chunks):
        running.add(chunk)
        if i == 1:
            running.statistic()
    everything = np.concatenate(chunks)
    expected = scipy.stats.kstest(everything, "norm").statistic
    assert running.statistic() == pytest.approx(expected, abs=1e-12), "KS"
    assert running.n == len(everything), f"n {running.n}"


def test_running_histogram_matches_numpy():
    rng = np.random.default_rng(12)
    x = rng.normal(size=1000) * 2
    histogram = RunningHistogram(-3, 3, 12)
    histogram.add(x[:400])
    histogram.add(x[400:])
    counts, _ = np.histogram(x[(x >= -3) & (x < 3)], bins=histogram.edges)
    np.testing.assert_array_equal(histogram.counts, counts)
    assert histogram.n == 1000, f"n {histogram.n}"
    width = histogram.edges[1] - histogram.edges[0]
    np.testing.assert_allclose(histogram.density(), counts / (1000 * width))
