"""Train the default digits GAN headless and score it beside the real digits.

Runs ``gan-playground train gan --data digits --seed 0`` (the shipped digits
settings) in a subprocess, reads the ``metrics.json`` it writes, and prints the
training wall time and the digit scores of its 1,000 samples beside
``reference_real_metrics``, the scores of the 540 held-out real digits::

    python benchmarks/digits_quality.py [--seed 0] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine  # noqa: E402

ROWS = (
    ("classes_covered", "classes covered (of 10)", "{:d}"),
    ("confident_fraction", "confident fraction (p ≥ 0.9)", "{:.3f}"),
    ("inception_score", "inception score (1 to 10)", "{:.2f}"),
    ("kid", "KID (0 is best)", "{:.4f}"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--threads", type=int, help="torch threads for the training")
    args = parser.parse_args(argv)

    from models.metrics import reference_real_metrics

    with tempfile.TemporaryDirectory() as out:
        command = [
            sys.executable,
            "-m",
            "app",
            "train",
            "gan",
            "--data",
            "digits",
            "--seed",
            str(args.seed),
            "--out",
            out,
            "--no-progress",
        ]
        if args.threads:
            command += ["--threads", str(args.threads)]
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
        process_seconds = time.perf_counter() - started
        metrics = json.loads((Path(out) / "metrics.json").read_text())

    reference = reference_real_metrics()
    # The training ran in the subprocess, with the thread count of app.threads.
    about = machine()
    about.pop("torch_threads")
    print(json.dumps({"machine": about, "command": " ".join(command[1:])}))
    print(
        f"{metrics['steps']:,} steps in {metrics['wall_seconds']:.1f} s of training "
        f"({metrics['steps_per_second']:.0f} steps/s), {process_seconds:.1f} s for "
        "the whole command"
    )
    print()
    print("| metric | generated (1,000 samples) | held-out real digits |")
    print("| --- | ---: | ---: |")
    for key, label, form in ROWS:
        print(
            f"| {label} | {form.format(metrics[key])} | {form.format(reference[key])} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
