"""Permutation importance with repeated shuffles and a noise band (data.2, reused by data.3).

Importance of a feature = how much the metric worsens when that feature's
column is shuffled (sign follows the metric's direction, so positive = useful).
Each feature is shuffled ``n_repeats`` times; data.2 calls a feature *within noise*
when ``mean − noise_k · std <= min_importance``. All shuffled copies of a block of
(feature, repeat) pairs are stacked into one matrix and predicted in one call,
so fast models and torch modules are not dominated by per-call overhead.

The model is called through :func:`mltestscore.inputs.predict.make_predict` (a torch
module in eval mode, no grad, on its device and dtype; ``predict``; a callable), the
metric chosen by :func:`mltestscore.inputs.labels.default_metric` and outputs turned
into one prediction per row by :func:`mltestscore.inputs.labels.as_labels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.inputs.arrays import Array, is_torch_module
from mltestscore.inputs.labels import as_labels, default_metric
from mltestscore.inputs.predict import make_predict
from mltestscore.inputs.tables import Tabular
from mltestscore.metrics import Metric

SHARED_KEY = "data.2/importance"  # context.shared entry: {"metric": name, "importance": {...}}
_BUILTIN_METRICS = ("accuracy", "r2")


@dataclass(frozen=True)
class FeatureImportance:
    name: str
    mean: float
    std: float
    lower: float  # mean − noise_k · std

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.name,
            "importance": round(self.mean, 6),
            "std": round(self.std, 6),
            "lower_bound": round(self.lower, 6),
        }


@dataclass(frozen=True)
class ImportanceResult:
    metric: str
    baseline: float
    rows: int
    n_repeats: int
    features: tuple[FeatureImportance, ...]

    def as_mapping(self) -> dict[str, float]:
        return {f.name: f.mean for f in self.features}


def _per_row(metric: Metric, outputs: Array, y: Array, torch_model: bool) -> Array:
    """One prediction per row for built-in metrics and torch class scores (any metric);
    a team's metric gets other models' outputs unchanged."""
    if torch_model or metric.name in _BUILTIN_METRICS or outputs.ndim == 1:
        return as_labels(outputs, y)
    return outputs


def _stack(X: pd.DataFrame | Array, pairs: Array, perms: Array) -> pd.DataFrame | Array:
    """Copies of ``X``, one per (feature, permutation) pair, that feature's column shuffled."""
    n, m = len(X), len(pairs)
    if isinstance(X, pd.DataFrame):
        columns = {c: np.tile(X[c].to_numpy(), m) for c in X.columns}
        names = list(X.columns)
        for i, (j, perm) in enumerate(zip(pairs, perms, strict=True)):
            source = X.iloc[:, j].to_numpy()
            columns[names[j]][i * n : (i + 1) * n] = source[perm]
        return pd.DataFrame(columns, columns=names).astype(X.dtypes.to_dict())
    stacked = np.tile(X, (m, 1))
    rows = (np.arange(m)[:, None] * n + np.arange(n)[None, :]).ravel()
    cols = np.repeat(pairs, n)
    stacked[rows, cols] = X[perms.ravel(), cols]
    return stacked


def permutation_importance(
    model: object,
    data: Tabular,
    metric: object = None,
    *,
    n_repeats: int = 5,
    noise_k: float = 2.0,
    max_rows: int = 2000,
    seed: int = 0,
    max_batch_cells: int = 4_000_000,
) -> ImportanceResult:
    """Permutation importance of every feature of ``data`` for ``model`` (see module doc)."""
    if n_repeats < 2:
        raise ValueError(f"n_repeats must be ≥ 2 to estimate the noise band, got {n_repeats}")
    rng = np.random.default_rng(seed)
    X, y = data.X, data.y
    if data.rows > max_rows:
        keep = np.sort(rng.choice(data.rows, size=max_rows, replace=False))
        X = X.iloc[keep] if isinstance(X, pd.DataFrame) else X[keep]
        y = y[keep]
    torch_model = is_torch_module(model)
    fitted_names = getattr(model, "feature_names_in_", None)
    if isinstance(X, np.ndarray) and fitted_names is not None and len(fitted_names) == X.shape[1]:
        X = pd.DataFrame(X, columns=list(fitted_names))  # as the model was fitted
    if isinstance(X, pd.DataFrame):
        X = X.reset_index(drop=True)
    elif not torch_model and X.dtype.kind in "biu":  # torch: inputs.predict picks the dtype
        X = X.astype(np.float64)
    scorer = default_metric(y, metric, model)
    predict = make_predict(model)
    n, n_features = len(y), len(data.feature_names)
    baseline = scorer(y, _per_row(scorer, predict(X), y, torch_model))
    if not np.isfinite(baseline):
        raise ValueError(f"metric {scorer.name} is not finite on the unshuffled data: {baseline}")
    pairs = np.repeat(np.arange(n_features), n_repeats)
    perms = rng.random((len(pairs), n)).argsort(axis=1)
    scores = np.empty(len(pairs))
    block = max(1, max_batch_cells // max(1, n * n_features))
    for start in range(0, len(pairs), block):
        chunk = slice(start, start + block)
        outputs = predict(_stack(X, pairs[chunk], perms[chunk]))
        for i, part in enumerate(np.split(outputs, len(pairs[chunk]))):
            scores[start + i] = scorer(y, _per_row(scorer, part, y, torch_model))
    drops = np.array([scorer.regression(s, baseline) for s in scores]).reshape(
        n_features, n_repeats
    )
    means, stds = drops.mean(axis=1), drops.std(axis=1, ddof=1)
    features = tuple(
        FeatureImportance(name, float(mu), float(sd), float(mu - noise_k * sd))
        for name, mu, sd in zip(data.feature_names, means, stds, strict=True)
    )
    return ImportanceResult(scorer.name, float(baseline), n, n_repeats, features)
