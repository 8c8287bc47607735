"""monitor.6's flow: measure, record or compare with the baseline, judge."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mltestscore.baseline import UPDATE_HINT, get_section, put_section, recording_environment
from mltestscore.checks.monitor_perf import (
    Finding,
    compare_latency,
    compare_memory,
    peak_memory,
    time_calls,
)
from mltestscore.context import CheckContext
from mltestscore.results import CheckResult, NotAutomated

NEXT_STEP = (
    "Profile the predict path (torch.profiler / cProfile) against the previous version: look "
    "for a larger model, a lost batch dimension, a CPU/GPU copy per call, a changed dependency "
    "(monitor.1) or thread settings. If the new cost is accepted, record a new baseline with "
    "`pytest --ml-score --ml-score-update-baseline`."
)


def _budget(latency_budget_ms: float | None, predict: Any, model: Any) -> tuple[float | None, str]:
    if latency_budget_ms is not None:
        if latency_budget_ms <= 0:
            raise ValueError(f"latency_budget_ms must be > 0, got {latency_budget_ms}")
        return float(latency_budget_ms), "the latency_budget_ms threshold"
    from mltestscore.contracts import get_contract

    for owner, obj in (("predict", predict), ("model", model)):
        contract = get_contract(obj) if obj is not None else None
        if contract is not None and contract.latency_ms is not None:
            return float(contract.latency_ms), f"the {owner}'s model contract"
    return None, ""


def measure(
    predict: Callable[[Any], Any],
    inputs: Any,
    train_step: Callable[[], Any] | None,
    *,
    warmup: int,
    repeats: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Timing and memory of ``predict(inputs)`` (and of ``train_step()``), JSON-able."""
    from mltestscore.checks.infra_predict import count_rows

    try:
        rows: int | None = count_rows(inputs)
    except TypeError:
        rows = None

    def call() -> Any:
        return predict(inputs)

    timing = time_calls(call, warmup=warmup, repeats=repeats, max_seconds=max_seconds)
    current: dict[str, Any] = {**timing.to_dict(), "rows": rows}
    current["calls_per_s"] = round(1000.0 / timing.p50, 3) if timing.p50 > 0 else None
    if rows and timing.p50 > 0:
        current["throughput_rows_per_s"] = round(rows * 1000.0 / timing.p50, 3)
    current.update(peak_memory(call))
    if train_step is not None:
        if not callable(train_step):
            raise TypeError(f"train_step: expected a no-argument callable, got {train_step!r}")
        steps = time_calls(train_step, warmup=1, repeats=max(5, min(repeats, 10)),
                           max_seconds=max_seconds)  # fmt: skip
        current.update(steps.to_dict("train_step_"))
    return current


def performance_report(
    predict: Callable[[Any], Any],
    inputs: Any,
    train_step: Callable[[], Any] | None,
    model: Any,
    context: CheckContext,
    *,
    tolerance: float,
    noise_k: float,
    memory_tolerance: float,
    warmup: int,
    repeats: int,
    max_seconds: float,
    latency_budget_ms: float | None,
) -> CheckResult:
    """Measure, then judge against the budget and the baseline (see monitor.6)."""
    if not callable(predict):
        raise TypeError(f"predict: expected a callable(inputs), got {predict!r}")
    if inputs is None:
        raise NotAutomated("define ml_perf_inputs or ml_canary_inputs (a representative batch)")
    if tolerance < 0 or noise_k < 0 or memory_tolerance < 0:
        raise ValueError("tolerance, noise_k and memory_tolerance must be >= 0")
    budget, budget_source = _budget(latency_budget_ms, predict, model)
    section = None if context.update_baseline else get_section(context.baseline_path, "monitor.6")
    if section is None and budget is None and not context.update_baseline:
        raise NotAutomated(
            f"no baseline recorded for monitor.6 in {context.baseline_path} and no latency "
            f"budget: {UPDATE_HINT}"
        )
    current = measure(predict, inputs, train_step, warmup=warmup, repeats=repeats,
                      max_seconds=max_seconds)  # fmt: skip
    findings: list[Finding] = []
    if budget is not None:
        over = current["p95_ms"] > budget
        findings.append(Finding("latency budget", "fail" if over else "pass",
                                f"p95 {current['p95_ms']:.3g} ms vs budget {budget:g} ms "
                                f"from {budget_source}"))  # fmt: skip
    if context.update_baseline:
        put_section(context.baseline_path, "monitor.6", current)
    elif section is not None:
        for what, prefix in (("predict", ""), ("train step", "train_step_")):
            found = compare_latency(what, current, section.data, prefix=prefix,
                                    tolerance=tolerance, noise_k=noise_k)  # fmt: skip
            if found is not None:
                findings.append(found)
        findings += compare_memory(current, section.data, memory_tolerance=memory_tolerance)
    evidence: dict[str, Any] = {
        "current": current,
        "baseline": dict(section.data) if section else None,
        "baseline_recorded_on": dict(section.recorded_on) if section else None,
        "latency_budget_ms": budget,
        "findings": [f.to_dict() for f in findings],
    }
    failing = [f for f in findings if f.status == "fail"]
    elsewhere = _different_host(section.recorded_on) if section else ""
    if elsewhere:
        evidence["baseline_elsewhere"] = elsewhere
    rate = current.get("throughput_rows_per_s")
    summary = (
        f"predict p50 {current['p50_ms']:.3g} ms, p95 {current['p95_ms']:.3g} ms"
        + (f", {rate:,.0f} rows/s" if rate else "")
        + f" over {current['repeats']} calls"
    )
    if failing:
        return CheckResult.failed(
            f"computing performance regressed: {'; '.join(f.message for f in failing)} ({summary})",
            evidence,
            NEXT_STEP,
        )
    if context.update_baseline:
        return CheckResult.passed(
            f"recorded the performance baseline in {context.baseline_path}: {summary}", evidence
        )
    detail = "; ".join(f.message for f in findings)
    if elsewhere:
        return CheckResult.warned(
            f"{summary}: {detail}; but {elsewhere}",
            evidence,
            "Record the baseline on the machine type the check runs on (the CI runner).",
        )
    no_base = "" if section else f"; no baseline recorded ({UPDATE_HINT})"
    return CheckResult.passed(f"{summary}: {detail}{no_base}", evidence)


def _different_host(recorded_on: Mapping[str, Any]) -> str:
    """Why timings against this baseline may not compare ('' when the host looks alike)."""
    here = recording_environment()
    differs = [
        f"{key} {recorded_on.get(key)} → {here[key]}"
        for key in ("machine", "cpus", "python")
        if recorded_on.get(key) is not None and str(recorded_on.get(key)) != here[key]
    ]
    if not differs:
        return ""
    return f"the baseline was recorded on a different host ({', '.join(differs)}): timings may not compare"
