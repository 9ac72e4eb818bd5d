"""Input checks and BLAS thread control shared by the metric modules."""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager

import numpy as np
from threadpoolctl import ThreadpoolController


def as_sample_matrix(values, name: str, min_rows: int = 1) -> np.ndarray:
    """Return ``values`` as a finite float64 array of shape (n, d).

    A 1-D array of shape (n,) becomes (n, 1). The error names the argument, its shape
    and, for non-finite values, the first bad row.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n,) or (n, d), got {array.shape}; "
            "flatten each sample to one row"
        )
    if array.shape[0] < min_rows:
        raise ValueError(
            f"{name} needs at least {min_rows} samples, got {array.shape[0]} "
            f"(shape {array.shape})"
        )
    if array.shape[1] < 1:
        raise ValueError(f"{name} has no features, got shape {array.shape}")
    finite_rows = np.all(np.isfinite(array), axis=1)
    if not np.all(finite_rows):
        bad = int(np.argmin(finite_rows))
        raise ValueError(
            f"{name} contains NaN or infinite values, first at row {bad}; "
            "metrics are defined for finite samples only"
        )
    return array


def as_rng(rng: np.random.Generator | None) -> np.random.Generator:
    """Return ``rng``, or a generator seeded with 0 when it is None."""
    if rng is None:
        return np.random.default_rng(0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}"
        )
    return rng


def subsample_rows(
    array: np.ndarray, max_rows: int, rng: np.random.Generator
) -> np.ndarray:
    """Return at most ``max_rows`` rows of ``array``, drawn without replacement."""
    if array.shape[0] <= max_rows:
        return array
    index = rng.choice(array.shape[0], size=max_rows, replace=False)
    return array[index]


@functools.cache
def _threadpool_controller() -> ThreadpoolController:
    # Scanning the loaded libraries takes milliseconds, so it happens once.
    return ThreadpoolController()


def single_blas_thread() -> AbstractContextManager:
    """Return a context that limits BLAS libraries to one thread while it is active.

    The metrics multiply thin matrices, such as (512, 4) by (4, 2000). On a machine
    whose 2 cores were busy with other processes, OpenBLAS with 2 threads made
    ``mmd2_unbiased`` on 2,000 points per side 2 to 10 times slower than with one
    thread (76-440 ms against 30-45 ms, measured with ``python -m
    models.metrics.timing``). The limit is process-wide, so BLAS calls
    in other threads also run on one thread until the context exits.
    """
    return _threadpool_controller().limit(limits=1, user_api="blas")
