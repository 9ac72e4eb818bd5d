"""The ``sample`` subcommand: draw samples headlessly and save them.

    gan-playground sample {inverse,rejection,mh}
        (--target SPEC | --density EXPR [--domain LOW HIGH]
         | --cdf EXPR --domain LOW HIGH)
        [--proposal NAME] [--scale S] [--loc X [Y]] [--m M] [--n N] [--chains C]
        [--burn-in B] [--thin T] [--start X [Y]] [--seed S]
        --out FILE.npy [--csv] [--force]

The samples go to FILE (``.npy``, or CSV when the name ends in ``.csv``; ``--csv``
also writes a CSV next to a ``.npy``). One JSON object with the run's summary goes to
stdout. Invalid input exits with status 2 and a one-line message on stderr. An
existing output file is kept unless ``--force`` is given. Files are written to a
temporary name and renamed, so a failed run leaves no partial file and keeps the
old one.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import secrets
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli import parse_whole_number, seed_number
from models.limits import SEED_MAX, format_bytes
from models.sampler_options import (
    MAX_CHAIN_ITERATIONS,
    MAX_CHAIN_STEPS,
    MAX_CHAINS,
    MAX_PROPOSALS,
    MAX_SAMPLES,
    MH_PROPOSALS,
    REJECTION_PROPOSALS,
    TARGET_HELP,
)

# numpy, scipy and the samplers are imported inside the functions that use them:
# the command line builds this parser for every command, ``--help`` included.
if TYPE_CHECKING:
    import numpy as np

    from models.targets import Target1D, Target2D

logger = logging.getLogger(__name__)

METHODS = ("inverse", "rejection", "mh")
DEFAULT_CHAINS = 4
DEFAULT_BURN_IN = 1000

# argparse takes "-inf" and "-1e-3" for option names because its default pattern for
# negative numbers (CPython 3.11 argparse, _negative_number_matcher) only accepts
# digits with an optional decimal point. This pattern also accepts exponents and inf.
_NEGATIVE_NUMBER = re.compile(
    r"^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^-inf(inity)?$", re.IGNORECASE
)


class _UsageError(ValueError):
    """Invalid combination of command-line options."""


def add_sample_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``sample`` subcommand to an argparse subparsers object.

    The parser's defaults set ``handler`` to `run_sample`.
    """
    parser = subparsers.add_parser(
        "sample",
        help="draw samples from a target and save them",
        description=(
            "Draw samples by inverse transform, rejection or Metropolis-Hastings and "
            "save them as .npy or CSV. Prints one JSON object with a summary. "
            "Expressions use x (and y for 2-D MH densities), + - * / and ^ or ** for "
            "powers, pi, e, and functions such as exp, log, sqrt, sin, where."
        ),
    )
    parser._negative_number_matcher = _NEGATIVE_NUMBER
    parser.add_argument("method", choices=METHODS, help="sampling method")

    parser.add_argument(
        "--preset",
        metavar="NAME_OR_FILE",
        help="take the target and settings of a sampling tab's preset (a shipped "
        "name such as mh-step-good, or a .toml file); options given here win",
    )
    # Not required by argparse: a --preset may name the target instead.
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--target", metavar="SPEC", help=f"named target. {TARGET_HELP}")
    source.add_argument(
        "--density",
        metavar="EXPR",
        help=(
            "unnormalised density in x, or in x and y for a 2-D density (mh only); "
            "for example 'exp(-x^2/2) * (2 + sin(5*x))'"
        ),
    )
    source.add_argument(
        "--cdf", metavar="EXPR", help="cumulative distribution function in x"
    )
    parser.add_argument(
        "--domain",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help=(
            "support of --density or --cdf; required except for mh, where it "
            "defaults to -inf inf (for a 2-D density it bounds both x and y)"
        ),
    )

    proposal = parser.add_argument_group("proposal")
    proposal.add_argument(
        "--proposal",
        metavar="NAME",
        help=(
            f"rejection: {', '.join(REJECTION_PROPOSALS)} (default hat, a step "
            "function fitted to the target; where no hat can be verified, uniform "
            f"on a finite support, else cauchy); mh: {', '.join(MH_PROPOSALS)} "
            "(default normal)"
        ),
    )
    proposal.add_argument(
        "--scale",
        type=float,
        metavar="S",
        help=(
            "rejection: scale of a normal, laplace or cauchy proposal (default the "
            "target's standard deviation); mh: step size (default 1)"
        ),
    )
    proposal.add_argument(
        "--loc",
        type=float,
        nargs="+",
        metavar="X",
        help=(
            "rejection: location of a normal, laplace or cauchy proposal (default "
            "the target's median); mh independent: centre of the proposal "
            "(default the start)"
        ),
    )
    proposal.add_argument(
        "--m",
        type=float,
        metavar="M",
        help="rejection: envelope constant (default: computed numerically); about "
        f"N times M proposals are needed, at most {MAX_PROPOSALS:,}",
    )

    run = parser.add_argument_group("run")
    run.add_argument(
        "--n",
        type=parse_whole_number,
        metavar="N",
        help=f"number of samples to save, at most {MAX_SAMPLES:,}; for mh, kept "
        "draws summed over chains (default 10000, or the preset's inverse samples "
        "or mh kept draws)",
    )
    run.add_argument(
        "--chains",
        type=parse_whole_number,
        metavar="C",
        help=f"mh: number of chains, at most {MAX_CHAINS:,} (default 4). The file "
        "holds the chains one after another, K draws each (K is draws_per_chain in "
        "the printed summary), and the last chain is cut so the total is N; with N a "
        "multiple of C, samples.reshape(C, K) (or (C, K, 2) for 2-D) gives one row "
        "per chain",
    )
    run.add_argument(
        "--burn-in",
        type=parse_whole_number,
        metavar="B",
        help="mh: iterations per chain to discard first (default 1000); burn-in "
        f"and kept iterations together are at most {MAX_CHAIN_ITERATIONS:,} per "
        f"chain and {MAX_CHAIN_STEPS:,} over all chains",
    )
    run.add_argument(
        "--thin",
        type=parse_whole_number,
        metavar="T",
        help="mh: keep every T-th draw (default 1)",
    )
    run.add_argument(
        "--start",
        type=float,
        nargs="+",
        metavar="X",
        help="mh: start point, one value per dimension (default: inside the support)",
    )
    run.add_argument(
        "--seed",
        type=seed_number,
        metavar="S",
        help=f"random seed from 0 to {SEED_MAX} (default: a fresh one, printed in "
        "the output)",
    )

    output = parser.add_argument_group("output")
    output.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output file ending in .npy or .csv; an existing file is kept "
        "unless --force is given",
    )
    output.add_argument(
        "--csv", action="store_true", help="also write a CSV next to a .npy file"
    )
    output.add_argument(
        "--force",
        action="store_true",
        help="replace existing output files (the new file replaces the old one only "
        "after it is fully written)",
    )
    parser.set_defaults(handler=run_sample)
    return parser


def run_sample(args: argparse.Namespace) -> int:
    """Run the ``sample`` subcommand; return the exit status.

    Prints the JSON summary on stdout. Invalid input prints one line on stderr and
    returns 2 without writing any file.
    """
    try:
        from app.sample_presets import apply_sample_preset

        apply_sample_preset(args)
        if args.target is None and args.density is None and args.cdf is None:
            raise _UsageError("give --target, --density or --cdf, or a --preset")
        paths = _output_paths(args)
        _check_options(args)
        summary, samples = _sample(args)
        _write_samples(samples, paths)
    except (ValueError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"gan-playground sample: error: {message}", file=sys.stderr)
        return 2
    summary["out"] = [str(p) for p in paths]
    print(json.dumps(_plain(summary), allow_nan=False))
    return 0


def _output_paths(args) -> list[Path]:
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise _UsageError(f"--out {args.out!r} must end in .npy or .csv")
    if not out.parent.is_dir():
        raise _UsageError(f"the folder of --out, {str(out.parent)!r}, does not exist")
    paths = [out]
    if args.csv and suffix == ".npy":
        paths.append(out.with_suffix(".csv"))
    if not args.force:
        for path in paths:
            if path.exists():
                raise _UsageError(
                    f"{str(path)!r} already exists; add --force to replace it"
                )
    return paths


def _check_options(args) -> None:
    if args.n is None or args.n < 1:
        raise _UsageError(f"--n must be at least 1, got {args.n}")
    if args.n > MAX_SAMPLES:
        raise _UsageError(
            f"--n must be at most {MAX_SAMPLES:,}, got {args.n:,}; the samples "
            f"alone would take {format_bytes(8 * args.n)} of memory"
        )
    mh_only = {
        "--chains": args.chains,
        "--burn-in": args.burn_in,
        "--thin": args.thin,
        "--start": args.start,
    }
    if args.method != "mh":
        for option, value in mh_only.items():
            if value is not None:
                raise _UsageError(f"{option} applies to mh only")
    if args.method != "rejection" and args.m is not None:
        raise _UsageError("--m applies to rejection only")
    if args.method == "inverse":
        for option in ("proposal", "scale", "loc"):
            if getattr(args, option) is not None:
                raise _UsageError(f"--{option} does not apply to inverse")
    if args.method == "rejection" and args.proposal is not None:
        if args.proposal not in REJECTION_PROPOSALS:
            raise _UsageError(
                f"--proposal {args.proposal!r} is not a rejection proposal; "
                f"choose one of {', '.join(REJECTION_PROPOSALS)}"
            )
    if args.method == "mh" and args.proposal is not None:
        if args.proposal not in MH_PROPOSALS:
            raise _UsageError(
                f"--proposal {args.proposal!r} is not an mh proposal; "
                f"choose one of {', '.join(MH_PROPOSALS)}"
            )
    if args.domain is not None and args.target is not None:
        raise _UsageError("--domain applies to --density and --cdf only")
    if args.method == "mh":
        _check_chain_work(args)


def _check_chain_work(args) -> None:
    """Reject mh settings whose iterations exceed the limits, before any work."""
    chains = args.chains if args.chains is not None else DEFAULT_CHAINS
    burn_in = args.burn_in if args.burn_in is not None else DEFAULT_BURN_IN
    thin = args.thin if args.thin is not None else 1
    if not 1 <= chains <= MAX_CHAINS:
        raise _UsageError(f"--chains must be from 1 to {MAX_CHAINS:,}, got {chains:,}")
    if burn_in < 0:
        raise _UsageError(f"--burn-in must be 0 or more, got {burn_in:,}")
    if thin < 1:
        raise _UsageError(f"--thin (thinning) must be at least 1, got {thin:,}")

    # Each chain runs burn_in + ceil(n / chains) * thin iterations.
    iterations = burn_in + math.ceil(args.n / chains) * thin
    if iterations > MAX_CHAIN_ITERATIONS:
        raise _UsageError(
            f"--burn-in {burn_in:,}, --thin {thin:,} and --n {args.n:,} over "
            f"{chains:,} chains need {iterations:,} iterations per chain, more "
            f"than the limit of {MAX_CHAIN_ITERATIONS:,}; use a smaller --burn-in, "
            "--thin or --n, or more --chains"
        )
    if chains * iterations > MAX_CHAIN_STEPS:
        raise _UsageError(
            f"--chains {chains:,} times {iterations:,} iterations per chain make "
            f"{chains * iterations:,} chain iterations, more than the limit of "
            f"{MAX_CHAIN_STEPS:,}; use fewer --chains or a smaller --burn-in"
        )


def _check_proposals(n: int, sampler, hand_set: bool) -> None:
    """Reject a rejection run that needs more than MAX_PROPOSALS on average."""
    m = sampler.m
    expected = n * max(m, 1.0)
    if expected <= MAX_PROPOSALS:
        return
    if hand_set:
        source = f"--m {m:g}"
        advice = (
            f"use a smaller --m (M = {sampler.envelope.m_required:.6g} is a valid "
            "envelope here) or a smaller --n"
        )
    else:
        source = f"the computed envelope constant M = {m:.6g}"
        advice = "choose a --proposal closer to the target or a smaller --n"
    raise _UsageError(
        f"{source} accepts about one proposal in {m:.3g}, so --n {n:,} needs about "
        f"{expected:.3g} proposals, more than the limit of {MAX_PROPOSALS:.0e}; "
        f"{advice}"
    )


def _build_target(args) -> Target1D | Target2D:
    from models.expressions import compile_expression
    from models.targets import (
        CdfTarget,
        Density2DTarget,
        DensityTarget,
        parse_target,
        parse_target_1d,
    )

    if args.target is not None:
        if args.method == "mh":
            return parse_target(args.target)
        return parse_target_1d(args.target)

    domain = args.domain
    if args.cdf is not None:
        if domain is None:
            raise _UsageError("--cdf needs --domain LOW HIGH")
        return CdfTarget(args.cdf, *domain)

    uses_y = "y" in compile_expression(args.density, ("x", "y")).used_variables
    if args.method != "mh":
        if uses_y:
            raise _UsageError(
                f"{args.method} samples 1-D densities in x only; use mh for a "
                "density in x and y"
            )
        if domain is None:
            raise _UsageError(f"--density needs --domain LOW HIGH for {args.method}")
        if not all(math.isfinite(v) for v in domain):
            raise _UsageError(f"{args.method} needs a finite --domain, got {domain}")
        return DensityTarget(args.density, *domain)
    domain = domain if domain is not None else (-math.inf, math.inf)
    if uses_y:
        return Density2DTarget(args.density, tuple(domain), tuple(domain))
    return DensityTarget(args.density, *domain)


def _sample(args) -> tuple[dict, np.ndarray]:
    import numpy as np

    from models.sampling.diagnostics import ks_statistic
    from models.sampling.inverse import InverseTransformSampler
    from models.sampling.metropolis import metropolis_hastings
    from models.sampling.rejection import RejectionSampler, make_proposal

    target = _build_target(args)
    # A fresh seed stays in the range that --seed accepts, so it can be reused.
    seed = args.seed if args.seed is not None else secrets.randbelow(SEED_MAX + 1)
    rng = np.random.default_rng(seed)
    summary: dict = {"method": args.method, "target": target.name, "seed": seed}

    if args.method == "inverse":
        sampler = InverseTransformSampler(target)
        samples = sampler.sample(args.n, rng)
        summary.update(n=args.n, acceptance_rate=1.0, inversion=sampler.method)
    elif args.method == "rejection":
        name = args.proposal if args.proposal is not None else "hat"
        loc = _single(args.loc, "--loc")
        proposal = make_proposal(name, target, loc=loc, scale=args.scale)
        sampler = RejectionSampler(target, proposal, m=args.m)
        _check_proposals(args.n, sampler, hand_set=args.m is not None)
        samples, proposed = sampler.sample_counted(args.n, rng)
        check = sampler.envelope
        summary.update(
            n=args.n,
            proposal=proposal.name,
            proposed=proposed,
            acceptance_rate=args.n / proposed,
            # None when M is too small: 1/M is then not the rate, and may pass 1.
            theoretical_acceptance_rate=1 / sampler.m if check.ok else None,
            m=sampler.m,
            m_required=check.m_required,
            envelope_ok=check.ok,
            violations=check.violations,
        )
        if proposal.note:
            summary["proposal_note"] = proposal.note
        if not check.ok:
            print(f"gan-playground sample: warning: {check.message()}", file=sys.stderr)
    else:
        result = metropolis_hastings(
            target,
            args.n,
            rng,
            proposal=args.proposal or "normal",
            step_size=args.scale if args.scale is not None else 1.0,
            chains=args.chains if args.chains is not None else DEFAULT_CHAINS,
            burn_in=args.burn_in if args.burn_in is not None else DEFAULT_BURN_IN,
            thin=args.thin if args.thin is not None else 1,
            start=_point(args.start, target.dim, "--start"),
            proposal_loc=_point(args.loc, target.dim, "--loc"),
        )
        samples = result.samples
        summary.update(
            n=args.n,
            proposal=args.proposal or "normal",
            chains=len(result.draws),
            draws_per_chain=result.draws.shape[1],
            acceptance_rate=result.acceptance_rate,
            ess=result.ess.tolist(),
            rhat=result.rhat.tolist(),
        )

    if target.dim == 1:
        summary["ks_statistic"] = ks_statistic(target.cdf(samples))
    summary["sample_mean"] = np.mean(samples, axis=0).tolist()
    return summary, samples


def _single(values, option: str) -> float | None:
    if values is None:
        return None
    if len(values) != 1:
        raise _UsageError(f"{option} takes one value here, got {len(values)}")
    return values[0]


def _point(values, dim: int, option: str) -> np.ndarray | None:
    if values is None:
        return None
    if len(values) != dim:
        raise _UsageError(
            f"{option} needs {dim} value{'s' if dim > 1 else ''} for this target, "
            f"got {len(values)}"
        )
    import numpy as np

    return np.array(values, dtype=float)


def _write_samples(samples: np.ndarray, paths: list[Path]) -> None:
    """Write every file under a temporary name first, then rename them all."""
    import numpy as np

    written: list[tuple[str, Path]] = []
    path = paths[0]
    try:
        for path in paths:
            handle, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            written.append((temporary, path))
            with os.fdopen(handle, "wb") as stream:
                if path.suffix.lower() == ".csv":
                    columns = "x" if samples.ndim == 1 else "x,y"
                    np.savetxt(
                        stream, samples, delimiter=",", header=columns, comments=""
                    )
                else:
                    np.save(stream, samples)
        for temporary, path in written:
            os.replace(temporary, path)
    except OSError as error:
        # strerror leaves out the temporary file's name that str(error) holds.
        reason = error.strerror or str(error)
        raise _UsageError(f"cannot write {path}: {reason}") from error
    finally:
        for temporary, _ in written:
            if os.path.exists(temporary):
                os.unlink(temporary)


def _plain(value):
    """Convert numpy values to JSON types, and NaN or infinity to null."""
    import numpy as np

    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = ["METHODS", "add_sample_parser", "run_sample"]
