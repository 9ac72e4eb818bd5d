"""Data sets the generators learn: 1-D and 2-D toy distributions and real 8x8 digits.

Every data set is a :class:`Dataset`: a fixed array of real samples in data
coordinates plus the affine map to the normalised coordinates the networks see.
Toy sets are drawn once from a seeded ``numpy.random.Generator``, so a run with the
same seed trains on the same points.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

RING8_SIGMA = 0.01
GRID25_SIGMA = 0.05
DIGITS_MAX = 16.0

MIXTURE_POINTS = 200_000
"""Points drawn by default for ``ring8`` and ``grid25``.

With 10,000 points, GANs on these mixtures got worse late in training, most likely
because the discriminator fits the individual real points. With the default grid25
settings and seed 0, 5,000 steps ended at 21 of 25 modes and 69 % of the samples
within 3σ of a mode on 10,000 points, and at 25 modes and 99.8 % on 200,000 points
(benchmarks/gan_quality.py). The points take 1.6 MB.
"""

TOY_POINTS = 10_000
"""Points drawn by default for the other toy data sets."""

MAX_ABS_VALUE = 1e30
"""Largest magnitude of a coordinate of the user's points. The networks compute in
32-bit floats, which end at 3.4e38, and standardising squares the values."""

POINT_DATASETS = ("gauss1d", "ring8", "grid25", "moons", "spiral")
DATASET_NAMES = (*POINT_DATASETS, "digits")


@dataclass(frozen=True)
class Dataset:
    """Real samples and how to map them to and from network coordinates.

    Attributes
    ----------
    name : str
        Identifier such as ``"ring8"`` or ``"digits"``.
    samples : numpy.ndarray
        Real samples in data coordinates, shape (n, dim), float32.
    shift, scale : numpy.ndarray
        Per-feature affine map: ``normalised = (samples - shift) / scale``.
    image_shape : tuple of int or None
        (height, width) when each sample is a row-major image, else None.
    value_range : tuple of float or None
        Range of pixel values in data coordinates for images, else None.
    modes : numpy.ndarray or None
        Centers of the mixture components for Gaussian mixtures, shape (k, dim).
    mode_sigma : float or None
        Standard deviation of each mixture component.
    labels : numpy.ndarray or None
        Class labels of real samples where the data set has them (digits).
    """

    name: str
    samples: np.ndarray
    shift: np.ndarray
    scale: np.ndarray
    image_shape: tuple[int, int] | None = None
    value_range: tuple[float, float] | None = None
    modes: np.ndarray | None = None
    mode_sigma: float | None = None
    labels: np.ndarray | None = field(default=None, repr=False)

    @property
    def dim(self) -> int:
        return int(self.samples.shape[1])

    @property
    def is_image(self) -> bool:
        return self.image_shape is not None

    def normalise(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.shift) / self.scale).astype(np.float32)

    def denormalise(self, z: np.ndarray) -> np.ndarray:
        x = np.asarray(z, dtype=np.float64) * self.scale + self.shift
        if self.value_range is not None:
            x = np.clip(x, *self.value_range)
        return x

    def bounds(self, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
        """Return per-feature (low, high) limits that frame the real samples."""
        low = self.samples.min(axis=0).astype(np.float64)
        high = self.samples.max(axis=0).astype(np.float64)
        pad = np.maximum((high - low) * margin, 1e-3)
        return low - pad, high + pad


def _mixture(centers: np.ndarray, sigma: float, n: int, rng: np.random.Generator):
    index = rng.integers(len(centers), size=n)
    return centers[index] + sigma * rng.standard_normal((n, centers.shape[1]))


def ring8_centers() -> np.ndarray:
    """Return the 8 centers on the unit circle at angles 2πk/8, k = 0..7."""
    angles = 2 * np.pi * np.arange(8) / 8
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid25_centers() -> np.ndarray:
    """Return the 25 centers of the grid {-4, -2, 0, 2, 4}²."""
    ticks = np.arange(-4.0, 5.0, 2.0)
    xx, yy = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


GAUSS1D_MEANS = np.array([[-2.0], [0.5], [2.5]])
GAUSS1D_SIGMAS = np.array([0.5, 0.3, 0.6])
GAUSS1D_WEIGHTS = np.array([0.3, 0.3, 0.4])


def _gauss1d(n: int, rng: np.random.Generator) -> np.ndarray:
    index = rng.choice(3, size=n, p=GAUSS1D_WEIGHTS)
    return GAUSS1D_MEANS[index] + GAUSS1D_SIGMAS[index, None] * rng.standard_normal(
        (n, 1)
    )


def _moons(n: int, rng: np.random.Generator, noise: float = 0.06) -> np.ndarray:
    upper = rng.random(n) < 0.5
    t = np.pi * rng.random(n)
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x, y], axis=1)
    return points + noise * rng.standard_normal((n, 2))


def _spiral(n: int, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    # Two turns of an Archimedean spiral, denser samples further out.
    t = np.sqrt(rng.random(n)) * 4 * np.pi
    r = t / (4 * np.pi)
    points = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    return points + noise * rng.standard_normal((n, 2))


@functools.lru_cache(maxsize=1)
def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def make_dataset(name: str, n: int | None = None, seed: int = 0) -> Dataset:
    """Build a data set by name.

    Parameters
    ----------
    name : str
        One of ``gauss1d``, ``ring8``, ``grid25``, ``moons``, ``spiral``, ``digits``.
    n : int, optional
        Number of points drawn for the toy sets; by default :data:`MIXTURE_POINTS`
        for ``ring8`` and ``grid25`` and :data:`TOY_POINTS` for the others. Ignored
        for ``digits``, which always holds the 1,797 images of
        ``sklearn.datasets.load_digits``.
    seed : int
        Seed of the generator that draws the toy points.

    Raises
    ------
    ValueError
        If the name is unknown or n is not positive.
    """
    if name not in DATASET_NAMES:
        raise ValueError(
            f"unknown data set {name!r}; choose one of {', '.join(DATASET_NAMES)}"
        )
    if n is None:
        n = MIXTURE_POINTS if name in ("ring8", "grid25") else TOY_POINTS
    if n < 1:
        raise ValueError(f"number of samples must be positive, got {n}")
    rng = np.random.default_rng(seed)

    if name == "digits":
        images, labels = _load_digits()
        half = DIGITS_MAX / 2
        return Dataset(
            name=name,
            samples=images,
            shift=np.full(64, half, dtype=np.float32),
            scale=np.full(64, half, dtype=np.float32),
            image_shape=(8, 8),
            value_range=(0.0, DIGITS_MAX),
            labels=labels,
        )

    modes = None
    mode_sigma = None
    if name == "gauss1d":
        samples = _gauss1d(n, rng)
        modes = GAUSS1D_MEANS
    elif name == "ring8":
        modes, mode_sigma = ring8_centers(), RING8_SIGMA
        samples = _mixture(modes, mode_sigma, n, rng)
    elif name == "grid25":
        modes, mode_sigma = grid25_centers(), GRID25_SIGMA
        samples = _mixture(modes, mode_sigma, n, rng)
    elif name == "moons":
        samples = _moons(n, rng)
    else:
        samples = _spiral(n, rng)
    return from_points(samples, name=name, modes=modes, mode_sigma=mode_sigma)


def point_problem(point) -> str:
    """Describe why a point cannot be used, or return "" when it can.

    The description continues a phrase such as "line 3", for example "contains a
    NaN or infinite value".
    """
    values = np.asarray(point, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        return "contains a NaN or infinite value"
    if np.any(np.abs(values) > MAX_ABS_VALUE):
        return (
            f"has a value beyond ±{MAX_ABS_VALUE:.0e}, the limit for training in "
            "32-bit floats; divide the data by a common factor"
        )
    return ""


def from_points(
    samples: np.ndarray,
    name: str = "points",
    modes: np.ndarray | None = None,
    mode_sigma: float | None = None,
) -> Dataset:
    """Wrap an (n,), (n, 1) or (n, 2) array of points as a data set.

    The networks see points standardised by one common scale for all features, so a
    2-D data set keeps its aspect ratio.

    Raises
    ------
    ValueError
        If the array has the wrong shape, fewer than 2 rows, or a value that is
        not finite or beyond ±`MAX_ABS_VALUE`. The message counts rows from 1.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[1] not in (1, 2):
        raise ValueError(
            f"points must have shape (n,), (n, 1) or (n, 2), got {samples.shape}"
        )
    if samples.shape[0] < 2:
        raise ValueError(f"need at least 2 points, got {samples.shape[0]}")
    usable = np.all(np.isfinite(samples) & (np.abs(samples) <= MAX_ABS_VALUE), 1)
    if not np.all(usable):
        bad = int(np.argmin(usable))
        raise ValueError(
            f"row {bad + 1} of {len(samples)} {point_problem(samples[bad])}"
        )
    shift = samples.mean(axis=0)
    scale = float(samples.std(axis=0).max())
    if scale <= 0:
        scale = 1.0
    return Dataset(
        name=name,
        samples=samples.astype(np.float32),
        shift=shift.astype(np.float32),
        scale=np.full(samples.shape[1], scale, dtype=np.float32),
        modes=modes,
        mode_sigma=mode_sigma,
    )
