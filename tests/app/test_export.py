"""Export of plots (PNG, SVG, CSV), samples (CSV, NPY), digit grids and GIFs."""

import csv

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QColor, QImage

from app.export import ExportError, GifRecorder, export_plot, plot_items

TIMEOUT_MS = 60_000


def _train(qtbot, gan_tab, data="ring8", steps=20):
    gan_tab.apply_settings(
        {"data": data, "steps": steps, "g_width": 16, "d_width": 16, "batch_size": 32}
    )
    gan_tab.start()
    qtbot.waitUntil(lambda: gan_tab.controller.state == "stopped", timeout=TIMEOUT_MS)


def _plot(tab, title):
    plots = dict(plot_items(tab))
    assert title in plots, f"no plot {title!r} among {list(plots)}"
    return plots[title]


def test_plot_items_are_named(qtbot, gan_tab):
    names = [name for name, _ in plot_items(gan_tab)]
    assert "Losses" in names, f"the loss plot should be listed: {names}"
    assert "Real vs generated over D(x)" in names, "the data view should be listed"
    assert len(names) == len(set(names)), f"names must be unique: {names}"


def test_plot_exports_png_svg_csv(qtbot, main_window, gan_tab, tmp_path):
    _train(qtbot, gan_tab)
    plot = _plot(gan_tab, "Losses")

    png = tmp_path / "losses.png"
    assert main_window.menus.export_plot_to(plot, png), main_window.error_label.text()
    with Image.open(png) as image:
        assert image.format == "PNG", "a PNG file"
        assert image.width >= 200, f"twice the screen size, got {image.width}"
        pixels = np.asarray(image.convert("L"))
    assert pixels.std() > 5, "the image shows more than a blank page"

    svg = tmp_path / "losses.svg"
    assert main_window.menus.export_plot_to(plot, svg), "SVG export"
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text, "an SVG document"
    assert "Losses" in text, "with the plot's title"

    table = tmp_path / "losses.csv"
    assert main_window.menus.export_plot_to(plot, table), "CSV export"
    with table.open(newline="") as file:
        rows = list(csv.reader(file))
    assert len(rows[0]) == 4, f"x and y of two curves: {rows[0]}"
    assert len(rows) == 21, f"a header and 20 steps, got {len(rows)} rows"
    assert float(rows[-1][0]) == 20, "the last row is step 20"


def test_scatter_plot_exports_csv(qtbot, gan_tab, tmp_path):
    _train(qtbot, gan_tab, steps=3)
    path = export_plot(
        _plot(gan_tab, "Real vs generated over D(x)"), tmp_path / "p.csv"
    )
    with path.open(newline="") as file:
        rows = list(csv.reader(file))
    assert len(rows) > 1000, "the real and generated points are written"


def test_plot_export_rejects_unknown_suffix(gan_tab, tmp_path):
    with pytest.raises(ExportError, match="use .png, .svg, .csv"):
        export_plot(_plot(gan_tab, "Losses"), tmp_path / "losses.jpg")
    assert not list(tmp_path.iterdir()), "nothing is written"


def test_samples_export_csv_and_npy(qtbot, main_window, gan_tab, tmp_path):
    menus = main_window.menus
    assert not menus.export_samples_to(tmp_path / "none.csv"), "no samples yet"
    assert "no samples to export" in main_window.error_label.text(), "says why"
    _train(qtbot, gan_tab, steps=5)

    assert menus.export_samples_to(tmp_path / "s.csv"), main_window.error_label.text()
    table = np.loadtxt(tmp_path / "s.csv", delimiter=",", skiprows=1)
    header = (tmp_path / "s.csv").read_text().splitlines()[0]
    assert header == "x1,x2", f"a header names the columns: {header}"
    assert table.shape == (1000, 2), f"1,000 points of 2-D, got {table.shape}"

    assert menus.export_samples_to(tmp_path / "s.npy"), "NPY export"
    array = np.load(tmp_path / "s.npy")
    assert array.shape == (1000, 2), "the same points as NPY"
    assert np.allclose(array, table, atol=1e-5), "CSV and NPY agree"


def test_digit_grid_exports_png(qtbot, main_window, gan_tab, tmp_path):
    menus = main_window.menus
    assert not menus.export_grid_to(tmp_path / "none.png"), "points have no grid"
    _train(qtbot, gan_tab, data="digits", steps=2)
    path = tmp_path / "digits.png"
    assert menus.export_grid_to(path), main_window.error_label.text()
    grid = gan_tab.data_view.generated_images.image.image
    with Image.open(path) as image:
        assert image.size == (8 * grid.shape[1], 8 * grid.shape[0]), "8x pixels"
        top_left = image.getpixel((0, 0))
    assert top_left == tuple(grid[0, 0, :3]), "the mosaic's first pixel, upright"


def test_training_records_gif(qtbot, main_window, gan_tab, tmp_path):
    menus = main_window.menus
    menus.start_recording()
    menus.recorder.min_interval_s = 0.0
    gan_tab.apply_settings({"steps": 30, "g_width": 16, "d_width": 16})
    for _ in range(3):
        gan_tab.step()
        qtbot.waitUntil(lambda: not gan_tab.controller.busy, timeout=TIMEOUT_MS)
    path = tmp_path / "run.gif"
    assert menus.stop_recording(path), main_window.error_label.text()
    with Image.open(path) as gif:
        assert gif.format == "GIF", "a GIF file"
        assert gif.n_frames == 3, f"one frame per drawn step, got {gif.n_frames}"
        assert gif.width <= 720, "frames are scaled to at most 720 pixels"
    assert menus.recorder is not None and not menus._recorded_tab, "stopped"


def test_gif_without_frames_is_an_error(main_window, gan_tab, tmp_path):
    menus = main_window.menus
    menus.start_recording()
    assert not menus.stop_recording(tmp_path / "empty.gif"), "no frames"
    assert "no frames were recorded" in main_window.error_label.text(), "says why"


def _image(shade: int) -> QImage:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor(shade, shade, shade))
    return image


def test_gif_recorder_thins_frames_evenly():
    recorder = GifRecorder(max_frames=4, min_interval_s=0.0)
    kept = [shade for shade in range(10) if recorder.add_image(_image(20 * shade))]
    assert kept == [0, 1, 2, 3, 4, 6, 8], f"every stride-th frame offered: {kept}"
    assert recorder.stride == 4, f"every 4th frame kept now, stride {recorder.stride}"
    shades = [frame.convert("L").getpixel((0, 0)) for frame in recorder.frames]
    assert shades == [0, 80, 160], f"frames 0, 4 and 8 remain, evenly: {shades}"


def test_gif_recorder_scales_wide_frames(tmp_path):
    recorder = GifRecorder(max_width=20)
    recorder.add_image(_image(100))
    recorder.add_image(_image(200))
    path = recorder.save(tmp_path / "small.gif")
    with Image.open(path) as gif:
        assert gif.size == (20, 15), f"scaled to 20 pixels wide, got {gif.size}"
        assert gif.n_frames == 2, "both frames are kept"
