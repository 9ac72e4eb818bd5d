"""A loss history of bounded size for runs of any length."""

from __future__ import annotations

import numpy as np


class History:
    """Rows of floats recorded every ``stride`` steps, with memory bounded by capacity.

    When the table fills, every second row is dropped and the stride doubles, so a run
    of any length keeps between capacity/2 and capacity rows spread evenly over it.

    Parameters
    ----------
    columns : sequence of str
        Column names; the first is usually ``step``.
    capacity : int
        Maximum number of rows kept; must be even and at least 2.
    """

    def __init__(self, columns, capacity: int = 4096):
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number >= 2, got {capacity}")
        self.columns = tuple(columns)
        self.capacity = capacity
        self.stride = 1
        self._rows = np.empty((capacity, len(self.columns)), dtype=np.float64)
        self._count = 0
        self._seen = 0

    def __len__(self) -> int:
        return self._count

    def append(self, *values: float) -> None:
        """Record one row, or skip it when it falls between strides."""
        seen = self._seen
        self._seen += 1
        if seen % self.stride:
            return
        if self._count == self.capacity:
            half = self.capacity // 2
            self._rows[:half] = self._rows[: self.capacity : 2]
            self._count = half
            self.stride *= 2
            if seen % self.stride:
                return
        self._rows[self._count] = values
        self._count += 1

    def as_dict(self) -> dict[str, np.ndarray]:
        """Return a copy of each column."""
        rows = self._rows[: self._count]
        return {name: rows[:, i].copy() for i, name in enumerate(self.columns)}

    def last(self) -> dict[str, float] | None:
        if not self._count:
            return None
        return dict(
            zip(self.columns, self._rows[self._count - 1].tolist(), strict=True)
        )
