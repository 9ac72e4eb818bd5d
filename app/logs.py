"""Logging to the terminal and to a log file, and hooks for uncaught exceptions."""

from __future__ import annotations

import logging
import os
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def user_data_dir() -> Path:
    """Return the folder for logs and settings: $XDG_DATA_HOME/gan-playground."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData/Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library/Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share"))
    return base / "gan-playground"


def configure_logging(verbosity: int = 0, log_file: bool = True) -> Path | None:
    """Send warnings (or more with -v, -vv) to stderr and INFO and up to a file.

    Returns the log file's path, or None when it could not be opened; the program
    then runs with terminal logging only.
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_gan_playground", False):
            root.removeHandler(handler)
    console = logging.StreamHandler()
    console.setLevel(
        {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    )
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    console._gan_playground = True
    root.addHandler(console)
    for noisy in ("matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    path = None
    if log_file:
        path = user_data_dir() / "gan-playground.log"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(
                path, maxBytes=1_000_000, backupCount=2, encoding="utf-8"
            )
        except OSError as error:
            logging.getLogger(__name__).warning(
                "cannot open log file %s: %s", path, error
            )
            path = None
        else:
            handler.setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
            handler.setFormatter(logging.Formatter(LOG_FORMAT))
            handler._gan_playground = True
            root.addHandler(handler)
    install_exception_hooks()
    return path


_listeners: list = []


def add_exception_listener(listener) -> None:
    """Call listener(message) for every uncaught exception, in any thread."""
    _listeners.append(listener)


def remove_exception_listener(listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _report(kind: str, exc_type, exc_value, exc_traceback) -> None:
    logging.getLogger("app").error(
        "uncaught exception in %s", kind, exc_info=(exc_type, exc_value, exc_traceback)
    )
    message = f"{exc_type.__name__}: {exc_value}"
    for listener in list(_listeners):
        try:
            listener(message)
        except Exception:  # noqa: BLE001 - a broken listener must not hide the error
            logging.getLogger("app").debug("exception listener failed", exc_info=True)


def install_exception_hooks() -> None:
    """Log uncaught exceptions of the main thread and of other threads."""

    def main_hook(exc_type, exc_value, exc_traceback):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc_value, exc_traceback)
            return
        _report("main thread", exc_type, exc_value, exc_traceback)

    def thread_hook(args):
        name = args.thread.name if args.thread else "thread"
        _report(name, args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = main_hook
    threading.excepthook = thread_hook
