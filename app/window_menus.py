"""The window's menus, docks and shortcuts for presets, presenter mode and files.

:class:`WindowMenus` adds the File, Run, View and Presets menus to a ``MainWindow``.
It also adds a strip with the loaded demonstration's explanation, a panel with the
current tab's formulas, presenter mode, export, GIF recording, recent files and the
settings remembered between sessions. It talks to tabs only through the
protocol of ``app.tab_protocol``; features a tab does not implement are disabled for
it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QStackedWidget,
)

from app.export import (
    ExportError,
    GifRecorder,
    export_image_grid,
    export_plot,
    export_samples,
    plot_items,
)
from app.formulas import formulas_for
from app.own_data import DrawDataDialog, dataset_from_drawing, load_data_path
from app.preset_panel import PresetPanel
from app.presets import Preset, PresetError, find_preset, save_preset, shipped_presets
from app.tab_protocol import implements_protocol, tab_key
from app.window_settings import (
    add_recent_file,
    load_tab_settings,
    recent_files,
    save_tab_settings,
)
from widgets.formula_view import FormulaView
from widgets.presentation import PresentationStyle

logger = logging.getLogger(__name__)

FORMULA_PT = 13.0
FORMULA_DOCK_WIDTH = 400
PRESENTER_FORMULA_DOCK_WIDTH = 560
PRESENTER_FORMULA_PT = 22.0


class WindowMenus(QObject):
    """Menus, docks and shortcuts of the main window.

    Parameters
    ----------
    window : app.main_window.MainWindow
        The window to extend. Its tab pages must exist already, and
        ``window.tab_built`` reports each tab that is built later.
    settings : QSettings or None
        Where geometry, the last tab, parameters and recent files are kept;
        None keeps nothing between sessions.
    """

    def __init__(self, window, settings: QSettings | None = None):
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.presets = shipped_presets()
        self.preset_index = -1
        self.presenter = PresentationStyle()
        self.recorder: GifRecorder | None = None
        self._recorded_tab = None
        self._last_dir = ""
        # Restored settings of tabs not built yet, applied when they are built.
        self._restored_settings: dict[str, dict] = {}

        self._build_docks()
        self._build_file_menu()
        self._build_run_menu()
        self._build_view_menu()
        self._build_presets_menu()

        window.tab_built.connect(self._on_window_tab_built)
        window.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._on_tabs_current_changed(window.tabs.currentIndex())

    # Building.

    def _tabs(self) -> list:
        return self.window.built_tabs()

    def _titles(self) -> dict[str, str]:
        return {tab_key(cls): cls.title for cls in self.window.tab_types}

    def _current(self):
        return self.window.tabs.currentWidget()

    def _build_docks(self) -> None:
        window = self.window

        # The preset strip spans the window above the tabs.
        self.preset_panel = PresetPanel(self.presets, self._titles())
        self.preset_panel.preset_chosen.connect(self.load_preset)
        self.preset_dock = QDockWidget("Demonstration", window)
        self.preset_dock.setObjectName("preset")
        self.preset_dock.setWidget(self.preset_panel)
        window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.preset_dock)

        # One formula view per tab, made when the tab is first shown.
        self.formula_stack = QStackedWidget()
        self.formula_views: dict[int, FormulaView] = {}
        self.formula_dock = QDockWidget("Formulas", window)
        self.formula_dock.setObjectName("formulas")
        self.formula_dock.setWidget(self.formula_stack)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.formula_dock)
        # A starting width, not a minimum: small screens may narrow the panel,
        # whose formulas then scroll.
        window.resizeDocks(
            [self.formula_dock], [FORMULA_DOCK_WIDTH], Qt.Orientation.Horizontal
        )

    def _action(self, menu, text, slot, shortcuts=(), tip="", checkable=False):
        action = QAction(text, self.window)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _build_file_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&File")

        # Presets.
        self.open_preset_action = self._action(
            menu, "Open preset…", self._on_open_preset, ["Ctrl+O"]
        )
        self.save_preset_action = self._action(
            menu,
            "Save preset…",
            self._on_save_preset,
            ["Ctrl+S"],
            "Save the current tab's settings and seed as a TOML preset",
        )

        # Own data.
        menu.addSeparator()
        self.load_data_action = self._action(
            menu,
            "Load data…",
            self._on_load_data,
            ["Ctrl+L"],
            "Train on 1-D or 2-D points from a CSV, TXT or NPY file",
        )
        self.load_images_action = self._action(
            menu,
            "Load image folder…",
            self._on_load_images,
            [],
            "Train on a folder of images, resized to 8x8 grayscale",
        )
        self.draw_data_action = self._action(
            menu,
            "Draw data…",
            self._on_draw_data,
            ["Ctrl+D"],
            "Draw a 2-D distribution with the mouse and train on it",
        )

        # Checkpoints.
        menu.addSeparator()
        self.load_checkpoint_action = self._action(
            menu,
            "Load checkpoint…",
            self._on_load_checkpoint,
            [],
            "Continue a run saved by gan-playground train or Save checkpoint",
        )
        self.save_checkpoint_action = self._action(
            menu,
            "Save checkpoint…",
            self._on_save_checkpoint,
            [],
            "Save weights, optimiser and random state of the current run",
        )

        # Export and recording.
        menu.addSeparator()
        self.export_menu = menu.addMenu("Export plot")
        self.export_menu.aboutToShow.connect(self._fill_export_menu)
        self.export_samples_action = self._action(
            menu,
            "Export samples…",
            self._on_export_samples,
            [],
            "Write the generated samples as CSV or NPY",
        )
        self.export_grid_action = self._action(
            menu,
            "Export digit grid…",
            self._on_export_grid,
            [],
            "Write the generated images as a PNG mosaic",
        )
        self.record_action = self._action(
            menu,
            "Record GIF",
            self._on_record_toggled,
            ["Ctrl+G"],
            "Record the data view on every drawn step; untick to save the GIF",
            checkable=True,
        )

        # Recent files and quitting.
        menu.addSeparator()
        self.recent_menu = menu.addMenu("Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        menu.addSeparator()
        self._action(menu, "Quit", self.window.close, ["Ctrl+Q"])

    def _build_run_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Run")
        # Space is the window's own shortcut; a second one would be ambiguous.
        self._action(menu, "Start or pause\tSpace", self._on_toggle_run)
        self.step_action = self._action(
            menu, "Step", self._on_step, ["S", "Right"], "Do one step (or phase)"
        )
        self.reset_action = self._action(
            menu, "Reset", self._on_reset, ["R"], "Discard the run"
        )

    def _build_view_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&View")
        self.presenter_action = self._action(
            menu,
            "Presenter mode",
            self.set_presenter_mode,
            ["F5", "Ctrl+P"],
            "Large fonts, thick lines and high contrast for a projector",
            checkable=True,
        )
        self.fullscreen_action = self._action(
            menu, "Full screen", self.set_full_screen, ["F11"], checkable=True
        )
        self.hide_controls_action = self._action(
            menu,
            "Hide controls",
            self.set_controls_hidden,
            ["Ctrl+H"],
            "Hide the settings column of every tab",
            checkable=True,
        )
        menu.addSeparator()
        formulas = self.formula_dock.toggleViewAction()
        formulas.setShortcut(QKeySequence("F2"))
        menu.addAction(formulas)
        menu.addAction(self.preset_dock.toggleViewAction())
        menu.addAction(self.window.messages_dock.toggleViewAction())

    def _build_presets_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Presets")
        titles = self._titles()
        group = None
        for preset in self.presets:
            if preset.tab != group:
                group = preset.tab
                menu.addSection(titles.get(group, group))
            action = menu.addAction(preset.title)
            action.setStatusTip(preset.explanation)
            action.triggered.connect(
                lambda _checked=False, p=preset: self.load_preset(p)
            )
        menu.addSeparator()
        self._action(menu, "Next preset", lambda: self.step_preset(1), ["N", "PgDown"])
        self._action(menu, "Previous preset", lambda: self.step_preset(-1), ["PgUp"])
        self.presets_menu = menu

    # Presets.

    def load_preset(self, preset: Preset) -> bool:
        """Apply a preset to its tab and show that tab; return False on failure."""
        tab = self._tab_for_key(preset.tab)
        if tab is None:
            self.window.show_error(
                f"Preset {preset.name!r} is for the {preset.tab!r} tab, which this "
                "window does not have."
            )
            return False
        try:
            tab.apply_settings(preset.settings)
        except ValueError as error:
            self.window.show_error(f"Preset {preset.name!r} was not loaded: {error}")
            return False
        self.window.tabs.setCurrentWidget(tab)
        self.preset_panel.show_preset(preset)
        if preset in self.presets:
            self.preset_index = self.presets.index(preset)
        if preset.path is not None:
            self._remember("presets", preset.path)
        self.window.show_status(
            f"Loaded preset {preset.title!r}. Press Space to start."
        )
        return True

    def load_preset_named(self, name_or_file: str) -> bool:
        """Load a shipped preset by name or a preset file; show errors in the window."""
        try:
            preset = find_preset(name_or_file)
        except PresetError as error:
            self.window.show_error(str(error))
            return False
        return self.load_preset(preset)

    def step_preset(self, offset: int) -> None:
        """Load the next (offset 1) or previous (-1) shipped preset, wrapping around."""
        if not self.presets:
            return
        if self.preset_index >= 0:
            start = self.preset_index
        else:
            # Before any preset, N starts at the first and Page Up at the last.
            start = -1 if offset > 0 else 0
        self.preset_index = (start + offset) % len(self.presets)
        self.load_preset(self.presets[self.preset_index])

    def save_current_preset(self, path) -> Path:
        """Save the current tab's settings as a preset file.

        Raises
        ------
        PresetError
            If the tab has no settings or the file cannot be written.
        """
        tab = self._current()
        if not implements_protocol(tab):
            raise PresetError(f"the {tab.title} tab cannot save its settings yet")
        path = Path(path)
        if path.suffix.lower() != ".toml":
            path = path.with_suffix(".toml")
        loaded = self.presets[self.preset_index] if self.preset_index >= 0 else None
        explanation = loaded.explanation if loaded and loaded.tab == tab.key else ""
        preset = Preset(
            name=path.stem,
            tab=tab_key(tab),
            title=path.stem.replace("-", " ").replace("_", " "),
            explanation=explanation,
            settings=tab.settings(),
        )
        save_preset(path, preset)
        self._remember("presets", path)
        return path

    def _tab_for_key(self, key: str):
        index = self.window.tab_index(key)
        if index < 0:
            return None
        tab = self.window.build_tab(index)
        return tab if implements_protocol(tab) else None

    # Own data and checkpoints.

    def _data_tab(self):
        tab = self._current()
        if hasattr(tab, "set_user_data"):
            return tab
        self.window.show_error(
            f"The {tab.title} tab does not train on data; switch to the GAN or MMD "
            "tab to use your own."
        )
        return None

    def load_data(self, path) -> bool:
        """Load points or an image folder into the current tab; False on failure."""
        tab = self._data_tab()
        if tab is None:
            return False
        try:
            dataset = load_data_path(path)
        except ValueError as error:
            self.window.show_error(f"Your data was not loaded: {error}")
            return False
        if dataset.dim > 2 and not dataset.is_image:
            self.window.show_error("Only 1-D and 2-D points or images can be learnt.")
            return False
        tab.set_user_data(dataset, Path(path).name)
        self._remember("data", path)
        return True

    def use_drawing(self, points) -> bool:
        """Train the current tab on drawn points; False on failure."""
        tab = self._data_tab()
        if tab is None:
            return False
        try:
            dataset = dataset_from_drawing(points)
        except ValueError as error:
            self.window.show_error(f"The drawing was not used: {error}")
            return False
        tab.set_user_data(dataset, "your drawing")
        return True

    def load_checkpoint(self, folder) -> bool:
        """Continue a saved run in the current tab; False on failure."""
        tab = self._current()
        if not hasattr(tab, "load_checkpoint"):
            self.window.show_error(f"The {tab.title} tab has no checkpoints.")
            return False
        try:
            tab.load_checkpoint(folder)
        except (ValueError, RuntimeError) as error:
            self.window.show_error(f"Checkpoint not loaded: {error}")
            return False
        self._remember("checkpoints", folder)
        return True

    def save_checkpoint(self, folder) -> bool:
        tab = self._current()
        if not hasattr(tab, "save_checkpoint"):
            self.window.show_error(f"The {tab.title} tab has no checkpoints.")
            return False
        try:
            tab.save_checkpoint(folder)
        except (ValueError, OSError) as error:
            self.window.show_error(f"Checkpoint not saved: {error}")
            return False
        self._remember("checkpoints", folder)
        return True

    # Export and recording.

    def _fill_export_menu(self) -> None:
        self.export_menu.clear()
        plots = plot_items(self._current())
        if not plots:
            self.export_menu.addAction("(no plot on this tab)").setEnabled(False)
            return
        for name, plot in plots:
            submenu = self.export_menu.addMenu(name)
            for label, suffix in (
                ("Image (PNG)…", ".png"),
                ("Vector (SVG)…", ".svg"),
                ("Data (CSV)…", ".csv"),
            ):
                action = submenu.addAction(label)
                action.triggered.connect(
                    lambda _c=False, p=plot, n=name, s=suffix: self._on_export_plot(
                        p, n, s
                    )
                )

    def export_plot_to(self, plot, path) -> bool:
        try:
            export_plot(plot, path)
        except ExportError as error:
            self.window.show_error(f"Export failed: {error}")
            return False
        self.window.show_status(f"Exported {Path(path).name}.")
        return True

    def export_samples_to(self, path) -> bool:
        tab = self._current()
        samples = tab.samples() if hasattr(tab, "samples") else None
        try:
            export_samples(samples, path)
        except ExportError as error:
            self.window.show_error(f"Export failed: {error}")
            return False
        self.window.show_status(
            f"Exported {len(samples):,} samples to {Path(path).name}."
        )
        return True

    def export_grid_to(self, path) -> bool:
        tab = self._current()
        grid = tab.image_grid() if hasattr(tab, "image_grid") else None
        if grid is None:
            self.window.show_error(
                "Export failed: this tab shows no image grid; train on digits or "
                "an image folder first."
            )
            return False
        try:
            export_image_grid(grid, path)
        except ExportError as error:
            self.window.show_error(f"Export failed: {error}")
            return False
        self.window.show_status(f"Exported {Path(path).name}.")
        return True

    def start_recording(self) -> bool:
        """Record the current tab's views on every drawn snapshot."""
        tab = self._current()
        signal = getattr(tab, "frame_drawn", None)
        if signal is None or not hasattr(tab, "frame_widget"):
            self.window.show_error(f"The {tab.title} tab cannot be recorded yet.")
            return False
        self.stop_recording()
        self.recorder = GifRecorder()
        self._recorded_tab = tab
        signal.connect(self._on_frame_drawn)
        self.window.show_status("Recording: every drawn step becomes a GIF frame.")
        return True

    def stop_recording(self, path=None) -> bool:
        """Stop recording and, with a path, write the GIF; False if nothing written."""
        tab, recorder = self._recorded_tab, self.recorder
        if tab is None or recorder is None:
            return False
        try:
            tab.frame_drawn.disconnect(self._on_frame_drawn)
        except (RuntimeError, TypeError):
            logger.debug("frame signal was already disconnected")
        self._recorded_tab = None
        if path is None:
            return False
        try:
            recorder.save(path)
        except ExportError as error:
            self.window.show_error(f"GIF not written: {error}")
            return False
        self.window.show_status(f"Wrote {len(recorder)} frames to {Path(path).name}.")
        return True

    def _on_frame_drawn(self, *_args) -> None:
        if self.recorder is not None and self._recorded_tab is not None:
            self.recorder.add_frame(self._recorded_tab.frame_widget())

    # Presenter mode and full screen.

    def set_presenter_mode(self, on: bool) -> None:
        """Switch large fonts, thick lines and high contrast on or off."""
        if self.presenter_action.isChecked() != on:
            self.presenter_action.setChecked(on)
            return
        if on:
            self.presenter.apply(self.window)
        else:
            self.presenter.restore()
        size = PRESENTER_FORMULA_PT if on else FORMULA_PT
        for view in self.formula_views.values():
            view.set_font_size(size)
        width = PRESENTER_FORMULA_DOCK_WIDTH if on else FORMULA_DOCK_WIDTH
        self.window.resizeDocks([self.formula_dock], [width], Qt.Orientation.Horizontal)
        self.window.show_status(
            "Presenter mode: F5 or Ctrl+P leaves it, F11 full screen, Ctrl+H hides "
            "the controls, N next demonstration."
            if on
            else "Presenter mode off."
        )

    def set_full_screen(self, on: bool) -> None:
        if self.fullscreen_action.isChecked() != on:
            self.fullscreen_action.setChecked(on)
            return
        if on:
            self.window.showFullScreen()
        else:
            self.window.showNormal()

    def set_controls_hidden(self, hidden: bool) -> None:
        if self.hide_controls_action.isChecked() != hidden:
            self.hide_controls_action.setChecked(hidden)
            return
        for tab in self._tabs():
            if hasattr(tab, "set_controls_visible"):
                tab.set_controls_visible(not hidden)

    # Remembered settings.

    def restore_settings(self) -> None:
        """Restore geometry, docks, the last tab and every tab's last parameters."""
        settings = self.settings
        if settings is None:
            return

        # The window first, then each tab, then which tab is shown.
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        state = settings.value("window/state")
        if state is not None:
            self.window.restoreState(state)
        self._last_dir = str(settings.value("window/last_dir", "") or "")

        # Tabs not built yet get their settings when they are built.
        for cls in self.window.tab_types:
            values = load_tab_settings(settings, tab_key(cls))
            if values is not None:
                self._restored_settings[tab_key(cls)] = values
        for tab in self._tabs():
            self._restore_tab_settings(tab)

        last = settings.value("window/tab")
        index = self.window.tab_index(str(last)) if last else -1
        if index >= 0:
            self.window.tabs.setCurrentIndex(index)
        self.window.show_status("Restored the last session's settings.")

    def _restore_tab_settings(self, tab) -> None:
        values = self._restored_settings.pop(tab_key(tab), None)
        if values is None or not implements_protocol(tab):
            return
        # Own data are not stored, so their settings apply to the default data.
        if values.get("data") == "custom":
            values.pop("data")
        try:
            tab.apply_settings(values)
        except ValueError as error:
            logger.warning(
                "stored settings of the %s tab not restored: %s", tab.title, error
            )

    def save_settings(self) -> None:
        """Store geometry, docks, the current tab and the built tabs' parameters.

        A tab that was never built keeps the settings stored for it before.
        """
        settings = self.settings
        if settings is None:
            return
        if self.presenter.active:
            self.presenter.restore()
        settings.setValue("window/geometry", self.window.saveGeometry())
        settings.setValue("window/state", self.window.saveState())
        settings.setValue("window/tab", tab_key(self._current()))
        settings.setValue("window/last_dir", self._last_dir)
        for tab in self._tabs():
            if implements_protocol(tab):
                try:
                    save_tab_settings(settings, tab_key(tab), tab.settings())
                except ValueError as error:
                    logger.warning(
                        "settings of the %s tab not stored: %s", tab.title, error
                    )
        settings.sync()

    def _remember(self, kind: str, path) -> None:
        self._last_dir = str(Path(path).resolve().parent)
        if self.settings is not None:
            add_recent_file(self.settings, kind, path)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        if self.settings is None:
            self.recent_menu.addAction("(not remembered in this session)").setEnabled(
                False
            )
            return
        handlers = {
            "presets": ("Presets", self.load_preset_named),
            "data": ("Data", self.load_data),
            "checkpoints": ("Checkpoints", self.load_checkpoint),
        }
        empty = True
        for kind, (title, handler) in handlers.items():
            paths = recent_files(self.settings, kind)
            if not paths:
                continue
            empty = False
            self.recent_menu.addSection(title)
            for path in paths:
                action = self.recent_menu.addAction(path)
                action.triggered.connect(
                    lambda _c=False, p=path, h=handler: self._open_recent(h, p)
                )
        if empty:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _open_recent(self, handler, path: str) -> None:
        if not Path(path).exists():
            self.window.show_error(f"{path} no longer exists.")
            return
        handler(path)

    # Slots of actions that ask for a file first.

    def _ask_open(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self.window, title, self._last_dir, filters
        )
        return path

    def _ask_save(self, title: str, name: str, filters: str) -> str:
        start = str(Path(self._last_dir or ".") / name)
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, filters)
        return path

    def _on_open_preset(self) -> None:
        path = self._ask_open("Open preset", "Presets (*.toml)")
        if path:
            self.load_preset_named(path)

    def _on_save_preset(self) -> None:
        path = self._ask_save("Save preset", "experiment.toml", "Presets (*.toml)")
        if not path:
            return
        try:
            saved = self.save_current_preset(path)
        except PresetError as error:
            self.window.show_error(f"Preset not saved: {error}")
            return
        self.window.show_status(f"Saved preset {saved}.")

    def _on_load_data(self) -> None:
        path = self._ask_open(
            "Load points", "Points (*.csv *.txt *.tsv *.npy);;All files (*)"
        )
        if path:
            self.load_data(path)

    def _on_load_images(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self.window, "Load a folder of images", self._last_dir
        )
        if path:
            self.load_data(path)

    def _on_draw_data(self) -> None:
        if self._data_tab() is None:
            return
        dialog = DrawDataDialog(self.window)
        if dialog.exec():
            self.use_drawing(dialog.points())

    def _on_load_checkpoint(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window,
            "Checkpoint folder (model.safetensors + config.json)",
            self._last_dir,
        )
        if folder:
            self.load_checkpoint(folder)

    def _on_save_checkpoint(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, "Save the checkpoint into this folder", self._last_dir
        )
        if folder:
            self.save_checkpoint(folder)

    def _on_export_plot(self, plot, name: str, suffix: str) -> None:
        stem = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
        path = self._ask_save("Export plot", f"{stem or 'plot'}{suffix}", f"*{suffix}")
        if path:
            self.export_plot_to(plot, path)

    def _on_export_samples(self) -> None:
        path = self._ask_save(
            "Export samples", "samples.csv", "CSV (*.csv);;NumPy (*.npy)"
        )
        if path:
            self.export_samples_to(path)

    def _on_export_grid(self) -> None:
        path = self._ask_save("Export digit grid", "digits.png", "PNG (*.png)")
        if path:
            self.export_grid_to(path)

    def _on_record_toggled(self, on: bool) -> None:
        if on:
            if not self.start_recording():
                self.record_action.setChecked(False)
            return
        if self.recorder is None or not len(self.recorder):
            self.stop_recording()
            self.window.show_status("Recording stopped; no frame was drawn.")
            return
        path = self._ask_save("Save animation", "training.gif", "GIF (*.gif)")
        self.stop_recording(path or None)

    def _on_toggle_run(self) -> None:
        tab = self._current()
        if hasattr(tab, "toggle"):
            tab.toggle()

    def _on_step(self) -> None:
        tab = self._current()
        if hasattr(tab, "step"):
            tab.step()

    def _on_reset(self) -> None:
        tab = self._current()
        if hasattr(tab, "reset"):
            tab.reset()

    def _on_window_tab_built(self, tab) -> None:
        # Bring the new tab in line with the rest of the window.
        self._restore_tab_settings(tab)
        if self.hide_controls_action.isChecked() and hasattr(
            tab, "set_controls_visible"
        ):
            tab.set_controls_visible(False)
        if self.presenter.active:
            self.presenter.apply(self.window)
        if self.window.tabs.currentWidget() is tab:
            self._on_tabs_current_changed(self.window.tabs.currentIndex())

    def _on_tabs_current_changed(self, index: int) -> None:
        tab = self.window.tabs.widget(index)
        if tab is None or tab not in self.window.built_tabs():
            return
        view = self.formula_views.get(id(tab))
        if view is None:
            formulas = tab.formulas() if hasattr(tab, "formulas") else ()
            formulas = formulas or formulas_for(tab_key(tab))
            size = PRESENTER_FORMULA_PT if self.presenter.active else FORMULA_PT
            view = FormulaView(formulas, title=f"{tab.title}: formulas", font_size=size)
            self.formula_views[id(tab)] = view
            self.formula_stack.addWidget(view)
        self.formula_stack.setCurrentWidget(view)
        can_train = hasattr(tab, "set_user_data")
        for action in (
            self.load_data_action,
            self.load_images_action,
            self.draw_data_action,
        ):
            action.setEnabled(can_train)
        for action in (self.load_checkpoint_action, self.save_checkpoint_action):
            action.setEnabled(hasattr(tab, "load_checkpoint"))
        self.save_preset_action.setEnabled(implements_protocol(tab))
        self.export_samples_action.setEnabled(hasattr(tab, "samples"))
        self.export_grid_action.setEnabled(hasattr(tab, "image_grid"))
