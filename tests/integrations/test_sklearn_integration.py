"""scikit-learn all the way: infra.6 through skl2onnx, infra.5 through any estimator,
infra.2's spec test — each passing, and failing for its reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mltestscore.checks.integrations.sklearn_spec import check_sklearn_spec
from mltestscore.results import Status
from mltestscore.runner import run_builtin

X, Y = load_iris(return_X_y=True)


def census() -> tuple[pd.DataFrame, np.ndarray]:
    """A census-income-like table: numbers, categories, a binary label."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "hours-per-week": rng.normal(40, 8, n).round(1),
        "workclass": rng.choice(["private", "self-emp", "gov"], n),
        "education": rng.choice(["hs", "bachelors", "masters"], n),
    })  # fmt: skip
    score = (frame["age"] - 40) / 10 + (frame["education"] == "masters") * 1.5
    return frame, (score + rng.normal(0, 1, n) > 0.5).to_numpy().astype(int)


def census_pipeline(model: object | None = None) -> Pipeline:
    frame, labels = census()
    pre = ColumnTransformer([
        ("num", StandardScaler(), ["age", "hours-per-week"]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["workclass", "education"]),
    ])  # fmt: skip
    return Pipeline([("pre", pre), ("clf", model or LogisticRegression())]).fit(frame, labels)


class BlackBox(ClassifierMixin, BaseEstimator):
    """An estimator skl2onnx has no converter for, and nothing to trace but predict."""

    def fit(self, x: object, y: np.ndarray) -> BlackBox:
        self.classes_ = np.unique(y)
        return self

    def predict(self, x: object) -> np.ndarray:
        return np.full(len(x), self.classes_[0])  # type: ignore[arg-type]


# -- infra.6 -----------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _needs_converter(request: pytest.FixtureRequest) -> None:
    if "canary" in request.node.name:
        pytest.importorskip("skl2onnx")
        pytest.importorskip("onnxruntime")


def test_canary_random_forest_served_by_onnxruntime_in_another_process() -> None:
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, Y)
    ev = run_builtin("infra.6", {"model": model, "canary_inputs": X[::15]})
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["export"] == "skl2onnx" and ev.evidence["format"] == "onnx"
    assert "sklearn" not in ev.evidence["serving_process_imported"]
    assert ev.evidence["comparison"]["compared"] == 10 * 3  # probabilities, rows × classes


def test_canary_census_pipeline_with_column_transformer_and_regressor() -> None:
    frame, _ = census()
    ev = run_builtin("infra.6", {"model": census_pipeline(), "canary_inputs": frame.head(8)})
    assert ev.status is Status.PASS, ev.message
    features, target = load_diabetes(return_X_y=True)
    ev = run_builtin(
        "infra.6", {"model": Ridge().fit(features, target), "canary_inputs": features[:5]}
    )
    assert ev.status is Status.PASS, ev.message


def test_canary_unconvertible_estimator_gets_the_converter_message_and_the_fixtures() -> None:
    ev = run_builtin("infra.6", {"model": BlackBox().fit(X, Y), "canary_inputs": X[:4]})
    assert ev.status is Status.FAIL
    assert "skl2onnx cannot convert BlackBox" in ev.message
    assert "MissingShapeCalculator" in ev.message and "ml_export_fn" in ev.message


def test_canary_fails_when_served_outputs_differ_beyond_tolerance() -> None:
    model = LogisticRegression(max_iter=500).fit(X, Y)  # float32 serving vs float64 in process
    ev = run_builtin(
        "infra.6", {"model": model, "canary_inputs": X[:10]}, thresholds={"atol": 0.0, "rtol": 0.0}
    )
    assert ev.status is Status.FAIL and "differ" in ev.message


# -- infra.5 -----------------------------------------------------------------------------
def test_trace_tree_decision_path() -> None:
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, Y)
    ev = run_builtin("infra.5", {"model": tree, "example": X[100]})
    assert ev.status is Status.PASS, ev.message
    path = [r for r in ev.evidence["trace"] if r["call"] == "decision_path"]
    splits, leaf = path[:-1], path[-1]
    assert splits and all({"feature", "threshold", "value", "branch"} <= set(r) for r in splits)
    for row in splits:
        assert row["branch"].startswith("left") == (row["value"] <= row["threshold"])
    assert abs(sum(leaf["leaf_value"]) - 1) < 1e-6


def test_trace_forest_and_boosting_votes() -> None:
    forest = RandomForestClassifier(n_estimators=7, random_state=0).fit(X, Y)
    ev = run_builtin("infra.5", {"model": forest, "example": X[:1]})
    votes = next(r for r in ev.evidence["trace"] if r["call"] == "tree_outputs")
    assert ev.status is Status.PASS and sum(votes["votes"].values()) == 7
    features, target = load_diabetes(return_X_y=True)
    boost = GradientBoostingRegressor(n_estimators=5, random_state=0).fit(features, target)
    ev = run_builtin("infra.5", {"model": boost, "example": features[:1]})
    assert ev.status is Status.PASS, ev.message


def test_trace_census_pipeline_column_transformer_and_contributions() -> None:
    frame, _ = census()
    ev = run_builtin("infra.5", {"model": census_pipeline(), "example": frame.head(1)})
    assert ev.status is Status.PASS, ev.message
    modules = [r["module"] for r in ev.evidence["trace"]]
    assert modules[:3] == ["pre/num", "pre/cat", "pre"]
    contributions = [r for r in ev.evidence["trace"] if r["call"] == "contribution"]
    assert contributions[-1]["reconstructs_decision_function"] is True
    assert any(r["module"] == "clf/num__age" for r in contributions)


def test_trace_fails_where_it_breaks_and_for_a_black_box() -> None:
    frame, _ = census()
    ev = run_builtin(
        "infra.5", {"model": census_pipeline(), "example": frame.drop(columns="age").head(1)}
    )
    assert ev.status is Status.FAIL and ev.evidence["raised_in"] == "pre (ColumnTransformer)"
    ev = run_builtin("infra.5", {"model": BlackBox().fit(X, Y), "example": X[:1]})
    assert ev.status is Status.FAIL and "no intermediate output" in ev.message
    ev = run_builtin("infra.5", {"model": LogisticRegression(), "example": X[:1]})
    assert ev.status is Status.NOT_AUTOMATED and "not fitted" in ev.message


# -- infra.2 (the spec test; infra.2 dispatches to it for estimators) --------------------
def test_spec_test_passes_for_a_seeded_forest_and_the_census_pipeline() -> None:
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, Y)
    result = check_sklearn_spec(forest, (X, Y))
    assert result.status is Status.PASS, result.message
    names = [f["name"] for f in result.evidence["findings"]]
    assert names == ["fit_subset", "deterministic_predict", "predict_proba",
                     "clone_refits_identically"]  # fmt: skip
    frame, labels = census()
    pa = pytest.importorskip("pandera.pandas")
    schema = pa.DataFrameSchema({"age": pa.Column(int), "hours-per-week": pa.Column(float),
                                 "workclass": pa.Column(str), "education": pa.Column(str)})  # fmt: skip
    table = frame.assign(income=labels)
    result = check_sklearn_spec(census_pipeline(), table, schema, target="income")
    assert result.status is Status.PASS, result.message


def test_spec_test_fails_for_an_unseeded_forest_bad_probabilities_and_refused_dtypes() -> None:
    forest = RandomForestClassifier(n_estimators=10).fit(X, Y)
    result = check_sklearn_spec(forest, (X, Y))
    assert result.status is Status.FAIL and "random_state is None" in result.message

    class Unnormalized(LogisticRegression):
        def predict_proba(self, x: object) -> np.ndarray:
            return super().predict_proba(x) * 2

    result = check_sklearn_spec(Unnormalized(max_iter=500).fit(X, Y), (X, Y))
    assert result.status is Status.FAIL and "outside [0, 1]" in result.message

    pa = pytest.importorskip("pandera.pandas")
    frame, labels = census()
    strict = Pipeline([("pre", ColumnTransformer([("cat", OneHotEncoder(), ["age"])])),
                       ("clf", LogisticRegression())]).fit(frame, labels)  # fmt: skip
    schema = pa.DataFrameSchema({"age": pa.Column(str)})  # ages arrive as text
    result = check_sklearn_spec(strict, frame.assign(income=labels), schema, target="income")
    assert result.status is Status.FAIL and "schema_dtypes" in result.message
