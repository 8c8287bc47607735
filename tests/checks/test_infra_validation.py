"""infra.4: the candidate is validated against the serving model before it serves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, mean_squared_error
from threadpoolctl import threadpool_limits
from torch import nn

from mltestscore.checks.infra.infra4_validation import validated_before_serving
from mltestscore.metrics import Metric
from mltestscore.results import Status
from mltestscore.runner import run_builtin

ACCURACY = Metric("accuracy", accuracy_score)
FRAME = load_breast_cancer(as_frame=True).frame
TRAIN, TEST = FRAME.iloc[:350], FRAME.iloc[350:]
SLICES = {
    "large tumours": lambda f: f["mean radius"] > 15,
    "small tumours": lambda f: f["mean radius"] <= 15,
}


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


def _fit(**params: Any) -> LogisticRegression:
    features, labels = TRAIN.drop(columns="target"), TRAIN["target"]
    with threadpool_limits(1):  # BLAS threads on a shared 2-core machine stall 50x
        return LogisticRegression(max_iter=3000, **params).fit(features, labels)


GOOD, WEAK = _fit(), _fit(C=1e-4)  # WEAK: overall within 1 point, 5 points worse on large
# (WEAK's 5 points on the 55 large tumours are 3 rows: well inside the sampling noise)


class FlipsLarge:
    """GOOD, but wrong on the first ``flips`` large tumours it gets right: a real regression."""

    def __init__(self, flips: int = 12) -> None:
        self.flips = flips

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        labels = np.asarray(GOOD.predict(features)).copy()
        large = np.flatnonzero(features["mean radius"].to_numpy() > 15)[: self.flips]
        labels[large] = 1 - labels[large]
        return labels


BROKEN = FlipsLarge()


class DictStore:
    """The part of the store protocol infra.4 uses: load(name, version), serving_version."""

    def __init__(self, models: dict[int, Any], serving: int | None) -> None:
        self.models, self.serving = models, serving

    def list(self, name: str = "clf") -> list[int]:
        return sorted(self.models)

    def serving_version(self, name: str) -> int | None:
        return self.serving

    def load(self, name: str, version: int) -> tuple[Any, dict[str, Any]]:
        return self.models[version], {"version": version}


def _inputs(candidate: Any, **extra: Any) -> dict[str, Any]:
    return {
        "model": candidate,
        "eval_data": TEST,
        "target": "target",
        "metric": ACCURACY,
        "slices": SLICES,
        **extra,
    }


def test_better_candidate_is_ok_to_promote() -> None:
    ev = run_builtin("infra.4", _inputs(GOOD, serving_model=WEAK), thresholds={"min_metric": 0.9})
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["promote_ok"] is True
    table = ev.evidence["table"]
    assert table[0]["slice"] == "(all)" and table[0]["candidate"] > table[0]["serving"]
    assert {row["slice"] for row in table} == {"(all)", "large tumours", "small tumours"}
    json.dumps(ev.evidence)


def test_regression_on_one_slice_blocks_promotion() -> None:
    thresholds = {"tolerance": 0.1, "slice_tolerance": 0.01}
    ev = run_builtin("infra.4", _inputs(BROKEN, serving_model=GOOD), thresholds=thresholds)
    assert ev.status is Status.FAIL
    assert ev.evidence["promote_ok"] is False
    overall = ev.evidence["table"][0]
    assert overall["slice"] == "(all)" and overall["status"] == "ok"  # within 0.1 overall
    worst = ev.evidence["table"][1]
    assert worst["slice"] == "large tumours" and worst["status"] == "regressed"
    assert worst["interval"][0] > 0  # beyond the noise too
    assert "slice 'large tumours' accuracy" in ev.message and "regressed: by" in ev.message
    assert "95 % interval" in ev.message and "n = 55" in ev.message
    loose = run_builtin(
        "infra.4",
        _inputs(BROKEN, serving_model=GOOD),
        thresholds={"tolerance": 0.1, "slice_tolerance": 0.3},
    )
    assert loose.status is Status.PASS


def test_a_slice_regression_within_noise_does_not_block_promotion() -> None:
    ev = run_builtin("infra.4", _inputs(WEAK, serving_model=GOOD))  # 3 rows of 55 worse
    assert ev.status is Status.WARN, ev.message
    assert ev.evidence["promote_ok"] is True
    large = next(r for r in ev.evidence["table"] if r["slice"] == "large tumours")
    assert large["status"] == "within noise" and large["regression"] > 0.01
    low, high = large["interval"]
    assert low <= 0 < high
    assert "within sampling noise" in ev.message and "n = 55" in ev.message


def test_overall_regression_and_floor() -> None:
    ev = run_builtin(
        "infra.4",
        _inputs(BROKEN, serving_model=GOOD, slices=None),
        thresholds={"tolerance": 0.001, "min_metric": 0.99},
    )
    assert ev.status is Status.FAIL
    assert ev.evidence["table"][0]["status"] == "below floor & regressed"
    assert "overall accuracy" in ev.message and "below the floor" in ev.message


def test_serving_model_from_a_store() -> None:
    store = DictStore({1: WEAK, 2: GOOD}, serving=2)
    ev = run_builtin(
        "infra.4", _inputs(BROKEN, model_store=store), thresholds={"model_name": "clf"}
    )
    assert ev.status is Status.FAIL
    assert ev.evidence["serving_source"] == "model store 'clf' v2"
    ev = run_builtin("infra.4", _inputs(GOOD, model_store=store))  # name from list()'s default
    assert ev.status is Status.INCONCLUSIVE  # the candidate *is* the serving model object
    assert "same object" in ev.message


def test_without_a_serving_model_a_met_floor_is_inconclusive() -> None:
    store = DictStore({1: GOOD}, serving=None)
    ev = run_builtin("infra.4", _inputs(GOOD, model_store=store), thresholds={"min_metric": 0.9})
    assert ev.status is Status.INCONCLUSIVE and "first deployment" in ev.message
    assert ev.message.startswith("could not judge: no serving model to compare with")
    assert "the absolute floor (min_metric) was met" in ev.message
    assert "ml_serving_model" in ev.next_step and "ml_model_store" in ev.next_step
    assert ev.evidence["promote_ok"] is True  # nothing serves: nothing blocks a first release
    ev = run_builtin("infra.4", _inputs(WEAK, slices=None), thresholds={"min_metric": 0.99})
    assert ev.status is Status.FAIL and ev.evidence["promote_ok"] is False
    ev = run_builtin("infra.4", _inputs(GOOD))
    assert ev.status is Status.NOT_AUTOMATED and "min_metric" in ev.message


def test_lower_is_better_metric_direction() -> None:
    features, target = load_diabetes(return_X_y=True)
    fit_x, fit_y, test_x, test_y = features[:300], target[:300], features[300:], target[300:]
    linear = LinearRegression().fit(fit_x, fit_y)
    mean = DummyRegressor().fit(fit_x, fit_y)
    mse = Metric("mse", mean_squared_error, higher_is_better=False)
    ev = run_builtin(
        "infra.4",
        {"model": mean, "serving_model": linear, "eval_data": (test_x, test_y), "metric": mse},
        thresholds={"tolerance": 100.0},
    )
    assert ev.status is Status.FAIL
    assert ev.evidence["table"][0]["regression"] > 1000
    ev = run_builtin(
        "infra.4",
        {"model": linear, "serving_model": mean, "eval_data": (test_x, test_y), "metric": mse},
        thresholds={"max_metric": 4000.0},
    )
    assert ev.status is Status.PASS, ev.message


def test_torch_models_on_tensors_use_argmax_and_several_metrics() -> None:
    torch.manual_seed(0)
    features = torch.tensor(TEST.drop(columns="target").to_numpy(), dtype=torch.float32)
    labels = torch.tensor(TEST["target"].to_numpy())
    mean, std = features.mean(0), features.std(0)

    class Linear(nn.Module):
        def __init__(self, weights: np.ndarray, bias: np.ndarray) -> None:
            super().__init__()
            self.fc = nn.Linear(30, 2)
            with torch.no_grad():
                self.fc.weight.copy_(torch.tensor(np.stack([-weights, weights]) / 2))
                self.fc.bias.copy_(torch.tensor([-bias, bias]) / 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.fc(x)
            return out

    good = Linear(GOOD.coef_[0], GOOD.intercept_[0])
    broken = Linear(-GOOD.coef_[0], -GOOD.intercept_[0])  # sign flipped
    metrics = {"accuracy": accuracy_score, "f1": f1_score}
    ev = run_builtin(
        "infra.4",
        {
            "model": broken,
            "serving_model": good,
            "eval_data": (features, labels),
            "metric": metrics,
        },
    )
    assert ev.status is Status.FAIL
    assert ev.evidence["predictions"] == "argmax over the model's class scores"
    assert {r["metric"] for r in ev.evidence["table"]} == {"accuracy", "f1"}
    ev = run_builtin(
        "infra.4",
        {
            "model": good,
            "serving_model": broken,
            "eval_data": (features, labels),
            "metric": metrics,
        },
        thresholds={"min_metric": {"f1": 0.9}},
    )
    assert ev.status is Status.PASS, ev.message
    assert float(mean.sum()) != float(std.sum())  # features are raw, as the models expect


def test_bad_inputs_are_clear() -> None:
    ev = run_builtin("infra.4", _inputs(GOOD, serving_model=WEAK, slices={"x": [True, False]}))
    assert ev.status is Status.ERROR and "slices['x']: expected a boolean mask" in ev.message
    ev = run_builtin("infra.4", _inputs(GOOD, serving_model=WEAK, target=None))
    assert ev.status is Status.ERROR and "ml_target" in ev.message
    ev = run_builtin("infra.4", _inputs(GOOD, serving_model=WEAK, target="nope"))
    assert ev.status is Status.ERROR and "no target column 'nope'" in ev.message
    ev = run_builtin("infra.4", _inputs(GOOD, serving_model=WEAK, metric="accuracy"))
    assert ev.status is Status.ERROR and "Metric" in ev.message


def test_small_slices_are_skipped_not_judged() -> None:
    tiny = {"one row": np.arange(len(TEST)) == 0}
    result = validated_before_serving(
        WEAK, TEST, ACCURACY, serving_model=GOOD, target="target", slices=tiny, tolerance=0.05
    )
    assert result.status is Status.PASS
    assert result.evidence["skipped_slices"] == ["one row"]
    assert isinstance(pd.DataFrame(result.evidence["table"]), pd.DataFrame)


LARGE = (TEST["mean radius"] >= 15).to_numpy()
MALIGNANT = (TEST["target"] == 0).to_numpy()
SLICE_FORMS: dict[str, tuple[Any, dict[str, np.ndarray]]] = {
    "column + bin": ({"large": ("mean radius", (15, None))}, {"large": LARGE}),
    "column names": (["target"], {"target=0": MALIGNANT, "target=1": ~MALIGNANT}),
    "one column name": ("target", {"target=0": MALIGNANT, "target=1": ~MALIGNANT}),
    "dict value": ({"m": {"column": "target", "value": 0}}, {"m": MALIGNANT}),
    "dict values": ({"all": {"column": "target", "values": [0, 1]}}, {"all": LARGE | ~LARGE}),
    "dict bin": ({"large": {"column": "mean radius", "bin": [15, None]}}, {"large": LARGE}),
    "column value": ({"m": ("target", 0)}, {"m": MALIGNANT}),
    "toml column value": ({"m": ["target", 0]}, {"m": MALIGNANT}),
    "predicate": ({"large": lambda f: f["mean radius"] >= 15}, {"large": LARGE}),
    "boolean mask": ({"large": LARGE}, {"large": LARGE}),
}


@pytest.mark.parametrize("form", list(SLICE_FORMS))
def test_every_documented_slices_form_is_judged(form: str) -> None:
    """Each ml_slices form of docs/inputs.md (once a crash in infra.4) selects its rows."""
    spec, expected = SLICE_FORMS[form]
    ev = run_builtin(
        "infra.4",
        _inputs(GOOD, serving_model=GOOD.predict, slices=spec),  # same answers: no regression
        thresholds={"min_slice_rows": 1},
    )
    assert ev.status is Status.PASS, ev.message
    rows = {r["slice"]: r["rows"] for r in ev.evidence["table"] if r["slice"] != "(all)"}
    assert rows == {name: int(mask.sum()) for name, mask in expected.items()}


def test_a_slice_with_its_own_floor_is_held_to_it() -> None:
    floor = {"large": {"column": "mean radius", "bin": [15, None], "min_metric": 0.99}}
    ev = run_builtin("infra.4", _inputs(GOOD, serving_model=GOOD.predict, slices=floor))
    assert ev.status is Status.FAIL and ev.evidence["promote_ok"] is False
    large = next(r for r in ev.evidence["table"] if r["slice"] == "large")
    assert large["status"] == "below floor" and large["candidate"] < 0.99
    assert "slice 'large' accuracy" in ev.message and "below the floor" in ev.message
    floor["large"]["min_metric"] = 0.5
    ev = run_builtin("infra.4", _inputs(GOOD, serving_model=GOOD.predict, slices=floor))
    assert ev.status is Status.PASS, ev.message
