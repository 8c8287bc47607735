"""mltestscore.inputs.protocols: the duck-typed inputs, written down as Protocols."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mltestscore.inputs.protocols import (
    ModelStore,
    Predictor,
    ProbabilisticPredictor,
    RecordsPredictions,
    SupportsStateDict,
    TrainFn,
)

# How the checks call a store: each protocol method with these positional arguments.
CALLS: dict[str, tuple[Any, ...]] = {
    "list": ("model",),
    "load": ("model", 1),
    "serving_version": ("model",),
    "promote": ("model", 1),
    "rollback": ("model",),
    "record_predictions": ("model", 1, "canary-1", [0.5]),
    "recorded_predictions": ("model", 1, "canary-1"),
}


def _accepts_the_calls(cls: type) -> None:
    for method, args in CALLS.items():
        signature = inspect.signature(getattr(cls, method))
        signature.bind(object(), *args)  # raises TypeError when the call would not fit


def test_the_reference_store_is_a_model_store(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from mltestscore.reference_model.store import ModelStore as FileStore

    store = FileStore(tmp_path)
    assert isinstance(store, ModelStore) and isinstance(store, RecordsPredictions)
    _accepts_the_calls(FileStore)
    typed: ModelStore = store  # checked by mypy where tests are type-checked
    assert typed.list("recognizer") == []


def test_the_mlflow_store_is_a_model_store() -> None:
    pytest.importorskip("mlflow")
    from mltestscore.checks.integrations.mlflow_store import MlflowModelStore

    assert issubclass(MlflowModelStore, ModelStore)
    assert issubclass(MlflowModelStore, RecordsPredictions)
    _accepts_the_calls(MlflowModelStore)


def test_a_partial_store_is_not_a_model_store() -> None:
    class OnlyList:
        def list(self, name: str) -> list[int]:
            return [1]

    assert not isinstance(OnlyList(), ModelStore)


def test_estimators_modules_and_train_functions() -> None:
    torch = pytest.importorskip("torch")
    from sklearn.linear_model import LinearRegression, LogisticRegression

    assert isinstance(LogisticRegression(), ProbabilisticPredictor)
    assert isinstance(LinearRegression(), Predictor)
    assert not isinstance(LinearRegression(), ProbabilisticPredictor)
    assert isinstance(torch.nn.Linear(2, 2), SupportsStateDict)
    assert not isinstance(np.zeros(2), SupportsStateDict)

    def train_fn(seed: int) -> Any:
        return seed

    assert isinstance(train_fn, TrainFn)
