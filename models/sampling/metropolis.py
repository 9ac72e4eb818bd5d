"""Metropolis-Hastings on many chains at once, in one or two dimensions.

From the current state x, propose x' ~ q(x' | x) and accept it with probability

    alpha = min(1, p(x') q(x | x') / (p(x) q(x' | x))),

otherwise repeat x (Metropolis et al., 1953; Hastings, 1970, "Monte Carlo sampling
methods using Markov chains and their applications", Biometrika 57(1)). Everything
is computed in log density, with -inf outside the support, so a proposal there is
always rejected. All chains move together as arrays of shape (chains, dim), so the
Python loop runs once per iteration, not once per chain.

Proposals
---------
``normal``
    Gaussian random walk x' = x + s eps. Symmetric, so the q terms cancel.
``lognormal``
    Multiplicative walk x' = x exp(s eps) in each coordinate, for targets on
    positive values only. It is not symmetric, and the Hastings correction is
    q(x | x') / q(x' | x) = prod_d x'_d / x_d. ``hastings_correction=False`` drops
    it, to show the bias that results: the chain then samples p(x) / prod_d x_d.
``independent``
    Independence sampler x' ~ N(loc, s^2 I), whatever x is; the correction is
    q(x) / q(x').
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from models.history import History
from models.sampler_options import MH_PROPOSALS
from models.sampling.diagnostics import (
    RunningHistogram,
    RunningHistogram2D,
    RunningKS,
    autocorrelation,
    ess,
    split_rhat,
)
from models.targets import Target1D, Target2D, TargetError

logger = logging.getLogger(__name__)

PROPOSALS = MH_PROPOSALS

# Random numbers for this many chain-steps are drawn at once.
_BLOCK_VALUES = 2**18

STUCK_ITERATIONS = 200
"""A chain that accepted no proposal in at least this many recent iterations counts
as stuck. A chain with an acceptance rate of 3 % accepts none of 200 proposals with
probability 0.97^200, about 0.2 %."""


def default_start(target: Target1D | Target2D) -> np.ndarray:
    """Return a point of positive density to start chains from, shape (dim,)."""
    if target.dim == 1:
        mean = target.mean
        if mean is not None and target.low < mean < target.high:
            return np.array([float(mean)])
        low, high = target.plot_range
        return np.array([(low + high) / 2])
    start = getattr(target, "start", None)
    if start is not None:
        return np.asarray(start, dtype=float)
    if target.mean is not None:
        return np.asarray(target.mean, dtype=float)
    return np.array([sum(r) / 2 for r in target.plot_range])


def _positive_support(target: Target1D | Target2D) -> bool:
    if target.dim == 1:
        return target.low >= 0
    return all(low >= 0 for low, _ in target.bounds)


@dataclass
class _Record:
    """Per-iteration history of the first few chains during one call of `advance`."""

    states: np.ndarray  # (iterations, chains, dim)
    proposals: np.ndarray  # (iterations, chains, dim)
    accepted: np.ndarray  # (iterations, chains)


class MetropolisHastings:
    """Vectorised Metropolis-Hastings state for many chains.

    Parameters
    ----------
    target : Target1D or Target2D
        Anything with ``dim`` and ``log_density(points)`` for points of shape
        (k, dim).
    proposal : {"normal", "lognormal", "independent"}
    step_size : float
        Scale s of the proposal (see the module docstring). Around 2.4 / sqrt(dim)
        times the target's standard deviation suits a random walk on a Gaussian.
    chains : int
    start : array_like, optional
        Shape (dim,) for one start shared by all chains, or (chains, dim). Defaults
        to `default_start`.
    proposal_loc : array_like, optional
        Centre of the independence proposal, shape (dim,). Defaults to the start.
    hastings_correction : bool
        Keep the q(x | x') / q(x' | x) term. Only set False to demonstrate the bias.

    Attributes
    ----------
    state : ndarray, shape (chains, dim)
    log_density : ndarray, shape (chains,)
    accepted : ndarray of int, shape (chains,)
        Accepted proposals per chain so far.
    iteration : int
        Iterations done so far, burn-in included.
    """

    def __init__(
        self,
        target: Target1D | Target2D,
        *,
        proposal: str = "normal",
        step_size: float = 1.0,
        chains: int = 4,
        start=None,
        proposal_loc=None,
        hastings_correction: bool = True,
    ):
        if proposal not in PROPOSALS:
            raise TargetError(
                f"unknown Metropolis-Hastings proposal {proposal!r}; choose one of "
                + ", ".join(PROPOSALS)
            )
        if not (math.isfinite(step_size) and step_size > 0):
            raise TargetError(f"step size must be positive, got {step_size:g}")
        if int(chains) != chains or chains < 1:
            raise TargetError(f"number of chains must be at least 1, got {chains}")
        if proposal == "lognormal" and not _positive_support(target):
            raise TargetError(
                f"the lognormal proposal only reaches positive values, but "
                f"{target.name} has support below 0; use the normal proposal"
            )
        self.target = target
        self.dim = target.dim
        self.proposal = proposal
        self.step_size = float(step_size)
        self.chains = int(chains)
        self.hastings_correction = hastings_correction

        # Starting states, which must have positive density.
        start = default_start(target) if start is None else start
        state = np.asarray(start, dtype=float)
        if state.shape == (self.dim,) or state.ndim == 0:
            state = np.broadcast_to(state.reshape(1, self.dim), (self.chains, self.dim))
        if state.shape != (self.chains, self.dim):
            raise TargetError(
                f"start must have {self.dim} coordinates, or one row per chain, got "
                f"shape {np.shape(start)}"
            )
        self.state = np.array(state, dtype=float)
        self.log_density = np.asarray(target.log_density(self.state), dtype=float)
        bad = np.flatnonzero(~np.isfinite(self.log_density))
        if bad.size:
            point = self.state[bad[0]]
            raise TargetError(
                f"start point {np.array2string(point, precision=4)} has zero density "
                f"under {target.name}; choose a start inside the support"
            )
        if proposal == "lognormal" and np.any(self.state <= 0):
            raise TargetError("the lognormal proposal needs a start with x > 0")

        loc = self.state[0] if proposal_loc is None else proposal_loc
        self.proposal_loc = np.broadcast_to(
            np.asarray(loc, dtype=float), (self.dim,)
        ).copy()
        self._log_q = self._independent_log_q(self.state)

        self.accepted = np.zeros(self.chains, dtype=np.int64)
        self.iteration = 0

    def _independent_log_q(self, points: np.ndarray) -> np.ndarray:
        z = (points - self.proposal_loc) / self.step_size
        return -0.5 * np.sum(z * z, axis=-1)

    @property
    def acceptance_rate(self) -> float:
        """Accepted proposals over all proposals so far, all chains pooled."""
        if self.iteration == 0:
            return math.nan
        return float(self.accepted.sum()) / (self.iteration * self.chains)

    def advance(
        self,
        iterations: int,
        rng: np.random.Generator,
        *,
        draws: np.ndarray | None = None,
        kept: int = 0,
        burn_in: int = 0,
        thin: int = 1,
        record_chains: int = 0,
    ) -> tuple[int, _Record | None]:
        """Run ``iterations`` iterations on all chains.

        After iteration i (counted from 1 over the life of the sampler), the states
        are written to ``draws[:, kept]`` when i > burn_in and (i - burn_in) is a
        multiple of ``thin``, and ``kept`` goes up by one.

        Returns the new ``kept`` and, when ``record_chains`` > 0, the states,
        proposals and acceptance flags of that many chains at every iteration.
        """
        chains, dim = self.chains, self.dim
        record = None
        if record_chains:
            r = min(record_chains, chains)
            record = _Record(
                np.empty((iterations, r, dim)),
                np.empty((iterations, r, dim)),
                np.empty((iterations, r), dtype=bool),
            )
        done = 0
        block = max(1, _BLOCK_VALUES // (chains * dim))
        while done < iterations:
            size = min(block, iterations - done)
            kept = self._advance_block(
                size, rng, draws, kept, burn_in, thin, record, done
            )
            done += size
        return kept, record

    def _advance_block(self, size, rng, draws, kept, burn_in, thin, record, offset):
        chains, dim = self.chains, self.dim
        target = self.target
        x, log_p = self.state, self.log_density
        step = self.step_size

        # Draw the block's random numbers. log u = -E with E ~ Exponential(1).
        eps = rng.standard_normal((size, chains, dim))
        minus_log_u = rng.standard_exponential((size, chains))
        correction = None
        if self.proposal == "normal":
            eps *= step
        elif self.proposal == "lognormal":
            eps *= step
            if self.hastings_correction:
                correction = eps.sum(axis=2)
            np.exp(eps, out=eps)
        else:
            eps *= step
            eps += self.proposal_loc
            block_log_q = self._independent_log_q(eps)
        # Accept when log p' - log p (+ correction) >= log u, so compare with -E.
        np.negative(minus_log_u, out=minus_log_u)
        log_u = minus_log_u

        proposal = np.empty_like(x)
        delta = np.empty(chains)
        accepted_total = self.accepted
        iteration = self.iteration
        for i in range(size):
            if self.proposal == "normal":
                np.add(x, eps[i], out=proposal)
            elif self.proposal == "lognormal":
                np.multiply(x, eps[i], out=proposal)
            else:
                proposal[...] = eps[i]
            log_p_new = target.log_density(proposal)

            # Evaluate log alpha; NaN compares false and so rejects.
            np.subtract(log_p_new, log_p, out=delta)
            if correction is not None:
                delta += correction[i]
            elif self.proposal == "independent":
                delta += self._log_q
                delta -= block_log_q[i]
            with np.errstate(invalid="ignore"):
                accept = delta >= log_u[i]

            # Accept: copy the proposal where accepted, else keep the state.
            np.copyto(x, proposal, where=accept[:, None])
            np.copyto(log_p, log_p_new, where=accept)
            if self.proposal == "independent":
                np.copyto(self._log_q, block_log_q[i], where=accept)
            accepted_total += accept
            iteration += 1

            if record is not None:
                r = record.accepted.shape[1]
                record.states[offset + i] = x[:r]
                record.proposals[offset + i] = proposal[:r]
                record.accepted[offset + i] = accept[:r]
            if draws is not None and iteration > burn_in:
                if (iteration - burn_in) % thin == 0:
                    draws[:, kept] = x
                    kept += 1
        self.iteration = iteration
        return kept


def _check_run_lengths(burn_in: int, thin: int) -> None:
    if int(burn_in) != burn_in or burn_in < 0:
        raise TargetError(f"burn-in must be a non-negative integer, got {burn_in}")
    if int(thin) != thin or thin < 1:
        raise TargetError(f"thinning must be a positive integer, got {thin}")


@dataclass
class MetropolisResult:
    """Output of `metropolis_hastings`.

    Attributes
    ----------
    samples : ndarray, shape (n,) for 1-D targets or (n, 2)
        Kept draws, chain after chain, cut to n.
    draws : ndarray, shape (chains, draws_per_chain, dim)
        All kept draws by chain, for diagnostics.
    acceptance_rate : float
        Over all iterations and chains, burn-in included.
    chain_acceptance_rates : ndarray, shape (chains,)
    ess : ndarray, shape (dim,)
        Bulk effective sample size per coordinate, all chains together.
    rhat : ndarray, shape (dim,)
        Rank-normalised split R-hat per coordinate.
    """

    samples: np.ndarray
    draws: np.ndarray
    acceptance_rate: float
    chain_acceptance_rates: np.ndarray
    ess: np.ndarray
    rhat: np.ndarray


def metropolis_hastings(
    target: Target1D | Target2D,
    n: int,
    rng: np.random.Generator,
    *,
    proposal: str = "normal",
    step_size: float = 1.0,
    chains: int = 4,
    burn_in: int = 1000,
    thin: int = 1,
    start=None,
    proposal_loc=None,
    hastings_correction: bool = True,
    diagnostics: bool = True,
) -> MetropolisResult:
    """Draw n samples (summed over chains, after burn-in and thinning) with MH.

    Each chain runs burn_in + ceil(n / chains) * thin iterations. See
    `MetropolisHastings` for the other parameters. ``diagnostics=False`` skips ESS
    and R-hat (they are then NaN), which matters for timing only.
    """
    if int(n) != n or n < 1:
        raise TargetError(f"number of samples must be at least 1, got {n}")
    _check_run_lengths(burn_in, thin)
    sampler = MetropolisHastings(
        target,
        proposal=proposal,
        step_size=step_size,
        chains=chains,
        start=start,
        proposal_loc=proposal_loc,
        hastings_correction=hastings_correction,
    )
    per_chain = math.ceil(n / sampler.chains)
    draws = np.empty((sampler.chains, per_chain, sampler.dim))
    sampler.advance(
        burn_in + per_chain * thin, rng, draws=draws, burn_in=burn_in, thin=thin
    )
    samples = draws.reshape(-1, sampler.dim)[:n]
    if sampler.dim == 1:
        samples = samples[:, 0]
    dims = range(sampler.dim)
    if diagnostics:
        ess_values = np.array([ess(draws[:, :, d]) for d in dims])
        rhat_values = np.array([split_rhat(draws[:, :, d]) for d in dims])
    else:
        ess_values = rhat_values = np.full(sampler.dim, math.nan)
    return MetropolisResult(
        samples=samples,
        draws=draws,
        acceptance_rate=sampler.acceptance_rate,
        chain_acceptance_rates=sampler.accepted / sampler.iteration,
        ess=ess_values,
        rhat=rhat_values,
    )


class MetropolisRun:
    """Metropolis-Hastings in steps, for the GUI and the command line.

    Each step runs ``chunk_size`` iterations of every chain: 1 shows each proposal,
    a large chunk runs fast and shows the diagnostics settle.

    Parameters
    ----------
    sampler : MetropolisHastings
    rng : numpy.random.Generator
    iterations : int
        Iterations per chain, burn-in included.
    burn_in, thin : int
        Draws after ``burn_in`` iterations, every ``thin``-th, are kept.
    chunk_size : int
    display_chains : int
        How many chains (the first ones) the path, proposals and trace show.
    path_length : int
        How many of the latest states of each displayed chain the path has.
    recent_proposals : int
        How many of the latest proposals of each displayed chain to show.
    diagnostic_chains : int
        ESS, R-hat and autocorrelation use at most this many chains (the first),
        because they cost O(chains x draws log draws) per snapshot.
    max_lag : int
        Largest lag of the autocorrelation.
    max_stored : int
        Upper limit on stored draw values, chains x kept draws x dim; beyond it the
        run is rejected up front.
    """

    def __init__(
        self,
        sampler: MetropolisHastings,
        rng: np.random.Generator,
        iterations: int = 5000,
        *,
        burn_in: int = 500,
        thin: int = 1,
        chunk_size: int = 1,
        display_chains: int = 4,
        path_length: int = 200,
        recent_proposals: int = 50,
        diagnostic_chains: int = 64,
        max_lag: int = 100,
        bins: int = 60,
        max_stored: int = 20_000_000,
    ):
        _check_run_lengths(burn_in, thin)
        if int(iterations) != iterations or iterations < 1:
            raise TargetError(f"iterations must be at least 1, got {iterations}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        self.sampler = sampler
        self.target = sampler.target
        self.rng = rng
        self.iterations = int(iterations)
        self.burn_in = int(burn_in)
        self.thin = int(thin)
        self.chunk_size = int(chunk_size)
        self.total_steps = math.ceil(self.iterations / self.chunk_size)
        self.step = 0

        # Storage for every kept draw, allocated once. Iteration i is kept when
        # i > burn_in and (i - burn_in) is a multiple of thin.
        first = sampler.iteration
        self._end_iteration = first + self.iterations
        kept_total = max(0, (self._end_iteration - self.burn_in) // self.thin) - max(
            0, (first - self.burn_in) // self.thin
        )
        stored = sampler.chains * kept_total * sampler.dim
        if stored > max_stored:
            raise TargetError(
                f"the run would store {stored:,} draw values (chains x kept draws x "
                f"dim), more than {max_stored:,}; use fewer chains or iterations, or "
                "a larger thinning"
            )
        self._draws = np.empty((sampler.chains, kept_total, sampler.dim))
        self.kept = 0

        self._display = min(display_chains, sampler.chains)
        self._path = sampler.state[None, : self._display].copy()
        self._path_length = path_length
        self._proposals = np.empty((0, self._display, sampler.dim))
        self._proposal_accepted = np.empty((0, self._display), dtype=bool)
        self._recent_proposals = recent_proposals
        # Thinned evenly as it grows, so an animated run of hours stays small.
        self._acceptance_trace = History(("step", "rate"), capacity=4096)
        self._diagnostic_chains = min(diagnostic_chains, sampler.chains)
        self._max_lag = max_lag
        self._cache_key = None
        self._cache: dict = {}
        self._recent_samples = 2000
        # Marks of (iteration, accepted per chain). The first starts the recent
        # window and the last is the latest mark. Once STUCK_ITERATIONS iterations
        # have run, the window spans at least that many.
        self._window_marks = [(sampler.iteration, sampler.accepted.copy())]

        # Target views and running summaries of the kept draws.
        if sampler.dim == 1:
            low, high = self.target.plot_range
            self._histogram = RunningHistogram(low, high, bins)
            edges = self._histogram.edges
            self._expected = np.diff(self.target.cdf(edges)) / np.diff(edges)
            self._ks = RunningKS(self.target.cdf)
            self._curve_x = np.linspace(low, high, 400)
            self._target_pdf = np.asarray(self.target.pdf(self._curve_x))
        else:
            box = self.target.plot_range
            self._histogram = RunningHistogram2D(box, bins=50)
            self._grid_x = np.linspace(*box[0], 120)
            self._grid_y = np.linspace(*box[1], 120)
            gx, gy = np.meshgrid(self._grid_x, self._grid_y, indexing="xy")
            points = np.column_stack([gx.ravel(), gy.ravel()])
            self._grid_log_density = self.target.log_density(points).reshape(gx.shape)

    def steps(self) -> Iterator[dict]:
        """Run one chunk of iterations per item and yield a record.

        The record has ``step``, ``iteration``, ``kept`` and ``acceptance_rate``
        (running, all chains), and ``state``: the current state of chain 0.
        """
        sampler = self.sampler
        while self.step < self.total_steps:
            size = min(self.chunk_size, self._end_iteration - sampler.iteration)
            before = self.kept
            self.kept, record = sampler.advance(
                size,
                self.rng,
                draws=self._draws,
                kept=self.kept,
                burn_in=self.burn_in,
                thin=self.thin,
                record_chains=self._display,
            )
            new = self._draws[:, before : self.kept]
            if new.size:
                if sampler.dim == 1:
                    self._histogram.add(new[:, :, 0])
                    self._ks.add(new[:, :, 0])
                else:
                    self._histogram.add(new.reshape(-1, 2))

            # Keep the latest path and proposals of the displayed chains.
            keep = self._path_length
            self._path = np.concatenate([self._path, record.states])[-keep:]
            keep = self._recent_proposals
            self._proposals = np.concatenate([self._proposals, record.proposals])
            self._proposals = self._proposals[-keep:]
            self._proposal_accepted = np.concatenate(
                [self._proposal_accepted, record.accepted]
            )[-keep:]
            self.step += 1
            self._acceptance_trace.append(self.step, sampler.acceptance_rate)
            if sampler.iteration - self._window_marks[-1][0] >= STUCK_ITERATIONS:
                mark = (sampler.iteration, sampler.accepted.copy())
                self._window_marks = [self._window_marks[-1], mark]
            yield {
                "step": self.step,
                "iteration": sampler.iteration,
                "kept": self.kept,
                "acceptance_rate": sampler.acceptance_rate,
                "state": sampler.state[0].copy(),
            }

    def draws(self) -> np.ndarray:
        """Kept draws so far, shape (chains, kept, dim)."""
        return self._draws[:, : self.kept].copy()

    def _stuck_chains(self) -> tuple[int, int]:
        """Count the chains that accepted nothing in the recent window.

        Returns that count and the window's length in iterations. In a window
        shorter than `STUCK_ITERATIONS` no chain counts as stuck.
        """
        start_iteration, start_accepted = self._window_marks[0]
        window = self.sampler.iteration - start_iteration
        if window < STUCK_ITERATIONS:
            return 0, window
        recent = self.sampler.accepted - start_accepted
        return int(np.count_nonzero(recent == 0)), window

    def _diagnostics(self) -> dict:
        if self._cache_key == self.kept:
            return self._cache
        draws = self._draws[: self._diagnostic_chains, : self.kept]
        dim = self.sampler.dim
        lags = min(self._max_lag, max(self.kept - 1, 0))
        if self.kept >= 2:
            # A stuck chain is constant, so its autocorrelation is NaN. When every
            # chain is stuck the mean is NaN too, which the snapshot's stuck_chains
            # already reports, so numpy's warning about it is silenced.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                acf = np.stack(
                    [
                        np.nanmean(
                            autocorrelation(draws[:, :, d], max_lag=lags), axis=0
                        )
                        for d in range(dim)
                    ]
                )
        else:
            acf = np.full((dim, lags + 1), math.nan)
        self._cache = {
            "autocorrelation": acf,
            "ess": np.array([ess(draws[:, :, d]) for d in range(dim)]),
            "rhat": np.array([split_rhat(draws[:, :, d]) for d in range(dim)]),
        }
        self._cache_key = self.kept
        return self._cache

    def snapshot(self) -> dict:
        """Plain data for the plots.

        Keys for every target:

        - ``step``, ``iteration``, ``iterations`` (per chain, burn-in included),
          ``burn_in``, ``thin``, ``chains``, ``dim``, ``kept`` (draws per chain).
        - ``acceptance_rate``: running rate over all chains and iterations.
          ``acceptance_trace``: that rate after steps ``acceptance_steps``,
          every step at first and thinned evenly to at most 4096 values.
          ``chain_acceptance_rates``: the running rate of each chain, shape
          (chains,).
        - ``stuck_chains``: chains that accepted no proposal in the last
          ``stuck_window`` iterations, which span at least `STUCK_ITERATIONS`
          (0 before that many iterations have run).
        - ``path``: latest states of the displayed chains, shape
          (display_chains, path_length, dim), oldest first.
        - ``proposals``, shape (display_chains, recent, dim), and
          ``proposal_accepted``, shape (display_chains, recent): the latest
          proposals and whether each was accepted.
        - ``trace``: kept draws of the displayed chains, (display_chains, kept, dim).
        - ``autocorrelation``: shape (dim, lags + 1), mean over the diagnostic
          chains; ``ess`` and ``rhat``: shape (dim,), bulk ESS and rank-normalised
          split R-hat over those chains (NaN until 4 draws per chain);
          ``diagnostic_chains``.
        - ``recent_samples``: up to 2000 latest kept draws of all chains, (k, dim).

        For 1-D targets also:

        - ``curve_x`` and ``target_pdf``.
        - ``bin_edges``, ``histogram`` (kept counts / (n * width)) and ``expected``
          (exact bin probability / width).
        - ``ks_statistic`` of all kept draws against the target's CDF. The draws
          are correlated, so read it as a distance, not as a test.

        For 2-D targets also ``grid_x``, ``grid_y`` and ``grid_log_density``
        (shape (len(grid_y), len(grid_x)), unnormalised, for contours) and
        ``histogram2d`` (counts, shape (bins, bins), indexed [x bin, y bin]) with
        ``x_edges`` and ``y_edges``.
        """
        sampler = self.sampler
        diagnostics = self._diagnostics()
        acceptance = self._acceptance_trace.as_dict()
        recent_per_chain = max(1, self._recent_samples // sampler.chains)
        recent = self._draws[:, max(0, self.kept - recent_per_chain) : self.kept]
        stuck, window = self._stuck_chains()
        if sampler.iteration:
            chain_rates = sampler.accepted / sampler.iteration
        else:
            chain_rates = np.full(sampler.chains, math.nan)
        snapshot = {
            "step": self.step,
            "iteration": sampler.iteration,
            "iterations": self.iterations,
            "burn_in": self.burn_in,
            "thin": self.thin,
            "chains": sampler.chains,
            "dim": sampler.dim,
            "kept": self.kept,
            "acceptance_rate": sampler.acceptance_rate,
            "acceptance_trace": acceptance["rate"],
            "acceptance_steps": acceptance["step"],
            "chain_acceptance_rates": chain_rates,
            "stuck_chains": stuck,
            "stuck_window": window,
            "path": np.swapaxes(self._path, 0, 1).copy(),
            "proposals": np.swapaxes(self._proposals, 0, 1).copy(),
            "proposal_accepted": self._proposal_accepted.T.copy(),
            "trace": self._draws[: self._display, : self.kept].copy(),
            "autocorrelation": diagnostics["autocorrelation"].copy(),
            "ess": diagnostics["ess"].copy(),
            "rhat": diagnostics["rhat"].copy(),
            "diagnostic_chains": self._diagnostic_chains,
            "recent_samples": recent.reshape(-1, sampler.dim).copy(),
        }
        if sampler.dim == 1:
            snapshot.update(
                curve_x=self._curve_x.copy(),
                target_pdf=self._target_pdf.copy(),
                bin_edges=self._histogram.edges.copy(),
                histogram=self._histogram.density(),
                expected=self._expected.copy(),
                ks_statistic=self._ks.statistic(),
            )
        else:
            snapshot.update(
                grid_x=self._grid_x.copy(),
                grid_y=self._grid_y.copy(),
                grid_log_density=self._grid_log_density.copy(),
                histogram2d=self._histogram.counts.copy(),
                x_edges=self._histogram.x_edges.copy(),
                y_edges=self._histogram.y_edges.copy(),
            )
        return snapshot


__all__ = [
    "PROPOSALS",
    "MetropolisHastings",
    "MetropolisResult",
    "MetropolisRun",
    "default_start",
    "metropolis_hastings",
]
