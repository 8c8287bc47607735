"""monitor.7 — prediction quality has not regressed.

Predict on recent serving data (:func:`mltestscore.inputs.predict.predict`), record or
compare with the baseline, judge. Recent data are read by
:func:`mltestscore.inputs.tables.split_features` (labels optional: they arrive late),
predictions become labels and the default metric is chosen by
:mod:`mltestscore.inputs.labels`; the label-free prediction views and the metric's noise
are in :mod:`.prediction_drift`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.baseline import UPDATE_HINT, Section, get_section, put_section
from mltestscore.checks.monitor.prediction_drift import (
    bootstrap_se,
    compare_views,
    prediction_views,
    summarize_views,
)
from mltestscore.context import CheckContext
from mltestscore.inputs.arrays import Array, is_tensor
from mltestscore.inputs.labels import as_labels, default_metric
from mltestscore.inputs.predict import predict as model_outputs
from mltestscore.inputs.tables import as_frame, split_features
from mltestscore.metrics import Metric, as_metric
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

NEXT_STEP_QUALITY = (
    "Quality on recent serving data fell: compare recent inputs with training data "
    "(monitor.2, monitor.3), look at the worst slices (model.6), and retrain on recent "
    "labelled data; roll back (infra.7) if the previous version does better."
)
NEXT_STEP_DRIFT = (
    "The predictions are distributed unlike the baseline: check the inputs for drift or "
    "skew (monitor.2, monitor.3) and label a recent sample to measure quality."
)


@register_builtin_check("monitor.7")
def prediction_quality(
    recent_data: Any,
    model: Any = None,
    predict: Callable[[Any], Any] | None = None,
    metric: Any = None,
    reference_metric: float | None = None,
    target: str | None = None,
    context: CheckContext | None = None,
    *,
    max_regression: float = 0.02,
    noise_k: float = 2.0,
    bootstrap: int = 200,
    ks_threshold: float = 0.1,
    psi_threshold: float = 0.2,
    linf_threshold: float = 0.1,
    alpha: float = 0.001,
) -> CheckResult:
    """Prediction quality has not regressed on recent serving data.

    Inputs: ``recent_data`` — recent serving inputs, labelled when labels have
    arrived: a DataFrame (labels in the ``target`` column, absent = unlabelled) or
    table path, ``(X, y)`` (``y`` may be ``None``), an array/tensor of inputs or a
    Dataset of ``(x, y)``; ``predict`` (``predict(X)``) or ``model`` (estimator
    ``predict``; a torch module's argmax for ``(N, C)`` outputs); ``metric`` —
    ``mltestscore.Metric`` or ``(y_true, y_pred) -> float`` (higher is better);
    without one, labelled data are scored with the shared default (accuracy for
    class labels, R² otherwise); ``reference_metric`` — the expected value, else the
    baseline's.

    With labels: fail when the metric is worse than the reference by more than
    ``max_regression`` (absolute, in the metric's direction) *and* by more than
    ``noise_k`` bootstrap standard errors (``bootstrap`` resamples; 0 = off) of this
    sample. Without labels: the prediction distribution (class shares and
    confidence, scores, or for free text its lengths and characters) is compared
    with the baseline's by :func:`mltestscore.stats.compare` (``ks_threshold``,
    ``psi_threshold``, ``linf_threshold``, ``alpha``) and drift fails; with labels
    drift only warns. ``--ml-score-update-baseline`` records the metric and the
    prediction summaries.
    """
    context = context or CheckContext.default()
    if model is None and predict is None:
        raise NotAutomated("define ml_predict or ml_model to predict on ml_recent_data")
    X, y = recent_inputs_and_labels(recent_data, target)
    chosen, what = (model, "model") if predict is None else (predict, "predict")
    preds = model_outputs(chosen, X, what=what)
    labels_pred = as_labels(preds, y)
    if y is not None and len(y) != len(labels_pred):
        raise ValueError(
            f"recent_data has {len(y)} labels but the model gave {len(labels_pred)} predictions"
        )
    views = prediction_views(preds)
    m: Metric | None = None
    if y is not None:
        m = default_metric(y, metric, model)
    elif metric is not None:
        m = as_metric(metric)
    value = se = None
    if m is not None and y is not None:
        value = m(y, labels_pred)
        if not math.isfinite(value):
            raise ValueError(f"metric {m.name} returned {value} on recent_data")
        se = bootstrap_se(m, y, labels_pred, resamples=bootstrap)
    current = {
        "rows": len(labels_pred),
        "labelled": y is not None,
        "metric": m.name if m and value is not None else None,
        "metric_value": value,
        "higher_is_better": m.higher_is_better if m else None,
        "prediction_views": summarize_views(views),
    }
    evidence: dict[str, Any] = {
        "rows": current["rows"], "labelled": current["labelled"], "metric": current["metric"],
        "metric_value": value, "bootstrap_se": se, "max_regression": max_regression,
        "views": sorted(views),
    }  # fmt: skip
    if context.update_baseline:
        put_section(context.baseline_path, "monitor.7", current)
        recorded = f"{m.name} {value:.4g}" if m and value is not None else "no metric (unlabelled)"
        if reference_metric is None:
            # Recording is not judging: nothing was compared, so no point is earned.
            return CheckResult.inconclusive(
                f"recorded the prediction baseline in {context.baseline_path}: {recorded}, "
                f"{len(labels_pred)} predictions, views {sorted(views)}; nothing compared "
                "in a run that records the baseline",
                evidence,
                "Run again without --ml-score-update-baseline to compare with it.",
            )
    section = None if context.update_baseline else get_section(context.baseline_path, "monitor.7")
    reference, ref_source = (None, "")
    if m is not None and value is not None:
        reference, ref_source = _reference(m, reference_metric, section)
    if reference is None and section is None:
        raise NotAutomated(
            f"nothing to compare with: no baseline recorded for monitor.7 in "
            f"{context.baseline_path} ({UPDATE_HINT}) and no ml_reference_metric"
        )

    # Judge: quality against the reference; prediction drift against the baseline.
    problems: list[str] = []
    notes: list[str] = []
    if reference is not None and m is not None and value is not None:
        drop = m.regression(value, reference)
        noise = noise_k * se if se is not None else 0.0
        evidence.update(reference=reference, reference_source=ref_source,
                        regression=drop, noise_allowance=noise)  # fmt: skip
        text = (
            f"{m.name} {value:.4g} on {len(labels_pred)} recent labelled rows vs {reference:.4g} "
            f"from {ref_source} (worse by {drop:.4g}; allowed {max_regression:g}, "
            f"noise {noise_k:g}·SE {noise:.3g})"
        )
        (problems if drop > max_regression and drop > noise else notes).append(text)
    drifted: list[str] = []
    if section is not None and isinstance(section.data.get("prediction_views"), Mapping):
        rows = compare_views(
            section.data["prediction_views"], views, ks_threshold=ks_threshold,
            psi_threshold=psi_threshold, linf_threshold=linf_threshold, alpha=alpha,
        )  # fmt: skip
        evidence["prediction_drift"] = rows
        drifted = [f"{r['view']} ({'/'.join(r['tests'])})" for r in rows if r["drifted"]]
        text = f"prediction distribution vs baseline: {len(drifted)} of {len(rows)} views drifted"
        text += f": {', '.join(drifted)}" if drifted else ""
        (problems if drifted and reference is None else notes).append(text)
    if problems:
        quality_failed = reference is not None
        prefix = (
            "prediction quality regressed: "
            if quality_failed
            else "predictions drifted from the baseline (no labels to measure quality): "
        )
        return CheckResult.failed(
            prefix + "; ".join(problems + notes),
            evidence,
            NEXT_STEP_QUALITY if quality_failed else NEXT_STEP_DRIFT,
        )
    if drifted:
        return CheckResult.warned("; ".join(notes), evidence, NEXT_STEP_DRIFT)
    if reference is None:
        notes.append(
            "quality not measured: recent_data has no labels"
            if y is None
            else f"quality not measured: no reference {m.name if m else 'metric'} "
            f"(ml_reference_metric, or a baseline recorded with labels: {UPDATE_HINT})"
        )
    return CheckResult.passed("; ".join(notes), evidence)


def recent_inputs_and_labels(recent_data: Any, target: str | None) -> tuple[Any, Array | None]:
    """``(X, y)`` of recent serving data; ``y`` is ``None`` while labels have not arrived.

    Unlabelled: a table without the ``target`` column, ``(X, None)``, an array or a
    tensor. Everything else goes through :func:`mltestscore.inputs.tables.split_features`.
    """
    if isinstance(recent_data, (str, Path, pd.DataFrame)) or type(
        recent_data
    ).__module__.startswith("polars"):
        recent_data = as_frame(recent_data, "recent_data")  # a path read; empty rejected
        if target is None or target not in recent_data.columns:
            return recent_data, None
    elif isinstance(recent_data, (tuple, list)) and len(recent_data) == 2:
        if recent_data[1] is None:
            return recent_data[0], None
    elif isinstance(recent_data, np.ndarray) or is_tensor(recent_data):
        return recent_data, None
    X, y = split_features(recent_data, target, "recent_data")
    if isinstance(recent_data, pd.DataFrame) and pd.isna(y).any():
        raise ValueError(
            f"recent_data: {int(pd.isna(y).sum())} rows have no label in "
            f"{target!r}; pass only labelled rows, or drop the column for drift only"
        )
    return X, y


def _reference(
    metric: Metric, reference_metric: float | None, section: Section | None
) -> tuple[float | None, str]:
    """The metric value to compare with and where it came from (``None``: none known)."""
    if reference_metric is not None:
        return float(reference_metric), "ml_reference_metric"
    if section is None or section.data.get("metric_value") is None:
        return None, ""
    recorded = section.data.get("metric")
    if recorded != metric.name:
        raise ValueError(
            f"the monitor.7 baseline holds metric {recorded!r} but ml_metric is "
            f"{metric.name!r}: {UPDATE_HINT} to re-record it"
        )
    return float(section.data["metric_value"]), f"the baseline ({section.describe()})"
