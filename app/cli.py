"""Command line: open the window, or train, sample and take screenshots headless.

Only argparse and the standard library are imported at first, so ``--help`` and
``--version`` answer without loading Qt or torch.
"""

from __future__ import annotations

import argparse
import logging
import sys
from decimal import Decimal, InvalidOperation

from app import __version__
from models.limits import (
    MAX_GAN_BATCH_SIZE,
    MAX_LATENT_DIM,
    MAX_LAYERS,
    MAX_MMD_BATCH_SIZE,
    MAX_RUN_BYTES,
    MAX_WIDTH,
    SEED_MAX,
    format_bytes,
)

DATA_CHOICES = ("gauss1d", "ring8", "grid25", "moons", "spiral", "digits")

logger = logging.getLogger("app")


class CommandError(Exception):
    """A problem with the user's request, reported as one line and exit code 2."""


def parse_whole_number(text: str) -> int:
    """Read a whole number, also written as ``1e6``, for an argparse type.

    Raises
    ------
    argparse.ArgumentTypeError
        If the text is not a whole number.
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    # Every limit is far below 10^100, and a huge exponent such as 1e999999999
    # would build an integer of a billion digits.
    if number.adjusted() >= 100:
        raise argparse.ArgumentTypeError(
            f"expected a whole number below 10^100, got {text!r}"
        )
    return int(number)


def _positive_int(text: str) -> int:
    value = parse_whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = parse_whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text}")
    return value


def seed_number(text: str) -> int:
    """Read a seed from 0 to `models.limits.SEED_MAX`, for an argparse type."""
    value = parse_whole_number(text)
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 to {SEED_MAX}, got {text}"
        )
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _add_train_parser(subparsers) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a generator headless and write samples, metrics and a checkpoint",
        description="Train a generator with the same loop as the window and write "
        "samples.npy, samples.png, history.csv, metrics.json, model.safetensors "
        "and config.json to the output folder. Settings whose estimated memory "
        f"exceeds {format_bytes(MAX_RUN_BYTES)} are rejected before training "
        "starts.",
    )
    train.add_argument("model", choices=("gan", "mmd"), help="what to train")
    train.add_argument(
        "--data",
        help=f"data set: one of {', '.join(DATA_CHOICES)}, or a CSV/NPY file of "
        "1-D or 2-D points, or a folder of images (default: the preset's, or "
        "ring8)",
    )
    train.add_argument(
        "--preset",
        metavar="NAME_OR_FILE",
        help="start from a preset's settings (a shipped name such as "
        "gan-equilibrium, or a .toml file); the options given here override them",
    )
    train.add_argument(
        "--steps", type=_positive_int, help="training steps (default: per data set)"
    )
    train.add_argument(
        "--seed",
        type=seed_number,
        help=f"random seed from 0 to {SEED_MAX} (default: the preset's, or 0)",
    )
    train.add_argument(
        "--out",
        help="output folder, created if missing (default: runs/MODEL-DATA); a "
        "folder that is not empty needs --force, except the folder of --resume",
    )
    train.add_argument(
        "--force",
        action="store_true",
        help="write into an --out folder that already contains files, replacing them",
    )
    train.add_argument(
        "--batch-size",
        type=_positive_int,
        help=f"samples per update, at most {MAX_GAN_BATCH_SIZE} for gan and "
        f"{MAX_MMD_BATCH_SIZE} for mmd",
    )
    train.add_argument(
        "--lr", type=_positive_float, help="learning rate of both networks"
    )
    train.add_argument("--g-lr", type=_positive_float, help="generator learning rate")
    train.add_argument(
        "--d-lr", type=_positive_float, help="discriminator learning rate"
    )
    train.add_argument(
        "--loss",
        choices=("non-saturating", "saturating"),
        help="GAN generator loss (default: non-saturating)",
    )
    train.add_argument(
        "--latent-dim", type=_positive_int, help=f"size of z, at most {MAX_LATENT_DIM}"
    )
    train.add_argument(
        "--noise", choices=("normal", "uniform"), help="distribution of z"
    )
    train.add_argument(
        "--d-steps", type=_positive_int, help="D updates per G update (GAN)"
    )
    train.add_argument(
        "--width",
        type=_positive_int,
        help=f"hidden width of both networks, at most {MAX_WIDTH}",
    )
    train.add_argument(
        "--layers",
        type=_non_negative_int,
        help=f"hidden layers of both networks, at most {MAX_LAYERS}",
    )
    train.add_argument(
        "--ema",
        type=float,
        help="decay of the generator weight average, 0 for none (GAN)",
    )
    train.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        default="cpu",
        help="where to train; auto takes CUDA when present (default: cpu)",
    )
    train.add_argument(
        "--threads",
        type=_positive_int,
        help="torch threads (default: cores minus one, at most 4)",
    )
    train.add_argument(
        "--resume",
        metavar="DIR",
        help="continue the run saved in DIR from its last step with its saved "
        "settings and data; --steps is the new total and must be above the saved "
        "step",
    )
    train.add_argument(
        "--no-progress", action="store_true", help="do not draw a progress bar"
    )


def _add_screenshot_parser(subparsers) -> None:
    shot = subparsers.add_parser(
        "screenshot",
        help="train N steps in the window, off screen, and save an image of it",
    )
    shot.add_argument(
        "--tab",
        help="tab to show: its title, lower-cased, or a unique part of it such as "
        "mmd (default: the preset's tab, or gan)",
    )
    shot.add_argument(
        "--preset",
        metavar="NAME_OR_FILE",
        help="show a preset's tab with its settings, as the Presets menu does: a "
        "shipped name such as mh-step-tiny, or a .toml file; --data, --steps, "
        "--seed and --set override it",
    )
    shot.add_argument(
        "--data",
        help="data set of a training tab (default: ring8), or the target of a "
        "sampling tab, such as 'gamma(3, 1)' (default: the tab's own)",
    )
    shot.add_argument(
        "--steps",
        type=_non_negative_int,
        help="training steps, or the length of a sampling tab's run, before the "
        "image; 0 runs nothing (default: 500 training steps, or the sampling "
        "tab's own length)",
    )
    shot.add_argument(
        "--seed",
        type=seed_number,
        help=f"random seed from 0 to {SEED_MAX} (default: the preset's, or 0)",
    )
    shot.add_argument(
        "--out",
        required=True,
        help="image file to write; its suffix sets the format, such as .png, .jpg "
        "or .svg",
    )
    shot.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="settings",
        help="set a field of the tab's form by its key, such as g_lr=0.0005 or "
        "lr=0.0005 for both learning rates, or one of its check boxes, such as "
        "compare_losses=true; repeat for several",
    )
    shot.add_argument(
        "--size",
        nargs=2,
        type=_positive_int,
        default=(1400, 860),
        metavar=("WIDTH", "HEIGHT"),
        help="window size in pixels, each from 1 to 8192 (default: 1400 860)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gan-playground",
        description="A playground for sampling methods and generative models. "
        "With no command it opens the window.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more (-v: info, -vv: debug)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = subparsers.add_parser("gui", help="open the window (the default)")
    # SUPPRESS keeps the gui command from resetting a --preset given before it.
    for owner, default in ((parser, None), (gui, argparse.SUPPRESS)):
        owner.add_argument(
            "--preset",
            metavar="NAME_OR_FILE",
            dest="gui_preset",
            default=default,
            help="open the window with a preset: a shipped name such as "
            "gan-mode-collapse, or a .toml file",
        )
    _add_train_parser(subparsers)
    from app.sample_cli import add_sample_parser

    add_sample_parser(subparsers)
    _add_screenshot_parser(subparsers)
    return parser


def configure_logging(verbosity: int) -> None:
    from app.logs import configure_logging as configure

    configure(verbosity)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    command = args.command or "gui"
    if args.gui_preset is not None and command != "gui":
        parser.error(
            f"--preset before the command opens the window; put it after "
            f"{command!r} to use it there"
        )
    try:
        if command == "gui":
            from app.gui import run_gui

            return run_gui(preset=getattr(args, "gui_preset", None))
        if command == "train":
            from app.train_cli import run_train

            return run_train(args)
        if command == "sample":
            from app.sample_cli import run_sample

            return run_sample(args)
        if command == "screenshot":
            from app.screenshot import run_screenshot

            return run_screenshot(args)
    except CommandError as error:
        print(f"gan-playground {command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gan-playground {command}: interrupted", file=sys.stderr)
        return 130
    parser.error(f"unknown command {command!r}")
    return 2
