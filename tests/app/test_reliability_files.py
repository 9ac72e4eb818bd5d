"""Broken files in the window: checkpoints, data and presets change nothing.

Also a crash in the middle of saving a preset or samples, and uncaught exceptions
in threads and slots, which must reach the window's message area and the log file.
"""

import json
import logging
import shutil
import sys
import threading

import numpy as np
import pytest
from PySide6.QtCore import QObject, QTimer, Signal

TIMEOUT_MS = 60_000


def _tab(main_window, key):
    tab = next(t for t in main_window.tab_instances() if getattr(t, "key", "") == key)
    main_window.tabs.setCurrentWidget(tab)
    return tab


def _small_trainer(key, data="ring8", **overrides):
    """Build a small trainer of the tab's kind, in this thread."""
    if key == "gan":
        from models.gan import GanTrainer, default_config

        values = dict(steps=3, g_width=16, d_width=16, batch_size=32, **overrides)
        return GanTrainer(default_config(data, **values))
    from models.mmd import MmdTrainer, default_mmd_config

    values = dict(steps=3, width=16, batch_size=32, **overrides)
    return MmdTrainer(default_mmd_config(data, **values))


def _damage(folder, damage, tmp_path):
    """Break a copy of the checkpoint in ``folder`` and return the copy."""
    from safetensors.torch import load, save

    broken = tmp_path / damage
    shutil.copytree(folder, broken)
    weights = broken / "model.safetensors"
    config = broken / "config.json"
    description = json.loads(config.read_text())
    if damage == "truncated":
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "corrupt":
        data = bytearray(weights.read_bytes())
        data[8:40] = b"\xff" * 32
        weights.write_bytes(bytes(data))
    elif damage == "foreign":
        config.write_text(json.dumps({"format": "other", "weights": "elsewhere"}))
    elif damage == "other kind":
        description["kind"] = "gan" if description["kind"] == "mmd" else "mmd"
        config.write_text(json.dumps(description))
    elif damage == "architecture":
        settings = description["config"]
        width_key = "g_width" if "g_width" in settings else "width"
        settings[width_key] = 64
        config.write_text(json.dumps(description))
    elif damage == "nan weights":
        tensors = load(weights.read_bytes())
        name = next(key for key in tensors if key.startswith("G."))
        tensors[name] = tensors[name] * float("nan")
        weights.write_bytes(save(tensors))
    elif damage == "no weights":
        weights.unlink()
    elif damage == "text":
        config.write_text("step = 3\n")
    else:
        raise ValueError(f"unknown damage {damage!r}")
    return broken


CHECKPOINT_DAMAGES = (
    "truncated",
    "corrupt",
    "foreign",
    "other kind",
    "architecture",
    "nan weights",
    "no weights",
    "text",
)


@pytest.mark.slow
@pytest.mark.parametrize("key", ["gan", "mmd"])
def test_broken_checkpoint_keeps_run(qtbot, main_window, tmp_path, key):
    good = tmp_path / "good"
    trainer = _small_trainer(key)
    list(trainer.steps())
    trainer.save(good)

    # A run of the tab's own, stopped after some steps, with its plots.
    tab = _tab(main_window, key)
    width = {"gan": {"g_width": 16, "d_width": 16}, "mmd": {"width": 16}}[key]
    tab.form.set_values({"data": "moons", "steps": 4, "batch_size": 32, **width})
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    run = tab.controller.run
    settings = tab.settings()
    drawn = np.array(tab.data_view.points.generated.getData(), copy=True)

    for damage in CHECKPOINT_DAMAGES:
        folder = _damage(good, damage, tmp_path)
        assert not main_window.menus.load_checkpoint(folder), f"{damage} must fail"
        message = main_window.error_label.text()
        assert "Checkpoint not loaded" in message, f"{damage}: message {message!r}"
        assert str(folder) in message, f"{damage}: the message names the folder"
        assert tab.controller.run is run, f"{damage}: the current run is kept"
        assert run.step == 4, f"{damage}: the run's step is unchanged"
        assert tab.settings() == settings, f"{damage}: the form is unchanged"
        now = np.array(tab.data_view.points.generated.getData())
        assert np.array_equal(now, drawn), f"{damage}: the plot is unchanged"
    assert main_window.menus.load_checkpoint(good), main_window.error_label.text()
    assert tab.controller.run.step == 3, "the undamaged checkpoint still loads"


def test_nan_weights_not_saved(qtbot, main_window, tmp_path):
    import torch

    tab = _tab(main_window, "mmd")
    tab.form.set_values({"steps": 2, "width": 16, "batch_size": 32})
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    folder = tmp_path / "saved"
    assert main_window.menus.save_checkpoint(folder), main_window.error_label.text()
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    with torch.no_grad():
        next(tab.controller.run.netG.parameters()).fill_(float("nan"))
    assert not main_window.menus.save_checkpoint(folder), "NaN weights are refused"
    message = main_window.error_label.text()
    assert "NaN" in message, f"the message says why: {message}"
    after = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert after == before, "the earlier checkpoint is left as it was"


BROKEN_DATA = {
    "three_columns.csv": "1,2,3\n4,5,6\n",
    "nan.csv": "x,y\n1,2\nnan,3\n",
    "inf.csv": "x\n1\ninf\n",
    "text.csv": "x,y\n1,2\nthree,four\n",
    "header_only.csv": "x,y\n",
    "empty.csv": "",
    "one_point.csv": "x,y\n1,2\n",
    "latin1.csv": b"x,\xe9\n1,2\n",
    "binary.npy": b"\x93NUMPY garbage",
    "empty.npy": np.zeros((0, 2)),
    "nan.npy": np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]),
    "cube.npy": np.zeros((4, 2, 2)),
    "strings.npy": np.array(["a", "b"]),
    "data.xlsx": b"PK\x03\x04",
}


def _write_data(path, content):
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_broken_data_keeps_data_and_plots(qtbot, main_window, tmp_path):
    tab = _tab(main_window, "gan")
    tab.form.set_values({"data": "moons", "steps": 2, "g_width": 16, "d_width": 16})
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    run, dataset = tab.controller.run, tab.dataset
    real = np.array(tab.data_view.points.real.getData(), copy=True)

    assert len(BROKEN_DATA) >= 10, f"only {len(BROKEN_DATA)} broken data files"
    for name, content in BROKEN_DATA.items():
        path = _write_data(tmp_path / name, content)
        assert not main_window.menus.load_data(path), f"{name} must be rejected"
        message = main_window.error_label.text()
        assert "Your data was not loaded" in message, f"{name}: message {message!r}"
        assert name in message, f"{name}: the message names the file: {message!r}"
        assert tab.dataset is dataset, f"{name}: the data set is kept"
        assert tab.controller.run is run, f"{name}: the run is kept"
        assert tab.form.value("data") == "moons", f"{name}: the combo is unchanged"
        now = np.array(tab.data_view.points.real.getData())
        assert np.array_equal(now, real), f"{name}: the real points are unchanged"


def _preset_text(tab="gan", settings="seed = 2", **top):
    lines = [f'tab = "{tab}"', 'title = "Broken"']
    lines += [f"{key} = {value}" for key, value in top.items()]
    return "\n".join(lines) + f"\n[settings]\n{settings}\n"


BROKEN_PRESETS = {
    "empty.toml": "",
    "binary.toml": b"\x00\xff\xfe not text",
    "truncated.toml": 'tab = "gan"\ntitle = "Broken"\n[settings]\nseed = ',
    "unknown_tab.toml": _preset_text(tab="nope"),
    "unknown_setting.toml": _preset_text(settings="colour = 3"),
    "wrong_type.toml": _preset_text(settings='seed = "three"'),
    "out_of_range.toml": _preset_text(settings="steps = 1000000000000"),
    "nan_rate.toml": _preset_text(settings="g_lr = nan"),
    "inf_rate.toml": _preset_text(settings="d_lr = inf"),
    "bad_format.toml": _preset_text(format=99),
    "settings_not_table.toml": 'tab = "gan"\ntitle = "Broken"\nsettings = 3\n',
    "huge.toml": _preset_text() + "# padding\n" * 30_000,
    "hostile_density.toml": _preset_text(
        tab="rejection",
        settings="kind = \"density\"\ntarget = \"__import__('os').system('x')\"",
    ),
    "bad_domain.toml": _preset_text(
        tab="inverse", settings='kind = "density"\ntarget = "x"\nlow = "oops"'
    ),
}


def test_broken_presets_change_nothing(qtbot, main_window, tmp_path):
    gan = _tab(main_window, "gan")
    gan.form.set_values({"steps": 100_000, "g_width": 16, "d_width": 16})
    gan.start()
    qtbot.waitUntil(
        lambda: gan.controller.run is not None and gan.controller.run.step > 0,
        timeout=TIMEOUT_MS,
    )
    settings = {tab.key: tab.settings() for tab in main_window.tab_instances()}

    assert len(BROKEN_PRESETS) >= 10, f"only {len(BROKEN_PRESETS)} broken presets"
    for name, content in BROKEN_PRESETS.items():
        path = _write_data(tmp_path / name, content)
        assert not main_window.menus.load_preset_named(str(path)), f"{name} loaded"
        message = main_window.error_label.text()
        assert message, f"{name}: no message was shown"
        for tab in main_window.tab_instances():
            assert tab.settings() == settings[tab.key], f"{name}: {tab.key} changed"
        assert gan.controller.busy, f"{name}: the running GAN was stopped"
    gan.stop()


def test_preset_save_crash_keeps_old(main_window, tmp_path, monkeypatch):
    import models.checkpoint
    from app.presets import PresetError, load_preset

    path = tmp_path / "mine.toml"
    main_window.menus.save_current_preset(path)
    before = path.read_bytes()
    _tab(main_window, "gan").form.set_value("seed", 9)

    def crash(*args):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(models.checkpoint.os, "fsync", crash)
    with pytest.raises(PresetError, match="simulated"):
        main_window.menus.save_current_preset(path)
    assert path.read_bytes() == before, "the old preset is intact"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "mine.toml"]
    assert not leftovers, f"no temporary file is left: {leftovers}"
    assert load_preset(path).settings["seed"] == 0, "and still loads"


def test_sample_export_crash_keeps_old(qtbot, main_window, tmp_path, monkeypatch):
    import app.sample_export

    tab = _tab(main_window, "inverse")
    tab.form.set_values({"mode": "bulk", "samples": 500})
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    path = tmp_path / "samples.npy"
    tab.export_samples(path)
    before = path.read_bytes()

    def crash(stream, array):
        stream.write(b"\x93NUMPY partial")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(app.sample_export.np, "save", crash)
    with pytest.raises(OSError, match="simulated"):
        tab.export_samples(path)
    assert path.read_bytes() == before, "the old export is intact"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "samples.npy"]
    assert not leftovers, f"no temporary file is left: {leftovers}"


def test_window_export_crash_keeps_old(qtbot, main_window, tmp_path, monkeypatch):
    import models.checkpoint

    tab = _tab(main_window, "gan")
    tab.form.set_values({"steps": 2, "g_width": 16, "d_width": 16})
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    path = tmp_path / "generated.csv"
    assert main_window.menus.export_samples_to(path), main_window.error_label.text()
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(models.checkpoint.os, "fsync", crash)
    assert not main_window.menus.export_samples_to(path), "the failed write reports"
    assert "simulated" in main_window.error_label.text(), "with the reason"
    assert path.read_bytes() == before, "the old export is intact"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "generated.csv"]
    assert not leftovers, f"no temporary file is left: {leftovers}"


class _Emitter(QObject):
    fired = Signal()


@pytest.fixture
def logged_window(main_window, tmp_path, monkeypatch):
    """The window with the program's logging and exception hooks installed."""
    from app.logs import (
        add_exception_listener,
        configure_logging,
        remove_exception_listener,
    )

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    log_file = configure_logging(verbosity=0, log_file=True)
    add_exception_listener(main_window.report_uncaught)
    yield main_window, log_file
    remove_exception_listener(main_window.report_uncaught)
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.mark.qt_no_exception_capture
def test_thread_exception_reaches_window(qtbot, logged_window):
    window, log_file = logged_window
    assert log_file is not None, "the log file opens in the user's data folder"

    def fail():
        raise RuntimeError("simulated failure in a helper thread")

    thread = threading.Thread(target=fail, name="helper")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: "helper thread" in window.error_label.text(), timeout=5000)
    messages = window.messages.toPlainText()
    assert "simulated failure in a helper thread" in messages, "the panel has it"
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "uncaught exception in helper" in text, "the log names the thread"
    assert "simulated failure in a helper thread" in text, "and has the error"


@pytest.mark.qt_no_exception_capture
def test_slot_exception_reaches_window(qtbot, logged_window):
    window, log_file = logged_window
    emitter = _Emitter()

    def slot():
        raise ValueError("simulated failure in a slot")

    emitter.fired.connect(slot)
    QTimer.singleShot(0, emitter.fired.emit)
    qtbot.waitUntil(lambda: "in a slot" in window.error_label.text(), timeout=5000)
    assert "simulated failure in a slot" in window.messages.toPlainText(), "panel"
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "simulated failure in a slot" in text, "the log file has the error"
    assert "Traceback" in text, "with its traceback"
