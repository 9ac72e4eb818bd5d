"""Mode coverage of samples from a 2-D Gaussian mixture with known centers.

The ring of 8 and the grid of 25 Gaussians are the standard mode-collapse benchmarks
of VEEGAN (Srivastava et al., 2017, "VEEGAN: Reducing mode collapse in GANs using
implicit variational learning", NeurIPS) and PacGAN (Lin et al., 2018, "PacGAN: The
power of two samples in generative adversarial networks", NeurIPS).
"""

from __future__ import annotations

import numpy as np

# The mixtures are defined once, with the data sets, and re-exported here.
from models.datasets import (  # noqa: F401
    GRID25_SIGMA,
    RING8_SIGMA,
    grid25_centers,
    ring8_centers,
)
from models.metrics._common import as_sample_matrix


def kl_to_uniform(counts) -> float:
    """Compute KL(q || u) of a histogram to the uniform distribution on its bins.

    With q = counts / sum(counts) over K bins, KL(q || u) = log K - H(q), where H is
    the Shannon entropy in nats and 0 log 0 = 0. The value is 0 for a uniform
    histogram and log K when all mass is in one bin.

    Parameters
    ----------
    counts : array_like of shape (K,)
        Non-negative counts or weights.

    Returns
    -------
    float
        The divergence in nats, or NaN when all counts are zero, because q is then
        undefined.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"counts must have shape (K,) with K >= 1, got {counts.shape}")
    if np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError(f"counts must be finite and non-negative, got {counts}")
    total = counts.sum()
    if total == 0:
        return float("nan")
    q = counts[counts > 0] / total
    divergence = float(np.log(counts.size) + np.sum(q * np.log(q)))

    # Rounding can leave -1e-16 for a uniform histogram.
    return max(divergence, 0.0)


def mode_coverage(samples, centers, sigma: float, threshold: float = 3.0) -> dict:
    """Count the mixture modes that generated samples reach, as in VEEGAN and PacGAN.

    Each sample is assigned to its nearest center (Euclidean distance). A sample is
    *high quality* when that distance is at most ``threshold * sigma``. A mode is
    *captured* when at least one high-quality sample is assigned to it.

    The mode histogram q counts high-quality samples only, normalised to sum to 1.
    ``reverse_kl`` is KL(q || u) = log K - H(q), the divergence from q to the uniform
    distribution u over the K modes, in nats with 0 log 0 = 0. It is the reverse KL
    because the generator's distribution q comes first and u, the mode distribution
    of an equal-weight mixture, second. All high-quality samples on one of 8 modes
    give log 8 ≈ 2.079, and an even spread gives 0.

    Parameters
    ----------
    samples : array_like of shape (n, d)
        Generated samples, n >= 1.
    centers : array_like of shape (K, d)
        Mixture centers, for example :func:`ring8_centers`.
    sigma : float
        Standard deviation of each mixture component, for example
        :data:`RING8_SIGMA`.
    threshold : float
        Radius of the high-quality ball in units of ``sigma``. Raise it to accept
        blurrier samples.

    Returns
    -------
    dict
        ``modes_captured`` (int), ``num_modes`` (int, K), ``high_quality_fraction``
        (float in [0, 1]), ``mode_counts`` (list of K ints, high-quality samples per
        mode) and ``reverse_kl`` (float). ``reverse_kl`` is NaN when no sample is high
        quality, because q is then undefined (0/0). NaN is not a valid value in
        strict JSON, although ``json.dumps`` writes it as ``NaN`` by default.

    Raises
    ------
    ValueError
        If the shapes do not match, the samples are not finite, or ``sigma`` or
        ``threshold`` is not positive.
    """
    samples = as_sample_matrix(samples, "samples")
    centers = as_sample_matrix(centers, "centers")
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"samples have {samples.shape[1]} features but centers have "
            f"{centers.shape[1]} (shapes {samples.shape} and {centers.shape})"
        )
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be positive and finite, got {sigma}")
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be positive and finite, got {threshold}")

    # Distances by direct differences, shape (n, K): exact for small sigma.
    offsets = samples[:, None, :] - centers[None, :, :]
    distances = np.sqrt(np.einsum("nkd,nkd->nk", offsets, offsets))
    nearest = np.argmin(distances, axis=1)
    nearest_distance = distances[np.arange(samples.shape[0]), nearest]

    high_quality = nearest_distance <= threshold * sigma
    mode_counts = np.bincount(nearest[high_quality], minlength=centers.shape[0])
    return {
        "modes_captured": int(np.count_nonzero(mode_counts)),
        "num_modes": int(centers.shape[0]),
        "high_quality_fraction": float(np.mean(high_quality)),
        "mode_counts": [int(count) for count in mode_counts],
        "reverse_kl": kl_to_uniform(mode_counts),
    }
