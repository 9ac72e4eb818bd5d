"""Small helpers for the sampling views' plots."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QTextDocumentFragment


def finite_max(*arrays) -> float:
    """Return the largest finite value in the arrays, or 0 when there is none."""
    best = 0.0
    for values in arrays:
        if values is None:
            continue
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size:
            best = max(best, float(values.max()))
    return best


def simplify_axes(plot: pg.PlotItem) -> None:
    """Show plain tick values and draw ticks and grid lines at two levels only.

    pyqtgraph would otherwise scale a density of 0.4 to 400 with "(x0.001)" in
    the label, and draw a third level of grid lines, which adds to the paint time
    of every frame.
    """
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.enableAutoSIPrefix(False)
        axis.setStyle(maxTickLevel=1)


LEGEND_TEXT_SIZE = "8pt"
LEGEND_GAP_PX = 2
"""Space between the bottom axis and a `legend_below` legend, in pixels."""


def legend_below(plot: pg.PlotItem) -> pg.LegendItem:
    """Give ``plot`` a legend under its x axis, where it covers no data.

    Items added later with a ``name`` join it, as with ``PlotItem.addLegend``. The
    entries are laid out in as many columns as fit the plot's width, again after
    every resize. Call `fit_legend` after changing the entries.
    """
    # Anchored to the plot's bottom edge like addLegend's legend is to a corner,
    # in a bottom margin of the plot's layout that is kept as tall as the legend.
    # NOTE: a legend put into the plot's grid layout instead made the screenshot
    # command end in a segmentation fault at exit (PySide6 6.11, pyqtgraph 0.14).
    legend = pg.LegendItem(
        labelTextColor=(40, 40, 40), labelTextSize=LEGEND_TEXT_SIZE, verSpacing=-6
    )
    legend.setParentItem(plot)
    legend.anchor(itemPos=(0.5, 1), parentPos=(0.5, 1), offset=(0, -1))
    plot.legend = legend
    legend.geometryChanged.connect(lambda: _reserve_legend_space(plot))
    plot.vb.sigResized.connect(lambda _view: fit_legend(plot))
    return legend


def _reserve_legend_space(plot: pg.PlotItem) -> None:
    left, top, right, _bottom = plot.layout.getContentsMargins()
    height = plot.legend.height() if plot.legend.items else 0
    bottom = 1 + (height + LEGEND_GAP_PX if height else 0)
    if abs(bottom - _bottom) > 0.5:
        plot.layout.setContentsMargins(left, top, right, bottom)


def fit_legend(plot: pg.PlotItem) -> None:
    """Lay out a `legend_below` legend in as many columns as the plot's width fits."""
    legend = plot.legend
    if legend is None or not legend.items:
        return
    spacing = legend.layout.horizontalSpacing() + 4
    # A label's own width can be stretched by the grid, so measure its text.
    widths = [
        sample.width() + label.itemRect().width() + 2 * spacing
        for sample, label in legend.items
    ]
    columns = 1
    for count in range(len(widths), 1, -1):
        # Entry i goes to column i % count; a column is as wide as its widest entry.
        needed = sum(max(widths[start::count]) for start in range(count))
        if needed <= plot.width() - 10:
            columns = count
            break

    # LegendItem.setColumnCount (pyqtgraph 0.14) places entries by the grid's row
    # and column counts, which do not shrink when entries are removed, so place
    # every entry here.
    layout = legend.layout
    for index in range(layout.count() - 1, -1, -1):
        layout.removeAt(index)
    for index, (sample, label) in enumerate(legend.items):
        row, column = divmod(index, columns)
        layout.addItem(sample, row, 2 * column, Qt.AlignmentFlag.AlignVCenter)
        layout.addItem(label, row, 2 * column + 1)
    legend.columnCount = columns
    legend.rowCount = math.ceil(len(legend.items) / columns)

    legend.updateSize()


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
LOG_LABEL_GAP_PX = 22
"""Smallest distance between two labelled ticks of a `LogAxis`, in pixels."""
LOG_TICK_GAP_PX = 4
"""Smallest distance between two unlabelled minor ticks of a `LogAxis`."""


def _power_label(value: float) -> str:
    """Format 10**value as 2·10⁻³, 10⁴ or 1, or as 0.0031 when it is not such a
    multiple of a power of ten."""
    exponent = math.floor(value + 1e-9)
    mantissa = 10 ** (value - exponent)
    if abs(mantissa - round(mantissa)) > 1e-6:
        return f"{10**value:.3g}"
    mantissa = round(mantissa)
    if mantissa == 10:
        exponent, mantissa = exponent + 1, 1
    if exponent == 0:
        return str(mantissa)
    power = "10" + str(exponent).translate(SUPERSCRIPTS)
    return power if mantissa == 1 else f"{mantissa}·{power}"


class LogAxis(pg.AxisItem):
    """An axis for a log-mode plot whose tick labels never overlap.

    pyqtgraph 0.14 labels every tick from 1 to 9 times each power of ten when fewer
    than three decades are in view, and those labels overlap on a short axis. This
    axis labels the powers of ten, or every k-th of them when they are dense. Where
    there is room it labels 2 and 5 times them too, and on a short range every
    multiple from 1 to 9. The other multiples get ticks without labels.
    """

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.setStyle(maxTickLevel=1, maxTextLevel=0)

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802 - pyqtgraph
        low, high = sorted((minVal, maxVal))
        span = high - low
        if not (math.isfinite(span) and span > 0 and size > 0):
            return []
        pixels_per_decade = size / span
        decades = range(math.floor(low), math.ceil(high) + 1)

        def inside(values):
            return [v for v in values if low <= v <= high]

        # Label powers of ten, every step-th one (1, 2, 5, 10, 20, ...) when dense.
        powers = inside(float(d) for d in decades)
        steps = (m * 10**e for e in range(6) for m in (1, 2, 5))
        step = next(s for s in steps if s * pixels_per_decade >= LOG_LABEL_GAP_PX)
        labelled = [v for v in powers if round(v) % step == 0]

        # Where there is room, label 2 and 5 times them, or on a short range every
        # multiple from 1 to 9.
        if step == 1 and math.log10(2) * pixels_per_decade >= LOG_LABEL_GAP_PX:
            labelled += inside(d + math.log10(m) for d in decades for m in (2, 5))
        multiples = inside(d + math.log10(m) for d in decades for m in range(1, 10))
        fits_all = math.log10(10 / 9) * pixels_per_decade >= LOG_LABEL_GAP_PX
        if len(labelled) < 2 and fits_all:
            labelled = multiples
        if not labelled:
            # Less than the gap between two multiples is in view: use the coarsest
            # of pyqtgraph's evenly spaced levels that has two ticks.
            for _spacing, values in stdTicks:
                labelled = [v for v in values if low <= v <= high]
                if len(labelled) >= 2:
                    break

        # Unlabelled ticks at the other multiples, or at the powers, where visible.
        if math.log10(10 / 9) * pixels_per_decade >= LOG_TICK_GAP_PX:
            minor = multiples
        elif pixels_per_decade >= LOG_TICK_GAP_PX:
            minor = powers
        else:
            minor = []
        minor = [v for v in minor if v not in labelled]
        return [(None, sorted(labelled)), (None, minor)]

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph
        return [_power_label(v) for v in values]


SMALLEST_TITLE_PT = 7
"""Smallest font size, in points, to which `fit_title` shrinks a plot title."""


def fit_title(plot: pg.PlotItem) -> None:
    """Let the plot's title shrink with the plot instead of widening it.

    pyqtgraph makes a title's width the plot's minimum width, so a long title in a
    narrow view pushes the plot past the view's right edge, where it is cut off.
    Here the title requests no width. Whenever its width or text changes it is
    drawn at the largest size, from the size set down to `SMALLEST_TITLE_PT`, at
    which it fits, and cut short with "…" below that. ``titleLabel.text`` and its
    options keep the full title, which the tooltip shows too.
    """
    label = plot.titleLabel
    set_text = label.setText

    def set_text_and_fit(text, **options):
        set_text(text, **options)
        _fit_title_text(label)

    def update_min():
        bounds = label.itemRect()
        label.setMinimumWidth(0)
        label.setMinimumHeight(bounds.height())
        label._sizeHint = {
            Qt.SizeHint.MinimumSize: (0, bounds.height()),
            Qt.SizeHint.PreferredSize: (0, bounds.height()),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        label.updateGeometry()

    # NOTE: these replace methods of pyqtgraph's LabelItem (0.14) on this one
    # instance; LabelItem calls updateMin from setText and resizeEvent.
    label.setText = set_text_and_fit
    label.updateMin = update_min
    label.geometryChanged.connect(lambda: _fit_title_text(label))
    _fit_title_text(label)


def _fit_title_text(label: pg.LabelItem) -> None:
    width = label.width() - 4
    plain = QTextDocumentFragment.fromHtml(str(label.text)).toPlainText()
    if width <= 0 or not plain.strip():
        return

    # The largest size from the one set down to SMALLEST_TITLE_PT that fits.
    options = label.opts
    wanted = _points(options.get("size", "11pt"))
    font = QFont(label.item.font())
    font.setBold(bool(options.get("bold")))
    font.setItalic(bool(options.get("italic")))
    size = wanted
    while True:
        font.setPointSizeF(size)
        metrics = QFontMetricsF(font)
        if metrics.horizontalAdvance(plain) <= width or size <= SMALLEST_TITLE_PT:
            break
        size = max(SMALLEST_TITLE_PT, size - 1)
    shown = metrics.elidedText(plain, Qt.TextElideMode.ElideRight, width)

    # The label's own markup at the set size, or the fitted text in its style.
    if size == wanted and shown == plain:
        html_text = str(label.text)
    else:
        html_text = html.escape(shown)
    color = pg.mkColor(options.get("color") or pg.getConfigOption("foreground"))
    style = [
        f"color: {color.name(QColor.NameFormat.HexArgb)}",
        f"font-size: {size:g}pt",
    ]
    if "family" in options:
        style.append(f"font-family: {options['family']}")
    if options.get("bold") in (True, False):
        style.append(f"font-weight: {'bold' if options['bold'] else 'normal'}")
    if options.get("italic") in (True, False):
        style.append(f"font-style: {'italic' if options['italic'] else 'normal'}")
    label.item.setHtml(f"<span style='{'; '.join(style)}'>{html_text}</span>")
    label.setToolTip(plain if shown != plain else "")
    # Centre the new text in the label, as LabelItem does after setText.
    label.resizeEvent(None)


def _points(size) -> float:
    text = str(size).strip().lower()
    try:
        if text.endswith("pt"):
            return float(text[:-2])
        if text.endswith("px"):
            return float(text[:-2]) * 0.75
        return float(text)
    except ValueError:
        return 11.0


class InsideFrame:
    """Keep an aspect-locked plot's view on the largest centred part of a rectangle
    that has the view box's shape, so an image over the rectangle fills the view.

    With its aspect ratio locked, pyqtgraph widens the range to fit a whole
    rectangle into a view box of another shape, and an image over the rectangle
    leaves blank strips at two edges. This frame crops the rectangle instead, but
    never so far that it cuts into a second rectangle, ``keep``, such as the box of
    the data. It frames again after every resize, until the user pans or zooms.
    """

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.rect: QRectF | None = None
        self.keep: QRectF | None = None
        self.following = True
        plot.vb.sigResized.connect(self._on_view_resized)
        plot.vb.sigRangeChangedManually.connect(self._on_view_range_changed_manually)

    def set_rect(self, rect: QRectF, keep: QRectF | None = None) -> None:
        """Frame ``rect`` and follow it on resizes from now on."""
        self.rect = QRectF(rect)
        self.keep = None if keep is None else QRectF(keep)
        self.following = True
        self.fit()

    def fit(self) -> None:
        """Set the view to the part of the rectangle that fits the view box."""
        rect, view = self.rect, self.plot.vb
        if rect is None or rect.width() <= 0 or rect.height() <= 0:
            return
        width, height = rect.width(), rect.height()
        if view.width() > 0 and view.height() > 0:
            shape = view.height() / view.width()
            if width * shape <= height:
                height = width * shape
            else:
                width = height / shape

            # Grow back, at the view's shape, until ``keep`` fits.
            keep = self.keep
            if keep is not None and keep.width() > width:
                width, height = keep.width(), keep.width() * shape
            if keep is not None and keep.height() > height:
                width, height = keep.height() / shape, keep.height()
        center = rect.center()
        self.plot.setRange(
            xRange=(center.x() - width / 2, center.x() + width / 2),
            yRange=(center.y() - height / 2, center.y() + height / 2),
            padding=0,
        )

    def _on_view_resized(self, _view) -> None:
        if self.following:
            self.fit()

    def _on_view_range_changed_manually(self, _mask) -> None:
        self.following = False


def apply_pending_ranges(widget) -> None:
    """Update the auto-ranges of the visible pyqtgraph plots inside ``widget`` now.

    pyqtgraph moves an auto-ranged view just before it paints, and the new range
    makes the axes ask for a second paint of the whole plot. Called after new data
    is set, this lets one paint show both the data and the range.
    """
    views = widget.findChildren(pg.GraphicsView)
    if isinstance(widget, pg.GraphicsView):
        views.append(widget)
    for view in views:
        if view.isVisible():
            view.scene().prepareForPaint()
