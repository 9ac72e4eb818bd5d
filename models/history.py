"""A loss history of bounded size for runs of any length."""

from __future__ import annotations

import numpy as np


class History:
    """Rows of floats recorded every ``stride`` steps, with memory bounded by capacity.

    Rows sit on an even grid: the first row and every ``stride``-th one after it.
    When the grid fills, every second grid row is dropped and the stride doubles, so
    a run of any length keeps between capacity/2 and capacity rows spread evenly over
    it. The most recent row is always kept as well, exactly, even when it falls
    between two grid rows, so the last row shown or saved is that of the last step.

    Parameters
    ----------
    columns : sequence of str
        Column names; the first is usually ``step``.
    capacity : int
        Maximum number of rows kept, the most recent row included; must be even and
        at least 4.
    """

    def __init__(self, columns, capacity: int = 4096):
        if capacity < 4 or capacity % 2:
            raise ValueError(f"capacity must be an even number >= 4, got {capacity}")
        self.columns = tuple(columns)
        self.capacity = capacity
        self.stride = 1
        # One slot stays free for a latest row that is off the grid.
        self._rows = np.empty((capacity, len(self.columns)), dtype=np.float64)
        self._count = 0
        self._latest = np.empty(len(self.columns), dtype=np.float64)
        self._latest_on_grid = True
        self._seen = 0

    def __len__(self) -> int:
        return self._count + (not self._latest_on_grid)

    def append(self, *values: float) -> None:
        """Record one row as the latest, and on the grid when it falls on a stride."""
        seen = self._seen
        self._seen += 1
        self._latest[:] = values
        self._latest_on_grid = False
        if seen % self.stride:
            return

        # Thin the grid: an even capacity leaves an odd number of grid rows, so the
        # rows kept are 0, 2 * stride, 4 * stride, ... and this row, an odd multiple
        # of the old stride, falls off the new grid.
        if self._count == self.capacity - 1:
            kept = self._rows[: self._count : 2].copy()
            self._count = len(kept)
            self._rows[: self._count] = kept
            self.stride *= 2
            if seen % self.stride:
                return
        self._rows[self._count] = values
        self._count += 1
        self._latest_on_grid = True

    def restore(self, rows, stride: int, seen: int) -> None:
        """Replace the contents with rows written by `as_dict` of another history.

        ``rows`` has shape (n, len(columns)), ``stride`` is that history's stride
        and ``seen`` the number of rows ever appended to it. The next `append`
        then continues its grid, so a resumed run stays evenly spaced.

        Raises
        ------
        ValueError
            If the shape, stride or row count does not fit that of a history of
            this capacity after ``seen`` appends.
        """
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != len(self.columns):
            raise ValueError(
                f"history rows have shape {rows.shape}; "
                f"expected (rows, {len(self.columns)})"
            )
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ValueError(
                f"history stride must be a whole number >= 1, got {stride!r}"
            )
        if seen < 0:
            raise ValueError(f"appended row count must be >= 0, got {seen}")
        grid_rows = 0 if seen == 0 else (seen - 1) // stride + 1
        latest_on_grid = seen == 0 or (seen - 1) % stride == 0
        expected = grid_rows + (not latest_on_grid)
        if len(rows) != expected or grid_rows > self.capacity - 1:
            raise ValueError(
                f"{len(rows)} history rows do not fit {seen} steps at stride "
                f"{stride} (expected {expected} rows)"
            )
        self.stride = stride
        self._seen = seen
        self._count = grid_rows
        self._rows[:grid_rows] = rows[:grid_rows]
        self._latest_on_grid = latest_on_grid
        if len(rows):
            self._latest[:] = rows[-1]

    def _table(self) -> np.ndarray:
        rows = self._rows[: self._count]
        if self._latest_on_grid:
            return rows
        return np.vstack([rows, self._latest[None]])

    def as_dict(self) -> dict[str, np.ndarray]:
        """Return a copy of each column, the latest row last."""
        rows = self._table()
        return {name: rows[:, i].copy() for i, name in enumerate(self.columns)}

    def last(self) -> dict[str, float] | None:
        """Return the most recent row by column name, or None before the first."""
        if not self._seen:
            return None
        return dict(zip(self.columns, self._latest.tolist(), strict=True))
