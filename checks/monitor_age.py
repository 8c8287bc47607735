"""monitor.4's numbers: when the serving model was made, and the age budget it has."""

from __future__ import annotations

import datetime as dt
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mltestscore.baseline import get_section
from mltestscore.context import CheckContext
from mltestscore.results import NotAutomated


@dataclass(frozen=True)
class ModelBirth:
    """Which model is served and when it was created."""

    created_at: dt.datetime
    version: Any
    name: str | None
    note: str


def as_utc(value: object, what: str) -> dt.datetime:
    """A datetime (naive = UTC), date, ISO-8601 string or epoch seconds, as aware UTC.

    Shared by model.4's staleness curve and monitor.4's age check.
    """
    to_pydatetime = getattr(value, "to_pydatetime", None)  # pandas.Timestamp
    if isinstance(value, dt.datetime) and callable(to_pydatetime):
        value = to_pydatetime()
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{what}: {value!r} is not an ISO-8601 date/time") from exc
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        when = dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
    else:
        raise TypeError(
            f"{what}: expected a datetime, date, ISO-8601 string or epoch seconds, "
            f"got {type(value).__name__}"
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


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
