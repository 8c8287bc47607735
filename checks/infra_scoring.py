"""infra.4 computations: a model's metric values on held-out data, overall and per slice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mltestscore.checks.infra_arrays import to_numpy
from mltestscore.checks.infra_predict import PredictFn, predict_with
from mltestscore.metrics import Metric, as_metric

ALL = "(all)"


def as_metrics(metric: Any) -> list[Metric]:
    """One metric, a sequence of metrics, or a mapping name → metric."""
    if isinstance(metric, Mapping):
        metrics = []
        for name, m in metric.items():
            found = as_metric(m, str(name))
            metrics.append(found if isinstance(m, Metric) else Metric(str(name), found.fn))
    elif isinstance(metric, Sequence) and not isinstance(metric, str):
        metrics = [as_metric(m, f"metric_{i}") for i, m in enumerate(metric)]
    else:
        metrics = [as_metric(metric)]
    if not metrics:
        raise ValueError("metric: no metrics given")
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
        raise ValueError(f"metric: duplicate metric names {names}")
    return metrics


def as_labels(y_true: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, str]:
    """Class scores → labels when the target is 1-D integer labels (else unchanged)."""
    if (
        y_true.ndim == 1
        and y_true.dtype.kind in "iub"
        and outputs.ndim == 2
        and outputs.shape[0] == y_true.shape[0]
        and outputs.shape[1] > 1
    ):
        return outputs.argmax(axis=1), "argmax over the model's class scores"
    if outputs.ndim == 2 and outputs.shape[1] == 1 and y_true.ndim == 1:
        return outputs[:, 0], "single output column"
    return outputs, "predictions as returned"


def resolve_slices(slices: Any, frame: Any, rows: int) -> list[tuple[str, np.ndarray]]:
    """Slice name → boolean mask over the eval rows.

    A slice is a boolean mask, a ``(column, value)`` pair (DataFrames), or a
    callable receiving the eval rows (the whole DataFrame, target included, or X)
    and returning a mask.
    """
    if slices is None:
        return []
    if not isinstance(slices, Mapping):
        raise TypeError(
            f"slices: expected a mapping slice name → mask/predicate, got {type(slices).__name__}"
        )
    resolved = []
    for name, spec in slices.items():
        if callable(spec):
            raw = spec(frame)
        elif isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
            if not hasattr(frame, "columns") or spec[0] not in frame.columns:
                raise ValueError(f"slices[{name!r}]: column {spec[0]!r} is not in eval_data")
            raw = frame[spec[0]] == spec[1]
        else:
            raw = spec
        mask = to_numpy(raw, f"slices[{name!r}]")
        if mask.dtype != bool or mask.shape != (rows,):
            raise ValueError(
                f"slices[{name!r}]: expected a boolean mask of {rows} rows, got dtype "
                f"{mask.dtype} shape {mask.shape}"
            )
        resolved.append((str(name), mask))
    return resolved


def _take(values: Any, mask: np.ndarray) -> Any:
    if hasattr(values, "iloc"):
        return values.iloc[np.flatnonzero(mask)]
    return values[mask]


def score(metric: Metric, y: np.ndarray, predictions: np.ndarray, who: str) -> float:
    try:
        return metric(y, predictions)
    except Exception as exc:
        raise ValueError(
            f"metric {metric.name!r} failed on the {who}'s predictions: {type(exc).__name__}: {exc}"
        ) from exc


@dataclass(frozen=True)
class Scores:
    """Metric values of one model: ``values[slice][metric]`` (``None`` = not computable)."""

    values: dict[str, dict[str, float | None]]
    rows: dict[str, int]
    note: str


def score_model(
    model: Any,
    features: Any,
    y: np.ndarray,
    metrics: Sequence[Metric],
    masks: Sequence[tuple[str, np.ndarray]],
    predict_fn: PredictFn | None,
    who: str,
    min_rows: int,
) -> Scores:
    outputs = predict_with(model, features, predict_fn)
    if outputs.shape[0] != y.shape[0]:
        raise ValueError(
            f"the {who} returned {outputs.shape[0]} predictions for {y.shape[0]} eval rows"
        )
    predictions, note = as_labels(y, outputs)
    values: dict[str, dict[str, float | None]] = {
        ALL: {m.name: score(m, y, predictions, who) for m in metrics}
    }
    rows = {ALL: int(y.shape[0])}
    for name, mask in masks:
        rows[name] = int(mask.sum())
        per: dict[str, float | None] = {}
        for m in metrics:
            if rows[name] < min_rows:
                per[m.name] = None
                continue
            try:
                per[m.name] = m(_take(y, mask), _take(predictions, mask))
            except Exception:  # e.g. one class only in the slice
                per[m.name] = None
        values[name] = per
    return Scores(values, rows, note)
