"""The user's own data in the window: files of points, image folders and drawings."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from models.datasets import Dataset, from_points
from widgets.draw_canvas import DrawCanvas

logger = logging.getLogger(__name__)

MIN_DRAWN_POINTS = 10
"""Minimum number of drawn points that a GAN may train on."""


def load_data_path(path) -> Dataset:
    """Load points from a CSV/TXT/NPY file, or images from a folder.

    Raises
    ------
    ValueError
        With a message that names the file and what is wrong with it.
    """
    from models.user_data import load_user_data

    dataset = load_user_data(Path(path))
    logger.info(
        "loaded %d samples of dimension %d from %s",
        len(dataset.samples),
        dataset.dim,
        path,
    )
    return dataset


def dataset_from_drawing(points: np.ndarray) -> Dataset:
    """Wrap drawn points of shape (n, 2) as the custom data set.

    Raises
    ------
    ValueError
        If fewer than ``MIN_DRAWN_POINTS`` points were drawn.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) < MIN_DRAWN_POINTS:
        raise ValueError(
            f"draw at least {MIN_DRAWN_POINTS} points; the drawing has {len(points)}"
        )
    return from_points(points, name="custom")


class DrawDataDialog(QDialog):
    """A dialog with a drawing canvas whose points become the training data.

    Parameters
    ----------
    seed : int or None
        Seed of the brush's jitter.
    """

    def __init__(self, parent=None, seed: int | None = None):
        super().__init__(parent)
        self.setWindowTitle("Draw a 2-D distribution")
        self.resize(640, 680)

        # Build widgets.
        self.canvas = DrawCanvas(seed=seed)
        hint = QLabel(
            "Press and drag to spray points; denser strokes mean more probability "
            "there. The generator learns whatever you draw."
        )
        hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Train on these points"
        )
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.canvas, stretch=1)
        layout.addWidget(self.buttons)

        # Wire signals.
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.canvas.points_changed.connect(self._on_canvas_points_changed)
        self._on_canvas_points_changed(0)

    def _on_canvas_points_changed(self, count: int) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(count >= MIN_DRAWN_POINTS)

    def points(self) -> np.ndarray:
        return self.canvas.points()
