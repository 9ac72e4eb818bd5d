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
        (["train", "gan", "--ema", "1.5", "--steps", "1"], "g_ema"),
        (["train", "wgan"], "invalid choice"),
        (["screenshot"], "--out"),
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
    assert message in captured.err, f"stderr should name the problem: {captured.err}"
    assert "Traceback" not in captured.err, "no traceback for bad input"
    assert not (tmp_path / "runs").exists(), "nothing written for bad input"


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
