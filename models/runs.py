"""The protocol that every long computation follows, so that one worker runs them all.

A *run* is a training loop or a sampler broken into steps. The GUI worker and the
command line both drive it the same way::

    for record in run.steps():      # one item per step, cheap to make
        if time_to_draw:
            views = run.snapshot()  # plain data for the plots, made on demand

``steps`` is a generator, so a run does no work between items and can be paused or
stopped at any step boundary. ``snapshot`` is called by the driver at most a few tens
of times per second; it returns copies (numpy arrays, floats, dicts) that stay valid
while the run goes on in another thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Run(Protocol):
    """A computation made of steps that yields after each one.

    Attributes
    ----------
    total_steps : int or None
        Number of items ``steps`` yields before it ends, or None for an open-ended run.
    step : int
        Number of steps done so far.
    """

    total_steps: int | None
    step: int

    def steps(self) -> Iterator[Any]:
        """Do one step per iteration and yield a small record of it."""
        ...

    def snapshot(self) -> Any:
        """Return plain data describing the current state, for plots or files."""
        ...


class NonFiniteError(FloatingPointError):
    """Raised by a run when a loss or a sample becomes NaN or infinite."""
