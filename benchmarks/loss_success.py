"""How often the saturating and the non-saturating generator loss learn all of ring8.

Both losses train ``default_config("ring8")``, changed by a variant of
``benchmarks/gan_quality.py``, for ``--steps`` steps on the same seeds, then 2,500
samples are scored with ``mode_coverage``. A run *succeeds* when it
captures all 8 modes and *fails* when it captures none. Goodfellow et al. (2014)
proposed the non-saturating loss -log D(G(z)) because log(1 - D(G(z))) has almost
no gradient while D confidently rejects the samples, which is the case early on::

    python benchmarks/loss_success.py --seeds 20 --steps 2000
    python benchmarks/loss_success.py --seeds 20 --steps 2000 --variant previous
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine  # noqa: E402
from benchmarks.gan_quality import VARIANTS, variant_overrides  # noqa: E402
from models.gan_config import GENERATOR_LOSSES, default_config  # noqa: E402

SAMPLES = 2500


def run_once(loss: str, seed: int, steps: int, overrides: dict) -> dict:
    """Train one ring8 GAN with the given generator loss and score it."""
    from models.datasets import make_dataset
    from models.gan import GanTrainer
    from models.metrics import mode_coverage

    settings = {**overrides, "steps": steps, "generator_loss": loss}
    points = settings.pop("points", None)
    dataset = make_dataset("ring8", n=points, seed=seed) if points else None
    config = default_config("ring8", seed=seed, **settings)
    trainer = GanTrainer(config, dataset=dataset)
    started = time.perf_counter()
    for _ in trainer.steps():
        pass
    wall = time.perf_counter() - started
    dataset = trainer.dataset
    coverage = mode_coverage(
        trainer.generate(SAMPLES), dataset.modes, dataset.mode_sigma
    )
    last = trainer.history.last()
    return {
        "loss": loss,
        "seed": seed,
        "modes": coverage["modes_captured"],
        "high_quality": coverage["high_quality_fraction"],
        "final_d_fake": last["d_fake"],
        "wall_seconds": wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1")
    parser.add_argument("--steps", type=int, default=2000, help="steps per run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--variant",
        choices=tuple(VARIANTS),
        default="default",
        help="overrides of the shipped ring8 defaults (default: none)",
    )
    parser.add_argument(
        "--out", type=Path, help="JSON-lines file for the runs (default: none)"
    )
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    overrides = variant_overrides(args.variant, "ring8")
    print(
        json.dumps({"machine": machine(), "steps": args.steps, "variant": args.variant})
    )
    results: dict[str, list[dict]] = {loss: [] for loss in GENERATOR_LOSSES}
    for seed in range(args.seeds):
        for loss in GENERATOR_LOSSES:
            row = run_once(loss, seed, args.steps, overrides)
            row["variant"] = args.variant
            results[loss].append(row)
            print(
                f"seed {seed:2d} {loss:<15} {row['modes']}/8 modes, "
                f"{100 * row['high_quality']:5.1f} % high quality, "
                f"D(G(z)) {row['final_d_fake']:.3f}",
                flush=True,
            )
            if args.out:
                with open(args.out, "a", encoding="utf-8") as file:
                    file.write(json.dumps(row) + "\n")

    print()
    print(
        "| generator loss | runs | all 8 modes | no mode | mean modes | "
        "mean high quality % |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for loss, rows in results.items():
        modes = np.array([row["modes"] for row in rows])
        quality = 100 * np.array([row["high_quality"] for row in rows])
        print(
            f"| {loss} | {len(rows)} | {np.sum(modes == 8)} | {np.sum(modes == 0)} | "
            f"{modes.mean():.1f} | {quality.mean():.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
