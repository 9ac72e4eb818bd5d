"""Presets: TOML files, the Presets menu, the command line and what each shows."""

import json
from pathlib import Path

import numpy as np
import pytest

from app.presets import (
    Preset,
    PresetError,
    find_preset,
    load_preset,
    parse_preset,
    save_preset,
    shipped_presets,
)

TIMEOUT_MS = 60_000
GAN_PRESETS = [preset for preset in shipped_presets() if preset.tab == "gan"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_presets_are_complete():
    presets = shipped_presets()
    names = [preset.name for preset in presets]
    assert len(names) == len(set(names)), f"preset names must be unique: {names}"
    assert len(GAN_PRESETS) >= 5, f"expected the GAN presets, got {names}"
    for preset in presets:
        assert preset.title, f"{preset.name} needs a title"
        assert len(preset.explanation) > 80, f"{preset.name} needs an explanation"
        assert preset.settings, f"{preset.name} needs settings"


def test_save_and_load_round_trip(tmp_path):
    preset = Preset(
        name="mine",
        tab="gan",
        title="My run",
        explanation="What it shows.",
        settings={"data": "moons", "g_betas": [0.5, 0.9], "spectral_norm": True},
        order=7,
    )
    path = save_preset(tmp_path / "mine.toml", preset)
    loaded = load_preset(path)
    assert loaded.settings == preset.settings, "settings should survive TOML"
    assert (loaded.tab, loaded.title, loaded.order) == ("gan", "My run", 7)
    assert loaded.explanation == "What it shows.", "explanation should survive"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "mine.toml"]
    assert not leftovers, f"the atomic write left temporary files: {leftovers}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('tab = "gan"\ntitle = "x"\ncolour = 3\n', "unknown key(s) colour"),
        ('tab = "gan"\ntitle = \n', "not valid TOML"),
        ('title = "x"\n', "needs a text value for 'tab'"),
        ('format = 2\ntab = "gan"\ntitle = "x"\n', "format 2"),
        ('tab = "gan"\ntitle = "x"\norder = "first"\n', "'order' must be a whole"),
        ('tab = "gan"\ntitle = "x"\nsettings = 3\n', "[settings] must be a table"),
    ],
)
def test_parse_rejects_bad_files(text, expected):
    with pytest.raises(PresetError) as raised:
        parse_preset(text, "bad", source="bad.toml")
    assert expected in str(raised.value), f"message was: {raised.value}"


def test_find_preset_lists_names_when_unknown():
    with pytest.raises(PresetError) as raised:
        find_preset("no-such-preset")
    assert "gan-equilibrium" in str(raised.value), "the message should list presets"


def test_missing_preset_file(tmp_path):
    with pytest.raises(PresetError, match="does not exist"):
        find_preset(str(tmp_path / "absent.toml"))


@pytest.mark.parametrize("preset", GAN_PRESETS, ids=lambda p: p.name)
def test_gan_preset_loads_in_window(main_window, preset):
    from app.gan_tab import GanTab

    assert main_window.menus.load_preset(preset), main_window.error_label.text()
    tab = main_window.tabs.currentWidget()
    assert isinstance(tab, GanTab), "the GAN tab should be shown"
    settings = tab.settings()
    for key, value in preset.settings.items():
        assert settings[key] == pytest.approx(value), f"{key} should be {value}"
    explanation = main_window.menus.preset_panel.explanation.text()
    assert preset.title in explanation, "the explanation panel should show it"


def test_invalid_preset_changes_nothing(main_window, gan_tab, tmp_path):
    before = gan_tab.settings()
    cases = {
        "unknown.toml": "[settings]\nwidth_of_g = 3\n",
        "type.toml": '[settings]\nsteps = "many"\n',
        "range.toml": "[settings]\ng_lr = 4.0\n",
        "form.toml": "[settings]\nsteps = 20000000\n",
        "option.toml": '[settings]\ncompare_losses = "yes"\n',
    }
    for name, body in cases.items():
        path = _write(tmp_path / name, f'tab = "gan"\ntitle = "bad"\n{body}')
        assert not main_window.menus.load_preset_named(str(path)), f"{name} loaded"
        assert "was not loaded" in main_window.error_label.text(), name
        assert gan_tab.settings() == before, f"{name} changed the settings"


def test_preset_for_missing_tab_is_rejected(main_window, tmp_path):
    path = _write(tmp_path / "other.toml", 'tab = "nope"\ntitle = "x"\n')
    assert not main_window.menus.load_preset_named(str(path)), "no such tab"
    assert "'nope' tab" in main_window.error_label.text(), "the error names the tab"


def test_next_preset_shortcut_cycles(qtbot, main_window):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    menus = main_window.menus
    main_window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main_window, timeout=5000)
    qtbot.keyClick(main_window, Qt.Key.Key_N)
    assert menus.preset_index == 0, "N should load the first preset"
    qtbot.keyClick(main_window, Qt.Key.Key_PageDown)
    assert menus.preset_index == 1, "Page Down should load the next one"
    qtbot.keyClick(main_window, Qt.Key.Key_PageUp)
    assert menus.preset_index == 0, "Page Up should go back"
    first = menus.presets[0]
    assert first.title in menus.preset_panel.explanation.text(), "explained"


def test_save_current_preset_round_trips(main_window, gan_tab, tmp_path):
    gan_tab.apply_settings({"data": "moons", "g_lr": 0.001, "seed": 9})
    path = main_window.menus.save_current_preset(tmp_path / "moons-run")
    assert path.suffix == ".toml", "the suffix should be added"
    saved = load_preset(path)
    assert saved.tab == "gan", "the tab key should be stored"
    assert saved.settings["data"] == "moons", "data should be stored"
    assert saved.settings["seed"] == 9, "the seed should be stored"
    assert "device" not in saved.settings, "the device belongs to the machine"
    gan_tab.apply_settings({"data": "ring8"})
    assert main_window.menus.load_preset(saved), "the saved file should load"
    assert gan_tab.form.value("g_lr") == pytest.approx(0.001), "and restore g_lr"


def test_gui_command_rejects_unknown_preset(capsys):
    from app.cli import main

    assert main(["--preset", "no-such-preset"]) == 2, "exit status 2"
    assert "no preset named" in capsys.readouterr().err, "one line on stderr"


def test_gui_command_opens_window_with_preset(qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QApplication, QMainWindow

    import app.main_window
    from app.cli import main

    created = []

    class RecordedWindow(app.main_window.MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

        def paintEvent(self, event):  # noqa: N802 - no torch probe in this test
            QMainWindow.paintEvent(self, event)

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    monkeypatch.setattr(app.main_window, "MainWindow", RecordedWindow)
    assert main(["--preset", "gan-mode-collapse"]) == 0, "the window should open"
    assert len(created) == 1, "one window should be made"
    window = created[0]
    qtbot.addWidget(window)
    try:
        tab = window.tabs.currentWidget()
        assert tab.key == "gan", "the preset's tab should be current"
        assert tab.form.value("data") == "grid25", "and show the preset's data"
        assert tab.form.value("g_lr") == pytest.approx(0.002), "and its g_lr"
    finally:
        window.shutdown()


def test_train_command_uses_preset(tmp_path, capsys):
    from app.cli import main

    out = tmp_path / "run"
    code = main(
        [
            "train", "gan", "--preset", "gan-equilibrium", "--steps", "15",
            "--out", str(out), "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["preset"] == "gan-equilibrium", "metrics should name the preset"
    assert metrics["data"] == "gauss1d", "the preset's data set should be used"
    config = json.loads((out / "config.json").read_text())["config"]
    assert config["g_width"] == 64, "the preset's width should be used"
    assert config["steps"] == 15, "--steps should override the preset"


@pytest.mark.parametrize(
    ("preset", "expected"),
    [("no-such-preset", "no preset named"), ("gan-equilibrium", "not for 'train mmd'")],
)
def test_train_command_rejects_bad_preset(tmp_path, capsys, preset, expected):
    from app.cli import main

    code = main(["train", "mmd", "--preset", preset, "--out", str(tmp_path / "r")])
    assert code == 2, "a bad preset exits with status 2"
    assert expected in capsys.readouterr().err, "the message should say why"


def _train(preset_name: str, steps: int, **overrides):
    from app.presets import VIEW_OPTIONS
    from models.gan import GanTrainer
    from models.gan_config import GanConfig, default_config

    settings = dict(find_preset(preset_name).settings)
    for key in VIEW_OPTIONS:
        settings.pop(key, None)
    values = {**default_config(settings["data"]).to_dict(), **settings}
    values.update(steps=steps, **overrides)
    trainer = GanTrainer(GanConfig.from_dict(values))
    return trainer


def _occupied_modes(trainer, samples: int = 2500, share: float = 0.01) -> int:
    """Count grid modes nearest to at least ``share`` of the generated samples."""
    points = trainer.generate(samples)
    centers = trainer.dataset.modes
    nearest = np.argmin(
        ((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2), axis=1
    )
    counts = np.bincount(nearest, minlength=len(centers))
    return int(np.count_nonzero(counts >= share * samples))


@pytest.mark.slow
def test_mode_collapse_preset_covers_fewer_modes():
    # Seed 0 measured: the collapsed run fills 2 of 25 modes at step 1,000, the
    # packed run all 25 (2 threads of a loaded 2-core machine, 10 s each).
    occupied = {}
    for name in ("gan-mode-collapse", "gan-mode-collapse-fixed"):
        trainer = _train(name, 1000)
        for _ in trainer.steps():
            pass
        occupied[name] = _occupied_modes(trainer)
    assert occupied["gan-mode-collapse"] <= 10, f"collapse expected: {occupied}"
    assert occupied["gan-mode-collapse-fixed"] >= 20, f"spread expected: {occupied}"


@pytest.mark.slow
def test_equilibrium_preset_reaches_half():
    steps = find_preset("gan-equilibrium").settings["steps"]
    trainer = _train("gan-equilibrium", steps)
    for _ in trainer.steps():
        pass
    history = trainer.history.as_dict()
    last = slice(-200, None)
    d_fake = float(np.mean(history["d_fake"][last]))
    d_real = float(np.mean(history["d_real"][last]))
    assert abs(d_fake - 0.5) < 0.05, f"D(G(z)) should settle at 0.5, got {d_fake}"
    assert abs(d_real - 0.5) < 0.05, f"D(x) should settle at 0.5, got {d_real}"


def _generator_gradient_norm(trainer) -> float:
    """Return the norm of G's own loss gradient over all of G's weights.

    The noise comes from a generator of its own, so measuring does not change
    the run.
    """
    import torch

    from models.losses import generator_loss

    noise = trainer._noise(256, torch.Generator().manual_seed(123))
    logits = trainer.netD(trainer._pack(trainer.netG(noise)))
    loss = generator_loss(logits, trainer.config.generator_loss)
    gradients = torch.autograd.grad(loss, list(trainer.netG.parameters()))
    return float(torch.sqrt(sum((g**2).sum() for g in gradients)))


@pytest.mark.slow
def test_loss_preset_saturating_stalls_early():
    # Seed 0 measured: at steps 50 to 200 the saturating gradient norm is below
    # 0.003 and the non-saturating one between 5 and 18, while the saturating
    # D(G(z)) stays near 0 (2-core machine, 10 s for both runs).
    norms, d_fake, distance = {}, {}, {}
    for loss in ("saturating", "non-saturating"):
        trainer = _train("gan-loss-comparison", 300, generator_loss=loss)
        norms[loss] = []
        for _ in trainer.steps():
            if trainer.step in (50, 100, 150, 200):
                norms[loss].append(_generator_gradient_norm(trainer))
        d_fake[loss] = float(np.mean(trainer.history.as_dict()["d_fake"][25:200]))
        points = trainer.generate(2500)
        centers = trainer.dataset.modes
        gaps = np.sqrt(((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2))
        distance[loss] = float(np.median(gaps.min(axis=1)))
    saturating = max(norms["saturating"])
    non_saturating = min(norms["non-saturating"])
    assert saturating < 0.01 * non_saturating, f"early gradient norms: {norms}"
    assert d_fake["saturating"] < 0.05, f"D rejects the saturating G: {d_fake}"
    assert distance["non-saturating"] < distance["saturating"], (
        f"the non-saturating samples get closer to the modes: {distance}"
    )


SAMPLING_PRESETS = [
    preset
    for preset in shipped_presets()
    if preset.tab in ("inverse", "rejection", "mh")
]


@pytest.mark.parametrize("preset", SAMPLING_PRESETS, ids=lambda p: p.name)
def test_sampling_preset_loads_in_window(main_window, preset):
    assert main_window.menus.load_preset(preset), main_window.error_label.text()
    tab = main_window.tabs.currentWidget()
    assert tab.key == preset.tab, f"the {preset.tab} tab should be shown"
    settings = tab.settings()
    for key, value in preset.settings.items():
        assert settings[key] == pytest.approx(value), f"{key} should be {value}"


def _sample(main_window, name: str, **overrides) -> dict:
    """Run a sampling preset to its end in the test's thread; return the snapshot.

    Bulk mode draws the same samples in fewer, larger steps than animate mode.
    """
    preset = find_preset(name)
    tab = main_window.menus._tab_for_key(preset.tab)
    tab.apply_settings({**preset.settings, "mode": "bulk", **overrides})
    run = tab._factory()()
    for _ in run.steps():
        pass
    return run.snapshot()


def test_inverse_preset_inverts_numerically(main_window):
    snapshot = _sample(main_window, "inverse-no-closed-form")
    assert snapshot["method"] == "numerical inversion", snapshot["method"]
    scaled = snapshot["ks_statistic"] * np.sqrt(snapshot["n"])
    # 1.63 is the 1 % critical value of sqrt(n) D, the Kolmogorov distribution.
    assert scaled < 1.63, f"the samples should follow F: sqrt(n) D = {scaled:.2f}"


def test_rejection_preset_clips_density(main_window):
    clipped = _sample(main_window, "rejection-envelope-too-small")
    assert not clipped["envelope_ok"], "the hand-set M should be flagged"
    assert clipped["m_required"] > 1.9 * clipped["m"], "M is about half the need"
    scaled = clipped["ks_statistic"] * np.sqrt(clipped["accepted"])
    assert scaled > 1.63, f"KS should reject the clipped samples: {scaled:.2f}"

    fixed = _sample(main_window, "rejection-envelope-too-small", m_mode="computed")
    assert fixed["envelope_ok"], "the computed M should cover p"
    scaled = fixed["ks_statistic"] * np.sqrt(fixed["accepted"])
    assert scaled < 1.63, f"with the computed M the samples follow p: {scaled:.2f}"


def test_mh_step_presets_show_tradeoff(main_window):
    results = {
        size: _sample(main_window, f"mh-step-{size}")
        for size in ("tiny", "good", "huge")
    }
    rate = {size: results[size]["acceptance_rate"] for size in results}
    ess = {size: float(np.min(results[size]["ess"])) for size in results}
    rhat = {size: float(np.max(results[size]["rhat"])) for size in results}
    assert rate["tiny"] > 0.9, f"a tiny step accepts almost all: {rate}"
    assert 0.3 < rate["good"] < 0.7, f"a good step accepts about half: {rate}"
    assert rate["huge"] < 0.1, f"a huge step rejects almost all: {rate}"
    assert ess["good"] > 5 * ess["huge"], f"the good step mixes best: {ess}"
    assert ess["good"] > 50 * ess["tiny"], f"the tiny step barely moves: {ess}"
    assert rhat["tiny"] > 1.2, f"tiny-step chains have not mixed: {rhat}"
    assert rhat["good"] < 1.05, f"good-step chains agree: {rhat}"


def test_sample_command_uses_mh_preset(tmp_path, capsys):
    from app.cli import main

    out = tmp_path / "chain.npy"
    code = main(["sample", "mh", "--preset", "mh-step-huge", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert summary["chains"] == 4, "the preset's chains are used"
    assert summary["n"] == 4 * 2700, "kept draws: 4 chains x (3000 - 300)"
    assert summary["acceptance_rate"] < 0.1, "the huge step is used"
    assert len(np.load(out)) == 4 * 2700, "every kept draw is written"


def test_sample_command_preset_clips_rejection(tmp_path, capsys):
    from app.cli import main

    out = tmp_path / "clipped.csv"
    code = main(
        ["sample", "rejection", "--preset", "rejection-envelope-too-small"]
        + ["--n", "2000", "--out", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["m"] == pytest.approx(2.9), "the hand-set M is used"
    assert not summary["envelope_ok"], "and flagged as too small"
    assert "too small" in captured.err, "with a warning on stderr"
    assert summary["n"] == 2000, "--n on the command line wins"


def test_sample_command_options_override_preset(tmp_path, capsys):
    from app.cli import main

    out = tmp_path / "x.npy"
    code = main(
        ["sample", "inverse", "--preset", "inverse-no-closed-form"]
        + ["--target", "exponential(1)", "--n", "50", "--seed", "3", "--out", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert summary["target"].startswith("exponential"), "--target wins"
    assert summary["seed"] == 3, "--seed wins"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["inverse", "--preset", "mh-step-good"], "not for 'sample inverse'"),
        (["mh", "--preset", "no-such-preset"], "no preset named"),
        (["mh"], "give --target, --density or --cdf, or a --preset"),
    ],
)
def test_sample_command_rejects_bad_preset(tmp_path, capsys, arguments, expected):
    from app.cli import main

    out = tmp_path / "never.npy"
    assert main(["sample", *arguments, "--out", str(out)]) == 2, "exit status 2"
    assert expected in capsys.readouterr().err, "the message says why"
    assert not out.exists(), "no file is written"


def test_every_tab_implements_protocol(main_window):
    from app.tab_protocol import missing_members

    for tab in main_window.tab_instances():
        assert not missing_members(tab), f"{tab.title} lacks {missing_members(tab)}"
        assert tab.formulas(), f"{tab.title} should show its formulas"
        before = tab.settings()
        tab.apply_settings(before)
        assert tab.settings() == before, f"{tab.title}: settings should round-trip"
        with pytest.raises(ValueError, match="no_such_setting"):
            tab.apply_settings({"no_such_setting": 1})
        assert tab.settings() == before, f"{tab.title}: a bad key changes nothing"


@pytest.mark.parametrize("preset", GAN_PRESETS, ids=lambda p: p.name)
def test_gan_preset_pins_tuned_defaults(preset):
    # A setting left out takes its data set's default, which changes as the
    # defaults are tuned, so a shipped preset sets every tuned one itself.
    from models.gan_config import GanConfig, default_config

    plain = GanConfig().to_dict()
    tuned = default_config(preset.settings["data"]).to_dict()
    expected = {key for key, value in tuned.items() if value != plain[key]}
    missing = sorted(expected - set(preset.settings) - {"data"})
    assert not missing, f"{preset.name} should set {missing}"
