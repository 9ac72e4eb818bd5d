"""Two-sample distances for 1-D samples: Kolmogorov-Smirnov and Wasserstein-1."""

from __future__ import annotations

import numpy as np

from models.metrics._common import as_sample_matrix


def _as_univariate(values, name: str) -> np.ndarray:
    array = as_sample_matrix(values, name)
    if array.shape[1] != 1:
        raise ValueError(
            f"{name} must have shape (n,) or (n, 1) for a 1-D metric, got "
            f"{np.shape(values)}"
        )
    return array[:, 0]


def ks_statistic(generated, real) -> float:
    """Compute the two-sample Kolmogorov-Smirnov statistic.

    The statistic is sup_t |F_generated(t) - F_real(t)|, the largest gap between the
    two empirical distribution functions, computed by ``scipy.stats.ks_2samp``. It
    lies in [0, 1]. For N(0, 1) against N(δ, 1) the population value is
    2Φ(δ/2) - 1.

    Parameters
    ----------
    generated, real : array_like of shape (n,) or (n, 1)
        The two samples, each with at least one point.

    Raises
    ------
    ValueError
        If a sample is empty, not 1-D or not finite.
    """
    generated = _as_univariate(generated, "generated")
    real = _as_univariate(real, "real")
    # Imported here because scipy.stats takes most of a second to import.
    from scipy import stats

    return float(stats.ks_2samp(generated, real).statistic)


def wasserstein1(generated, real) -> float:
    """Compute the Wasserstein-1 (earth mover's) distance between two 1-D samples.

    In one dimension W1 = ∫ |F_generated(t) - F_real(t)| dt, the area between the
    two empirical distribution functions, in data units. A sample shifted by δ is at
    distance |δ| from the original. Computed by ``scipy.stats.wasserstein_distance``.

    Parameters
    ----------
    generated, real : array_like of shape (n,) or (n, 1)
        The two samples, each with at least one point.

    Raises
    ------
    ValueError
        If a sample is empty, not 1-D or not finite.
    """
    generated = _as_univariate(generated, "generated")
    real = _as_univariate(real, "real")
    from scipy import stats

    return float(stats.wasserstein_distance(generated, real))
