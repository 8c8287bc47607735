"""monitor.6's flow: time side by side in this run, judge the ratio, record on request.

Two ways to get a comparison that holds on another machine on another day:

1. **Against the previous/serving model, in this run** (``baseline_predict``, or
   ``baseline_model`` called through the shared predict adapter): the candidate
   and the baseline are timed in interleaved rounds on the same inputs; the
   paired ratio candidate/baseline and its bootstrap interval are judged.
2. **Against the stored baseline, normalized**: without a model to compare
   with, predict is timed interleaved with a fixed calibration workload; the
   ratio predict/calibration is stored in the baseline on
   ``--ml-score-update-baseline`` and later runs compare their own ratio with it.

Verdict: FAIL when the interval's low end is above ``1 + tolerance`` (slower
beyond the tolerance, beyond this run's noise); WARN when the median is above it
but the interval is not (within noise); PASS otherwise. Memory (peak per call)
is judged the same way: against the baseline model in this run, else against
the stored peak. A run with nothing to compare with could not judge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from mltestscore.baseline import (
    UPDATE_HINT,
    BaselineError,
    get_section,
    put_section,
    recording_environment,
)
from mltestscore.checks.monitor_perf import (
    Finding,
    Ratio,
    Timing,
    calibration,
    compare_memory,
    paired_ratio,
    peak_memory,
    time_interleaved,
)
from mltestscore.context import CheckContext
from mltestscore.results import CheckResult, NotAutomated

log = logging.getLogger("mltestscore.checks.monitor6")

NEXT_STEP = (
    "Profile the predict path (torch.profiler / cProfile) against the previous version: look "
    "for a larger model, a lost batch dimension, a CPU/GPU copy per call, a changed dependency "
    "(monitor.1) or thread settings. If the new cost is accepted, record a new baseline with "
    "`pytest --ml-score --ml-score-update-baseline`."
)
NOTHING_TO_COMPARE = (
    "define ml_baseline_predict (the previous/serving version's predict, timed beside the "
    f"candidate in the same run) or {UPDATE_HINT}"
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


def _rows(inputs: Any) -> int | None:
    from mltestscore.checks.infra_predict import count_rows

    try:
        return int(count_rows(inputs))
    except TypeError:
        return None


def _timing_summary(timing: Timing, rows: int | None, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {**timing.to_dict(prefix)}
    if not prefix:
        out["rows"] = rows
        out["calls_per_s"] = round(1000.0 / timing.p50, 3) if timing.p50 > 0 else None
        if rows and timing.p50 > 0:
            out["throughput_rows_per_s"] = round(rows * 1000.0 / timing.p50, 3)
    return out


def judge_ratio(what: str, ratio: Ratio, against: str, tolerance: float) -> Finding:
    """FAIL beyond tolerance and noise; WARN beyond tolerance within noise; else PASS."""
    allowed = 1.0 + tolerance
    text = f"{what}: {ratio.describe()} {against}, allowed ≤ {allowed:.2f}"
    if ratio.low > allowed:
        return Finding(what, "fail", f"{text}: slower beyond the tolerance and the noise")
    if ratio.median > allowed:
        return Finding(what, "warn", f"{text}: possibly slower, within this run's noise")
    return Finding(what, "pass", text)


def _normalized_against_stored(
    what: str, now: Ratio, stored: Mapping[str, Any], prefix: str, tolerance: float
) -> Finding | None:
    """This run's ratio to the calibration against the stored one (None: not stored)."""
    key = f"{prefix}calibrated"
    then = stored.get(key)
    if not isinstance(then, (int, float)) or then <= 0:
        return None
    then_low = float(stored.get(f"{key}_low", then))
    then_high = float(stored.get(f"{key}_high", then))
    # The interval of now/then: this run's bounds over the stored ones (conservative).
    combined = Ratio(
        now.median / float(then),
        now.low / max(then_high, 1e-12),
        now.high / max(then_low, 1e-12),
        now.rounds,
        now.confidence,
    )
    return judge_ratio(
        what, combined, "of the recorded baseline (both normalized by the calibration "
        "workload timed in the same run)", tolerance,
    )  # fmt: skip


def performance_report(
    predict: Callable[[Any], Any],
    inputs: Any,
    train_step: Callable[[], Any] | None,
    model: Any,
    baseline_predict: Callable[[Any], Any] | None,
    context: CheckContext,
    *,
    tolerance: float,
    memory_tolerance: float,
    confidence: float,
    warmup: int,
    repeats: int,
    max_seconds: float,
    latency_budget_ms: float | None,
) -> CheckResult:
    """Measure side by side, then judge (see the module docstring and monitor.6)."""
    if not callable(predict):
        raise TypeError(f"predict: expected a callable(inputs), got {predict!r}")
    if baseline_predict is not None and not callable(baseline_predict):
        raise TypeError(f"baseline_predict: expected a callable(inputs), got {baseline_predict!r}")
    if train_step is not None and not callable(train_step):
        raise TypeError(f"train_step: expected a no-argument callable, got {train_step!r}")
    if inputs is None:
        raise NotAutomated("define ml_perf_inputs or ml_canary_inputs (a representative batch)")
    if tolerance < 0 or memory_tolerance < 0:
        raise ValueError("tolerance and memory_tolerance must be >= 0")
    budget, budget_source = _budget(latency_budget_ms, predict, model)
    section, unreadable = None, ""
    if not context.update_baseline:
        try:
            section = get_section(context.baseline_path, "monitor.6")
        except BaselineError as exc:
            unreadable = str(exc)
    nothing = baseline_predict is None and section is None and budget is None
    if nothing and not context.update_baseline:
        raise NotAutomated(f"{unreadable or 'nothing to compare with'}: {NOTHING_TO_COMPARE}")
    rows = _rows(inputs)
    timed: dict[str, Callable[[], Any]] = {
        "candidate": lambda: predict(inputs),
        "calibration": calibration(),
    }
    if baseline_predict is not None:
        timed["baseline"] = lambda: baseline_predict(inputs)
    log.info("monitor.6: timing %s in %d interleaved rounds", " / ".join(timed), repeats)
    timings = time_interleaved(timed, warmup=warmup, repeats=repeats, max_seconds=max_seconds)
    cand, calib = timings["candidate"], timings["calibration"]
    calibrated = paired_ratio(cand, calib, confidence=confidence)
    current: dict[str, Any] = {
        **_timing_summary(cand, rows),
        "calibration_p50_ms": round(calib.p50, 4),
        "calibrated": round(calibrated.median, 5),
        "calibrated_low": round(calibrated.low, 5),
        "calibrated_high": round(calibrated.high, 5),
    }
    current.update(peak_memory(lambda: predict(inputs)))
    findings: list[Finding] = []
    evidence: dict[str, Any] = {"current": current, "tolerance": tolerance,
                                "confidence": confidence}  # fmt: skip
    if baseline_predict is not None:
        base = timings["baseline"]
        ratio = paired_ratio(cand, base, confidence=confidence)
        evidence["baseline_model"] = {**_timing_summary(base, rows), **ratio.to_dict()}
        findings.append(judge_ratio("predict latency", ratio,
                                    "of the baseline model timed beside it", tolerance))  # fmt: skip
        base_memory = peak_memory(lambda: baseline_predict(inputs))
        evidence["baseline_model"].update(base_memory)
        findings += compare_memory(current, base_memory, memory_tolerance=memory_tolerance,
                                   against="the baseline model")  # fmt: skip
    if train_step is not None:
        steps = time_interleaved({"train_step": train_step, "calibration": calibration()},
                                 warmup=1, repeats=max(5, min(repeats, 10)),
                                 max_seconds=max_seconds)  # fmt: skip
        step_ratio = paired_ratio(steps["train_step"], steps["calibration"], confidence=confidence)
        current.update(steps["train_step"].to_dict("train_step_"))
        current.update(train_step_calibrated=round(step_ratio.median, 5),
                       train_step_calibrated_low=round(step_ratio.low, 5),
                       train_step_calibrated_high=round(step_ratio.high, 5))  # fmt: skip
        if section is not None:
            found = _normalized_against_stored("train step latency", step_ratio, section.data,
                                               "train_step_", tolerance)  # fmt: skip
            if found is not None:
                findings.append(found)
    stored_compared = False
    if section is not None and baseline_predict is None:
        found = _normalized_against_stored("predict latency", calibrated, section.data, "",
                                           tolerance)  # fmt: skip
        if found is not None:
            findings.append(found)
            stored_compared = True
        findings += compare_memory(current, section.data, memory_tolerance=memory_tolerance,
                                   against="the recorded baseline")  # fmt: skip
        evidence["baseline"] = dict(section.data)
        evidence["baseline_recorded_on"] = dict(section.recorded_on)
        elsewhere = _different_host(section.recorded_on)
        if elsewhere:
            evidence["baseline_elsewhere"] = elsewhere
    if budget is not None:
        over = current["p95_ms"] > budget
        findings.append(Finding("latency budget", "fail" if over else "pass",
                                f"p95 {current['p95_ms']:.3g} ms vs budget {budget:g} ms "
                                f"from {budget_source}"))  # fmt: skip
    if context.update_baseline:
        put_section(context.baseline_path, "monitor.6", current)
        evidence["recorded"] = str(context.baseline_path)
    evidence["findings"] = [f.to_dict() for f in findings]
    evidence["latency_budget_ms"] = budget
    rate = current.get("throughput_rows_per_s")
    summary = (
        f"predict p50 {current['p50_ms']:.3g} ms, p95 {current['p95_ms']:.3g} ms"
        + (f", {rate:,.0f} rows/s" if rate else "")
        + f" over {current['repeats']} interleaved rounds"
    )
    failing = [f for f in findings if f.status == "fail"]
    if failing:
        return CheckResult.failed(
            f"computing performance regressed: {'; '.join(f.message for f in failing)} ({summary})",
            evidence,
            NEXT_STEP,
        )
    compared = baseline_predict is not None or stored_compared
    detail = "; ".join(f.message for f in findings)
    if not compared:
        why = (
            f"recorded the performance baseline in {context.baseline_path}; nothing compared "
            "in a run that records it"
            if context.update_baseline
            else (
                "the recorded baseline has no calibration ratio (recorded by an older "
                f"mltestscore): {UPDATE_HINT}"
                if section is not None
                else f"nothing to compare with: {NOTHING_TO_COMPARE}"
            )
        )
        return CheckResult.inconclusive(
            f"{summary}{': ' + detail if detail else ''}; could not judge a regression: {why}",
            evidence,
            "Define ml_baseline_predict to time the previous version beside the candidate"
            if baseline_predict is None
            else "",
        )
    warned = [f for f in findings if f.status == "warn"]
    if warned:
        return CheckResult.warned(f"{summary}: {detail}", evidence, NEXT_STEP)
    return CheckResult.passed(f"{summary}: {detail}", evidence)


def _different_host(recorded_on: Mapping[str, Any]) -> str:
    """Why timings against this baseline may compare less well ('' when the host looks alike)."""
    here = recording_environment()
    differs = [
        f"{key} {recorded_on.get(key)} → {here[key]}"
        for key in ("machine", "cpus", "python")
        if recorded_on.get(key) is not None and str(recorded_on.get(key)) != here[key]
    ]
    if not differs:
        return ""
    return (
        f"the baseline was recorded on a different host ({', '.join(differs)}): the "
        "calibration ratio corrects for speed and load, not for a different CPU architecture"
    )
