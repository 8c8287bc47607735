"""monitor.7's flow: predict on recent data, record or compare with the baseline, judge."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from mltestscore.baseline import UPDATE_HINT, Section, get_section, put_section
from mltestscore.checks.monitor_quality import (
    as_labels,
    bootstrap_se,
    compare_views,
    prediction_views,
    predictions,
    split_recent,
    summarize_views,
)
from mltestscore.context import CheckContext
from mltestscore.metrics import Metric, as_metric
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


def _reference(
    metric: Metric, reference_metric: float | None, section: Section | None
) -> tuple[float | None, str]:
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


def quality_report(
    recent_data: Any,
    model: Any,
    predict: Callable[[Any], Any] | None,
    metric: Any,
    reference_metric: float | None,
    target: str | None,
    context: CheckContext,
    *,
    max_regression: float,
    noise_k: float,
    bootstrap: int,
    drift_thresholds: Mapping[str, float],
) -> CheckResult:
    """See monitor.7's docstring."""
    if model is None and predict is None:
        raise NotAutomated("define ml_predict or ml_model to predict on ml_recent_data")
    data = split_recent(recent_data, target)
    preds = predictions(predict, model, data.X)
    labels_pred = as_labels(preds)
    if data.y is not None and len(data.y) != len(labels_pred):
        raise ValueError(
            f"recent_data has {len(data.y)} labels but the model gave {len(labels_pred)} "
            "predictions"
        )
    views = prediction_views(preds)
    m = as_metric(metric) if metric is not None else None
    value = se = None
    if m is not None and data.y is not None:
        value = m(data.y, labels_pred)
        if not math.isfinite(value):
            raise ValueError(f"metric {m.name} returned {value} on recent_data")
        se = bootstrap_se(m, data.y, labels_pred, resamples=bootstrap)
    current = {
        "rows": len(labels_pred),
        "labelled": data.y is not None,
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
        what = f"{m.name} {value:.4g}" if m and value is not None else "no metric (unlabelled)"
        if reference_metric is None:
            # Recording is not judging: nothing was compared, so no point is earned.
            return CheckResult.inconclusive(
                f"recorded the prediction baseline in {context.baseline_path}: {what}, "
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
        rows = compare_views(section.data["prediction_views"], views, **drift_thresholds)
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
        notes.append("quality not measured: recent_data has no labels or no ml_metric")
    return CheckResult.passed("; ".join(notes), evidence)
