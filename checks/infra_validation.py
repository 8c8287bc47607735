"""infra.4: judging a candidate against the serving model — floors, regressions, verdict.

The metric values come from :mod:`mltestscore.checks.infra_scoring`; here they are
compared per (slice, metric) and turned into ``promote_ok``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mltestscore.checks.infra_arrays import rounded
from mltestscore.checks.infra_predict import PredictFn, split_eval_data
from mltestscore.checks.infra_scoring import (
    ALL,
    Scores,
    as_metrics,
    resolve_slices,
    score_model,
)
from mltestscore.checks.infra_store import (
    load_model,
    require_methods,
    resolve_name,
    serving_version,
)
from mltestscore.metrics import Metric
from mltestscore.results import CheckResult, NotAutomated


def floor_for(bound: float | Mapping[str, float] | None, metric: str, first: bool) -> float | None:
    """A float bound applies to the first metric; a mapping names metrics."""
    if bound is None:
        return None
    if isinstance(bound, Mapping):
        value = bound.get(metric)
        return None if value is None else float(value)
    return float(bound) if first else None


def compare(
    metrics: Sequence[Metric],
    candidate: Scores,
    serving: Scores | None,
    *,
    tolerance: float,
    slice_tolerance: float,
    min_metric: float | Mapping[str, float] | None,
    max_metric: float | Mapping[str, float] | None,
) -> list[dict[str, Any]]:
    """One row per (slice, metric) with candidate, serving, regression and a status."""
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
                low = floor_for(min_metric, metric.name, index == 0)
                high = floor_for(max_metric, metric.name, index == 0)
                if (low is not None and not cand >= low) or (high is not None and not cand <= high):
                    problems.append("below floor")
            if serv is not None:
                regression = metric.regression(cand, serv)
                row["regression"] = rounded(regression)
                allowed = tolerance if slice_name == ALL else slice_tolerance
                if not regression <= allowed:  # NaN counts as a regression
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


def _problem_text(row: Mapping[str, Any], tolerance: float, slice_tolerance: float | None) -> str:
    where = "overall" if row["slice"] == ALL else f"slice {row['slice']!r}"
    text = f"{where} {row['metric']} {_fmt(row['candidate'])}"
    if row["serving"] is not None:
        text += f" vs serving {_fmt(row['serving'])}"
    if row["regression"] is not None and "regressed" in row["status"]:
        allowed = tolerance if row["slice"] == ALL or slice_tolerance is None else slice_tolerance
        text += f" (regressed by {row['regression']:.4g} > {allowed:g})"
    if "below floor" in row["status"]:
        text += " (below the floor)"
    return text


def serving_reference(serving_model: Any, model_store: Any, model_name: str) -> tuple[Any, str]:
    """The model to compare against and where it came from (``(None, why)`` when none)."""
    if serving_model is not None:
        return serving_model, "ml_serving_model"
    if model_store is None:
        return None, "no ml_serving_model or ml_model_store given"
    require_methods(model_store, ("load", "serving_version"))
    name = resolve_name(model_store, model_name)
    version = serving_version(model_store, name)
    if version is None:
        return None, f"model store has no serving version of {name!r} yet (first deployment)"
    return load_model(model_store, name, version), f"model store {name!r} v{version}"


def check_validation(
    model: Any,
    eval_data: Any,
    metric: Any,
    serving_model: Any,
    model_store: Any,
    target: str | None,
    slices: Any,
    predict_fn: PredictFn | None,
    *,
    tolerance: float,
    slice_tolerance: float | None,
    min_metric: float | Mapping[str, float] | None,
    max_metric: float | Mapping[str, float] | None,
    min_slice_rows: int,
    model_name: str,
) -> CheckResult:
    """Score candidate and serving model; judge floor and regressions (see infra.4)."""
    metrics = as_metrics(metric)
    reference, source = serving_reference(serving_model, model_store, model_name)
    if reference is None and min_metric is None and max_metric is None:
        raise NotAutomated(
            f"nothing to validate against: {source}, and no min_metric/max_metric floor is set"
        )
    features, y, frame = split_eval_data(eval_data, target)
    masks = resolve_slices(slices, frame, int(y.shape[0]))
    cand = score_model(model, features, y, metrics, masks, predict_fn, "candidate", min_slice_rows)
    serv = (
        None
        if reference is None
        else score_model(
            reference, features, y, metrics, masks, predict_fn, "serving model", min_slice_rows
        )
    )
    rows = compare(
        metrics,
        cand,
        serv,
        tolerance=tolerance,
        slice_tolerance=tolerance if slice_tolerance is None else slice_tolerance,
        min_metric=min_metric,
        max_metric=max_metric,
    )
    bad = [r for r in rows if r["status"] not in ("ok", "skipped")]
    evidence: dict[str, Any] = {
        "promote_ok": not bad,
        "serving_source": source,
        "rows": int(y.shape[0]),
        "metrics": [{"name": m.name, "higher_is_better": m.higher_is_better} for m in metrics],
        "tolerance": tolerance,
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
    if bad:
        worst = worst_first(bad)
        listed = "; ".join(_problem_text(r, tolerance, slice_tolerance) for r in worst[:5])
        return CheckResult.failed(
            f"do not promote: {len(bad)} problem(s) on {y.shape[0]} held-out rows — {listed}",
            evidence,
            "Keep the serving model; investigate the regressed metric/slice (error "
            "analysis on that slice) before promoting the candidate.",
        )
    if reference is None:
        return CheckResult.warned(
            f"candidate meets the floor ({overall}) but was not compared with a serving model: "
            f"{source}",
            evidence,
            "Provide ml_serving_model or ml_model_store so regressions "
            "against the serving model are caught.",
        )
    if reference is model:
        return CheckResult.warned(
            f"candidate and serving model are the same object ({overall}); the comparison "
            "cannot find a regression",
            evidence,
            "Pass the newly trained candidate as ml_model.",
        )
    checked = len(masks)
    return CheckResult.passed(
        f"promote ok: {overall} on {y.shape[0]} held-out rows, no regression beyond "
        f"{tolerance:g}" + (f" overall or on {checked} slices" if checked else ""),
        evidence,
    )
