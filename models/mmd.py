"""A generator trained directly, by shrinking the MMD between generated and real data.

Li, Swersky and Zemel (2015), "Generative Moment Matching Networks", ICML, and
Dziugaite, Roy and Ghahramani (2015), "Training generative neural networks via
maximum mean discrepancy optimization", UAI: no discriminator is trained. Each step
draws a generated batch x and a real batch y and takes one Adam step on the
unbiased estimate of the squared maximum mean discrepancy (Gretton et al. 2012,
"A kernel two-sample test", JMLR 13, Lemma 6)

    MMD²_u = 1/(m(m-1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n-1)) Σ_{i≠j} k(y_i, y_j)
             - 2/(mn) Σ_{i,j} k(x_i, y_j)

with a Gaussian kernel k(a, b) = exp(-||a - b||² / (2 s²)) or a sum of them over
several bandwidths s. Only the first and last terms depend on the generator.

The witness function f(t) = mean_j k(t, y_j) - mean_i k(t, x_i) is the function
whose mean difference between the two samples is the MMD: it is positive where real
data lacks generated samples, negative where the generator puts too many, and
-∇f at a generated point is where the loss pushes that point.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch
from torch import nn

from models.datasets import Dataset
from models.generator_trainer import GeneratorTrainer
from models.last_good import LastGoodState
from models.mmd_config import MmdConfig, default_mmd_config  # noqa: F401 (re-exported)
from models.networks import mlp, sample_noise

logger = logging.getLogger(__name__)

HISTORY_COLUMNS = ("step", "mmd2", "bandwidth")

BANDWIDTH_FLOOR = 1e-3
"""Smallest bandwidth in network coordinates, where the data has unit scale.

When most pairs of a batch coincide, the median distance is 0, and a zero bandwidth
would divide by zero in the kernel.
"""

WITNESS_POINTS = 1000
"""Real and generated points that the witness views are computed from, each."""

WITNESS_IMAGE_POINTS = 400
"""Real and generated images that the image witness view ranks, each.

They are also the samples that f is computed from, because for 64-pixel images
every evaluation costs a full kernel row: 400 keep a snapshot near 10 ms.
"""


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Return the (len(a), len(b)) matrix of squared Euclidean distances.

    Computed as ||a||² + ||b||² - 2 a·b and clamped at 0, because rounding can make
    it slightly negative. The squared distance has a finite gradient everywhere,
    including where two points coincide, unlike the distance itself, whose square
    root has an infinite derivative at 0.
    """
    a_norms = (a * a).sum(dim=1, keepdim=True)
    b_norms = (b * b).sum(dim=1, keepdim=True)
    return (a_norms + b_norms.T - 2.0 * a @ b.T).clamp(min=0.0)


MEDIAN_POINTS = 256
"""Cap on the pooled points whose pairwise distances give the median bandwidth."""


def median_bandwidth(points: torch.Tensor) -> torch.Tensor:
    """Return the median heuristic bandwidth of a pooled sample, at least the floor.

    The bandwidth is the square root of the median squared distance between distinct
    points. Above ``MEDIAN_POINTS`` points, an evenly strided subset of them is used,
    so the cost stays fixed. No gradient flows through the result.

    Parameters
    ----------
    points : torch.Tensor
        The pooled sample, shape (n, d), n >= 2.

    Returns
    -------
    torch.Tensor
        sqrt(median squared distance) as a scalar, or ``BANDWIDTH_FLOOR`` when that
        is smaller.
    """
    points = points.detach()
    stride = max(1, math.ceil(len(points) / MEDIAN_POINTS))
    points = points[::stride]
    n = len(points)
    rows, columns = torch.triu_indices(n, n, offset=1, device=points.device)
    median = squared_distances(points, points)[rows, columns].median()
    return median.sqrt().clamp(min=BANDWIDTH_FLOOR)


def gaussian_kernel(squared: torch.Tensor, bandwidths: torch.Tensor) -> torch.Tensor:
    """Return Σ_s exp(-d² / (2 s²)) for a matrix of squared distances d².

    ``bandwidths`` is a 1-D tensor of one or more bandwidths s.
    """
    total = torch.exp(squared * (-0.5 / bandwidths[0] ** 2))
    for bandwidth in bandwidths[1:]:
        total = total + torch.exp(squared * (-0.5 / bandwidth**2))
    return total


def mmd2_unbiased(
    x: torch.Tensor, y: torch.Tensor, bandwidths: torch.Tensor
) -> torch.Tensor:
    """Return the unbiased MMD² estimate between samples x and y with Gaussian kernels.

    The estimator is MMD²_u of Gretton et al. (2012, Lemma 6) in the module
    docstring, with the kernel summed over ``bandwidths``. Its expectation is 0 when
    x and y come from the same distribution, so a single estimate can be negative.
    Gradients flow to x and y where they require them; the block of y with itself
    keeps no graph when y is real data.

    Raises
    ------
    ValueError
        If a sample has fewer than 2 points or the feature counts differ.
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have shapes (m, d) and (n, d), got {tuple(x.shape)} "
            f"and {tuple(y.shape)}"
        )
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(
            f"the unbiased MMD² needs at least 2 points per sample, got {m} and {n}"
        )
    within_x = gaussian_kernel(squared_distances(x, x), bandwidths)
    within_y = gaussian_kernel(squared_distances(y, y), bandwidths)
    between = gaussian_kernel(squared_distances(x, y), bandwidths)

    # Leave out the diagonals i = j, as the unbiased estimate requires.
    term_x = (within_x.sum() - within_x.diagonal().sum()) / (m * (m - 1))
    term_y = (within_y.sum() - within_y.diagonal().sum()) / (n * (n - 1))
    return term_x + term_y - 2.0 * between.mean()


def witness(
    points: torch.Tensor,
    real: torch.Tensor,
    generated: torch.Tensor,
    bandwidths: torch.Tensor,
) -> torch.Tensor:
    """Return f(t) = mean_j k(t, real_j) - mean_i k(t, generated_i) at each point t."""
    real_mean = gaussian_kernel(squared_distances(points, real), bandwidths).mean(1)
    fake_mean = gaussian_kernel(squared_distances(points, generated), bandwidths)
    return real_mean - fake_mean.mean(1)


def witness_on_grid(
    xs: torch.Tensor,
    ys: torch.Tensor,
    real: torch.Tensor,
    generated: torch.Tensor,
    bandwidths: torch.Tensor,
) -> torch.Tensor:
    """Return the 2-D witness at (xs[i], ys[j]) as a (len(xs), len(ys)) tensor.

    A Gaussian kernel factors over the two coordinates, exp(-(dx² + dy²) / 2s²) =
    exp(-dx² / 2s²) exp(-dy² / 2s²), so the whole grid is one matrix product per
    bandwidth instead of one kernel value per grid point and sample.
    """
    points = torch.cat([real, generated])
    weights = torch.cat(
        [
            torch.full((len(real),), 1.0 / len(real), dtype=xs.dtype),
            torch.full((len(generated),), -1.0 / len(generated), dtype=xs.dtype),
        ]
    ).to(xs.device)
    dx2 = (xs[:, None] - points[None, :, 0]) ** 2
    dy2 = (ys[:, None] - points[None, :, 1]) ** 2
    total = torch.zeros(len(xs), len(ys), dtype=xs.dtype, device=xs.device)
    for bandwidth in bandwidths:
        scale = -0.5 / bandwidth**2
        total += (torch.exp(dx2 * scale) * weights) @ torch.exp(dy2 * scale).T
    return total


class MmdTrainer(GeneratorTrainer):
    """A generator trained by minimising MMD² to the data, step by step.

    Follows the Run protocol of ``models.runs`` like ``models.gan.GanTrainer``:
    ``steps()`` yields a record per training step and ``snapshot()`` returns copies
    of what the views need.

    Parameters
    ----------
    config : MmdConfig
        Settings of the run; validated here.
    dataset : Dataset, optional
        Data to learn; by default ``make_dataset(config.data, seed=config.seed)``.
    view_size : int
        Number of fixed latent vectors whose images ``snapshot`` returns.
    live_metrics : models.live_metrics.LiveMetrics, optional
        Quality metrics that ``snapshot`` recomputes on its throttle and returns
        under ``metrics``.
    """

    kind = "mmd"
    label = "MMD"
    config_class = MmdConfig
    history_columns = HISTORY_COLUMNS
    extra_tensors = ("bandwidths",)

    def __init__(
        self,
        config: MmdConfig,
        dataset: Dataset | None = None,
        view_size: int | None = None,
        live_metrics=None,
    ):
        super().__init__(config, dataset, live_metrics)
        dim = self.dataset.dim
        output = nn.Tanh() if self.dataset.is_image else None
        self.netG = mlp(config.latent_dim, dim, config.layers, config.width, output).to(
            self.device
        )
        self._init_weights(self.netG)
        self.optG = torch.optim.Adam(
            self.netG.parameters(), lr=config.lr, betas=config.betas
        )

        self._prepare_data(view_size)
        # One scale for all features (see models.datasets), so one factor converts
        # bandwidths between data units and network coordinates.
        self.data_scale = float(self.dataset.scale[0])

        # A fixed subset of the real data for the witness views, drawn by numpy so
        # the training generator's stream stays the same for every view size.
        rng = np.random.default_rng(config.seed)
        count = min(WITNESS_POINTS, len(self.real))
        # In random order, so that any prefix is a random subset too.
        index = rng.choice(len(self.real), size=count, replace=False)
        self._witness_real = self.real[torch.from_numpy(index).to(self.device)]
        self._witness_noise = sample_noise(
            config.noise,
            WITNESS_POINTS,
            config.latent_dim,
            torch.Generator().manual_seed(config.seed + 2),
            self.device,
        )
        with torch.no_grad():
            pooled = torch.cat([self.netG(self._witness_noise), self._witness_real])
            self.bandwidths = self._bandwidths(pooled)
        self.last_good = LastGoodState(extra_attributes=self.extra_tensors)
        self.last_good.update(self)

    def _noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return sample_noise(
            self.config.noise,
            n,
            self.config.latent_dim,
            self.generator if generator is None else generator,
            self.device,
        )

    def _real_batch(self) -> torch.Tensor:
        index = torch.randint(
            len(self.real), (self.config.batch_size,), generator=self.generator
        )
        return self.real[index.to(self.device)]

    def _bandwidths(self, pooled: torch.Tensor) -> torch.Tensor:
        """Return the kernel bandwidths in network coordinates, shape (k,).

        The base bandwidth comes first, so ``bandwidths[0]`` is the median
        heuristic's value (or the fixed one) for both kernels.
        """
        config = self.config
        if config.bandwidth_mode == "median":
            base = median_bandwidth(pooled)
        else:
            base = torch.tensor(
                max(config.bandwidth / self.data_scale, BANDWIDTH_FLOOR),
                device=self.device,
            )
        if config.kernel == "gaussian":
            return base.reshape(1)
        scales = [1.0, *(s for s in config.bandwidth_scales if s != 1.0)]
        return base * torch.tensor(scales, device=self.device)

    def train_step(self) -> dict[str, float]:
        """Take one Adam step on MMD²_u between a generated and a real batch.

        Raises
        ------
        NonFiniteError
            If the loss or a gradient is NaN or infinite. The weights are those of
            the last good update, because the check comes before the optimiser
            step.
        """
        batch = self.config.batch_size
        if self.config.lr_schedule != "constant":
            for group in self.optG.param_groups:
                group["lr"] = self.config.lr * self.learning_rate_factor()
        real = self._real_batch()
        fake = self.netG(self._noise(batch))

        # Pick the bandwidths on the pooled batch, then estimate MMD².
        bandwidths = self._bandwidths(torch.cat([fake, real]))
        loss = mmd2_unbiased(fake, real, bandwidths)
        self._check_finite("MMD² loss", loss)

        # Update G, unless a gradient is not finite.
        self.optG.zero_grad(set_to_none=True)
        loss.backward()
        for parameter in self.netG.parameters():
            if not bool(torch.isfinite(parameter.grad).all()):
                self._check_finite("generator gradient", parameter.grad.sum())
        self.optG.step()
        self.bandwidths = bandwidths.detach()

        self.step += 1
        record = {
            "step": self.step,
            "mmd2": loss.item(),
            "bandwidth": float(bandwidths[0]) * self.data_scale,
        }
        self.history.append(*record.values())
        self.last_good.update(self)
        return record

    @torch.no_grad()
    def witness(self, points: np.ndarray) -> np.ndarray:
        """Return the witness function f at points in data coordinates, shape (n,).

        f is computed from a fixed subset of up to 1,000 real points and 1,000
        generated points with the bandwidths of the last training step.
        """
        x = torch.from_numpy(self.dataset.normalise(points)).to(self.device)
        generated = self.netG(self._witness_noise)
        values = witness(x, self._witness_real, generated, self.bandwidths)
        return values.cpu().numpy().astype(np.float64)

    def snapshot(self) -> dict:
        """Return plain data for the views: history, samples, bandwidths, witness.

        Keys for every data set:

        - ``step``, ``total_steps``, and ``history`` (a dict of column arrays).
        - ``last``: the latest record, or None before the first step.
        - ``generated``: the fixed latent batch's images in data coordinates,
          shape (view_size, dim).
        - ``bandwidths``: the kernel bandwidths of the last step in data units,
          the base bandwidth first.
        - ``metrics``: the result of ``live_metrics.update``, when set.

        One witness view, by the data's kind:

        - 1-D: ``witness_curve`` with ``x`` and ``witness`` arrays.
        - 2-D: ``witness_map`` with ``x``, ``y`` and ``witness`` of shape
          (len(x), len(y)), f evaluated at (x[i], y[j]).
        - Images: ``witness_images`` with ``missing``, the 16 of 400 real images
          of highest f, which the generator under-represents, and ``excess``, the
          16 of 400 generated images of lowest f.
        """
        snapshot = self._snapshot_start()
        snapshot["bandwidths"] = [float(b) * self.data_scale for b in self.bandwidths]
        self._add_live_metrics(snapshot)
        grid = self._view_grid
        if grid is None:
            snapshot["witness_images"] = self._witness_images()
        elif self.dataset.dim == 1:
            values = self.witness(grid["x"][:, None])
            snapshot["witness_curve"] = {"x": grid["x"], "witness": values}
        else:
            snapshot["witness_map"] = {
                "x": grid["x"],
                "y": grid["y"],
                "witness": self._witness_map(grid["x"], grid["y"]),
            }
        return snapshot

    @torch.no_grad()
    def _witness_map(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dataset = self.dataset
        xs = (x - dataset.shift[0]) / dataset.scale[0]
        ys = (y - dataset.shift[1]) / dataset.scale[1]
        values = witness_on_grid(
            torch.from_numpy(xs.astype(np.float32)).to(self.device),
            torch.from_numpy(ys.astype(np.float32)).to(self.device),
            self._witness_real,
            self.netG(self._witness_noise),
            self.bandwidths,
        )
        return values.cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def _witness_images(self, count: int = 16) -> dict:
        generated = self.netG(self._witness_noise[:WITNESS_IMAGE_POINTS])
        real = self._witness_real[:WITNESS_IMAGE_POINTS]
        bandwidths = self.bandwidths
        real_values = witness(real, real, generated, bandwidths)
        fake_values = witness(generated, real, generated, bandwidths)
        missing = real[torch.argsort(real_values, descending=True)[:count]]
        excess = generated[torch.argsort(fake_values)[:count]]
        return {
            "missing": self.dataset.denormalise(missing.cpu().numpy()),
            "excess": self.dataset.denormalise(excess.cpu().numpy()),
        }

    def _modules_by_prefix(self):
        return [("G", self.netG)]

    def _optimizers_by_prefix(self):
        return [("optG", self.optG)]

    def _restore_extra_tensors(self, tensors: dict) -> None:
        bandwidths = tensors["bandwidths"]
        if bandwidths is not None and bandwidths.ndim == 1 and len(bandwidths):
            self.bandwidths = bandwidths.to(self.device, torch.float32)
