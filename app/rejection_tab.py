"""The rejection sampling tab: darts under an envelope M q(x), kept below p(x)."""

from __future__ import annotations

import html
import math
import re

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QWidget

from app.sampling_tab import (
    LabelledRun,
    SamplingTab,
    bulk_chunk,
    ks_summary,
    run_fields,
)
from models.sampler_options import REJECTION_PROPOSALS
from widgets.dart_view import DartView
from widgets.rate_plot import AcceptanceRatePlot
from widgets.sample_histogram import SampleHistogramView
from widgets.settings_form import Field

ENVELOPE_MODES = ("computed", "by hand")
# Darts drawn at a time: enough to see the envelope fill, few enough to draw fast.
MAX_DARTS = 3000
# Digits of M in the settings; "Use M" rounds the required M up to them.
M_DECIMALS = 4


class RateHistory:
    """The running acceptance rate after each step, thinned to at most ``limit``
    points by dropping every other point whenever the list grows past it.

    Every snapshot then carries the whole curve, however rarely snapshots come.
    """

    def __init__(self, limit: int = 2048):
        self.limit = limit
        self.stride = 1
        self.count = 0
        self.proposed: list[int] = []
        self.rates: list[float] = []

    def add(self, record: dict) -> None:
        """Record a step of `models.sampling.rejection.RejectionRun.steps`."""
        self.count += 1
        if self.count % self.stride:
            return
        self.proposed.append(record["proposed"])
        self.rates.append(record["accepted"] / record["proposed"])
        if len(self.proposed) > self.limit:
            # Entry i belongs to step (i + 1) * stride; keep every second one.
            self.proposed = self.proposed[1::2]
            self.rates = self.rates[1::2]
            self.stride *= 2

    def arrays(self) -> dict:
        """Return ``rate_proposed`` and ``rate_history`` arrays for a snapshot."""
        return {
            "rate_proposed": np.array(self.proposed, dtype=float),
            "rate_history": np.array(self.rates, dtype=float),
        }


def round_up(value: float, decimals: int = M_DECIMALS) -> float:
    """Round up to ``decimals`` digits, so that a valid M stays valid."""
    scale = 10**decimals
    return math.ceil(value * scale) / scale


class RejectionTab(SamplingTab):
    """Throw darts x ~ q, u ~ U(0, 1) and keep x when u M q(x) <= p(x).

    When p <= M q everywhere, the kept x follow p and the acceptance rate is 1/M
    for a normalised p; `models.sampling.rejection` cites the sources. The tab
    draws the darts under the envelope, the histogram of kept samples against p,
    and the observed rate against 1/M. A hand-set M that is too small is flagged
    where p > M q, with a button that applies the M computed numerically.

    Signals
    -------
    status_message(str)
    error_occurred(str)
    """

    title = "Rejection"
    key = "rejection"
    count_key = "proposals"
    count_unit = ("proposal", "proposals")
    target_kinds = ("distribution", "density")
    default_target = "normal(0, 1)"
    setting_aliases = {"data": "target", "steps": "proposals"}

    def fields(self) -> list[Field]:
        return [
            Field(
                "proposal",
                "Proposal q",
                "choice",
                "cauchy",
                choices=REJECTION_PROPOSALS,
                tooltip="Distribution of the darts' x. cauchy (the default here): "
                "its envelope M q lies visibly above p, so the rejected darts show. "
                "hat: the fast, nearly exact proposal that 'gan-playground sample "
                "rejection' uses by default, a step function fitted to p on about "
                "1024 cells, with Cauchy-shaped tails, checked numerically to lie "
                "above p. M is its area, so nearly every dart is accepted and M q "
                "covers p. Where the check fails, a uniform proposal (finite "
                "domain) or a Cauchy one is used, and the caption gives the reason. "
                "uniform: on a finite domain. normal, Laplace or Cauchy: with the "
                "location and scale below, accepting 1/M of the darts for M fixed "
                "by their shape",
                group="Proposal",
            ),
            Field(
                "auto_proposal",
                "Automatic loc/scale",
                "bool",
                True,
                tooltip="For normal, Laplace and Cauchy proposals: centre q on the "
                "target's median and scale it by the target's standard deviation "
                "(half its interquartile range when the variance is infinite)",
                group="Proposal",
            ),
            Field(
                "loc",
                "Location",
                "float",
                0.0,
                -1e6,
                1e6,
                decimals=3,
                step=0.1,
                tooltip="Centre of q, when not automatic",
                group="Proposal",
            ),
            Field(
                "scale",
                "Scale",
                "float",
                1.0,
                1e-4,
                1e6,
                decimals=4,
                step=0.1,
                tooltip="Scale of q (standard deviation of a normal), when not "
                "automatic",
                group="Proposal",
            ),
            Field(
                "m_mode",
                "Envelope M",
                "choice",
                "computed",
                choices=ENVELOPE_MODES,
                tooltip="computed: 1.01 times the maximum of p/q, found numerically, "
                "or for the hat its area; by hand: the M below, which may be too "
                "small",
                group="Proposal",
            ),
            Field(
                "m",
                "M by hand",
                "float",
                1.0,
                0.01,
                1e6,
                decimals=M_DECIMALS,
                step=0.05,
                tooltip="Envelope constant M when set by hand; p <= M q must hold "
                "everywhere, else the samples do not follow p",
                group="Proposal",
            ),
            *run_fields(
                "proposals",
                "Proposals (darts)",
                10_000,
                "Number of darts to throw; one per step in animate mode",
            ),
        ]

    def __init__(self, parent=None):
        super().__init__(parent)

        # A warning with a fix, shown while a hand-set M is too small.
        self.m_warning = QLabel()
        self.m_warning.setWordWrap(True)
        self.m_warning.setStyleSheet("color: #b00020; font-weight: bold;")
        self.use_m_button = QPushButton()
        self.use_m_button.setToolTip(
            "Set M to the value computed numerically and start a new run with it"
        )
        self.warning_row = QWidget()
        row = QHBoxLayout(self.warning_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.m_warning, stretch=1)
        row.addWidget(self.use_m_button)
        self.warning_row.setVisible(False)
        self.right.insertWidget(self.right.indexOf(self.views), self.warning_row)
        self.m_required: float | None = None

        self.use_m_button.clicked.connect(self._on_use_m_button_clicked)
        self._update_proposal_fields()

    def _on_form_changed(self, key: str) -> None:
        super()._on_form_changed(key)
        if key in ("proposal", "auto_proposal", "m_mode"):
            self._update_proposal_fields()

    def _update_proposal_fields(self) -> None:
        # The hat and the uniform proposal take no location or scale.
        shaped = self.form.value("proposal") not in ("hat", "uniform")
        manual = shaped and not self.form.value("auto_proposal")
        self.form.controls["auto_proposal"].setEnabled(shaped)
        self.form.controls["loc"].setEnabled(manual)
        self.form.controls["scale"].setEnabled(manual)
        self.form.controls["m"].setEnabled(self.form.value("m_mode") == "by hand")

    def error_field(self, message: str) -> str:
        about_proposal = re.search(r"proposal|p/q|\bhat\b", message)
        return "proposal" if about_proposal else "target"

    def run_factory(self, values, spec):
        n = int(values["proposals"])
        chunk = 1 if values["mode"] == "animate" else bulk_chunk(n)
        seed = int(values["seed"])
        name = values["proposal"]
        loc = scale = None
        if not values["auto_proposal"]:
            loc, scale = float(values["loc"]), float(values["scale"])
        by_hand = values["m_mode"] == "by hand"
        m = float(values["m"]) if by_hand else None

        def build():
            from models.sampling.rejection import (
                RejectionRun,
                RejectionSampler,
                make_proposal,
            )

            target = spec.build()
            proposal = make_proposal(name, target, loc=loc, scale=scale)
            sampler = RejectionSampler(target, proposal, m=m)
            rng = np.random.default_rng(seed)
            run = RejectionRun(sampler, rng, n, chunk_size=chunk, max_darts=MAX_DARTS)
            info = {
                "target": target.name,
                "proposal": proposal.name,
                "proposal_note": proposal.note,
                "m_by_hand": by_hand,
                "chunk_size": chunk,
                "total": n,
            }
            history = RateHistory()
            return LabelledRun(run, info, on_record=history.add, extra=history.arrays)

        return build

    def build_views(self) -> QWidget:
        self.dart_view = DartView()
        self.histogram_view = SampleHistogramView(
            title="Accepted samples against the target", sample_label="accepted"
        )
        self.rate_plot = AcceptanceRatePlot(x_label="darts thrown")
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.histogram_view)
        right.addWidget(self.rate_plot)
        right.setSizes([500, 300])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.dart_view)
        splitter.addWidget(right)
        splitter.setSizes([560, 440])
        return splitter

    def progress_count(self, progress):
        return progress.snapshot["proposed"], progress.snapshot["total"]

    def idle_caption(self) -> str:
        return (
            "Rejection sampling: throw x from q and u uniform, keep x when "
            "u·M·q(x) ≤ p(x). The default q here is a Cauchy, so M·q lies above p "
            "and the rejected darts show. The command line's default is the hat, "
            "a step function fitted to p that keeps nearly every dart and is "
            "faster; pick it above to compare. Press Start (Space) to throw darts, "
            "or Step for one."
        )

    def clear_views(self) -> None:
        self.dart_view.clear_data()
        self.histogram_view.clear_data()
        self.rate_plot.clear_data()
        self.warning_row.setVisible(False)

    def show_snapshot(self, snapshot: dict) -> None:
        m = snapshot["m"]
        ok = snapshot["envelope_ok"]
        self.dart_view.set_curves(
            snapshot["curve_x"], snapshot["target_pdf"], snapshot["envelope"]
        )
        self.dart_view.set_violations([] if ok else snapshot["violations"])
        self.dart_view.set_darts(
            snapshot["darts_x"], snapshot["darts_y"], snapshot["darts_accepted"]
        )
        self.histogram_view.set_density(snapshot["curve_x"], snapshot["target_pdf"])
        self.histogram_view.set_histogram(
            snapshot["bin_edges"], snapshot["histogram"], snapshot["expected"]
        )

        # Running acceptance rate against 1/M.
        proposed = snapshot["proposed"]
        rate = snapshot["acceptance_rate"]
        x, rates = snapshot["rate_proposed"], snapshot["rate_history"]
        if proposed and (len(x) == 0 or x[-1] != proposed):
            x, rates = np.append(x, proposed), np.append(rates, rate)
        self.rate_plot.set_rates(x, rates)
        self.rate_plot.set_x_limit(snapshot["total"])
        # With M too small, 1/M is not the acceptance rate, and can pass 1.
        if ok:
            self.rate_plot.set_reference(1 / m, f"1/M = {1 / m:.3f}")
        else:
            self.rate_plot.set_reference(None)

        # The warning and its fix.
        self.m_required = snapshot["m_required"]
        if ok:
            self.warning_row.setVisible(False)
        else:
            suggested = round_up(self.m_required)
            self.m_warning.setText(
                f"{snapshot['envelope_message']}. The shaded x ranges get too few "
                "samples: there the histogram follows M q, not p."
            )
            self.use_m_button.setText(f"Use M = {suggested:g}")
            self.warning_row.setVisible(True)

        source = "set by hand" if snapshot["m_by_hand"] else "computed"
        observed = "–" if not math.isfinite(rate) else f"{rate:.3f}"
        accepted = snapshot["accepted"]
        if ok:
            theory = f"theory 1/M = {1 / m:.3f}"
        else:
            where = ", ".join(f"[{a:.4g}, {b:.4g}]" for a, b in snapshot["violations"])
            theory = f"no theoretical rate: M is too small, p > M q for x in {where}"
        note = snapshot.get("proposal_note", "")
        self.caption.setText(
            f"<b>{snapshot['target']}</b> under q = {snapshot['proposal']}, "
            f"M = {m:.4g} ({source}). Acceptance {observed} over {proposed:,} darts, "
            f"{theory}. {accepted:,} samples; "
            f"{ks_summary(snapshot['ks_statistic'], accepted)}."
            + (f" Note: {html.escape(note)}." if note else "")
        )

    def _on_use_m_button_clicked(self) -> None:
        if self.m_required is None:
            return
        if self.controller.busy:
            self.controller.stop()
        value = round_up(self.m_required)
        self.form.set_value("m_mode", "by hand")
        self.form.set_value("m", value)
        self._settings_changed = True
        self.status_message.emit(f"{self.title}: M set to {value:g}; sampling again.")
        self.start()

    def sample_table(self, run):
        samples = run.samples()
        return samples, samples, ("x",)
