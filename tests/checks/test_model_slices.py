"""model.6 (quality per slice) and model.7 (inclusion gaps) on breast-cancer data.

Planted problems: training labels corrupted on one slice (coarse-textured
tumours), so the model fails that slice only; and training labels biased against
one clinic's patients (half of its malignant cases recorded as benign), so the
model's TPR collapses for that group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

from mltestscore import Metric
from mltestscore.results import Status
from mltestscore.runner import run_builtin

Split = tuple[pd.DataFrame, pd.DataFrame]
POSITIVE = 0  # in this data set 0 = malignant: the finding that must not be missed


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(0)
    frame["clinic"] = rng.choice(["north", "south"], size=len(frame))
    order = rng.permutation(len(frame))
    return frame.iloc[order[:340]].reset_index(drop=True), frame.iloc[order[340:]].reset_index(
        drop=True
    )


def fit(train: pd.DataFrame) -> RandomForestClassifier:
    features = train.drop(columns=["target"]).assign(
        clinic=(train["clinic"] == "south").astype(int)
    )
    return RandomForestClassifier(n_estimators=60, random_state=0).fit(features, train["target"])


class ClinicModel:
    """Wraps the forest so it takes the evaluation frame as is (clinic as a string)."""

    def __init__(self, forest: RandomForestClassifier) -> None:
        self.forest = forest

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(
            self.forest.predict(frame.assign(clinic=(frame["clinic"] == "south").astype(int)))
        )


@pytest.fixture(scope="module")
def clean(split: Split) -> ClinicModel:
    return ClinicModel(fit(split[0]))


@pytest.fixture(scope="module")
def corrupted_slice(split: Split) -> ClinicModel:
    train = split[0].copy()
    coarse = train["mean texture"] >= 22
    train.loc[coarse, "target"] = 1 - train.loc[coarse, "target"]
    return ClinicModel(fit(train))


@pytest.fixture(scope="module")
def biased(split: Split) -> ClinicModel:
    train = split[0].copy()
    rng = np.random.default_rng(1)
    hidden = (
        (train["clinic"] == "south")
        & (train["target"] == POSITIVE)
        & (rng.random(len(train)) < 0.6)
    )
    train.loc[hidden, "target"] = 1 - POSITIVE
    return ClinicModel(fit(train))


SLICES = {
    "fine texture": ("mean texture", (None, 22)),
    "coarse texture": {"column": "mean texture", "bin": [22, None]},
    "south clinic": ("clinic", "south"),
    "large tumours": lambda frame: frame["mean radius"] > 15,
}


def slice_inputs(model: Any, split: Split, **extra: Any) -> dict[str, Any]:
    return {"model": model, "eval_data": split[1], "slices": SLICES, "target": "target", **extra}


# -- model.6 ---------------------------------------------------------------------------


def test_good_model_passes_every_slice(clean: ClinicModel, split: Split) -> None:
    result = run_builtin("model.6", slice_inputs(clean, split))
    assert result.status is Status.PASS, result.message
    table = result.evidence["slices"]
    assert [r["metric"] for r in table] == sorted(r["metric"] for r in table)  # worst first
    assert {r["slice"] for r in table} == set(SLICES)


def test_corrupted_slice_fails_and_is_named_first(
    corrupted_slice: ClinicModel, split: Split
) -> None:
    result = run_builtin("model.6", slice_inputs(corrupted_slice, split))
    assert result.status is Status.FAIL
    assert result.evidence["failing"][0] == "coarse texture"
    assert "fine texture" not in result.evidence["failing"]
    assert result.evidence["slices"][0]["slice"] == "coarse texture"
    assert result.evidence["slices"][0]["metric"] < 0.3
    assert "worst 'coarse texture'" in result.message


def test_regression_against_previous_model_fails(
    clean: ClinicModel, corrupted_slice: ClinicModel, split: Split
) -> None:
    inputs = slice_inputs(corrupted_slice, split, previous_model=clean)
    result = run_builtin("model.6", inputs, thresholds={"min_metric": 0.0})  # floor off
    assert result.status is Status.FAIL
    coarse = next(r for r in result.evidence["slices"] if r["slice"] == "coarse texture")
    assert coarse["drop"] > 0.02 and "vs previous model" in coarse["reason"]


def test_tiny_slices_are_reported_not_judged(clean: ClinicModel, split: Split) -> None:
    slices = {**SLICES, "huge tumours": ("mean radius", (25, None))}
    result = run_builtin("model.6", slice_inputs(clean, split, slices=slices))
    assert result.status is Status.WARN
    assert result.evidence["not_judged"] == ["huge tumours"]
    tiny = next(r for r in result.evidence["slices"] if r["slice"] == "huge tumours")
    assert tiny["status"] == "too_small" and "metric" not in tiny


def test_slices_by_column_name_and_per_slice_floor(clean: ClinicModel, split: Split) -> None:
    result = run_builtin("model.6", slice_inputs(clean, split, slices=["clinic", "mean radius"]))
    names = {r["slice"] for r in result.evidence["slices"]}
    assert {"clinic=north", "clinic=south"} <= names
    assert sum(n.startswith("mean radius∈") for n in names) == 4
    strict = {"north": {"column": "clinic", "value": "north", "min_metric": 0.999}}
    assert run_builtin("model.6", slice_inputs(clean, split, slices=strict)).status is Status.FAIL


def test_unknown_slice_column_is_a_clear_error(clean: ClinicModel, split: Split) -> None:
    result = run_builtin("model.6", slice_inputs(clean, split, slices={"x": ("no such", 1)}))
    assert result.status is Status.ERROR
    assert "eval data has no column 'no such'" in result.message


# -- model.7 ---------------------------------------------------------------------------


def group_inputs(model: Any, split: Split, groups: Any = "clinic") -> dict[str, Any]:
    return {"model": model, "eval_data": split[1], "groups": groups, "target": "target"}


def test_unbiased_model_has_small_gaps(clean: ClinicModel, split: Split) -> None:
    result = run_builtin(
        "model.7", group_inputs(clean, split), thresholds={"positive_label": POSITIVE}
    )
    assert result.status is Status.PASS, result.message
    assert {g["rate"] for g in result.evidence["gaps"]} == {
        "accuracy",
        "tpr",
        "fpr",
        "selection_rate",
    }
    assert max(g["gap"] for g in result.evidence["gaps"]) <= 0.1


def test_biased_group_fails_on_tpr(biased: ClinicModel, split: Split) -> None:
    result = run_builtin(
        "model.7", group_inputs(biased, split), thresholds={"positive_label": POSITIVE}
    )
    assert result.status is Status.FAIL
    worst = result.evidence["gaps"][0]
    assert worst["rate"] == "tpr" and worst["low"] == "south"
    assert "clinic: tpr gap" in result.message


def test_too_small_group_warns_instead_of_passing(clean: ClinicModel, split: Split) -> None:
    labels = np.where(split[1]["mean radius"] > 22, "rare", split[1]["clinic"].to_numpy())
    result = run_builtin("model.7", group_inputs(clean, split, groups={"site": labels}),
                         thresholds={"positive_label": POSITIVE})  # fmt: skip
    assert result.status is Status.WARN
    assert any(s.startswith("site=rare") for s in result.evidence["not_judged"])
    rare = next(g for g in result.evidence["attributes"][0]["groups"] if g["group"] == "rare")
    assert rare["judged"] is False


def test_regression_target_needs_a_metric_then_compares_it(split: Split) -> None:
    frame = split[1][["mean radius", "mean area", "clinic"]]

    def area(rows: pd.DataFrame) -> np.ndarray:
        return np.asarray(np.pi * rows["mean radius"].to_numpy() ** 2)

    def biased_area(rows: pd.DataFrame) -> np.ndarray:  # 25 % too large for the south clinic
        return area(rows) * np.where(rows["clinic"] == "south", 1.25, 1.0)

    def relative_error(y: np.ndarray, pred: np.ndarray) -> float:
        return float(np.mean(np.abs(pred - y) / y))

    base = {"eval_data": frame.drop(columns="clinic"), "groups": {"clinic": frame["clinic"]},
            "target": "mean area"}  # fmt: skip
    missing = run_builtin("model.7", {**base, "model": area})
    assert missing.status is Status.NOT_AUTOMATED
    assert "define ml_metric" in missing.message
    metric = Metric("relative_error", relative_error, higher_is_better=False)
    fair = run_builtin("model.7", {**base, "model": area, "metric": metric})
    assert fair.status is Status.PASS, fair.message
    assert [g["rate"] for g in fair.evidence["gaps"]] == ["relative_error"]
    eval_with_clinic = {**base, "eval_data": frame, "model": biased_area, "metric": metric}
    biased = run_builtin("model.7", eval_with_clinic)
    assert biased.status is Status.FAIL
    assert "relative_error gap" in biased.message
