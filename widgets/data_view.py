"""Real and generated data of any kind, with a scalar field such as D(x) behind it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QWidget

from models.datasets import Dataset
from widgets.histogram_view import HistogramView
from widgets.image_grid import ImageGrid
from widgets.point_view import PointView
from widgets.style import witness_colormap


@dataclass(frozen=True)
class FieldView:
    """The snapshot keys and colouring of a scalar field over the data space.

    Attributes
    ----------
    label : str
        Name of the field on the colour bar and the curve's axis.
    curve_key, map_key : str
        Snapshot keys of the 1-D curve (``x`` and the values) and of the 2-D map
        (``x``, ``y`` and the values).
    value_key : str
        Key of the values inside both.
    symmetric : bool
        False for a field in [0, 1] with the reference line at 0.5. True for a
        field of either sign, coloured symmetrically around 0 by the largest
        absolute value.
    """

    label: str
    curve_key: str
    map_key: str
    value_key: str
    symmetric: bool = False

    def colormap(self) -> pg.ColorMap | None:
        return witness_colormap() if self.symmetric else None


DISCRIMINATOR_FIELD = FieldView("D(x)", "d_curve", "d_map", "d")
WITNESS_FIELD = FieldView(
    "witness f(x)", "witness_curve", "witness_map", "witness", symmetric=True
)


def symmetric_levels(values: np.ndarray) -> tuple[float, float]:
    """Return (-a, a) with a the largest finite absolute value, at least 1e-12."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.abs(values[np.isfinite(values)])
    largest = float(finite.max()) if finite.size else 0.0
    largest = max(largest, 1e-12)
    return -largest, largest


class DataView(QStackedWidget):
    """Real and generated data: a histogram, a scatter over a field, or digit grids.

    Parameters
    ----------
    field : FieldView
        The field drawn behind 2-D points and below 1-D histograms.
    title : str
        Title of the 2-D plot.
    """

    def __init__(
        self,
        parent=None,
        field: FieldView = DISCRIMINATOR_FIELD,
        title: str = "Real vs generated over D(x)",
    ):
        super().__init__(parent)
        self.field = field
        if field.symmetric:
            self.histogram = HistogramView(
                curve_label=field.label, curve_range=None, reference=0.0
            )
        else:
            self.histogram = HistogramView(curve_label=field.label)
        self.points = PointView(
            field_label=field.label,
            title=title,
            colormap=field.colormap(),
            levels=(-1.0, 1.0) if field.symmetric else (0.0, 1.0),
        )
        images = QWidget()
        layout = QHBoxLayout(images)
        layout.setContentsMargins(0, 0, 0, 0)
        self.real_images = ImageGrid(title="Real digits")
        self.generated_images = ImageGrid(title="Generated from fixed noise")
        layout.addWidget(self.real_images)
        layout.addWidget(self.generated_images)
        self.images = images
        for page in (self.histogram, self.points, self.images):
            self.addWidget(page)
        self.dataset: Dataset | None = None

    def set_title(self, title: str) -> None:
        """Set the title of the 2-D plot and of the generated digits' grid."""
        self.points.getPlotItem().setTitle(title)
        self.generated_images.set_title(title)

    def show_dataset(self, dataset: Dataset) -> None:
        """Switch to the right page for the data and draw the real samples."""
        self.dataset = dataset
        if dataset.is_image:
            self.setCurrentWidget(self.images)
            real = dataset.samples[:64].reshape(-1, *dataset.image_shape)
            self.real_images.set_images(real, dataset.value_range)
            self.generated_images.clear_data()
        elif dataset.dim == 1:
            self.setCurrentWidget(self.histogram)
            self.histogram.set_real(dataset.samples[:, 0])
            self.histogram.clear_data()
        else:
            self.setCurrentWidget(self.points)
            self.points.set_real(dataset.samples)
            self.points.clear_data()

    def show_snapshot(self, snapshot: dict) -> None:
        """Draw the snapshot's ``generated`` samples and its field, if it has one."""
        dataset = self.dataset
        field = self.field
        generated = snapshot["generated"]
        if dataset.is_image:
            images = generated.reshape(-1, *dataset.image_shape)
            self.generated_images.set_images(images, dataset.value_range)
        elif dataset.dim == 1:
            self.histogram.set_generated(generated[:, 0])
            curve = snapshot.get(field.curve_key)
            if curve is not None:
                self.histogram.set_curve(curve["x"], curve[field.value_key])
        else:
            self.points.set_generated(generated)
            field_map = snapshot.get(field.map_key)
            if field_map is not None:
                values = field_map[field.value_key]
                levels = symmetric_levels(values) if field.symmetric else None
                self.points.set_field(field_map["x"], field_map["y"], values, levels)

    def clear_data(self) -> None:
        """Remove generated samples and fields, keeping the real data."""
        self.histogram.clear_data()
        self.points.clear_data()
        self.generated_images.clear_data()
