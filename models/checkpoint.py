"""Checkpoints as safetensors weights plus a JSON description, written atomically.

safetensors holds only named tensors, so loading a checkpoint from a stranger cannot
run code, unlike a pickle. Each file is written to a temporary name in the same folder
and then renamed over the old one, so a crash during a save leaves the previous
checkpoint intact.

torch is imported inside the functions that use it: the window imports the atomic
writers at start, and importing torch there delayed the first paint by seconds.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
FORMAT_NAME = "gan-playground-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """Raised when a checkpoint is missing, truncated, corrupt or of another kind."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write data to path through a temporary file and a rename."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp makes the file private; give it the permissions of a normal file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def save_checkpoint(
    folder: Path, kind: str, config: dict, step: int, tensors: dict, extra=None
) -> None:
    """Save tensors and their description in folder.

    Parameters
    ----------
    folder : Path
        Created when missing.
    kind : str
        Trainer that wrote the checkpoint, such as ``"gan"`` or ``"mmd"``.
    config : dict
        The run's settings, JSON-serialisable.
    step : int
        Training steps done.
    tensors : dict of str to torch.Tensor
        Weights and optimiser state.
    extra : dict, optional
        More JSON-serialisable facts (wall time, history length).

    Raises
    ------
    CheckpointError
        If a floating-point tensor contains NaN or infinite values.
    OSError
        If the folder or a file cannot be written.
    """
    import torch
    from safetensors.torch import save

    folder = Path(folder)
    tensors = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    # load_checkpoint rejects such a file, so writing it would replace a good
    # checkpoint with one that cannot be read back.
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{name} contains NaN or infinite values, so nothing was saved; "
                "restore the last good weights first"
            )
    folder.mkdir(parents=True, exist_ok=True)
    description = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "kind": kind,
        "step": int(step),
        "config": config,
        **(extra or {}),
    }
    # Weights first: a description always points to complete weights.
    atomic_write_bytes(folder / WEIGHTS_NAME, save(tensors))
    atomic_write_text(folder / CONFIG_NAME, json.dumps(description, indent=2))


def load_checkpoint(folder: Path, kind: str | None = None) -> tuple[dict, dict]:
    """Read a checkpoint folder and return (description, tensors).

    Raises
    ------
    CheckpointError
        If a file is missing, unreadable, truncated, of another format or of
        another kind than ``kind``.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load

    folder = Path(folder)
    config_path = folder / CONFIG_NAME
    weights_path = folder / WEIGHTS_NAME
    if not folder.is_dir():
        raise CheckpointError(f"checkpoint folder {folder} does not exist")
    for path in (config_path, weights_path):
        if not path.is_file():
            raise CheckpointError(f"checkpoint file {path} is missing")
    try:
        description = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{config_path} is not valid JSON: {error}") from error
    if not isinstance(description, dict) or description.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{config_path} is not a gan-playground checkpoint")
    if description.get("version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{config_path} has format version {description.get('version')!r}; "
            f"this program reads version {FORMAT_VERSION}"
        )
    if kind is not None and description.get("kind") != kind:
        raise CheckpointError(
            f"{folder} holds a {description.get('kind')!r} checkpoint, not {kind!r}"
        )
    if not isinstance(description.get("config"), dict):
        raise CheckpointError(f"{config_path} has no settings under 'config'")
    try:
        tensors = load(weights_path.read_bytes())
    except (OSError, SafetensorError) as error:
        raise CheckpointError(
            f"{weights_path} is truncated or corrupt: {error}"
        ) from error
    import torch

    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{weights_path} holds NaN or infinite values in {name}"
            )
    return description, tensors


def check_optimizer_tensors(
    tensors: dict, prefix: str, optimizer: torch.optim.Optimizer
) -> None:
    """Check the saved moments of one optimiser against its parameters.

    Keys look like ``optG.3.exp_avg``: the prefix, the parameter's index in the
    optimiser and the name of the state entry.

    Raises
    ------
    ValueError
        If an index is not a parameter of the optimiser, or a moment's shape
        differs from its parameter's shape.
    """
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    for key, value in tensors.items():
        if not key.startswith(prefix + "."):
            continue
        parts = key.split(".", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            raise ValueError(f"checkpoint tensor {key} is not an optimiser entry")
        index, name = int(parts[1]), parts[2]
        if index >= len(parameters):
            raise ValueError(
                f"checkpoint tensor {key} belongs to parameter {index}, but the "
                f"optimiser has {len(parameters)}"
            )
        expected = tuple(parameters[index].shape)
        if name != "step" and tuple(value.shape) != expected:
            raise ValueError(
                f"checkpoint tensor {key} has shape {tuple(value.shape)}, its "
                f"parameter has {expected}"
            )


def restore_progress(
    trainer,
    step,
    rng_state: torch.Tensor | None,
    history: torch.Tensor | None,
    history_stride=None,
) -> None:
    """Set a loaded trainer's step, RNG state and history from a checkpoint.

    With ``history_stride``, the stride of the saved history, the history continues
    on its grid after a resume. Without it, or when the rows do not fit that stride
    and step (a checkpoint from an older version), the rows are appended one by one.

    Raises
    ------
    ValueError
        If the step is not a whole number >= 0, the RNG state is not a valid
        ``torch.Generator`` state, or the history has the wrong number of columns.
    """
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be a whole number >= 0, got {step!r}")
    columns = len(trainer.history.columns)
    if history is not None and (history.ndim != 2 or history.shape[1] != columns):
        raise ValueError(
            f"history has shape {tuple(history.shape)}; expected (rows, {columns})"
        )
    if rng_state is not None:
        import torch

        try:
            trainer.generator.set_state(rng_state.to(torch.uint8))
        except RuntimeError as error:
            raise ValueError(f"the saved RNG state is invalid: {error}") from error
    trainer.step = step
    trainer.total_steps = max(trainer.config.steps, step)
    if history is None:
        return
    rows = history.numpy()
    if history_stride is not None:
        try:
            trainer.history.restore(rows, history_stride, seen=step)
            return
        except ValueError as error:
            logger.info("appending the saved history row by row: %s", error)
    for row in rows:
        trainer.history.append(*row)
