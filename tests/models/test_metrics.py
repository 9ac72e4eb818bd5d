"""Tests for the generator quality metrics in models.metrics."""

import json
import logging
import math

import numpy as np
import pytest
from scipy import stats

from models.metrics import (
    DIGIT_CLASSES,
    GRID25_SIGMA,
    METRIC_DATASETS,
    RING8_SIGMA,
    DigitClassifier,
    compute_metrics,
    digit_metrics,
    grid25_centers,
    kernel_inception_distance,
    kl_to_uniform,
    ks_statistic,
    load_digit_classifier,
    median_bandwidth,
    mmd2_unbiased,
    mode_coverage,
    reference_real_metrics,
    ring8_centers,
    squared_distances,
    wasserstein1,
)
from models.metrics.digits import CACHE_FILENAME


def _mixture(centers, sigma, counts, rng):
    """Draw counts[k] points around centers[k] with standard deviation sigma."""
    index = np.repeat(np.arange(len(centers)), counts)
    return centers[index] + sigma * rng.standard_normal((index.size, 2))


@pytest.fixture(scope="module")
def classifier() -> DigitClassifier:
    return load_digit_classifier()


# Mixture centers and KL to uniform.


def test_ring8_centers_on_unit_circle():
    centers = ring8_centers()
    assert centers.shape == (8, 2), f"shape {centers.shape}"
    radii = np.hypot(centers[:, 0], centers[:, 1])
    assert np.allclose(radii, 1.0), f"radii {radii}"
    assert np.allclose(centers[2], [0.0, 1.0]), f"center 2 at angle π/2 is {centers[2]}"


def test_grid25_centers_cover_grid():
    centers = grid25_centers()
    assert centers.shape == (25, 2), f"shape {centers.shape}"
    expected = {(float(a), float(b)) for a in range(-4, 5, 2) for b in range(-4, 5, 2)}
    assert {tuple(row) for row in centers.tolist()} == expected, f"centers {centers}"


def test_sigma_constants():
    assert RING8_SIGMA == 0.01, f"RING8_SIGMA is {RING8_SIGMA}"
    assert GRID25_SIGMA == 0.05, f"GRID25_SIGMA is {GRID25_SIGMA}"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([5, 5, 5, 5], 0.0),
        ([7, 0, 0, 0], math.log(4)),
        ([1, 0], math.log(2)),
        ([3, 1], math.log(2) + 0.75 * math.log(0.75) + 0.25 * math.log(0.25)),
    ],
)
def test_kl_to_uniform_values(counts, expected):
    value = kl_to_uniform(counts)
    assert isinstance(value, float), f"type {type(value)}"
    assert value == pytest.approx(expected, abs=1e-12), f"KL of {counts} is {value}"


def test_kl_to_uniform_empty_histogram_is_nan():
    assert math.isnan(kl_to_uniform([0, 0, 0])), "all-zero counts must give NaN"


def test_kl_to_uniform_rejects_negative_counts():
    with pytest.raises(ValueError, match="non-negative"):
        kl_to_uniform([1, -1])


# Mode coverage.


def test_ring8_single_mode():
    rng = np.random.default_rng(0)
    counts = np.zeros(8, dtype=int)
    counts[3] = 1000
    samples = _mixture(ring8_centers(), RING8_SIGMA, counts, rng)
    result = mode_coverage(samples, ring8_centers(), RING8_SIGMA)
    assert result["modes_captured"] == 1, f"result {result}"
    assert result["num_modes"] == 8, f"result {result}"
    assert result["reverse_kl"] == pytest.approx(math.log(8), abs=1e-12), (
        f"reverse_kl {result['reverse_kl']}, expected log 8"
    )
    assert result["mode_counts"][3] == sum(result["mode_counts"]), (
        f"counts {result['mode_counts']} must all be on mode 3"
    )


def test_ring8_even_spread_tight_noise():
    # Noise of 0.3 sigma puts a point beyond 3 sigma with probability exp(-50).
    rng = np.random.default_rng(1)
    samples = _mixture(ring8_centers(), 0.3 * RING8_SIGMA, [250] * 8, rng)
    result = mode_coverage(samples, ring8_centers(), RING8_SIGMA)
    assert result["modes_captured"] == 8, f"result {result}"
    assert result["high_quality_fraction"] == 1.0, f"result {result}"
    assert result["mode_counts"] == [250] * 8, f"counts {result['mode_counts']}"
    assert result["reverse_kl"] == pytest.approx(0.0, abs=1e-12), f"result {result}"


def test_ring8_mixture_samples_match_theory():
    # For a 2-D Gaussian, P(r <= 3 sigma) = 1 - exp(-4.5). For a multinomial
    # histogram of n points over K equal bins, 2n KL(q || u) is about chi²(K - 1).
    rng = np.random.default_rng(2)
    n = 8000
    modes = rng.integers(8, size=n)
    samples = ring8_centers()[modes] + RING8_SIGMA * rng.standard_normal((n, 2))
    result = mode_coverage(samples, ring8_centers(), RING8_SIGMA)

    expected_fraction = 1.0 - math.exp(-4.5)
    standard_error = math.sqrt(expected_fraction * (1 - expected_fraction) / n)
    assert result["modes_captured"] == 8, f"result {result}"
    assert abs(result["high_quality_fraction"] - expected_fraction) < 5 * (
        standard_error
    ), f"fraction {result['high_quality_fraction']}, expected {expected_fraction}"
    kl_bound = stats.chi2.ppf(1 - 1e-6, df=7) / (2 * n)
    assert 0.0 <= result["reverse_kl"] < kl_bound, (
        f"reverse_kl {result['reverse_kl']} above {kl_bound}"
    )


def test_ring8_far_points_not_high_quality():
    angles = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    samples = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    result = mode_coverage(samples, ring8_centers(), RING8_SIGMA)
    assert result["high_quality_fraction"] == 0.0, f"result {result}"
    assert result["modes_captured"] == 0, f"result {result}"
    assert result["mode_counts"] == [0] * 8, f"result {result}"
    assert math.isnan(result["reverse_kl"]), f"reverse_kl {result['reverse_kl']}"


def test_grid25_single_mode():
    rng = np.random.default_rng(3)
    counts = np.zeros(25, dtype=int)
    counts[12] = 500
    samples = _mixture(grid25_centers(), GRID25_SIGMA, counts, rng)
    result = mode_coverage(samples, grid25_centers(), GRID25_SIGMA)
    assert result["modes_captured"] == 1, f"result {result}"
    assert result["num_modes"] == 25, f"result {result}"
    assert result["reverse_kl"] == pytest.approx(math.log(25), abs=1e-12), (
        f"reverse_kl {result['reverse_kl']}, expected log 25"
    )


def test_grid25_even_spread_tight_noise():
    rng = np.random.default_rng(4)
    samples = _mixture(grid25_centers(), 0.3 * GRID25_SIGMA, [80] * 25, rng)
    result = mode_coverage(samples, grid25_centers(), GRID25_SIGMA)
    assert result["modes_captured"] == 25, f"result {result}"
    assert result["high_quality_fraction"] == 1.0, f"result {result}"
    assert result["reverse_kl"] == pytest.approx(0.0, abs=1e-12), f"result {result}"


def test_grid25_far_points_not_high_quality():
    # Cell midpoints are sqrt(2) from the nearest center, 28 sigma away.
    rng = np.random.default_rng(5)
    midpoints = np.array([[a, b] for a in (-3, -1, 1, 3) for b in (-3, -1, 1, 3)])
    samples = midpoints + 0.1 * rng.standard_normal(midpoints.shape)
    result = mode_coverage(samples, grid25_centers(), GRID25_SIGMA)
    assert result["high_quality_fraction"] == 0.0, f"result {result}"
    assert result["modes_captured"] == 0, f"result {result}"
    assert math.isnan(result["reverse_kl"]), f"reverse_kl {result['reverse_kl']}"


def test_mode_coverage_threshold():
    # A point 2 sigma from a center is high quality at threshold 3, not at 1.
    centers = ring8_centers()
    point = centers[:1] * (1 + 2 * RING8_SIGMA)
    wide = mode_coverage(point, centers, RING8_SIGMA, threshold=3.0)
    narrow = mode_coverage(point, centers, RING8_SIGMA, threshold=1.0)
    assert wide["high_quality_fraction"] == 1.0, f"threshold 3: {wide}"
    assert narrow["high_quality_fraction"] == 0.0, f"threshold 1: {narrow}"


@pytest.mark.parametrize(
    ("samples", "sigma", "message"),
    [
        (np.zeros((4, 3)), RING8_SIGMA, "features"),
        (np.zeros((4, 2)), 0.0, "sigma"),
        (np.full((4, 2), np.nan), RING8_SIGMA, "NaN"),
        (np.zeros((2, 2, 2)), RING8_SIGMA, r"\(2, 2, 2\)"),
        (np.zeros((0, 2)), RING8_SIGMA, "at least 1"),
    ],
)
def test_mode_coverage_rejects_bad_input(samples, sigma, message):
    with pytest.raises(ValueError, match=message):
        mode_coverage(samples, ring8_centers(), sigma)


# MMD².


def test_squared_distances_match_direct():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(30, 3))
    b = rng.normal(size=(20, 3))
    direct = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    computed = squared_distances(a, b)
    assert computed.shape == (30, 20), f"shape {computed.shape}"
    assert np.allclose(computed, direct, atol=1e-12), "expansion disagrees with diff"
    assert np.all(squared_distances(a, a) >= 0), "distances must be clipped at 0"


def test_mmd2_hand_computed():
    x = np.array([[0.0], [1.0]])
    y = np.array([[0.0], [2.0]])

    def k(a, b):
        return math.exp(-((a - b) ** 2) / 2.0)

    # Gretton et al. (2012), Lemma 6, with m = n = 2 and bandwidth 1. The unbiased
    # estimate of such tiny samples can be negative.
    within_x = sum(k(x[i, 0], x[j, 0]) for i in range(2) for j in range(2) if i != j)
    within_y = sum(k(y[i, 0], y[j, 0]) for i in range(2) for j in range(2) if i != j)
    between = sum(k(x[i, 0], y[j, 0]) for i in range(2) for j in range(2))
    expected = within_x / 2 + within_y / 2 - 2 * between / 4
    closed_form = 0.5 * math.exp(-2.0) - 0.5

    value = mmd2_unbiased(x, y, bandwidths=1.0)
    assert expected == pytest.approx(closed_form, abs=1e-15), "hand formula mismatch"
    assert value == pytest.approx(expected, abs=1e-12), f"MMD² {value}, hand {expected}"


def test_mmd2_matches_dense_across_row_blocks():
    # More rows than one block of 512, compared with a dense reference.
    rng = np.random.default_rng(21)
    x = rng.normal(size=(700, 2))
    y = rng.normal(loc=0.3, size=(600, 2))
    bandwidth = 0.8

    def kernel(a, b):
        distances = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
        return np.exp(-distances / (2 * bandwidth**2))

    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    expected = (
        (kxx.sum() - np.trace(kxx)) / (700 * 699)
        + (kyy.sum() - np.trace(kyy)) / (600 * 599)
        - 2 * kxy.mean()
    )
    value = mmd2_unbiased(x, y, bandwidths=bandwidth)
    assert value == pytest.approx(expected, abs=1e-10), f"MMD² {value}, {expected}"


def test_mmd2_bandwidth_sum_is_linear():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(100, 2))
    y = rng.normal(loc=0.5, size=(120, 2))
    combined = mmd2_unbiased(x, y, bandwidths=[0.5, 2.0])
    separate = mmd2_unbiased(x, y, bandwidths=0.5) + mmd2_unbiased(x, y, 2.0)
    assert combined == pytest.approx(separate, abs=1e-12), (
        f"sum kernel {combined}, sum of MMD² {separate}"
    )


def test_mmd2_same_vs_different_distribution():
    # The unbiased estimate has mean 0 under the null, so the mean of 30 replicates
    # must lie within 4 standard errors of 0. The shifted case must lie far above
    # the spread of those replicates.
    rng = np.random.default_rng(8)
    replicates = 30
    same = np.array(
        [
            mmd2_unbiased(rng.normal(size=(300, 2)), rng.normal(size=(300, 2)), rng=rng)
            for _ in range(replicates)
        ]
    )
    spread = same.std(ddof=1)
    standard_error = spread / math.sqrt(replicates)
    assert abs(same.mean()) < 4 * standard_error, (
        f"null mean {same.mean():.2e}, standard error {standard_error:.2e}"
    )

    shifted = mmd2_unbiased(
        rng.normal(size=(300, 2)), rng.normal(loc=1.0, size=(300, 2)), rng=rng
    )
    assert shifted > same.max() + 10 * spread, (
        f"shifted MMD² {shifted:.3e}, null max {same.max():.3e}, spread {spread:.2e}"
    )


def test_mmd2_coincident_points_finite():
    same_point = np.ones((50, 2))
    value = mmd2_unbiased(same_point, same_point.copy())
    assert math.isfinite(value), f"MMD² {value}"
    assert value == pytest.approx(0.0, abs=1e-12), f"MMD² {value}"

    other_point = mmd2_unbiased(same_point, np.zeros((50, 2)))
    assert math.isfinite(other_point), f"MMD² {other_point}"
    assert other_point > 0.1, f"two distinct point masses gave {other_point}"


def test_mmd2_one_dimensional_shapes_agree():
    rng = np.random.default_rng(9)
    x = rng.normal(size=200)
    y = rng.normal(size=150)
    flat = mmd2_unbiased(x, y)
    column = mmd2_unbiased(x[:, None], y[:, None])
    assert flat == pytest.approx(column, abs=1e-14), f"(n,) {flat}, (n, 1) {column}"


def test_mmd2_subsample_reproducible():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(5000, 2))
    y = rng.normal(size=(4000, 2))
    first = mmd2_unbiased(x, y, max_points=400, rng=np.random.default_rng(11))
    second = mmd2_unbiased(x, y, max_points=400, rng=np.random.default_rng(11))
    assert math.isfinite(first), f"MMD² {first}"
    assert first == second, f"same seed gave {first} and {second}"


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "message"),
    [
        (np.zeros((5, 2)), np.zeros((5, 3)), {}, "same number of features"),
        (np.zeros((1, 2)), np.zeros((5, 2)), {}, "at least 2"),
        (np.zeros((5, 2)), np.zeros((5, 2)), {"bandwidths": 0.0}, "positive"),
        (np.zeros((5, 2)), np.zeros((5, 2)), {"bandwidths": []}, "non-empty"),
        (np.zeros((5, 2, 2)), np.zeros((5, 2)), {}, r"\(5, 2, 2\)"),
        (np.zeros((5, 2)), np.zeros((5, 2)), {"max_points": 1}, "max_points"),
    ],
)
def test_mmd2_rejects_bad_input(x, y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mmd2_unbiased(x, y, **kwargs)


def test_median_bandwidth_cases():
    two_points = median_bandwidth(np.array([0.0]), np.array([3.0]))
    assert two_points == pytest.approx(3.0), f"bandwidth {two_points}"

    coincident = median_bandwidth(np.ones((10, 2)), np.ones((10, 2)))
    assert coincident == 1.0, f"all points coincide, bandwidth {coincident}"

    # 45 of 55 pairs coincide, so the median is 0 and the fallback gives 5.
    mostly_coincident = median_bandwidth(np.zeros(10), np.array([5.0]))
    assert mostly_coincident == pytest.approx(5.0), f"bandwidth {mostly_coincident}"


def test_median_bandwidth_random_pairs_close_to_exact():
    # 1,000 points of N(0, 1): the squared distance of a pair is 2 chi²(1), whose
    # median is about 0.91, so the bandwidth is about 0.95.
    rng = np.random.default_rng(12)
    x = rng.normal(size=500)
    y = rng.normal(size=500)
    expected = math.sqrt(2 * stats.chi2.median(df=1))
    bandwidth = median_bandwidth(x, y, rng)
    assert bandwidth == pytest.approx(expected, rel=0.05), (
        f"bandwidth {bandwidth}, expected {expected}"
    )


def test_kid_cubic_kernel_hand_computed():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 1.0], [0.0, 0.0]])

    def k(a, b):
        return (a @ b / 2 + 1) ** 3

    expected = (
        2 * k(x[0], x[1]) / 2
        + 2 * k(y[0], y[1]) / 2
        - 2 * sum(k(a, b) for a in x for b in y) / 4
    )
    value = kernel_inception_distance(x, y)
    assert value == pytest.approx(expected, abs=1e-12), f"KID {value}, {expected}"


# One-dimensional distances.


def test_ks_and_w1_exact_small_cases():
    assert ks_statistic([0.0, 1.0], [5.0, 6.0]) == 1.0, "disjoint samples give KS 1"
    assert ks_statistic([0.0, 1.0], [0.0, 1.0]) == 0.0, "equal samples give KS 0"
    assert wasserstein1([0.0, 1.0], [1.0, 2.0]) == pytest.approx(1.0), "shift of 1"


def test_ks_and_w1_shifted_normals():
    # W1 between N(0, 1) and N(0.5, 1) is 0.5 and KS is 2 Φ(0.25) - 1. The DKW
    # inequality bounds each empirical CDF error by eps with probability
    # 1 - 2 exp(-2 n eps²), here 1 - 1e-6.
    rng = np.random.default_rng(13)
    n = 20_000
    shift = 0.5
    generated = rng.normal(size=n)
    real = rng.normal(loc=shift, size=(n, 1))
    eps = math.sqrt(math.log(2 / 1e-6) / (2 * n))

    ks = ks_statistic(generated, real)
    expected_ks = 2 * stats.norm.cdf(shift / 2) - 1
    assert abs(ks - expected_ks) < 2 * eps, f"KS {ks}, expected {expected_ks}"

    w1 = wasserstein1(generated, real)
    assert abs(w1 - shift) < 0.05, f"W1 {w1}, expected {shift}"


def test_one_dimensional_metrics_reject_2d():
    with pytest.raises(ValueError, match=r"\(10, 2\)"):
        ks_statistic(np.zeros((10, 2)), np.zeros(10))
    with pytest.raises(ValueError, match=r"\(10, 2\)"):
        wasserstein1(np.zeros(10), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="at least 1"):
        wasserstein1(np.zeros(0), np.zeros(10))


# Digits.


def test_classifier_holdout_split(classifier):
    index = classifier.holdout_index
    assert index.size == 540, f"held-out size {index.size}"
    assert np.unique(index).size == index.size, "held-out indices repeat"
    counts = np.bincount(classifier.holdout_labels, minlength=DIGIT_CLASSES)
    assert counts.min() >= 50, f"stratified split per class {counts}"
    accuracy = classifier.holdout_accuracy()
    assert accuracy > 0.95, f"held-out accuracy {accuracy}"


def test_reference_real_metrics_values(classifier):
    scores = reference_real_metrics(classifier)
    assert scores["classes_covered"] == 10, f"scores {scores}"
    assert sum(scores["class_counts"]) > 500, f"scores {scores}"
    assert scores["class_kl"] < 0.01, f"scores {scores}"
    assert scores["confident_fraction"] > 0.85, f"scores {scores}"
    assert scores["inception_score"] > 8.5, f"scores {scores}"


def test_real_digits_kid_near_zero(classifier):
    # Spread of KID between random halves of the held-out digits, 20 splits.
    features, _ = classifier.forward(classifier.holdout_images)
    rng = np.random.default_rng(14)
    half = features.shape[0] // 2
    null = []
    for _ in range(20):
        order = rng.permutation(features.shape[0])
        null.append(
            kernel_inception_distance(features[order[:half]], features[order[half:]])
        )
    spread = float(np.std(null, ddof=1))
    reference_kid = reference_real_metrics(classifier)["kid"]
    assert abs(reference_kid) < 4 * spread, (
        f"real KID {reference_kid:.2e}, null spread {spread:.2e}"
    )

    noise = np.random.default_rng(15).uniform(0, 16, size=(1000, 64))
    noise_kid = digit_metrics(noise, classifier=classifier)["kid"]
    assert noise_kid > 20 * spread, f"noise KID {noise_kid:.2e}, spread {spread:.2e}"


def test_digit_metrics_constant_image(classifier):
    scores = digit_metrics(np.full((200, 64), 8.0), classifier=classifier)
    assert scores["classes_covered"] <= 1, f"scores {scores}"
    assert scores["inception_score"] == pytest.approx(1.0, abs=1e-9), (
        f"identical images must give IS 1, got {scores['inception_score']}"
    )


def test_digit_metrics_blank_image_uncovered(classifier):
    # The classifier is unsure on a blank image, so no class reaches 0.5.
    scores = digit_metrics(np.zeros((50, 64)), classifier=classifier)
    assert scores["classes_covered"] == 0, f"scores {scores}"
    assert math.isnan(scores["class_kl"]), f"class_kl {scores['class_kl']}"
    assert scores["confident_fraction"] == 0.0, f"scores {scores}"


def test_digit_metrics_noise_scores_low(classifier):
    real = reference_real_metrics(classifier)
    noise = np.random.default_rng(16).uniform(0, 16, size=(2500, 64))
    scores = digit_metrics(noise, classifier=classifier)
    assert scores["inception_score"] < 4.0, f"noise scores {scores}"
    assert scores["inception_score"] < real["inception_score"] - 4, (
        f"noise IS {scores['inception_score']}, real IS {real['inception_score']}"
    )
    assert scores["class_kl"] > 0.3, f"noise scores {scores}"
    assert scores["confident_fraction"] < real["confident_fraction"] - 0.3, (
        f"noise {scores['confident_fraction']}, real {real['confident_fraction']}"
    )


def test_digit_metrics_real_training_digits(classifier):
    from sklearn.datasets import load_digits

    images = load_digits().data
    training = np.delete(images, classifier.holdout_index, axis=0)
    scores = digit_metrics(training, classifier=classifier)
    assert scores["classes_covered"] == 10, f"scores {scores}"
    assert scores["inception_score"] > 8.5, f"scores {scores}"
    assert scores["confident_fraction"] > 0.85, f"scores {scores}"


def test_digit_metrics_clips_pixels(classifier):
    rng = np.random.default_rng(17)
    raw = rng.uniform(-8, 24, size=(100, 64))
    clipped = np.clip(raw, 0, 16)
    assert digit_metrics(raw, classifier=classifier) == digit_metrics(
        clipped, classifier=classifier
    ), "pixels outside [0, 16] must be clipped"


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.zeros((5, 8, 8)), r"\(5, 8, 8\)"),
        (np.zeros(64), r"\(64,\)"),
        (np.zeros((5, 63)), r"\(5, 63\)"),
        (np.zeros((1, 64)), "at least 2"),
        (np.full((5, 64), np.inf), "NaN or infinite"),
    ],
)
def test_digit_metrics_rejects_bad_input(classifier, samples, message):
    with pytest.raises(ValueError, match=message):
        digit_metrics(samples, classifier=classifier)


def test_digit_metrics_rejects_bad_confidence(classifier):
    with pytest.raises(ValueError, match="coverage_confidence"):
        digit_metrics(np.zeros((5, 64)), classifier=classifier, coverage_confidence=2)


def test_classifier_save_load_roundtrip(classifier, tmp_path):
    path = tmp_path / "weights.npz"
    classifier.save(path)
    loaded = DigitClassifier.load(path)
    for name in (
        "hidden_weights",
        "hidden_bias",
        "output_weights",
        "output_bias",
        "holdout_index",
    ):
        assert np.array_equal(getattr(loaded, name), getattr(classifier, name)), name
    assert list(tmp_path.iterdir()) == [path], "temporary files left behind"


def test_classifier_load_rejects_object_arrays(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, hidden_weights=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError):
        DigitClassifier.load(path)


def test_classifier_load_rejects_truncated_file(classifier, tmp_path):
    path = tmp_path / "weights.npz"
    classifier.save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a valid weights file"):
        DigitClassifier.load(path)


def test_classifier_load_rejects_other_format(classifier, tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(
        path,
        format_version=np.array(99),
        data_checksum=np.array("x"),
        hidden_weights=classifier.hidden_weights,
        hidden_bias=classifier.hidden_bias,
        output_weights=classifier.output_weights,
        output_bias=classifier.output_bias,
        holdout_index=classifier.holdout_index,
    )
    with pytest.raises(ValueError, match="cache format 99"):
        DigitClassifier.load(path)


def test_classifier_arrays_read_only(classifier):
    with pytest.raises(ValueError, match="read-only"):
        classifier.output_bias[0] = 1.0


def test_load_digit_classifier_uses_cache(classifier, tmp_path, caplog):
    classifier.save(tmp_path / CACHE_FILENAME)
    caplog.set_level(logging.DEBUG, logger="models.metrics.digits")
    # __wrapped__ bypasses the in-process cache so that the file is read.
    loaded = load_digit_classifier.__wrapped__(tmp_path)
    assert np.array_equal(loaded.output_weights, classifier.output_weights), (
        "weights from the cache file differ"
    )
    assert "Loaded the digit classifier" in caplog.text, caplog.text
    assert "Fit the digit classifier" not in caplog.text, caplog.text


def test_load_digit_classifier_refits_corrupt_cache(tmp_path, caplog):
    path = tmp_path / CACHE_FILENAME
    path.write_bytes(b"not an npz file")
    caplog.set_level(logging.INFO, logger="models.metrics.digits")
    refit = load_digit_classifier.__wrapped__(tmp_path)
    assert "Invalid digit classifier cache" in caplog.text, caplog.text
    assert refit.holdout_accuracy() > 0.95, "refit classifier is inaccurate"
    rewritten = DigitClassifier.load(path)
    assert np.array_equal(rewritten.hidden_weights, refit.hidden_weights), (
        "the corrupt cache file was not replaced"
    )


# compute_metrics.


def _samples_for(name: str, rng: np.random.Generator, n: int):
    if name == "ring8":
        return ring8_centers()[rng.integers(8, size=n)] + RING8_SIGMA * (
            rng.standard_normal((n, 2))
        )
    if name == "grid25":
        return grid25_centers()[rng.integers(25, size=n)] + GRID25_SIGMA * (
            rng.standard_normal((n, 2))
        )
    if name == "gauss1d":
        return rng.normal(size=(n, 1))
    if name == "digits":
        return rng.uniform(0, 16, size=(n, 64))
    return rng.normal(size=(n, 2))


EXPECTED_KEYS = {
    "ring8": {
        "modes_captured",
        "num_modes",
        "high_quality_fraction",
        "mode_counts",
        "reverse_kl",
        "mmd2",
    },
    "moons": {"mmd2"},
    "spiral": {"mmd2"},
    "gauss1d": {"ks_statistic", "wasserstein1", "mmd2"},
    "digits": {
        "classes_covered",
        "class_counts",
        "class_kl",
        "confident_fraction",
        "inception_score",
        "kid",
        "mmd2",
    },
}
EXPECTED_KEYS["grid25"] = EXPECTED_KEYS["ring8"]


@pytest.mark.parametrize("name", METRIC_DATASETS)
def test_compute_metrics_keys_and_types(name, classifier):
    rng = np.random.default_rng(18)
    generated = _samples_for(name, rng, 400)
    real = _samples_for(name, rng, 300)
    metrics = compute_metrics(name, generated, real, rng, classifier=classifier)
    assert set(metrics) == EXPECTED_KEYS[name], f"{name}: keys {sorted(metrics)}"
    for key, value in metrics.items():
        if isinstance(value, list):
            assert all(type(item) is int for item in value), f"{name}.{key}: {value}"
        else:
            assert type(value) in (int, float), f"{name}.{key}: {type(value)}"
    json.dumps(metrics, allow_nan=False)


def test_compute_metrics_ring8_real_samples():
    rng = np.random.default_rng(19)
    generated = _samples_for("ring8", rng, 2000)
    real = _samples_for("ring8", rng, 2000)
    metrics = compute_metrics("ring8", generated, real, rng)
    assert metrics["modes_captured"] == 8, f"metrics {metrics}"
    assert abs(metrics["mmd2"]) < 0.01, f"metrics {metrics}"


def test_compute_metrics_digits_mmd_on_unit_scale(classifier):
    rng = np.random.default_rng(20)
    generated = rng.uniform(0, 16, size=(300, 64))
    real = classifier.holdout_images
    metrics = compute_metrics("digits", generated, real, rng, classifier=classifier)
    expected = mmd2_unbiased(generated / 16, real / 16, rng=np.random.default_rng(20))
    assert metrics["mmd2"] > 0.05, f"noise against digits: {metrics}"
    assert metrics["mmd2"] == pytest.approx(expected, rel=0.05), (
        f"mmd2 {metrics['mmd2']}, on pixels / 16 {expected}"
    )


def test_compute_metrics_rejects_unknown_name():
    with pytest.raises(ValueError, match="no metrics for data set 'cifar'"):
        compute_metrics("cifar", np.zeros((5, 2)), np.zeros((5, 2)), None)


@pytest.mark.parametrize(
    "shape, expected",
    [
        ((300, 1), {"ks_statistic", "wasserstein1", "mmd2"}),
        ((300,), {"ks_statistic", "wasserstein1", "mmd2"}),
        ((300, 2), {"mmd2"}),
        ((300, 64), {"mmd2"}),
    ],
)
def test_compute_metrics_own_data_keys(shape, expected):
    rng = np.random.default_rng(21)
    generated = rng.normal(size=shape)
    real = rng.normal(size=shape)
    metrics = compute_metrics("custom", generated, real, rng)
    assert set(metrics) == expected, f"own data of shape {shape}: {sorted(metrics)}"
    assert abs(metrics["mmd2"]) < 0.05, f"same distribution, MMD² near 0: {metrics}"
