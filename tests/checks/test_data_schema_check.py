"""data.1: the training data validates against the schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from sklearn.datasets import load_digits, load_wine

from mltestscore.results import Status
from mltestscore.runner import run_builtin
from mltestscore.schema import TensorSchema
from mltestscore.schema.infer import infer_schema, to_pandera


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    return load_wine(as_frame=True).frame


@pytest.fixture(scope="module")
def wine_schema(wine) -> pa.DataFrameSchema:
    return to_pandera(infer_schema(wine, target="target"))


def test_passes_when_training_data_matches_its_inferred_schema(wine, wine_schema) -> None:
    outcome = run_builtin("data.1", {"schema": wine_schema, "train_data": wine})
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["rows"] == len(wine) and outcome.evidence["valid"]


def test_fails_on_a_planted_schema_violation_naming_columns_and_counts(wine, wine_schema) -> None:
    bad = wine.copy()
    bad.loc[:4, "alcohol"] = -1.0  # five impossible values
    bad.loc[10, "target"] = 7  # an unknown class
    outcome = run_builtin("data.1", {"schema": wine_schema, "train_data": bad})
    assert outcome.status is Status.FAIL
    assert "alcohol (2.8%)" in outcome.message and "target (0.6%)" in outcome.message
    rows = {f["column"]: f["count"] for f in outcome.evidence["failures"]}
    assert rows == {"alcohol": 5, "target": 1}
    assert outcome.next_step


def test_failures_within_the_tolerance_warn(wine, wine_schema) -> None:
    bad = wine.copy()
    bad.loc[0, "alcohol"] = -1.0
    outcome = run_builtin(
        "data.1",
        {"schema": wine_schema, "train_data": bad},
        thresholds={"max_failure_rate": 0.01},
    )
    assert outcome.status is Status.WARN and "alcohol" in outcome.message


def test_columns_without_expectations_warn(wine) -> None:
    schema = pa.DataFrameSchema({"alcohol": pa.Column(float, pa.Check.gt(0))})
    outcome = run_builtin("data.1", {"schema": schema, "train_data": wine})
    assert outcome.status is Status.WARN
    assert "13 column(s) have no expectation" in outcome.message


def test_nan_filled_training_data_fails_on_nullability(wine, wine_schema) -> None:
    nans = wine.copy()
    nans["alcohol"] = np.nan
    outcome = run_builtin("data.1", {"schema": wine_schema, "train_data": nans})
    assert outcome.status is Status.FAIL and "alcohol (100.0%)" in outcome.message


def test_recognizer_images_validate_against_a_tensor_schema() -> None:
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    schema = TensorSchema((1, 8, 8), "float32", 0.0, 1.0, tuple("0123456789"))
    good = run_builtin("data.1", {"schema": schema, "train_data": (images, digits.target)})
    assert good.status is Status.PASS
    unscaled = digits.images.astype(np.float32)[:, None]  # pixels 0..16: a forgotten scaling
    bad = run_builtin("data.1", {"schema": schema, "train_data": (unscaled, digits.target)})
    assert bad.status is Status.FAIL and "inputs" in bad.message
    assert bad.evidence["failures"][0]["check"] == "max_value(1.0)"


def test_wrong_input_type_is_an_error_with_a_clear_message(wine_schema) -> None:
    outcome = run_builtin("data.1", {"schema": wine_schema, "train_data": [1, 2, 3]})
    assert outcome.status is Status.ERROR
    assert "train_data" in outcome.message and "DataFrame" in outcome.message


def test_missing_schema_is_not_automated(wine) -> None:
    outcome = run_builtin("data.1", {"train_data": wine})
    assert outcome.status is Status.NOT_AUTOMATED and "ml_schema" in outcome.message
