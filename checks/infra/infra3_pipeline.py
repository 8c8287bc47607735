"""infra.3 — the ML pipeline is integration tested: run it end to end, then judge the run.

The stages are planned and run by :mod:`.pipeline` (the stage protocol is described
there); here the run is judged: the first failing stage, the evaluate stage's metrics
against ``min_metric``/``max_metric``, the predict stage's predictions, the time taken
and the stages a path to serving is expected to have.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mltestscore.checks.infra.bounds import Bound, bound_for
from mltestscore.checks.infra.pipeline import (
    CANONICAL_STAGES,
    Binding,
    Pipeline,
    PipelineWiringError,
    StageOutcome,
    plan,
    run_stages,
)
from mltestscore.inputs.arrays import describe, rounded, to_numpy
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult


@register_builtin_check("infra.3")
def pipeline_integration_tested(
    pipeline: Any,
    *,
    max_seconds: float | None = None,
    max_stage_seconds: Mapping[str, float] | None = None,
    min_metric: float | Mapping[str, float] | None = None,
    max_metric: float | Mapping[str, float] | None = None,
    evaluate_stage: str = "evaluate",
    predict_stage: str = "predict",
    expected_stages: Sequence[str] = CANONICAL_STAGES,
) -> CheckResult:
    """The whole pipeline runs end to end on the fast subset, stage by stage.

    Input: ``pipeline`` (``ml_pipeline``): ordered stages, a dict *name → callable*,
    a list of ``(name, callable)`` pairs or :class:`mltestscore.checks.infra.pipeline.
    Pipeline`, canonically ``data → train → evaluate → export → load → predict``. A
    stage parameter named like an earlier stage receives that stage's output, one
    named ``workdir`` a temporary directory for artifacts, one other parameter the
    previous stage's output (see :mod:`mltestscore.checks.infra.pipeline`). Wiring
    is checked before anything runs. Each stage is timed; the first failing stage
    is named with its exception and code location, and the stages that did not run
    are listed. A stage returning ``None`` when a later stage needs its output fails.
    Thresholds: ``evaluate_stage`` returns a number or *name → number* mapping,
    bounded by ``min_metric``/``max_metric`` (a number bounds the first metric;
    use ``max_metric`` for error rates); ``predict_stage`` must return non-empty,
    finite predictions; ``max_seconds`` for the run and ``max_stage_seconds`` per
    stage; missing ``expected_stages`` make a pass a WARN. Evidence: per-stage
    status, seconds, output description (type/shape, never values), warnings,
    wiring, artifacts written.
    """
    pipe = Pipeline.coerce(pipeline)
    try:
        bindings = plan(pipe)
    except PipelineWiringError as exc:
        return CheckResult.failed(
            f"pipeline wiring: {exc}; nothing was run",
            {"stages": pipe.names},
            "Name each stage's parameters after the earlier stages whose outputs it needs "
            "(one unnamed parameter receives the previous stage's output).",
        )
    outcomes, artifacts = run_stages(bindings)
    total = sum(o.seconds for o in outcomes)
    wiring = _wiring(bindings)
    evidence: dict[str, Any] = {
        "stages": [o.to_dict() for o in outcomes],
        "total_seconds": rounded(total, 4),
        "wiring": wiring,
        "artifacts": artifacts,
    }
    failed = next((o for o in outcomes if o.status == "failed"), None)
    if failed is not None:
        not_run = [o.name for o in outcomes if o.status == "not_run"]
        evidence.update(failed_stage=failed.name, error=failed.error, not_run=not_run)
        where = f" at {failed.where}" if failed.where else ""
        receives = next(row["receives"] for row in wiring if row["stage"] == failed.name)
        return CheckResult.failed(
            f"stage {failed.name!r} failed after {failed.seconds:.2f} s{where}: {failed.error}"
            f" (completed: {_chain(outcomes) or 'none'}; not run: {', '.join(not_run) or 'none'})",
            evidence,
            f"Run stage {failed.name!r} on its own with the outputs it receives "
            f"({', '.join(receives) or 'none'}) and fix it; the stages before it and "
            "their outputs are listed in the evidence.",
        )
    problems: list[str] = []
    by_name = {o.name: o for o in outcomes}
    metrics: dict[str, float] = {}
    if evaluate_stage in by_name:
        try:
            metrics = read_metrics(by_name[evaluate_stage].output_value, evaluate_stage)
        except ValueError as exc:
            problems.append(str(exc))
        else:
            evidence["metrics"] = {k: rounded(v) for k, v in metrics.items()}
            problems += metric_problems(metrics, min_metric, max_metric)
    elif min_metric is not None or max_metric is not None:
        problems.append(
            f"min_metric/max_metric set, but the pipeline has no {evaluate_stage!r} "
            f"stage (stages: {pipe.names}; set evaluate_stage)"
        )
    if predict_stage in by_name:
        problem = prediction_problem(by_name[predict_stage].output_value, predict_stage)
        if problem:
            problems.append(problem)
    problems += timing_problems(outcomes, max_seconds, max_stage_seconds)
    ran = f"{len(outcomes)} stages ran end to end in {total:.2f} s: {_chain(outcomes)}"
    if problems:
        evidence["problems"] = problems
        return CheckResult.failed(
            f"{ran}; but {'; '.join(problems)}",
            evidence,
            "Fix the first problem listed; each names its stage.",
        )
    metrics_text = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
    summary = ran + (f"; {metrics_text}" if metrics_text else "")
    missing = [s for s in expected_stages if s not in by_name]
    if missing:
        evidence["missing_stages"] = missing
        return CheckResult.warned(
            f"{summary}; but no {', '.join(missing)} stage(s), so that part of the path to "
            "serving is not integration tested",
            evidence,
            f"Add stage(s) {', '.join(missing)} (or set expected_stages to the stages you use).",
        )
    return CheckResult.passed(summary, evidence)


def read_metrics(value: Any, stage: str) -> dict[str, float]:
    """An evaluate stage's result as ``{name: number}`` (a number is named after the stage)."""
    if isinstance(value, bool):
        raise ValueError(f"stage {stage!r} returned a bool; return the metric value(s)")
    if isinstance(value, (int, float, np.number)):
        return {stage: float(value)}
    if isinstance(value, Mapping) and value:
        metrics: dict[str, float] = {}
        for key, number in value.items():
            if isinstance(number, (int, float, np.number)) and not isinstance(number, bool):
                metrics[str(key)] = float(number)
        if metrics:
            return metrics
    raise ValueError(
        f"stage {stage!r} returned {describe(value)}; an evaluate stage returns a number or a "
        "mapping metric name → number"
    )


def prediction_problem(value: Any, stage: str) -> str:
    """Why a predict stage's output is unusable ('' when it is fine)."""
    if value is None:
        return f"stage {stage!r} returned None; a predict stage returns the predictions"
    try:
        array = to_numpy(value, f"stage {stage!r} output")
    except TypeError:
        return ""
    if array.ndim > 0 and array.shape[0] == 0:
        return f"stage {stage!r} returned no predictions (0 rows)"
    if array.dtype.kind in "fc":
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            return f"stage {stage!r} returned {bad} NaN/Inf value(s) out of {array.size}"
    return ""


def metric_problems(
    metrics: Mapping[str, float], min_metric: Bound, max_metric: Bound
) -> list[str]:
    """Thresholds on the evaluate stage's metrics (a bare number bounds the first metric)."""
    problems = [
        f"metric {name!r} is {value}" for name, value in metrics.items() if not math.isfinite(value)
    ]
    for index, (name, value) in enumerate(metrics.items()):
        low = bound_for(min_metric, name, index == 0)
        high = bound_for(max_metric, name, index == 0)
        if low is not None and value < low:
            problems.append(f"{name} {value:.4g} < min_metric {low:g}")
        if high is not None and value > high:
            problems.append(f"{name} {value:.4g} > max_metric {high:g}")
    for bounds, label in ((min_metric, "min_metric"), (max_metric, "max_metric")):
        if isinstance(bounds, Mapping):
            problems += [
                f"{label} names {name!r}, which the evaluate stage did not return "
                f"(it returned {list(metrics)})"
                for name in bounds
                if name not in metrics
            ]
    return problems


def timing_problems(
    outcomes: Sequence[StageOutcome],
    max_seconds: float | None,
    max_stage_seconds: Mapping[str, float] | None,
) -> list[str]:
    problems = []
    total = sum(o.seconds for o in outcomes)
    if max_seconds is not None and total > max_seconds:
        slowest = max(outcomes, key=lambda o: o.seconds)
        problems.append(
            f"the run took {total:.2f} s > max_seconds {max_seconds:g} (slowest "
            f"stage {slowest.name!r}: {slowest.seconds:.2f} s)"
        )
    for o in outcomes:
        limit = (max_stage_seconds or {}).get(o.name)
        if limit is not None and o.seconds > limit:
            problems.append(f"stage {o.name!r} took {o.seconds:.2f} s > {limit:g} s")
    return problems


def _chain(outcomes: Sequence[StageOutcome]) -> str:
    """``data (0.01 s) → train (1.20 s)`` for the stages that completed."""
    return " → ".join(f"{o.name} ({o.seconds:.2f} s)" for o in outcomes if o.status == "ok")


def _wiring(bindings: Sequence[Binding]) -> list[dict[str, Any]]:
    rows = []
    for b in bindings:
        receives = [
            source if source == param else f"{source} as {param}" for param, source in b.named
        ]
        if b.previous is not None:
            receives.insert(0, f"{b.previous} (previous)")
        if b.workdir:
            receives.append("workdir")
        rows.append({"stage": b.name, "receives": receives})
    return rows
