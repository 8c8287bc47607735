"""infra.1: training is reproducible (train twice with the same seed, compare)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from mltestscore.checks.infra.infra1_reproducible import training_is_reproducible
from mltestscore.checks.infra.parameters import compare_parameters, snapshot_parameters
from mltestscore.results import Status
from mltestscore.runner import run_builtin

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
CANARY = np.random.default_rng(0).normal(size=(12, 4)).astype(np.float32)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny models on a shared 2-core machine: one thread avoids spin-wait stalls."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


def _fit_torch(model: nn.Module, steps: int = 15) -> nn.Module:
    g = torch.Generator().manual_seed(123)
    x = torch.randn(48, 4, generator=g)
    y = torch.randint(0, 3, (48,), generator=g)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()  # type: ignore[no-untyped-call]
        opt.step()
    return model


def seeded_train(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return _fit_torch(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)))


def unseeded_train(seed: int) -> nn.Module:  # the planted bug: the seed is never used
    return _fit_torch(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)))


def test_seeded_torch_training_passes_and_other_seed_differs() -> None:
    ev = run_builtin(
        "infra.1",
        {"train_fn": seeded_train, "canary_inputs": CANARY},
        thresholds={"check_seed_sensitivity": True},
    )
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["max_abs_param_diff"] == 0.0
    assert ev.evidence["first_differing_parameter"] is None
    assert ev.evidence["predictions"]["compared"] == 12 * 3
    assert ev.evidence["other_seed_max_abs_param_diff"] > 1e-3
    assert [r["seed"] for r in ev.evidence["runs"]] == [0, 0, 1]
    json.dumps(ev.evidence)


def test_unseeded_training_fails_naming_first_parameter() -> None:
    ev = run_builtin("infra.1", {"train_fn": unseeded_train, "canary_inputs": CANARY})
    assert ev.status is Status.FAIL
    assert ev.evidence["first_differing_parameter"] == "0.weight"
    assert "'0.weight'" in ev.message and "seed 0 differ" in ev.message
    assert ev.evidence["max_abs_param_diff"] > 1e-3
    assert "torch.manual_seed" in ev.next_step
    assert ev.evidence["predictions"]["equal"] is False


def test_ignored_seed_is_a_warning_with_sensitivity_run() -> None:
    def closed_form(seed: int) -> Any:  # deterministic, whatever the seed
        return LogisticRegression(max_iter=300).fit(X_IRIS, Y_IRIS)

    ev = run_builtin(
        "infra.1",
        {"train_fn": closed_form, "eval_data": (X_IRIS, Y_IRIS)},
        thresholds={"check_seed_sensitivity": True},
    )
    assert ev.status is Status.WARN
    assert "seed 1 gives the identical model" in ev.message


def test_sklearn_forest_without_random_state_fails() -> None:
    def forest(seed: int) -> Any:
        return RandomForestClassifier(n_estimators=4, random_state=None).fit(X_IRIS, Y_IRIS)

    ev = run_builtin("infra.1", {"train_fn": forest})
    assert ev.status is Status.FAIL
    assert ev.evidence["first_differing_parameter"].startswith("estimators_[")


def test_sklearn_pipeline_with_random_state_passes() -> None:
    def forest(seed: int) -> Any:
        model = make_pipeline(StandardScaler(), RandomForestClassifier(4, random_state=seed))
        return model.fit(X_IRIS, Y_IRIS)

    result = training_is_reproducible(forest, eval_data=(X_IRIS, Y_IRIS))
    assert result.status is Status.PASS, result.message
    params = snapshot_parameters(forest(0))
    assert "standardscaler.mean_" in params
    assert any(name.startswith("randomforestclassifier.estimators_[0].tree_") for name in params)


def test_same_object_returned_twice_fails() -> None:
    cached = seeded_train(0)
    ev = run_builtin("infra.1", {"train_fn": lambda seed: cached})
    assert ev.status is Status.FAIL
    assert "same Sequential object twice" in ev.message


def test_prediction_randomness_fails_even_when_parameters_agree() -> None:
    def noisy_predict(model: nn.Module, inputs: Any) -> Any:
        with torch.no_grad():
            out = model(torch.as_tensor(inputs))
        noise = np.random.default_rng().normal(size=tuple(out.shape))  # unseeded sampling
        return out.numpy() + noise

    ev = run_builtin(
        "infra.1",
        {"train_fn": seeded_train, "canary_inputs": CANARY, "predict_fn": noisy_predict},
    )
    assert ev.status is Status.FAIL
    assert "parameters agree but predictions" in ev.message


def test_tolerance_absorbs_tiny_differences() -> None:
    calls: list[int] = []

    def jittered(seed: int) -> nn.Module:  # every other run is off by 2e-7 (< atol 1e-6)
        model = seeded_train(seed)
        calls.append(seed)
        first = model[0]  # type: ignore[index]
        with torch.no_grad():
            first.weight.add_(2e-7 * (len(calls) % 2))
        return model

    assert run_builtin("infra.1", {"train_fn": jittered}).status is Status.PASS
    strict = run_builtin("infra.1", {"train_fn": jittered}, thresholds={"atol": 0.0})
    assert strict.status is Status.FAIL


def test_compare_parameters_reports_shape_and_presence() -> None:
    a = {"w": np.zeros((2, 2)), "b": np.zeros(2), "only_a": np.ones(1)}
    b = {"w": np.zeros((3, 2)), "b": np.array([0.0, 0.5])}
    diff = compare_parameters(a, b, atol=1e-6)
    assert diff.first_differing == "w"
    assert diff.total_differing == 3 and diff.structural == 2
    assert diff.max_abs_diff == 0.5


def test_bad_train_fn_results_are_clear() -> None:
    ev = run_builtin("infra.1", {"train_fn": lambda seed: "a string"})
    assert ev.status is Status.ERROR
    assert "train_fn must return a torch.nn.Module" in ev.message
    ev = run_builtin("infra.1", {"train_fn": lambda seed: None})
    assert "returned None" in ev.message


def test_model_without_parameters_or_inputs_is_not_automated() -> None:
    ev = run_builtin("infra.1", {"train_fn": lambda seed: nn.Sequential(nn.ReLU())})
    assert ev.status is Status.NOT_AUTOMATED


@pytest.mark.parametrize("missing", [{}])
def test_missing_train_fn_is_not_automated(missing: dict[str, Any]) -> None:
    ev = run_builtin("infra.1", missing)
    assert ev.status is Status.NOT_AUTOMATED
    assert "ml_train_fn" in ev.message


class Wrapper:
    """A team's estimator wrapper: fit/predict, no BaseEstimator, no state_dict."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray) -> Wrapper:
        forest = RandomForestClassifier(n_estimators=4, random_state=self.seed)
        self.model = make_pipeline(StandardScaler(), forest).fit(x, y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x))


class Opaque:
    """A wrapper that keeps nothing inspectable: only its predictions can be compared."""

    def __init__(self, seed: int | None) -> None:
        weights = np.random.default_rng(seed).normal(size=4)
        self._score = lambda x: np.asarray(x) @ weights

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._score(x))


def test_a_seeded_wrapper_passes_on_the_models_it_holds() -> None:
    ev = run_builtin(
        "infra.1",
        {"train_fn": lambda seed: Wrapper(seed).fit(X_IRIS, Y_IRIS), "eval_data": (X_IRIS, Y_IRIS)},
    )
    assert ev.status is Status.PASS, ev.message
    assert ev.evidence["runs"][0]["model_type"] == "Wrapper"
    assert ev.evidence["runs"][0]["parameters"] > 0
    assert ev.evidence["predictions"]["equal"] is True


def test_a_wrapper_that_ignores_its_seed_fails() -> None:
    ev = run_builtin("infra.1", {"train_fn": lambda seed: Wrapper(None).fit(X_IRIS, Y_IRIS)})
    assert ev.status is Status.FAIL
    assert ev.evidence["first_differing_parameter"].startswith("model.randomforestclassifier.")


def test_a_wrapper_without_parameters_is_compared_by_its_predictions() -> None:
    ev = run_builtin("infra.1", {"train_fn": Opaque, "canary_inputs": CANARY})
    assert ev.status is Status.PASS, ev.message
    assert "exposes no parameters, so its predictions were compared" in ev.message
    ev = run_builtin(
        "infra.1",
        {"train_fn": lambda seed: Opaque(None), "canary_inputs": CANARY},
        thresholds={"check_seed_sensitivity": True},
    )
    assert ev.status is Status.FAIL
    assert "predictions of two training runs with seed 0 differ" in ev.message
    assert "torch.manual_seed" in ev.next_step
    sensitive = run_builtin(
        "infra.1",
        {"train_fn": Opaque, "canary_inputs": CANARY},
        thresholds={"check_seed_sensitivity": True},
    )
    assert sensitive.status is Status.PASS and "seed 1 changes them" in sensitive.message


def test_a_wrapper_with_nothing_to_compare_is_not_automated_not_an_error() -> None:
    ev = run_builtin("infra.1", {"train_fn": Opaque})
    assert ev.status is Status.NOT_AUTOMATED
    assert "exposes no parameters" in ev.message and "ml_canary_inputs" in ev.message
