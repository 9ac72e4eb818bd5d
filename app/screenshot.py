"""``gan-playground screenshot``: train in an off-screen window and save an image."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from app.cli import CommandError

logger = logging.getLogger(__name__)

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def parse_settings(items: list[str]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` items into a dict.

    Raises
    ------
    CommandError
        If an item has no ``=`` or an empty key.
    """
    settings = {}
    for item in items:
        key, separator, value = item.partition("=")
        key = key.strip()
        if not separator or not key:
            raise CommandError(f"--set expects KEY=VALUE, got {item!r}")
        settings[key] = value.strip()
    return settings


def parse_bool(key: str, value) -> bool:
    """Read a check box value such as true, false, 1 or 0."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CommandError(
        f"{key} must be one of {', '.join(TRUE_WORDS + FALSE_WORDS)}, got {value!r}"
    )


def find_tab(pages: list, name: str):
    """Return the tab whose lower-cased title is ``name`` or uniquely contains it.

    Raises
    ------
    CommandError
        If no tab or more than one tab matches.
    """
    titles = {page.title.lower(): page for page in pages}
    name = name.lower()
    if name in titles:
        return titles[name]
    keys = {getattr(page, "key", None): page for page in pages}
    if name in keys:
        return keys[name]
    matches = [title for title in titles if name in title]
    if len(matches) == 1:
        return titles[matches[0]]
    choices = ", ".join(repr(title) for title in titles)
    if matches:
        raise CommandError(
            f"tab {name!r} matches several tabs; choose one of {choices}"
        )
    raise CommandError(f"unknown tab {name!r}; choose one of {choices}")


def apply_settings(page, values: dict) -> None:
    """Set form fields and check boxes (``page.options``) of a tab by key.

    Raises
    ------
    CommandError
        If a key is neither a field nor an option, or a value is invalid.
    """
    options = getattr(page, "options", {})
    fields = page.form.fields
    for key, value in values.items():
        try:
            if key in options:
                options[key].setChecked(parse_bool(key, value))
            elif key in fields and fields[key].kind == "bool":
                page.form.set_value(key, parse_bool(key, value))
            elif key in fields:
                page.form.set_value(key, value)
            else:
                known = ", ".join(sorted([*fields, *options]))
                raise CommandError(
                    f"unknown setting {key!r} for tab {page.title!r}; known: {known}"
                )
        except ValueError as error:
            raise CommandError(str(error)) from error


def capture_window(
    tab: str,
    out: Path,
    data: str | None = None,
    steps: int = 500,
    seed: int = 0,
    size=(1400, 860),
    settings: dict | None = None,
    timeout_s: float = 600.0,
) -> Path:
    """Open the window, run ``steps`` steps in one tab and save a PNG of the window.

    Raises
    ------
    CommandError
        If the tab is unknown, a setting is invalid, or the run fails.
    """
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from app.gui import make_application
    from app.main_window import MainWindow

    application = make_application()
    window = MainWindow(probe_torch=False)
    window.resize(*size)
    try:
        page = find_tab(window.tab_instances(), tab)
        window.tabs.setCurrentWidget(page)
        values = dict(settings or {})
        if data is not None:
            values["data"] = data
        # Sampling tabs take --data as their target and --steps as their length.
        aliases = getattr(page, "setting_aliases", {})
        values = {aliases.get(key, key): value for key, value in values.items()}
        if "data" in values:
            # The data set first: choosing one loads its default settings.
            try:
                page.form.set_value("data", values.pop("data"))
            except ValueError as error:
                raise CommandError(str(error)) from error
        values.setdefault("seed", seed)
        if steps > 0:
            values.setdefault(aliases.get("steps", "steps"), steps)
        for key, value in getattr(page, "screenshot_settings", {}).items():
            values.setdefault(key, value)
        apply_settings(page, values)
        window.show()

        failures: list[str] = []
        page.error_occurred.connect(failures.append)
        if steps > 0:
            loop = QEventLoop()
            page.controller.state_changed.connect(
                lambda state: loop.quit() if state in ("stopped", "idle") else None
            )
            QTimer.singleShot(int(timeout_s * 1000), loop.quit)
            page.start()
            if page.controller.busy:
                loop.exec()
            if page.controller.busy:
                page.controller.stop()
                raise CommandError(f"the run did not finish within {timeout_s:.0f} s")
        if failures:
            raise CommandError(failures[-1])
        # Let the last snapshot draw before grabbing.
        for _ in range(5):
            application.processEvents()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out)):
            raise CommandError(f"could not write {out}")
        logger.info("saved screenshot %s", out)
        return out
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()


def run_screenshot(args) -> int:
    out = capture_window(
        args.tab,
        args.out,
        data=args.data,
        steps=args.steps,
        seed=args.seed,
        size=tuple(args.size),
        settings=parse_settings(args.settings),
    )
    print(out)
    return 0
