"""How many threads torch may use beside the GUI thread."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)

THREADS_VARIABLE = "GAN_PLAYGROUND_TORCH_THREADS"


def torch_thread_count(cpu_count: int | None = None) -> int:
    """Return the number of intra-op torch threads for a training worker.

    One core is left to the GUI thread and the live metrics thread, and more than
    4 threads do not speed up the small networks of this playground (see
    docs/benchmarks.md). On 2 cores, 2 threads trained digits at 92 steps/s in
    the window and 98 in a bare loop, against 152 and 167 with 1 thread
    (benchmarks/gui_speed.py at load 1). The environment variable
    GAN_PLAYGROUND_TORCH_THREADS overrides the choice.
    """
    override = os.environ.get(THREADS_VARIABLE)
    if override:
        try:
            value = int(override)
        except ValueError:
            logger.warning("ignoring %s=%r: not an integer", THREADS_VARIABLE, override)
        else:
            if value >= 1:
                return value
            logger.warning("ignoring %s=%r: must be >= 1", THREADS_VARIABLE, override)
    cores = cpu_count or os.cpu_count() or 1
    return max(1, min(cores - 1, 4))


def configure_torch_threads(count: int | None = None) -> int:
    """Set torch's intra-op thread count and return it."""
    import torch

    count = count or torch_thread_count()
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
        logger.debug("torch uses %s intra-op threads", count)
    return count


_metrics_executor: ThreadPoolExecutor | None = None
_metrics_executor_lock = threading.Lock()


def metrics_executor() -> ThreadPoolExecutor:
    """Return the one thread that computes every tab's live quality metrics.

    It is made on first use with the workers' torch thread count. The metrics
    are mostly numpy and torch work that releases the GIL, so on a second core
    they cost the training loop little.
    """
    global _metrics_executor
    with _metrics_executor_lock:
        if _metrics_executor is None:
            _metrics_executor = ThreadPoolExecutor(
                max_workers=1,
                thread_name_prefix="live-metrics",
                initializer=configure_torch_threads,
            )
        return _metrics_executor
