"""A form of typed settings built from a list of field descriptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


@dataclass
class Field:
    """One setting in a form.

    Attributes
    ----------
    key : str
        Name under which ``SettingsForm.values`` returns the value.
    label : str
        Text shown beside the control.
    kind : {"int", "float", "choice", "editable", "bool", "text"}
        Type of control. An ``editable`` field is a combo box whose items are
        examples: the value is whatever text it shows, listed or typed.
    default : Any
        Initial value.
    minimum, maximum : float
        Limits for numbers.
    choices : sequence of str
        Items of a choice or an editable field; the value is the item text.
    decimals : int
        Digits after the point for floats.
    step : float
        Increment of the spin box arrows.
    tooltip : str
        What the setting changes, with its unit.
    group : str
        Title of the box the field is placed in.
    """

    key: str
    label: str
    kind: str
    default: Any
    minimum: float = 0
    maximum: float = 1_000_000
    choices: tuple[str, ...] = ()
    decimals: int = 4
    step: float = 1
    tooltip: str = ""
    group: str = "Settings"


class SettingsForm(QWidget):
    """Labelled controls for a list of fields, grouped in boxes.

    Signals
    -------
    changed(str)
        The key of a field whose value the user changed.
    """

    changed = Signal(str)

    def __init__(self, fields: list[Field], parent=None):
        super().__init__(parent)
        self.fields = {field.key: field for field in fields}
        self.controls: dict[str, QWidget] = {}
        self._layouts: dict[str, QFormLayout] = {}
        self._error_labels: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        groups: dict[str, QFormLayout] = {}
        for field in fields:
            if field.group not in groups:
                box = QGroupBox(field.group)
                groups[field.group] = QFormLayout(box)
                layout.addWidget(box)
            control = self._make_control(field)
            control.setToolTip(field.tooltip)
            control.setObjectName(field.key)
            self.controls[field.key] = control
            self._layouts[field.key] = groups[field.group]
            groups[field.group].addRow(field.label, control)
        layout.addStretch(1)

    def _make_control(self, field: Field) -> QWidget:
        key = field.key
        if field.kind == "int":
            control = QSpinBox()
            control.setRange(int(field.minimum), int(field.maximum))
            control.setSingleStep(int(field.step))
            control.setValue(int(field.default))
            control.valueChanged.connect(lambda _v, k=key: self.changed.emit(k))
        elif field.kind == "float":
            control = QDoubleSpinBox()
            control.setDecimals(field.decimals)
            control.setRange(field.minimum, field.maximum)
            control.setSingleStep(field.step)
            control.setValue(float(field.default))
            control.valueChanged.connect(lambda _v, k=key: self.changed.emit(k))
        elif field.kind == "choice":
            control = QComboBox()
            control.addItems(list(field.choices))
            control.setCurrentText(str(field.default))
            control.currentTextChanged.connect(lambda _v, k=key: self.changed.emit(k))
        elif field.kind == "editable":
            control = QComboBox()
            control.setEditable(True)
            control.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            # Long examples must not widen the form; the text scrolls instead.
            control.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            control.setMinimumContentsLength(14)
            control.addItems(list(field.choices))
            control.setCurrentText(str(field.default))
            control.lineEdit().editingFinished.connect(
                lambda k=key: self.changed.emit(k)
            )
            control.activated.connect(lambda _i, k=key: self.changed.emit(k))
        elif field.kind == "bool":
            control = QCheckBox()
            control.setChecked(bool(field.default))
            control.toggled.connect(lambda _v, k=key: self.changed.emit(k))
        elif field.kind == "text":
            control = QLineEdit(str(field.default))
            control.editingFinished.connect(lambda k=key: self.changed.emit(k))
        else:
            raise ValueError(f"unknown field kind {field.kind!r} for {key}")
        return control

    def value(self, key: str) -> Any:
        control = self.controls[key]
        kind = self.fields[key].kind
        if kind in ("int", "float"):
            return control.value()
        if kind in ("choice", "editable"):
            return control.currentText()
        if kind == "bool":
            return control.isChecked()
        return control.text()

    def values(self) -> dict[str, Any]:
        return {key: self.value(key) for key in self.controls}

    def set_value(self, key: str, value: Any) -> None:
        """Set one control; raise ValueError for an unknown key or choice."""
        if key not in self.controls:
            raise ValueError(f"unknown setting {key!r}")
        control = self.controls[key]
        field = self.fields[key]
        if field.kind in ("int", "float"):
            number = float(value)
            if not field.minimum <= number <= field.maximum:
                raise ValueError(
                    f"{field.label} must be between {field.minimum} and "
                    f"{field.maximum}, got {value}"
                )
            control.setValue(int(number) if field.kind == "int" else number)
        elif field.kind == "choice":
            if str(value) not in field.choices:
                raise ValueError(
                    f"{field.label} must be one of {', '.join(field.choices)}, "
                    f"got {value!r}"
                )
            control.setCurrentText(str(value))
        elif field.kind == "editable":
            control.setCurrentText(str(value))
            control.lineEdit().setCursorPosition(0)
        elif field.kind == "bool":
            control.setChecked(bool(value))
        else:
            control.setText(str(value))

    def set_values(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.set_value(key, value)

    def set_choices(self, key: str, choices: tuple[str, ...]) -> None:
        """Replace the items of a choice field, keeping the current one if present.

        An editable field keeps its current text even when it is not an item.
        """
        control = self.controls[key]
        current = control.currentText()
        self.fields[key].choices = tuple(choices)
        control.blockSignals(True)
        control.clear()
        control.addItems(list(choices))
        keep = current in choices or self.fields[key].kind == "editable"
        control.setCurrentText(current if keep else choices[0])
        control.blockSignals(False)

    def set_field_error(self, key: str, message: str) -> None:
        """Show a message in red under a field, or hide it when ``message`` is empty.

        The label is created on the first message and then reused.
        """
        label = self._error_labels.get(key)
        if label is None:
            if not message:
                return
            label = QLabel()
            label.setObjectName(f"{key}_error")
            label.setWordWrap(True)
            label.setStyleSheet("color: #b00020;")
            layout = self._layouts[key]
            row, _ = layout.getWidgetPosition(self.controls[key])
            layout.insertRow(row + 1, label)
            self._error_labels[key] = label
        label.setText(message)
        label.setToolTip(message)
        label.setVisible(bool(message))

    def set_field_visible(self, key: str, visible: bool) -> None:
        """Show or hide a field's row, its label and any message under it."""
        control = self.controls[key]
        self._layouts[key].setRowVisible(control, visible)
        label = self._error_labels.get(key)
        if label is not None:
            self._layouts[key].setRowVisible(label, visible and bool(label.text()))

    def field_error(self, key: str) -> str:
        """Return the message shown under a field, or an empty string."""
        label = self._error_labels.get(key)
        return label.text() if label is not None and label.isVisibleTo(self) else ""
