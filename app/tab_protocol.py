"""The protocol that every tab of the main window implements.

The window's shared machinery (presets, presenter mode, formulas, export, remembered
settings, recording) talks to tabs only through the members below, so a new tab gets
all of it by implementing them. The window checks the required members with
:func:`missing_members` and skips the features of a tab that lacks them, so a tab
that is still being written never breaks the window.

Required
--------
``key`` : str
    Stable identifier used in preset files, in the command line and in the saved
    settings, such as ``"gan"``. Never change it once presets exist.
``title`` : str
    Text on the tab.
``status_message(str)``, ``error_occurred(str)`` : Signal
    A line for the status bar, and a failure for the window's message area.
``settings() -> dict``
    Every setting of the tab as plain TOML values (str, int, float, bool, lists of
    them), keyed by the names a preset file uses. Machine-specific settings such as
    the device are left out.
``apply_settings(values)``
    Validate ``values`` (a possibly partial dict in the format of ``settings``)
    and, only when every value is valid, show them in the controls and reset the
    run. Raises ``ValueError`` with a message naming the key and the value;
    nothing changes in that case.
``formulas() -> list[widgets.formula_view.Formula]``
    The method's formulas, shown in the window's formula panel.
``toggle()``, ``step()``, ``reset()``, ``shutdown()``
    Start or pause, one step, discard the run, stop the worker before closing.

Optional
--------
``set_controls_visible(visible)``
    Hide or show the settings column (presenter mode, Ctrl+H).
``frame_widget() -> QWidget`` and ``frame_drawn()`` signal
    The view that a GIF recording grabs, and a signal sent after each drawn
    snapshot.
``samples() -> numpy.ndarray | None``
    The latest samples, shape (n, dim), for Export samples.
``image_grid() -> widgets.image_grid.ImageGrid | None``
    The generated image mosaic, when the tab shows one.
``set_user_data(dataset, source)``
    Train on a ``models.datasets.Dataset`` loaded from the user's file ``source``.
``load_checkpoint(folder)``, ``save_checkpoint(folder)``
    Continue a saved run, or save the current one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

REQUIRED_MEMBERS = (
    "key",
    "title",
    "status_message",
    "error_occurred",
    "settings",
    "apply_settings",
    "formulas",
    "toggle",
    "step",
    "reset",
    "shutdown",
)


@runtime_checkable
class PlaygroundTab(Protocol):
    """A tab that the window's presets, presenter mode and export can drive."""

    key: str
    title: str

    def settings(self) -> dict[str, Any]:
        """Return every setting as plain TOML values."""
        ...

    def apply_settings(self, values: Mapping[str, Any]) -> None:
        """Validate and apply settings; raise ValueError and change nothing."""
        ...

    def formulas(self) -> list:
        """Return the method's formulas."""
        ...

    def toggle(self) -> None: ...

    def step(self) -> None: ...

    def reset(self) -> None: ...

    def shutdown(self) -> None: ...


def missing_members(tab: object) -> list[str]:
    """Return the required members that ``tab`` (an instance or a class) lacks."""
    return [name for name in REQUIRED_MEMBERS if not hasattr(tab, name)]


def implements_protocol(tab: object) -> bool:
    return not missing_members(tab)


def tab_key(tab: object) -> str:
    """Return the tab's stable key, or its lower-case title for a tab without one."""
    key = getattr(tab, "key", None)
    if key:
        return str(key)
    return str(getattr(tab, "title", type(tab).__name__)).lower()
