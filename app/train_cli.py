"""``gan-playground train``: the window's training loop without the window."""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from app.cli import CommandError
from app.presets import check_setting_types
from app.samples_figure import render_samples_png

logger = logging.getLogger(__name__)

POINT_SAMPLES = 2500
IMAGE_SAMPLES = 1000


def _overrides(args) -> dict:
    """Map command-line options to config fields, leaving unset ones out."""
    values = {
        "steps": args.steps,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "latent_dim": args.latent_dim,
        "noise": args.noise,
        "device": args.device,
    }
    if args.model == "gan":
        if args.lr is not None:
            values["g_lr"] = values["d_lr"] = args.lr
        if args.g_lr is not None:
            values["g_lr"] = args.g_lr
        if args.d_lr is not None:
            values["d_lr"] = args.d_lr
        values["generator_loss"] = args.loss
        values["d_steps"] = args.d_steps
        values["g_ema"] = args.ema
        if args.width is not None:
            values["g_width"] = values["d_width"] = args.width
        if args.layers is not None:
            values["g_layers"] = values["d_layers"] = args.layers
    else:
        # The MMD generator has no discriminator, so it has one learning rate.
        for option in ("loss", "d_steps", "ema", "d_lr"):
            if getattr(args, option) is not None:
                raise CommandError(f"--{option.replace('_', '-')} applies to gan only")
        values["lr"] = args.g_lr if args.g_lr is not None else args.lr
        values["width"] = args.width
        values["layers"] = args.layers
    return {key: value for key, value in values.items() if value is not None}


def load_data_argument(text: str, seed: int):
    """Return (name, dataset) for a built-in name or a path to the user's data."""
    from models.datasets import DATASET_NAMES, make_dataset

    if text in DATASET_NAMES:
        return text, make_dataset(text, seed=seed)
    path = Path(text)
    if not path.exists():
        raise CommandError(
            f"--data {text!r} is neither a data set ({', '.join(DATASET_NAMES)}) "
            "nor an existing file or folder"
        )
    try:
        from models.user_data import load_user_data
    except ImportError as error:
        raise CommandError(f"loading your own data is not available: {error}") from None
    try:
        return "custom", load_user_data(path)
    except ValueError as error:
        raise CommandError(f"cannot use {path} as data: {error}") from error


def build_trainer(args):
    """Build a fresh or resumed trainer from the arguments."""
    from models.checkpoint import CheckpointError

    if args.model == "gan":
        from models.gan import GanTrainer as trainer_class
        from models.gan_config import default_config
    else:
        try:
            from models.mmd import MmdTrainer as trainer_class
            from models.mmd import default_mmd_config as default_config
        except ImportError as error:
            raise CommandError(f"MMD training is not available: {error}") from None

    preset = apply_preset(args)
    name, dataset = load_data_argument(args.data, args.seed)
    if args.resume:
        try:
            trainer = trainer_class.load(
                args.resume, dataset=dataset if name == "custom" else None
            )
        except CheckpointError as error:
            raise CommandError(str(error)) from error
        if args.steps is not None:
            trainer.total_steps = max(args.steps, trainer.step)
        return trainer

    try:
        # Own data starts from the settings of the closest built-in kind.
        base = ("digits" if dataset.is_image else "ring8") if name == "custom" else name
        values = default_config(base).to_dict()
        if preset is not None:
            check_setting_types(preset, values, "setting of the preset")
        values.update({**(preset or {}), **_overrides(args), "data": name})
        config = type(default_config(base)).from_dict(values)
        return trainer_class(config, dataset=dataset)
    except ValueError as error:
        raise CommandError(str(error)) from error


def apply_preset(args) -> dict | None:
    """Read ``--preset`` and return its model settings, or None without one.

    ``--data`` and ``--seed`` take the preset's values where they were not given,
    and fall back to ring8 and 0. The window's view options in the preset (such as
    ``compare_losses``) do not apply to a headless run and are left out.

    Raises
    ------
    CommandError
        If the preset is missing, invalid or belongs to another tab.
    """
    from app.presets import VIEW_OPTIONS, PresetError, find_preset

    settings: dict = {}
    if getattr(args, "preset", None):
        try:
            preset = find_preset(args.preset)
        except PresetError as error:
            raise CommandError(str(error)) from error
        if preset.tab != args.model:
            raise CommandError(
                f"preset {preset.name!r} is for the {preset.tab!r} tab, not for "
                f"'train {args.model}'"
            )
        settings = {
            key: value
            for key, value in preset.settings.items()
            if key not in VIEW_OPTIONS
        }
        ignored = sorted(
            key for key in VIEW_OPTIONS if preset.settings.get(key) is True
        )
        if ignored:
            logger.info("view options left out headless: %s", ", ".join(ignored))
        args.preset_name = preset.name
    data = settings.pop("data", "ring8")
    seed = settings.pop("seed", 0)
    if args.data is None:
        if data == "custom":
            raise CommandError(
                f"preset {args.preset!r} trains on custom data; pass --data FILE"
            )
        args.data = data
    if args.seed is None:
        args.seed = seed
    seed = args.seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise CommandError(f"the seed must be a whole number >= 0, got {seed!r}")
    return settings if getattr(args, "preset", None) else None


class ProgressBar:
    """A one-line progress bar on stderr; plain lines when stderr is no terminal."""

    def __init__(self, total: int, enabled: bool = True, stream=sys.stderr):
        self.total = max(total, 1)
        self.enabled = enabled
        self.stream = stream
        self.interactive = enabled and stream.isatty()
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1

    def update(self, step: int, record: dict) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        fraction = min(step / self.total, 1.0)
        if self.interactive:
            if now - self._last_draw < 0.1 and step < self.total:
                return
            self._last_draw = now
            filled = int(30 * fraction)
            rate = step / max(now - self.started, 1e-9)
            losses = "  ".join(
                f"{k} {v:.3f}" for k, v in record.items() if k not in ("step",)
            )
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {step}/{self.total} "
                f"{rate:,.0f} steps/s  {losses}"
            )
            self.stream.flush()
        else:
            decile = int(10 * fraction)
            if decile > self._last_decile:
                self._last_decile = decile
                self.stream.write(f"step {step}/{self.total} ({100 * fraction:.0f}%)\n")

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")


def write_history(path: Path, history: dict[str, np.ndarray]) -> None:
    from models.checkpoint import atomic_write_text

    columns = list(history)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    rows = np.stack([history[c] for c in columns], axis=1) if columns else []
    for row in rows:
        writer.writerow([int(row[0])] + [f"{v:.6g}" for v in row[1:]])
    atomic_write_text(path, buffer.getvalue())


def write_samples(path: Path, samples: np.ndarray) -> None:
    from models.checkpoint import atomic_write_bytes

    buffer = io.BytesIO()
    np.save(buffer, samples)
    atomic_write_bytes(path, buffer.getvalue())


def quality_metrics(trainer, samples: np.ndarray) -> dict:
    """Return the data set's quality metrics, or an empty dict when unavailable."""
    try:
        from models.metrics import compute_metrics
    except ImportError:
        return {}
    dataset = trainer.dataset
    rng = np.random.default_rng(trainer.config.seed)
    try:
        return compute_metrics(dataset.name, samples, dataset.samples, rng)
    except Exception as error:  # noqa: BLE001 - metrics must not lose the run
        logger.warning("computing metrics failed: %s", error, exc_info=True)
        return {"metrics_error": str(error)}


def run_train(args) -> int:
    """Train, then write samples, plots, history, metrics and the checkpoint."""
    from app.threads import configure_torch_threads
    from models.runs import NonFiniteError

    configure_torch_threads(args.threads)
    apply_preset(args)
    out = Path(args.out or f"runs/{args.model}-{Path(args.data).stem}")
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} exists and is not a folder")
    trainer = build_trainer(args)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(f"cannot create output folder {out}: {error}") from error

    logger.info(
        "training %s on %s for %s steps", args.model, args.data, trainer.total_steps
    )
    progress = ProgressBar(trainer.total_steps, enabled=not args.no_progress)
    started = time.perf_counter()
    first_step = trainer.step
    failure = None
    try:
        for record in trainer.steps():
            progress.update(trainer.step, record)
    except NonFiniteError as error:
        # The weights may already give NaN on the next forward pass, so go back to
        # the last kept finite ones before writing anything.
        restored = trainer.restore_last_good()
        failure = f"{error} Wrote the weights of step {restored}."
    except KeyboardInterrupt:
        failure = f"interrupted at step {trainer.step}"
    finally:
        progress.close()
    wall_seconds = time.perf_counter() - started

    try:
        return _write_results(args, trainer, out, wall_seconds, first_step, failure)
    except OSError as error:
        raise CommandError(f"writing the results to {out} failed: {error}") from error


def _write_results(args, trainer, out, wall_seconds, first_step, failure) -> int:
    """Write samples, plots, history, metrics and the checkpoint; return the exit
    code. Each file is replaced atomically, so a failure leaves whole files."""
    dataset = trainer.dataset
    n = IMAGE_SAMPLES if dataset.is_image else POINT_SAMPLES
    samples = trainer.generate(n).astype(np.float32)
    write_samples(out / "samples.npy", samples)
    title = f"{args.model.upper()} on {dataset.name}, step {trainer.step}"
    render_samples_png(out / "samples.png", dataset, samples, title)
    history = trainer.history.as_dict()
    write_history(out / "history.csv", history)
    last = trainer.history.last() or {}
    metrics = {
        "model": args.model,
        "preset": getattr(args, "preset_name", None),
        "data": dataset.name,
        "steps": trainer.step,
        "seed": trainer.config.seed,
        "device": str(trainer.device),
        "wall_seconds": round(wall_seconds, 3),
        # Steps of this invocation only, so a resumed run reports its own rate.
        "steps_per_second": round(
            (trainer.step - first_step) / max(wall_seconds, 1e-9), 1
        ),
        "final": {k: v for k, v in last.items() if k != "step"},
        "samples": int(len(samples)),
        **quality_metrics(trainer, samples),
    }
    if failure:
        metrics["stopped_early"] = failure
    from models.checkpoint import atomic_write_text

    atomic_write_text(
        out / "metrics.json", json.dumps(metrics, indent=2, default=float)
    )
    trainer.save(out, extra={"wall_seconds": wall_seconds})
    print(json.dumps({"out": str(out), **metrics}, default=float))
    if failure:
        print(f"gan-playground train: stopped: {failure}", file=sys.stderr)
        return 1
    return 0
