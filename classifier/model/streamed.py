"""Training rows too many to hold: their features on disk, a file per batch, and the calibrated SGD on them.

The feature matrix of ten million headlines takes gigabytes, and the
calibrated model needs several passes over it: the full fit and one per
calibration fold, each :attr:`~classifier.model.sgd.EpochSGDClassifier.epochs`
passes. :class:`SpilledRows` writes each batch's matrix to its own file as it is
built and keeps only the targets and weights in memory; a pass reads the files
back one at a time, in a new seeded order each epoch (stochastic gradient descent
shuffles within each batch itself). The memory is then one batch's matrix plus a
few numbers per row, whatever the number of rows.

:func:`fit_calibrated` is :meth:`CalibratedLinearClassifier.fit
<classifier.model.calibration.CalibratedLinearClassifier.fit>` over such rows,
single-label only: the same full fit, the same stratified folds, the same link
and weight-growth correction. The link is fitted on the out-of-fold scores of a
seeded sample of at most :data:`~classifier.settings.LINK_ROWS` rows: a
temperature is one number, and a few hundred thousand rows pin it down as well
as ten million. The solver runs in the features' own float32 here (in memory,
the calibrated model hands it float64): the coefficients differ by about 1e-6.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.base import clone

from classifier import settings as defaults
from classifier.model.calibration import (
    CalibratedLinearClassifier,
    fold_scores,
    linear_terms,
    stratified_folds,
    weight_growth,
)
from classifier.model.sgd import EpochSGDClassifier

__all__ = ["SpilledRows", "fit_calibrated"]


class SpilledRows:
    """Training rows whose features are written to ``folder``, one file per :meth:`add`.

    Targets (class labels) and weights stay in memory, in the order the rows were added.
    """

    def __init__(self, folder: Path, seed: int = 0) -> None:
        self.folder = Path(folder)
        self.seed = seed
        self._files: list[Path] = []
        self._targets: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []

    def add(self, X: sparse.csr_matrix, targets: np.ndarray, weights: np.ndarray) -> None:
        """Write one batch's features (a CSR matrix) and keep its rows' targets and weights."""
        if not (X.shape[0] == len(targets) == len(weights)):
            raise ValueError(f"{X.shape[0]} rows of features, {len(targets)} targets, {len(weights)} weights")
        path = self.folder / f"rows-{len(self._files):06d}.npz"
        sparse.save_npz(path, sparse.csr_matrix(X), compressed=False)
        self._files.append(path)
        self._targets.append(np.asarray(targets))
        self._weights.append(np.asarray(weights, dtype=np.float64))

    def _starts(self) -> np.ndarray:
        """The number of each file's first row, and the number of rows after the last file."""
        return np.cumsum([0] + [len(targets) for targets in self._targets])

    @property
    def targets(self) -> np.ndarray:
        return np.concatenate(self._targets) if self._targets else np.zeros(0)

    @property
    def weights(self) -> np.ndarray:
        return np.concatenate(self._weights) if self._weights else np.zeros(0)

    def batches(
        self, rows: np.ndarray, epoch: int
    ) -> Iterator[tuple[sparse.csr_matrix, np.ndarray, np.ndarray]]:
        """``(X, targets, weights)`` of the rows where ``rows`` (a mask over all rows) is true,
        a file at a time, in the seeded order of ``epoch``."""
        starts = self._starts()
        for batch in np.random.default_rng(self.seed + epoch).permutation(len(self._files)):
            wanted = np.flatnonzero(rows[starts[batch] : starts[batch + 1]])
            if len(wanted) == 0:
                continue
            X, targets, weights = (
                sparse.load_npz(self._files[batch]),
                self._targets[batch],
                self._weights[batch],
            )
            if len(wanted) < len(targets):
                X, targets, weights = X[wanted], targets[wanted], weights[wanted]
            yield X, targets, weights

    def scores(self, model, rows: np.ndarray) -> np.ndarray:
        """``model``'s decision scores (:func:`~classifier.model.calibration.fold_scores`) of the rows where
        ``rows`` is true, in row order."""
        starts = self._starts()
        parts = []
        for batch, path in enumerate(self._files):
            wanted = np.flatnonzero(rows[starts[batch] : starts[batch + 1]])
            if len(wanted):
                parts.append(fold_scores(model, sparse.load_npz(path)[wanted]))
        return np.vstack(parts) if parts else np.zeros((0, len(model.classes_)))


def fit_calibrated(
    rows: SpilledRows,
    calibrated: CalibratedLinearClassifier,
    *,
    labels: np.ndarray,
    on_fit: Callable[[], None] | None = None,
) -> CalibratedLinearClassifier:
    """``calibrated`` (unfitted, of an :class:`EpochSGDClassifier`) fitted on ``rows`` as the module
    docstring says.

    The rows' targets are numbers: ``labels[target]`` is a row's class, and ``labels`` are the
    model's classes, sorted. ``on_fit`` is called after every pass of every fit.
    """
    targets, weights = rows.targets, rows.weights
    classes, codes = np.unique(targets, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"needs rows of at least 2 classes, but the data has only one class: {classes[0]}")
    estimator = clone(calibrated.estimator).set_params(on_epoch=on_fit)

    def fitted(kept: np.ndarray) -> EpochSGDClassifier:
        totals = np.bincount(codes[kept], weights=weights[kept], minlength=len(classes))
        present = np.flatnonzero(totals > 0)
        return clone(estimator).fit_batches(
            lambda epoch: rows.batches(kept, epoch), classes[present], totals[present]
        )

    linear = fitted(np.ones(len(targets), dtype=bool))
    full_coef = linear_terms(linear)[0].astype(np.float32)
    folds = stratified_folds(codes, calibrated.cv, calibrated.random_state)
    sample = np.zeros(len(targets), dtype=bool)
    rng = np.random.default_rng(calibrated.random_state)
    sample[rng.permutation(len(targets))[: defaults.LINK_ROWS]] = True
    scores = np.full((int(sample.sum()), len(classes)), np.nan)
    position = np.cumsum(sample) - 1  # of each sampled row in ``scores``
    growth = []
    for fold in range(calibrated.cv):
        held_out = folds == fold
        if not held_out.any() or len(np.unique(codes[~held_out])) < 2:
            continue
        model = fitted(~held_out)
        learnable = np.searchsorted(classes, model.classes_)
        scored = held_out & sample
        scores[np.ix_(position[scored], learnable)] = rows.scores(model, scored)
        growth.append(weight_growth(full_coef[learnable], model))
    linear.classes_ = np.asarray(labels)[classes]
    truth = (codes[sample][:, None] == np.arange(len(classes))[None, :]).astype(int)
    return clone(calibrated).fit_from_scores(
        linear, scores, truth, weights[sample], float(np.mean(growth)) if growth else 1.0
    )
