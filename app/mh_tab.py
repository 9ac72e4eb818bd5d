"""The Metropolis-Hastings tab: chains that walk over a 1-D or 2-D target."""

from __future__ import annotations

import logging
import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QWidget

from app.sampling_tab import (
    LabelledRun,
    SamplingTab,
    bulk_chunk,
    run_fields,
)
from models.sampler_options import MAX_CHAIN_ITERATIONS, MAX_CHAINS, MH_PROPOSALS
from widgets.chain_diagnostics import AutocorrelationPlot, TraceView
from widgets.chain_view import ChainView
from widgets.rate_plot import AcceptanceRatePlot
from widgets.settings_form import Field

logger = logging.getLogger(__name__)

# Chain-steps per bulk step, summed over chains, so many chains take small chunks.
BULK_CHAIN_STEPS = 200_000
# Split R-hat above this suggests that the chains have not mixed, the threshold
# that `models.sampling.diagnostics.split_rhat` documents.
RHAT_LIMIT = 1.01
COORDINATES = ("x", "y")
DEFAULT_ITERATIONS = 5000
DEFAULT_BURN_IN = 500
BURN_IN_FRACTION = 10
"""A screenshot of fewer iterations than the burn-in discards 1 in this many."""


def burn_in_problem(burn_in: int, iterations: int) -> str:
    """Describe why a burn-in leaves no draw, or return "" when it leaves some."""
    if burn_in < iterations:
        return ""
    return (
        f"burn-in ({burn_in:,}) must be below the iterations ({iterations:,}), or "
        "no draw is kept; lower the burn-in or raise the iterations"
    )


def _format_number(value: float, digits: str) -> str:
    return "–" if not math.isfinite(value) else format(value, digits)


def diagnostics_summary(ess: np.ndarray, rhat: np.ndarray, chains: int) -> str:
    """Describe ESS and R-hat per coordinate as rich text; high R-hat in red."""
    parts = []
    for name, e, r in zip(COORDINATES, ess, rhat, strict=False):
        r_text = _format_number(float(r), ".3f")
        if math.isfinite(r) and r > RHAT_LIMIT:
            r_text = f'<span style="color:#b00020"><b>{r_text}</b></span>'
        parts.append(f"{name}: ESS {_format_number(float(e), ',.0f')}, R̂ {r_text}")
    return f"{'; '.join(parts)} (over {chains} chains)"


def stuck_warning(snapshot: dict) -> str:
    """Describe chains that accept no proposal, with a fix, or return ""."""
    stuck, chains = snapshot["stuck_chains"], snapshot["chains"]
    if not stuck:
        return ""
    window = snapshot["stuck_window"]
    rate = _format_number(snapshot["acceptance_rate"], ".3f")
    step = snapshot["step_size"]
    if snapshot["proposal"] == "independent":
        fix = (
            f"the proposal N(start, s²) with s = {step:g} rarely lands where the "
            "target has mass; set s near the target's spread"
        )
    else:
        fix = f"the step size s = {step:g} is too large for this target; lower it"
    if stuck == chains:
        who = f"All {chains} chains are stuck" if chains > 1 else "The chain is stuck"
    else:
        who = f"{stuck} of {chains} chains are stuck"
    return (
        f"{who}: no proposal accepted in the last {window:,} iterations "
        f"(acceptance rate {rate} over the run). Their draws repeat one point, "
        f"so they do not follow the target: {fix}."
    )


class MetropolisTab(SamplingTab):
    """Run Metropolis-Hastings chains on a target and watch them mix.

    From x propose x' ~ q(x' | x) and accept with probability
    min(1, p(x') q(x | x') / (p(x) q(x' | x))); `models.sampling.metropolis` cites
    the sources. The tab draws the chains over the target, as a heat map with
    contours in 2-D, with accepted and rejected proposals. Beside it are trace
    plots, the running acceptance rate and the autocorrelation. The caption gives
    the bulk effective sample size and split R-hat across chains, computed as in
    `models.sampling.diagnostics`.

    Signals
    -------
    status_message(str)
    error_occurred(str)
    """

    title = "Metropolis-Hastings"
    key = "mh"
    count_key = "iterations"
    count_unit = ("iteration", "iterations")
    target_kinds = ("distribution", "density")
    default_target = "banana(0.5)"
    allow_2d = True
    setting_aliases = {"data": "target", "steps": "iterations"}

    def fields(self) -> list[Field]:
        return [
            Field(
                "proposal",
                "Proposal",
                "choice",
                "normal",
                choices=MH_PROPOSALS,
                tooltip="normal: Gaussian random walk x' = x + s ε; lognormal: "
                "multiplicative walk x' = x exp(s ε) for positive targets; "
                "independent: x' ~ N(start, s²) whatever x is",
                group="Proposal",
            ),
            Field(
                "step_size",
                "Step size s",
                "float",
                1.0,
                1e-4,
                1e4,
                decimals=4,
                step=0.1,
                tooltip="Scale s of the proposal; too small and the chain crawls, "
                "too large and most proposals are rejected",
                group="Proposal",
            ),
            Field(
                "hastings",
                "Hastings correction",
                "bool",
                True,
                tooltip="Keep the q(x | x') / q(x' | x) factor. Untick it with the "
                "lognormal proposal to see the chain sample p(x) / x instead of p",
                group="Proposal",
            ),
            Field(
                "chains",
                "Chains",
                "int",
                4,
                1,
                MAX_CHAINS,
                tooltip="Independent chains run side by side; the first four are "
                "drawn, and R-hat compares up to 64 of them",
                group="Chains",
            ),
            Field(
                "auto_start",
                "Automatic start",
                "bool",
                True,
                tooltip="Start every chain at the target's mean or mode; untick to "
                "set the start point below",
                group="Chains",
            ),
            Field(
                "start_x",
                "Start x",
                "float",
                0.0,
                -1e6,
                1e6,
                decimals=3,
                step=0.5,
                tooltip="x coordinate of the start point of every chain",
                group="Chains",
            ),
            Field(
                "start_y",
                "Start y",
                "float",
                0.0,
                -1e6,
                1e6,
                decimals=3,
                step=0.5,
                tooltip="y coordinate of the start point (2-D targets)",
                group="Chains",
            ),
            *run_fields(
                "iterations",
                "Iterations",
                DEFAULT_ITERATIONS,
                "Iterations per chain, burn-in included; one per step in animate mode",
                maximum=MAX_CHAIN_ITERATIONS,
            ),
            Field(
                "burn_in",
                "Burn-in",
                "int",
                DEFAULT_BURN_IN,
                0,
                MAX_CHAIN_ITERATIONS - 1,
                step=100,
                tooltip="Iterations per chain discarded before draws are kept; "
                "fewer than the iterations",
                group="Run",
            ),
            Field(
                "thin",
                "Thinning",
                "int",
                1,
                1,
                100_000,
                tooltip="Keep every thin-th draw after the burn-in",
                group="Run",
            ),
        ]

    def __init__(self, parent=None):
        super().__init__(parent)

        # A warning shown while chains accept no proposal.
        self.stuck_label = QLabel()
        self.stuck_label.setWordWrap(True)
        self.stuck_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.stuck_label.setVisible(False)
        self.right.insertWidget(self.right.indexOf(self.views), self.stuck_label)
        self._update_start_fields()

    def _on_form_changed(self, key: str) -> None:
        super()._on_form_changed(key)
        if key == "auto_start":
            self._update_start_fields()
        if key in ("iterations", "burn_in"):
            self.check_burn_in()

    def apply_settings(self, values) -> None:
        super().apply_settings(values)
        self.check_burn_in()

    def check_burn_in(self) -> bool:
        """Show under the burn-in whether it leaves draws; return True when it does."""
        problem = burn_in_problem(
            self.form.value("burn_in"), self.form.value("iterations")
        )
        self.form.set_field_error("burn_in", problem)
        return not problem

    def fit_screenshot_settings(self, values: dict) -> dict:
        """Lower the burn-in for a screenshot of fewer iterations than it.

        ``gan-playground screenshot --steps N`` sets the iterations. When N is at
        or below the form's burn-in and no burn-in is given, the burn-in becomes
        N / 10, so a short run still keeps draws.
        """
        if "burn_in" in values or "iterations" not in values:
            return values
        try:
            iterations = int(float(values["iterations"]))
        except (TypeError, ValueError):
            return values  # setting the field reports the invalid value
        burn_in = self.form.value("burn_in")
        if burn_in >= iterations:
            values = {**values, "burn_in": iterations // BURN_IN_FRACTION}
            logger.info(
                "burn-in lowered from %s to %s for %s iterations",
                burn_in,
                values["burn_in"],
                iterations,
            )
        return values

    def _update_start_fields(self) -> None:
        manual = not self.form.value("auto_start")
        self.form.controls["start_x"].setEnabled(manual)
        self.form.controls["start_y"].setEnabled(manual)

    def error_field(self, message: str) -> str:
        if "burn-in" in message:
            return "burn_in"
        if "start" in message:
            return "start_x"
        if "proposal" in message or "step size" in message:
            return "proposal"
        return "target"

    def run_factory(self, values, spec):
        iterations = int(values["iterations"])
        chains = int(values["chains"])
        burn_in = int(values["burn_in"])
        thin = int(values["thin"])
        problem = burn_in_problem(burn_in, iterations)
        if problem:
            raise ValueError(problem)
        limit = max(1, BULK_CHAIN_STEPS // chains)
        chunk = 1 if values["mode"] == "animate" else bulk_chunk(iterations, limit)
        seed = int(values["seed"])
        start_point = None
        if not values["auto_start"]:
            start_point = np.array([values["start_x"], values["start_y"]], dtype=float)
        options = {
            "proposal": values["proposal"],
            "step_size": float(values["step_size"]),
            "chains": chains,
            "hastings_correction": bool(values["hastings"]),
        }

        def build():
            from models.sampling.metropolis import MetropolisHastings, MetropolisRun

            target = spec.build()
            start = None if start_point is None else start_point[: target.dim]
            sampler = MetropolisHastings(target, start=start, **options)
            rng = np.random.default_rng(seed)
            run = MetropolisRun(
                sampler,
                rng,
                iterations,
                burn_in=burn_in,
                thin=thin,
                chunk_size=chunk,
            )
            info = {
                "target": target.name,
                "proposal": options["proposal"],
                "step_size": options["step_size"],
                "chunk_size": chunk,
            }
            return LabelledRun(run, info)

        return build

    def build_views(self) -> QWidget:
        self.chain_view = ChainView()
        self.trace_view = TraceView()
        self.rate_plot = AcceptanceRatePlot(x_label="iteration")
        self.autocorrelation_plot = AutocorrelationPlot()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.trace_view)
        right.addWidget(self.rate_plot)
        right.addWidget(self.autocorrelation_plot)
        right.setSizes([380, 200, 220])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.chain_view)
        splitter.addWidget(right)
        splitter.setSizes([600, 420])
        self._target_drawn = False
        return splitter

    def progress_count(self, progress):
        return progress.snapshot["iteration"], progress.snapshot["iterations"]

    def idle_caption(self) -> str:
        return (
            "Metropolis-Hastings: propose x' near x and accept with probability "
            "min(1, p(x') q(x | x') / (p(x) q(x' | x))). Press Start (Space) to run "
            "the chains, or Step for one iteration."
        )

    def clear_views(self) -> None:
        self.chain_view.clear_data()
        self.trace_view.clear_data()
        self.rate_plot.clear_data()
        self.autocorrelation_plot.clear_data()
        self._target_drawn = False
        self.stuck_label.setVisible(False)

    def show_snapshot(self, snapshot: dict) -> None:
        dim = snapshot["dim"]
        self.chain_view.set_dimension(dim)
        self.trace_view.set_dimension(dim)

        # The target does not change during a run, so draw it once.
        if not self._target_drawn:
            self.rate_plot.set_x_limit(snapshot["iterations"])
            if dim == 1:
                self.chain_view.set_density(snapshot["curve_x"], snapshot["target_pdf"])
            else:
                self.chain_view.set_density_map(
                    snapshot["grid_x"], snapshot["grid_y"], snapshot["grid_log_density"]
                )
            self._target_drawn = True
        if dim == 1:
            self.chain_view.set_histogram(
                snapshot["bin_edges"], snapshot["histogram"], snapshot["expected"]
            )
        self.chain_view.set_chains(
            snapshot["path"],
            snapshot["proposals"],
            snapshot["proposal_accepted"],
            snapshot["recent_samples"],
        )
        self.trace_view.set_traces(snapshot["trace"])
        trace = snapshot["acceptance_trace"]
        steps = snapshot["acceptance_steps"] * snapshot["chunk_size"]
        self.rate_plot.set_rates(np.minimum(steps, snapshot["iterations"]), trace)
        self.autocorrelation_plot.set_autocorrelation(snapshot["autocorrelation"])
        self.caption.setText(self._caption(snapshot))
        warning = stuck_warning(snapshot)
        self.stuck_label.setText(warning)
        self.stuck_label.setVisible(bool(warning))

    def _caption(self, snapshot: dict) -> str:
        rate = _format_number(snapshot["acceptance_rate"], ".3f")
        text = (
            f"<b>{snapshot['target']}</b>, {snapshot['proposal']} proposal, "
            f"s = {snapshot['step_size']:g}. Iteration {snapshot['iteration']:,} of "
            f"{snapshot['iterations']:,} (burn-in {snapshot['burn_in']:,}, thin "
            f"{snapshot['thin']}), {snapshot['kept']:,} draws kept per chain, "
            f"acceptance {rate}. "
            + diagnostics_summary(
                snapshot["ess"], snapshot["rhat"], snapshot["diagnostic_chains"]
            )
        )
        distance = snapshot.get("ks_statistic", math.nan)
        if math.isfinite(distance):
            text += (
                f". KS distance from the target {distance:.4f} (the draws are "
                "correlated, so read it as a distance, not as a test)"
            )
        return text + "."

    def sample_table(self, run):
        draws = run.draws()
        chains, kept, dim = draws.shape
        chain = np.repeat(np.arange(chains), kept)
        draw = np.tile(np.arange(kept), chains)
        table = np.column_stack([chain, draw, draws.reshape(-1, dim)])
        return draws, table, ("chain", "draw", *COORDINATES[:dim])

    def samples(self) -> np.ndarray | None:
        """Return the kept draws of all chains, shape (chains * kept, dim), or None."""
        run = self.controller.run
        if run is None or self.controller.busy:
            return None
        draws = run.run.draws()
        return draws.reshape(-1, draws.shape[2])
