"""``gan-playground screenshot``: train in an off-screen window and save an image."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from app.cli import CommandError

logger = logging.getLogger(__name__)


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
        names = {t.title.lower(): t for t in window.tab_instances()}
        page = names.get(tab.lower())
        if page is None:
            raise CommandError(f"unknown tab {tab!r}; choose one of {', '.join(names)}")
        window.tabs.setCurrentWidget(page)
        values = dict(settings or {})
        if data is not None:
            values["data"] = data
        if "data" in values:
            # The data set first: choosing one loads its default settings.
            try:
                page.form.set_value("data", values.pop("data"))
            except ValueError as error:
                raise CommandError(str(error)) from error
        values.setdefault("seed", seed)
        if steps > 0:
            values.setdefault("steps", steps)
        try:
            page.form.set_values(values)
        except ValueError as error:
            raise CommandError(str(error)) from error
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
    )
    print(out)
    return 0
