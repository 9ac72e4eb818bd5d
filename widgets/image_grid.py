"""A mosaic of small grayscale images, such as generated 8x8 digits."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from models.images import tile_images


class ImageGrid(pg.GraphicsLayoutWidget):
    """Show a batch of grayscale images as a mosaic, ink dark on a light page.

    Images are given row-major (``image[row, col]``, row 0 at the top) and drawn
    the right way up: the view's y axis points down.
    """

    def __init__(self, parent=None, title: str = "Generated samples"):
        super().__init__(parent)
        self.setBackground("w")
        self.view = self.addViewBox(
            row=1, col=0, lockAspect=True, invertY=True, enableMouse=False
        )
        self.label = self.addLabel(title, row=0, col=0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self.view.setBackgroundColor((200, 200, 200))

    def set_title(self, title: str) -> None:
        self.label.setText(title)

    def set_images(
        self, images: np.ndarray, value_range=(0.0, 16.0), columns: int | None = None
    ) -> None:
        """Draw images of shape (n, h, w) scaled by value_range."""
        mosaic = tile_images(images, columns=columns, fill=np.nan)
        low, high = value_range
        gaps = np.isnan(mosaic)
        mosaic = np.nan_to_num(mosaic, nan=low, posinf=high, neginf=low)
        mosaic = np.clip(mosaic, low, high)
        rgba = self._to_rgba(mosaic, low, high, gaps)
        self.image.setImage(rgba, levels=(0, 255), autoLevels=False)
        self.view.autoRange(padding=0.01)

    @staticmethod
    def _to_rgba(mosaic, low, high, gaps) -> np.ndarray:
        # White for the lowest value (paper), black for the highest (ink), grey gaps.
        span = high - low if high > low else 1.0
        gray = (255 * (1 - (mosaic - low) / span)).astype(np.ubyte)
        rgba = np.empty(mosaic.shape + (4,), dtype=np.ubyte)
        rgba[..., :3] = gray[..., None]
        rgba[..., 3] = 255
        rgba[gaps, :3] = (170, 170, 170)
        return rgba

    def clear_data(self) -> None:
        self.image.clear()
