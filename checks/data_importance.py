"""Permutation importance with repeated shuffles and a noise band (data.2, reused by data.3).

Importance of a feature = how much the metric worsens when that feature's
column is shuffled (sign follows the metric's direction, so positive = useful).
Each feature is shuffled ``n_repeats`` times; a feature is *within noise* when
``mean − noise_k · std <= min_importance``. All shuffled copies of a block of
(feature, repeat) pairs are stacked into one matrix and predicted in one call,
so fast models and torch modules are not dominated by per-call overhead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.checks.data_tables import Tabular, is_torch_module, to_array
from mltestscore.checks.data_text import MAX_TABLE, short_list
from mltestscore.metrics import Metric, as_metric
from mltestscore.results import CheckResult

SHARED_KEY = "data.2/importance"  # context.shared entry: {"metric": name, "importance": {...}}


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


def make_predict(model: Any, what: str = "model") -> Callable[[Any], np.ndarray]:
    """A ``predict(X) -> np.ndarray`` for a scikit-learn-style estimator, torch module or callable."""
    if is_torch_module(model):
        return _torch_predict(model)
    predict = getattr(model, "predict", None)
    if callable(predict):
        return lambda X: to_array(predict(X), f"{what}.predict output")
    if callable(model):
        return lambda X: to_array(model(X), f"{what} output")
    raise TypeError(
        f"{what}: expected a fitted estimator with predict(), a torch.nn.Module or a "
        f"predict callable, got {type(model).__name__}"
    )


def _torch_predict(module: Any) -> Callable[[Any], np.ndarray]:
    import torch

    def predict(X: Any) -> np.ndarray:
        values = X.to_numpy() if isinstance(X, pd.DataFrame) else X
        param = next(module.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        try:
            array = np.asarray(values, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"eval_data: a torch model needs numeric features, got {exc}; encode "
                "categorical columns first or pass a predict callable"
            ) from exc
        tensor = torch.as_tensor(array, device=device)
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                out = module(tensor)
        finally:
            module.train(was_training)
        if isinstance(out, (tuple, list)):
            out = out[0]
        return as_labels(to_array(out, "model output"))  # class scores → class index

    return predict


def as_labels(predictions: np.ndarray) -> np.ndarray:
    """Model outputs as one prediction per row: argmax of (N, C) scores, squeeze of (N, 1)."""
    if predictions.ndim == 2 and predictions.shape[1] > 1:
        return np.asarray(predictions.argmax(axis=1))
    return predictions.reshape(len(predictions))


def _per_row(metric: Metric, predictions: np.ndarray) -> np.ndarray:
    """Built-in metrics get one prediction per row; a team's metric gets outputs unchanged."""
    if metric.name in _BUILTIN_METRICS or predictions.ndim == 1:
        return as_labels(predictions)
    return predictions


def default_metric(model: Any, y: np.ndarray) -> Metric:
    """Accuracy for classifiers, R² for regressors (scikit-learn's tag, else the target's dtype)."""
    kind = getattr(model, "_estimator_type", None)
    if kind is None and hasattr(model, "__sklearn_tags__"):
        kind = getattr(model.__sklearn_tags__(), "estimator_type", None)
    if kind == "regressor" or (kind != "classifier" and y.dtype.kind == "f"):
        return Metric("r2", _r2, higher_is_better=True)
    return Metric("accuracy", _accuracy, higher_is_better=True)


_BUILTIN_METRICS = ("accuracy", "r2")


def _accuracy(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _r2(y_true: Any, y_pred: Any) -> float:
    y_true = np.asarray(y_true, dtype=np.float64)
    residual = float(np.sum((y_true - np.asarray(y_pred, dtype=np.float64)) ** 2))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    return 1.0 - residual / total if total > 0 else 0.0


def _stack(X: pd.DataFrame | np.ndarray, pairs: np.ndarray, perms: np.ndarray) -> Any:
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
    model: Any,
    data: Tabular,
    metric: Any = None,
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
    fitted_names = getattr(model, "feature_names_in_", None)
    if isinstance(X, np.ndarray) and fitted_names is not None and len(fitted_names) == X.shape[1]:
        X = pd.DataFrame(X, columns=list(fitted_names))  # as the model was fitted
    if isinstance(X, pd.DataFrame):
        X = X.reset_index(drop=True)
    elif is_torch_module(model) or X.dtype.kind in "biu":
        X = X.astype(np.float32 if is_torch_module(model) else np.float64)
    scorer = as_metric(metric) if metric is not None else default_metric(model, y)
    predict = make_predict(model)
    n, n_features = len(y), len(data.feature_names)
    baseline = scorer(y, _per_row(scorer, predict(X)))
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
            scores[start + i] = scorer(y, _per_row(scorer, part))
    drops = np.array([scorer.regression(s, baseline) for s in scores]).reshape(
        n_features, n_repeats
    )
    means, stds = drops.mean(axis=1), drops.std(axis=1, ddof=1)
    features = tuple(
        FeatureImportance(name, float(mu), float(sd), float(mu - noise_k * sd))
        for name, mu, sd in zip(data.feature_names, means, stds, strict=True)
    )
    return ImportanceResult(scorer.name, float(baseline), n, n_repeats, features)


def judge(result: ImportanceResult, *, noise_k: float, min_importance: float) -> CheckResult:
    """FAIL when any feature's lower bound is at or below ``min_importance``."""
    ranked = sorted(result.features, key=lambda f: -f.mean)
    weak = [f for f in ranked if f.lower <= min_importance]
    table = [f.to_dict() | {"within_noise": f.lower <= min_importance} for f in ranked]
    evidence = {
        "metric": result.metric,
        "baseline": round(result.baseline, 6),
        "rows": result.rows,
        "n_repeats": result.n_repeats,
        "noise_k": noise_k,
        "features": len(ranked),
        "within_noise": [f.name for f in weak][:MAX_TABLE],
        "importance": (
            table[: MAX_TABLE - 10] + [t for t in table[MAX_TABLE - 10 :] if t["within_noise"]]
        )[:MAX_TABLE],
    }
    if weak:
        return CheckResult.failed(
            f"{len(weak)} of {len(ranked)} feature(s) are not beneficial (permutation "
            f"importance on {result.metric} within {noise_k:g}·std of {min_importance:g}): "
            f"{short_list([f'{f.name} ({f.mean:+.4f}±{f.std:.4f})' for f in weak])}",
            evidence,
            "Remove these features (or find out why they do not help: broken pipeline, "
            "leakage elsewhere, or a correlated feature sharing the credit) and retrain.",
        )
    return CheckResult.passed(
        f"all {len(ranked)} features beat the noise band on {result.metric} "
        f"(weakest: {ranked[-1].name} {ranked[-1].mean:+.4f}±{ranked[-1].std:.4f})",
        evidence,
    )
