"""monitor.4: the serving model's age against its budget.

The planted problem: a serving model trained 45 days ago with a 30-day budget,
or a 15-day-old model when model.4's staleness curve allows only 10 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mltestscore.baseline import put_section
from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin

NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class VersionInfo:
    version: int
    created_at: dt.datetime
    metrics: dict[str, float] = field(default_factory=dict)
    path: str = ""
    serving: bool = False


class Store:
    """The model-store protocol monitor.4 reads: ``serving_version`` and ``list``."""

    def __init__(self, ages_days: list[float], serving: int | None) -> None:
        self.versions = [
            VersionInfo(i + 1, NOW - dt.timedelta(days=age), serving=(i + 1 == serving))
            for i, age in enumerate(ages_days)
        ]
        self.serving = serving

    def serving_version(self, name: str) -> int | None:
        assert name == "recognizer"
        return self.serving

    def list(self, name: str) -> list[VersionInfo]:
        return list(self.versions)


class DefaultNameStore(Store):
    """Like the reference ModelStore: the model name defaults to "recognizer"."""

    def serving_version(self, name: str = "recognizer") -> int | None:
        return super().serving_version(name)

    def list(self, name: str = "recognizer") -> list[VersionInfo]:
        return super().list(name)


def _context(tmp_path: Path, **shared: Any) -> CheckContext:
    ctx = CheckContext(root=tmp_path, baseline_path=tmp_path / "baseline.json")
    ctx.shared.update(shared)
    return ctx


def test_fresh_serving_model_passes(tmp_path: Path) -> None:
    store = Store([60, 40, 3], serving=3)
    result = run_builtin(
        "monitor.4", {"model_store": store, "model_name": "recognizer"}, context=_context(tmp_path)
    )
    assert result.status is Status.PASS, result.message
    assert "serving version 3" in result.message and "3.0 days old" in result.message
    assert "the max_age_days threshold" in result.message
    assert result.evidence["budget_days"] == 30.0


def test_stale_serving_model_fails(tmp_path: Path) -> None:
    store = Store([60, 45, 2], serving=2)  # version 3 exists but is not promoted
    result = run_builtin(
        "monitor.4", {"model_store": store, "model_name": "recognizer"}, context=_context(tmp_path)
    )
    assert result.status is Status.FAIL, result.message
    assert "45.0 days old" in result.message and "stale by 15.0 days" in result.message
    assert "Retrain" in result.next_step


def test_near_budget_warns_and_created_at_forms(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    created = (NOW - dt.timedelta(days=26)).isoformat()
    warned = run_builtin("monitor.4", {"model_created_at": created}, context=ctx)
    assert warned.status is Status.WARN and "past 80%" in warned.message
    epoch = (NOW - dt.timedelta(days=1)).timestamp()
    assert run_builtin("monitor.4", {"model_created_at": epoch}, context=ctx).status is Status.PASS
    naive = dt.datetime.now() - dt.timedelta(days=40)  # naive: taken as UTC
    assert run_builtin("monitor.4", {"model_created_at": naive}, context=ctx).status is (
        Status.FAIL
    )


def test_budget_comes_from_model4_curve_this_run_or_baseline(tmp_path: Path) -> None:
    store = Store([15], serving=1)
    inputs = {"model_store": store, "model_name": "recognizer"}
    this_run = run_builtin(
        "monitor.4", inputs, context=_context(tmp_path, **{"model.4": {"age_budget_days": 10.0}})
    )
    assert this_run.status is Status.FAIL, this_run.message
    assert "budget 10 days from model.4's staleness curve (this run)" in this_run.message
    put_section(tmp_path / "baseline.json", "model.4", {"age_budget_days": 90.0})
    from_baseline = run_builtin("monitor.4", inputs, context=_context(tmp_path))
    assert from_baseline.status is Status.PASS, from_baseline.message
    assert "model.4's staleness curve (baseline recorded" in from_baseline.message


def test_missing_or_bad_inputs(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    none = run_builtin("monitor.4", {}, context=ctx)
    assert none.status is Status.NOT_AUTOMATED and "ml_model_store" in none.message
    unnamed = run_builtin("monitor.4", {"model_store": Store([1], serving=1)}, context=ctx)
    assert unnamed.status is Status.NOT_AUTOMATED and "ml_model_name" in unnamed.message
    defaulted = run_builtin("monitor.4", {"model_store": DefaultNameStore([1], None)}, context=ctx)
    assert defaulted.status is Status.PASS, defaulted.message
    assert "no serving version promoted: newest version 1" in defaulted.message
    wrong = run_builtin("monitor.4", {"model_store": object(), "model_name": "x"}, context=ctx)
    assert wrong.status is Status.ERROR and "serving_version(name)" in wrong.message
    garbled = run_builtin("monitor.4", {"model_created_at": "last tuesday"}, context=ctx)
    assert garbled.status is Status.ERROR and "ISO-8601" in garbled.message


def test_future_creation_time_warns(tmp_path: Path) -> None:
    created = NOW + dt.timedelta(days=3)
    result = run_builtin("monitor.4", {"model_created_at": created}, context=_context(tmp_path))
    assert result.status is Status.WARN and "in the future" in result.message
