"""model.4's age-vs-quality curve: measured from a model store or read from a table, then fitted.

:func:`curve_from_store` evaluates every version in a model store on the current
evaluation data (a version that cannot be loaded or scored is listed, not raised);
:func:`curve_from_table` reads a precomputed table; :func:`fit_curve` fits a line
``metric = intercept + slope · age_days`` and derives the age at which quality crosses
the floor — the age budget monitor.4 uses.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mltestscore.inputs.labels import as_labels, default_metric
from mltestscore.inputs.predict import predict
from mltestscore.inputs.tables import as_frame, split_features
from mltestscore.inputs.times import as_utc
from mltestscore.metrics import Metric
from mltestscore.results import NotAutomated, json_safe


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
    """``as_of`` (ISO date) as aware UTC; now when empty."""
    return as_utc(as_of, "as_of") if as_of else dt.datetime.now(dt.UTC)


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
    """Evaluate every stored version on ``eval_data``; failures are listed, not raised.

    Returns the points, the versions that failed, and the metric used (``None`` when
    ``evaluate`` scored the versions).
    """
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
    score, scorer = _version_scorer(eval_data, target, metric, evaluate)
    points: list[CurvePoint] = []
    errors: list[dict[str, Any]] = []
    for info in versions:
        raw = _field(info, "version")
        version = json_safe(raw)[0]
        try:
            created = as_utc(_field(info, "created_at"), f"model_store version {version}")
            loaded = store.load(name, raw)
            value = score(loaded[0] if isinstance(loaded, tuple) else loaded, version)
            if not math.isfinite(value):
                raise ValueError(f"metric is {value}")
        except Exception as exc:  # one broken version must not hide the others
            errors.append({"version": version, "error": f"{type(exc).__name__}: {exc}"[:200]})
            continue
        age = (now - created).total_seconds() / 86400.0
        points.append(CurvePoint(version, age, value, created.isoformat()))
    return points, errors, scorer


def _version_scorer(
    eval_data: object,
    target: str | None,
    metric: object,
    evaluate: Callable[[Any, Any], float] | None,
) -> tuple[Callable[[Any, Any], float], Metric | None]:
    """``score(model, version)`` on the current data, and the metric (``None``: ``evaluate``)."""
    if evaluate is not None:
        return (lambda model, _version: float(evaluate(model, eval_data))), None
    features, labels = split_features(eval_data, target, "eval_data")
    scorer = default_metric(labels, metric)

    def score(model: Any, version: Any) -> float:
        outputs = predict(model, features, what=f"model version {version}")
        return scorer(labels, as_labels(outputs, labels))

    return score, scorer


def curve_from_table(table: object, now: dt.datetime) -> list[CurvePoint]:
    """Read ``version, metric`` plus ``age_days`` or ``created_at`` columns."""
    frame = as_frame(table, "staleness_table", required=("version", "metric"))
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
        points.append(CurvePoint(json_safe(row["version"])[0], age, float(value), created))
    return points


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
