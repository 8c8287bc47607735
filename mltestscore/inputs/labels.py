"""Labels and the default metric: one decision for every check.

- :func:`is_classification` — do these targets look like classes?
- :func:`as_labels` / :func:`labels_and_note` — model outputs → one prediction per row:
  argmax of ``(N, C)`` class scores, a threshold on a ``(N, 1)`` score column for 0/1
  targets, the column itself otherwise.
- :func:`default_metric` — the team's metric, else accuracy for classifiers (scikit-learn's
  estimator tag, else :func:`is_classification` of the targets) and R² for regressors.
- :func:`safe_metric` — a metric value, or ``None`` and why on rows where it is undefined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import Array, to_numpy
from mltestscore.metrics import Metric, as_metric

MAX_CLASSES = 50  # integer-valued targets with at most this many values are classes


def is_classification(y: Any) -> bool:
    """Targets look like classes: strings/bools, or integer-valued with few distinct values.

    Float class labels (``0.0``/``1.0``) are classes; integers with more than
    ``MAX_CLASSES`` distinct values are a quantity.
    """
    values = to_numpy(y, "labels")
    kind = values.dtype.kind
    if kind in "bOUS":
        return True
    if kind in "iu":
        return len(np.unique(values)) <= MAX_CLASSES
    if kind == "f":
        finite = values[np.isfinite(values)]
        integral = bool(np.all(finite == np.round(finite)))
        return integral and len(np.unique(finite)) <= MAX_CLASSES
    return False


def _binary(y: Array) -> bool:
    if y.dtype.kind == "b":
        return True
    if y.dtype.kind not in "iuf" or y.size == 0:
        return False
    return set(np.unique(y[~np.isnan(y)] if y.dtype.kind == "f" else y).tolist()) <= {0, 1}


def labels_and_note(outputs: Any, y_true: Any = None) -> tuple[Array, str]:
    """:func:`as_labels`, and a few words saying what was done (for evidence).

    With ``y_true`` (1-D): ``(N, C)`` scores are arg-maxed only for class targets, and a
    ``(N, 1)`` score column is thresholded (0.5 for probabilities, 0 for logits) only
    for 0/1 targets. Without it, ``(N, C)`` numeric scores are arg-maxed.
    """
    out = to_numpy(outputs, "model outputs")
    y = None if y_true is None else to_numpy(y_true, "labels")
    if y is not None and y.ndim != 1:
        return out, "predictions as returned"
    if out.ndim == 2 and out.shape[1] > 1 and out.dtype.kind in "biuf":
        if y is None or (y.dtype.kind in "biuf" and is_classification(y)):
            return np.asarray(out.argmax(axis=1)), "argmax over the model's class scores"
        return out, "predictions as returned"
    if out.ndim == 2 and out.shape[1] == 1:
        column = out[:, 0]
        if y is not None and column.dtype.kind == "f" and _binary(y):
            finite = column[np.isfinite(column)]
            if not np.all((finite == 0) | (finite == 1)):
                probabilities = bool(np.all((finite >= 0) & (finite <= 1)))
                cut = 0.5 if probabilities else 0.0
                labels = (column >= cut).astype(y.dtype if y.dtype.kind != "b" else bool)
                return labels, f"single score column thresholded at {cut:g}"
        return column, "single output column"
    return out, "predictions as returned"


def as_labels(outputs: Any, y_true: Any = None) -> Array:
    """Model outputs as one prediction per row (see :func:`labels_and_note`)."""
    return labels_and_note(outputs, y_true)[0]


def _estimator_kind(model: Any) -> str | None:
    kind = getattr(model, "_estimator_type", None)
    tags = getattr(model, "__sklearn_tags__", None)
    if kind is None and callable(tags):
        try:
            kind = getattr(tags(), "estimator_type", None)
        except Exception:  # an estimator whose tags need fitting, or a mock
            kind = None
    return kind if isinstance(kind, str) else None


def _accuracy(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _r2(y_true: Any, y_pred: Any) -> float:
    truth = np.asarray(y_true, dtype=np.float64)
    residual = float(np.sum((truth - np.asarray(y_pred, dtype=np.float64)) ** 2))
    total = float(np.sum((truth - truth.mean()) ** 2))
    if total > 0:
        return 1.0 - residual / total
    return 1.0 if residual == 0 else 0.0  # constant targets, as scikit-learn's force_finite


ACCURACY = Metric("accuracy", _accuracy, higher_is_better=True)
R2 = Metric("r2", _r2, higher_is_better=True)


def default_metric(y: Any, metric: object = None, model: Any = None) -> Metric:
    """``metric`` when given, else accuracy for classification and R² for regression.

    The model's scikit-learn tag (``classifier``/``regressor``) decides when it has
    one; else :func:`is_classification` of ``y`` (so float labels ``0.0``/``1.0`` get
    accuracy whether the model is an estimator, a torch module or a plain callable).
    """
    if metric is not None:
        return as_metric(metric)
    kind = _estimator_kind(model)
    if kind == "regressor":
        return R2
    if kind == "classifier" or is_classification(y):
        return ACCURACY
    return R2


def safe_metric(fn: Callable[[Any, Any], float], y: Any, pred: Any) -> tuple[float | None, str]:
    """The metric, or ``None`` and why when it is undefined on these rows."""
    try:
        value = float(fn(y, pred))
    except (ValueError, ZeroDivisionError, IndexError) as exc:
        return None, f"metric undefined: {exc}"[:160]
    return (value, "") if np.isfinite(value) else (None, f"metric is {value}")
