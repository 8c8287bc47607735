"""data.6: a new feature goes through the team's fast-subset pipeline end to end, in time.

The team's ``add_feature_pipeline(feature_name, feature_fn)`` runs its fast
pipeline (data → features → train → evaluate) with one extra feature and
returns what it trained. The check hands it a seeded synthetic feature
(:class:`SyntheticFeature`), records whether and on how many rows the pipeline
computed it, times the run (:func:`run_with_new_feature`), looks for the feature
among the trained model's inputs (:func:`model_inputs`) and judges.
"""

from __future__ import annotations

import numbers
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mltestscore.inputs.tables import row_count
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult
from mltestscore.runner import summarize_exception


@register_builtin_check("data.6")
def new_feature_quickly(
    add_feature_pipeline: Callable[[str, Callable[[Any], Any]], Any],
    *,
    max_seconds: float = 600.0,
    seed: int = 0,
) -> CheckResult:
    """A synthetic new feature flows through the fast-subset pipeline end to end, in time.

    Input: ``add_feature_pipeline(feature_name, feature_fn)`` — runs the team's fast
    pipeline with one extra feature ``feature_fn(raw_rows) -> one value per row``
    and returns the trained model (or a mapping with ``model``/``feature_names`` and
    ``metrics``). The feature must be computed and appear among the trained model's
    inputs (``feature_names_in_``, columns or ``feature_names``) within
    ``max_seconds``; when the inputs cannot be seen the check warns.
    """
    run = run_with_new_feature(add_feature_pipeline, seed=seed)
    evidence = {
        "feature": run.feature,
        "seconds": round(run.seconds, 3),
        "max_seconds": max_seconds,
        "feature_fn_calls": run.calls,
        "rows_computed": run.rows,
        "used_by_model": run.used,
        "metrics": dict(list(run.metrics.items())[:20]),
    }
    if run.error:
        return CheckResult.failed(
            f"the pipeline failed with a new feature after {run.seconds:.1f}s: "
            f"{run.error.splitlines()[0]}",
            evidence | {"error": run.error},
            "Make the pipeline accept an extra feature function without code changes "
            "elsewhere (feature registry, schema, model input size).",
        )
    problems = []
    if run.calls == 0 or run.rows == 0:
        problems.append("the feature function was never called on any rows")
    if run.used is False:
        problems.append("the new feature is not among the trained model's inputs")
    if run.seconds > max_seconds:
        problems.append(f"the run took {run.seconds:.1f}s > {max_seconds:g}s")
    if problems:
        return CheckResult.failed(
            "adding a new feature does not work end to end: " + "; ".join(problems),
            evidence,
            "Wire new features through computation, training and the model's inputs, on a "
            "subset small enough to run within the budget.",
        )
    if run.used is None:
        return CheckResult.warned(
            f"the new feature was computed on {run.rows} rows and the pipeline finished in "
            f"{run.seconds:.1f}s, but the result does not show the model's inputs",
            evidence,
            "Return the trained model (with feature_names_in_) or a mapping with "
            "'feature_names' so the check can confirm the feature is used.",
        )
    return CheckResult.passed(
        f"a new feature went through the pipeline end to end in {run.seconds:.1f}s "
        f"({run.rows} rows computed, used by the model)",
        evidence,
    )


@dataclass
class SyntheticFeature:
    """A feature function returning seeded noise, one value per row, counting its calls."""

    name: str
    seed: int = 0
    calls: int = 0
    rows: int = 0

    def __call__(self, raw: Any) -> np.ndarray:
        try:
            n = row_count(raw, f"synthetic feature {self.name}")
        except TypeError as exc:
            raise TypeError(
                f"synthetic feature {self.name}: expected raw rows (a DataFrame, array or "
                f"sequence), got {type(raw).__name__}"
            ) from exc
        self.calls += 1
        self.rows += n
        return np.random.default_rng(self.seed + self.calls).normal(size=n)


@dataclass(frozen=True)
class NewFeatureRun:
    feature: str
    seconds: float
    calls: int
    rows: int
    inputs: tuple[str, ...] | None  # the trained model's input names, when discoverable
    metrics: Mapping[str, float] = field(default_factory=dict)
    error: str = ""

    @property
    def used(self) -> bool | None:
        """True/False when the model's inputs are known, None otherwise."""
        return None if self.inputs is None else self.feature in self.inputs


def _names(value: Any) -> tuple[str, ...] | None:
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        return None


def model_inputs(result: Any) -> tuple[str, ...] | None:
    """Input feature names from what the pipeline returned, if it says.

    Looks at ``feature_names_in_`` (scikit-learn), ``get_feature_names_out()``,
    a DataFrame's columns, and ``feature_names``/``features``/``model`` entries
    of a returned mapping (or attributes of a returned object).
    """
    for attr in ("feature_names_in_", "feature_names"):
        names = _names(getattr(result, attr, None))
        if names is not None:
            return names
    columns = getattr(result, "columns", None)
    if columns is not None and not callable(columns):
        return _names(columns)
    getter = getattr(result, "get_feature_names_out", None)
    if callable(getter):
        try:
            return _names(getter())
        except Exception:  # unfitted transformers raise various errors
            return None
    if isinstance(result, Mapping):
        for key in ("feature_names", "features", "inputs"):
            if key in result:
                names = _names(result[key])
                if names is not None:
                    return names
        if "model" in result:
            return model_inputs(result["model"])
    elif isinstance(result, tuple) and result:
        return model_inputs(result[0])
    return None


def _metrics(result: Any) -> dict[str, float]:
    source = result.get("metrics", result) if isinstance(result, Mapping) else None
    if not isinstance(source, Mapping):
        return {}
    return {
        str(k): float(v)
        for k, v in source.items()
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(float(v))
    }


def run_with_new_feature(
    pipeline: Callable[[str, Callable[[Any], Any]], Any], *, seed: int = 0
) -> NewFeatureRun:
    """Run ``pipeline`` with a synthetic feature; a crash is recorded, not raised."""
    if not callable(pipeline):
        raise TypeError(
            "add_feature_pipeline: expected a callable (feature_name, feature_fn) -> trained "
            f"model or metrics, got {type(pipeline).__name__}"
        )
    feature = SyntheticFeature(f"mltestscore_synthetic_{uuid.uuid4().hex[:8]}", seed)
    start = time.perf_counter()
    try:
        result = pipeline(feature.name, feature)
    except Exception as exc:  # the pipeline rejecting a new feature is the finding
        return NewFeatureRun(
            feature.name,
            time.perf_counter() - start,
            feature.calls,
            feature.rows,
            None,
            {},
            summarize_exception(exc, limit=3),
        )
    seconds = time.perf_counter() - start
    return NewFeatureRun(
        feature.name, seconds, feature.calls, feature.rows, model_inputs(result), _metrics(result)
    )
