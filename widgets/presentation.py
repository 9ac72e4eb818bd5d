"""Presenter styling: large fonts, thick lines and high contrast for a projector.

:class:`PresentationStyle` walks every pyqtgraph view below a widget, scales pens,
marker sizes and fonts, and remembers the originals so that ``restore`` puts them
back. It changes items that exist when ``apply`` is called; items created later keep
their normal style until the next ``apply``.
"""

from __future__ import annotations

import logging

import pyqtgraph as pg
from PySide6.QtGui import QFont, QPen
from PySide6.QtWidgets import QWidget

logger = logging.getLogger(__name__)

BASE_TEXT_PT = 11.0
"""Point size of plot titles and axis labels outside presenter mode."""

TITLE_SCALE = 1.3
"""Largest factor for plot titles, which are often as wide as their plot."""


class PresentationStyle:
    """Scale the look of plots and widgets below a root widget, reversibly.

    Parameters
    ----------
    font_scale : float
        Factor for the window's font and the plots' text.
    line_scale : float
        Factor for pen widths and marker sizes.
    """

    def __init__(self, font_scale: float = 1.6, line_scale: float = 2.0):
        if not (font_scale > 0 and line_scale > 0):
            raise ValueError(
                f"scales must be positive, got {font_scale} and {line_scale}"
            )
        self.font_scale = font_scale
        self.line_scale = line_scale
        self.active = False
        self._undo: list = []
        self._root: QWidget | None = None
        self._root_font: QFont | None = None
        self._root_style = ""

    def apply(self, root: QWidget) -> None:
        """Enlarge everything below ``root``; a second call first restores."""
        if self.active:
            self.restore()
        self._root = root
        self._root_font = QFont(root.font())
        self._root_style = root.styleSheet()
        font = QFont(root.font())
        font.setPointSizeF(font.pointSizeF() * self.font_scale)
        root.setFont(font)
        root.setStyleSheet(
            self._root_style + "\nQLabel, QGroupBox, QCheckBox { color: black; }"
        )
        for view in root.findChildren(pg.GraphicsView):
            for item in view.scene().items():
                self._style_item(item)
        self.active = True

    def restore(self) -> None:
        """Put back every font, pen and size that ``apply`` changed."""
        for undo in reversed(self._undo):
            try:
                undo()
            except RuntimeError:
                # The item was deleted since; nothing to restore.
                logger.debug("presentation: item gone before restore")
        self._undo = []
        if self._root is not None:
            self._root.setFont(self._root_font)
            self._root.setStyleSheet(self._root_style)
        self._root = None
        self.active = False

    def _style_item(self, item) -> None:
        if isinstance(item, pg.PlotDataItem):
            self._scale_plot_data(item)
        elif isinstance(item, pg.ScatterPlotItem):
            if item.parentItem() is None or not isinstance(
                item.parentItem(), pg.PlotDataItem
            ):
                self._scale_scatter(item)
        elif isinstance(item, pg.InfiniteLine):
            original = QPen(item.pen)
            item.setPen(self._wider(original))
            self._undo.append(lambda item=item, pen=original: item.setPen(pen))
        elif isinstance(item, pg.AxisItem):
            self._scale_axis(item)
        elif isinstance(item, pg.PlotItem):
            self._scale_label(item.titleLabel, bold=True)
        elif isinstance(item, pg.LegendItem):
            original = item.opts.get("labelTextSize", "9pt")
            item.setLabelTextSize(f"{self._points(original) * self.font_scale:.0f}pt")
            # The anchor keeps the legend's corner in place only on a size change.
            item.updateSize()

            def undo(item=item, size=original):
                item.setLabelTextSize(size)
                item.updateSize()

            self._undo.append(undo)
        elif isinstance(item, pg.LabelItem) and item.text:
            parent = item.parentItem()
            if not isinstance(parent, pg.PlotItem) and not _inside_legend(item):
                self._scale_label(item, bold=True)

    def _scale_plot_data(self, item: pg.PlotDataItem) -> None:
        pen = item.opts.get("pen")
        if pen is not None:
            original = QPen(pg.mkPen(pen))
            item.setPen(self._wider(original))
            self._undo.append(lambda item=item, pen=original: item.setPen(pen))
        size = item.opts.get("symbolSize")
        if item.opts.get("symbol") is not None and size:
            item.setSymbolSize(size * self.line_scale)
            self._undo.append(lambda item=item, size=size: item.setSymbolSize(size))

    def _scale_scatter(self, item: pg.ScatterPlotItem) -> None:
        size = item.opts.get("size")
        if size:
            item.setSize(size * self.line_scale**0.5)
            self._undo.append(lambda item=item, size=size: item.setSize(size))

    def _scale_axis(self, axis: pg.AxisItem) -> None:
        pen = QPen(axis.pen())
        text_pen = QPen(axis.textPen())
        tick_font = axis.style.get("tickFont")
        style = dict(axis.labelStyle)
        font = QFont(tick_font) if tick_font is not None else QFont()
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * self.font_scale)
        axis.setTickFont(font)
        axis.setPen(pg.mkPen("k", width=max(pen.widthF(), 1.0) * self.line_scale))
        axis.setTextPen(pg.mkPen("k"))
        axis.labelStyle = {
            **style,
            "font-size": f"{BASE_TEXT_PT * self.font_scale:.0f}pt",
            "color": "#000",
        }
        axis._updateLabel()  # pyqtgraph 0.14.0 applies labelStyle only here

        def undo(axis=axis, pen=pen, text_pen=text_pen, font=tick_font, style=style):
            axis.setTickFont(font)
            axis.setPen(pen)
            axis.setTextPen(text_pen)
            axis.labelStyle = style
            axis._updateLabel()  # as above

        self._undo.append(undo)

    def _scale_label(self, label: pg.LabelItem, bold: bool) -> None:
        text = label.text
        options = dict(label.opts)
        size = self._points(options.get("size") or f"{BASE_TEXT_PT}pt")
        # Titles grow less than other text: long ones would not fit their plot.
        scale = min(self.font_scale, TITLE_SCALE)
        label.setText(text, size=f"{size * scale:.0f}pt", bold=bold)

        def undo(label=label, options=options):
            label.opts = dict(options)
            label.setText(label.text)

        self._undo.append(undo)

    def _wider(self, pen: QPen) -> QPen:
        wider = QPen(pen)
        wider.setWidthF(max(pen.widthF(), 1.0) * self.line_scale)
        wider.setCosmetic(True)
        return wider

    @staticmethod
    def _points(size) -> float:
        text = str(size).strip().lower()
        try:
            if text.endswith("pt"):
                return float(text[:-2])
            if text.endswith("px"):
                return float(text[:-2]) * 0.75
            return float(text)
        except ValueError:
            return BASE_TEXT_PT


def _inside_legend(item) -> bool:
    parent = item.parentItem()
    while parent is not None:
        if isinstance(parent, pg.LegendItem):
            return True
        parent = parent.parentItem()
    return False
