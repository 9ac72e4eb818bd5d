"""Quality metrics of a generator while it trains, recomputed on a wall-clock throttle.

A trainer given a :class:`LiveMetrics` adds its latest result to every snapshot. The
samples are drawn wherever the snapshot is made, and the metrics are computed there
or in a given executor (the window uses a thread of its own). They are recomputed
at most once per ``interval_s`` seconds and less often when they are slow, so that
they take at most ``max_cost_fraction`` of the wall time. Each result sits beside
the same metrics for real data that the generator was not trained on, the values a
perfect generator would reach.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future

import numpy as np

from models.datasets import Dataset, make_dataset
from models.metrics.compute import METRIC_DATASETS, compute_metrics

logger = logging.getLogger(__name__)

POINT_SAMPLES = 2500
"""Generated points per evaluation, as in the VEEGAN and PacGAN mode-count tables."""

IMAGE_SAMPLES = 1000
"""Generated images per evaluation, as ``gan-playground train`` writes."""

LIVE_MAX_POINTS = 1000
"""Cap on the points per sample for MMD² and KID, half the headless default.

The cost of both grows with the square of this cap, so the live values are noisier
than those in ``metrics.json`` but cost about a quarter as much.
"""

HOLDOUT_SEED_OFFSET = 7919
"""Added to the run's seed to draw held-out real points for the toy data sets."""


class LiveMetrics:
    """Compute a data set's quality metrics for a generator, at most every few seconds.

    The metrics are those of :func:`models.metrics.compute_metrics`: modes captured
    and the high-quality fraction for ``ring8`` and ``grid25``, KS and W1 for
    ``gauss1d``, the digit scores for ``digits``, and MMD² for every data set.
    For a data set that ``compute_metrics`` does not know (custom data), only MMD²
    against the training points is computed.

    Parameters
    ----------
    dataset : Dataset
        The data set the generator learns.
    seed : int
        Seeds the held-out real draws and the subsamples of MMD² and KID, so two
        runs with one seed show the same values.
    interval_s : float
        Minimum wall-clock seconds between two evaluations.
    max_cost_fraction : float
        Upper bound on the share of wall time spent on metrics: after an
        evaluation that took t seconds, the next waits at least t /
        max_cost_fraction seconds, even if that is longer than ``interval_s``.
        An evaluation took about 17 ms on ring8 and 65 ms on digits (one core),
        so the default 2 % spaces digit scores about 3 s apart. The one-time
        set-up of the reference and the digit classifier does not count.
    samples : int, optional
        Generated samples per evaluation; by default :data:`POINT_SAMPLES` for
        points and :data:`IMAGE_SAMPLES` for images.
    clock : callable
        Returns the time in seconds, for the throttle and the cost; tests pass a
        fake clock.
    executor : concurrent.futures.Executor, optional
        Computes the metrics of the drawn samples, so the calling thread only
        draws them and goes on. ``update`` then returns the previous result
        until the new one is done, except at a ``final`` call, which waits.
        The metrics are mostly numpy and torch work that releases the GIL, so
        a thread on an idle core computes them beside a training loop. None
        computes them in the calling thread.
    """

    def __init__(
        self,
        dataset: Dataset,
        seed: int = 0,
        interval_s: float = 1.5,
        max_cost_fraction: float = 0.02,
        samples: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        executor: Executor | None = None,
    ):
        if not interval_s >= 0:
            raise ValueError(f"interval_s must be 0 or more, got {interval_s!r}")
        if not 0 < max_cost_fraction <= 1:
            raise ValueError(
                f"max_cost_fraction must be in (0, 1], got {max_cost_fraction!r}"
            )
        self.dataset = dataset
        self.seed = seed
        self.interval_s = interval_s
        self.max_cost_fraction = max_cost_fraction
        if samples is None:
            samples = IMAGE_SAMPLES if dataset.is_image else POINT_SAMPLES
        if samples < 2:
            raise ValueError(f"samples must be at least 2, got {samples}")
        self.samples = samples
        self._clock = clock
        self._holdout: np.ndarray | None = None
        self._classifier = None
        self._reference: dict | None = None
        self._latest: dict | None = None
        self._next_due: float | None = None
        self._executor = executor
        # The evaluation running in the executor, with the time it was requested.
        self._pending: Future | None = None
        self._pending_since = 0.0
        self._pending_sampling_seconds = 0.0

    @property
    def known_dataset(self) -> bool:
        """Whether ``compute_metrics`` has metrics for this data set's name."""
        return self.dataset.name in METRIC_DATASETS

    def update(
        self, step: int, generate: Callable[[int], np.ndarray], final: bool = False
    ) -> dict | None:
        """Recompute the metrics when they are due and return the latest result.

        They are due once ``interval_s`` has passed since the first call or,
        after an evaluation, since that evaluation (or longer, by the cost
        bound), and at a ``final`` call. A call for the step of the latest
        result only returns it. Waiting after the first call keeps the first
        snapshots of a run, which the window shows at once, fast. With an
        executor, a due evaluation starts there, and a later call returns its
        result once it is done.

        Parameters
        ----------
        step : int
            Training steps done; stored with the result.
        generate : callable
            ``generate(n)`` returns n generated samples in data coordinates.
        final : bool
            True when the run has ended, so the shown values match the end.

        Returns
        -------
        dict or None
            ``step``, ``samples`` (generated samples used), ``seconds`` (cost of
            the evaluation), ``values`` (the metrics of the generated samples),
            ``reference`` (the same metrics for held-out real data) and
            ``against`` (``"held-out"`` or ``"training"``, the real data the
            samples are compared with). None when no evaluation has run yet.
        """
        self._collect(wait=final)
        latest = self._latest
        if latest is not None and latest["step"] == step:
            return latest
        now = self._clock()
        if self._next_due is None:
            self._next_due = now + self.interval_s
        if self._pending is not None or (not final and now < self._next_due):
            return latest

        # Draw here, because only the calling thread may use the trainer's networks.
        generated = np.asarray(generate(self.samples), dtype=np.float64)
        sampling_seconds = self._clock() - now
        if self._executor is None or final:
            result = self._evaluate(step, generated)
            self._finish(result, now, sampling_seconds)
        else:
            self._pending = self._executor.submit(self._evaluate, step, generated)
            self._pending_since = now
            self._pending_sampling_seconds = sampling_seconds
        return self._latest

    def _collect(self, wait: bool) -> None:
        """Store the result of the evaluation in the executor once it is done.

        An exception raised in the evaluation is raised here.
        """
        pending = self._pending
        if pending is None or not (wait or pending.done()):
            return
        self._pending = None
        if pending.cancel():
            return
        self._finish(
            pending.result(), self._pending_since, self._pending_sampling_seconds
        )

    def _evaluate(self, step: int, generated: np.ndarray) -> dict:
        # The reference, the held-out data and the digit classifier are made
        # once (fitting the classifier takes over a second), so they do not
        # count as the cost that spaces the evaluations.
        reference = self.reference()
        started = self._clock()
        values = self._metrics(generated, np.random.default_rng(self.seed))
        return {
            "step": int(step),
            "samples": int(len(generated)),
            "seconds": self._clock() - started,
            "values": values,
            "reference": reference,
            "against": "held-out" if self.known_dataset else "training",
        }

    def _finish(self, result: dict, requested: float, sampling_seconds: float) -> None:
        result["seconds"] += sampling_seconds
        seconds = result["seconds"]
        self._next_due = requested + max(
            self.interval_s, seconds / self.max_cost_fraction
        )
        self._latest = result
        logger.debug("live metrics at step %s took %.3f s", result["step"], seconds)

    def reference(self) -> dict:
        """Return the metrics of held-out real data, computed once.

        A second draw of real points (or the held-out digits) serves as the
        samples of a perfect generator. For digits the classifier's scores come from
        :func:`models.metrics.reference_real_metrics` and MMD² compares two halves
        of the held-out digits. For custom data MMD² compares two halves of the
        training points.
        """
        if self._reference is not None:
            return self._reference
        rng = np.random.default_rng(self.seed + 1)
        if self.dataset.name == "digits":
            from models.metrics.digits import reference_real_metrics
            from models.metrics.mmd import mmd2_unbiased

            classifier = self._digit_classifier()
            reference = reference_real_metrics(classifier)
            holdout = classifier.holdout_images / 16.0
            order = rng.permutation(len(holdout))
            half = len(holdout) // 2
            reference["mmd2"] = mmd2_unbiased(
                holdout[order[:half]],
                holdout[order[half:]],
                max_points=LIVE_MAX_POINTS,
                rng=rng,
            )
        elif not self.known_dataset:
            from models.metrics.mmd import mmd2_unbiased

            points = np.asarray(self.dataset.samples, dtype=np.float64)
            order = rng.permutation(len(points))
            half = len(points) // 2
            reference = {
                "mmd2": mmd2_unbiased(
                    points[order[:half]],
                    points[order[half:]],
                    max_points=LIVE_MAX_POINTS,
                    rng=rng,
                )
            }
        else:
            perfect = self._real_points(self.seed + 2 * HOLDOUT_SEED_OFFSET)
            reference = self._metrics(perfect, rng)
        self._reference = reference
        return reference

    def _metrics(self, generated: np.ndarray, rng: np.random.Generator) -> dict:
        if not self.known_dataset:
            from models.metrics.mmd import mmd2_unbiased

            return {
                "mmd2": mmd2_unbiased(
                    generated,
                    self.dataset.samples,
                    max_points=LIVE_MAX_POINTS,
                    rng=rng,
                )
            }
        classifier = None
        if self.dataset.name == "digits":
            classifier = self._digit_classifier()
            holdout = classifier.holdout_images
        else:
            holdout = self._holdout_points()
        return compute_metrics(
            self.dataset.name,
            generated,
            holdout,
            rng,
            classifier=classifier,
            max_points=LIVE_MAX_POINTS,
        )

    def _digit_classifier(self):
        if self._classifier is None:
            from models.metrics.digits import load_digit_classifier

            self._classifier = load_digit_classifier()
        return self._classifier

    def _holdout_points(self) -> np.ndarray:
        if self._holdout is None:
            self._holdout = self._real_points(self.seed + HOLDOUT_SEED_OFFSET)
        return self._holdout

    def _real_points(self, seed: int) -> np.ndarray:
        fresh = make_dataset(self.dataset.name, n=self.samples, seed=seed)
        return np.asarray(fresh.samples, dtype=np.float64)
