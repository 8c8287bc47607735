"""monitor.6 — computing performance has not regressed.

Two ways to get a comparison that holds on another machine on another day
(:mod:`.timing` measures; the verdict is here):

1. **Against the previous/serving model, in this run** (``baseline_predict``, or
   ``baseline_model`` called through :func:`mltestscore.inputs.predict.predict`): the
   candidate and the baseline are timed in interleaved rounds on the same inputs; the
   paired ratio candidate/baseline and its bootstrap interval are judged.
2. **Against the stored baseline, normalized**: without a model to compare with,
   predict is timed interleaved with a fixed calibration workload; the ratio
   predict/calibration is stored in the baseline on ``--ml-score-update-baseline`` and
   later runs compare their own ratio with it.

Verdict: FAIL when the interval's low end is above ``1 + tolerance`` (slower beyond the
tolerance, beyond this run's noise); WARN when the median is above it but the interval
is not (within noise); PASS otherwise. Memory (peak per call) is judged the same way:
against the baseline model in this run, else against the stored peak. A run with
nothing to compare with could not judge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from mltestscore.baseline import UPDATE_HINT, BaselineError, get_section, put_section
from mltestscore.checks.monitor.timing import (
    Finding,
    Ratio,
    calibration,
    compare_memory,
    host_difference,
    paired_ratio,
    peak_memory,
    time_interleaved,
)
from mltestscore.context import CheckContext
from mltestscore.contracts import get_contract
from mltestscore.inputs.predict import predict as model_outputs
from mltestscore.inputs.tables import row_count
from mltestscore.registry import register_builtin_check
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


@register_builtin_check("monitor.6")
def computing_performance(
    predict: Callable[[Any], Any],
    perf_inputs: Any = None,
    canary_inputs: Any = None,
    baseline_predict: Callable[[Any], Any] | None = None,
    baseline_model: Any = None,
    train_step: Callable[[], Any] | None = None,
    model: Any = None,
    context: CheckContext | None = None,
    *,
    tolerance: float = 0.25,
    memory_tolerance: float = 0.5,
    confidence: float = 0.95,
    warmup: int = 3,
    repeats: int = 30,
    max_seconds: float = 20.0,
    latency_budget_ms: float | None = None,
) -> CheckResult:
    """Computing performance has not regressed: timed beside a comparison in the same run.

    Inputs: ``predict`` — the serving predict function, called as
    ``predict(inputs)``; ``perf_inputs`` (else ``canary_inputs``) — one
    representative request batch; ``baseline_predict`` — the previous/serving
    version's predict, called the same way (or ``baseline_model``, called through
    the shared predict adapter on the same inputs); ``train_step`` (optional) — a
    no-argument callable running one training step; ``model`` (optional) — only
    to read its contract's ``latency_ms``.

    With a baseline model, candidate and baseline are timed in ``repeats``
    interleaved rounds (after ``warmup`` calls each; past ``max_seconds`` the
    rounds stop once 5 are in) and the paired ratio candidate/baseline is judged
    with its bootstrap interval (``confidence``): FAIL when even its low end is
    above ``1 + tolerance``, WARN when only the median is. Without one, predict is
    timed interleaved with a fixed calibration workload and that ratio is compared
    with the one stored in the baseline (``.mltestscore/baseline.json``,
    ``--ml-score-update-baseline``). Peak memory per call (tracemalloc, CUDA)
    fails beyond ``memory_tolerance`` (and 1 MB) of the baseline model's, else of
    the stored one. A latency budget (``latency_budget_ms``, else the contract's
    ``latency_ms``) fails when p95 exceeds it. A run with nothing to compare with
    (or one that only records the baseline) could not judge: no point.
    """
    context = context or CheckContext.default()
    inputs = perf_inputs if perf_inputs is not None else canary_inputs
    if baseline_predict is None and baseline_model is not None:
        baseline = baseline_model

        def baseline_predict(batch: Any) -> Any:
            return model_outputs(baseline, batch, what="baseline_model")

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
    budget, budget_source = _latency_budget(latency_budget_ms, predict, model)
    section, unreadable = None, ""
    if not context.update_baseline:
        try:
            section = get_section(context.baseline_path, "monitor.6")
        except BaselineError as exc:
            unreadable = str(exc)
    nothing = baseline_predict is None and section is None and budget is None
    if nothing and not context.update_baseline:
        raise NotAutomated(f"{unreadable or 'nothing to compare with'}: {NOTHING_TO_COMPARE}")
    try:
        rows: int | None = row_count(inputs)
    except TypeError:
        rows = None

    # Measure: candidate, calibration (and baseline) in interleaved rounds; peak memory.
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
        **cand.summary(rows),
        "calibration_p50_ms": round(calib.p50, 4),
        "calibrated": round(calibrated.median, 5),
        "calibrated_low": round(calibrated.low, 5),
        "calibrated_high": round(calibrated.high, 5),
    }
    current.update(peak_memory(lambda: predict(inputs)))

    # Judge each comparison, then the whole.
    findings: list[Finding] = []
    evidence: dict[str, Any] = {"current": current, "tolerance": tolerance,
                                "confidence": confidence}  # fmt: skip
    if baseline_predict is not None:
        base = timings["baseline"]
        ratio = paired_ratio(cand, base, confidence=confidence)
        evidence["baseline_model"] = {**base.summary(rows), **ratio.to_dict()}
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
            found = _against_stored("train step latency", step_ratio, section.data,
                                    "train_step_", tolerance)  # fmt: skip
            if found is not None:
                findings.append(found)
    stored_compared = False
    if section is not None and baseline_predict is None:
        found = _against_stored("predict latency", calibrated, section.data, "", tolerance)
        if found is not None:
            findings.append(found)
            stored_compared = True
        findings += compare_memory(current, section.data, memory_tolerance=memory_tolerance,
                                   against="the recorded baseline")  # fmt: skip
        evidence["baseline"] = dict(section.data)
        evidence["baseline_recorded_on"] = dict(section.recorded_on)
        elsewhere = host_difference(section.recorded_on)
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
    detail = "; ".join(f.message for f in findings)
    if baseline_predict is None and not stored_compared:
        if context.update_baseline:
            why = (
                f"recorded the performance baseline in {context.baseline_path}; nothing "
                "compared in a run that records it"
            )
        elif section is not None:
            why = (
                "the recorded baseline has no calibration ratio (recorded by an older "
                f"mltestscore): {UPDATE_HINT}"
            )
        else:
            why = f"nothing to compare with: {NOTHING_TO_COMPARE}"
        return CheckResult.inconclusive(
            f"{summary}{': ' + detail if detail else ''}; could not judge a regression: {why}",
            evidence,
            "Define ml_baseline_predict to time the previous version beside the candidate",
        )
    if any(f.status == "warn" for f in findings):
        return CheckResult.warned(f"{summary}: {detail}", evidence, NEXT_STEP)
    return CheckResult.passed(f"{summary}: {detail}", evidence)


def judge_ratio(what: str, ratio: Ratio, against: str, tolerance: float) -> Finding:
    """FAIL beyond tolerance and noise; WARN beyond tolerance within noise; else PASS."""
    allowed = 1.0 + tolerance
    text = f"{what}: {ratio.describe()} {against}, allowed ≤ {allowed:.2f}"
    if ratio.low > allowed:
        return Finding(what, "fail", f"{text}: slower beyond the tolerance and the noise")
    if ratio.median > allowed:
        return Finding(what, "warn", f"{text}: possibly slower, within this run's noise")
    return Finding(what, "pass", text)


def _against_stored(
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


def _latency_budget(
    latency_budget_ms: float | None, predict: Any, model: Any
) -> tuple[float | None, str]:
    """The p95 budget in ms and where it came from: the threshold, else a model contract."""
    if latency_budget_ms is not None:
        if latency_budget_ms <= 0:
            raise ValueError(f"latency_budget_ms must be > 0, got {latency_budget_ms}")
        return float(latency_budget_ms), "the latency_budget_ms threshold"
    for owner, obj in (("predict", predict), ("model", model)):
        contract = get_contract(obj) if obj is not None else None
        if contract is not None and contract.latency_ms is not None:
            return float(contract.latency_ms), f"the {owner}'s model contract"
    return None, ""
