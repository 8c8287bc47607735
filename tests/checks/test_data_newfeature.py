"""data.6: a synthetic new feature flows through the fast-subset pipeline end to end."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mltestscore.checks.data.data6_new_feature import model_inputs
from mltestscore.results import Status
from mltestscore.runner import run_builtin

FeatureFn = Callable[[pd.DataFrame], Any]


@pytest.fixture(scope="module")
def subset() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)


@pytest.fixture(scope="module")
def features() -> dict[str, FeatureFn]:
    return {
        "radius": lambda df: df["mean radius"].to_numpy(),
        "texture": lambda df: df["mean texture"].to_numpy(),
    }


def _build(subset: pd.DataFrame, features: dict[str, FeatureFn]) -> pd.DataFrame:
    return pd.DataFrame({name: fn(subset) for name, fn in features.items()})


def test_passes_when_a_registered_feature_reaches_the_model(subset, features) -> None:
    def pipeline(name: str, fn: FeatureFn) -> Any:
        X = _build(subset, {**features, name: fn})
        return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, subset["target"])

    outcome = run_builtin("data.6", {"add_feature_pipeline": pipeline})
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["used_by_model"] is True
    assert outcome.evidence["rows_computed"] == 200
    assert outcome.evidence["feature"].startswith("mltestscore_synthetic_")


def test_fails_when_the_pipeline_drops_the_new_feature(subset, features) -> None:
    def pipeline(name: str, fn: FeatureFn) -> Any:
        fn(subset)  # computed, then forgotten: the feature list is hard-coded below
        return LogisticRegression().fit(_build(subset, features), subset["target"])

    outcome = run_builtin("data.6", {"add_feature_pipeline": pipeline})
    assert outcome.status is Status.FAIL
    assert "not among the trained model's inputs" in outcome.message


def test_fails_when_the_model_input_size_is_hard_coded(subset, features) -> None:
    model = LogisticRegression().fit(_build(subset, features).to_numpy(), subset["target"])

    def pipeline(name: str, fn: FeatureFn) -> Any:
        X = np.column_stack([_build(subset, features).to_numpy(), fn(subset)])
        return model.predict(X)  # a model with a fixed input size cannot take it

    outcome = run_builtin("data.6", {"add_feature_pipeline": pipeline})
    assert outcome.status is Status.FAIL and "failed with a new feature" in outcome.message
    assert "X has 3 features" in outcome.evidence["error"]


def test_fails_when_the_feature_is_never_computed(subset, features) -> None:
    def pipeline(name: str, fn: FeatureFn) -> Any:
        return {"feature_names": [*features, name], "metrics": {"accuracy": 0.9}}

    outcome = run_builtin("data.6", {"add_feature_pipeline": pipeline})
    assert outcome.status is Status.FAIL and "never called" in outcome.message


def test_fails_when_over_the_time_budget(subset, features) -> None:
    def pipeline(name: str, fn: FeatureFn) -> Any:
        time.sleep(0.05)  # stands in for a slow pipeline
        X = _build(subset, {**features, name: fn})
        return LogisticRegression().fit(X, subset["target"])

    outcome = run_builtin(
        "data.6", {"add_feature_pipeline": pipeline}, thresholds={"max_seconds": 0.01}
    )
    assert outcome.status is Status.FAIL and "> 0.01s" in outcome.message


def test_metrics_mapping_with_feature_names_is_read(subset, features) -> None:
    def pipeline(name: str, fn: FeatureFn) -> Any:
        X = _build(subset, {**features, name: fn})
        model = LogisticRegression(max_iter=500).fit(X.to_numpy(), subset["target"])
        return {
            "metrics": {"accuracy": model.score(X.to_numpy(), subset["target"]), "n": 200},
            "feature_names": list(X.columns),
        }

    outcome = run_builtin("data.6", {"add_feature_pipeline": pipeline})
    assert outcome.status is Status.PASS
    assert set(outcome.evidence["metrics"]) == {"accuracy", "n"}


def test_warns_when_the_result_does_not_show_the_inputs(subset, features) -> None:
    def pipeline(name: str, fn: FeatureFn) -> Any:
        X = _build(subset, {**features, name: fn}).to_numpy()
        return LogisticRegression().fit(X, subset["target"])  # fitted on arrays: no names

    outcome = run_builtin("data.6", {"add_feature_pipeline": pipeline})
    assert outcome.status is Status.WARN and "feature_names_in_" in outcome.next_step


def test_not_a_callable_is_a_clear_error() -> None:
    outcome = run_builtin("data.6", {"add_feature_pipeline": "train.py"})
    assert outcome.status is Status.ERROR and "add_feature_pipeline" in outcome.message


def test_model_inputs_reads_common_shapes() -> None:
    frame = pd.DataFrame({"a": [1], "b": [2]})
    assert model_inputs(frame) == ("a", "b")
    assert model_inputs({"model": {"features": ["x"]}}) == ("x",)
    assert model_inputs((frame, {"acc": 1.0})) == ("a", "b")
    assert model_inputs(42) is None
