"""A strip with the preset chooser and the loaded preset's explanation."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from app.presets import Preset


class PresetPanel(QWidget):
    """Choose a shipped preset and read what it demonstrates.

    Signals
    -------
    preset_chosen(object)
        The user picked a preset in the combo box; the Preset is sent.
    """

    preset_chosen = Signal(object)

    def __init__(self, presets: list[Preset], tab_titles: dict[str, str], parent=None):
        super().__init__(parent)
        self.presets = list(presets)

        # Build widgets.
        self.combo = QComboBox()
        self.combo.setToolTip("Load a ready demonstration (N: next, Page Up: previous)")
        self.combo.addItem("Choose a demonstration…")
        for preset in self.presets:
            tab = tab_titles.get(preset.tab, preset.tab)
            self.combo.addItem(f"{tab}: {preset.title}", preset.name)
        self.combo.setMinimumContentsLength(28)
        self.explanation = QLabel()
        self.explanation.setObjectName("preset_explanation")
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.combo, alignment=Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.explanation, stretch=1)

        # Wire signals.
        self.combo.activated.connect(self._on_combo_activated)
        self.show_preset(None)

    def show_preset(self, preset: Preset | None) -> None:
        """Show a preset's title and explanation, and select it in the combo box."""
        if preset is None:
            self.explanation.setText(
                "Pick a demonstration on the left or in the Presets menu; its "
                "explanation appears here."
            )
            self.combo.setCurrentIndex(0)
            self._fit_explanation()
            return
        index = self.combo.findData(preset.name)
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.explanation.setText(
            f"<b>{html.escape(preset.title)}.</b> {html.escape(preset.explanation)}"
        )
        self._fit_explanation()

    def _fit_explanation(self) -> None:
        # A word-wrapped label in a dock gets no height for its wrapped lines by
        # itself, so ask for the height that its current width needs. The panel
        # gets no more than that either: the dock keeps the height it had at the
        # first, narrower layout, which left empty space under one line of text.
        width = self.explanation.width()
        if width > 0:
            height = max(self.explanation.heightForWidth(width), 0)
            self.explanation.setMinimumHeight(height)
            margins = self.layout().contentsMargins()
            content = max(height, self.combo.sizeHint().height())
            self.setMaximumHeight(content + margins.top() + margins.bottom())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_explanation()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        # A new font (presenter mode) changes the wrapped height too.
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_explanation()

    def _on_combo_activated(self, index: int) -> None:
        if index <= 0:
            return
        name = self.combo.itemData(index)
        for preset in self.presets:
            if preset.name == name:
                self.preset_chosen.emit(preset)
                return
