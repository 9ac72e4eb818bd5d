"""``gan-playground screenshot``: train in an off-screen window and save an image."""

from __future__ import annotations

import contextlib
import logging
import math
import os
from pathlib import Path

from app.cli import CommandError
from models.limits import format_bytes

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


SETTING_ALIASES = {
    "lr": ("g_lr", "d_lr"),
    "width": ("g_width", "d_width"),
    "layers": ("g_layers", "d_layers"),
    "ema": ("g_ema",),
    "loss": ("generator_loss",),
}
"""Names of ``gan-playground train`` options that ``--set`` also accepts, with the
form fields each one sets, for a tab without a field of that name."""


def expand_aliases(values: dict, known) -> dict:
    """Replace option names such as ``lr`` or ``batch-size`` by the form's keys.

    A key of the tab's form or options is kept. Dashes become underscores, and a name in
    `SETTING_ALIASES` becomes the fields it sets when the tab has all of them.
    """
    expanded: dict = {}
    for key, value in values.items():
        name = key if key in known else key.replace("-", "_")
        targets = SETTING_ALIASES.get(name, ())
        if name not in known and targets and all(t in known for t in targets):
            expanded.update(dict.fromkeys(targets, value))
        else:
            expanded[name] = value
    return expanded


def _checked_value(key: str, field, value):
    """Return a form value for a ``--set`` text, or raise CommandError naming the
    field, the allowed values and the value given."""
    if field.kind in ("int", "float"):
        low, high = field.minimum, field.maximum
        kind = "a whole number" if field.kind == "int" else "a number"
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        whole = field.kind == "float" or (math.isfinite(number) and number % 1 == 0)
        if not (low <= number <= high and whole):
            raise CommandError(
                f"--set {key}: {field.label} must be {kind} from {low:g} to "
                f"{high:g}, got {value!r}"
            )
        return int(number) if field.kind == "int" else number
    if field.kind == "choice" and str(value) not in field.choices:
        raise CommandError(
            f"--set {key}: {field.label} must be one of "
            f"{', '.join(field.choices)}, got {value!r}"
        )
    return value


def apply_settings(page, values: dict) -> None:
    """Set form fields and check boxes (``page.options``) of a tab by key.

    Keys are the form's field keys, the names of ``page.options``, or the
    command-line names in `SETTING_ALIASES`.

    Raises
    ------
    CommandError
        If a key is unknown, listing the known ones, or a value is invalid,
        naming the field.
    """
    options = getattr(page, "options", {})
    fields = page.form.fields
    values = expand_aliases(values, {*fields, *options})
    for key, value in values.items():
        if key in options:
            options[key].setChecked(parse_bool(f"--set {key}", value))
        elif key in fields and fields[key].kind == "bool":
            page.form.set_value(key, parse_bool(f"--set {key}", value))
        elif key in fields:
            try:
                page.form.set_value(key, _checked_value(key, fields[key], value))
            except ValueError as error:
                raise CommandError(f"--set {key}: {error}") from error
        else:
            known = ", ".join(sorted([*fields, *options]))
            aliases = sorted(
                name
                for name, targets in SETTING_ALIASES.items()
                if all(target in fields for target in targets)
            )
            also = f" (or {', '.join(aliases)})" if aliases else ""
            raise CommandError(
                f"--set: unknown setting {key!r} for tab {page.title!r}; known: "
                f"{known}{also}"
            )


MAX_SIDE = 8192
"""Largest width or height of a screenshot in pixels; 8192 x 8192 takes 256 MiB."""

TRAINING_STEPS = 500
"""Training steps of a screenshot without ``--steps``; a sampling tab keeps the
length in its form."""

VECTOR_SUFFIXES = (".svg",)


def check_size(size) -> tuple[int, int]:
    """Return (width, height), or raise CommandError outside 1 to MAX_SIDE pixels."""
    width, height = (int(side) for side in size)
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise CommandError(
            f"--size {width} {height}: width and height must be from 1 to "
            f"{MAX_SIDE} pixels; the image would take "
            f"{format_bytes(4 * width * height)}"
        )
    return width, height


def image_suffixes() -> tuple[str, ...]:
    """Return the file suffixes that a screenshot can be written as."""
    from PySide6.QtGui import QImageWriter

    raster = sorted(
        f".{bytes(name).decode()}" for name in QImageWriter.supportedImageFormats()
    )
    return (*raster, *VECTOR_SUFFIXES)


def check_output(out: Path) -> Path:
    """Return ``out``, or raise CommandError when its suffix is no image format."""
    out = Path(out)
    suffixes = image_suffixes()
    if out.suffix.lower() not in suffixes:
        given = out.suffix or "no suffix"
        raise CommandError(
            f"--out {out}: cannot write images with {given}; use one of "
            f"{', '.join(suffixes)}"
        )
    return out


def capture_window(
    tab: str | None,
    out: Path,
    data: str | None = None,
    steps: int | None = None,
    seed: int | None = None,
    size=(1400, 860),
    settings: dict | None = None,
    timeout_s: float = 600.0,
    preset: str | None = None,
) -> Path:
    """Open the window, run ``steps`` steps in one tab and save an image of it.

    ``steps`` None runs `TRAINING_STEPS` in a training tab and the form's length
    in a sampling tab; 0 runs nothing. ``preset`` (a shipped name or a .toml
    file) shows the preset's tab with its settings, as the Presets menu does;
    ``data``, ``seed`` and ``settings`` then override it, and ``steps`` None
    keeps the preset's length. ``tab`` None means the preset's tab, or gan. The
    image format follows the suffix of ``out``: PNG, JPEG and the other formats
    of Qt's image writers, or SVG.

    Raises
    ------
    CommandError
        If the tab, the preset, the size or the suffix is invalid, a setting is
        invalid, or the run fails. A failed run leaves an existing ``out`` as it
        was.
    """
    size = check_size(size)
    chosen = _find_screenshot_preset(preset)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.gui import make_application
    from app.main_window import MainWindow

    application = make_application()
    out = check_output(out)
    with _qt_messages_logged(), _window_errors_kept_off_console() as window_errors:
        window = MainWindow(probe_torch=False)
        window.resize(*size)
        try:
            return _run_and_save(
                window,
                application,
                window_errors.reported,
                (tab, out, data, steps, seed, settings, timeout_s, chosen),
            )
        finally:
            window.shutdown()
            window.close()
            window.deleteLater()
            _report_other_errors(window_errors)


def _run_and_save(window, application, failures: list[str], request) -> Path:
    """Set up the tab, run it and save the image; collect the tab's errors in
    ``failures``."""
    tab, out, data, steps, seed, settings, timeout_s, preset = request
    pages = window.tab_instances()
    if preset is None:
        page = find_tab(pages, tab or "gan")
    else:
        page = _apply_preset(window, pages, preset)
        if tab is not None and find_tab(pages, tab) is not page:
            raise CommandError(
                f"--preset {preset.name} is for the {preset.tab!r} tab, not "
                f"{tab!r}; leave out --tab"
            )
        if seed is None:
            # The preset's own seed, so the image shows what the preset shows.
            seed = preset.settings.get("seed", 0)
    window.tabs.setCurrentWidget(page)
    run = _apply_screenshot_settings(
        page, data, steps, 0 if seed is None else seed, settings, preset is not None
    )
    window.show()

    page.error_occurred.connect(failures.append)
    if run:
        _run_until_stopped(page, timeout_s)
    if failures:
        # Each distinct message once, the last one as the error.
        for message in dict.fromkeys(failures[:-1]):
            if message != failures[-1]:
                logger.warning("%s", message)
        raise CommandError(failures[-1])

    # Let the last snapshot draw before grabbing.
    for _ in range(5):
        application.processEvents()
    _wait_for_formulas(window, timeout_s)
    _save_image(window, out)
    logger.info("saved screenshot %s", out)
    return out


def _find_screenshot_preset(name: str | None):
    """Return the preset named ``name``, or None without one.

    Raises
    ------
    CommandError
        If the preset cannot be found or read.
    """
    if name is None:
        return None
    from app.presets import PresetError, find_preset

    try:
        return find_preset(name)
    except PresetError as error:
        raise CommandError(f"--preset: {error}") from error


def _apply_preset(window, pages: list, preset):
    """Apply ``preset`` to its tab as the Presets menu does and return that tab.

    Raises
    ------
    CommandError
        If the window has no tab for the preset, or its settings are invalid.
    """
    by_key = {getattr(page, "key", None): page for page in pages}
    page = by_key.get(preset.tab)
    if page is None:
        raise CommandError(
            f"--preset {preset.name}: this window has no {preset.tab!r} tab"
        )
    try:
        page.apply_settings(preset.settings)
    except ValueError as error:
        raise CommandError(f"--preset {preset.name}: {error}") from error
    window.menus.preset_panel.show_preset(preset)
    return page


def _apply_screenshot_settings(
    page, data, steps, seed, settings, from_preset: bool = False
) -> bool:
    """Set the tab's form for the screenshot; return True when a run is due.

    With ``from_preset``, ``steps`` None keeps the length the form has.
    """
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
            raise CommandError(f"--data: {error}") from error
    values.setdefault("seed", seed)
    length_key = aliases.get("steps", "steps")
    if steps is None and length_key == "steps" and not from_preset:
        steps = TRAINING_STEPS
    if steps is not None and steps > 0:
        values.setdefault(length_key, steps)
    for key, value in getattr(page, "screenshot_settings", {}).items():
        values.setdefault(key, value)
    fit = getattr(page, "fit_screenshot_settings", None)
    if fit is not None:
        values = fit(values)
    apply_settings(page, values)
    return steps != 0


def _run_until_stopped(page, timeout_s: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

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


def _save_image(window, out: Path) -> None:
    """Write the window to ``out`` through a temporary file and a rename, so a
    failure leaves an existing file as it was."""
    import tempfile

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=out.parent, prefix=f".{out.stem}.", suffix=out.suffix
        )
        os.close(handle)
        # mkstemp makes the file private; give it the permissions of a new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(f"cannot write {out}: {reason}") from error
    try:
        if out.suffix.lower() in VECTOR_SUFFIXES:
            written = _save_svg(window, temporary)
        else:
            written = window.grab().save(temporary, out.suffix.lstrip(".").upper())
        if not written:
            raise CommandError(f"could not write {out}")
        os.replace(temporary, out)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(f"cannot write {out}: {reason}") from error
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _save_svg(window, path: str) -> bool:
    """Paint the window into an SVG file; return False when that failed."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(window.size())
    generator.setViewBox(window.rect())
    generator.setTitle(window.windowTitle())
    painter = QPainter()
    if not painter.begin(generator):
        return False
    try:
        window.render(painter, QPoint())
    finally:
        painter.end()
    return os.path.getsize(path) > 0


class _ConsoleErrorFilter(logging.Filter):
    """Keep the window's error lines off the terminal and remember them.

    The screenshot command prints a failure itself, so the window's own ERROR
    line would repeat it. The log file still receives every record.
    """

    def __init__(self):
        super().__init__()
        self.messages: list[str] = []
        self.reported: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "app.main_window" and record.levelno >= logging.ERROR:
            self.messages.append(record.getMessage())
            return False
        return True


@contextlib.contextmanager
def _window_errors_kept_off_console():
    """Attach `_ConsoleErrorFilter` to the terminal handlers while it runs."""
    error_filter = _ConsoleErrorFilter()
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler
    ]
    for handler in handlers:
        handler.addFilter(error_filter)
    try:
        yield error_filter
    finally:
        for handler in handlers:
            handler.removeFilter(error_filter)


def _report_other_errors(error_filter: _ConsoleErrorFilter) -> None:
    """Log the window's errors that the tab did not report, each once."""
    # The tab's failures reach the terminal as the command's error.
    for message in dict.fromkeys(error_filter.messages):
        if message not in error_filter.reported:
            logger.warning("%s", message)


@contextlib.contextmanager
def _qt_messages_logged():
    """Send Qt's messages to this module's logger instead of raw stderr lines.

    The off-screen platform warns that it cannot resize windows for size hints,
    which a screenshot does not need, so that message is logged at DEBUG.
    """
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def handle(kind, context, message: str) -> None:
        harmless = "does not support propagateSizeHints" in message
        if harmless or kind == QtMsgType.QtDebugMsg:
            logger.debug("Qt: %s", message)
        elif kind == QtMsgType.QtInfoMsg:
            logger.info("Qt: %s", message)
        else:
            logger.warning("Qt: %s", message)

    previous = qInstallMessageHandler(handle)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


def _wait_for_formulas(window, timeout_s: float) -> None:
    """Wait until the shown formula panel is typeset, which starts after a paint."""
    from PySide6.QtCore import QEventLoop, QTimer

    view = window.menus.formula_stack.currentWidget()
    if view is None or not view.isVisible() or not view.rendering:
        return
    loop = QEventLoop()
    view.typesetting_finished.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    if view.rendering:
        logger.warning("formulas not typeset within %.0f s", timeout_s)


def run_screenshot(args) -> int:
    out = capture_window(
        args.tab,
        args.out,
        data=args.data,
        steps=args.steps,
        seed=args.seed,
        size=tuple(args.size),
        settings=parse_settings(args.settings),
        preset=args.preset,
    )
    print(out)
    return 0
