"""Load the user's own data: 1-D or 2-D points from CSV or NPY, or a folder of images.

Every loader validates what it reads and raises ValueError with a message that names
the file and the problem, so a bad file never reaches training.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from models.datasets import Dataset, from_points, point_problem

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
MAX_POINTS = 1_000_000
MAX_IMAGES = 20_000
MAX_FILE_BYTES = 200 * 1024 * 1024


def load_user_data(path, image_size: int = 8) -> Dataset:
    """Load points from a .csv/.txt/.npy file, or images from a folder.

    Parameters
    ----------
    path : str or Path
        A file of points, shape (n,), (n, 1) or (n, 2), or a folder of images.
    image_size : int
        Side in pixels of the square each image is resized to.

    Raises
    ------
    ValueError
        If the path is missing or the content is unusable; the message names the
        file and what is wrong with it.
    """
    path = Path(path)
    if path.is_dir():
        return load_image_folder(path, image_size)
    if not path.is_file():
        raise ValueError(f"{path} does not exist")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path} is empty")
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path} is {size / 1e6:.0f} MB; the limit is 200 MB")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        points = _read_npy(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        points = _read_text(path)
    else:
        raise ValueError(
            f"{path} has suffix {suffix or '(none)'}; use .csv, .txt, .npy or a "
            "folder of images"
        )
    if points.ndim == 2 and points.shape[1] > 2:
        raise ValueError(
            f"{path} has {points.shape[1]} columns; points must have 1 or 2"
        )
    if len(points) > MAX_POINTS:
        raise ValueError(f"{path} has {len(points):,} points; the limit is 1,000,000")
    try:
        return from_points(points, name="custom")
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


NPY_MAGIC = b"\x93NUMPY"
"""First bytes of every NPY file (NumPy's NPY format specification)."""


def _read_npy(path: Path) -> np.ndarray:
    # Without this check np.load takes any other file for a pickle and fails
    # with a message about pickled data.
    try:
        with path.open("rb") as stream:
            start = stream.read(len(NPY_MAGIC))
    except OSError as error:
        raise ValueError(f"{path} is not a readable NPY file: {error}") from error
    if start != NPY_MAGIC:
        raise ValueError(f"{path} is not a valid NPY file: it lacks the NPY header")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        if "pickle" in str(error):
            # Object arrays need pickle, which could run code from the file.
            raise ValueError(
                f"{path} is not a plain numeric NPY file: it contains Python objects"
            ) from error
        raise ValueError(f"{path} is not a readable NPY file: {error}") from error
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} is not a readable NPY file: {error}") from error
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(f"{path} contains {array.dtype} values, not real numbers")
    if array.size == 0:
        raise ValueError(f"{path} contains no values")
    return np.asarray(array, dtype=np.float64)


def _read_text(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a UTF-8 text file") from error
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f for f in line.replace(",", " ").replace(";", " ").split() if f]
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if not rows:
                continue  # a header line
            raise ValueError(
                f"{path} line {number} is not numeric: {line[:60]!r}"
            ) from None
        if rows and len(values) != len(rows[0]):
            raise ValueError(
                f"{path} line {number} has {len(values)} columns, the first data "
                f"line has {len(rows[0])}"
            )
        problem = point_problem(values)
        if problem:
            raise ValueError(f"{path} line {number} ({line[:60]!r}) {problem}")
        rows.append(values)
    if not rows:
        raise ValueError(f"{path} contains no numeric rows")
    return np.array(rows, dtype=np.float64)


def load_image_folder(folder: Path, image_size: int = 8) -> Dataset:
    """Read every image in folder as grayscale, resized to image_size².

    Dark pixels are ink: values are 1 - brightness, on a 0-1 scale, so pen strokes
    on white paper read like the digits data set.

    Raises
    ------
    ValueError
        If the folder contains no readable image, or more than 20,000.
    """
    from PIL import Image, UnidentifiedImageError

    if not 2 <= image_size <= 64:
        raise ValueError(f"image size must be from 2 to 64 pixels, got {image_size}")
    files = sorted(
        p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        raise ValueError(f"{folder} contains no images ({', '.join(IMAGE_SUFFIXES)})")
    if len(files) > MAX_IMAGES:
        raise ValueError(
            f"{folder} contains {len(files):,} images; the limit is 20,000"
        )
    images = []
    skipped = []
    for file in files:
        try:
            with Image.open(file) as image:
                gray = image.convert("L").resize(
                    (image_size, image_size), Image.Resampling.LANCZOS
                )
                images.append(1.0 - np.asarray(gray, dtype=np.float32) / 255.0)
        except (OSError, UnidentifiedImageError, ValueError) as error:
            skipped.append(file.name)
            logger.warning("skipping unreadable image %s: %s", file, error)
    if len(images) < 2:
        raise ValueError(
            f"{folder} contains {len(images)} readable image(s); at least 2 are needed"
            + (f" (unreadable: {', '.join(skipped[:5])})" if skipped else "")
        )
    samples = np.stack(images).reshape(len(images), -1)
    dim = samples.shape[1]
    return Dataset(
        name="custom",
        samples=samples,
        shift=np.full(dim, 0.5, dtype=np.float32),
        scale=np.full(dim, 0.5, dtype=np.float32),
        image_shape=(image_size, image_size),
        value_range=(0.0, 1.0),
    )
