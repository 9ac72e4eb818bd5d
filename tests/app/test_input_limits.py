"""Limits on sizes shared by the forms and the configs, and the screenshot command's
handling of bad input: one line per error, no file lost."""

import pytest

from app.cli import build_parser, main
from models import limits
from models.gan_config import GanConfig
from models.limits import SettingError
from models.mmd_config import MmdConfig

GAN_LIMITS = {
    "steps": limits.MAX_STEPS,
    "latent_dim": limits.MAX_LATENT_DIM,
    "latent_categories": limits.MAX_LATENT_CATEGORIES,
    "g_layers": limits.MAX_LAYERS,
    "g_width": limits.MAX_WIDTH,
    "d_layers": limits.MAX_LAYERS,
    "d_width": limits.MAX_WIDTH,
    "d_steps": limits.MAX_D_STEPS,
    "pack": limits.MAX_PACK,
    "batch_size": limits.MAX_GAN_BATCH_SIZE,
    "seed": limits.SEED_MAX,
}
MMD_LIMITS = {
    "steps": limits.MAX_STEPS,
    "latent_dim": limits.MAX_LATENT_DIM,
    "layers": limits.MAX_LAYERS,
    "width": limits.MAX_WIDTH,
    "batch_size": limits.MAX_MMD_BATCH_SIZE,
    "seed": limits.SEED_MAX,
}


@pytest.mark.parametrize(
    "fields_name, config_class, expected",
    [("gan", GanConfig, GAN_LIMITS), ("mmd", MmdConfig, MMD_LIMITS)],
)
def test_form_maxima_match_config(fields_name, config_class, expected):
    if fields_name == "gan":
        from app.gan_tab import gan_fields as make_fields
    else:
        from app.mmd_tab import mmd_fields as make_fields

    fields = {field.key: field for field in make_fields()}
    for key, maximum in expected.items():
        assert fields[key].maximum == maximum, f"{key}: spin box ends at the limit"
        with pytest.raises(SettingError) as error:
            config_class(**{key: maximum + 1}).validate()
        assert error.value.field == key, f"one above the limit names {key}"


def test_memory_estimate_rejects_wide_and_large_batch():
    config = GanConfig(g_width=4096, d_width=4096, batch_size=65_536)
    with pytest.raises(SettingError, match="memory needed .* GiB") as error:
        config.validate()
    assert error.value.field == "memory", "the memory estimate is named"
    GanConfig(g_width=4096, d_width=4096, batch_size=256).validate()


def test_memory_estimate_uses_data_size():
    config = GanConfig(data="custom", batch_size=65_536, g_width=256, d_width=256)
    config.validate(data_dim=2)
    with pytest.raises(SettingError, match="memory"):
        config.validate(data_dim=4096)


def test_mh_tab_flags_burn_in_at_once(qtbot, main_window):
    tab = next(t for t in main_window.tab_instances() if t.key == "mh")
    main_window.tabs.setCurrentWidget(tab)
    tab.form.controls["iterations"].setValue(400)
    error = tab.form.field_error("burn_in")
    assert "burn-in (500) must be below the iterations (400)" in error, error
    tab.form.controls["burn_in"].setValue(100)
    assert tab.form.field_error("burn_in") == "", "a fitting burn-in clears it"


def test_mh_tab_spin_boxes_stop_at_limits(main_window):
    from models.sampler_options import MAX_CHAIN_ITERATIONS, MAX_CHAINS

    tab = next(t for t in main_window.tab_instances() if t.key == "mh")
    fields = tab.form.fields
    assert fields["chains"].maximum == MAX_CHAINS, "chains as on the command line"
    assert fields["iterations"].maximum == MAX_CHAIN_ITERATIONS, "iterations too"
    assert fields["burn_in"].maximum < MAX_CHAIN_ITERATIONS, "burn-in leaves a draw"


def _screenshot(capsys, *args):
    code = main(["screenshot", *args])
    return code, capsys.readouterr()


def test_screenshot_mh_with_defaults(tmp_path, capsys):
    out = tmp_path / "mh.png"
    code, captured = _screenshot(capsys, "--tab", "mh", "--out", str(out))
    assert code == 0, f"the defaults fit together: {captured.err}"
    assert out.stat().st_size > 10_000, "the image shows the window"


def test_screenshot_short_mh_run_lowers_burn_in(tmp_path, capsys):
    out = tmp_path / "mh.png"
    args = ("--tab", "mh", "--steps", "300", "--out", str(out))
    code, captured = _screenshot(capsys, *args)
    assert code == 0, f"300 iterations keep draws: {captured.err}"


def test_screenshot_error_printed_once_and_file_kept(tmp_path, capsys):
    out = tmp_path / "mh.png"
    out.write_bytes(b"earlier image")
    args = ("--tab", "mh", "--steps", "300", "--set", "burn_in=400")
    code, captured = _screenshot(capsys, *args, "--out", str(out))
    lines = captured.err.strip().splitlines()
    assert code == 2, f"exit 2, got {code}"
    assert len(lines) == 1, f"one line: {lines}"
    assert "burn-in (400) must be below the iterations (300)" in lines[0], lines
    assert out.read_bytes() == b"earlier image", "the existing file is kept"


@pytest.mark.parametrize(
    "setting, message",
    [
        ("g_lr=abc", "--set g_lr: Learning rate must be a number from 1e-06 to 1"),
        ("g_lr=5", "got '5'"),
        ("batch_size=1.5", "--set batch_size: Batch size must be a whole number"),
        ("lr_schedule=step", "--set lr_schedule: LR schedule must be one of"),
        ("nope=1", "unknown setting 'nope' for tab 'GAN'; known: batch_size"),
        ("nope=1", "(or ema, layers, loss, lr, width)"),
    ],
)
def test_screenshot_bad_setting_names_field(tmp_path, capsys, setting, message):
    out = tmp_path / "gan.png"
    args = ("--tab", "gan", "--steps", "0", "--set", setting, "--out", str(out))
    code, captured = _screenshot(capsys, *args)
    lines = captured.err.strip().splitlines()
    assert code == 2, f"exit 2, got {code}"
    assert len(lines) == 1, f"one line: {lines}"
    assert message in lines[0], lines[0]
    assert not out.exists(), "no image for bad input"


def test_screenshot_lr_sets_both_rates(qtbot, main_window):
    from app.screenshot import apply_settings

    tab = next(t for t in main_window.tab_instances() if t.key == "gan")
    apply_settings(tab, {"lr": "0.0012", "batch-size": "64"})
    assert tab.form.value("g_lr") == pytest.approx(0.0012), "lr sets g_lr"
    assert tab.form.value("d_lr") == pytest.approx(0.0012), "and d_lr"
    assert tab.form.value("batch_size") == 64, "dashes read as underscores"


@pytest.mark.parametrize(
    "suffix, start",
    [(".png", b"\x89PNG"), (".jpg", b"\xff\xd8\xff"), (".svg", b"<?xml")],
)
def test_screenshot_format_follows_suffix(tmp_path, capsys, suffix, start):
    out = tmp_path / f"gan{suffix}"
    args = ("--tab", "gan", "--steps", "0", "--size", "800", "600")
    code, captured = _screenshot(capsys, *args, "--out", str(out))
    assert code == 0, captured.err
    assert out.read_bytes().startswith(start), f"{suffix} holds its own format"
    assert "propagateSizeHints" not in captured.err, "no Qt plugin noise"
    assert [p.name for p in tmp_path.iterdir()] == [out.name], "no temporary left"


def test_screenshot_unknown_suffix_is_rejected(tmp_path, capsys):
    out = tmp_path / "gan.xyz"
    code, captured = _screenshot(capsys, "--steps", "0", "--out", str(out))
    lines = captured.err.strip().splitlines()
    assert code == 2, f"exit 2, got {code}"
    assert len(lines) == 1, f"one line: {lines}"
    assert "cannot write images with .xyz; use one of" in lines[0], lines[0]
    assert ".svg" in lines[0], f"SVG is offered: {lines[0]}"
    assert ".png" in lines[0], f"PNG is offered: {lines[0]}"
    assert not out.exists(), "nothing written"


def test_screenshot_preset_shows_its_tab(tmp_path, capsys, monkeypatch):
    import app.screenshot as screenshot

    seen = {}
    save_image = screenshot._save_image

    def record_and_save(window, out):
        page = window.tabs.currentWidget()
        seen["tab"] = page.key
        seen["step_size"] = page.form.value("step_size")
        seen["iterations"] = page.form.value("iterations")
        save_image(window, out)

    monkeypatch.setattr(screenshot, "_save_image", record_and_save)
    out = tmp_path / "tiny.png"
    args = ("--preset", "mh-step-tiny", "--steps", "300", "--out", str(out))
    code, captured = _screenshot(capsys, *args)
    assert code == 0, f"exit 0, got {code}: {captured.err}"
    assert out.stat().st_size > 10_000, "the image shows the window"
    assert seen["tab"] == "mh", f"the preset's tab is shown: {seen}"
    assert seen["step_size"] == pytest.approx(0.05), f"preset step size: {seen}"
    assert seen["iterations"] == 300, f"--steps overrides the preset: {seen}"


def test_preset_before_screenshot_advice_works(tmp_path, capsys):
    out = tmp_path / "tiny.png"
    with pytest.raises(SystemExit) as stopped:
        main(["--preset", "mh-step-tiny", "screenshot", "--out", str(out)])
    assert stopped.value.code == 2, "exit 2"
    message = capsys.readouterr().err
    assert "put it after 'screenshot'" in message, message
    parsed = build_parser().parse_args(
        ["screenshot", "--preset", "mh-step-tiny", "--out", str(out)]
    )
    assert parsed.preset == "mh-step-tiny", "screenshot accepts --preset"


@pytest.mark.parametrize(
    "args, message",
    [
        (("--preset", "no-such-preset"), "--preset: "),
        (("--preset", "mh-step-tiny", "--tab", "gan"), "is for the 'mh' tab"),
    ],
)
def test_screenshot_bad_preset_one_line(tmp_path, capsys, args, message):
    out = tmp_path / "shot.png"
    code, captured = _screenshot(capsys, *args, "--steps", "0", "--out", str(out))
    lines = captured.err.strip().splitlines()
    assert code == 2, f"exit 2, got {code}"
    assert len(lines) == 1, f"one line: {lines}"
    assert message in lines[0], lines[0]
    assert not out.exists(), "no image for bad input"
