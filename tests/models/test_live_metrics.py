"""Live quality metrics: the throttle, the cost bound and the real-data reference."""

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest

from models.datasets import from_points, make_dataset
from models.live_metrics import LiveMetrics


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def generate_ring(n):
    return make_dataset("ring8", n=n, seed=123).samples


def test_updates_wait_for_interval():
    clock = FakeClock()
    metrics = LiveMetrics(make_dataset("ring8"), interval_s=2.0, clock=clock)
    calls = []

    def generate(n):
        calls.append(n)
        return make_dataset("ring8", n=n, seed=5).samples

    assert metrics.update(1, generate) is None, "the first call only starts the clock"
    clock.now = 2.0
    first = metrics.update(10, generate)
    assert first is not None and first["step"] == 10, "computed after the interval"
    assert calls == [2500], f"2,500 points per evaluation: {calls}"
    clock.now = 3.0
    second = metrics.update(20, generate)
    assert second is first, "before the interval the last result is returned"
    assert calls == [2500], "no evaluation before the interval"
    clock.now = 4.5
    third = metrics.update(30, generate)
    assert third["step"] == 30, "after the interval a new result is computed"
    assert len(calls) == 2, "one more evaluation"


def test_final_update_computes_before_interval():
    clock = FakeClock()
    metrics = LiveMetrics(make_dataset("ring8"), interval_s=100.0, clock=clock)
    assert metrics.update(1, generate_ring) is None, "not due yet"
    result = metrics.update(500, generate_ring, final=True)
    assert result["step"] == 500, "the final call shows the end of the run"
    again = metrics.update(500, generate_ring, final=True)
    assert again is result, "a second final call for one step reuses the result"


def test_slow_evaluation_stretches_interval():
    clock = FakeClock()
    metrics = LiveMetrics(
        make_dataset("ring8"), interval_s=0.0, max_cost_fraction=0.1, clock=clock
    )

    def slow_generate(n):
        clock.now += 2.0  # This evaluation costs 2 s of the fake clock.
        return make_dataset("ring8", n=n, seed=5).samples

    metrics.update(1, slow_generate)
    assert metrics.update(1, slow_generate)["seconds"] >= 2.0, "cost is measured"
    clock.now = 15.0
    assert metrics.update(2, slow_generate)["step"] == 1, (
        "2 s at 10 % of wall time means the next evaluation waits 20 s"
    )
    clock.now = 20.5
    assert metrics.update(3, slow_generate)["step"] == 3, "due after 20 s"


def test_ring_reference_matches_real_data():
    metrics = LiveMetrics(make_dataset("ring8", seed=3), seed=3)
    reference = metrics.reference()
    assert reference["modes_captured"] == 8, "real data covers all 8 modes"
    # P(r <= 3σ) for a 2-D Gaussian is 1 - exp(-4.5) = 0.9889. The binomial
    # standard error on 2,500 points is 0.0021.
    assert abs(reference["high_quality_fraction"] - 0.9889) < 0.01, reference
    assert abs(reference["mmd2"]) < 0.01, f"real vs real MMD² is near 0: {reference}"


def test_generated_values_have_dataset_keys():
    cases = {
        "ring8": {"modes_captured", "high_quality_fraction", "mmd2"},
        "grid25": {"modes_captured", "high_quality_fraction", "mmd2"},
        "gauss1d": {"ks_statistic", "wasserstein1", "mmd2"},
        "moons": {"mmd2"},
    }
    for name, keys in cases.items():
        dataset = make_dataset(name)
        metrics = LiveMetrics(dataset, interval_s=0.0, samples=500)
        result = metrics.update(1, lambda n, d=dataset: d.samples[:n])
        assert keys <= set(result["values"]), f"{name}: {sorted(result['values'])}"
        assert keys <= set(result["reference"]), f"{name} reference keys"
        assert result["against"] == "held-out", f"{name} uses fresh real points"


@pytest.mark.slow
def test_digit_values_sit_beside_reference():
    dataset = make_dataset("digits")
    metrics = LiveMetrics(dataset, interval_s=0.0, samples=200)
    result = metrics.update(1, lambda n: dataset.samples[:n])
    for key in ("classes_covered", "inception_score", "kid", "mmd2"):
        assert key in result["values"], f"{key} missing from {sorted(result['values'])}"
        assert key in result["reference"], f"{key} missing from the reference"
    assert result["reference"]["classes_covered"] == 10, "held-out digits cover all"


def test_custom_points_compare_with_training_data():
    rng = np.random.default_rng(0)
    dataset = from_points(rng.normal(size=(400, 2)))
    metrics = LiveMetrics(dataset, interval_s=0.0, samples=300)
    result = metrics.update(1, lambda n: rng.normal(size=(n, 2)))
    assert set(result["values"]) == {"mmd2"}, "only MMD² for unknown data"
    assert result["against"] == "training", "custom data has no held-out draw"
    assert abs(result["values"]["mmd2"]) < 0.02, "same distribution, MMD² near 0"


def test_invalid_settings_are_rejected():
    dataset = make_dataset("ring8")
    with pytest.raises(ValueError, match="interval_s"):
        LiveMetrics(dataset, interval_s=-1)
    with pytest.raises(ValueError, match="max_cost_fraction"):
        LiveMetrics(dataset, max_cost_fraction=0)
    with pytest.raises(ValueError, match="samples"):
        LiveMetrics(dataset, samples=1)


def test_one_time_setup_does_not_stretch_interval(monkeypatch):
    clock = FakeClock()
    metrics = LiveMetrics(
        make_dataset("ring8"), interval_s=1.0, max_cost_fraction=0.1, clock=clock
    )
    original = LiveMetrics.reference

    def slow_first_reference(self):
        if self._reference is None:
            clock.now += 10.0  # Like fitting the digit classifier once.
        return original(self)

    monkeypatch.setattr(LiveMetrics, "reference", slow_first_reference)
    metrics.update(1, generate_ring)
    clock.now = 1.0
    first = metrics.update(2, generate_ring)
    assert first["step"] == 2, "due after the interval"
    assert first["seconds"] < 10.0, f"the setup is not the cost: {first['seconds']}"
    clock.now = 12.5
    assert metrics.update(3, generate_ring)["step"] == 3, (
        "the next evaluation waits for the interval, not 10 s / 10 %"
    )


class ManualExecutor:
    """An executor that runs the submitted calls only when the test calls run_all."""

    def __init__(self):
        self.jobs = []

    def submit(self, function, *args):
        future = Future()
        self.jobs.append((future, function, args))
        return future

    def run_all(self):
        for future, function, args in self.jobs:
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = function(*args)
            except Exception as error:  # noqa: BLE001 - kept for the caller
                future.set_exception(error)
            else:
                future.set_result(result)
        self.jobs.clear()


def test_executor_result_arrives_next_call():
    clock = FakeClock()
    executor = ManualExecutor()
    metrics = LiveMetrics(
        make_dataset("ring8"), interval_s=1.0, clock=clock, executor=executor
    )
    assert metrics.update(1, generate_ring) is None, "the first call starts the clock"
    clock.now = 1.0
    assert metrics.update(10, generate_ring) is None, "step 10 is being computed"
    assert len(executor.jobs) == 1, "the evaluation went to the executor"
    clock.now = 5.0
    assert metrics.update(20, generate_ring) is None, "no second job while one runs"
    assert len(executor.jobs) == 1, "still the one job"

    executor.run_all()
    result = metrics.update(30, generate_ring)
    assert result is not None, "the finished job's result is returned"
    assert result["step"] == 10, "it is the result of the step it was drawn at"
    synchronous = LiveMetrics(make_dataset("ring8"), interval_s=0.0)
    expected = synchronous.update(10, generate_ring, final=True)
    assert result["values"] == expected["values"], "same values as in the caller"


def test_final_update_waits_for_executor():
    clock = FakeClock()
    executor = ManualExecutor()
    metrics = LiveMetrics(
        make_dataset("ring8"), interval_s=0.0, clock=clock, executor=executor
    )
    metrics.update(1, generate_ring)
    assert len(executor.jobs) == 1, "step 1 went to the executor"
    final = metrics.update(50, generate_ring, final=True)
    assert final is not None, "the final call returns a result at once"
    assert final["step"] == 50, "the final result is for the last step"
    assert executor.jobs[0][0].cancelled(), "the job that had not started is dropped"


def test_executor_error_raised_in_caller():
    clock = FakeClock()
    executor = ManualExecutor()
    metrics = LiveMetrics(
        make_dataset("ring8"), interval_s=0.0, clock=clock, executor=executor
    )
    metrics.update(1, lambda n: np.full((n, 2), np.nan))
    assert len(executor.jobs) == 1, "step 1 went to the executor"
    executor.run_all()
    with pytest.raises(ValueError, match="NaN"):
        metrics.update(2, generate_ring)


def test_final_update_with_thread_executor():
    with ThreadPoolExecutor(max_workers=1) as executor:
        metrics = LiveMetrics(make_dataset("ring8"), interval_s=0.0, executor=executor)
        metrics.update(1, generate_ring)
        final = metrics.update(80, generate_ring, final=True)
    assert final["step"] == 80, "the final call waits for the thread, then computes"
    assert final["values"]["modes_captured"] == 8, "ring8's own points hit every mode"
