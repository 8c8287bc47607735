"""data.3: no feature costs more than its benefit is worth."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from mltestscore.checks.data.cost import FeatureCost, measure_costs, with_importance
from mltestscore.checks.data.importance import SHARED_KEY
from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def _cheap_features() -> dict[str, object]:
    return {
        "radius_x_texture": lambda df: df["mean radius"].to_numpy() * df["mean texture"].to_numpy(),
        "log_area": lambda df: np.log1p(df["worst area"].to_numpy()),
    }


def _slow_feature(df: pd.DataFrame) -> np.ndarray:
    """Row by row in Python with a per-row lookup: the classic slow feature."""
    time.sleep(0.02)  # a remote lookup per batch
    return np.array([sum(range(200)) * 0.0 + value for value in df["mean smoothness"]])


def test_passes_for_cheap_features_with_importance(raw) -> None:
    outcome = run_builtin(
        "data.3",
        {
            "feature_fns": _cheap_features(),
            "raw_data": raw,
            "importance": {"radius_x_texture": 0.12, "log_area": 0.08},
        },
    )
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["importance_source"] == "importance input"
    costs = {row["feature"]: row for row in outcome.evidence["costs"]}
    assert set(costs) == {"radius_x_texture", "log_area"}
    assert all(row["ms_per_1k_rows"] < 20 for row in costs.values())


def test_fails_a_slow_feature_that_brings_no_importance(raw) -> None:
    features = _cheap_features() | {"smoothness_slow": _slow_feature}
    outcome = run_builtin(
        "data.3",
        {
            "feature_fns": features,
            "raw_data": raw,
            "importance": {"radius_x_texture": 0.12, "log_area": 0.08, "smoothness_slow": 0.0},
        },
        thresholds={"repeats": 1},
    )
    assert outcome.status is Status.FAIL
    assert list(outcome.evidence["over_budget"]) == ["smoothness_slow"]
    assert "no importance" in outcome.message and outcome.next_step
    assert outcome.evidence["costs"][0]["feature"] == "smoothness_slow"  # most costly first


def test_fails_a_feature_over_the_absolute_time_budget(raw) -> None:
    outcome = run_builtin(
        "data.3",
        {"feature_fns": {"slow": _slow_feature}, "raw_data": raw},
        thresholds={"max_ms_per_1k_rows": 10.0, "repeats": 1},
    )
    assert outcome.status is Status.FAIL and "ms/1k rows > 10" in outcome.message
    assert outcome.evidence["importance_source"] == "none"


def test_fails_a_memory_hungry_feature(raw) -> None:
    def hashed_one_hot_score(df: pd.DataFrame) -> np.ndarray:
        buckets = (df["mean radius"].to_numpy() * 1000).astype(np.int64) % 4096
        one_hot = np.zeros((len(df), 4096))  # dense (n, 4096) float64: 32 kB per row
        one_hot[np.arange(len(df)), buckets] = 1.0
        return one_hot @ np.linspace(0, 1, 4096)

    outcome = run_builtin(
        "data.3",
        {"feature_fns": _cheap_features() | {"hashed": hashed_one_hot_score}, "raw_data": raw},
    )
    assert outcome.status is Status.FAIL
    assert list(outcome.evidence["over_budget"]) == ["hashed"]
    assert "MB/1k rows peak" in outcome.message


def test_uses_importance_from_data2_in_the_same_run(raw) -> None:
    context = CheckContext.default(Path.cwd())
    context.shared[SHARED_KEY] = {"metric": "accuracy", "importance": {"slow": 0.0, "fast": 0.2}}
    outcome = run_builtin(
        "data.3",
        {
            "feature_fns": {"slow": _slow_feature, "fast": lambda df: df["mean area"].to_numpy()},
            "raw_data": raw,
        },
        thresholds={"repeats": 1},
        context=context,
    )
    assert outcome.evidence["importance_source"].startswith("data.2")
    assert outcome.status is Status.FAIL and list(outcome.evidence["over_budget"]) == ["slow"]


def test_computes_importance_from_model_and_eval_data(raw) -> None:
    from sklearn.linear_model import LogisticRegression

    frame = pd.DataFrame({"radius": raw["worst radius"], "target": raw["target"]})
    model = LogisticRegression().fit(frame[["radius"]], frame["target"])
    outcome = run_builtin(
        "data.3",
        {
            "feature_fns": {"radius": lambda df: df["worst radius"].to_numpy()},
            "raw_data": raw,
            "model": model,
            "eval_data": frame,
            "target": "target",
        },
    )
    assert outcome.status is Status.PASS
    assert outcome.evidence["importance_source"] == "permutation importance (accuracy)"
    assert outcome.evidence["costs"][0]["importance"] > 0.1


def test_bad_feature_functions_are_named(raw) -> None:
    wrong_length = run_builtin(
        "data.3", {"feature_fns": {"short": lambda df: df["mean radius"][:5]}, "raw_data": raw}
    )
    assert wrong_length.status is Status.ERROR
    assert "feature_fns['short'] returned 5 values for 569 rows" in wrong_length.message
    crashing = run_builtin(
        "data.3", {"feature_fns": {"boom": lambda df: df["no such column"]}, "raw_data": raw}
    )
    assert crashing.status is Status.ERROR and "feature_fns['boom'] raised KeyError" in (
        crashing.message
    )
    empty = run_builtin("data.3", {"feature_fns": {}, "raw_data": raw})
    assert empty.status is Status.ERROR and "non-empty mapping" in empty.message


def test_cost_shares_and_ratio() -> None:
    costs, rows = measure_costs(
        {"a": lambda xs: [x * 2 for x in xs]}, list(range(2000)), max_rows=1000
    )
    assert rows == 1000 and costs[0].ms_per_1k_rows > 0
    shared = with_importance(
        [FeatureCost("a", 9.0, 0.1), FeatureCost("b", 1.0, 0.1), FeatureCost("c", 1.0, 0.1)],
        {"a": 0.1, "b": 0.9, "c": -0.2},
    )
    a, b, c = shared
    assert a.cost_share == pytest.approx(9 / 11) and a.importance_share == pytest.approx(0.1)
    assert a.ratio == pytest.approx((9 / 11) / 0.1)
    assert b.ratio == pytest.approx((1 / 11) / 0.9)
    assert c.ratio is not None and math.isinf(c.ratio)  # negative importance counts as none


def test_features_missing_from_the_importance_are_named(raw) -> None:
    outcome = run_builtin(
        "data.3",
        {"feature_fns": _cheap_features(), "raw_data": raw, "importance": {"log_area": 0.3}},
    )
    assert outcome.status is Status.PASS
    assert outcome.evidence["importance_unknown"] == ["radius_x_texture"]
    assert "no importance for radius_x_texture" in outcome.message
