"""Pure numpy helpers for batches of small images."""

from __future__ import annotations

import math

import numpy as np


def tile_images(
    images: np.ndarray, columns: int | None = None, gap: int = 1, fill: float = np.nan
) -> np.ndarray:
    """Arrange images of shape (n, h, w) in a row-major mosaic with gaps.

    Image k goes to row k // columns, column k % columns, so the first image is at
    the top left when the mosaic is drawn with its first row at the top.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, h, w), got {images.shape}")
    n, h, w = images.shape
    columns = columns or max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / columns))
    mosaic = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), fill)
    for k in range(n):
        r, c = divmod(k, columns)
        mosaic[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = (
            images[k]
        )
    return mosaic
