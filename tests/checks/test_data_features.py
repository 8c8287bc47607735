"""data.2 and data.4 judge the same features: the model's inputs, not every column handed over.

A scikit-learn pipeline fitted on some columns of a census-like table, scored on the whole
table (one column it never saw): data.2 once permuted that column too (and failed it as
"not beneficial") while data.4 judged the model's features. Both now go through
``mltestscore.checks.data.features``. Also: float class labels with a plain callable get
accuracy in data.2, as in the model checks (``mltestscore.inputs.labels.default_metric``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin

INFORMATIVE = ["age", "hours", "education"]


@pytest.fixture(scope="module")
def census() -> pd.DataFrame:
    """Three informative columns, planted noise, and ``fnlwgt`` that no model is fitted on."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(600, 5)), columns=[*INFORMATIVE, "noise", "fnlwgt"])
    frame["target"] = (frame[INFORMATIVE].sum(axis=1) > 0).astype(int)
    return frame


def _pipeline(frame: pd.DataFrame, features: list[str]) -> Any:
    """Selects its columns by name, so it accepts (and ignores) the extra ``fnlwgt``."""
    columns = ColumnTransformer([("num", StandardScaler(), features)])
    return make_pipeline(columns, LogisticRegression()).fit(frame[features], frame["target"])


def _context(**options: Any) -> CheckContext:
    return CheckContext(Path.cwd(), Path.cwd() / "baseline.json", options=options)


def test_data2_and_data4_pass_on_the_models_features_not_the_extra_column(census) -> None:
    model = _pipeline(census, INFORMATIVE)
    inputs = {"model": model, "eval_data": census, "target": "target"}
    data2 = run_builtin("data.2", inputs, thresholds={"n_repeats": 3})
    assert data2.status is Status.PASS, data2.message
    assert data2.evidence["features"] == 3
    assert data2.evidence["feature_source"] == "model.feature_names_in_"
    assert "fnlwgt" not in {row["feature"] for row in data2.evidence["importance"]}
    data4 = run_builtin(
        "data.4",
        {"model": model, "train_data": census, "target": "target"},
        context=_context(deny_features=["fnlwgt"]),
    )
    assert data4.status is Status.PASS, data4.message
    assert data4.evidence["features"] == data2.evidence["features"]
    assert data4.evidence["feature_source"] == data2.evidence["feature_source"]


def test_data2_and_data4_fail_on_a_feature_the_model_uses(census, tmp_path: Path) -> None:
    model = _pipeline(census, [*INFORMATIVE, "noise"])
    path = tmp_path / "eval.parquet"
    census.to_parquet(path)
    for eval_data in (census, path):  # a DataFrame or a table path: the same decision
        data2 = run_builtin(
            "data.2",
            {"model": model, "eval_data": eval_data, "target": "target"},
            thresholds={"n_repeats": 3},
        )
        assert data2.status is Status.FAIL, data2.message
        assert data2.evidence["within_noise"] == ["noise"] and data2.evidence["features"] == 4
    data4 = run_builtin(
        "data.4",
        {"model": model, "train_data": census, "target": "target"},
        context=_context(deny_features=["noise", "fnlwgt"]),
    )
    assert data4.status is Status.FAIL
    assert [v["feature"] for v in data4.evidence["violations"]] == ["noise"]


def test_data4_reads_the_columns_of_a_table_path(census, tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    census.to_csv(path, index=False)
    outcome = run_builtin(
        "data.4",
        {"train_data": path, "target": "target"},
        context=_context(deny_features=["fnlwgt"]),
    )
    assert outcome.status is Status.FAIL and outcome.evidence["features"] == 5
    assert outcome.evidence["feature_source"] == "train_data columns"


def test_data2_names_the_models_features_missing_from_the_data(census) -> None:
    model = _pipeline(census, INFORMATIVE)
    outcome = run_builtin(
        "data.2", {"model": model, "eval_data": census.drop(columns="hours"), "target": "target"}
    )
    assert outcome.status is Status.ERROR and "hours" in outcome.message


rng = np.random.default_rng(1)
X = rng.normal(size=(400, 3))
Y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float64)  # float class labels 0.0 / 1.0


def _rule(features: Any) -> np.ndarray:
    """A plain callable returning float labels; it never looks at the third column."""
    values = np.asarray(features)
    return (values[:, 0] + 0.5 * values[:, 1] > 0).astype(np.float64)


def test_float_class_labels_with_a_callable_get_accuracy_and_pass() -> None:
    outcome = run_builtin("data.2", {"model": _rule, "eval_data": (X[:, :2], Y)})
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["metric"] == "accuracy" and outcome.evidence["baseline"] == 1.0


def test_float_class_labels_with_a_callable_get_accuracy_and_fail_on_noise() -> None:
    outcome = run_builtin("data.2", {"model": _rule, "eval_data": (X, Y)})
    assert outcome.status is Status.FAIL, outcome.message
    assert outcome.evidence["metric"] == "accuracy"
    assert outcome.evidence["within_noise"] == ["x2"]
