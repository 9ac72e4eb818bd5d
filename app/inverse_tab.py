"""The inverse transform tab: uniform numbers u pushed through F⁻¹ to samples."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from app.sampling_tab import (
    LabelledRun,
    SamplingTab,
    bulk_chunk,
    ks_summary,
    run_fields,
)
from models.sampler_options import MAX_SAMPLES
from widgets.cdf_view import CdfView
from widgets.sample_histogram import SampleHistogramView
from widgets.settings_form import Field

INVERSION_METHODS = ("automatic", "numerical")


class InverseTab(SamplingTab):
    """Draw u ~ U(0, 1) and map it through the target's quantile function.

    x = F⁻¹(u) has CDF F when F is continuous, by the inverse transform theorem
    that `models.sampling.inverse` cites.
    The tab shows the CDF with the latest u values projected onto x, the histogram
    of all samples against the density, the Kolmogorov-Smirnov distance of the
    samples from F, and whether F⁻¹ is a closed form or a numerical table.

    Signals
    -------
    status_message(str)
    error_occurred(str)
    """

    title = "Inverse transform"
    key = "inverse"
    count_key = "samples"
    count_unit = ("sample", "samples")
    target_kinds = ("distribution", "density", "CDF")
    default_target = "normal(0, 1)"
    setting_aliases = {"data": "target", "steps": "samples"}

    def fields(self) -> list[Field]:
        return [
            Field(
                "inversion",
                "Inversion",
                "choice",
                "automatic",
                choices=INVERSION_METHODS,
                tooltip="automatic: the closed-form quantile function where the "
                "target has one, else a numerical table; numerical: always the "
                "table, to compare",
                group="Method",
            ),
            *run_fields(
                "samples",
                "Samples",
                10_000,
                "Number of samples to draw; one per step in animate mode",
                maximum=MAX_SAMPLES,
            ),
        ]

    def run_factory(self, values, spec):
        n = int(values["samples"])
        chunk = 1 if values["mode"] == "animate" else bulk_chunk(n)
        seed = int(values["seed"])
        numerical = values["inversion"] == "numerical"

        def build():
            from models.sampling.inverse import (
                InverseTransformRun,
                InverseTransformSampler,
            )

            target = spec.build()
            sampler = InverseTransformSampler(target, numerical=numerical)
            rng = np.random.default_rng(seed)
            run = InverseTransformRun(sampler, rng, n, chunk_size=chunk)
            info = {"target": target.name, "chunk_size": chunk, "total": n}
            return LabelledRun(run, info)

        return build

    def build_views(self) -> QWidget:
        self.cdf_view = CdfView()
        self.histogram_view = SampleHistogramView(
            title="Histogram of x against the density"
        )
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.cdf_view)
        splitter.addWidget(self.histogram_view)
        splitter.setSizes([500, 500])
        return splitter

    def progress_count(self, progress):
        return progress.snapshot["n"], progress.snapshot["total"]

    def idle_caption(self) -> str:
        return (
            "Inverse transform: draw u uniform on (0, 1) and return x = F⁻¹(u). "
            "Press Start (Space) to sample, or Step for one u at a time."
        )

    def clear_views(self) -> None:
        self.cdf_view.clear_data()
        self.histogram_view.clear_data()

    def show_snapshot(self, snapshot: dict) -> None:
        self.cdf_view.set_cdf(snapshot["cdf_x"], snapshot["cdf"])
        self.cdf_view.set_projections(snapshot["recent_u"], snapshot["recent_x"])
        self.histogram_view.set_density(snapshot["cdf_x"], snapshot["pdf"])
        self.histogram_view.set_histogram(
            snapshot["bin_edges"], snapshot["histogram"], snapshot["expected"]
        )
        if snapshot["method"] == "closed form":
            method = "closed-form F⁻¹ (the target's quantile function)"
        else:
            method = "numerical inversion (F⁻¹ tabulated once, then interpolated)"
        n = snapshot["n"]
        self.caption.setText(
            f"<b>{snapshot['target']}</b>, {method}. {n:,} samples. "
            f"{ks_summary(snapshot['ks_statistic'], n)}."
        )

    def sample_table(self, run):
        samples = run.samples()
        return samples, samples, ("x",)
