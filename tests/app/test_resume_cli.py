"""``gan-playground train --resume``: runs saved by the window, broken folders, NaN."""

import json

import numpy as np
import pytest
import torch

from app.cli import main

TIMEOUT_MS = 60_000


def _folder_bytes(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_resume_run_saved_by_window(qtbot, main_window, tmp_path):
    from app.gan_tab import GanTab

    tab = next(t for t in main_window.tab_instances() if isinstance(t, GanTab))
    main_window.tabs.setCurrentWidget(tab)
    tab.form.set_values(
        {"data": "moons", "steps": 4, "g_width": 16, "d_width": 16, "seed": 6}
    )
    tab.start()
    qtbot.waitUntil(lambda: tab.controller.state == "stopped", timeout=TIMEOUT_MS)
    folder = tmp_path / "saved"
    assert main_window.menus.save_checkpoint(folder), main_window.error_label.text()

    out = tmp_path / "continued"
    code = main(
        ["train", "gan", "--resume", str(folder), "--steps", "7", "--out", str(out)]
        + ["--no-progress"]
    )
    assert code == 0, "a checkpoint saved by the window resumes on the command line"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 7, f"the run continues to step 7: {metrics['steps']}"
    assert metrics["data"] == "moons", "with the window's data set"
    assert metrics["seed"] == 6, "and its seed"
    rows = (out / "history.csv").read_text().splitlines()[1:]
    steps = [int(row.split(",")[0]) for row in rows]
    assert steps == list(range(1, 8)), f"history continues the window's: {steps}"


def _train(model, out, *extra):
    width = ["--width", "8"]
    code = main(["train", model, "--steps", "3", *width, "--out", str(out)] + [
        "--no-progress",
        *extra,
    ])  # fmt: skip
    assert code == 0, f"training {model} for the test failed"
    return out


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "foreign", "gan kind"])
def test_mmd_resume_from_broken_folder(tmp_path, capsys, damage):
    out = _train("mmd", tmp_path / "mmd")
    weights = out / "model.safetensors"
    if damage == "truncated":
        weights.write_bytes(weights.read_bytes()[:64])
    elif damage == "corrupt":
        data = bytearray(weights.read_bytes())
        data[:8] = b"\xff" * 8
        weights.write_bytes(bytes(data))
    elif damage == "foreign":
        (out / "config.json").write_text(json.dumps({"name": "someone else's"}))
    else:
        description = json.loads((out / "config.json").read_text())
        (out / "config.json").write_text(json.dumps(dict(description, kind="gan")))
    capsys.readouterr()
    before = _folder_bytes(out)

    code = main(["train", "mmd", "--resume", str(out), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2, f"a {damage} checkpoint fails with exit code 2, got {code}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert str(out) in err, f"the message names the folder: {err!r}"
    assert _folder_bytes(out) == before, "the folder is left as it was"


def test_nan_run_writes_last_good_weights(tmp_path, capsys, monkeypatch):
    from models.gan import GanTrainer

    original = GanTrainer.train_step

    def train_step(self):
        self.last_good.interval = 2
        record = original(self)
        if self.step == 5:
            with torch.no_grad():
                for parameter in self.netG.parameters():
                    parameter.fill_(float("nan"))
        return record

    monkeypatch.setattr(GanTrainer, "train_step", train_step)
    out = tmp_path / "run"
    code = main(
        ["train", "gan", "--steps", "10", "--width", "8", "--out", str(out)]
        + ["--no-progress"]
    )
    err = capsys.readouterr().err
    assert code == 1, f"a run stopped by NaN exits with 1, got {code}"
    assert "Wrote the weights of step 4" in err, f"the message says which: {err}"
    resumed = GanTrainer.load(out)
    assert resumed.step == 4, f"the checkpoint holds step 4, not {resumed.step}"
    metrics = json.loads((out / "metrics.json").read_text())
    assert "stopped_early" in metrics, "metrics record the early stop"


def test_write_failure_is_one_line(tmp_path, capsys, monkeypatch):
    import models.checkpoint

    out = _train("gan", tmp_path / "run")
    before = _folder_bytes(out)
    capsys.readouterr()

    def crash(*args):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(models.checkpoint.os, "fsync", crash)
    code = main(["train", "gan", "--resume", str(out), "--steps", "5"] + [
        "--out",
        str(out),
        "--no-progress",
    ])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2, f"a failed write exits with 2, got {code}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert "simulated" in err, f"the message gives the reason: {err!r}"
    assert _folder_bytes(out) == before, "every earlier file is left whole"


def _resume(out, *extra):
    return main(["train", "gan", "--resume", str(out), "--no-progress", *extra])


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--data", "moons", "--steps", "5"], "--data moons conflicts"),
        (["--steps", "3"], "--steps 3 is not above step 3"),
        (["--steps", "2"], "pass a number above 3"),
        ([], "has done its 3 steps"),
        (["--lr", "0.1", "--steps", "5"], "--lr cannot change a resumed run"),
    ],
)
def test_resume_conflicts_are_one_line(tmp_path, capsys, extra, message):
    out = _train("gan", tmp_path / "run", "--data", "ring8")
    before = _folder_bytes(out)
    capsys.readouterr()

    code = _resume(out, *extra)
    err = capsys.readouterr().err.strip()
    assert code == 2, f"{extra} exits with 2, got {code}: {err}"
    assert len(err.splitlines()) == 1, f"one line of message: {err!r}"
    assert message in err, f"the message explains it: {err!r}"
    assert _folder_bytes(out) == before, "the saved run is left as it was"


def test_resume_writes_to_own_folder_by_default(tmp_path):
    out = _train("gan", tmp_path / "run")
    assert _resume(out, "--steps", "5") == 0, "resuming without --out succeeds"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 5, f"the run's folder gets the results: {metrics}"


def test_resume_into_filled_folder_needs_force(tmp_path, capsys):
    out = _train("gan", tmp_path / "run")
    other = _train("gan", tmp_path / "other")
    before = _folder_bytes(other)
    capsys.readouterr()
    code = _resume(out, "--steps", "5", "--out", str(other))
    err = capsys.readouterr().err
    assert code == 2, f"another filled folder needs --force, got {code}"
    assert "--force" in err, err
    assert _folder_bytes(other) == before, "the other run is left as it was"


def test_resume_own_data_finds_recorded_file(tmp_path, capsys):
    data = tmp_path / "points.csv"
    np.savetxt(data, np.random.default_rng(4).normal(size=(200, 2)), delimiter=",")
    out = _train("gan", tmp_path / "run", "--data", str(data))

    assert _resume(out, "--steps", "5") == 0, "the recorded file is loaded again"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 5, metrics
    assert metrics["data_file"] == str(data.resolve()), metrics

    renamed = tmp_path / "other.csv"
    data.rename(renamed)
    capsys.readouterr()
    code = _resume(out, "--steps", "7", "--data", str(renamed))
    err = capsys.readouterr().err.strip()
    assert code == 2, f"a file of another name conflicts, got {code}"
    assert "points.csv" in err, f"the message names the recorded file: {err!r}"
    code = _resume(out, "--steps", "7")
    err = capsys.readouterr().err.strip()
    assert code == 2, f"a missing recorded file is an error, got {code}"
    assert "was not found; pass --data FILE" in err, err


def test_resume_keeps_preset_and_total_time(tmp_path):
    out = _train("gan", tmp_path / "run", "--preset", "gan-equilibrium")
    first = json.loads((out / "metrics.json").read_text())
    assert first["preset"] == "gan-equilibrium", f"preset recorded: {first}"
    assert first["resumed_from_step"] == 0, f"a fresh run starts at 0: {first}"
    assert first["total_wall_seconds"] == first["wall_seconds"], "one part so far"

    assert _resume(out, "--steps", "5") == 0, "resuming succeeds"
    second = json.loads((out / "metrics.json").read_text())
    assert second["preset"] == "gan-equilibrium", f"preset kept: {second}"
    assert second["resumed_from_step"] == 3, f"this part starts at 3: {second}"
    expected = first["total_wall_seconds"] + second["wall_seconds"]
    assert second["total_wall_seconds"] == pytest.approx(expected, abs=2e-3), (
        f"total time adds both parts: {first} then {second}"
    )
    assert second["total_wall_seconds"] > second["wall_seconds"], "more than one part"
