"""``gan-playground sample --preset``: a sampling tab's preset as command-line options.

A sampling preset stores the tab's form values. This module turns them into the
``sample`` command's options. An option given on the command line wins over the
preset's value. The run length maps only where the two mean the same thing:

- inverse: ``samples`` becomes ``--n``;
- mh: ``chains × ceil((iterations - burn_in) / thin)`` kept draws become ``--n``;
- rejection: the preset counts darts thrown, the command counts accepted samples,
  so ``--n`` keeps its own default.

Settings that the command has no option for (numerical inversion on a target with a
closed-form inverse, MH without the Hastings correction, a y domain other than the
x domain) raise ValueError instead of being dropped silently.
"""

from __future__ import annotations

import math

from app.presets import PresetError, find_preset

DEFAULT_N = 10_000


def apply_sample_preset(args) -> None:
    """Fill the unset options of ``args`` from ``args.preset``, if one is given.

    Raises
    ------
    ValueError
        If the preset is missing, belongs to another method, or uses a setting
        that the command cannot express.
    """
    name = getattr(args, "preset", None)
    if name:
        try:
            preset = find_preset(name)
        except PresetError as error:
            raise ValueError(str(error)) from error
        if preset.tab != args.method:
            raise ValueError(
                f"preset {preset.name!r} is for the {preset.tab!r} tab, not for "
                f"'sample {args.method}'"
            )
        _apply(args, dict(preset.settings))
    if args.n is None:
        args.n = DEFAULT_N


def _apply(args, settings: dict) -> None:
    # The target: only when no target option was given on the command line.
    if args.target is None and args.density is None and args.cdf is None:
        _apply_target(args, settings)

    if args.seed is None and "seed" in settings:
        args.seed = int(settings["seed"])
    if args.method == "inverse":
        if settings.get("inversion", "automatic") != "automatic":
            raise ValueError(
                "the preset asks for numerical inversion, which the sample command "
                "uses only where no closed-form inverse exists"
            )
        if args.n is None and "samples" in settings:
            args.n = int(settings["samples"])
    elif args.method == "rejection":
        _apply_rejection(args, settings)
    else:
        _apply_mh(args, settings)


def _apply_target(args, settings: dict) -> None:
    kind = settings.get("kind", "distribution")
    text = settings.get("target")
    if text is None:
        return
    if kind == "distribution":
        args.target = text
        return
    if kind == "density":
        args.density = text
    elif kind == "CDF":
        args.cdf = text
    else:
        raise ValueError(f"the preset has an unknown target kind {kind!r}")
    low, high = _bound(settings, "low"), _bound(settings, "high")
    if "y_low" in settings and "y" in text:
        y_domain = (_bound(settings, "y_low"), _bound(settings, "y_high"))
        if y_domain != (low, high):
            raise ValueError(
                "the preset bounds y differently from x, which the sample command "
                "cannot express: its --domain bounds both"
            )
    if args.domain is None:
        args.domain = [low, high]


def _dimension(args) -> int:
    """Return 2 for a 2-D target of the command's options, else 1."""
    if args.target is not None:
        from models.targets import parse_target

        return parse_target(args.target).dim
    if args.density is None:
        return 1
    from models.expressions import compile_expression

    variables = compile_expression(args.density, ("x", "y")).used_variables
    return 2 if "y" in variables else 1


def _bound(settings: dict, key: str) -> float:
    text = str(settings.get(key, "-inf" if "low" in key else "inf"))
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"the preset's {key} = {text!r} is not a number the sample command "
            "takes; use a number, inf or -inf"
        ) from None


def _apply_rejection(args, settings: dict) -> None:
    if args.proposal is None and "proposal" in settings:
        args.proposal = settings["proposal"]
    if not settings.get("auto_proposal", True):
        if args.loc is None and "loc" in settings:
            args.loc = [float(settings["loc"])]
        if args.scale is None and "scale" in settings:
            args.scale = float(settings["scale"])
    if settings.get("m_mode") == "by hand" and args.m is None and "m" in settings:
        args.m = float(settings["m"])


def _apply_mh(args, settings: dict) -> None:
    if not settings.get("hastings", True):
        raise ValueError(
            "the preset turns the Hastings correction off, which the sample "
            "command always applies"
        )
    if args.proposal is None and "proposal" in settings:
        args.proposal = settings["proposal"]
    if args.scale is None and "step_size" in settings:
        args.scale = float(settings["step_size"])
    for option, key in (("chains", "chains"), ("burn_in", "burn_in"), ("thin", "thin")):
        if getattr(args, option) is None and key in settings:
            setattr(args, option, int(settings[key]))
    if args.start is None and not settings.get("auto_start", True):
        start = [float(settings["start_x"]), float(settings["start_y"])]
        args.start = start[: _dimension(args)]
    if args.n is None and "iterations" in settings:
        chains = args.chains or 4
        burn_in = args.burn_in if args.burn_in is not None else 0
        kept = math.ceil((int(settings["iterations"]) - burn_in) / (args.thin or 1))
        args.n = chains * max(kept, 1)
