"""``gan-playground sample rejection``: the default hat and envelope diagnostics."""

import argparse
import json

import numpy as np
import scipy.stats

from app.sample_cli import add_sample_parser, run_sample


def run_cli(argv, capsys):
    """Parse argv as ``gan-playground sample ...`` and run it in this process."""
    parser = argparse.ArgumentParser(prog="gan-playground")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_sample_parser(subparsers)
    status = run_sample(parser.parse_args(["sample", *argv]))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_default_proposal_is_hat(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["rejection", "--target", "gamma(3, 1)", "--n", "20000", "--seed", "4"]
    status, stdout, stderr = run_cli([*argv, "--out", str(out)], capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    summary = json.loads(stdout)
    assert summary["proposal"].startswith("hat("), summary["proposal"]
    assert summary["envelope_ok"] is True, summary
    assert summary["m"] < 1.02, f"the hat's area M = {summary['m']}"
    assert "proposal_note" not in summary, summary
    samples = np.load(out)
    result = scipy.stats.kstest(samples, scipy.stats.gamma(3).cdf)
    assert result.pvalue > 1e-3, f"samples from the hat: {result}"


def test_small_m_gives_no_theoretical_rate(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["rejection", "--target", "normal(0,1)", "--proposal", "laplace"]
    argv += ["--m", "0.001", "--n", "100", "--seed", "5", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    summary = json.loads(stdout)
    assert summary["theoretical_acceptance_rate"] is None, summary
    assert summary["envelope_ok"] is False, summary
    assert summary["acceptance_rate"] <= 1, summary
    assert "M = 0.001 is too small" in stderr, stderr


def test_hat_fallback_is_reported(tmp_path, capsys):
    out = tmp_path / "draws.npy"
    argv = ["rejection", "--density", "2 + sin(200*x)", "--domain", "-5", "5"]
    argv += ["--n", "500", "--seed", "6", "--out", str(out)]
    status, stdout, stderr = run_cli(argv, capsys)
    assert status == 0, f"exit {status}, stderr {stderr}"
    summary = json.loads(stdout)
    assert summary["proposal"] == "uniform(-5, 5)", summary
    assert "hat proposal was not used" in summary["proposal_note"], summary
