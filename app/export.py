"""Export plots, samples, image grids and animated GIFs of a run.

Plots go through pyqtgraph's exporters (``ImageExporter`` for PNG, ``SVGExporter``
for SVG, ``CSVExporter`` for the curves' data). Every file is written to a temporary
name in the target folder and renamed, so a failed export never leaves half a file.
"""

from __future__ import annotations

import html
import io
import logging
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters as exporters
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from models.checkpoint import atomic_write_bytes, atomic_write_text

logger = logging.getLogger(__name__)

PLOT_SUFFIXES = (".png", ".svg", ".csv")
SAMPLE_SUFFIXES = (".csv", ".npy")

GIF_MAX_FRAMES = 200
GIF_MAX_WIDTH = 720
GIF_FRAME_MS = 100


class ExportError(ValueError):
    """Raised when an export has nothing to write or cannot write its file."""


def plot_items(root: QWidget) -> list[tuple[str, pg.PlotItem]]:
    """Return (title, plot) for every visible pyqtgraph plot below ``root``.

    Untitled plots are named by their axis labels, then by number.
    """
    found = []
    for view in root.findChildren(pg.GraphicsView):
        if not view.isVisible():
            continue
        for item in view.scene().items():
            # A ColorBarItem is a PlotItem too, but only a colour scale.
            if (
                isinstance(item, pg.PlotItem)
                and not isinstance(item, pg.ColorBarItem)
                and item.isVisible()
            ):
                found.append(item)
    named = []
    used: set[str] = set()
    for number, plot in enumerate(found, start=1):
        name = _plot_title(plot) or f"Plot {number}"
        while name in used:
            name = f"{name} ({number})"
        used.add(name)
        named.append((name, plot))
    return named


def _plot_title(plot: pg.PlotItem) -> str:
    title = _plain(plot.titleLabel.text) if plot.titleLabel.isVisible() else ""
    if title:
        return title
    left = _plain(plot.getAxis("left").labelText)
    bottom = _plain(plot.getAxis("bottom").labelText)
    return f"{left} over {bottom}" if left and bottom else ""


def _plain(text: str | None) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text or "")).strip()


def export_plot(plot: pg.PlotItem, path, scale: float = 2.0) -> Path:
    """Write a plot as PNG (``scale`` times its size on screen), SVG or CSV.

    The format follows the suffix. CSV contains the x and y columns of every curve
    and scatter; heat maps and images have no CSV form.

    Raises
    ------
    ExportError
        If the suffix is not .png, .svg or .csv, or the file cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".png":
            exporter = exporters.ImageExporter(plot)
            width = int(plot.boundingRect().width() * scale)
            exporter.parameters()["width"] = max(width, 200)
            image = exporter.export(toBytes=True)
            atomic_write_bytes(path, _png_bytes(image))
        elif suffix == ".svg":
            atomic_write_bytes(path, _svg_bytes(plot))
        elif suffix == ".csv":
            _export_plot_csv(plot, path)
        else:
            raise ExportError(
                f"cannot export a plot as {suffix or 'a file without suffix'}; "
                f"use {', '.join(PLOT_SUFFIXES)}"
            )
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error}") from error
    logger.info("exported plot %r to %s", _plot_title(plot), path)
    return path


def _svg_bytes(plot: pg.PlotItem) -> bytes:
    try:
        return bytes(exporters.SVGExporter(plot).export(toBytes=True))
    except ValueError:
        # NOTE: pyqtgraph 0.14.0's SVGExporter cannot parse the path data that Qt
        # 6.11 writes, so Qt renders the SVG itself; upstream report:
        # https://github.com/pyqtgraph/pyqtgraph/issues/3485
        logger.info("pyqtgraph's SVG export failed; using QSvgGenerator", exc_info=True)
        return _qt_svg_bytes(plot)


def _qt_svg_bytes(plot: pg.PlotItem) -> bytes:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    source = plot.sceneBoundingRect()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(_plot_title(plot) or "plot")
    painter = QPainter(generator)
    try:
        plot.scene().render(
            painter, QRectF(0, 0, source.width(), source.height()), source
        )
    finally:
        painter.end()
    return bytes(buffer.data())


def _export_plot_csv(plot: pg.PlotItem, path: Path) -> None:
    has_data = any(
        hasattr(item, "implements") and item.implements("plotData")
        for item in plot.items
    )
    if not has_data:
        raise ExportError("this plot has no curves or points to write as CSV")
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".csv"
    )
    os.close(handle)
    try:
        exporters.CSVExporter(plot).export(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_samples(samples: np.ndarray, path) -> Path:
    """Write samples of shape (n, dim) as CSV (columns x1, x2, …) or NPY.

    Raises
    ------
    ExportError
        If there are no samples, the suffix is not .csv or .npy, or the file
        cannot be written.
    """
    path = Path(path)
    if samples is None or len(samples) == 0:
        raise ExportError("there are no samples to export yet; Start or Step first")
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            buffer = io.BytesIO()
            np.save(buffer, samples.astype(np.float32))
            atomic_write_bytes(path, buffer.getvalue())
        elif suffix == ".csv":
            header = ",".join(f"x{i + 1}" for i in range(samples.shape[1]))
            buffer = io.StringIO()
            np.savetxt(buffer, samples, delimiter=",", header=header, comments="")
            atomic_write_text(path, buffer.getvalue())
        else:
            raise ExportError(
                f"cannot export samples as {suffix or 'a file without suffix'}; "
                f"use {', '.join(SAMPLE_SUFFIXES)}"
            )
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error}") from error
    logger.info("exported %d samples to %s", len(samples), path)
    return path


def export_image_grid(grid, path, pixel_size: int = 8) -> Path:
    """Write the mosaic of an ``ImageGrid`` as a PNG, each pixel ``pixel_size`` wide.

    Raises
    ------
    ExportError
        If the grid shows no images, or the file cannot be written.
    """
    from PIL import Image

    path = Path(path)
    rgba = grid.image.image
    if rgba is None or rgba.size == 0:
        raise ExportError("the image grid is empty; Start or Step first")
    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), mode="RGB")
    image = image.resize(
        (image.width * pixel_size, image.height * pixel_size), Image.Resampling.NEAREST
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error}") from error
    logger.info("exported a %dx%d image grid to %s", image.width, image.height, path)
    return path


def _png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("Qt could not encode the image as PNG")
    return bytes(buffer.data())


class GifRecorder:
    """Collect frames of a widget and write them as an animated GIF.

    Frames are grabbed at most every ``min_interval_s`` seconds and scaled to at
    most ``max_width`` pixels. When ``max_frames`` are stored, every second frame
    is dropped and from then on only every second new frame is kept, so a run of
    any length is kept as evenly spaced frames within the cap.

    Parameters
    ----------
    max_frames : int
        Cap on the stored frames; must be even and at least 2.
    max_width : int
        Frames wider than this are scaled down, keeping the aspect ratio.
    min_interval_s : float
        Shortest wall time between two kept frames.
    clock : callable
        Returns seconds; tests pass a fake clock.
    """

    def __init__(
        self,
        max_frames: int = GIF_MAX_FRAMES,
        max_width: int = GIF_MAX_WIDTH,
        min_interval_s: float = 0.1,
        clock=time.monotonic,
    ):
        if max_frames < 2 or max_frames % 2:
            raise ValueError(f"max_frames must be even and >= 2, got {max_frames}")
        self.max_frames = max_frames
        self.max_width = max_width
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.frames: list = []
        self.stride = 1
        self._offered = 0
        self._last_time: float | None = None

    def __len__(self) -> int:
        return len(self.frames)

    def clear(self) -> None:
        self.frames = []
        self.stride = 1
        self._offered = 0
        self._last_time = None

    def add_frame(self, widget: QWidget) -> bool:
        """Grab ``widget`` as a frame; return whether the frame was kept."""
        now = self.clock()
        if self._last_time is not None and now - self._last_time < self.min_interval_s:
            return False
        if not self._take_next():
            return False
        self._last_time = now
        self._store(widget.grab().toImage())
        return True

    def add_image(self, image: QImage) -> bool:
        """Offer a QImage as the next frame; return whether it was kept."""
        if not self._take_next():
            return False
        self._store(image)
        return True

    def _take_next(self) -> bool:
        # Keep every stride-th offered frame; grabbing the others is skipped.
        offered = self._offered
        self._offered += 1
        return offered % self.stride == 0

    def _store(self, image: QImage) -> None:
        from PIL import Image

        if image.width() > self.max_width:
            image = image.scaledToWidth(
                self.max_width, Qt.TransformationMode.SmoothTransformation
            )
        image = image.convertToFormat(QImage.Format.Format_RGB888)
        width, height = image.width(), image.height()
        data = np.frombuffer(image.constBits(), dtype=np.uint8)
        rows = data.reshape(height, image.bytesPerLine())[:, : width * 3]
        frame = Image.fromarray(rows.reshape(height, width, 3).copy(), mode="RGB")
        # A palette per frame keeps memory at one byte per pixel.
        self.frames.append(frame.quantize(colors=255, method=Image.Quantize.MEDIANCUT))
        if len(self.frames) > self.max_frames:
            self.frames = self.frames[::2]
            self.stride *= 2

    def save(self, path, frame_ms: int = GIF_FRAME_MS) -> Path:
        """Write the frames as a looping GIF, ``frame_ms`` milliseconds each.

        Raises
        ------
        ExportError
            If no frame was recorded or the file cannot be written.
        """
        path = Path(path)
        if not self.frames:
            raise ExportError(
                "no frames were recorded; start Record GIF, then run the model"
            )
        if path.suffix.lower() != ".gif":
            raise ExportError(f"an animation is written as .gif, got {path.name}")
        size = self.frames[0].size
        frames = [f if f.size == size else f.resize(size) for f in self.frames]
        buffer = io.BytesIO()
        frames[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=frame_ms,
            loop=0,
        )
        try:
            atomic_write_bytes(path, buffer.getvalue())
        except OSError as error:
            raise ExportError(f"cannot write {path}: {error}") from error
        logger.info("wrote a GIF of %d frames to %s", len(frames), path)
        return path
