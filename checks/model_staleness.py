"""model.4: quality of older model versions on current data, as an age-vs-quality curve.

:func:`measure_curve` evaluates every version in a model store on the current
evaluation data (or reads a precomputed table); :func:`fit_curve` fits a line
``metric = intercept + slope · age_days`` and derives the age at which quality
crosses the floor — the age budget monitor.4 uses.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.checks.model_inputs import default_metric, load_table, predict, split_xy
from mltestscore.checks.monitor_age import as_utc
from mltestscore.context import CheckContext
from mltestscore.metrics import Metric
from mltestscore.results import CheckResult, NotAutomated

MAX_ROWS = 50


@dataclass(frozen=True)
class CurvePoint:
    version: Any
    age_days: float
    metric: float
    created_at: str | None = None


@dataclass(frozen=True)
class CurveFit:
    slope_per_day: float
    intercept: float
    floor: float
    age_budget_days: float | None  # None: quality does not decay (no crossing)


def reference_time(as_of: str) -> dt.datetime:
    return as_utc(as_of, "as_of") if as_of else dt.datetime.now(dt.timezone.utc)


def _field(info: object, key: str) -> Any:
    return info.get(key) if isinstance(info, dict) else getattr(info, key, None)


def store_model_name(store: Any, name: str | None) -> str:
    """``name``, else the store's only model (``names()``), else ``"model"``."""
    if name:
        return name
    names = getattr(store, "names", None)
    if callable(names):
        found = [str(n) for n in names()]
        if len(found) == 1:
            return found[0]
        if found:
            raise NotAutomated(
                f"model_store holds {len(found)} models {found[:10]}: define ml_model_name"
            )
    return "model"


def curve_from_store(
    store: Any,
    name: str | None,
    eval_data: object,
    target: str | None,
    metric: object,
    evaluate: Callable[[Any, Any], float] | None,
    now: dt.datetime,
) -> tuple[list[CurvePoint], list[dict[str, Any]], Metric | None]:
    """Evaluate every stored version on ``eval_data``; failures are listed, not raised."""
    for attr in ("list", "load"):
        if not callable(getattr(store, attr, None)):
            raise TypeError(
                "model_store: expected a store with list(name) and load(name, version), "
                f"got {type(store).__name__}"
            )
    name = store_model_name(store, name)
    versions = list(store.list(name))
    if not versions:
        raise ValueError(f"model_store has no versions of model {name!r}")
    scorer: Metric | None = None
    if evaluate is None:
        features, labels = split_xy(eval_data, target, "eval_data")
        scorer = default_metric(metric, labels)
    points: list[CurvePoint] = []
    errors: list[dict[str, Any]] = []
    for info in versions:
        version = _field(info, "version")
        try:
            created = as_utc(_field(info, "created_at"), f"model_store version {version}")
            loaded = store.load(name, version)
            model = loaded[0] if isinstance(loaded, tuple) else loaded
            if evaluate is not None:
                value = float(evaluate(model, eval_data))
            else:
                value = default_metric(scorer, labels)(
                    labels, predict(model, features, f"model version {version}")
                )
            if not math.isfinite(value):
                raise ValueError(f"metric is {value}")
        except Exception as exc:  # one broken version must not hide the others
            errors.append(
                {"version": _jsonable(version), "error": f"{type(exc).__name__}: {exc}"[:200]}
            )
            continue
        age = (now - created).total_seconds() / 86400.0
        points.append(CurvePoint(_jsonable(version), age, value, created.isoformat()))
    return points, errors, scorer


def curve_from_table(table: object, now: dt.datetime) -> list[CurvePoint]:
    """Read ``version, metric`` plus ``age_days`` or ``created_at`` columns."""
    frame = load_table(table, "staleness_table", required=("version", "metric"))
    if "age_days" not in frame.columns and "created_at" not in frame.columns:
        raise ValueError("staleness_table needs an 'age_days' or a 'created_at' column")
    points = []
    for row in frame.to_dict("records"):
        value = pd.to_numeric(row["metric"], errors="coerce")
        if pd.isna(value):
            continue
        if "age_days" in row and not pd.isna(row["age_days"]):
            age, created = float(row["age_days"]), None
        else:
            when = as_utc(row["created_at"], f"staleness_table version {row['version']}")
            age, created = (now - when).total_seconds() / 86400.0, when.isoformat()
        points.append(CurvePoint(_jsonable(row["version"]), age, float(value), created))
    return points


def _jsonable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def fit_curve(
    points: list[CurvePoint], higher_is_better: bool, quality_floor: float | None, max_drop: float
) -> CurveFit:
    """Least-squares line through the curve, and the age at which it crosses the floor."""
    ages = np.array([p.age_days for p in points])
    values = np.array([p.metric for p in points])
    slope, intercept = (float(c) for c in np.polyfit(ages, values, 1))
    sign = 1.0 if higher_is_better else -1.0
    floor = quality_floor if quality_floor is not None else intercept - sign * max_drop
    if sign * (intercept - floor) <= 0:
        budget: float | None = 0.0  # even a fresh model is not above the floor
    elif sign * slope >= 0:
        budget = None  # no decay with age
    else:
        budget = (floor - intercept) / slope
    return CurveFit(slope, intercept, floor, budget)


def judge_staleness(
    points: list[CurvePoint],
    errors: list[dict[str, Any]],
    context: CheckContext | None,
    *,
    metric_name: str,
    higher_is_better: bool,
    min_versions: int,
    quality_floor: float | None,
    max_quality_drop: float,
    max_decay_per_30_days: float | None,
) -> CheckResult:
    """Judge the curve; share the age budget with monitor.4 (and record it on request)."""
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


def no_inputs() -> NotAutomated:
    return NotAutomated(
        "model.4 needs ml_staleness_table, or ml_model_store + ml_eval_data "
        "(+ ml_metric or ml_evaluate, + ml_model_name)"
    )
