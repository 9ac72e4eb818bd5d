"""Count the modes a GAN captures on ring8 and grid25 over many seeds.

Each run trains ``default_config(data, seed=seed)`` with a variant's overrides, then
draws 2,500 samples and counts, as in VEEGAN (Srivastava et al. 2017) and PacGAN (Lin
et al. 2018), the modes that have at least one sample within 3σ of their center and
the share of samples within 3σ of the nearest center (``mode_coverage``). Every run
appends one JSON line to ``--out``, so an interrupted sweep keeps its results and
``--report`` can summarise several sweeps::

    python benchmarks/gan_quality.py --data ring8 --seeds 10
    python benchmarks/gan_quality.py --data grid25 --seeds 10 --variant no-r1
    python benchmarks/gan_quality.py --report

Wall seconds cover the training steps only. CPU seconds are the process's CPU time
over the same span, summed over its threads. On a busy machine they show the work
better than wall time does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine  # noqa: E402
from models.gan_config import default_config  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gan_quality.jsonl"
SAMPLES = 2500

# Overrides of the shipped per-data-set defaults. "previous" is the default before
# the categorical code, the weight average, the decay and the larger training set.
# Each "no-..." variant removes one of those, and the others change one setting.
# "points" sets the size of the training set, which is not a GAN setting.
_PREVIOUS = dict(latent_categories=0, g_ema=0.0, lr_schedule="constant")
VARIANTS = {
    "default": {},
    "previous": {
        "ring8": dict(steps=5000, points=10_000, **_PREVIOUS),
        "grid25": dict(steps=6000, points=10_000, **_PREVIOUS),
    },
    "no-categories": dict(latent_categories=0),
    "10k-points": dict(points=10_000),
    "categories32": {"ring8": dict(latent_categories=32)},
    "categories32-10k-points": {"ring8": dict(latent_categories=32, points=10_000)},
    "no-ema": dict(g_ema=0.0),
    "constant-lr": dict(lr_schedule="constant"),
    "batch512": dict(batch_size=512),
    "pack2": dict(pack=2),
    "pack4": dict(pack=4),
    "r1": dict(r1_gamma=1.0),
    "instance-noise": dict(instance_noise=0.2),
    "spectral-norm": dict(spectral_norm=True),
    "d-dropout": dict(d_dropout=0.2),
}


def variant_overrides(variant: str, data: str) -> dict:
    """Return the config overrides of a named variant for one data set."""
    overrides = VARIANTS[variant]
    if data in overrides:
        return dict(overrides[data])
    if any(isinstance(value, dict) for value in overrides.values()):
        return {}
    return dict(overrides)


def within_mode_spread(samples, centers, sigma: float) -> float:
    """Return the spread of high-quality samples around their centers, in σ.

    The spread is sqrt(E ||x - c||² / d) / σ over samples within 3σ of their
    nearest center c. Real data give 0.97 in 2-D, because the 3σ cut drops the
    tails, and a generator that collapses each mode to a point gives 0. It
    shows what the high-quality fraction hides: samples packed more tightly
    than the data.
    """
    samples = np.asarray(samples, dtype=np.float64)
    offsets = samples[:, None, :] - np.asarray(centers)[None, :, :]
    distances = np.linalg.norm(offsets, axis=2)
    nearest = distances.argmin(axis=1)
    nearest_distance = distances[np.arange(len(samples)), nearest]
    inside = nearest_distance <= 3 * sigma
    if not inside.any():
        return float("nan")
    mean_square = np.mean(nearest_distance[inside] ** 2) / samples.shape[1]
    return float(np.sqrt(mean_square) / sigma)


def run_once(data: str, seed: int, overrides: dict) -> dict:
    """Train one GAN and return its mode coverage and timings."""
    import torch

    from models.datasets import make_dataset
    from models.gan import GanTrainer
    from models.metrics import mode_coverage

    overrides = dict(overrides)
    points = overrides.pop("points", None)
    config = default_config(data, seed=seed, **overrides)
    dataset = make_dataset(data, n=points, seed=seed) if points else None
    trainer = GanTrainer(config, dataset=dataset)
    wall_start = time.perf_counter()
    cpu_start = time.process_time()
    for _ in trainer.steps():
        pass
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    samples = trainer.generate(SAMPLES)
    dataset = trainer.dataset
    coverage = mode_coverage(samples, dataset.modes, dataset.mode_sigma)
    spread = within_mode_spread(samples, dataset.modes, dataset.mode_sigma)
    return {
        "data": data,
        "seed": seed,
        "steps": trainer.step,
        "points": len(trainer.dataset.samples),
        "modes": coverage["modes_captured"],
        "num_modes": coverage["num_modes"],
        "high_quality": coverage["high_quality_fraction"],
        "reverse_kl": coverage["reverse_kl"],
        "spread": spread,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "torch_threads": torch.get_num_threads(),
        "config": config.to_dict(),
    }


def summarise(rows: list[dict]) -> dict:
    """Return means, spreads and extremes of a group of runs."""
    modes = np.array([row["modes"] for row in rows], dtype=float)
    quality = 100 * np.array([row["high_quality"] for row in rows])
    wall = np.array([row["wall_seconds"] for row in rows])
    cpu = np.array([row["cpu_seconds"] for row in rows])
    spread = np.array([row.get("spread", np.nan) for row in rows])
    num_modes = rows[0]["num_modes"]
    return {
        "runs": len(rows),
        "modes_mean": modes.mean(),
        "modes_std": modes.std(ddof=1) if len(rows) > 1 else 0.0,
        "all_modes": int(np.sum(modes == num_modes)),
        "quality_mean": quality.mean(),
        "quality_std": quality.std(ddof=1) if len(rows) > 1 else 0.0,
        "quality_min": quality.min(),
        "wall_mean": wall.mean(),
        "wall_max": wall.max(),
        "cpu_mean": cpu.mean(),
        "spread_mean": float(np.nanmean(spread)) if np.isfinite(spread).any() else None,
    }


def report(path: Path) -> str:
    """Return a Markdown table of every (data, variant) group in a results file."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.strip():
                row = json.loads(line)
                groups[(row["data"], row["variant"])].append(row)
    lines = [
        "| data | variant | steps | runs | modes (mean ± sd) | all modes | "
        "high quality % (mean ± sd, min) | spread / σ | wall s (mean, max) | "
        "CPU s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (data, variant), rows in sorted(groups.items()):
        s = summarise(rows)
        spread = "–" if s["spread_mean"] is None else f"{s['spread_mean']:.2f}"
        lines.append(
            f"| {data} | {variant} | {rows[0]['steps']:,} | {s['runs']} | "
            f"{s['modes_mean']:.1f} ± {s['modes_std']:.1f} | "
            f"{s['all_modes']}/{s['runs']} | "
            f"{s['quality_mean']:.1f} ± {s['quality_std']:.1f} "
            f"({s['quality_min']:.1f}) | {spread} | "
            f"{s['wall_mean']:.0f}, {s['wall_max']:.0f} | {s['cpu_mean']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("ring8", "grid25"), default="ring8")
    parser.add_argument(
        "--variant",
        choices=tuple(VARIANTS),
        default="default",
        help="overrides of the shipped defaults (default: none)",
    )
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1")
    parser.add_argument("--first-seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (default: 1)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="JSON-lines file to append to"
    )
    parser.add_argument(
        "--report", action="store_true", help="print the table of --out and exit"
    )
    args = parser.parse_args(argv)
    if args.report:
        print(report(args.out))
        return 0

    import torch

    torch.set_num_threads(args.threads)
    overrides = variant_overrides(args.variant, args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"machine": machine(), "variant": args.variant, **overrides}))
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        row = {"variant": args.variant, **run_once(args.data, seed, overrides)}
        with open(args.out, "a", encoding="utf-8") as file:
            file.write(json.dumps(row) + "\n")
        print(
            f"{args.data} {args.variant} seed {seed}: {row['modes']}/"
            f"{row['num_modes']} modes, {100 * row['high_quality']:.1f} % high "
            f"quality, {row['wall_seconds']:.0f} s wall, "
            f"{row['cpu_seconds']:.0f} s CPU",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
