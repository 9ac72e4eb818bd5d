"""One entry point that picks the metrics suited to each data set."""

from __future__ import annotations

import numpy as np

from models.metrics.digits import DIGIT_PIXEL_MAX, DigitClassifier, digit_metrics
from models.metrics.mmd import DEFAULT_MAX_POINTS, mmd2_unbiased
from models.metrics.modes import (
    GRID25_SIGMA,
    RING8_SIGMA,
    grid25_centers,
    mode_coverage,
    ring8_centers,
)
from models.metrics.univariate import ks_statistic, wasserstein1

METRIC_DATASETS = ("gauss1d", "ring8", "grid25", "moons", "spiral", "digits")
"""Built-in data set names that :func:`compute_metrics` accepts."""

OWN_DATA = "custom"
"""Name of the user's own data, which :func:`compute_metrics` also accepts."""


def compute_metrics(
    dataset_name: str,
    generated,
    real_holdout,
    rng: np.random.Generator,
    *,
    classifier: DigitClassifier | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
) -> dict:
    """Compute the quality metrics that suit a data set, as one flat dict.

    Every data set gets ``mmd2``, the unbiased MMD² between ``generated`` and
    ``real_holdout`` with a Gaussian kernel whose bandwidth comes from the median
    heuristic (:func:`models.metrics.mmd.mmd2_unbiased`). Digits are compared on
    pixels / 16. The other keys depend on the data set:

    - ``ring8``, ``grid25``: the keys of :func:`models.metrics.modes.mode_coverage`
      for :func:`ring8_centers` with :data:`RING8_SIGMA`, or :func:`grid25_centers`
      with :data:`GRID25_SIGMA`, and threshold 3.
    - ``moons``, ``spiral``: no other keys.
    - ``gauss1d``: ``ks_statistic`` and ``wasserstein1``.
    - ``custom``, own points or images: ``ks_statistic`` and ``wasserstein1``
      for 1-D points, else no other keys. Own data has no known modes or
      classes, so mode and digit metrics do not apply.
    - ``digits``: the keys of :func:`models.metrics.digits.digit_metrics`.

    Parameters
    ----------
    dataset_name : str
        One of :data:`METRIC_DATASETS`, or :data:`OWN_DATA`.
    generated : array_like of shape (n, d), or (n,) for 1-D points
        Generated samples in data coordinates, at least 2. Digits are (n, 64) on the
        0-16 pixel scale and are clipped to it.
    real_holdout : array_like of shape (m, d), or (m,) for 1-D points
        Real samples in data coordinates that the generator was not trained on, at
        least 2.
    rng : numpy.random.Generator
        Draws the subsamples that keep MMD² and KID fast, and the random pairs
        of the median heuristic.
    classifier : DigitClassifier, optional
        Digit classifier, for example from
        :func:`models.metrics.digits.load_digit_classifier` with a cache folder.
        None uses the one fit in this process.
    max_points : int
        Cap on the points per sample for MMD² and KID.

    Returns
    -------
    dict
        Keys are metric names and values are Python ints, floats or lists of ints.
        ``reverse_kl`` and ``class_kl`` can be NaN, as their functions document.

    Raises
    ------
    ValueError
        If the name is unknown or the arrays have shapes the metrics reject.
    """
    if dataset_name not in (*METRIC_DATASETS, OWN_DATA):
        raise ValueError(
            f"no metrics for data set {dataset_name!r}; choose one of "
            f"{', '.join(METRIC_DATASETS)} or {OWN_DATA}"
        )

    metrics: dict = {}
    if dataset_name == "digits":
        metrics.update(
            digit_metrics(generated, rng, classifier=classifier, max_points=max_points)
        )
        generated = np.clip(
            np.asarray(generated, dtype=np.float64), 0.0, DIGIT_PIXEL_MAX
        )
        generated = generated / DIGIT_PIXEL_MAX
        real_holdout = np.asarray(real_holdout, dtype=np.float64) / DIGIT_PIXEL_MAX
    elif dataset_name == "ring8":
        metrics.update(mode_coverage(generated, ring8_centers(), RING8_SIGMA))
    elif dataset_name == "grid25":
        metrics.update(mode_coverage(generated, grid25_centers(), GRID25_SIGMA))
    elif dataset_name == "gauss1d" or (
        dataset_name == OWN_DATA and _is_univariate(generated, real_holdout)
    ):
        metrics["ks_statistic"] = ks_statistic(generated, real_holdout)
        metrics["wasserstein1"] = wasserstein1(generated, real_holdout)

    metrics["mmd2"] = mmd2_unbiased(
        generated, real_holdout, max_points=max_points, rng=rng
    )
    return metrics


def _is_univariate(generated, real_holdout) -> bool:
    """Return True when both samples are 1-D points, shape (n,) or (n, 1)."""
    shapes = (np.shape(generated), np.shape(real_holdout))
    return all(len(shape) == 1 or shape[1:] == (1,) for shape in shapes)
