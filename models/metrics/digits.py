"""Scores for generated 8x8 digits from a small classifier fit on the real digits.

The classifier is a perceptron with one hidden layer of 64 tanh units, fit by
scikit-learn's ``MLPClassifier`` on pixels / 16 of the 1,797 images of
``sklearn.datasets.load_digits``, which ships with scikit-learn. It is fit on a fixed
stratified 70 % split with fixed seeds. The other 30 % (540 images) are the held-out
real digits that KID compares against and that :func:`reference_real_metrics` scores.

Only the weights are kept, as numpy arrays, so the forward pass here is plain numpy
and a cache file is a ``.npz`` of arrays read with ``allow_pickle=False``: loading
it cannot run code.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import softmax, xlogy

from models.metrics._common import as_rng, as_sample_matrix, single_blas_thread
from models.metrics.mmd import DEFAULT_MAX_POINTS, kernel_inception_distance
from models.metrics.modes import kl_to_uniform

logger = logging.getLogger(__name__)

DIGIT_FEATURES = 64
"""Pixels per digit image (8 x 8, row-major)."""

DIGIT_CLASSES = 10
"""Number of digit classes, 0 to 9."""

DIGIT_PIXEL_MAX = 16.0
"""Largest pixel value of ``load_digits`` images, whose pixels lie in [0, 16]."""

HOLDOUT_FRACTION = 0.3
SPLIT_SEED = 0
HIDDEN_UNITS = 64
L2_PENALTY = 0.1
CACHE_FORMAT_VERSION = 1
CACHE_FILENAME = f"digit_classifier_v{CACHE_FORMAT_VERSION}.npz"


@functools.lru_cache(maxsize=1)
def _real_digits() -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.ascontiguousarray(bunch.data, dtype=np.float64)
    labels = np.ascontiguousarray(bunch.target, dtype=np.int64)
    checksum = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    return images, labels, checksum


@dataclass(frozen=True, eq=False)
class DigitClassifier:
    """Weights of the digit classifier and the indices of its held-out digits.

    The forward pass is h = tanh(x W1 + b1), p = softmax(h W2 + b2) with x the
    pixels divided by 16. The hidden activations h are the features for KID.

    Attributes
    ----------
    hidden_weights : numpy.ndarray
        W1, shape (64, hidden units).
    hidden_bias : numpy.ndarray
        b1, shape (hidden units,).
    output_weights : numpy.ndarray
        W2, shape (hidden units, 10).
    output_bias : numpy.ndarray
        b2, shape (10,).
    holdout_index : numpy.ndarray
        Indices into ``load_digits()`` of the real digits left out of the fit.
    """

    hidden_weights: np.ndarray
    hidden_bias: np.ndarray
    output_weights: np.ndarray
    output_bias: np.ndarray
    holdout_index: np.ndarray

    def __post_init__(self) -> None:
        # Private read-only copies, because one instance is shared through the
        # cache of load_digit_classifier.
        for name, dtype in (
            ("hidden_weights", np.float64),
            ("hidden_bias", np.float64),
            ("output_weights", np.float64),
            ("output_bias", np.float64),
            ("holdout_index", np.int64),
        ):
            array = np.array(getattr(self, name), dtype=dtype)
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @property
    def holdout_images(self) -> np.ndarray:
        """Held-out real digits on the 0-16 pixel scale, shape (m, 64)."""
        return _real_digits()[0][self.holdout_index]

    @property
    def holdout_labels(self) -> np.ndarray:
        """True classes of the held-out digits, shape (m,)."""
        return _real_digits()[1][self.holdout_index]

    def forward(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return hidden features (n, hidden units) and class probabilities (n, 10).

        ``images`` has shape (n, 64) on the 0-16 pixel scale and is not checked.
        """
        hidden = np.tanh(
            (images / DIGIT_PIXEL_MAX) @ self.hidden_weights + self.hidden_bias
        )
        logits = hidden @ self.output_weights + self.output_bias
        return hidden, softmax(logits, axis=1)

    def holdout_accuracy(self) -> float:
        """Return the fraction of held-out digits classified correctly."""
        _, probabilities = self.forward(self.holdout_images)
        return float(np.mean(probabilities.argmax(axis=1) == self.holdout_labels))

    def save(self, path: str | os.PathLike) -> None:
        """Write the weights to a ``.npz`` file, replacing it atomically.

        Raises
        ------
        OSError
            If the folder cannot be created or the file cannot be written.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as file:
                np.savez(
                    file,
                    format_version=np.array(CACHE_FORMAT_VERSION),
                    data_checksum=np.array(_real_digits()[2]),
                    hidden_weights=self.hidden_weights,
                    hidden_bias=self.hidden_bias,
                    output_weights=self.output_weights,
                    output_bias=self.output_bias,
                    holdout_index=self.holdout_index,
                )
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | os.PathLike) -> DigitClassifier:
        """Read weights written by :meth:`save`.

        Raises
        ------
        OSError
            If the file cannot be read.
        ValueError
            If the file is not a valid ``.npz``, was written by another cache format
            or for other digit data, or contains arrays of the wrong shape.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                classifier = cls._from_arrays(data, str(path))
        except (zipfile.BadZipFile, EOFError, TypeError) as error:
            raise ValueError(f"{path} is not a valid weights file: {error}") from error
        classifier._validate(str(path))
        return classifier

    @classmethod
    def _from_arrays(cls, data, path: str) -> DigitClassifier:
        missing = {
            "format_version",
            "data_checksum",
            "hidden_weights",
            "hidden_bias",
            "output_weights",
            "output_bias",
            "holdout_index",
        } - set(data.files)
        if missing:
            raise ValueError(f"{path} is missing arrays {sorted(missing)}")
        if int(data["format_version"]) != CACHE_FORMAT_VERSION:
            raise ValueError(
                f"{path} has cache format {int(data['format_version'])}, "
                f"expected {CACHE_FORMAT_VERSION}"
            )
        if str(data["data_checksum"]) != _real_digits()[2]:
            raise ValueError(f"{path} was fit on different digit data")
        return cls(
            hidden_weights=data["hidden_weights"],
            hidden_bias=data["hidden_bias"],
            output_weights=data["output_weights"],
            output_bias=data["output_bias"],
            holdout_index=data["holdout_index"],
        )

    def _validate(self, source: str) -> None:
        hidden = self.hidden_bias.shape[0] if self.hidden_bias.ndim == 1 else -1
        expected = {
            "hidden_weights": (DIGIT_FEATURES, hidden),
            "hidden_bias": (hidden,),
            "output_weights": (hidden, DIGIT_CLASSES),
            "output_bias": (DIGIT_CLASSES,),
        }
        for name, shape in expected.items():
            array = getattr(self, name)
            if array.shape != shape or hidden < 1:
                raise ValueError(
                    f"{source}: {name} has shape {array.shape}, expected {shape}"
                )
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{source}: {name} contains NaN or infinite values")
        index = self.holdout_index
        num_digits = _real_digits()[0].shape[0]
        if (
            index.ndim != 1
            or index.size < 2
            or index.min() < 0
            or index.max() >= num_digits
            or np.unique(index).size != index.size
        ):
            raise ValueError(
                f"{source}: holdout_index must be at least 2 distinct indices in "
                f"[0, {num_digits}), got shape {index.shape}"
            )


def fit_digit_classifier() -> DigitClassifier:
    """Fit the digit classifier on the fixed training split of the real digits.

    The split is stratified by class with ``random_state=0`` and keeps 30 % of the
    images out. The network is ``MLPClassifier(hidden_layer_sizes=(64,),
    activation="tanh", alpha=0.1, solver="lbfgs", random_state=0)`` on pixels / 16.
    The L2 penalty ``alpha`` is larger than scikit-learn's default so that the
    network is less confident on images unlike any digit. The weights can differ
    between versions of scikit-learn, numpy or the BLAS library.

    Most callers want :func:`load_digit_classifier`, which fits once per process.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    images, labels, _ = _real_digits()
    train_index, holdout_index = train_test_split(
        np.arange(images.shape[0]),
        test_size=HOLDOUT_FRACTION,
        stratify=labels,
        random_state=SPLIT_SEED,
    )

    # One BLAS thread, because the matrices are small. On a machine whose 2 cores
    # were busy, 2 OpenBLAS threads made this fit 30 times slower (6 s against 0.2 s).
    start = time.perf_counter()
    network = MLPClassifier(
        hidden_layer_sizes=(HIDDEN_UNITS,),
        activation="tanh",
        alpha=L2_PENALTY,
        solver="lbfgs",
        max_iter=500,
        random_state=SPLIT_SEED,
    )
    with single_blas_thread():
        network.fit(images[train_index] / DIGIT_PIXEL_MAX, labels[train_index])
    classifier = DigitClassifier(
        hidden_weights=network.coefs_[0],
        hidden_bias=network.intercepts_[0],
        output_weights=network.coefs_[1],
        output_bias=network.intercepts_[1],
        holdout_index=np.sort(holdout_index),
    )
    logger.info(
        "Fit the digit classifier in %.2f s (%d iterations), held-out accuracy %.3f",
        time.perf_counter() - start,
        network.n_iter_,
        classifier.holdout_accuracy(),
    )
    return classifier


@functools.lru_cache(maxsize=4)
def load_digit_classifier(
    cache_dir: str | os.PathLike | None = None,
) -> DigitClassifier:
    """Return the digit classifier, fit once per process and per ``cache_dir``.

    Parameters
    ----------
    cache_dir : str or os.PathLike, optional
        Folder for a weights file named ``digit_classifier_v1.npz``, for example the
        application's user cache folder. A valid file there is loaded in place of a
        fit. A missing or invalid file is replaced by a new fit, and a file that
        cannot be written is logged and skipped. None fits without touching the
        disk.
    """
    if cache_dir is None:
        return fit_digit_classifier()

    path = Path(cache_dir) / CACHE_FILENAME
    if path.exists():
        try:
            classifier = DigitClassifier.load(path)
        except (OSError, ValueError) as error:
            logger.warning(
                "Invalid digit classifier cache, refitting: %s", error, exc_info=True
            )
        else:
            logger.debug("Loaded the digit classifier from %s", path)
            return classifier

    classifier = fit_digit_classifier()
    try:
        classifier.save(path)
    except OSError:
        logger.warning(
            "Failed to cache the digit classifier in %s", path, exc_info=True
        )
    else:
        logger.info("Cached the digit classifier in %s", path)
    return classifier


def _as_digit_images(samples) -> np.ndarray:
    shape = np.shape(samples)
    if len(shape) != 2 or shape[1] != DIGIT_FEATURES:
        raise ValueError(
            f"digit samples must have shape (n, {DIGIT_FEATURES}), got {shape}; "
            "flatten each 8x8 image row by row"
        )
    images = as_sample_matrix(samples, "digit samples", min_rows=2)
    return np.clip(images, 0.0, DIGIT_PIXEL_MAX)


def _class_scores(
    probabilities: np.ndarray, coverage_confidence: float, high_confidence: float
) -> dict:
    max_probability = probabilities.max(axis=1)
    covered = max_probability >= coverage_confidence
    class_counts = np.bincount(
        probabilities.argmax(axis=1)[covered], minlength=DIGIT_CLASSES
    )

    # Inception score: exp of the mean KL(p(y|x) || p(y)), with 0 log 0 = 0. The
    # mean is >= 0 in exact arithmetic, so clipping only removes rounding error.
    marginal = probabilities.mean(axis=0)
    divergences = np.sum(
        xlogy(probabilities, probabilities) - xlogy(probabilities, marginal), axis=1
    )
    mean_divergence = max(float(np.mean(divergences)), 0.0)
    return {
        "classes_covered": int(np.count_nonzero(class_counts)),
        "class_counts": [int(count) for count in class_counts],
        "class_kl": kl_to_uniform(class_counts),
        "confident_fraction": float(np.mean(max_probability >= high_confidence)),
        "inception_score": float(np.exp(mean_divergence)),
    }


def _checked_confidences(coverage_confidence: float, high_confidence: float) -> None:
    for name, value in (
        ("coverage_confidence", coverage_confidence),
        ("high_confidence", high_confidence),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")


def digit_metrics(
    samples,
    rng: np.random.Generator | None = None,
    *,
    classifier: DigitClassifier | None = None,
    coverage_confidence: float = 0.5,
    high_confidence: float = 0.9,
    max_points: int = DEFAULT_MAX_POINTS,
) -> dict:
    """Score generated digits with the classifier fit on real digits.

    Pixels are clipped to [0, 16] first. With p(y|x) the classifier's class
    probabilities for a sample x:

    - ``class_counts``: per class, the samples whose most probable class it is with
      probability at least ``coverage_confidence``.
    - ``classes_covered``: classes with a non-zero count.
    - ``class_kl``: KL(q || u) = log 10 - H(q) of the normalised ``class_counts`` q
      to the uniform distribution u over 10 classes, in nats. It is NaN when no
      sample reaches ``coverage_confidence``, because q is then undefined.
    - ``confident_fraction``: fraction of samples with max_y p(y|x) at least
      ``high_confidence``.
    - ``inception_score``: exp(E_x KL(p(y|x) || p(y))) with p(y) = E_x p(y|x)
      (Salimans et al., 2016, "Improved techniques for training GANs", NeurIPS),
      computed with this classifier in place of the Inception network. It ranges
      from 1 (every sample gets the same probabilities) to 10 (confident and
      evenly spread over the classes).
    - ``kid``: kernel inception distance (Bińkowski et al., 2018) between the
      hidden features of the samples and of the held-out real digits, see
      :func:`models.metrics.mmd.kernel_inception_distance`.

    The classifier is confident on many noise images, so a noise generator can
    still cover most classes. Read ``classes_covered`` together with
    ``inception_score`` and ``kid``.

    Parameters
    ----------
    samples : array_like of shape (n, 64)
        Generated images on the 0-16 pixel scale, one row-major 8x8 image per row,
        n >= 2.
    rng : numpy.random.Generator, optional
        Draws the KID subsample when n exceeds ``max_points``. None means a
        generator seeded with 0.
    classifier : DigitClassifier, optional
        None uses :func:`load_digit_classifier` without a cache folder.
    coverage_confidence : float
        Minimum max_y p(y|x) for a sample to count towards ``class_counts``.
    high_confidence : float
        Minimum max_y p(y|x) for ``confident_fraction``.
    max_points : int
        Cap on the samples used for KID.

    Returns
    -------
    dict
        The keys listed above. Counts are ints, ``class_counts`` is a list of 10
        ints, and the rest are floats.

    Raises
    ------
    ValueError
        If the samples do not have shape (n, 64) with n >= 2, contain NaN or
        infinite values, or a confidence lies outside [0, 1].
    """
    images = _as_digit_images(samples)
    _checked_confidences(coverage_confidence, high_confidence)
    if classifier is None:
        classifier = load_digit_classifier()

    with single_blas_thread():
        features, probabilities = classifier.forward(images)
        reference_features, _ = classifier.forward(classifier.holdout_images)
    scores = _class_scores(probabilities, coverage_confidence, high_confidence)
    scores["kid"] = kernel_inception_distance(
        features, reference_features, max_points=max_points, rng=as_rng(rng)
    )
    return scores


def reference_real_metrics(
    classifier: DigitClassifier | None = None,
    *,
    coverage_confidence: float = 0.5,
    high_confidence: float = 0.9,
) -> dict:
    """Compute the :func:`digit_metrics` scores for the held-out real digits.

    These are the values a perfect generator would get, for display next to the
    generated ones. All scores except ``kid`` use the 540 held-out digits. KID
    compares two disjoint random halves of them, split with seed 0, because an
    unbiased estimate needs two independent samples. Its expectation is 0, but
    it is noisier than a generated sample's KID against all 540 digits.

    Parameters
    ----------
    classifier : DigitClassifier, optional
        None uses :func:`load_digit_classifier` without a cache folder.
    coverage_confidence, high_confidence : float
        As in :func:`digit_metrics`.

    Returns
    -------
    dict
        The same keys as :func:`digit_metrics`.
    """
    _checked_confidences(coverage_confidence, high_confidence)
    if classifier is None:
        classifier = load_digit_classifier()

    with single_blas_thread():
        features, probabilities = classifier.forward(classifier.holdout_images)
    scores = _class_scores(probabilities, coverage_confidence, high_confidence)
    order = np.random.default_rng(0).permutation(features.shape[0])
    half = features.shape[0] // 2
    scores["kid"] = kernel_inception_distance(
        features[order[:half]], features[order[half:]]
    )
    return scores
