"""Checkpoints as safetensors weights plus a JSON description, written atomically.

safetensors holds only named tensors, so loading a checkpoint from a stranger cannot
run code, unlike a pickle. Each file is written to a temporary name in the same folder
and then renamed over the old one, so a crash during a save leaves the previous
checkpoint intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch

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
    """
    from safetensors.torch import save

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
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
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{weights_path} holds NaN or infinite values in {name}"
            )
    return description, tensors
