"""Tests of inverse transform sampling, closed-form and tabulated."""

import math

import numpy as np
import pytest
import scipy.stats

from models.runs import Run
from models.sampling.inverse import (
    InverseTransformRun,
    InverseTransformSampler,
    NumericalInversion,
    open_uniform,
)
from models.targets import CdfTarget, DensityTarget, parse_target

N = 20_000


def make_target(spec):
    if spec.startswith("density:"):
        return DensityTarget(spec.removeprefix("density:"), -3, 3)
    if spec.startswith("cdf:"):
        return CdfTarget(spec.removeprefix("cdf:"), 0, 40)
    return parse_target(spec)


TARGETS = [
    "normal(1, 2)",
    "exponential(2)",
    "cauchy(0, 1)",
    "weibull(1.5)",
    "gamma(3, 1)",
    "beta(2, 5)",
    "beta(0.5, 0.5)",
    "mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))",
    "density:exp(-x^2/2) * (2 + sin(5*x))",
    "cdf:1 - exp(-x/3)",
]


@pytest.mark.parametrize("spec", TARGETS)
def test_inverse_passes_ks_and_moments(spec):
    target = make_target(spec)
    samples = InverseTransformSampler(target).sample(N, np.random.default_rng(1))
    result = scipy.stats.kstest(samples, target.cdf)
    assert result.pvalue > 1e-3, f"{spec}: KS {result}"
    if target.variance is not None:
        error = math.sqrt(target.variance / N)
        assert abs(samples.mean() - target.mean) < 4 * error, f"{spec}: mean"
        assert np.all(samples >= target.low), f"{spec}: sample below support"
        assert np.all(samples <= target.high), f"{spec}: sample above support"


@pytest.mark.parametrize("spec", ["normal(0, 1)", "logistic(0, 1)", "weibull(0.7, 2)"])
def test_table_matches_closed_form(spec):
    target = parse_target(spec)
    table = NumericalInversion(target)
    u = np.linspace(0.01, 0.99, 5001)
    error = np.abs(target.cdf(table(u)) - u)
    assert error.max() < 1e-7, f"{spec}: max u error {error.max():.2e}"

    # In the tails, compare relative errors of F and of 1 - F.
    tail = np.logspace(-13, -1, 200)
    lower = np.abs(target.cdf(table(tail)) - tail) / tail
    assert lower.max() < 1e-4, f"{spec}: lower tail relative error {lower.max()}"
    upper_u = 1 - tail
    upper = np.abs(target.sf(table(upper_u)) - (1 - upper_u)) / (1 - upper_u)
    assert upper.max() < 1e-4, f"{spec}: upper tail relative error {upper.max()}"
    np.testing.assert_allclose(table(u), target.ppf(u), rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("spec", ["gamma(3, 1)", "beta(2, 5)", "cauchy(0, 1)"])
def test_table_u_error_small(spec):
    target = parse_target(spec)
    table = NumericalInversion(target)
    u = np.linspace(1e-6, 1 - 1e-6, 100_001)
    error = np.abs(target.cdf(table(u)) - u)
    assert error.max() < 1e-6, f"{spec}: max u error {error.max():.2e}"
    assert np.all(np.diff(table(u)) >= 0), f"{spec}: table not monotone"


def test_table_keeps_shape():
    table = NumericalInversion(parse_target("gamma(2, 1)"))
    assert table(0.5).shape == (), "scalar input"
    assert table(np.full((3, 2), 0.5)).shape == (3, 2), "2-D input"


class ZeroGenerator:
    """Stands in for a Generator whose random() returns exact zeros."""

    def random(self, size):
        return np.zeros(size)


def test_open_uniform_never_zero():
    u = open_uniform(ZeroGenerator(), 5)
    assert np.all(u > 0), f"u = {u}"
    x = InverseTransformSampler(parse_target("normal(0, 1)")).transform(u)
    assert np.all(np.isfinite(x)), f"ppf of the smallest u gave {x}"


def test_open_uniform_below_one():
    u = open_uniform(np.random.default_rng(0), 100_000)
    assert u.max() < 1, f"max u {u.max()}"


def test_sampler_uses_closed_form_when_possible():
    assert InverseTransformSampler(parse_target("cauchy(0, 1)")).method == "closed form"
    numeric = InverseTransformSampler(parse_target("gamma(3, 1)"))
    assert numeric.method == "numerical inversion", numeric.method


def test_sampler_is_reproducible():
    sampler = InverseTransformSampler(parse_target("gamma(3, 1)"))
    a = sampler.sample(100, np.random.default_rng(7))
    b = sampler.sample(100, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)


def test_run_step_mode_records_each_draw():
    target = parse_target("exponential(1)")
    run = InverseTransformRun(
        InverseTransformSampler(target), np.random.default_rng(2), n=30
    )
    assert isinstance(run, Run), "run does not follow the Run protocol"
    assert run.total_steps == 30, f"total_steps {run.total_steps}"
    records = list(run.steps())
    assert len(records) == 30, f"{len(records)} records"
    assert records[-1]["n"] == 30, f"last record {records[-1]}"
    snapshot = run.snapshot()
    assert len(snapshot["recent_u"]) == 30, "recent u values"
    np.testing.assert_allclose(
        snapshot["recent_x"], target.ppf(snapshot["recent_u"]), rtol=1e-12
    )
    assert snapshot["recent_x"][-1] == records[-1]["x"], "last draw mismatch"


def test_run_snapshot_bulk_mode():
    target = parse_target("mixture(0.5*normal(-1, 0.5) + 0.5*normal(1, 0.5))")
    n = 50_000
    run = InverseTransformRun(
        InverseTransformSampler(target),
        np.random.default_rng(3),
        n=n,
        chunk_size=8192,
        bins=40,
    )
    for _ in run.steps():
        pass
    assert run.step == run.total_steps == 7, f"steps {run.step}"
    snapshot = run.snapshot()
    assert snapshot["n"] == n, f"n {snapshot['n']}"
    assert snapshot["bin_edges"].shape == (41,), "bin edges"
    assert snapshot["histogram"].shape == snapshot["expected"].shape == (40,)
    width = snapshot["bin_edges"][1] - snapshot["bin_edges"][0]
    probability = snapshot["expected"] * width
    error = np.sqrt(probability * (1 - probability) / n) / width
    difference = np.abs(snapshot["histogram"] - snapshot["expected"])
    assert np.all(difference < 5 * error + 1e-12), "histogram off the expected"
    assert snapshot["ks_statistic"] < 1.63 / math.sqrt(n), "KS at the 1 % level"
    assert np.all(np.diff(snapshot["cdf"]) >= 0), "CDF curve not monotone"
    assert len(snapshot["recent_u"]) == 50, "recent values capped at 50"
    assert len(run.samples()) == n, "all samples kept"


def test_open_ended_run():
    run = InverseTransformRun(
        InverseTransformSampler(parse_target("normal(0, 1)")),
        np.random.default_rng(4),
        n=None,
        chunk_size=10,
    )
    assert run.total_steps is None, "open-ended run has no total"
    steps = run.steps()
    for _ in range(5):
        next(steps)
    assert run.snapshot()["n"] == 50, "five chunks of ten"
