"""Unbiased squared maximum mean discrepancy (MMD²) with Gaussian kernels.

Gretton, Borgwardt, Rasch, Schölkopf and Smola, 2012, "A kernel two-sample test",
JMLR 13, 723-773, Lemma 6. For samples x_1..x_m and y_1..y_n,

    MMD²_u = 1/(m(m-1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n-1)) Σ_{i≠j} k(y_i, y_j)
             - 2/(mn) Σ_{i,j} k(x_i, y_j).

The estimate is unbiased, so it can be slightly negative when both samples come from
the same distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from models.metrics._common import (
    as_rng,
    as_sample_matrix,
    single_blas_thread,
    subsample_rows,
)

DEFAULT_MAX_POINTS = 2000
"""Default cap on the points used per sample. The cost grows with its square."""

MEDIAN_PAIRS = 20_000
"""Pairs of pooled points used to estimate the median distance."""


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the (len(a), len(b)) matrix of squared Euclidean distances.

    Computes ||a||² + ||b||² - 2 a·b as one matrix product of the augmented rows
    [a, ||a||², 1] and [-2b, 1, ||b||²], then clips at 0 because rounding can make
    it slightly negative. Center the inputs first when their mean is far from 0,
    since the expansion loses precision for large offsets.
    """
    a_norms = np.einsum("ij,ij->i", a, a)[:, None]
    b_norms = np.einsum("ij,ij->i", b, b)[:, None]
    a_augmented = np.hstack([a, a_norms, np.ones_like(a_norms)])
    b_augmented = np.hstack([-2.0 * b, np.ones_like(b_norms), b_norms])
    distances = a_augmented @ b_augmented.T
    np.maximum(distances, 0.0, out=distances)
    return distances


def median_bandwidth(x, y, rng: np.random.Generator | None = None) -> float:
    """Estimate a Gaussian kernel bandwidth by the median heuristic.

    The bandwidth is the square root of the median squared distance between distinct
    points of the pooled sample. When the pooled sample has more than 20,000 pairs,
    the median is estimated from 20,000 pairs drawn at random. When more than half
    of the pairs coincide, the median is 0, so the root mean of the non-zero squared
    distances is used instead. When all points coincide, the bandwidth is 1, and
    any bandwidth then gives the same kernel values.

    Parameters
    ----------
    x, y : array_like of shape (m, d) and (n, d), or (m,) and (n,)
        The two samples.
    rng : numpy.random.Generator, optional
        Draws the random pairs. None means a generator seeded with 0.

    Returns
    -------
    float
        A positive bandwidth.
    """
    x = as_sample_matrix(x, "x")
    y = as_sample_matrix(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same number of features, got shapes "
            f"{x.shape} and {y.shape}"
        )
    pooled = np.concatenate([x, y])
    count = pooled.shape[0]

    # All pairs i < j when there are few, else random pairs with i != j.
    if count * (count - 1) // 2 <= MEDIAN_PAIRS:
        first, second = np.triu_indices(count, k=1)
    else:
        rng = as_rng(rng)
        first = rng.integers(count, size=MEDIAN_PAIRS)
        offset = rng.integers(1, count, size=MEDIAN_PAIRS)
        second = (first + offset) % count
    differences = pooled[first] - pooled[second]
    pair_distances = np.einsum("ij,ij->i", differences, differences)

    median = float(np.median(pair_distances))
    if median > 0:
        return float(np.sqrt(median))
    positive = pair_distances[pair_distances > 0]
    if positive.size > 0:
        return float(np.sqrt(positive.mean()))
    return 1.0


ROW_BLOCK = 512
"""Rows of a kernel matrix evaluated at once, so each block stays in cache."""

KernelBlock = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _kernel_sum(
    a: np.ndarray, b: np.ndarray, kernel: KernelBlock, skip_diagonal: bool
) -> float:
    """Sum kernel(a_i, b_j) over all i, j, or over i != j when ``skip_diagonal``.

    The matrix is evaluated ROW_BLOCK rows at a time and never stored whole.
    """
    total = 0.0
    for start in range(0, a.shape[0], ROW_BLOCK):
        block = kernel(a[start : start + ROW_BLOCK], b)
        total += float(block.sum())
        if skip_diagonal:
            rows = np.arange(block.shape[0])
            total -= float(block[rows, start + rows].sum())
    return total


def _unbiased_mmd2(x: np.ndarray, y: np.ndarray, kernel: KernelBlock) -> float:
    """Return MMD²_u of Gretton et al. (2012, Lemma 6) for samples of >= 2 points."""
    m = x.shape[0]
    n = y.shape[0]
    within_x = _kernel_sum(x, x, kernel, skip_diagonal=True) / (m * (m - 1))
    within_y = _kernel_sum(y, y, kernel, skip_diagonal=True) / (n * (n - 1))
    between = _kernel_sum(x, y, kernel, skip_diagonal=False) / (m * n)
    return within_x + within_y - 2.0 * between


def _gaussian_kernel(bandwidths: Sequence[float]) -> KernelBlock:
    def kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        distances = squared_distances(a, b)
        if len(bandwidths) == 1:
            distances *= -0.5 / bandwidths[0] ** 2
            return np.exp(distances, out=distances)
        total = np.zeros_like(distances)
        scaled = np.empty_like(distances)
        for bandwidth in bandwidths:
            np.multiply(distances, -0.5 / bandwidth**2, out=scaled)
            total += np.exp(scaled, out=scaled)
        return total

    return kernel


def _cubic_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    values = a @ b.T
    values /= a.shape[1]
    values += 1.0
    return values**3


def _checked_bandwidths(bandwidths) -> tuple[float, ...]:
    values = np.atleast_1d(np.asarray(bandwidths, dtype=np.float64))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"bandwidths must be a positive number or a non-empty sequence of them, "
            f"got {bandwidths!r}"
        )
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"bandwidths must be positive and finite, got {bandwidths!r}")
    return tuple(float(value) for value in values)


def mmd2_unbiased(
    x,
    y,
    bandwidths: float | Sequence[float] | None = None,
    *,
    max_points: int = DEFAULT_MAX_POINTS,
    rng: np.random.Generator | None = None,
) -> float:
    """Estimate the squared MMD between two samples with Gaussian kernels.

    The kernel is k(a, b) = Σ_s exp(-||a - b||² / (2 s²)) summed over the bandwidths
    s. The estimator is the unbiased MMD²_u of Gretton et al. (2012, Lemma 6)
    shown in the module docstring. Its expectation is 0 when x and y come from the
    same distribution, so single estimates can be slightly negative.

    Parameters
    ----------
    x, y : array_like of shape (m, d) and (n, d), or (m,) and (n,)
        The two samples, for example generated and held-out real points. Each needs
        at least 2 points.
    bandwidths : float or sequence of float, optional
        Kernel bandwidths in data units. Several bandwidths make the kernel more
        sensitive to differences at several scales at once. None uses one bandwidth
        from :func:`median_bandwidth` on the pooled sample.
    max_points : int
        Cap on the points used from each sample. Larger samples are subsampled
        without replacement, because the cost grows with the square of the sample
        sizes. Raise it for a more precise estimate at a higher cost.
    rng : numpy.random.Generator, optional
        Draws the subsamples. None means a generator seeded with 0.

    Returns
    -------
    float
        The MMD² estimate in squared kernel units. It scales with the number of
        bandwidths.

    Raises
    ------
    ValueError
        If a sample has fewer than 2 points, the feature counts differ, the values
        are not finite, or a bandwidth is not positive.
    """
    x = as_sample_matrix(x, "x", min_rows=2)
    y = as_sample_matrix(y, "y", min_rows=2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have the same number of features, got shapes "
            f"{x.shape} and {y.shape}"
        )
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    rng = as_rng(rng)

    # Subsample, then center both samples on their pooled mean for precision.
    x = subsample_rows(x, max_points, rng)
    y = subsample_rows(y, max_points, rng)
    pooled_mean = np.concatenate([x, y]).mean(axis=0)
    x = x - pooled_mean
    y = y - pooled_mean

    if bandwidths is None:
        bandwidths = (median_bandwidth(x, y, rng),)
    else:
        bandwidths = _checked_bandwidths(bandwidths)

    with single_blas_thread():
        return _unbiased_mmd2(x, y, _gaussian_kernel(bandwidths))


def kernel_inception_distance(
    features_x,
    features_y,
    *,
    max_points: int = DEFAULT_MAX_POINTS,
    rng: np.random.Generator | None = None,
) -> float:
    """Estimate the kernel inception distance (KID) between two sets of features.

    KID is the unbiased MMD² (Gretton et al., 2012, Lemma 6) with the cubic polynomial
    kernel k(a, b) = (a·b / d + 1)³ on d-dimensional classifier features
    (Bińkowski, Sutherland, Arbel and Gretton, 2018, "Demystifying MMD GANs", ICLR).
    Like MMD²_u, it can be slightly negative when both sets come from the same
    distribution.

    NOTE: This function returns one estimate on up to ``max_points`` rows per set,
    not an average over random subsets, so compare its values only with other
    values from this function.

    Parameters
    ----------
    features_x, features_y : array_like of shape (m, d) and (n, d)
        Features of the two samples, each with at least 2 rows.
    max_points : int
        Cap on the rows used from each set. Larger sets are subsampled without
        replacement.
    rng : numpy.random.Generator, optional
        Draws the subsamples. None means a generator seeded with 0.

    Raises
    ------
    ValueError
        If a set has fewer than 2 rows, the feature counts differ, or the values are
        not finite.
    """
    x = as_sample_matrix(features_x, "features_x", min_rows=2)
    y = as_sample_matrix(features_y, "features_y", min_rows=2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"features_x and features_y must have the same number of features, got "
            f"shapes {x.shape} and {y.shape}"
        )
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    rng = as_rng(rng)
    x = subsample_rows(x, max_points, rng)
    y = subsample_rows(y, max_points, rng)

    with single_blas_thread():
        return _unbiased_mmd2(x, y, _cubic_kernel)
