"""``gan-playground train``: the window's training loop without the window."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from app.cli import CommandError
from app.presets import check_setting_types
from app.samples_figure import render_samples_png
from models.limits import check_seed

logger = logging.getLogger(__name__)

POINT_SAMPLES = 2500
IMAGE_SAMPLES = 1000


def _overrides(args) -> tuple[dict, dict[str, str]]:
    """Map command-line options to config fields, leaving unset ones out.

    Returns the values and, for each field, the option that set it, so that a
    message about ``g_lr`` can name ``--lr`` when that is what the user typed.
    """
    values: dict = {}
    options: dict[str, str] = {}

    def take(option: str, *fields: str) -> None:
        value = getattr(args, option.lstrip("-").replace("-", "_"))
        if value is not None:
            for field in fields:
                values[field] = value
                options[field] = option

    take("--steps", "steps")
    take("--seed", "seed")
    take("--batch-size", "batch_size")
    take("--latent-dim", "latent_dim")
    take("--noise", "noise")
    take("--device", "device")
    if args.model == "gan":
        take("--lr", "g_lr", "d_lr")
        take("--g-lr", "g_lr")
        take("--d-lr", "d_lr")
        take("--loss", "generator_loss")
        take("--d-steps", "d_steps")
        take("--ema", "g_ema")
        take("--width", "g_width", "d_width")
        take("--layers", "g_layers", "d_layers")
    else:
        # The MMD generator has no discriminator, so it has one learning rate.
        for option in ("loss", "d_steps", "ema", "d_lr"):
            if getattr(args, option) is not None:
                raise CommandError(f"--{option.replace('_', '-')} applies to gan only")
        take("--lr", "lr")
        take("--g-lr", "lr")
        take("--width", "width")
        take("--layers", "layers")
    return values, options


def setting_message(error: ValueError, options: dict[str, str]) -> str:
    """Word a config error with the option the user typed for its field."""
    field = getattr(error, "field", None)
    if field in options:
        return f"{options[field]} {error.requirement}"
    return str(error)


def load_data_argument(text: str, seed: int):
    """Return (name, dataset) for a built-in name or a path to the user's data.

    The name is ``"custom"`` for the user's own data.
    """
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
        # The loader's messages start with the path already.
        raise CommandError(f"--data: {error}") from error


def build_trainer(args):
    """Build a fresh or resumed trainer from the arguments."""
    if args.model == "gan":
        from models.gan import GanTrainer as trainer_class
        from models.gan_config import default_config
    else:
        try:
            from models.mmd import MmdTrainer as trainer_class
            from models.mmd import default_mmd_config as default_config
        except ImportError as error:
            raise CommandError(f"MMD training is not available: {error}") from None

    if args.resume:
        return _resume_trainer(args, trainer_class)
    preset = apply_preset(args)
    name, dataset = load_data_argument(args.data, args.seed)
    overrides, options = _overrides(args)
    try:
        # Own data starts from the settings of the closest built-in kind.
        base = ("digits" if dataset.is_image else "ring8") if name == "custom" else name
        values = default_config(base).to_dict()
        if preset is not None:
            check_setting_types(preset, values, "setting of the preset")
        values.update({**(preset or {}), **overrides, "data": name})
        config = type(default_config(base)).from_dict(values)
        config.validate(data_dim=dataset.dim)
        return trainer_class(config, dataset=dataset)
    except ValueError as error:
        raise CommandError(setting_message(error, options)) from error


TRAIN_SETTING_OPTIONS = (
    "preset",
    "seed",
    "batch_size",
    "lr",
    "g_lr",
    "d_lr",
    "loss",
    "latent_dim",
    "noise",
    "d_steps",
    "width",
    "layers",
    "ema",
)
"""Options that set a saved setting, which a resumed run keeps."""


def _resume_trainer(args, trainer_class):
    """Load the run in ``--resume`` with its own data and the new total steps.

    Raises
    ------
    CommandError
        If the checkpoint is unreadable, ``--data`` names other data than the
        run's, another setting is given, or ``--steps`` is not above the saved
        step.
    """
    from models.checkpoint import CheckpointError, load_checkpoint

    changed = [
        option
        for option in TRAIN_SETTING_OPTIONS
        if getattr(args, option, None) not in (None, False)
    ]
    if changed:
        names = ", ".join(f"--{option.replace('_', '-')}" for option in changed)
        them = "it" if len(changed) == 1 else "them"
        raise CommandError(
            f"{names} cannot change a resumed run, which keeps its saved settings; "
            f"leave {them} out, or start a new run without --resume"
        )
    try:
        description, _ = load_checkpoint(Path(args.resume), kind=args.model)
    except CheckpointError as error:
        raise CommandError(str(error)) from error
    saved_data = description["config"].get("data")
    saved_file = description.get("data_file")
    args.data = _resume_data(args.data, saved_data, saved_file, args.resume)
    name, dataset = load_data_argument(args.data, description["config"].get("seed", 0))
    try:
        trainer = trainer_class.load(
            args.resume, dataset=dataset if name == "custom" else None
        )
    except CheckpointError as error:
        raise CommandError(str(error)) from error

    # --steps is the new total, which must leave steps to train.
    saved_step = trainer.step
    total = args.steps if args.steps is not None else trainer.total_steps
    if total <= saved_step:
        if args.steps is not None:
            raise CommandError(
                f"--steps {args.steps} is not above step {saved_step} of the run in "
                f"{args.resume}; --steps is the new total, so pass a number above "
                f"{saved_step}"
            )
        raise CommandError(
            f"the run in {args.resume} has done its {saved_step} steps; pass "
            f"--steps above {saved_step} to continue it"
        )
    trainer.total_steps = total

    # The preset name and the earlier parts' time go on into the new metrics. A
    # checkpoint without total_wall_seconds has had one part, timed by wall_seconds.
    args.preset_name = description.get("preset")
    args.earlier_wall_seconds = float(
        description.get("total_wall_seconds", description.get("wall_seconds", 0.0))
    )
    logger.info("continuing %s from step %s to %s", args.resume, saved_step, total)
    return trainer


def _resume_data(given: str | None, saved: str, saved_file: str | None, folder):
    """Return the ``--data`` of a resumed run, or raise CommandError on a conflict.

    Without ``--data`` a run continues on its own data: a built-in set by name,
    or the file recorded when it was trained. A file given for a run on own data
    must have the recorded file's name, because a moved file keeps its name.
    """
    if saved != "custom":
        if given is not None and given != saved:
            raise CommandError(
                f"--data {given} conflicts with the run in {folder}, which was "
                f"trained on {saved}; leave --data out to continue on {saved}"
            )
        return saved
    if given is None:
        if saved_file is None or not Path(saved_file).exists():
            known = f" from {saved_file}, which was not found" if saved_file else ""
            raise CommandError(
                f"the run in {folder} was trained on your own data{known}; pass "
                "--data FILE"
            )
        return saved_file
    from models.datasets import DATASET_NAMES

    if given in DATASET_NAMES:
        recorded = saved_file or "your own data"
        raise CommandError(
            f"--data {given} conflicts with the run in {folder}, which was trained "
            f"on {recorded}; pass that file as --data"
        )
    if saved_file is not None and Path(given).name != Path(saved_file).name:
        raise CommandError(
            f"--data {given} conflicts with the run in {folder}, which was trained "
            f"on {saved_file}; pass that file as --data"
        )
    return given


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
    try:
        args.seed = check_seed(args.seed)
    except ValueError as error:
        raise CommandError(f"the preset's {error}") from None
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
        metrics = compute_metrics(dataset.name, samples, dataset.samples, rng)
    except Exception as error:  # noqa: BLE001 - metrics must not lose the run
        logger.warning("computing metrics failed: %s", error, exc_info=True)
        return {"metrics_error": str(error)}
    return metrics


def run_train(args) -> int:
    """Train, then write samples, plots, history, metrics and the checkpoint."""
    from app.threads import configure_torch_threads
    from models.runs import NonFiniteError

    configure_torch_threads(args.threads)
    if not args.resume:
        apply_preset(args)
    out = _output_folder(args)
    trainer = build_trainer(args)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CommandError(
            f"cannot create output folder {out}: {error.strerror}"
        ) from error
    _check_writable(out)

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
        # strerror leaves out the temporary file's name that str(error) holds.
        reason = error.strerror or str(error)
        raise CommandError(f"writing the results to {out} failed: {reason}") from error


def _check_writable(out: Path) -> None:
    """Raise CommandError unless a file can be created in ``out``, so that a
    read-only folder fails before training rather than after it."""
    try:
        handle, probe = tempfile.mkstemp(dir=out, prefix=".write-check.")
    except OSError as error:
        raise CommandError(
            f"cannot write to output folder {out}: {error.strerror or error}; "
            "choose another --out"
        ) from error
    os.close(handle)
    os.unlink(probe)


def _output_folder(args) -> Path:
    """Return the ``--out`` folder, or raise CommandError if writing there could
    replace another run's files without ``--force``.

    A resumed run writes to its own folder by default, and may always do so.
    """
    if args.out is None and args.resume:
        args.out = args.resume
    out = Path(args.out or f"runs/{args.model}-{Path(args.data).stem}")
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} exists and is not a folder")
    resuming_here = args.resume and out.resolve() == Path(args.resume).resolve()
    if out.is_dir() and any(out.iterdir()) and not (args.force or resuming_here):
        raise CommandError(
            f"--out {out} already exists and is not empty; pass --force to replace "
            "its files, or choose another folder"
        )
    return out


OUTPUT_COLUMNS = {"mmd": {"mmd2": "batch_mmd2"}}
"""Names that history.csv and metrics.json give to a trainer's history columns.

The MMD trainer's loss is the MMD² of one training batch under the training
kernel. It is written as ``batch_mmd2``, apart from the quality metric ``mmd2``
on held-out data, which `models.metrics.compute_metrics` computes."""


def _write_results(args, trainer, out, wall_seconds, first_step, failure) -> int:
    """Write samples, plots, history, metrics and the checkpoint; return the exit
    code. Each file is replaced atomically, so a failure leaves whole files."""
    dataset = trainer.dataset
    data_file = str(Path(args.data).resolve()) if dataset.name == "custom" else None
    data_label = Path(data_file).name if data_file else dataset.name
    renamed = OUTPUT_COLUMNS.get(args.model, {})
    n = IMAGE_SAMPLES if dataset.is_image else POINT_SAMPLES
    samples = trainer.generate(n).astype(np.float32)
    write_samples(out / "samples.npy", samples)
    title = f"{args.model.upper()} on {data_label}, step {trainer.step}"
    render_samples_png(out / "samples.png", dataset, samples, title)
    history = {renamed.get(k, k): v for k, v in trainer.history.as_dict().items()}
    write_history(out / "history.csv", history)
    last = trainer.history.last() or {}
    total_wall_seconds = getattr(args, "earlier_wall_seconds", 0.0) + wall_seconds
    preset_name = getattr(args, "preset_name", None)
    metrics = {
        "model": args.model,
        "preset": preset_name,
        "data": dataset.name,
        **({"data_file": data_file} if data_file else {}),
        "steps": trainer.step,
        "seed": trainer.config.seed,
        "device": str(trainer.device),
        # wall_seconds and steps_per_second cover this invocation, which trained
        # from resumed_from_step; total_wall_seconds adds the earlier parts.
        "resumed_from_step": first_step,
        "wall_seconds": round(wall_seconds, 3),
        "steps_per_second": round(
            (trainer.step - first_step) / max(wall_seconds, 1e-9), 1
        ),
        "total_wall_seconds": round(total_wall_seconds, 3),
        "final": {renamed.get(k, k): v for k, v in last.items() if k != "step"},
        "samples": int(len(samples)),
        **quality_metrics(trainer, samples),
    }
    if failure:
        metrics["stopped_early"] = failure
    from models.checkpoint import atomic_write_text

    atomic_write_text(
        out / "metrics.json", json.dumps(metrics, indent=2, default=float)
    )
    extra = {"wall_seconds": wall_seconds, "total_wall_seconds": total_wall_seconds}
    if preset_name is not None:
        extra["preset"] = preset_name
    if data_file:
        extra["data_file"] = data_file
    trainer.save(out, extra=extra)
    print(json.dumps({"out": str(out), **metrics}, default=float))
    if failure:
        print(f"gan-playground train: stopped: {failure}", file=sys.stderr)
        return 1
    return 0
