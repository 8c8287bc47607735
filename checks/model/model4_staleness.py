"""model.4: quality of older model versions on current data, as an age-vs-quality curve.

The curve is measured (or read) and fitted by :mod:`mltestscore.checks.model.age_curve`;
this module judges it and shares the age budget with monitor.4.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mltestscore.checks.model.age_curve import (
    curve_from_store,
    curve_from_table,
    fit_curve,
    reference_time,
)
from mltestscore.context import CheckContext
from mltestscore.metrics import Metric
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

MAX_ROWS = 50


@register_builtin_check("model.4")
def model_staleness(
    model_store: Any = None,
    eval_data: object = None,
    metric: object = None,
    target: str | None = None,
    evaluate: Callable[[Any, Any], float] | None = None,
    staleness_table: object = None,
    model_name: str | None = None,
    *,
    min_versions: int = 2,
    quality_floor: float | None = None,
    max_quality_drop: float = 0.05,
    max_decay_per_30_days: float | None = None,
    higher_is_better: bool = True,
    as_of: str = "",
    context: CheckContext | None = None,
) -> CheckResult:
    """Quality of older model versions on current data gives an age-vs-quality curve.

    Inputs: ``model_store`` (``list(name)`` -> versions with ``version`` and
    ``created_at``; ``load(name, version)`` -> model or ``(model, metadata)``),
    ``model_name`` (default: the store's only model, via ``names()``), ``eval_data``
    (current labelled data), and ``metric`` (default accuracy / R²) or
    ``evaluate(model, eval_data) -> float``
    (e.g. the recognizer's character error rate); or ``staleness_table`` — rows of
    ``version, metric`` and ``age_days`` or ``created_at``.
    Thresholds: ``min_versions`` of different ages; the quality floor —
    ``quality_floor``, else the fitted fresh quality minus ``max_quality_drop``;
    ``max_decay_per_30_days`` (optional budget on the fitted slope);
    ``higher_is_better`` (taken from ``metric`` when it is a ``Metric``); ``as_of``
    (ISO date ages are measured to; default now).
    The age at which the fitted line crosses the floor is monitor.4's age budget:
    shared as ``context.shared["model.4"]["age_budget_days"]`` and recorded in the
    baseline on ``--ml-score-update-baseline``.
    """
    if staleness_table is None and (model_store is None or eval_data is None):
        raise NotAutomated(
            "model.4 needs ml_staleness_table, or ml_model_store + ml_eval_data "
            "(+ ml_metric or ml_evaluate, + ml_model_name)"
        )
    now = reference_time(as_of)
    errors: list[dict[str, Any]] = []
    metric_name = "metric"
    if staleness_table is not None:
        points = curve_from_table(staleness_table, now)
    else:
        points, errors, scorer = curve_from_store(
            model_store, model_name, eval_data, target, metric, evaluate, now
        )
        metric_name = (
            scorer.name if scorer is not None else getattr(evaluate, "__name__", "evaluate")
        )
    if isinstance(metric, Metric):
        higher_is_better = metric.higher_is_better

    points = sorted(points, key=lambda p: p.age_days)
    curve = [p.__dict__ | {"age_days": round(p.age_days, 3)} for p in points[:MAX_ROWS]]
    evidence: dict[str, Any] = {"metric": metric_name, "curve": curve, "n_versions": len(points)}
    if errors:
        evidence["errors"] = errors[:MAX_ROWS]
    distinct_ages = len({round(p.age_days, 6) for p in points})
    if len(points) < min_versions or distinct_ages < 2:
        return CheckResult.failed(
            f"staleness curve rests on {len(points)} version(s) with {distinct_ages} distinct "
            f"age(s); need ≥ {max(min_versions, 2)} versions of different ages"
            + (f" ({len(errors)} version(s) could not be evaluated)" if errors else ""),
            evidence,
            "Keep older model versions in the store (with created_at) and evaluate them on "
            "current data, or provide ml_staleness_table.",
        )
    fit = fit_curve(points, higher_is_better, quality_floor, max_quality_drop)
    sign = 1.0 if higher_is_better else -1.0
    decay_30 = -sign * fit.slope_per_day * 30.0  # quality lost per 30 days of age
    evidence.update(
        slope_per_day=fit.slope_per_day, intercept=fit.intercept, floor=fit.floor,
        decay_per_30_days=decay_30, age_budget_days=fit.age_budget_days,
        max_decay_per_30_days=max_decay_per_30_days,
    )  # fmt: skip
    shared = {k: evidence[k] for k in ("age_budget_days", "slope_per_day", "floor", "metric")}
    if context is not None:
        context.shared["model.4"] = shared | {"curve": curve}
        if context.update_baseline and fit.age_budget_days:
            from mltestscore.baseline import put_section

            put_section(context.baseline_path, "model.4", shared)
    budget = (
        "quality does not decay with age"
        if fit.age_budget_days is None
        else f"quality reaches the floor {fit.floor:.4g} at age {fit.age_budget_days:.1f} days"
    )
    summary = (
        f"{metric_name} changes {-decay_30:+.4g} per 30 days over {len(points)} versions; {budget}"
    )
    if fit.age_budget_days == 0.0:
        return CheckResult.failed(
            f"even a fresh model is not better than the quality floor {fit.floor:.4g}: {summary}",
            evidence, "Lower the floor only with a reason; otherwise improve the model first.",
        )  # fmt: skip
    if max_decay_per_30_days is not None and decay_30 > max_decay_per_30_days:
        return CheckResult.failed(
            f"model quality decays {decay_30:.4g} per 30 days (budget {max_decay_per_30_days}): "
            f"{summary}",
            evidence,
            "Retrain more often (monitor.4 uses the age budget) or make the model robust to drift.",
        )
    return CheckResult.passed(f"staleness impact measured: {summary}", evidence)
