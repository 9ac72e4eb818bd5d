"""Typed densities with narrow peaks: normalisers, CDFs and draws against closed forms.

A peak exp(-((x - m) / w)^2) is a normal density with standard deviation w / sqrt(2)
times sqrt(pi) w, so every check here compares with an exact value, never with the
target's own tabulation.
"""

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats

from models.sampling.inverse import InverseTransformSampler
from models.sampling.rejection import RejectionSampler, make_proposal
from models.targets import DensityTarget, TargetError

# DensityTarget aims at an estimated CDF error of 1e-10. The normaliser's relative
# error is at most the summed errors of the cells' integrals, which the estimate
# bounds by half of that; 1e-9 leaves a factor 10 for the estimate's own error.
# The CDF gets the same margin over its goal.
RELATIVE_TOLERANCE = 1e-9
CDF_TOLERANCE = 1e-9


def peak(loc: float, width: float) -> str:
    return f"exp(-((x-({loc!r}))/{width!r})^2)"


def normal_cdf(x, loc: float, width: float) -> np.ndarray:
    return scipy.special.ndtr((np.asarray(x) - loc) / (width / math.sqrt(2)))


@pytest.mark.parametrize(
    "loc, width",
    [
        (0.31234, 0.0002),
        (0.3, 0.0002),
        (0.31234, 1e-5),
        (-2.7182818, 1e-4),
        (4.2345, 1e-3),
        (1 / 3, 0.01),
    ],
)
def test_narrow_peak_normaliser_is_exact(loc, width):
    target = DensityTarget(peak(loc, width), -5, 5)
    exact = math.sqrt(math.pi) * width
    assert target._normaliser == pytest.approx(exact, rel=RELATIVE_TOLERANCE), (
        f"normaliser of a peak of width {width} at {loc}"
    )
    density = target.pdf(np.array([loc]))[0]
    assert density == pytest.approx(1 / exact, rel=RELATIVE_TOLERANCE), "peak height"


@pytest.mark.parametrize(
    "loc, width",
    [(0.31234, 1e-4), (-2.7182818, 3e-4), (1.4142136, 1e-3), (4.2345, 1e-2)],
)
def test_narrow_peak_cdf_and_draws_match_normal(loc, width):
    target = DensityTarget(peak(loc, width), -5, 5)
    m, sd = loc, width / math.sqrt(2)

    x = m + sd * np.linspace(-6, 6, 241)
    error = np.abs(target.cdf(x) - normal_cdf(x, m, width))
    assert error.max() < CDF_TOLERANCE, f"CDF error {error.max():.2e} at {loc}"
    assert target.cdf(np.array([-5.0]))[0] == 0, "CDF at the lower end"
    assert target.cdf(np.array([5.0]))[0] == pytest.approx(1, abs=1e-14), (
        "CDF at the upper end"
    )

    # Draws by inverse transform against the exact CDF: P(KS p-value < 1e-3) is
    # 1e-3 for a correct sampler, while a wrong normaliser moves the whole CDF.
    samples = InverseTransformSampler(target).sample(20_000, np.random.default_rng(21))
    result = scipy.stats.kstest(samples, lambda v: normal_cdf(v, m, width))
    assert result.pvalue > 1e-3, f"peak of width {width} at {loc}: {result}"


TWO_PEAKS = (
    "0.3*exp(-((x+3.1234)/0.001)^2)/0.001 + 0.7*exp(-((x-2.71017)/0.0001)^2)/0.0001"
)


def two_peaks_cdf(x) -> np.ndarray:
    return 0.3 * normal_cdf(x, -3.1234, 0.001) + 0.7 * normal_cdf(x, 2.71017, 0.0001)


def test_two_peaks_cdf_has_their_weights():
    target = DensityTarget(TWO_PEAKS, -5, 5)
    exact = math.sqrt(math.pi)
    assert target._normaliser == pytest.approx(exact, rel=RELATIVE_TOLERANCE), (
        "normaliser of two peaks"
    )
    x = np.concatenate(
        [
            -3.1234 + 0.001 * np.linspace(-4, 4, 81),
            [0.0],
            2.71017 + 0.0001 * np.linspace(-4, 4, 81),
        ]
    )
    error = np.abs(target.cdf(x) - two_peaks_cdf(x))
    assert error.max() < CDF_TOLERANCE, f"CDF error {error.max():.2e}"


@pytest.mark.parametrize("sampler_name", ["inverse", "rejection"])
def test_two_peaks_draws_have_their_weights(sampler_name):
    target = DensityTarget(TWO_PEAKS, -5, 5)
    rng = np.random.default_rng(22)
    n = 20_000
    if sampler_name == "inverse":
        samples = InverseTransformSampler(target).sample(n, rng)
    else:
        proposal = make_proposal("hat", target)
        samples = RejectionSampler(target, proposal).sample(n, rng)

    # The count left of 0 is binomial(n, 0.3), with a standard deviation of 65;
    # five of them are exceeded with probability 6e-7.
    left = int(np.sum(samples < 0))
    bound = 5 * math.sqrt(n * 0.3 * 0.7)
    assert abs(left - 0.3 * n) < bound, f"{left} of {n} draws in the left peak"
    result = scipy.stats.kstest(samples, two_peaks_cdf)
    assert result.pvalue > 1e-3, f"{sampler_name}: {result}"


def test_unresolvable_singularity_names_the_point():
    with pytest.raises(TargetError) as info:
        DensityTarget("abs(x-0.31234)^-0.9", -1, 1)
    message = str(info.value)
    assert "did not converge" in message, message
    assert "near x = 0.31234" in message, message
    assert "Exclude a singularity from the domain" in message, message


def test_slow_tail_asks_for_a_finite_domain():
    with pytest.raises(TargetError) as info:
        DensityTarget("1/(1+abs(x))", -math.inf, math.inf)
    message = str(info.value)
    assert "did not converge" in message, message
    assert "far out towards x = " in message, message
    assert "use a finite domain" in message, message


def test_peak_between_all_points_is_reported():
    # The scan spacing is 10 / 2^15 = 3.05e-4, and this peak is zero in floating
    # point at every scan point, so it cannot be found.
    with pytest.raises(TargetError) as info:
        DensityTarget(peak(0.31234, 1e-7), -5, 5)
    message = str(info.value)
    assert "zero everywhere on [-5, 5]" in message, message
    assert "narrower than 0.000305" in message, message
