"""model.4: age-vs-quality curves from a model store (older models on current data) or a table.

The planted problem is covariate drift: version *k* was trained when the
features sat ``shift · age`` away from today's, so older versions misjudge
current data more and more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from mltestscore import Metric
from mltestscore.context import CheckContext
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.runner import run_builtin

Data = tuple[np.ndarray, np.ndarray]
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
AGES = (0, 30, 60, 90, 120)


@dataclass(frozen=True)
class Info:
    version: int
    created_at: str


class MemoryStore:
    """The model-store protocol (``list``/``load``) in memory."""

    def __init__(self) -> None:
        self.items: dict[int, tuple[Any, str]] = {}

    def save(self, model: Any, created_at: dt.datetime) -> None:
        self.items[len(self.items) + 1] = (model, created_at.isoformat())

    def list(self, name: str) -> list[Info]:
        return [Info(v, c) for v, (_, c) in self.items.items()]

    def load(self, name: str, version: int) -> tuple[Any, dict[str, str]]:
        model, created = self.items[version]
        return model, {"created_at": created}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_breast_cancer(return_X_y=True)
    return (x - x.mean(axis=0)) / x.std(axis=0), y


def make_store(data: tuple[np.ndarray, np.ndarray], shift_per_day: float) -> MemoryStore:
    x, y = data
    store = MemoryStore()
    for age in sorted(AGES, reverse=True):
        past = x + shift_per_day * age  # what the features looked like when it was trained
        model = LogisticRegression(max_iter=500).fit(past[::2], y[::2])
        store.save(model, NOW - dt.timedelta(days=age))
    return store


def run(
    inputs: dict[str, Any], context: CheckContext | None = None, **thr: Any
) -> AutomatedEvidence:
    thresholds = {"as_of": NOW.isoformat(), **thr}
    return run_builtin("model.4", inputs, thresholds=thresholds, context=context)


def current(data: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    x, y = data
    return x[1::2], y[1::2]


def test_stable_world_gives_a_flat_curve(data: Data, tmp_path: Path) -> None:
    context = CheckContext(root=tmp_path, baseline_path=tmp_path / "b.json")
    result = run({"model_store": make_store(data, 0.0), "eval_data": current(data)}, context)
    assert result.status is Status.PASS, result.message
    assert [p["age_days"] for p in result.evidence["curve"]] == list(AGES)
    assert abs(result.evidence["decay_per_30_days"]) < 0.01
    assert context.shared["model.4"]["metric"] == "accuracy"


def test_drifting_world_decays_and_sets_the_age_budget(data: Data, tmp_path: Path) -> None:
    context = CheckContext(root=tmp_path, baseline_path=tmp_path / "b.json", update_baseline=True)
    store = make_store(data, shift_per_day=0.012)
    result = run({"model_store": store, "eval_data": current(data)}, context)
    assert result.status is Status.PASS, result.message
    curve = result.evidence["curve"]
    assert curve[0]["metric"] - curve[-1]["metric"] > 0.1  # older versions are worse today
    budget = context.shared["model.4"]["age_budget_days"]
    assert 0 < budget < 120
    assert result.evidence["slope_per_day"] < 0
    assert '"age_budget_days"' in (tmp_path / "b.json").read_text()


def test_decay_over_budget_fails(data: Data) -> None:
    store = make_store(data, shift_per_day=0.012)
    result = run({"model_store": store, "eval_data": current(data)}, max_decay_per_30_days=0.01)
    assert result.status is Status.FAIL
    assert "decays" in result.message and "per 30 days" in result.message


def test_single_version_cannot_make_a_curve(data: Data) -> None:
    store = MemoryStore()
    store.save(LogisticRegression(max_iter=500).fit(*data), NOW)
    result = run({"model_store": store, "eval_data": current(data)})
    assert result.status is Status.FAIL
    assert "rests on 1 version(s)" in result.message


def test_broken_version_is_listed_not_fatal(data: Data) -> None:
    store = make_store(data, 0.0)
    store.items[3] = ("not a model", store.items[3][1])
    result = run({"model_store": store, "eval_data": current(data)})
    assert result.status is Status.PASS
    assert result.evidence["errors"][0]["version"] == 3
    assert len(result.evidence["curve"]) == 4


def test_custom_evaluate_and_lower_is_better_metric(data: Data) -> None:
    store = make_store(data, shift_per_day=0.012)
    x, y = current(data)

    def error_rate(model: Any, eval_data: Any) -> float:
        return float(np.mean(model.predict(eval_data[0]) != eval_data[1]))

    result = run(
        {"model_store": store, "eval_data": (x, y), "evaluate": error_rate},
        higher_is_better=False, max_decay_per_30_days=0.01,
    )  # fmt: skip
    assert result.status is Status.FAIL
    assert result.evidence["metric"] == "error_rate"
    assert result.evidence["slope_per_day"] > 0


def test_precomputed_table_with_floor(tmp_path: Path) -> None:
    table = [{"version": v, "age_days": a, "metric": 0.9 - 0.001 * a} for v, a in enumerate(AGES)]
    context = CheckContext(root=tmp_path, baseline_path=tmp_path / "b.json")
    result = run({"staleness_table": table}, context, quality_floor=0.85)
    assert result.status is Status.PASS
    assert result.evidence["age_budget_days"] == pytest.approx(50.0)


def test_fresh_model_below_floor_fails() -> None:
    table = [{"version": v, "age_days": a, "metric": 0.7} for v, a in enumerate(AGES)]
    result = run({"staleness_table": table}, quality_floor=0.8)
    assert result.status is Status.FAIL
    assert "even a fresh model" in result.message


def test_metric_direction_comes_from_metric_object(data: Data) -> None:
    store = make_store(data, shift_per_day=0.012)
    errors = Metric("error", lambda t, p: float(np.mean(t != p)), higher_is_better=False)
    result = run({"model_store": store, "eval_data": current(data), "metric": errors},
                 max_decay_per_30_days=0.01)  # fmt: skip
    assert result.status is Status.FAIL
    assert result.evidence["decay_per_30_days"] > 0.01


def test_without_inputs_it_is_not_automated() -> None:
    result = run({})
    assert result.status is Status.NOT_AUTOMATED
    assert "ml_staleness_table" in result.message


def test_model_name_comes_from_a_single_model_store(data: Data) -> None:
    store = make_store(data, 0.0)
    store.names = lambda: ["recognizer"]  # type: ignore[attr-defined]
    assert run({"model_store": store, "eval_data": current(data)}).status is Status.PASS
    store.names = lambda: ["recognizer", "ranker"]  # type: ignore[attr-defined]
    result = run({"model_store": store, "eval_data": current(data)})
    assert result.status is Status.NOT_AUTOMATED
    assert "define ml_model_name" in result.message
