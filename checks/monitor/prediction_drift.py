"""monitor.7's mechanisms: prediction-distribution drift, and the metric's noise.

Predictions are reduced to *views* that can be compared without labels
(:func:`prediction_views`): the predicted class (argmax of ``(N, C)`` outputs,
or few distinct labels) and the confidence (max probability; softmax of
logits), a numeric score, or for free text (many distinct strings, e.g. a line
recognizer) the predicted length and the character frequencies. Each view is
summarized with :func:`mltestscore.stats.summarize` (stored in the
baseline) and compared with :func:`mltestscore.stats.compare` (PSI, JS,
KS, L∞ with a significance test). The metric's noise on the recent sample is a
bootstrap standard error. The verdict is in :mod:`.monitor7_quality`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mltestscore import stats
from mltestscore.inputs.labels import MAX_CLASSES, as_labels, is_classification
from mltestscore.metrics import Metric

CLASS_VIEWS = ("predicted_class", "character")


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
    if flat.dtype.kind in "biuf" and is_classification(flat):  # the one decision on classes
        return {"predicted_class": series.astype(str)}
    if flat.dtype.kind in "iuf":
        return {"prediction": series.astype(np.float64)}
    text = series.astype(str)
    if series.nunique(dropna=True) <= MAX_CLASSES:
        return {"predicted_class": text}
    chars = [c for s in text for c in s] or [""]
    return {"length": text.str.len().astype(np.float64), "character": pd.Series(chars)}


def summarize_views(views: Mapping[str, pd.Series]) -> dict[str, Any]:
    """JSON-able reference summaries of each view (for the baseline)."""
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
