"""Quality metrics for generated samples: mode coverage, MMD², 1-D tests, digit scores.

Everything here is plain numpy, scipy and scikit-learn, so the trainer, the command
line and the tests share one implementation. :func:`compute_metrics` picks the metrics
that suit a data set and returns a flat dict of JSON-ready numbers.
"""

from models.metrics.compute import METRIC_DATASETS, compute_metrics
from models.metrics.digits import (
    DIGIT_CLASSES,
    DIGIT_FEATURES,
    DIGIT_PIXEL_MAX,
    DigitClassifier,
    digit_metrics,
    fit_digit_classifier,
    load_digit_classifier,
    reference_real_metrics,
)
from models.metrics.mmd import (
    DEFAULT_MAX_POINTS,
    kernel_inception_distance,
    median_bandwidth,
    mmd2_unbiased,
    squared_distances,
)
from models.metrics.modes import (
    GRID25_SIGMA,
    RING8_SIGMA,
    grid25_centers,
    kl_to_uniform,
    mode_coverage,
    ring8_centers,
)
from models.metrics.univariate import ks_statistic, wasserstein1

__all__ = [
    "DEFAULT_MAX_POINTS",
    "DIGIT_CLASSES",
    "DIGIT_FEATURES",
    "DIGIT_PIXEL_MAX",
    "GRID25_SIGMA",
    "METRIC_DATASETS",
    "RING8_SIGMA",
    "DigitClassifier",
    "compute_metrics",
    "digit_metrics",
    "fit_digit_classifier",
    "grid25_centers",
    "kernel_inception_distance",
    "kl_to_uniform",
    "ks_statistic",
    "load_digit_classifier",
    "median_bandwidth",
    "mmd2_unbiased",
    "mode_coverage",
    "reference_real_metrics",
    "ring8_centers",
    "squared_distances",
    "wasserstein1",
]
