"""``gan-playground train mmd``: the files it writes, resuming, and its options."""

import csv
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


def test_train_mmd_writes_outputs_and_resumes(tmp_path):
    out = tmp_path / "run"
    common = ("--data", "ring8", "--seed", "1", "--width", "16", "--out", str(out))
    result = run_cli("train", "mmd", "--steps", "20", "--no-progress", *common)
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
    assert metrics["model"] == "mmd", "metrics name the model"
    assert metrics["modes_captured"] >= 0, "ring8 gets mode coverage"
    with open(out / "history.csv") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["step", "batch_mmd2", "bandwidth"], f"MMD columns: {rows[0]}"
    assert set(metrics["final"]) == {"batch_mmd2", "bandwidth"}, metrics["final"]
    assert metrics["final"]["batch_mmd2"] == pytest.approx(float(rows[-1][1])), (
        "batch_mmd2 in metrics.json is the last row of history.csv"
    )
    assert metrics["mmd2"] != metrics["final"]["batch_mmd2"], (
        "mmd2 is the held-out metric, not the last batch's loss"
    )
    assert len(rows) == 21, "one row per step"
    description = json.loads((out / "config.json").read_text())
    assert description["kind"] == "mmd", "the checkpoint is of kind mmd"

    result = run_cli(
        "train",
        "mmd",
        "--resume",
        str(out),
        "--steps",
        "30",
        "--no-progress",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    with open(out / "history.csv") as file:
        rows = list(csv.reader(file))
    assert [row[0] for row in rows[1:]] == [str(i) for i in range(1, 31)], (
        "the resumed run continues the history to step 30"
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 30, "the resumed run reaches 30 steps"


def test_train_mmd_rejects_gan_options(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for option in (["--d-lr", "0.1"], ["--loss", "saturating"], ["--ema", "0.9"]):
        code = main(["train", "mmd", "--steps", "1", *option])
        captured = capsys.readouterr()
        assert code == 2, f"{option} should exit with 2, got {code}"
        assert "applies to gan only" in captured.err, captured.err
    assert not (tmp_path / "runs").exists(), "nothing written for bad input"


def test_train_mmd_resume_rejects_gan_checkpoint(tmp_path, capsys):
    out = tmp_path / "gan"
    result = run_cli(
        "train",
        "gan",
        "--steps",
        "2",
        "--width",
        "8",
        "--no-progress",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    code = main(["train", "mmd", "--resume", str(out), "--out", str(tmp_path / "m")])
    captured = capsys.readouterr()
    assert code == 2, f"an MMD resume from a GAN checkpoint exits with 2, got {code}"
    assert "not 'mmd'" in captured.err, captured.err
