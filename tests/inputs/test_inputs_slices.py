"""mltestscore.inputs.slices: every documented ``ml_slices`` form, for every check taking it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mltestscore.inputs.slices import build_slices, slice_masks
from mltestscore.metrics import Metric
from mltestscore.results import Status
from mltestscore.runner import run_builtin

rng = np.random.default_rng(0)
N = 400
FRAME = pd.DataFrame(
    {
        "age": rng.integers(18, 80, N),
        "country": rng.choice(["a", "b"], N),
        "x": rng.normal(size=N),
    }
)
FRAME["label"] = (FRAME["x"] > 0).astype(int)
YOUNG = (FRAME["age"] < 25).to_numpy()
IS_A = (FRAME["country"] == "a").to_numpy()

FORMS: dict[str, tuple[Any, dict[str, np.ndarray]]] = {
    "column + bin": ({"young": ("age", (0, 25))}, {"young": YOUNG}),
    "column names": (["country"], {"country=a": IS_A, "country=b": ~IS_A}),
    "one column name": ("country", {"country=a": IS_A, "country=b": ~IS_A}),
    "dict value": ({"a": {"column": "country", "value": "a"}}, {"a": IS_A}),
    "dict values": ({"ab": {"column": "country", "values": ["a", "b"]}}, {"ab": IS_A | ~IS_A}),
    "dict bin": ({"young": {"column": "age", "bin": [None, 25]}}, {"young": YOUNG}),
    "column value": ({"a": ("country", "a")}, {"a": IS_A}),
    "toml column value": ({"a": ["country", "a"]}, {"a": IS_A}),
    "predicate": ({"young": lambda f: f["age"] < 25}, {"young": YOUNG}),
    "boolean mask": ({"a": IS_A}, {"a": IS_A}),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_each_documented_form_parses_to_its_rows(form: str) -> None:
    spec, expected = FORMS[form]
    found = {s.name: s.mask for s in build_slices(FRAME, spec, N)}
    assert found.keys() == expected.keys()
    for name, mask in expected.items():
        np.testing.assert_array_equal(found[name], mask)


def test_numeric_columns_with_many_values_are_cut_into_quartiles() -> None:
    slices = build_slices(FRAME, ["x"], N)
    assert len(slices) == 4 and sum(int(s.mask.sum()) for s in slices) == N


def test_an_int_column_index_works_on_array_features() -> None:
    X = FRAME[["age", "x"]].to_numpy()
    (young,) = build_slices(X, {"young": (0, (None, 25))}, N)
    np.testing.assert_array_equal(young.mask, YOUNG)


def test_a_per_slice_floor_is_kept() -> None:
    (s,) = build_slices(FRAME, {"a": {"column": "country", "value": "a", "min_metric": 0.7}}, N)
    assert s.min_metric == 0.7


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"bad": 3}, r"slices\['bad'\]: a slice is a predicate"),
        ({"bad": {"col": "country"}}, r"slices\['bad'\]: a dict slice needs a 'column' key"),
        ({"bad": ("nope", 1)}, r"slices\['bad'\]: eval data has no column 'nope'"),
        ({"bad": [True, False]}, r"slices\['bad'\]: expected a boolean mask of 400 rows"),
        ({"bad": lambda f: f["age"]}, r"slices\['bad'\]: expected a boolean mask .*int"),
    ],
)
def test_a_bad_form_names_the_slice(spec: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        build_slices(FRAME, spec, N)


def test_no_slices_and_an_empty_declaration() -> None:
    assert slice_masks(FRAME, None, N) == []
    with pytest.raises(ValueError, match="slices is empty"):
        build_slices(FRAME, {}, N)


class Threshold:
    """A model that reads the evaluation frame as is: predicts ``x > 0``."""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return (frame["x"].to_numpy() > 0).astype(int)


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_works_in_infra4_and_model6(form: str) -> None:
    spec, expected = FORMS[form]
    inputs = {"model": Threshold(), "eval_data": FRAME, "target": "label", "slices": spec}
    inputs["metric"] = Metric("accuracy", lambda t, p: float(np.mean(t == p)))
    infra = run_builtin(
        "infra.4",
        inputs | {"serving_model": Threshold()},
        thresholds={"min_metric": 0.5, "min_slice_rows": 1},
    )
    assert infra.status is Status.PASS, infra.message
    assert {r["slice"] for r in infra.evidence["table"]} == {"(all)", *expected}
    model = run_builtin("model.6", inputs, thresholds={"min_size": 1})
    assert model.status is Status.PASS, model.message
