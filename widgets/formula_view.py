"""A collapsible panel of formulas, typeset with matplotlib's mathtext.

mathtext is matplotlib's own TeX subset, so no LaTeX installation is needed. Each
formula is rendered once per size and colour to PNG bytes and cached. Rendering runs
in one background thread, because it is slow for a GUI: on a busy 2-core machine the
first formula took about a second while matplotlib loaded its fonts, and later ones
about 0.1 s each (matplotlib 3.11). A view starts typesetting only after its first
paint, because importing matplotlib holds the GIL for about 0.5 s on 2 cores and
would delay that paint.
"""

from __future__ import annotations

import functools
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

logger = logging.getLogger(__name__)

# One thread, so mathtext, whose parser keeps module-level caches, never runs twice
# at the same time.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mathtext")


@dataclass(frozen=True)
class Formula:
    """One formula with a title and a short note below it.

    Attributes
    ----------
    title : str
        Plain text above the formula, such as ``"Discriminator loss"``.
    tex : str
        mathtext source, including the ``$`` delimiters.
    note : str
        One or two sentences on what the symbols mean, as Qt rich text. Symbols
        use Unicode and ``<sub>`` or ``<sup>`` tags instead of TeX, and prose
        writes ``<``, ``>`` and ``&`` as HTML entities.
    """

    title: str
    tex: str
    note: str = ""


@functools.lru_cache(maxsize=256)
def render_formula_png(
    tex: str, font_size: float = 14.0, color: str = "black", dpi: int = 100
) -> bytes:
    """Typeset mathtext to PNG bytes, dark on white.

    Raises
    ------
    ValueError
        If mathtext cannot parse ``tex``.
    """
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buffer = io.BytesIO()
    mathtext.math_to_image(
        tex,
        buffer,
        prop=FontProperties(size=font_size),
        dpi=dpi,
        format="png",
        color=color,
    )
    return buffer.getvalue()


def _deliver(relay, generation: int, index: int, future) -> None:
    # Runs in the mathtext thread; the signals queue the result to the GUI thread.
    error = future.exception()
    packed = (generation << 16) | index
    try:
        if error is None:
            relay.rendered.emit(packed, future.result())
        else:
            relay.failed.emit(packed, str(error))
    except RuntimeError:
        # The view was deleted while its formula was being typeset.
        logger.debug("formula view deleted before rendering finished")


class _RenderRelay(QObject):
    """Carry a finished rendering from the mathtext thread to the GUI thread."""

    rendered = Signal(int, bytes)
    failed = Signal(int, str)


class FormulaView(QWidget):
    """A titled, collapsible list of formulas.

    Parameters
    ----------
    formulas : sequence of Formula
        What to show.
    title : str
        Text of the header button.
    font_size : float
        Size of the formulas in points.
    expanded : bool
        Whether the list starts open.

    Signals
    -------
    expanded_changed(bool)
        The panel was opened (True) or closed (False).
    typesetting_finished()
        Every formula is shown typeset, or as source text where typesetting
        failed.
    """

    expanded_changed = Signal(bool)
    typesetting_finished = Signal()

    def __init__(
        self,
        formulas=(),
        title: str = "Formulas",
        font_size: float = 14.0,
        expanded: bool = True,
        parent=None,
    ):
        super().__init__(parent)
        self.formulas: tuple[Formula, ...] = ()
        self.font_size = font_size
        self.color = "black"
        self._generation = 0
        self._pending = 0
        self._painted = False
        self._images: list[QLabel] = []
        self._full_images: dict[int, QImage] = {}
        self._relay = _RenderRelay(self)
        self._relay.rendered.connect(self._on_relay_rendered)
        self._relay.failed.connect(self._on_relay_failed)

        # Build the header and the scrolling body.
        self.header = QToolButton()
        self.header.setText(title)
        self.header.setCheckable(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setToolTip("Show or hide the formulas of this tab")
        self.body = QWidget()
        # White like the rendered formulas, so they do not show as boxes. A palette
        # and not a style sheet, which would stop the window's font reaching the
        # labels in presenter mode.
        palette = self.body.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("white"))
        self.body.setPalette(palette)
        self.body.setAutoFillBackground(True)
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(4, 0, 4, 4)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.scroll, stretch=1)

        # Wire signals and fill.
        self.header.toggled.connect(self._on_header_toggled)
        self.set_formulas(formulas)
        self.header.setChecked(expanded)
        self._on_header_toggled(expanded)

    def set_formulas(self, formulas) -> None:
        """Replace the formulas, which are typeset in the background.

        A formula's place stays empty until it is typeset, so the panel never shows
        raw mathtext source unless typesetting fails.
        """
        self.formulas = tuple(formulas)
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._images = []
        self._full_images = {}
        for formula in self.formulas:
            title = QLabel(f"<b>{formula.title}</b>")
            title.setTextFormat(Qt.TextFormat.RichText)
            image = QLabel()
            image.setObjectName("formula_image")
            image.setToolTip(formula.tex)
            image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            note = QLabel(formula.note)
            note.setTextFormat(Qt.TextFormat.RichText)
            note.setWordWrap(True)
            note.setVisible(bool(formula.note))
            for label in (title, image, note):
                self.body_layout.addWidget(label)
            self._images.append(image)
        self.body_layout.addStretch(1)
        self._render_all()

    def set_font_size(self, font_size: float) -> None:
        """Typeset every formula again at ``font_size`` points."""
        if font_size != self.font_size:
            self.font_size = font_size
            self._render_all()

    def set_expanded(self, expanded: bool) -> None:
        self.header.setChecked(expanded)

    def is_expanded(self) -> bool:
        return self.header.isChecked()

    @property
    def rendering(self) -> bool:
        """Whether some formulas are not typeset yet, also before the first paint."""
        return self._pending > 0

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            # A zero timer fires once the whole window has been painted.
            QTimer.singleShot(0, self, self._render_all)

    def _render_all(self) -> None:
        # A new generation makes results of an older request harmless.
        self._generation += 1
        generation = self._generation
        self._pending = len(self.formulas)
        if not self._painted:
            return
        ratio = max(1.0, self.devicePixelRatioF())
        dpi = int(round(100 * ratio))
        for index, formula in enumerate(self.formulas):
            future = _executor.submit(
                render_formula_png, formula.tex, self.font_size, self.color, dpi
            )
            future.add_done_callback(
                functools.partial(_deliver, self._relay, generation, index)
            )

    def _on_relay_rendered(self, packed: int, png: bytes) -> None:
        generation, index = packed >> 16, packed & 0xFFFF
        if generation != self._generation or index >= len(self._images):
            return
        self._pending -= 1
        self._full_images[index] = QImage.fromData(png, "PNG")
        self._fit_image(index)
        if not self._pending:
            # Lay the labels out now, so that a grab on this signal shows no note
            # drawn over a formula that has just grown taller.
            self.body_layout.activate()
            self.typesetting_finished.emit()

    def _fit_image(self, index: int) -> None:
        """Show a formula at its typeset size, scaled down to the panel's width."""
        image = self._full_images.get(index)
        if image is None:
            return
        ratio = max(1.0, self.devicePixelRatioF())
        room = max(self.scroll.viewport().width() - 12, 80) * ratio
        if image.width() > room:
            image = image.scaledToWidth(
                int(room), Qt.TransformationMode.SmoothTransformation
            )
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(ratio)
        label = self._images[index]
        label.setPixmap(pixmap)
        label.setMinimumHeight(pixmap.deviceIndependentSize().toSize().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        for index in list(self._full_images):
            self._fit_image(index)

    def _on_relay_failed(self, packed: int, message: str) -> None:
        generation, index = packed >> 16, packed & 0xFFFF
        if generation != self._generation or index >= len(self._images):
            return
        self._pending -= 1
        # The source is shown as text, so a bad formula is still readable.
        self._images[index].setText(self.formulas[index].tex)
        logger.warning("typesetting %r failed: %s", self.formulas[index].tex, message)
        if not self._pending:
            self.typesetting_finished.emit()

    def _on_header_toggled(self, expanded: bool) -> None:
        self.header.setArrowType(
            Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow
        )
        self.scroll.setVisible(expanded)
        self.expanded_changed.emit(expanded)
