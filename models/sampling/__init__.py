"""Samplers for 1-D and 2-D targets: inverse transform, rejection, Metropolis-Hastings.

Each sampler has a bulk function or ``sample(n, rng)`` method, and a run class that
follows the `models.runs.Run` protocol for the GUI: ``steps()`` yields one small
record per step and ``snapshot()`` returns the plot data.
"""

from models.sampling.inverse import (
    InverseTransformRun,
    InverseTransformSampler,
    NumericalInversion,
    open_uniform,
)
from models.sampling.metropolis import (
    MetropolisHastings,
    MetropolisResult,
    MetropolisRun,
    metropolis_hastings,
)
from models.sampling.rejection import (
    EnvelopeCheck,
    RejectionRun,
    RejectionSampler,
    UnboundedRatioError,
    check_envelope,
    find_envelope,
    make_proposal,
)

__all__ = [
    "EnvelopeCheck",
    "InverseTransformRun",
    "InverseTransformSampler",
    "MetropolisHastings",
    "MetropolisResult",
    "MetropolisRun",
    "NumericalInversion",
    "RejectionRun",
    "RejectionSampler",
    "UnboundedRatioError",
    "check_envelope",
    "find_envelope",
    "make_proposal",
    "metropolis_hastings",
    "open_uniform",
]
