"""monitor.4 — models are not too stale.

When the serving model was made (from a model store, a
:class:`mltestscore.inputs.protocols.ModelStore`, or a timestamp read by
:func:`mltestscore.inputs.times.as_utc`) and the age budget it has (model.4's staleness
curve when known, else the ``max_age_days`` threshold), judged here.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mltestscore.baseline import get_section
from mltestscore.context import CheckContext
from mltestscore.inputs.times import as_utc
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("monitor.4")
def model_staleness(
    model_store: Any = None,
    model_created_at: Any = None,
    model_name: str | None = None,
    context: CheckContext | None = None,
    *,
    max_age_days: float = 30.0,
    warn_fraction: float = 0.8,
) -> CheckResult:
    """Models are not too stale: the serving model's age is within its budget.

    Inputs (one of): ``model_store`` — a versioned store with
    ``serving_version(name)`` and ``list(name) -> [VersionInfo(version,
    created_at, …)]`` (e.g. the reference recognizer's ``ModelStore``; with
    ``model_name`` when it holds several models; without a promoted version the
    newest counts); ``model_created_at`` — when the serving model was trained
    (datetime, date, ISO-8601 string or epoch seconds; naive = UTC).

    The budget comes from model.4's staleness curve when known (this run's
    ``context.shared["model.4"]["age_budget_days"]``, else the baseline's
    ``model.4`` section), else the ``max_age_days`` threshold (default 30); the
    message says which. ``warn_fraction`` (0.8): warn past that share of the budget.
    """
    ctx = context or CheckContext.default()
    if model_created_at is not None:
        born = as_utc(model_created_at, "model_created_at")
        what = "the serving model (ml_model_created_at)"
    elif model_store is not None:
        birth = serving_model_birth(model_store, model_name)
        label = "the serving model" if birth.name is None else f"model {birth.name!r}"
        born, what = birth.created_at, f"{label} ({birth.note})"
    else:
        raise NotAutomated("define ml_model_store (and ml_model_name) or ml_model_created_at")
    budget, source = age_budget(ctx, max_age_days)
    now = dt.datetime.now(dt.UTC)
    age = (now - born).total_seconds() / 86400.0
    evidence = {
        "created_at": born.isoformat(), "age_days": round(age, 3), "budget_days": budget,
        "budget_source": source, "warn_fraction": warn_fraction,
    }  # fmt: skip
    if age < -1.0 / 24:
        return CheckResult.warned(
            f"{what} was created {-age:.2f} days in the future ({born.isoformat()}): clocks "
            "or metadata are wrong",
            evidence,
            "Fix the created_at metadata (store UTC timestamps).",
        )
    text = f"{what} is {age:.1f} days old; budget {budget:g} days from {source}"
    if age > budget:
        return CheckResult.failed(
            f"{text}: stale by {age - budget:.1f} days",
            evidence,
            "Retrain on recent data and promote the new version (or, if quality still holds, "
            "revisit the budget with model.4's staleness curve).",
        )
    if age > warn_fraction * budget:
        return CheckResult.warned(
            f"{text}: past {warn_fraction:.0%} of the budget", evidence,
            "Schedule a retrain before the budget runs out.",
        )  # fmt: skip
    return CheckResult.passed(text, evidence)


@dataclass(frozen=True)
class ModelBirth:
    """Which model is served and when it was created."""

    created_at: dt.datetime
    version: Any
    name: str | None
    note: str


def serving_model_birth(store: Any, model_name: str | None) -> ModelBirth:
    """The serving version's ``created_at`` (the newest version when none is promoted)."""
    for attr in ("list", "serving_version"):
        if not callable(getattr(store, attr, None)):
            raise TypeError(
                f"model_store: expected a store with serving_version(name) and list(name) "
                f"(e.g. mltestscore.reference_model.store.ModelStore), got {type(store).__name__}"
            )
    name = _store_name(store, model_name)
    args = () if name is None else (name,)
    versions = list(store.list(*args))
    shown = "(the store's default)" if name is None else repr(name)
    if not versions:
        raise ValueError(f"model_store has no versions of model {shown}")
    serving = store.serving_version(*args)
    chosen = [v for v in versions if getattr(v, "version", None) == serving]
    if serving is not None and chosen:
        info, note = chosen[0], f"serving version {serving}"
    else:
        info = max(versions, key=lambda v: as_utc(v.created_at, "model_store created_at"))
        note = f"no serving version promoted: newest version {getattr(info, 'version', '?')}"
    when = as_utc(info.created_at, f"model_store version {getattr(info, 'version', '?')}")
    label = name if name is not None else getattr(info, "name", None)
    return ModelBirth(when, getattr(info, "version", None), label, note)


def _store_name(store: Any, model_name: str | None) -> str | None:
    """The model's name in the store; ``None`` when the store's own default applies."""
    if model_name is not None:
        return str(model_name)
    names = getattr(store, "names", None)
    if callable(names):
        found = list(names())
        if len(found) == 1:
            return str(found[0])
        raise NotAutomated(
            f"model_store holds {len(found)} models {found[:10]}: define ml_model_name"
        )
    for method in (store.list, store.serving_version):
        try:
            default = inspect.signature(method).parameters.get("name")
        except (TypeError, ValueError):
            default = None
        if default is None or default.default is inspect.Parameter.empty:
            raise NotAutomated("define ml_model_name (which model of ml_model_store is served)")
    return None  # both methods have a default model name


def age_budget(context: CheckContext, default_days: float) -> tuple[float, str]:
    """The age budget in days and where it came from.

    model.4's staleness curve wins when this run computed one
    (``context.shared["model.4"]["age_budget_days"]``) or the baseline holds one
    (section ``model.4``, key ``age_budget_days``); else the ``max_age_days`` threshold.
    """
    shared = context.shared.get("model.4")
    if isinstance(shared, Mapping) and _positive(shared.get("age_budget_days")):
        return float(shared["age_budget_days"]), "model.4's staleness curve (this run)"
    if isinstance(shared, Mapping) and "age_budget_days" in shared:
        _check_default(default_days)
        return float(default_days), "the max_age_days threshold (model.4 found no usable budget)"
    section = get_section(context.baseline_path, "model.4")
    if section is not None and _positive(section.data.get("age_budget_days")):
        return (
            float(section.data["age_budget_days"]),
            f"model.4's staleness curve (baseline {section.describe()})",
        )
    _check_default(default_days)
    return float(default_days), "the max_age_days threshold"


def _check_default(default_days: float) -> None:
    if not _positive(default_days):
        raise ValueError(f"monitor.4 threshold max_age_days must be > 0, got {default_days!r}")


def _positive(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
