"""monitor.6: predict latency, throughput and memory against the recorded baseline.

Planted problems: a predict function that got ten times slower (a sleep), one
that allocates 20 MB more per call, and one slower than its contract's budget.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mltestscore.context import CheckContext
from mltestscore.contracts import model_contract
from mltestscore.results import Status
from mltestscore.runner import run_builtin

FAST = {"warmup": 1, "repeats": 8}
INPUTS = np.zeros((16, 4), dtype=np.float32)


def sleeper(seconds: float, allocate_mb: float = 0.0) -> Any:
    def predict(x: np.ndarray) -> np.ndarray:
        time.sleep(seconds)
        scratch = np.ones(max(1, int(allocate_mb * 1024 * 1024 / 8)))
        out: np.ndarray = x.sum(axis=1) + scratch[:1]
        return out

    return predict


def _contexts(tmp_path: Path) -> tuple[CheckContext, CheckContext]:
    path = tmp_path / ".mltestscore" / "baseline.json"
    return (
        CheckContext(root=tmp_path, baseline_path=path, update_baseline=True),
        CheckContext(root=tmp_path, baseline_path=path),
    )


def test_same_speed_passes_against_the_recorded_baseline(tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    inputs = {"predict": sleeper(0.003), "perf_inputs": INPUTS, "train_step": lambda: None}
    recorded = run_builtin("monitor.6", inputs, context=record, thresholds=FAST)
    assert recorded.status is Status.PASS, recorded.message
    assert "recorded the performance baseline" in recorded.message
    current = recorded.evidence["current"]
    assert current["p50_ms"] >= 3.0 and current["rows"] == 16
    assert current["throughput_rows_per_s"] == pytest.approx(16_000 / current["p50_ms"], rel=1e-3)
    assert "train_step_p50_ms" in current
    result = run_builtin("monitor.6", inputs, context=compare, thresholds=FAST)
    assert result.status is Status.PASS, result.message
    assert "predict p50" in result.message and "ratio" in result.message
    document = json.loads(compare.baseline_path.read_text())
    document["monitor.6"]["recorded_on"]["cpus"] = "128"  # a baseline taken on another host
    compare.baseline_path.write_text(json.dumps(document))
    elsewhere = run_builtin("monitor.6", inputs, context=compare, thresholds=FAST)
    assert elsewhere.status is Status.WARN and "different host (cpus 128" in elsewhere.message


def test_slower_model_fails_with_the_ratio(tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    run_builtin("monitor.6", {"predict": sleeper(0.002), "canary_inputs": INPUTS},
                context=record, thresholds=FAST)  # fmt: skip
    result = run_builtin("monitor.6", {"predict": sleeper(0.03), "canary_inputs": INPUTS},
                         context=compare, thresholds=FAST)  # fmt: skip
    assert result.status is Status.FAIL, result.message
    assert "computing performance regressed: predict p50" in result.message
    ratio = result.evidence["current"]["p50_ms"] / result.evidence["baseline"]["p50_ms"]
    assert ratio > 5
    assert "Profile" in result.next_step


def test_memory_growth_fails(tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    run_builtin("monitor.6", {"predict": sleeper(0.0, 0.1), "perf_inputs": INPUTS},
                context=record, thresholds=FAST)  # fmt: skip
    result = run_builtin("monitor.6", {"predict": sleeper(0.0, 20.0), "perf_inputs": INPUTS},
                         context=compare, thresholds=FAST)  # fmt: skip
    assert result.status is Status.FAIL, result.message
    assert "Python peak memory" in result.message
    assert result.evidence["current"]["python_peak_mb"] > 19


def test_contract_latency_budget_works_without_a_baseline(tmp_path: Path) -> None:
    _, compare = _contexts(tmp_path)

    @model_contract(latency_ms=1.0)
    def slow_predict(x: np.ndarray) -> np.ndarray:
        time.sleep(0.01)
        return x

    result = run_builtin("monitor.6", {"predict": slow_predict, "perf_inputs": INPUTS},
                         context=compare, thresholds=FAST)  # fmt: skip
    assert result.status is Status.FAIL, result.message
    assert "budget 1 ms from the predict's model contract" in result.message
    relaxed = run_builtin("monitor.6", {"predict": slow_predict, "perf_inputs": INPUTS},
                          context=compare, thresholds={**FAST, "latency_budget_ms": 500.0})  # fmt: skip
    assert relaxed.status is Status.PASS and "no baseline recorded" in relaxed.message


def test_missing_baseline_or_inputs_is_not_automated(tmp_path: Path) -> None:
    _, compare = _contexts(tmp_path)
    no_base = run_builtin("monitor.6", {"predict": sleeper(0.0), "perf_inputs": INPUTS},
                          context=compare, thresholds=FAST)  # fmt: skip
    assert no_base.status is Status.NOT_AUTOMATED
    assert "--ml-score-update-baseline" in no_base.message
    no_inputs = run_builtin("monitor.6", {"predict": sleeper(0.0)}, context=compare)
    assert no_inputs.status is Status.NOT_AUTOMATED and "ml_perf_inputs" in no_inputs.message
