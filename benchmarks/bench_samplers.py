"""Compare the samplers' throughput with scipy.stats.sampling, all in one run.

Each sampler draws 10^6 samples, set-up included (inversion tables, envelope search,
the hat's construction).
The ratio is scipy's time over ours, so above 1.0 means ours is faster. Inversion is
compared with NumericalInversePolynomial and rejection with
TransformedDensityRejection on the same target. Metropolis-Hastings is reported in
chain-steps per second over 1,000 vectorised chains. Times are the best of
``--repeat`` runs, so that other work on the machine disturbs them less.

    python benchmarks/bench_samplers.py [--repeat 5] [--n 1000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.special
import scipy.stats
from scipy.stats import sampling

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.sampling.inverse import InverseTransformSampler  # noqa: E402
from models.sampling.metropolis import MetropolisHastings  # noqa: E402
from models.sampling.rejection import RejectionSampler, make_proposal  # noqa: E402
from models.targets import parse_target  # noqa: E402


class _Mixture:
    """0.3 N(-2, 0.5^2) + 0.7 N(1, 1) in the form scipy.stats.sampling expects."""

    def pdf(self, x):
        return 0.3 * scipy.stats.norm.pdf(x, -2, 0.5) + 0.7 * scipy.stats.norm.pdf(
            x, 1, 1
        )

    def cdf(self, x):
        return 0.3 * scipy.special.ndtr((x + 2) / 0.5) + 0.7 * scipy.special.ndtr(x - 1)


class _Normal:
    def pdf(self, x):
        return np.exp(-0.5 * x * x)

    def dpdf(self, x):
        return -x * np.exp(-0.5 * x * x)


class _Gamma3:
    def pdf(self, x):
        return x * x * np.exp(-x) if x > 0 else 0.0

    def dpdf(self, x):
        return (2 * x - x * x) * np.exp(-x) if x > 0 else 0.0

    def support(self):
        return 0, np.inf


def best_time(function, repeat: int) -> float:
    times = []
    for seed in range(repeat):
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        function(rng)
        times.append(time.perf_counter() - start)
    return min(times)


def report(label: str, ours: float, theirs: float, reference: str) -> None:
    print(
        f"{label:58s} ours {ours * 1e3:7.1f} ms   {reference} {theirs * 1e3:7.1f} ms"
        f"   ratio {theirs / ours:5.2f}"
    )


def bench_inversion(n: int, repeat: int) -> None:
    cases = [
        ("normal(0, 1)", scipy.stats.norm()),
        ("gamma(3, 1)", scipy.stats.gamma(3)),
        ("beta(2, 5)", scipy.stats.beta(2, 5)),
        ("mixture(0.3*normal(-2, 0.5) + 0.7*normal(1, 1))", _Mixture()),
    ]
    for spec, reference in cases:
        target = parse_target(spec)

        def ours(rng, target=target):
            InverseTransformSampler(target).sample(n, rng)

        def theirs(rng, reference=reference):
            sampling.NumericalInversePolynomial(reference, random_state=rng).rvs(n)

        method = InverseTransformSampler(target).method
        report(
            f"inverse {spec[:32]} [{method}]",
            best_time(ours, repeat),
            best_time(theirs, repeat),
            "PINV",
        )


def bench_rejection(n: int, repeat: int) -> None:
    # The hat is the default proposal; the others have M fixed by their shape.
    cases = [
        ("normal(0, 1)", "hat", _Normal()),
        ("gamma(3, 1)", "hat", _Gamma3()),
        ("normal(0, 1)", "laplace", _Normal()),
        ("normal(0, 1)", "cauchy", _Normal()),
        ("gamma(3, 1)", "cauchy", _Gamma3()),
    ]
    for spec, proposal_name, reference in cases:
        target = parse_target(spec)

        def ours(rng, target=target, proposal_name=proposal_name):
            proposal = make_proposal(proposal_name, target)
            RejectionSampler(target, proposal).sample(n, rng)

        def theirs(rng, reference=reference):
            sampling.TransformedDensityRejection(reference, random_state=rng).rvs(n)

        report(
            f"rejection {spec} under {proposal_name}",
            best_time(ours, repeat),
            best_time(theirs, repeat),
            "TDR ",
        )


def bench_metropolis(repeat: int) -> None:
    chains, iterations = 1000, 2000
    cases = [
        ("normal(0, 1)", "normal", 2.4),
        ("gamma(3, 1)", "lognormal", 0.8),
        ("banana", "normal", 1.5),
    ]
    for spec, proposal, step in cases:
        target = parse_target(spec)

        def run(rng, target=target, proposal=proposal, step=step):
            sampler = MetropolisHastings(
                target, proposal=proposal, step_size=step, chains=chains
            )
            sampler.advance(iterations, rng)

        seconds = best_time(run, repeat)
        rate = chains * iterations / seconds
        print(
            f"mh {spec} ({proposal}, {chains} chains x {iterations} iterations)"
            f"{'':8s} {rate / 1e6:6.1f} million chain-steps/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="samples per sampler")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}"
    )
    print(f"{args.n:,} draws per sampler, best of {args.repeat}; ratio = scipy / ours")
    bench_inversion(args.n, args.repeat)
    bench_rejection(args.n, args.repeat)
    bench_metropolis(args.repeat)


if __name__ == "__main__":
    main()
