"""Write sample arrays to .npy or CSV files atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

SUFFIXES = (".npy", ".csv")


def write_samples(path, array: np.ndarray, table: np.ndarray, columns) -> Path:
    """Write ``array`` to a .npy file or ``table`` to a CSV file, by suffix.

    The file is written under a temporary name in the same folder and renamed,
    so a failed write leaves no partial file and never truncates an old one.

    Parameters
    ----------
    path : str or Path
        Ends in .npy or .csv.
    array : ndarray
        What a .npy file contains, in any shape.
    table : ndarray, shape (rows,) or (rows, len(columns))
        What a CSV file contains, one row per sample.
    columns : sequence of str
        Names for the CSV header.

    Raises
    ------
    ValueError
        If the suffix is neither .npy nor .csv.
    OSError
        If the folder does not exist or cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"export file {path.name!r} must end in .npy or .csv")
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            if suffix == ".npy":
                np.save(stream, array)
            else:
                np.savetxt(
                    stream,
                    table,
                    delimiter=",",
                    header=",".join(columns),
                    comments="",
                    fmt="%.17g",
                )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
