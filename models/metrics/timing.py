"""Time each metric on generated-sized inputs: ``python -m models.metrics.timing``.

Prints the median wall time of several calls per metric. The digit classifier is fit
before timing starts, so its fit is not counted.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from models.metrics.compute import compute_metrics
from models.metrics.digits import (
    digit_metrics,
    load_digit_classifier,
    reference_real_metrics,
)
from models.metrics.mmd import mmd2_unbiased
from models.metrics.modes import (
    GRID25_SIGMA,
    RING8_SIGMA,
    grid25_centers,
    mode_coverage,
    ring8_centers,
)
from models.metrics.univariate import ks_statistic, wasserstein1


def _median_seconds(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_metrics(num_samples: int = 2500, repeats: int = 5, seed: int = 0) -> dict:
    """Return the median seconds per call of each metric on ``num_samples`` samples.

    Generated and real samples have the same size. The 2-D samples are drawn from
    the ring of 8 Gaussians and the digits are uniform noise on the 0-16 scale, which
    costs the same as real-looking digits.
    """
    rng = np.random.default_rng(seed)
    centers = ring8_centers()
    ring = centers[rng.integers(8, size=num_samples)] + RING8_SIGMA * rng.normal(
        size=(num_samples, 2)
    )
    ring_real = centers[rng.integers(8, size=num_samples)] + RING8_SIGMA * rng.normal(
        size=(num_samples, 2)
    )
    grid = 4.0 * rng.uniform(-1.0, 1.0, size=(num_samples, 2))
    line = rng.normal(size=num_samples)
    line_real = rng.normal(size=num_samples)
    digits = rng.uniform(0.0, 16.0, size=(num_samples, 64))
    classifier = load_digit_classifier()
    real_digits = classifier.holdout_images

    calls = {
        "mode_coverage ring8": lambda: mode_coverage(ring, centers, RING8_SIGMA),
        "mode_coverage grid25": lambda: mode_coverage(
            grid, grid25_centers(), GRID25_SIGMA
        ),
        "mmd2_unbiased 2-D": lambda: mmd2_unbiased(ring, ring_real, rng=rng),
        "mmd2_unbiased 1-D": lambda: mmd2_unbiased(line, line_real, rng=rng),
        "mmd2_unbiased digits": lambda: mmd2_unbiased(
            digits / 16.0, real_digits / 16.0, rng=rng
        ),
        "ks_statistic": lambda: ks_statistic(line, line_real),
        "wasserstein1": lambda: wasserstein1(line, line_real),
        "digit_metrics": lambda: digit_metrics(digits, rng, classifier=classifier),
        "reference_real_metrics": lambda: reference_real_metrics(classifier),
        "compute_metrics ring8": lambda: compute_metrics("ring8", ring, ring_real, rng),
        "compute_metrics gauss1d": lambda: compute_metrics(
            "gauss1d", line, line_real, rng
        ),
        "compute_metrics digits": lambda: compute_metrics(
            "digits", digits, real_digits, rng, classifier=classifier
        ),
    }
    return {name: _median_seconds(call, repeats) for name, call in calls.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--samples", type=int, default=2500, help="generated samples per call"
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="calls per metric; the median is shown"
    )
    args = parser.parse_args(argv)
    for name, seconds in time_metrics(args.samples, args.repeats).items():
        print(f"{name:<24} {1000 * seconds:8.1f} ms")


if __name__ == "__main__":
    main()
