"""Experiment presets: a tab, its settings and a short explanation, in a TOML file.

A preset file looks like this::

    format = 1
    tab = "gan"
    title = "Saturating loss stalls early"
    order = 10
    explanation = \"\"\"What to watch for and why.\"\"\"

    [settings]
    data = "ring8"
    generator_loss = "saturating"

``tab`` is the tab's stable key (see ``app.tab_protocol``); ``settings`` uses the
names of the tab's ``settings()``. Settings left out take the tab's defaults for the
chosen data set. ``order`` sorts the shipped presets in menus and for Next preset.
The presets shipped with the program are the ``*.toml`` files in ``app/presets``;
their name is the file name without ``.toml``.

This module does not import Qt, so the command line can read presets headless.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 has no tomllib; tomli is the same parser.
    import tomli as tomllib

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
TOP_LEVEL_KEYS = ("format", "tab", "title", "order", "explanation", "settings")
MAX_PRESET_BYTES = 256 * 1024


VIEW_OPTIONS = ("compare_losses", "gradient_arrows", "slow_motion")
"""Tab check boxes that a preset may set but that change only what the window shows,
so headless commands leave them out."""


class PresetError(ValueError):
    """Raised for a preset file that is missing, unreadable or invalid."""


@dataclass(frozen=True)
class Preset:
    """One experiment: which tab, which settings, and what it shows.

    Attributes
    ----------
    name : str
        File name without ``.toml``; how the command line names a shipped preset.
    tab : str
        Stable key of the tab, such as ``"gan"``.
    title : str
        One line for menus.
    explanation : str
        A few sentences on what to watch for, shown beside the plots.
    settings : dict
        Tab settings as plain TOML values.
    order : int
        Position among the shipped presets; smaller comes first.
    path : Path or None
        File the preset was read from.
    """

    name: str
    tab: str
    title: str
    explanation: str
    settings: dict[str, Any] = field(default_factory=dict)
    order: int = 1000
    path: Path | None = None


def parse_preset(text: str, name: str, source: str = "preset") -> Preset:
    """Parse the TOML text of a preset.

    Raises
    ------
    PresetError
        If the text is not TOML, a top-level key is unknown or missing, or a
        value has the wrong type. The message starts with ``source``.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PresetError(f"{source} is not valid TOML: {error}") from error

    unknown = sorted(set(document) - set(TOP_LEVEL_KEYS))
    if unknown:
        raise PresetError(
            f"{source} has unknown key(s) {', '.join(unknown)}; a preset has "
            f"{', '.join(TOP_LEVEL_KEYS)}"
        )
    version = document.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise PresetError(
            f"{source} has format {version!r}; this program reads format "
            f"{FORMAT_VERSION}"
        )
    for key in ("tab", "title"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise PresetError(f"{source} needs a text value for {key!r}")
    explanation = document.get("explanation", "")
    if not isinstance(explanation, str):
        raise PresetError(f"{source}: 'explanation' must be text")
    order = document.get("order", 1000)
    if not isinstance(order, int) or isinstance(order, bool):
        raise PresetError(f"{source}: 'order' must be a whole number, got {order!r}")
    settings = document.get("settings", {})
    if not isinstance(settings, dict):
        raise PresetError(f"{source}: [settings] must be a table of values")
    return Preset(
        name=name,
        tab=document["tab"].strip(),
        title=document["title"].strip(),
        explanation=" ".join(explanation.split()),
        settings=dict(settings),
        order=order,
    )


def load_preset(path) -> Preset:
    """Read a preset file.

    Raises
    ------
    PresetError
        If the file is missing, too large, not UTF-8 or not a valid preset.
    """
    path = Path(path)
    if not path.is_file():
        raise PresetError(f"preset file {path} does not exist")
    size = path.stat().st_size
    if size > MAX_PRESET_BYTES:
        raise PresetError(
            f"{path} is {size:,} bytes; a preset is at most {MAX_PRESET_BYTES:,}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise PresetError(f"preset {path} is not a UTF-8 text file") from error
    except OSError as error:
        raise PresetError(f"cannot read preset {path}: {error}") from error
    preset = parse_preset(text, path.stem, source=str(path))
    return Preset(**{**preset.__dict__, "path": path})


def preset_to_toml(preset: Preset) -> str:
    """Return the TOML text of a preset, settings last."""
    import tomli_w

    document = {
        "format": FORMAT_VERSION,
        "tab": preset.tab,
        "title": preset.title,
        "order": preset.order,
        "explanation": preset.explanation,
        "settings": preset.settings,
    }
    return tomli_w.dumps(document, multiline_strings=True)


def save_preset(path, preset: Preset) -> Path:
    """Write a preset through a temporary file and a rename, and return the path.

    Raises
    ------
    PresetError
        If a setting cannot be written as TOML or the file cannot be written.
    """
    from models.checkpoint import atomic_write_text

    path = Path(path)
    try:
        text = preset_to_toml(preset)
    except TypeError as error:
        raise PresetError(f"cannot write the settings as TOML: {error}") from error
    try:
        atomic_write_text(path, text)
    except OSError as error:
        raise PresetError(f"cannot write preset {path}: {error}") from error
    logger.info("saved preset %s for tab %s", path, preset.tab)
    return path


def shipped_presets() -> list[Preset]:
    """Return the presets in ``app/presets``, sorted by ``order`` and name.

    A shipped file that fails to parse is logged and skipped, so one broken file
    does not hide the others. The tests parse every shipped file.
    """
    presets = []
    folder = resources.files("app") / "presets"
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".toml"):
            continue
        name = entry.name.removesuffix(".toml")
        try:
            presets.append(
                parse_preset(
                    entry.read_text(encoding="utf-8"), name, f"preset {entry.name}"
                )
            )
        except PresetError:
            logger.warning("skipping shipped preset %s", entry.name, exc_info=True)
    return sorted(presets, key=lambda preset: (preset.order, preset.name))


def find_preset(name_or_file: str) -> Preset:
    """Return a shipped preset by name, or read a preset file.

    A value that names an existing file, or ends in ``.toml``, is read as a file.

    Raises
    ------
    PresetError
        If there is no such file or shipped preset.
    """
    path = Path(name_or_file)
    if path.suffix == ".toml" or path.is_file():
        return load_preset(path)
    presets = shipped_presets()
    for preset in presets:
        if preset.name == name_or_file:
            return preset
    names = ", ".join(preset.name for preset in presets)
    raise PresetError(
        f"no preset named {name_or_file!r}; use one of {names}, or a .toml file"
    )


def check_setting_types(
    values: Mapping[str, Any], defaults: Mapping[str, Any], what: str = "setting"
) -> None:
    """Check that every key is known and every value has its default's type.

    Integers are accepted for floats; booleans are never accepted for numbers. A
    list default requires a non-empty list whose values have the type of the
    default's first item; the length is left to the caller's own checks.

    Raises
    ------
    ValueError
        Naming the first unknown key, or the key whose value has the wrong type.
    """
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown {what}(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(defaults))}"
        )
    for key, value in values.items():
        _check_type(key, value, defaults[key])


def _check_type(key: str, value: Any, default: Any) -> None:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false, got {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{key} must be a whole number, got {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{key} must be a finite number, got {value!r}")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"{key} must be text, got {value!r}")
    elif isinstance(default, (list, tuple)):
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError(f"{key} must be a list of values, got {value!r}")
        for index, item in enumerate(value):
            _check_type(f"{key}[{index}]", item, default[0])
