"""Own data in the window: point files, image folders, drawings and checkpoints."""

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

TIMEOUT_MS = 60_000


def _small(gan_tab, **values):
    gan_tab.apply_settings({"g_width": 16, "d_width": 16, "batch_size": 32, **values})


def _step_once(qtbot, gan_tab):
    gan_tab.step()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)


def _write_points(path, points):
    lines = ["x,y"] + [f"{x:.5f},{y:.5f}" for x, y in points]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_csv_points_trains_on_them(qtbot, main_window, gan_tab, tmp_path):
    points = np.random.default_rng(1).normal(3.0, 0.5, size=(300, 2))
    path = _write_points(tmp_path / "mine.csv", points)
    assert main_window.menus.load_data(path), main_window.error_label.text()
    assert gan_tab.form.value("data") == "custom", "the data combo shows custom"
    assert "custom" in gan_tab.form.fields["data"].choices, "custom is an entry"
    assert gan_tab.dataset.name == "custom", "the tab holds the user's data"
    assert len(gan_tab.data_view.points.real.data) == 300, "real points are drawn"
    assert "mine.csv" in gan_tab.caption.text(), "the caption names the file"

    _small(gan_tab)
    _step_once(qtbot, gan_tab)
    trainer = gan_tab.controller.run
    assert trainer.dataset is gan_tab.user_dataset, "the run trains on the file"
    assert trainer.config.data == "custom", "the config says custom"


def test_bad_file_keeps_current_data(main_window, gan_tab, tmp_path):
    gan_tab.apply_settings({"data": "moons"})
    before = gan_tab.dataset
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,four\n", encoding="utf-8")
    assert not main_window.menus.load_data(bad), "a bad file must be rejected"
    message = main_window.error_label.text()
    assert "line 3 is not numeric" in message, f"the error should say why: {message}"
    assert gan_tab.dataset is before, "the current data set is kept"
    assert gan_tab.form.value("data") == "moons", "the combo is unchanged"


def test_missing_file_is_reported(main_window, gan_tab, tmp_path):
    assert not main_window.menus.load_data(tmp_path / "absent.npy"), "missing"
    assert "does not exist" in main_window.error_label.text(), "the error says why"


def test_load_1d_npy_shows_histogram(main_window, gan_tab, tmp_path):
    path = tmp_path / "values.npy"
    np.save(path, np.random.default_rng(2).gamma(2.0, size=500))
    assert main_window.menus.load_data(path), main_window.error_label.text()
    view = gan_tab.data_view
    assert view.currentWidget() is view.histogram, "1-D data shows histograms"
    assert gan_tab.dataset.dim == 1, "the data set is 1-D"


def test_load_image_folder_shows_grid(main_window, gan_tab, tmp_path):
    from PIL import Image

    for index in range(4):
        pixels = np.full((16, 16), 255, dtype=np.uint8)
        pixels[4:12, 3 + index : 6 + index] = 0
        Image.fromarray(pixels).save(tmp_path / f"digit{index}.png")
    assert main_window.menus.load_data(tmp_path), main_window.error_label.text()
    view = gan_tab.data_view
    assert view.currentWidget() is view.images, "images show as a grid"
    assert gan_tab.dataset.image_shape == (8, 8), "images are resized to 8x8"
    assert gan_tab.form.value("latent_dim") == 32, "image data take digit defaults"


def test_sampling_tab_rejects_own_data(main_window, tmp_path):
    other = next(t for t in main_window.tab_instances() if t.title != "GAN")
    if hasattr(other, "set_user_data"):
        pytest.skip(f"the {other.title} tab trains on data")
    main_window.tabs.setCurrentWidget(other)
    path = _write_points(tmp_path / "p.csv", np.zeros((5, 2)))
    assert not main_window.menus.load_data(path), "a sampling tab takes no data"
    assert "does not train on data" in main_window.error_label.text(), "it says so"


def _drag(view, points):
    viewport = view.viewport()
    first = QPoint(*points[0])
    QApplication.sendEvent(
        viewport,
        QMouseEvent(
            QMouseEvent.Type.MouseButtonPress,
            QPointF(first),
            QPointF(viewport.mapToGlobal(first)),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )
    for x, y in points[1:]:
        position = QPointF(x, y)
        QApplication.sendEvent(
            viewport,
            QMouseEvent(
                QMouseEvent.Type.MouseMove,
                position,
                QPointF(viewport.mapToGlobal(position.toPoint())),
                Qt.MouseButton.NoButton,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
            ),
        )
    last = QPointF(*points[-1])
    QApplication.sendEvent(
        viewport,
        QMouseEvent(
            QMouseEvent.Type.MouseButtonRelease,
            last,
            QPointF(viewport.mapToGlobal(last.toPoint())),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        ),
    )


def test_draw_canvas_strokes_add_points(qtbot):
    from widgets.draw_canvas import DrawCanvas

    canvas = DrawCanvas(seed=0)
    qtbot.addWidget(canvas)
    canvas.resize(500, 520)
    canvas.show()
    qtbot.waitExposed(canvas)
    counts = []
    canvas.points_changed.connect(counts.append)

    _drag(canvas.view, [(120, 200), (200, 200), (300, 210), (380, 220)])
    points = canvas.points()
    assert len(points) > 20, f"a long stroke adds many points, got {len(points)}"
    assert counts and counts[-1] == len(points), "points_changed sends the count"
    assert canvas.count_label.text() == f"{len(points):,} points", "count shown"
    assert np.ptp(points[:, 0]) > 2 * np.ptp(points[:, 1]), "the stroke is wide"

    # Jitter stays near the stroke: within a few brush radii of its line.
    vb = canvas.view.getPlotItem().vb
    start = vb.mapSceneToView(canvas.view.mapToScene(QPoint(120, 200)))
    end = vb.mapSceneToView(canvas.view.mapToScene(QPoint(380, 220)))
    low_y = min(start.y(), end.y()) - 4 * canvas.brush_radius
    high_y = max(start.y(), end.y()) + 4 * canvas.brush_radius
    inside = (points[:, 1] > low_y) & (points[:, 1] < high_y)
    assert inside.mean() > 0.99, "points land near the stroke"

    canvas.clear_button.click()
    assert len(canvas.points()) == 0, "Clear removes every point"
    assert counts[-1] == 0, "and reports 0"


def test_draw_canvas_caps_points(qtbot):
    from widgets.draw_canvas import DrawCanvas

    canvas = DrawCanvas(max_points=10, points_per_dab=4, seed=0)
    qtbot.addWidget(canvas)
    for _ in range(5):
        canvas.add_dab(0.0, 0.0)
    assert len(canvas.points()) == 10, "strokes past the cap add nothing"


def test_drawing_becomes_training_data(qtbot, main_window, gan_tab):
    from app.own_data import DrawDataDialog

    dialog = DrawDataDialog(main_window, seed=0)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled(), "an empty drawing cannot be used"
    for x in np.linspace(-1, 1, 20):
        dialog.canvas.add_dab(float(x), float(x) ** 2)
    dialog.canvas.set_points(dialog.canvas.points())
    assert ok.isEnabled(), "a drawing with enough points can be used"

    assert main_window.menus.use_drawing(dialog.points()), "the drawing is used"
    assert gan_tab.dataset.name == "custom", "the drawing is the custom data"
    assert len(gan_tab.dataset.samples) == 80, "every drawn point is a sample"
    _small(gan_tab)
    _step_once(qtbot, gan_tab)
    assert gan_tab.controller.run.dataset is gan_tab.user_dataset, "trains on it"


def test_too_small_drawing_is_rejected(main_window, gan_tab):
    before = gan_tab.dataset
    assert not main_window.menus.use_drawing(np.zeros((3, 2))), "3 points rejected"
    assert "at least 10 points" in main_window.error_label.text(), "it says why"
    assert gan_tab.dataset is before, "the current data set is kept"


def _train_checkpoint(folder, steps=5):
    from app.cli import main

    code = main(
        [
            "train", "gan", "--data", "moons", "--steps", str(steps), "--width",
            "16", "--batch-size", "32", "--seed", "4", "--out", str(folder),
            "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0, "the headless run should succeed"
    return folder


def test_checkpoint_continues_in_window(qtbot, main_window, gan_tab, tmp_path):
    folder = _train_checkpoint(tmp_path / "run")
    assert main_window.menus.load_checkpoint(folder), main_window.error_label.text()
    run = gan_tab.controller.run
    assert run.step == 5, "the run continues from the checkpoint's step"
    assert gan_tab.controller.state == "stopped", "the run is kept, not running"
    assert gan_tab.form.value("data") == "moons", "the form shows its data"
    assert gan_tab.form.value("g_width") == 16, "and its width"
    assert gan_tab.form.value("seed") == 4, "and its seed"
    x, _ = gan_tab.loss_plot.g_loss_curve.getData()
    assert x is not None and len(x) == 5, "its history is drawn"

    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    assert gan_tab.controller.run is run, "Start continues the loaded run"
    assert run.step == 10, "a finished checkpoint runs its step count again"


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "foreign", "missing"])
def test_broken_checkpoint_changes_nothing(main_window, gan_tab, tmp_path, damage):
    folder = _train_checkpoint(tmp_path / "run", steps=2)
    weights = folder / "model.safetensors"
    if damage == "truncated":
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "corrupt":
        data = bytearray(weights.read_bytes())
        data[8:40] = b"\xff" * 32
        weights.write_bytes(bytes(data))
    elif damage == "foreign":
        (folder / "config.json").write_text(json.dumps({"format": "other"}))
    else:
        weights.unlink()
    gan_tab.apply_settings({"data": "spiral", "g_width": 48})
    before = gan_tab.settings()

    assert not main_window.menus.load_checkpoint(folder), f"{damage} must fail"
    message = main_window.error_label.text()
    assert "Checkpoint not loaded" in message, f"a clear message: {message}"
    assert str(folder) in message, f"the message names the folder: {message}"
    assert gan_tab.controller.run is None, "no run was adopted"
    assert gan_tab.settings() == before, "the form is unchanged"


def test_save_checkpoint_from_window(qtbot, main_window, gan_tab, tmp_path):
    from models.gan import GanTrainer

    assert not main_window.menus.save_checkpoint(tmp_path / "none"), "no run yet"
    assert "no run to save" in main_window.error_label.text(), "it says why"
    _small(gan_tab, data="moons")
    _step_once(qtbot, gan_tab)
    folder = tmp_path / "saved"
    assert main_window.menus.save_checkpoint(folder), main_window.error_label.text()
    loaded = GanTrainer.load(folder)
    assert loaded.step == 1, "the saved step is read back"
    assert loaded.config.g_width == 16, "and the settings"


def test_mmd_tab_takes_data_and_checkpoint(qtbot, main_window, tmp_path):
    from app.cli import main

    tab = next(t for t in main_window.tab_instances() if t.key == "mmd")
    main_window.tabs.setCurrentWidget(tab)
    path = _write_points(
        tmp_path / "p.csv", np.random.default_rng(3).normal(size=(80, 2))
    )
    assert main_window.menus.load_data(path), main_window.error_label.text()
    assert tab.dataset.name == "custom", "the MMD tab trains on the file too"

    folder = tmp_path / "mmd-run"
    code = main(
        [
            "train", "mmd", "--data", "moons", "--steps", "3", "--width", "16",
            "--batch-size", "32", "--out", str(folder), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0, "the headless MMD run should succeed"
    assert main_window.menus.load_checkpoint(folder), main_window.error_label.text()
    assert tab.controller.run.step == 3, "the MMD run continues from step 3"
    assert tab.form.value("data") == "moons", "the form shows its data"
