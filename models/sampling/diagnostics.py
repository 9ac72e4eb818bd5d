"""Convergence and accuracy diagnostics: autocorrelation, ESS, R-hat, KS distance.

The effective sample size and R-hat follow Vehtari, Gelman, Simpson, Carpenter and
Bürkner (2021), "Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC", Bayesian Analysis 16(2), 667-718:

- every chain is split into halves, so that a trend inside a chain shows up as a
  difference between chains;
- draws are rank-normalised: the pooled ranks r become z = Phi^-1((r - 3/8) / (S + 1/4))
  for S draws in total, so heavy tails and infinite variances do no harm;
- bulk ESS is the ESS of the rank-normalised split chains, with autocorrelations
  combined over chains and summed with Geyer's initial monotone sequence;
- R-hat is the larger of the rank-normalised split R-hat of the draws and of the
  folded draws |theta - median(theta)|, which catches chains that differ in scale.

Draw arrays have shape (chains, draws). A 1-D array is taken as one chain.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
import scipy.special


def _as_chains(draws) -> np.ndarray:
    draws = np.asarray(draws, dtype=float)
    if draws.ndim == 1:
        draws = draws[None, :]
    if draws.ndim != 2:
        raise ValueError(
            f"draws must have shape (chains, draws), got shape {draws.shape}"
        )
    return draws


def autocovariance(x, axis: int = -1) -> np.ndarray:
    """Autocovariance along ``axis`` for every lag, computed with an FFT.

    Uses the biased estimator sum_t (x_t - mean)(x_{t+k} - mean) / n, which keeps the
    sequence positive semi-definite.
    """
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    n = x.shape[-1]
    centred = x - x.mean(axis=-1, keepdims=True)
    size = scipy.fft.next_fast_len(2 * n, real=True)
    spectrum = scipy.fft.rfft(centred, n=size, axis=-1)
    result = scipy.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=-1)[..., :n]
    return np.moveaxis(result / n, -1, axis)


def autocorrelation(x, max_lag: int | None = None, axis: int = -1) -> np.ndarray:
    """Autocorrelation along ``axis`` for lags 0 to ``max_lag`` (all lags if None).

    A constant sequence has no defined autocorrelation and gives NaN.
    """
    acov = np.moveaxis(autocovariance(x, axis=axis), axis, -1)
    if max_lag is not None:
        acov = acov[..., : max_lag + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        result = acov / acov[..., :1]
    return np.moveaxis(result, -1, axis)


def split_chains(draws) -> np.ndarray:
    """Split each chain into a first and a second half, dropping the middle draw of an
    odd length. Shape (chains, n) becomes (2 chains, n // 2)."""
    draws = _as_chains(draws)
    half = draws.shape[1] // 2
    return np.concatenate([draws[:, :half], draws[:, draws.shape[1] - half :]])


def rank_normalise(draws) -> np.ndarray:
    """Replace draws by normal scores of their pooled ranks, averaging ties."""
    draws = _as_chains(draws)
    # Imported here, since importing scipy.stats delayed the window by up to 2 s.
    import scipy.stats

    ranks = scipy.stats.rankdata(draws, method="average").reshape(draws.shape)
    return scipy.special.ndtri((ranks - 0.375) / (draws.size + 0.25))


def _variance_parts(chains: np.ndarray) -> tuple[float, float]:
    """Return W (mean within-chain variance) and var_plus, the pooled estimate."""
    n = chains.shape[1]
    within = float(np.mean(np.var(chains, axis=1, ddof=1)))
    between_over_n = (
        float(np.var(chains.mean(axis=1), ddof=1)) if len(chains) > 1 else 0
    )
    return within, (n - 1) / n * within + between_over_n


def _ess_of(chains: np.ndarray) -> float:
    m, n = chains.shape
    within, var_plus = _variance_parts(chains)
    if not (within > 0 and np.isfinite(var_plus)):
        return math.nan

    # Combined autocorrelation: rho_t = 1 - (W - mean_m s_m^2 rho_tm) / var_plus,
    # where s_m^2 rho_tm equals the biased autocovariance times n / (n - 1).
    acov = autocovariance(chains)
    weighted = np.mean(acov, axis=0) * n / (n - 1)
    rho = 1 - (within - weighted) / var_plus

    # Geyer's initial monotone sequence on sums of adjacent pairs.
    pairs = rho[: 2 * (n // 2)].reshape(-1, 2).sum(axis=1)
    negative = np.flatnonzero(pairs < 0)
    if negative.size:
        pairs = pairs[: negative[0]]
    pairs = np.minimum.accumulate(pairs)
    tau = -1 + 2 * float(pairs.sum())

    # NOTE: Stan and ArviZ also add the first dropped even-lag autocorrelation when
    # it is positive. That term is left out here, and the values were checked
    # against AR(1) chains, not against ArviZ.

    # As in Stan, bound tau below so that antithetic chains cannot give an absurd ESS.
    total = m * n
    tau = max(tau, 1 / math.log10(total))
    return total / tau


def ess(draws, *, rank_normalised: bool = True) -> float:
    """Effective sample size of one quantity over all chains.

    With ``rank_normalised`` (default) this is the bulk ESS of Vehtari et al. (2021):
    the ESS of the rank-normalised split chains. Without it, the ESS of the split
    chains as they are, which assumes a finite variance.

    Returns NaN with fewer than 4 draws per chain or with constant draws.
    """
    draws = _as_chains(draws)
    if draws.shape[1] < 4 or not np.all(np.isfinite(draws)):
        return math.nan
    chains = split_chains(draws)
    if rank_normalised:
        chains = rank_normalise(chains)
    return _ess_of(chains)


def _rhat_of(chains: np.ndarray) -> float:
    within, var_plus = _variance_parts(chains)
    if not within > 0:
        return math.nan
    return math.sqrt(var_plus / within)


def split_rhat(draws, *, rank_normalised: bool = True) -> float:
    """Potential scale reduction factor R-hat of one quantity over all chains.

    With ``rank_normalised`` (default) this is the R-hat of Vehtari et al. (2021):
    the larger of the split R-hat of the rank-normalised draws and of the
    rank-normalised folded draws |theta - median|. Without it, the classic split
    R-hat of Gelman et al., Bayesian Data Analysis (3rd ed.), section 11.4.
    Values above 1.01 suggest that the chains have not mixed.

    Returns NaN with fewer than 4 draws per chain or with constant draws.
    """
    draws = _as_chains(draws)
    if draws.shape[1] < 4 or not np.all(np.isfinite(draws)):
        return math.nan
    chains = split_chains(draws)
    if not rank_normalised:
        return _rhat_of(chains)
    bulk = _rhat_of(rank_normalise(chains))
    folded = _rhat_of(rank_normalise(np.abs(chains - np.median(chains))))
    if math.isnan(bulk) or math.isnan(folded):
        return math.nan
    return max(bulk, folded)


def summarise(draws) -> dict[str, np.ndarray]:
    """Return bulk ESS and R-hat per coordinate of draws of shape (chains, n, dim)."""
    draws = np.asarray(draws, dtype=float)
    if draws.ndim == 2:
        draws = draws[:, :, None]
    dims = range(draws.shape[2])
    return {
        "ess": np.array([ess(draws[:, :, d]) for d in dims]),
        "rhat": np.array([split_rhat(draws[:, :, d]) for d in dims]),
    }


def ks_statistic(cdf_values) -> float:
    """Kolmogorov-Smirnov distance of a sample from its hypothesised distribution.

    ``cdf_values`` are the hypothesised CDF at the sample points, in any order.
    """
    values = np.sort(np.asarray(cdf_values, dtype=float).ravel())
    return _ks_of_sorted(values)


def _ks_of_sorted(values: np.ndarray) -> float:
    n = len(values)
    if n == 0:
        return math.nan
    above = np.arange(1, n + 1) / n - values
    below = values - np.arange(n) / n
    return float(max(above.max(), below.max()))


MAX_STORED_SAMPLES = 10_000_000
"""Default limit on the draws that an inverse transform or rejection run keeps.

Each kept draw costs 8 bytes for export and 8 for `RunningKS`, whose merge briefly
needs as much again, so the limit keeps a run under about 0.3 GB.
"""


class RunningKS:
    """Kolmogorov-Smirnov distance of a growing sample against a fixed CDF.

    `add` evaluates the CDF at the new points only. `statistic` merges them into a
    sorted array, which costs O(n) per call rather than a full sort.
    """

    def __init__(self, cdf):
        self._cdf = cdf
        self._sorted = np.empty(0)
        self._pending: list[np.ndarray] = []

    def add(self, x) -> None:
        values = np.asarray(self._cdf(np.asarray(x, dtype=float)), dtype=float)
        self._pending.append(values.ravel())

    @property
    def n(self) -> int:
        return len(self._sorted) + sum(len(p) for p in self._pending)

    def statistic(self) -> float:
        if self._pending:
            new = np.sort(np.concatenate(self._pending))
            # Two sorted runs: the stable sort merges them in linear time.
            self._sorted = np.sort(np.concatenate([self._sorted, new]), kind="stable")
            self._pending = []
        return _ks_of_sorted(self._sorted)


class RunningHistogram:
    """Counts of a growing sample in equal bins over [low, high].

    Points outside the range count towards `n` but not towards any bin, so that
    `density` stays comparable with the exact bin probabilities divided by the width.
    """

    def __init__(self, low: float, high: float, bins: int = 60):
        if not (math.isfinite(low) and math.isfinite(high) and high > low):
            raise ValueError(f"histogram range [{low}, {high}] is invalid")
        self.edges = np.linspace(low, high, bins + 1)
        self.counts = np.zeros(bins, dtype=np.int64)
        self.n = 0
        self._low, self._scale = low, bins / (high - low)

    def add(self, x) -> None:
        x = np.asarray(x, dtype=float).ravel()
        self.n += len(x)
        position = (x - self._low) * self._scale
        inside = (position >= 0) & (position < len(self.counts))
        index = position[inside].astype(np.intp)
        self.counts += np.bincount(index, minlength=len(self.counts))

    def density(self) -> np.ndarray:
        """Counts divided by n and by the bin width (zeros before the first point)."""
        width = self.edges[1] - self.edges[0]
        return self.counts / (max(self.n, 1) * width)


class RunningHistogram2D:
    """Counts of a growing 2-D sample in a grid of equal bins over a box."""

    def __init__(self, box, bins: int = 50):
        (x_low, x_high), (y_low, y_high) = box
        self.x_edges = np.linspace(x_low, x_high, bins + 1)
        self.y_edges = np.linspace(y_low, y_high, bins + 1)
        self.counts = np.zeros((bins, bins), dtype=np.int64)
        self.n = 0
        self._bins = bins

    def add(self, points) -> None:
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        self.n += len(points)
        counts, _, _ = np.histogram2d(
            points[:, 0], points[:, 1], bins=[self.x_edges, self.y_edges]
        )
        self.counts += counts.astype(np.int64)
