"""A small table of a generator's quality metrics beside those of real data."""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def _fixed(digits: int):
    return lambda value: f"{value:.{digits}f}"


# (key, label, format, tooltip), in the order they are shown.
METRIC_ROWS = (
    (
        "modes_captured",
        "Modes captured",
        None,
        "Mixture components with at least one sample within 3σ of their center",
    ),
    (
        "high_quality_fraction",
        "High-quality samples",
        _percent,
        "Share of samples within 3σ of the nearest component's center",
    ),
    (
        "ks_statistic",
        "KS statistic",
        _fixed(3),
        "Largest gap between the two empirical distribution functions (0 is best)",
    ),
    (
        "wasserstein1",
        "Wasserstein-1",
        _fixed(3),
        "Area between the two empirical distribution functions, in data units",
    ),
    (
        "classes_covered",
        "Classes covered",
        lambda value: f"{value} / 10",
        "Digit classes that the classifier recognises in at least one sample",
    ),
    (
        "confident_fraction",
        "Confident digits",
        _percent,
        "Share of samples that the classifier assigns a class with p ≥ 0.9",
    ),
    (
        "inception_score",
        "Inception score",
        _fixed(2),
        "exp E KL(p(y|x) ‖ p(y)) with the digit classifier; 1 to 10, higher is better",
    ),
    (
        "kid",
        "KID",
        _fixed(4),
        "Kernel inception distance to held-out digits, on classifier features "
        "(0 is best)",
    ),
    (
        "mmd2",
        "MMD²",
        _fixed(4),
        "Squared maximum mean discrepancy to real data, Gaussian kernel (0 is best)",
    ),
)


def _format_value(key: str, formatter, values: dict) -> str:
    value = values.get(key)
    if value is None:
        return "–"
    if key == "modes_captured":
        return f"{value} / {values.get('num_modes', '?')}"
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a"
    return formatter(value)


def metric_rows(result: dict) -> list[tuple[str, str, str]]:
    """Return (label, generated, real data) texts for the metrics in ``result``.

    ``result`` is the dict of ``models.live_metrics.LiveMetrics.update``. Rows
    appear for the keys present in its ``values``, in the order of
    :data:`METRIC_ROWS`.
    """
    values = result.get("values") or {}
    reference = result.get("reference") or {}
    rows = []
    for key, label, formatter, _ in METRIC_ROWS:
        if key not in values:
            continue
        rows.append(
            (
                label,
                _format_value(key, formatter, values),
                _format_value(key, formatter, reference),
            )
        )
    return rows


class MetricsPanel(QLabel):
    """The latest quality metrics of a generator, as a table beside real data.

    ``show_metrics`` redraws only when the result is for a new step, so it can be
    called with every snapshot.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("metrics_panel")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setToolTip(
            "\n".join(f"{label}: {tooltip}" for _, label, _, tooltip in METRIC_ROWS)
        )
        self.rows: list[tuple[str, str, str]] = []
        self.step: int | None = None
        self.clear_data()

    def show_metrics(self, result: dict | None) -> None:
        """Show a ``LiveMetrics.update`` result; None keeps the current table."""
        if result is None or result.get("step") == self.step:
            return
        self.step = result["step"]
        self.rows = metric_rows(result)
        against = (
            "held-out real data"
            if result.get("against") == "held-out"
            else "training data"
        )
        header = (
            f"<b>Quality at step {self.step:,}</b> "
            f"({result.get('samples', 0):,} samples vs {against})"
        )
        cells = "".join(
            f"<tr><td>{html.escape(label)}</td>"
            f"<td align='right'>&nbsp;&nbsp;{html.escape(generated)}</td>"
            f"<td align='right'>&nbsp;&nbsp;{html.escape(real)}</td></tr>"
            for label, generated, real in self.rows
        )
        self.setText(
            f"{header}<table cellspacing='0'>"
            "<tr><th></th><th align='right'>&nbsp;&nbsp;generated</th>"
            "<th align='right'>&nbsp;&nbsp;real data</th></tr>"
            f"{cells}</table>"
        )

    def show_snapshot(self, snapshot: dict) -> None:
        """Show the ``metrics`` entry of a run's snapshot, if it has one."""
        self.show_metrics(snapshot.get("metrics"))

    def clear_data(self) -> None:
        self.rows = []
        self.step = None
        self.setText("<b>Quality</b>: shown a moment after training starts")
