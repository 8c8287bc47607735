"""model.6: model quality on every declared slice, worst slices first.

Slices are parsed by :func:`mltestscore.inputs.slices.build_slices` (every documented
``ml_slices`` form), predictions come from :func:`mltestscore.inputs.predict.predict`.
"""

from __future__ import annotations

from typing import Any

from mltestscore.inputs.labels import as_labels, default_metric, safe_metric
from mltestscore.inputs.predict import predict
from mltestscore.inputs.slices import build_slices
from mltestscore.inputs.tables import split_with_frame
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult

MAX_ROWS = 50


@register_builtin_check("model.6")
def slice_quality(
    model: object,
    eval_data: object,
    slices: object,
    metric: object = None,
    target: str | None = None,
    previous_model: object = None,
    *,
    min_metric: float | None = None,
    max_gap_to_overall: float = 0.1,
    max_drop: float = 0.02,
    min_size: int = 30,
) -> CheckResult:
    """Model quality on every declared slice meets a floor and has not dropped vs the previous model.

    Inputs: ``model``, ``eval_data``, ``slices`` (name -> column value, numeric bin
    ``(lo, hi)``, predicate or mask; or a list of columns to slice by — see
    :mod:`mltestscore.inputs.slices`), ``metric``, ``target``,
    ``previous_model`` (optional: per-slice regression check).
    Thresholds: the floor — a slice's own ``min_metric``, else ``min_metric``, else
    the overall metric minus ``max_gap_to_overall``; ``max_drop`` vs the previous
    model; slices under ``min_size`` rows are reported, not judged (warn).
    Evidence lists slices worst first.
    """
    features, y, frame = split_with_frame(eval_data, target, "eval_data")
    scorer = default_metric(y, metric, model)
    pred = as_labels(predict(model, features), y)
    prev = (
        None
        if previous_model is None
        else as_labels(predict(previous_model, features, what="previous_model"), y)
    )
    overall, why = safe_metric(scorer, y, pred)
    if overall is None:
        raise ValueError(f"model.6: overall {scorer.name} is undefined on eval_data ({why})")
    sign = 1.0 if scorer.higher_is_better else -1.0
    default_floor = min_metric if min_metric is not None else overall - sign * max_gap_to_overall
    rows: list[dict[str, Any]] = []
    for s in build_slices(frame, slices, len(y)):
        size = int(s.mask.sum())
        row: dict[str, Any] = {"slice": s.name, "size": size}
        if size < min_size:
            rows.append(
                row | {"status": "too_small", "reason": f"{size} rows < min_size {min_size}"}
            )
            continue
        value, why = safe_metric(scorer, y[s.mask], pred[s.mask])
        if value is None:
            rows.append(row | {"status": "undefined", "reason": why})
            continue
        floor = s.min_metric if s.min_metric is not None else default_floor
        row.update(metric=value, floor=floor)
        reasons = []
        if scorer.regression(value, floor) > 0:
            reasons.append(f"{scorer.name} {value:.4g} below floor {floor:.4g}")
        if prev is not None:
            before, _ = safe_metric(scorer, y[s.mask], prev[s.mask])
            if before is not None:
                drop = scorer.regression(value, before)
                row.update(previous=before, drop=drop)
                if drop > max_drop:
                    reasons.append(f"dropped {drop:.4g} vs previous model (> {max_drop})")
        rows.append(row | {"status": "fail" if reasons else "pass", "reason": "; ".join(reasons)})
    judged = [r for r in rows if "metric" in r]
    judged.sort(key=lambda r: sign * r["metric"])
    unjudged = [r for r in rows if "metric" not in r]
    table = (judged + unjudged)[:MAX_ROWS]
    failing = [r["slice"] for r in judged if r["status"] == "fail"]
    evidence: dict[str, Any] = {
        "metric": scorer.name, "overall": overall, "default_floor": default_floor,
        "n_slices": len(rows), "failing": failing, "not_judged": [r["slice"] for r in unjudged],
        "slices": table, "compared_with_previous": prev is not None,
    }  # fmt: skip
    if failing:
        worst = judged[0]
        return CheckResult.failed(
            f"{len(failing)} of {len(judged)} slice(s) fail: worst {worst['slice']!r} "
            f"{scorer.name} {worst['metric']:.4g} ({worst['reason'] or 'passes'}); overall {overall:.4g}",
            evidence,
            "Look at the failing slices first (worst first in the evidence): collect more data "
            "for them, add features that separate them, or weight them in training.",
        )
    if not judged:
        return CheckResult.failed(
            f"none of the {len(rows)} slice(s) could be judged (too small or metric undefined)",
            evidence,
            f"Use evaluation data with at least {min_size} rows per slice, or lower min_size.",
        )
    message = f"all {len(judged)} judged slice(s) meet the floor" + (
        " and did not regress vs the previous model" if prev is not None else ""
    )
    worst_text = f"; worst {judged[0]['slice']!r} {scorer.name} {judged[0]['metric']:.4g}"
    if unjudged:
        return CheckResult.warned(
            f"{message}{worst_text}; {len(unjudged)} slice(s) not judged: "
            + ", ".join(r["slice"] for r in unjudged[:10]),
            evidence,
            f"Collect at least {min_size} evaluation rows for the slices not judged.",
        )
    return CheckResult.passed(message + worst_text, evidence)
