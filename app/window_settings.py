"""Settings kept between sessions: geometry, tab, parameters and recent files.

Everything lives in one INI file, ``settings.ini`` in ``app.logs.user_data_dir()``
(for example ``~/.local/share/gan-playground`` on Linux), read and written through
QSettings. Tests point ``XDG_DATA_HOME`` or the ``path`` argument at a temporary
folder, so they never touch the user's file.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QSettings

logger = logging.getLogger(__name__)

SETTINGS_NAME = "settings.ini"
RECENT_KINDS = ("presets", "data", "checkpoints")
MAX_RECENT = 8


def open_settings(path: Path | None = None) -> QSettings:
    """Return the window's QSettings, stored as INI at ``path``.

    By default the file is ``settings.ini`` in ``app.logs.user_data_dir()``.
    """
    if path is None:
        from app.logs import user_data_dir

        path = user_data_dir() / SETTINGS_NAME
    return QSettings(str(path), QSettings.Format.IniFormat)


def recent_files(settings: QSettings, kind: str) -> list[str]:
    """Return the recent paths of one kind, newest first."""
    _check_kind(kind)
    value = settings.value(f"recent/{kind}", [])
    if isinstance(value, str):
        # QSettings returns a one-item list from an INI file as a plain string.
        value = [value] if value else []
    return [str(item) for item in value or []]


def add_recent_file(settings: QSettings, kind: str, path) -> list[str]:
    """Put ``path`` first in the recent list of ``kind``, keeping at most 8."""
    path = str(Path(path).resolve())
    paths = [p for p in recent_files(settings, kind) if p != path]
    paths = [path, *paths][:MAX_RECENT]
    settings.setValue(f"recent/{kind}", paths)
    return paths


def _check_kind(kind: str) -> None:
    if kind not in RECENT_KINDS:
        raise ValueError(f"unknown kind of recent file {kind!r}; use {RECENT_KINDS}")


def save_tab_settings(settings: QSettings, key: str, values: dict) -> None:
    """Store one tab's settings as JSON text under ``tabs/<key>``."""
    try:
        text = json.dumps(values)
    except (TypeError, ValueError) as error:
        logger.warning("cannot store the %s tab's settings: %s", key, error)
        return
    settings.setValue(f"tabs/{key}", text)


def load_tab_settings(settings: QSettings, key: str) -> dict | None:
    """Return one tab's stored settings, or None when absent or unreadable."""
    text = settings.value(f"tabs/{key}")
    if not text:
        return None
    try:
        values = json.loads(str(text))
    except ValueError:
        logger.warning("ignoring unreadable stored settings of the %s tab", key)
        return None
    return values if isinstance(values, dict) else None
