"""Command line: help without heavy imports, bad arguments, and a headless train."""

import json
import subprocess
import sys

import numpy as np
import pytest

from app.cli import main


def run_cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_skip_qt_and_torch(flag):
    code = (
        "import sys\n"
        "from app.cli import main\n"
        "try:\n"
        f"    main([{flag!r}])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "heavy = [m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"{flag} imported heavy modules: {result.stderr}"


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "gan", "--steps", "0"], "positive"),
        (["train", "gan", "--steps", "ten"], "whole number"),
        (["train", "gan", "--data", "nowhere"], "neither a data set"),
        (["train", "gan", "--lr", "-1"], "positive"),
        (["train", "gan", "--loss", "hinge"], "invalid choice"),
        (["train", "gan", "--batch-size", "0"], "positive"),
        (["train", "gan", "--resume", "/nonexistent/run"], "does not exist"),
        (["train", "gan", "--ema", "1.5", "--steps", "1"], "--ema must be in [0, 1)"),
        (["train", "wgan"], "invalid choice"),
        (["screenshot"], "--out"),
        (
            ["train", "gan", "--batch-size", "1e8"],
            "--batch-size must be a whole number from 1 to 65,536",
        ),
        (["train", "gan", "--width", "1e7"], "--width must be a whole number from 1"),
        (["train", "gan", "--latent-dim", "1e8"], "--latent-dim must be a whole"),
        (["train", "gan", "--steps", "1e9"], "--steps must be a whole number"),
        (["train", "gan", "--layers", "17"], "--layers must be a whole number"),
        (
            ["train", "mmd", "--batch-size", "1e7"],
            "--batch-size must be a whole number from 2 to 8,192",
        ),
        (
            ["train", "gan", "--batch-size", "65536", "--width", "4096"],
            "memory needed by these settings is about 21.6 GiB",
        ),
        (["train", "mmd", "--batch-size", "8192"], "more than the limit of 4 GiB"),
        (["train", "gan", "--seed", "1e30"], "from 0 to 2147483647"),
        (["train", "gan", "--seed", str(2**70)], "from 0 to 2147483647"),
        (["train", "gan", "--seed", "-1"], "from 0 to 2147483647"),
        (["train", "gan", "--lr", "1e30"], "--lr must be in (0, 1], got 1e+30"),
        (["train", "gan", "--g-lr", "2"], "--g-lr must be in (0, 1]"),
        (["train", "mmd", "--lr", "2"], "--lr must be in (0, 1]"),
        (["screenshot", "--seed", "1e30", "--out", "x.png"], "from 0 to 2147483647"),
        (
            ["screenshot", "--size", "100000", "100000", "--out", "x.png"],
            "width and height must be from 1 to 8192",
        ),
    ],
)
def test_bad_arguments_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(args)
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    assert code == 2, f"{args} should exit with 2, got {code}"
    last_line = captured.err.strip().splitlines()[-1]
    assert message in last_line, f"the last line should name the problem: {last_line}"
    assert "Traceback" not in captured.err, "no traceback for bad input"
    assert "g_lr" not in captured.err, "the message uses the option's own name"
    assert list(tmp_path.iterdir()) == [], "nothing written for bad input"


def test_train_writes_all_outputs(tmp_path):
    out = tmp_path / "run"
    result = run_cli(
        "train",
        "gan",
        "--data",
        "ring8",
        "--steps",
        "30",
        "--seed",
        "1",
        "--width",
        "16",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    for name in (
        "samples.npy",
        "samples.png",
        "history.csv",
        "metrics.json",
        "model.safetensors",
        "config.json",
    ):
        assert (out / name).is_file(), f"{name} should be written"
    samples = np.load(out / "samples.npy")
    assert samples.shape == (2500, 2), f"2,500 2-D samples, got {samples.shape}"
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("data", "steps", "seed", "wall_seconds", "final"):
        assert key in metrics, f"metrics.json should hold {key}"
    assert metrics["steps"] == 30 and metrics["seed"] == 1
    header = (out / "history.csv").read_text().splitlines()[0]
    assert header == "step,d_loss,g_loss,d_real,d_fake", header
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["out"] == str(out), "stdout ends with a JSON summary"


def test_train_digits_writes_pixel_samples(tmp_path):
    out = tmp_path / "digits"
    code = main(
        [
            "train",
            "gan",
            "--data",
            "digits",
            "--steps",
            "3",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0, "short digits run should succeed"
    samples = np.load(out / "samples.npy")
    assert samples.shape == (1000, 64), f"1,000 digits of 64 pixels: {samples.shape}"
    assert samples.min() >= 0 and samples.max() <= 16, "pixels on the 0-16 scale"


def test_resume_continues_from_last_step(tmp_path):
    out = tmp_path / "run"
    common = ["--data", "ring8", "--width", "16", "--no-progress"]
    assert main(["train", "gan", "--steps", "10", "--out", str(out), *common]) == 0
    assert (
        main(
            [
                "train",
                "gan",
                "--resume",
                str(out),
                "--steps",
                "15",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 15, "resume should continue to the new total"
    lines = (out / "history.csv").read_text().splitlines()
    assert lines[-1].startswith("15,"), "history continues across the resume"


def test_resume_from_corrupt_checkpoint_leaves_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "gan",
                "--steps",
                "5",
                "--width",
                "8",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    weights = out / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code = main(["train", "gan", "--resume", str(out), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2, "a corrupt checkpoint should fail with exit code 2"
    assert len(err.splitlines()) == 1 and "truncated or corrupt" in err, err
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert before == after, "the folder must be left as it was"


def _train_small(out, *extra):
    return main(
        ["train", "gan", "--steps", "3", "--width", "8", "--out", str(out)]
        + ["--no-progress", *extra]
    )


def test_train_keeps_filled_out_folder_without_force(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train_small(out) == 0, "the first run writes the folder"
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    capsys.readouterr()

    code = _train_small(out, "--seed", "5")
    err = capsys.readouterr().err.strip()
    assert code == 2, f"a filled --out needs --force, got exit {code}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert "--force" in err, f"the message names --force: {err!r}"
    after = {path.name: path.read_bytes() for path in out.iterdir()}
    assert after == before, "the earlier run's files are left as they were"

    assert _train_small(out, "--seed", "5", "--force") == 0, "--force overwrites"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seed"] == 5, f"the new run's files replace the old: {metrics}"


def test_train_into_empty_existing_folder(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert _train_small(out) == 0, "an empty --out folder needs no --force"


@pytest.mark.parametrize("dim", [1, 2])
def test_train_on_own_points_records_file_and_metrics(tmp_path, capsys, dim):
    data = tmp_path / f"points{dim}.csv"
    rng = np.random.default_rng(3)
    np.savetxt(data, rng.normal(size=(300, dim)), delimiter=",")
    out = tmp_path / "run"

    assert _train_small(out, "--data", str(data)) == 0, "own points train"
    err = capsys.readouterr().err
    assert "Traceback" not in err, f"no traceback on the terminal: {err}"
    assert "no metrics" not in err, f"no failed metrics: {err}"
    metrics = json.loads((out / "metrics.json").read_text())
    assert "metrics_error" not in metrics, f"metrics computed: {metrics}"
    assert metrics["data"] == "custom", metrics
    assert metrics["data_file"].endswith(data.name), f"file recorded: {metrics}"
    assert np.isfinite(metrics["mmd2"]), f"MMD² applies to any data: {metrics}"
    one_d = {"ks_statistic", "wasserstein1"}
    if dim == 1:
        assert one_d <= set(metrics), f"1-D data gets KS and W1: {metrics}"
    else:
        assert not one_d & set(metrics), f"KS and W1 are 1-D only: {metrics}"
    assert "modes_captured" not in metrics, "own data has no known modes"
    description = json.loads((out / "config.json").read_text())
    assert description["data_file"].endswith(data.name), "config.json records it"


BAD_POINT_FILES = {
    "header_nan.csv": ("x,y\n1,2\n3,nan\n4,5\n", "line 3"),
    "huge.csv": ("1e308,1\n-1e308,2\n1e308,3\n", "beyond ±1e+30"),
    "squares_overflow.csv": ("1e200,1\n-1e200,2\n3e200,3\n", "beyond ±1e+30"),
}


@pytest.mark.parametrize(
    "name", sorted([*BAD_POINT_FILES, "nan.npy", "big.npy", "junk.npy"])
)
def test_bad_own_points_give_one_line(tmp_path, capsys, recwarn, name):
    path = tmp_path / name
    if name == "junk.npy":
        # Bytes without the NPY header, which np.load would try as a pickle.
        path.write_bytes(bytes(range(256)) * 2)
        expected = "is not a valid NPY file"
    elif name == "nan.npy":
        np.save(path, np.array([[1.0, 2.0], [np.nan, 3.0], [4.0, 5.0]]))
        expected = "row 2 of 3"
    elif name == "big.npy":
        np.save(path, np.array([[1.0, 2.0], [4.0, 5.0], [-1e300, 3.0]]))
        expected = "row 3 of 3"
    else:
        text, expected = BAD_POINT_FILES[name]
        path.write_text(text)

    code = _train_small(tmp_path / "run", "--data", str(path))
    err = capsys.readouterr().err.strip()
    assert code == 2, f"{name} is rejected with exit 2, got {code}: {err}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert name in err, f"the message names the file: {err!r}"
    assert expected in err, f"the message names the place: {err!r}"
    assert "row 0" not in err, f"rows count from 1: {err!r}"
    assert "learning rate" not in err, f"the data is to blame: {err!r}"
    warned = [str(w.message) for w in recwarn if w.category is RuntimeWarning]
    assert not warned, f"no numpy RuntimeWarning: {warned}"
    assert not (tmp_path / "run").exists(), "nothing written"


def test_seed_at_limit_is_accepted(tmp_path):
    out = tmp_path / "run"
    assert _train_small(out, "--seed", "2147483647") == 0, "the largest seed trains"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seed"] == 2**31 - 1, metrics


def test_non_utf8_preset_gives_one_line(tmp_path, capsys):
    preset = tmp_path / "junk.toml"
    preset.write_bytes(b"\xd3\x00\xff title = 1\n")
    code = _train_small(tmp_path / "run", "--preset", str(preset))
    err = capsys.readouterr().err.strip()
    assert code == 2, f"exit 2, got {code}: {err}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert f"{preset} is not a UTF-8 text file" in err, err
    assert "codec" not in err, f"no Python codec text: {err!r}"
    assert not (tmp_path / "run").exists(), "nothing written"


def test_unwritable_out_fails_before_training(tmp_path, capsys, monkeypatch):
    import tempfile
    from pathlib import Path

    import app.train_cli

    out = tmp_path / "run"
    assert _train_small(out) == 0, "the first run writes the folder"
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    capsys.readouterr()
    make_temporary = tempfile.mkstemp

    def read_only(*args, **kwargs):
        if Path(kwargs.get("dir", "")) == out:
            raise PermissionError(13, "Permission denied")
        return make_temporary(*args, **kwargs)

    def no_training(*args, **kwargs):
        raise AssertionError("training started before the folder was checked")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(app.train_cli, "ProgressBar", no_training)
    code = _train_small(out, "--force")
    err = capsys.readouterr().err.strip()
    assert code == 2, f"exit 2, got {code}: {err}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert f"cannot write to output folder {out}: Permission denied" in err, err
    after = {path.name: path.read_bytes() for path in out.iterdir()}
    assert after == before, "the earlier run is left as it was"


def test_window_without_display_gives_one_line(capsys, monkeypatch):
    import app.gui

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")

    def no_application():
        raise AssertionError("the QApplication was created without a display")

    monkeypatch.setattr(app.gui, "make_application", no_application)
    code = main([])
    err = capsys.readouterr().err.strip()
    assert code == 2, f"exit 2, got {code}: {err}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert "no display found: set QT_QPA_PLATFORM=offscreen" in err, err
    assert "gan-playground screenshot" in err, err


@pytest.mark.parametrize(
    "name, value",
    [("DISPLAY", ":0"), ("WAYLAND_DISPLAY", "wayland-0"), ("QT_QPA_PLATFORM", "xcb")],
)
def test_display_found_from_environment(monkeypatch, name, value):
    from app.gui import display_available

    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not display_available(), "no display with none of the variables"
    monkeypatch.setenv(name, value)
    assert display_available(), f"{name}={value} gives a display"
