"""model.6: model quality on every declared slice, worst slices first."""

from __future__ import annotations

from typing import Any

from mltestscore.checks.model_inputs import default_metric, predict, split_xy
from mltestscore.checks.model_slices import build_slices, safe_metric
from mltestscore.results import CheckResult

MAX_ROWS = 50


def judge_slices(
    model: object,
    eval_data: object,
    slices: object,
    metric: object,
    target: str | None,
    previous_model: object,
    *,
    min_metric: float | None,
    max_gap_to_overall: float,
    max_drop: float,
    min_size: int,
) -> CheckResult:
    features, y = split_xy(eval_data, target, "eval_data")
    frame = eval_data if not isinstance(eval_data, tuple | list) else features
    scorer = default_metric(metric, y)
    pred = predict(model, features)
    prev = None if previous_model is None else predict(previous_model, features, "previous_model")
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
