"""infra.4 — model quality is validated before serving: candidate vs serving model, judged.

Both models predict the held-out rows once (:func:`mltestscore.inputs.predict.predict`);
their metric values, overall and per ``ml_slices`` slice (every documented form, through
:func:`mltestscore.inputs.slices.build_slices`), come from :mod:`.scores`. Here each
(slice, metric) is compared and the rows are turned into ``promote_ok``.

Noise: a slice of a few hundred rows moves its F1 by a point or two from resampling alone.
A regression beyond the tolerance is checked with a *paired* bootstrap (both models scored
on the same resampled rows): it blocks promotion only when its interval lies above zero as
well — beyond the tolerance *and* beyond the noise. One within the noise is reported
(status ``"within noise"``, a WARN) with its interval. Every compared row on which the
candidate is worse carries ``interval``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mltestscore.checks.infra.bounds import Bound, bound_for
from mltestscore.checks.infra.scores import (
    ALL,
    RESAMPLES,
    Paired,
    Scores,
    as_metrics,
    score_outputs,
)
from mltestscore.checks.infra.store import serving_model as store_serving_model
from mltestscore.inputs.arrays import rounded
from mltestscore.inputs.predict import PredictFn, predict
from mltestscore.inputs.slices import Slice, build_slices
from mltestscore.inputs.tables import split_with_frame
from mltestscore.intervals import CONFIDENCE
from mltestscore.metrics import Metric
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

NO_SERVING_STEP = (
    "Define the ml_serving_model fixture (the model now in production), or ml_model_store "
    "with a serving version, so the candidate is compared with it before it serves."
)


@register_builtin_check("infra.4")
def validated_before_serving(
    model: Any,
    eval_data: Any,
    metric: Any,
    serving_model: Any = None,
    model_store: Any = None,
    target: str | None = None,
    slices: Any = None,
    predict_fn: PredictFn | None = None,
    *,
    tolerance: float = 0.01,
    slice_tolerance: float | None = None,
    min_metric: float | Mapping[str, float] | None = None,
    max_metric: float | Mapping[str, float] | None = None,
    min_slice_rows: int = 20,
    model_name: str = "",
) -> CheckResult:
    """The candidate is no worse than the serving model on held-out data, and above the floor.

    Inputs: ``model`` (the candidate: torch module, estimator or callable),
    ``eval_data`` (DataFrame + ``target``, ``(X, y)`` or a torch Dataset),
    ``metric`` (a :class:`mltestscore.Metric`, callable, list or mapping of them);
    the serving model as ``serving_model`` or from ``model_store`` (its serving
    version of ``model_name``); optional ``slices`` (any ``ml_slices`` form of
    ``docs/inputs.md``: name → boolean mask, ``(column, value)``, ``(column, (lo, hi))``,
    a ``{"column": …}`` dict with an optional ``min_metric`` of its own, a predicate over
    the eval rows, or a list of column names) and ``predict_fn(model,
    inputs)``. Class scores are turned into labels (argmax) for integer targets.
    Thresholds: ``tolerance`` — largest allowed regression in metric units, overall
    (``slice_tolerance`` per slice, default the same); ``min_metric``/``max_metric``
    absolute bounds (a number bounds the first metric); slices with fewer than
    ``min_slice_rows`` rows are skipped. Evidence: ``promote_ok`` (what ``mltestscore
    gate`` and the store's promote act on) and the per-slice, per-metric table,
    worst first. Without a serving model, only the floor is checked (INCONCLUSIVE).
    """
    metrics = as_metrics(metric)
    if serving_model is not None:
        reference, source = serving_model, "ml_serving_model"
    elif model_store is not None:
        reference, source = store_serving_model(model_store, model_name)
    else:
        reference, source = None, "no ml_serving_model or ml_model_store given"
    if reference is None and min_metric is None and max_metric is None:
        raise NotAutomated(
            f"nothing to validate against: {source}, and no min_metric/max_metric floor is set"
        )
    features, y, frame = split_with_frame(eval_data, target)
    declared = [] if slices is None else build_slices(frame, slices, int(y.shape[0]))
    outputs = predict(model, features, predict_fn)
    cand = score_outputs(outputs, y, metrics, declared, "candidate", min_slice_rows)
    serv, paired = None, None
    if reference is not None:
        outputs = predict(reference, features, predict_fn)
        serv = score_outputs(outputs, y, metrics, declared, "serving model", min_slice_rows)
        paired = Paired(y, cand.predictions, serv.predictions)
    slice_tol = tolerance if slice_tolerance is None else slice_tolerance
    rows = compare(
        metrics,
        cand,
        serv,
        declared,
        paired,
        tolerance=tolerance,
        slice_tolerance=slice_tol,
        min_metric=min_metric,
        max_metric=max_metric,
    )
    bad = [r for r in rows if r["status"] not in ("ok", "skipped", "within noise")]
    noisy = [r for r in rows if r["status"] == "within noise"]
    evidence: dict[str, Any] = {
        "promote_ok": not bad,
        "serving_source": source,
        "rows": int(y.shape[0]),
        "metrics": [{"name": m.name, "higher_is_better": m.higher_is_better} for m in metrics],
        "tolerance": tolerance,
        "confidence": CONFIDENCE,
        "bootstrap_resamples": RESAMPLES,
        "predictions": cand.note,
        "table": worst_first(rows),
        "skipped_slices": sorted({r["slice"] for r in rows if r["status"] == "skipped"}),
    }
    overall = ", ".join(
        f"{r['metric']} {_fmt(r['candidate'])}"
        + (f" vs serving {_fmt(r['serving'])}" if r["serving"] is not None else "")
        for r in rows
        if r["slice"] == ALL
    )
    n = int(y.shape[0])
    if bad:
        listed = "; ".join(_problem_text(r, tolerance, slice_tol) for r in worst_first(bad)[:5])
        return CheckResult.failed(
            f"do not promote: {len(bad)} problem(s) on {n} held-out rows — {listed}",
            evidence,
            "Keep the serving model; investigate the regressed metric/slice (error "
            "analysis on that slice) before promoting the candidate.",
        )
    if reference is None:
        floors = " and ".join(
            name
            for name, bound in (("min_metric", min_metric), ("max_metric", max_metric))
            if bound is not None
        )
        return CheckResult.inconclusive(
            f"could not judge: no serving model to compare with ({source}); the absolute "
            f"floor ({floors}) was met ({overall}), but a floor alone does not show the "
            "candidate is no worse than what serves now",
            evidence,
            NO_SERVING_STEP,
        )
    if reference is model:
        return CheckResult.inconclusive(
            f"could not judge: candidate and serving model are the same object ({overall}); "
            "the comparison cannot find a regression",
            evidence,
            "Pass the newly trained candidate as ml_model and the production model as "
            "ml_serving_model (or its store as ml_model_store).",
        )
    if noisy:
        listed = "; ".join(_problem_text(r, tolerance, slice_tol) for r in noisy[:5])
        return CheckResult.warned(
            f"promote ok: {overall} on {n} held-out rows; {len(noisy)} regression(s) "
            f"beyond the tolerance are within sampling noise — {listed}",
            evidence,
            "Nothing blocks promotion; to tell such small regressions from noise, evaluate on "
            "more rows of those slices.",
        )
    scope = f" overall or on {len(declared)} slices" if declared else ""
    return CheckResult.passed(
        f"promote ok: {overall} on {n} held-out rows, no regression beyond {tolerance:g}{scope}",
        evidence,
    )


def compare(
    metrics: Sequence[Metric],
    candidate: Scores,
    serving: Scores | None,
    slices: Sequence[Slice],
    paired: Paired | None,
    *,
    tolerance: float,
    slice_tolerance: float,
    min_metric: Bound,
    max_metric: Bound,
) -> list[dict[str, Any]]:
    """One row per (slice, metric): candidate, serving, regression and a status.

    Overall, ``min_metric``/``max_metric`` bound the metrics; a slice declaring its own
    ``min_metric`` bounds its first metric. With ``paired`` predictions, each row where the
    candidate is worse gets a paired bootstrap ``interval`` of its regression; a regression
    beyond the tolerance whose interval reaches zero is ``"within noise"``, not
    ``"regressed"``.
    """
    floors = {s.name: s.min_metric for s in slices}
    masks = {s.name: s.mask for s in slices}
    rows: list[dict[str, Any]] = []
    for slice_name, per in candidate.values.items():
        for index, metric in enumerate(metrics):
            cand = per[metric.name]
            serv = None if serving is None else serving.values[slice_name][metric.name]
            row: dict[str, Any] = {
                "slice": slice_name,
                "metric": metric.name,
                "rows": candidate.rows[slice_name],
                "candidate": rounded(cand),
                "serving": rounded(serv),
                "regression": None,
                "status": "ok",
            }
            if cand is None:
                row["status"] = "skipped"
                rows.append(row)
                continue
            problems = []
            if slice_name == ALL:
                low = bound_for(min_metric, metric.name, index == 0)
                high = bound_for(max_metric, metric.name, index == 0)
            else:
                low, high = (floors.get(slice_name) if index == 0 else None), None
            if (low is not None and not cand >= low) or (high is not None and not cand <= high):
                problems.append("below floor")
            if serv is not None:
                regression = metric.regression(cand, serv)
                row["regression"] = rounded(regression)
                allowed = tolerance if slice_name == ALL else slice_tolerance
                interval = None
                if paired is not None and not regression <= 0:
                    mask = None if slice_name == ALL else masks.get(slice_name)
                    if slice_name == ALL or mask is not None:
                        interval = paired.regression_interval(metric, mask)
                        row["interval"] = (
                            None if interval is None else [rounded(v) for v in interval]
                        )
                if not regression <= allowed:  # NaN counts as a regression
                    if interval is not None and interval[0] <= 0:
                        row["status"] = "within noise"
                    else:
                        problems.append("regressed")
            if problems:
                row["status"] = " & ".join(problems)
            rows.append(row)
    return rows


def worst_first(rows: list[dict[str, Any]], cap: int = 50) -> list[dict[str, Any]]:
    """Overall rows first, then slices with the largest regression first."""
    overall = [r for r in rows if r["slice"] == ALL]
    others = sorted(
        (r for r in rows if r["slice"] != ALL),
        key=lambda r: (
            r["status"] == "ok",
            r["status"] == "skipped",
            -(r["regression"] if r["regression"] is not None else -1e9),
        ),
    )
    return (overall + others)[:cap]


def _fmt(value: float | None) -> str:
    return "NaN" if value is None else f"{value:.4g}"


def _problem_text(row: Mapping[str, Any], tolerance: float, slice_tolerance: float) -> str:
    where = "overall" if row["slice"] == ALL else f"slice {row['slice']!r}"
    text = f"{where} {row['metric']} {_fmt(row['candidate'])}"
    if row["serving"] is not None:
        text += f" vs serving {_fmt(row['serving'])}"
    if row["regression"] is not None and row["status"] != "ok":
        allowed = tolerance if row["slice"] == ALL else slice_tolerance
        verb = "regressed" if "regressed" in row["status"] else "within noise"
        text += f" ({verb}: by {row['regression']:.4g} > {allowed:g}"
        if row.get("interval"):
            low, high = row["interval"]
            text += f", {100 * CONFIDENCE:.0f} % interval {low:.4g} to {high:.4g}"
        text += f", n = {row['rows']})"
    if "below floor" in row["status"]:
        text += " (below the floor)"
    return text
