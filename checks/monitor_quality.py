"""monitor.7's numbers: quality on recent labelled data, and prediction-distribution drift.

Predictions are reduced to *views* that can be compared without labels
(:func:`prediction_views`): the predicted class (argmax of ``(N, C)`` outputs,
or few distinct labels) and the confidence (max probability; softmax of
logits), a numeric score, or for free text (many distinct strings, e.g. a line
recognizer) the predicted length and the character frequencies. Each view is
summarized with :func:`mltestscore.checks.stats.summarize` (stored in the
baseline) and compared with :func:`mltestscore.checks.stats.compare` (PSI, JS,
KS, L∞ with a significance test). The metric's noise on the recent sample is a
bootstrap standard error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.checks.infra_arrays import is_tensor, to_numpy
from mltestscore.metrics import Metric

MAX_CLASSES = 50
CLASS_VIEWS = ("predicted_class", "character")


@dataclass(frozen=True)
class RecentData:
    """Recent serving inputs ``X`` and their labels ``y`` (``None`` when not labelled yet)."""

    X: Any
    y: np.ndarray | None


def split_recent(recent_data: Any, target: str | None) -> RecentData:
    """``recent_data`` as inputs + optional labels (see the check's docstring for forms)."""
    from mltestscore.checks.data_tables import as_frame
    from mltestscore.checks.infra_predict import split_eval_data

    if isinstance(recent_data, (str, Path)):
        recent_data = as_frame(recent_data, "recent_data")
    if isinstance(recent_data, pd.DataFrame):
        if len(recent_data) == 0:
            raise ValueError("recent_data has no rows")
        if target is not None and target in recent_data.columns:
            labels = recent_data[target]
            if labels.isna().any():
                raise ValueError(
                    f"recent_data: {int(labels.isna().sum())} rows have no label in "
                    f"{target!r}; pass only labelled rows, or drop the column for drift only"
                )
            return RecentData(recent_data.drop(columns=[target]), labels.to_numpy())
        return RecentData(recent_data, None)
    if isinstance(recent_data, (tuple, list)) and len(recent_data) == 2:
        if recent_data[1] is None:
            return RecentData(recent_data[0], None)
        X, y, _ = split_eval_data(tuple(recent_data))
        return RecentData(X, y)
    if isinstance(recent_data, np.ndarray) or is_tensor(recent_data):
        return RecentData(recent_data, None)
    if hasattr(recent_data, "__getitem__") and hasattr(recent_data, "__len__"):
        X, y, _ = split_eval_data(recent_data)
        return RecentData(X, y)
    raise TypeError(
        "recent_data: expected a DataFrame (labels in the ml_target column when known), a "
        "table path, an (X, y) pair (y may be None), an array/tensor of inputs or a Dataset "
        f"of (x, y) items; got {type(recent_data).__name__}"
    )


def predictions(predict: Callable[[Any], Any] | None, model: Any, X: Any) -> np.ndarray:
    """``predict(X)`` when given, else the model's predictions (see infra_predict)."""
    from mltestscore.checks.infra_arrays import first_output
    from mltestscore.checks.infra_predict import default_predict

    if predict is not None:
        if not callable(predict):
            raise TypeError(f"predict: expected a callable(inputs), got {predict!r}")
        return np.asarray(to_numpy(first_output(predict(X)), "predict output"))
    return np.asarray(default_predict(model, X))


def as_labels(preds: np.ndarray) -> np.ndarray:
    """What a metric compares with labels: argmax of ``(N, C)`` scores, else the values."""
    if preds.ndim == 2 and preds.shape[1] > 1 and preds.dtype.kind in "biuf":
        return np.asarray(preds.argmax(axis=1))
    return preds.reshape(len(preds)) if preds.ndim == 2 and preds.shape[1] == 1 else preds


def prediction_views(preds: np.ndarray) -> dict[str, pd.Series]:
    """Label-free views of a set of predictions (see the module docstring)."""
    if preds.ndim == 0 or len(preds) == 0:
        raise ValueError("the model returned no predictions")
    if preds.ndim == 2 and preds.shape[1] > 1 and preds.dtype.kind in "biuf":
        scores = preds.astype(np.float64)
        probs = scores
        if not (np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3)):
            shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
            probs = shifted / shifted.sum(axis=1, keepdims=True)
        return {
            "predicted_class": pd.Series(scores.argmax(axis=1).astype(str)),
            "confidence": pd.Series(probs.max(axis=1)),
        }
    flat = as_labels(preds)
    if flat.ndim != 1:
        raise ValueError(f"predictions of shape {preds.shape} are not supported for drift")
    series = pd.Series(flat)
    unique = series.nunique(dropna=True)
    integral = flat.dtype.kind in "biu" or (
        flat.dtype.kind == "f" and np.all(np.isnan(flat) | (flat == np.round(flat)))
    )
    if flat.dtype.kind == "b" or (flat.dtype.kind in "biuf" and integral and unique <= MAX_CLASSES):
        return {"predicted_class": series.astype(str)}
    if flat.dtype.kind in "iuf":
        return {"prediction": series.astype(np.float64)}
    text = series.astype(str)
    if unique <= MAX_CLASSES:
        return {"predicted_class": text}
    chars = [c for s in text for c in s] or [""]
    return {"length": text.str.len().astype(np.float64), "character": pd.Series(chars)}


def summarize_views(views: Mapping[str, pd.Series]) -> dict[str, Any]:
    """JSON-able reference summaries of each view (for the baseline)."""
    from mltestscore.checks import stats

    out: dict[str, Any] = {}
    for name, series in views.items():
        categorical = [name] if name in CLASS_VIEWS else []
        summary = stats.summarize(
            series.to_frame(name), categorical=categorical, n_quantiles=20, top_k=MAX_CLASSES
        )
        out[name] = summary.to_dict()
    return out


def compare_views(
    recorded: Mapping[str, Any], views: Mapping[str, pd.Series], **thresholds: Any
) -> list[dict[str, Any]]:
    """One row per view present on both sides: its drift statistics and verdict."""
    from mltestscore.checks import stats

    rows = []
    for name, series in views.items():
        if name not in recorded:
            continue
        report = stats.compare(recorded[name], series.to_frame(name), **thresholds)
        column = report.column(name)
        rows.append({"view": name, **column.to_dict(), "n_current": report.n_current,
                     "n_reference": report.n_reference})  # fmt: skip
    return rows


def bootstrap_se(
    metric: Metric, y: np.ndarray, preds: np.ndarray, *, resamples: int, seed: int = 0
) -> float | None:
    """Standard error of ``metric`` on this sample by bootstrap (``None`` if not computable)."""
    if resamples < 2 or len(y) < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        idx = rng.integers(0, len(y), len(y))
        try:
            values.append(metric(y[idx], preds[idx]))
        except Exception:  # a metric undefined on a resample (one class only, …)
            continue
    finite = [v for v in values if np.isfinite(v)]
    return float(np.std(finite, ddof=1)) if len(finite) >= 2 else None
