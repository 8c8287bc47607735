"""monitor.6: predict timed beside a comparison in the same run, and peak memory.

Planted problems: a model that does three times the work per call (extra matrix
products in its forward pass), one that allocates 20 MB more per call, and one
slower than its contract's budget. The predict functions burn CPU like a model
does (a sleep would not slow down with the machine's load).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mltestscore.checks.monitor.timing import Timing, calibration, paired_ratio, time_interleaved
from mltestscore.context import CheckContext
from mltestscore.contracts import model_contract
from mltestscore.results import Status
from mltestscore.runner import run_builtin

FAST = {"warmup": 1, "repeats": 12}
INPUTS = np.zeros((16, 4), dtype=np.float32)
_W = (np.random.default_rng(1).standard_normal((192, 192)) / 14).astype(np.float32)


def model_predict(work: int, allocate_mb: float = 0.0) -> Any:
    """A predict whose forward pass does ``work`` blocks of matrix products."""

    def predict(x: np.ndarray) -> np.ndarray:
        h = np.ones((192, 192), dtype=np.float32)
        for _ in range(4 * work):
            h = np.tanh(h @ _W)
        scratch = np.ones(max(1, int(allocate_mb * 1024 * 1024 / 8)))
        out: np.ndarray = x.sum(axis=1) + h[0, 0] + scratch[:1]
        return out

    return predict


def _contexts(tmp_path: Path) -> tuple[CheckContext, CheckContext]:
    path = tmp_path / ".mltestscore" / "baseline.json"
    return (
        CheckContext(root=tmp_path, baseline_path=path, update_baseline=True),
        CheckContext(root=tmp_path, baseline_path=path),
    )


def test_paired_ratio_is_the_median_of_round_ratios_with_an_interval() -> None:
    a = Timing(tuple(float(v) for v in [3, 3, 3, 3, 30, 3, 3]))  # one round hit by load
    b = Timing(tuple(float(v) for v in [1, 1, 1, 1, 10, 1, 1]))
    ratio = paired_ratio(a, b)
    assert ratio.median == pytest.approx(3.0) and ratio.low == ratio.high == pytest.approx(3.0)
    assert ratio.rounds == 7 and "3.00×" in ratio.describe()
    with pytest.raises(ValueError, match="confidence"):
        paired_ratio(a, b, confidence=1.5)


def test_interleaved_timing_alternates_and_stops_at_the_round_budget() -> None:
    order: list[str] = []
    timings = time_interleaved(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")},
        warmup=0, repeats=6, max_seconds=10.0,
    )  # fmt: skip
    assert order == ["a", "b", "b", "a"] * 3
    assert len(timings["a"].samples_ms) == len(timings["b"].samples_ms) == 6


def test_same_model_beside_its_baseline_passes(tmp_path: Path) -> None:
    _, compare = _contexts(tmp_path)
    inputs = {"predict": model_predict(1), "baseline_predict": model_predict(1),
              "perf_inputs": INPUTS}  # fmt: skip
    result = run_builtin("monitor.6", inputs, context=compare, thresholds=FAST)
    assert result.status is Status.PASS, result.message
    assert "of the baseline model timed beside it" in result.message
    ratio = result.evidence["baseline_model"]["ratio"]
    assert 0.75 < ratio < 1.25
    assert result.evidence["current"]["rows"] == 16
    assert not compare.baseline_path.exists()  # judged in this run, nothing stored


def test_three_times_slower_model_fails_beside_its_baseline(tmp_path: Path) -> None:
    _, compare = _contexts(tmp_path)
    inputs = {"predict": model_predict(3), "baseline_predict": model_predict(1),
              "perf_inputs": INPUTS}  # fmt: skip
    result = run_builtin("monitor.6", inputs, context=compare, thresholds=FAST)
    assert result.status is Status.FAIL, result.message
    assert "computing performance regressed: predict latency" in result.message
    assert "slower beyond the tolerance and the noise" in result.message
    assert result.evidence["baseline_model"]["ratio_low"] > 1.25
    assert "Profile" in result.next_step


def test_baseline_model_is_called_through_the_predict_adapter(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).standard_normal((64, 4))
    model = LogisticRegression().fit(x, (x[:, 0] > 0).astype(int))
    _, compare = _contexts(tmp_path)
    result = run_builtin("monitor.6", {"predict": model.predict, "baseline_model": model,
                                       "perf_inputs": x}, context=compare, thresholds=FAST)  # fmt: skip
    assert result.status in (Status.PASS, Status.WARN), result.message
    assert "baseline_model" in result.evidence


def test_stored_baseline_is_compared_after_calibration(tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    inputs = {"predict": model_predict(1), "perf_inputs": INPUTS, "train_step": calibration()}
    recorded = run_builtin("monitor.6", inputs, context=record, thresholds=FAST)
    # Recording is not judging: the record-only run earns no point.
    assert recorded.status is Status.INCONCLUSIVE, recorded.message
    assert "recorded the performance baseline" in recorded.message
    stored = json.loads(compare.baseline_path.read_text())["monitor.6"]["data"]
    assert stored["calibrated"] > 0 and stored["calibration_p50_ms"] > 0
    assert "train_step_calibrated" in stored
    same = run_builtin("monitor.6", inputs, context=compare, thresholds=FAST)
    assert same.status in (Status.PASS, Status.WARN), same.message
    assert "normalized by the calibration workload" in same.message
    slower = run_builtin("monitor.6", {**inputs, "predict": model_predict(3)}, context=compare,
                         thresholds=FAST)  # fmt: skip
    assert slower.status is Status.FAIL, slower.message


def test_old_baseline_without_calibration_could_not_judge(tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    run_builtin("monitor.6", {"predict": model_predict(1), "perf_inputs": INPUTS},
                context=record, thresholds=FAST)  # fmt: skip
    document = json.loads(compare.baseline_path.read_text())
    for key in ("calibrated", "calibrated_low", "calibrated_high"):
        del document["monitor.6"]["data"][key]
    compare.baseline_path.write_text(json.dumps(document))
    result = run_builtin("monitor.6", {"predict": model_predict(1), "perf_inputs": INPUTS},
                         context=compare, thresholds=FAST)  # fmt: skip
    assert result.status is Status.INCONCLUSIVE and "no calibration ratio" in result.message


def test_memory_growth_fails_beside_the_baseline_model(tmp_path: Path) -> None:
    _, compare = _contexts(tmp_path)
    inputs = {"predict": model_predict(0, 20.0), "baseline_predict": model_predict(0, 0.1),
              "perf_inputs": INPUTS}  # fmt: skip
    result = run_builtin("monitor.6", inputs, context=compare, thresholds=FAST)
    assert result.status is Status.FAIL, result.message
    assert "Python peak memory" in result.message and "for the baseline model" in result.message
    assert result.evidence["current"]["python_peak_mb"] > 19


def test_contract_latency_budget_fails_and_alone_cannot_judge(tmp_path: Path) -> None:
    _, compare = _contexts(tmp_path)
    slow = model_predict(2)

    @model_contract(latency_ms=0.001)
    def slow_predict(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = slow(x)
        return out

    result = run_builtin("monitor.6", {"predict": slow_predict, "perf_inputs": INPUTS},
                         context=compare, thresholds=FAST)  # fmt: skip
    assert result.status is Status.FAIL, result.message
    assert "budget 0.001 ms from the predict's model contract" in result.message
    relaxed = run_builtin("monitor.6", {"predict": slow_predict, "perf_inputs": INPUTS},
                          context=compare, thresholds={**FAST, "latency_budget_ms": 1e6})  # fmt: skip
    assert relaxed.status is Status.INCONCLUSIVE, relaxed.message
    assert "nothing to compare with" in relaxed.message


def test_missing_comparison_or_inputs_is_not_automated(tmp_path: Path) -> None:
    _, compare = _contexts(tmp_path)
    no_base = run_builtin("monitor.6", {"predict": model_predict(0), "perf_inputs": INPUTS},
                          context=compare, thresholds=FAST)  # fmt: skip
    assert no_base.status is Status.NOT_AUTOMATED
    assert "ml_baseline_predict" in no_base.message
    assert "--ml-score-update-baseline" in no_base.message
    no_inputs = run_builtin("monitor.6", {"predict": model_predict(0)}, context=compare)
    assert no_inputs.status is Status.NOT_AUTOMATED and "ml_perf_inputs" in no_inputs.message
    compare.baseline_path.parent.mkdir(parents=True)
    compare.baseline_path.write_text("{not json")
    corrupt = run_builtin("monitor.6", {"predict": model_predict(0), "perf_inputs": INPUTS},
                          context=compare, thresholds=FAST)  # fmt: skip
    assert corrupt.status is Status.NOT_AUTOMATED and "not valid JSON" in corrupt.message
