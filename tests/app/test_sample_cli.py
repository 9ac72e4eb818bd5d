"""Tests of the headless ``sample`` subcommand."""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.sample_cli import add_sample_parser, run_sample

ROOT = Path(__file__).resolve().parents[2]


def run_cli(argv, capsys):
    """Parse argv as ``gan-playground sample ...`` and run it in this process."""
    parser = argparse.ArgumentParser(prog="gan-playground")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_sample_parser(subparsers)
    args = parser.parse_args(["sample", *argv])
    assert args.handler is run_sample, "the parser does not dispatch to run_sample"
    status = run_sample(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_inverse_writes_npy_and_csv(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["inverse", "--target", "gamma(3, 1)", "--n", "500", "--seed", "1"]
    status, stdout, stderr = run_cli([*argv, "--out", str(out), "--csv"], capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    summary = json.loads(stdout)
    assert summary["method"] == "inverse", summary
    assert summary["n"] == 500, summary
    assert summary["acceptance_rate"] == 1.0, summary
    samples = np.load(out)
    assert samples.shape == (500,), f"shape {samples.shape}"
    table = np.loadtxt(tmp_path / "draws.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(table, samples)
    assert (tmp_path / "draws.csv").read_text().startswith("x\n"), "CSV header"


def test_seed_makes_runs_repeatable(tmp_path, capsys):
    for name in ("a.npy", "b.npy"):
        argv = ["inverse", "--target", "normal(0, 1)", "--seed", "7", "--n", "50"]
        status, _, _ = run_cli([*argv, "--out", str(tmp_path / name)], capsys)
        assert status == 0, f"exit {status}"
    np.testing.assert_array_equal(
        np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    )


def test_rejection_reports_envelope(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["rejection", "--target", "normal(0,1)", "--proposal", "laplace"]
    argv += ["--scale", "1", "--n", "20000", "--seed", "2", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    summary = json.loads(stdout)
    assert summary["m"] == pytest.approx(1.01 * 1.3154892, rel=1e-6), summary["m"]
    assert summary["envelope_ok"] is True, summary
    assert abs(summary["acceptance_rate"] - 1 / summary["m"]) < 0.02, summary
    assert np.load(out).shape == (20000,), "sample count"


def test_rejection_small_m_warns_and_offers_m(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["rejection", "--target", "normal(0,1)", "--proposal", "laplace"]
    argv += ["--scale", "1", "--m", "1", "--n", "100", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 0, f"exit {status}"
    summary = json.loads(stdout)
    assert summary["envelope_ok"] is False, summary
    assert summary["m_required"] == pytest.approx(1.3286441, rel=1e-6), summary
    assert len(summary["violations"]) == 2, summary["violations"]
    assert "warning: M = 1 is too small" in stderr, stderr


def test_mh_2d_target(tmp_path, capsys):
    out = tmp_path / "banana.csv"
    argv = ["mh", "--target", "banana", "--n", "1001", "--chains", "4"]
    argv += ["--burn-in", "100", "--thin", "2", "--seed", "3", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    summary = json.loads(stdout)
    assert len(summary["ess"]) == len(summary["rhat"]) == 2, summary
    assert 0 < summary["acceptance_rate"] < 1, summary
    table = np.loadtxt(out, delimiter=",", skiprows=1)
    assert table.shape == (1001, 2), f"shape {table.shape}"
    assert out.read_text().startswith("x,y\n"), "CSV header"


def test_mh_typed_density_with_infinite_domain(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["mh", "--density", "x^2*exp(-x)", "--domain", "0", "inf"]
    argv += ["--proposal", "lognormal", "--start", "1", "--n", "4000"]
    argv += ["--seed", "4", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    summary = json.loads(stdout)
    assert summary["ks_statistic"] < 0.1, summary
    assert np.all(np.load(out) > 0), "draws outside (0, inf)"


def test_negative_infinite_domain_parses(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["mh", "--density", "exp(x)", "--domain", "-inf", "0", "--start", "-1"]
    status, _, stderr = run_cli([*argv, "--n", "100", "--out", str(out)], capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    assert np.all(np.load(out) <= 0), "draws above the domain"


def test_typed_cdf(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["inverse", "--cdf", "x^2", "--domain", "0", "1", "--n", "1000"]
    status, stdout, _ = run_cli([*argv, "--seed", "5", "--out", str(out)], capsys)
    assert status == 0, f"exit {status}"
    assert json.loads(stdout)["inversion"] == "numerical inversion", stdout


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["inverse", "--density", "__import__('os')", "--domain", "0", "1"],
            "underscore",
        ),
        (["inverse", "--target", "nope(1)"], "unknown distribution"),
        (["inverse", "--density", "exp(-x)"], "needs --domain"),
        (["inverse", "--density", "exp(-x)", "--domain", "0", "inf"], "finite"),
        (["inverse", "--cdf", "sin(x)", "--domain", "0", "6"], "decreases"),
        (["rejection", "--target", "cauchy(0,1)", "--proposal", "normal"], "unbounded"),
        (["rejection", "--target", "normal(0,1)", "--proposal", "bogus"], "bogus"),
        (["mh", "--target", "normal(0,1)", "--proposal", "laplace"], "mh proposal"),
        (["mh", "--target", "normal(0,1)", "--start", "1", "2"], "needs 1 value"),
        (["mh", "--target", "exponential(1)", "--start", "-1"], "zero density"),
        (["inverse", "--target", "normal(0,1)", "--chains", "3"], "mh only"),
        (["inverse", "--target", "normal(0,1)", "--m", "3"], "rejection only"),
        (["inverse", "--target", "banana"], "2-D"),
        (["inverse", "--target", "normal(0,1)", "--n", "0"], "at least 1"),
        (["mh", "--density", "log(x)", "--domain", "-1", "1"], "NaN"),
        (["mh", "--target", "normal(0,1)", "--thin", "0"], "thinning"),
        (["inverse", "--target", "normal(0,1)", "--n", "1e12"], "at most 10,000,000"),
        (["inverse", "--target", "normal(0,1)", "--n", "1e12"], "7.28 TiB"),
        (
            ["rejection", "--target", "normal(0,1)", "--m", "1e12", "--n", "10"],
            "--n 10 needs about 1e+13 proposals",
        ),
        (
            ["rejection", "--target", "normal(0,1e-9)", "--proposal", "cauchy"]
            + ["--scale", "1000", "--n", "10"],
            "computed envelope constant",
        ),
        (
            ["mh", "--target", "normal(0,1)", "--chains", "1e8", "--n", "10"],
            "--chains must be from 1 to 10,000",
        ),
        (
            ["mh", "--target", "normal(0,1)", "--burn-in", "1e10", "--n", "10"],
            "more than the limit of 10,000,000",
        ),
        (
            ["mh", "--target", "normal(0,1)", "--chains", "10000"]
            + ["--burn-in", "200000", "--n", "10"],
            "chain iterations, more than the limit of 1,000,000,000",
        ),
    ],
)
def test_bad_input_exits_2_without_file(tmp_path, capsys, argv, message):
    out = tmp_path / "draws.npy"
    status, stdout, stderr = run_cli([*argv, "--out", str(out)], capsys)
    assert status == 2, f"exit {status} for {argv}"
    assert stdout == "", f"stdout {stdout!r}"
    assert message in stderr, f"stderr {stderr!r} lacks {message!r}"
    assert stderr.count("\n") == 1, f"more than one line: {stderr!r}"
    assert "Traceback" not in stderr, stderr
    assert os.listdir(tmp_path) == [], f"files left: {os.listdir(tmp_path)}"


def test_bad_output_paths(tmp_path, capsys):
    for out, message in [
        (tmp_path / "draws.txt", "must end in .npy or .csv"),
        (tmp_path / "missing" / "draws.npy", "does not exist"),
    ]:
        argv = ["inverse", "--target", "normal(0,1)", "--out", str(out)]
        status, _, stderr = run_cli(argv, capsys)
        assert status == 2, f"exit {status} for {out}"
        assert message in stderr, stderr


def test_failed_write_leaves_old_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "draws.npy"
    out.write_bytes(b"old")

    def broken_save(stream, array):
        stream.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", broken_save)
    argv = ["inverse", "--target", "normal(0,1)", "--out", str(out), "--force"]
    status, _, stderr = run_cli(argv, capsys)
    assert status == 2, f"exit {status}"
    assert "disk full" in stderr, stderr
    assert out.read_bytes() == b"old", "the old file was overwritten"
    assert os.listdir(tmp_path) == ["draws.npy"], f"left: {os.listdir(tmp_path)}"


@pytest.mark.slow
def test_subprocess_run(tmp_path):
    out = tmp_path / "draws.npy"
    code = (
        "import argparse, sys\n"
        "from app.sample_cli import add_sample_parser\n"
        "parser = argparse.ArgumentParser(prog='gan-playground')\n"
        "add_sample_parser(parser.add_subparsers(dest='command'))\n"
        "args = parser.parse_args(sys.argv[1:])\n"
        "sys.exit(args.handler(args))\n"
    )
    argv = ["sample", "rejection", "--target", "beta(2, 5)", "--n", "300"]
    argv += ["--seed", "6", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    summary = json.loads(done.stdout)
    assert summary["proposal"].startswith("hat("), summary
    assert np.load(out).shape == (300,), "sample count"

    bad = subprocess.run(
        [sys.executable, "-c", code, "sample", "mh", "--density", "x.real"]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2, f"exit {bad.returncode}"
    assert bad.stderr.startswith("gan-playground sample: error:"), bad.stderr
    assert bad.stderr.count("\n") == 1, bad.stderr


def test_parser_imports_no_numpy():
    code = (
        "import sys\n"
        "from app.cli import build_parser\n"
        "build_parser()\n"
        "names = ('numpy', 'scipy', 'models.targets')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"building the parser imported heavy modules, which slows --help: "
        f"{result.stderr}"
    )


@pytest.mark.parametrize("seed", ["1e30", str(2**70), "-1", "1.5"])
def test_seed_outside_range_is_usage_error(tmp_path, capsys, seed):
    argv = ["inverse", "--target", "normal(0,1)", "--seed", seed]
    with pytest.raises(SystemExit) as exit:
        run_cli([*argv, "--out", str(tmp_path / "draws.npy")], capsys)
    err = capsys.readouterr().err.strip()
    assert exit.value.code == 2, f"exit {exit.value.code}"
    assert err.splitlines()[-1].endswith(f"argument --seed: {_seed_message(seed)}"), err
    assert os.listdir(tmp_path) == [], "no file written"


def _seed_message(seed):
    if seed == "1.5":
        return "expected a whole number, got '1.5'"
    return f"expected a whole number from 0 to 2147483647, got {seed}"


def test_fresh_seed_can_be_passed_back(tmp_path, capsys):
    first = tmp_path / "a.npy"
    argv = ["inverse", "--target", "normal(0, 1)", "--n", "20"]
    status, stdout, _ = run_cli([*argv, "--out", str(first)], capsys)
    assert status == 0, f"exit {status}"
    seed = json.loads(stdout)["seed"]
    assert 0 <= seed <= 2**31 - 1, f"the printed seed is one --seed accepts: {seed}"
    again = tmp_path / "b.npy"
    status, _, _ = run_cli([*argv, "--seed", str(seed), "--out", str(again)], capsys)
    assert status == 0, f"exit {status}"
    np.testing.assert_array_equal(np.load(first), np.load(again))


def test_scientific_counts_are_read(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["inverse", "--target", "normal(0,1)", "--n", "2e3", "--seed", "1e0"]
    status, stdout, stderr = run_cli([*argv, "--out", str(out)], capsys)
    assert status == 0, f"exit {status}: {stderr}"
    assert np.load(out).shape == (2000,), "--n 2e3 draws 2,000 samples"


def test_write_error_names_output_not_temporary(tmp_path, capsys, monkeypatch):
    out = tmp_path / "draws.npy"
    out.write_bytes(b"old")

    def deny_rename(source, destination):
        raise PermissionError(13, "Permission denied", source)

    monkeypatch.setattr(os, "replace", deny_rename)
    argv = ["inverse", "--target", "normal(0,1)", "--n", "10", "--out", str(out)]
    status, _, stderr = run_cli([*argv, "--force"], capsys)
    assert status == 2, f"exit {status}"
    assert f"cannot write {out}: Permission denied" in stderr, stderr
    assert ".tmp" not in stderr, f"no temporary file name: {stderr!r}"
    assert out.read_bytes() == b"old", "the old file is kept"
    assert os.listdir(tmp_path) == ["draws.npy"], f"left: {os.listdir(tmp_path)}"


@pytest.mark.parametrize("name", ["draws.npy", "draws.csv"])
def test_existing_output_needs_force(tmp_path, capsys, name):
    out = tmp_path / name
    out.write_bytes(b"old")
    argv = ["inverse", "--target", "normal(0,1)", "--n", "10", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 2, f"exit {status}"
    assert stdout == "", f"no summary without a file: {stdout!r}"
    assert len(stderr.splitlines()) == 1, f"one line: {stderr!r}"
    assert str(out) in stderr, f"names the file: {stderr!r}"
    assert "--force" in stderr, f"names --force: {stderr!r}"
    assert out.read_bytes() == b"old", "the old file is kept"

    status, _, stderr = run_cli([*argv, "--force"], capsys)
    assert status == 0, f"exit {status}: {stderr}"
    assert out.read_bytes() != b"old", "--force replaces the file"


def test_existing_csv_beside_npy_needs_force(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    beside = tmp_path / "draws.csv"
    beside.write_bytes(b"old")
    argv = ["inverse", "--target", "normal(0,1)", "--n", "10", "--out", str(out)]
    status, _, stderr = run_cli([*argv, "--csv"], capsys)
    assert status == 2, f"exit {status}"
    assert str(beside) in stderr, f"names the CSV: {stderr!r}"
    assert not out.exists(), "no .npy is written when the CSV is kept"
    assert beside.read_bytes() == b"old", "the old CSV is kept"


@pytest.mark.parametrize("target, dim", [("normal(0, 1)", 1), ("banana(0.5)", 2)])
def test_mh_file_holds_chains_in_order(tmp_path, capsys, target, dim):
    from models.sampling.diagnostics import split_rhat

    out = tmp_path / "chains.npy"
    argv = ["mh", "--target", target, "--n", "400", "--chains", "4"]
    argv += ["--burn-in", "50", "--seed", "5", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 0, f"exit {status}: {stderr}"
    summary = json.loads(stdout)
    assert summary["draws_per_chain"] == 100, f"400 draws over 4 chains: {summary}"
    samples = np.load(out)
    chains = samples.reshape(4, 100, dim)
    for d in range(dim):
        # R-hat compares chains, so it matches only with the boundaries right.
        recomputed = split_rhat(chains[:, :, d])
        assert recomputed == pytest.approx(summary["rhat"][d]), (
            f"R-hat from the file's chains, dimension {d}: {recomputed} against "
            f"{summary['rhat'][d]}"
        )


def test_mh_uneven_chains_report_length(tmp_path, capsys):
    out = tmp_path / "chains.npy"
    argv = ["mh", "--target", "normal(0, 1)", "--n", "103", "--chains", "4"]
    status, stdout, stderr = run_cli([*argv, "--seed", "5", "--out", str(out)], capsys)
    assert status == 0, f"exit {status}: {stderr}"
    summary = json.loads(stdout)
    assert summary["draws_per_chain"] == 26, f"ceil(103 / 4) draws: {summary}"
    assert np.load(out).shape == (103,), "the last chain is cut to 103 in all"
