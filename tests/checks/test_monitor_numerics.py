"""monitor.5: NaN/Inf in weights, activations, outputs and a training step.

Planted problems: a layer taking the log of negative values, a square root in a
parent's forward between two submodules, NaN weights, NaN inputs, outputs out
of the contract's range, and a loss that turns non-finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from torch import nn

from mltestscore.contracts import model_contract
from mltestscore.results import Status
from mltestscore.runner import run_builtin


class Log(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(x)


class Net(nn.Module):
    def __init__(self, middle: nn.Module | None = None, sqrt_between: bool = False) -> None:
        super().__init__()
        self.encoder = nn.Linear(4, 16)
        self.middle = middle or nn.ReLU()
        self.head = nn.Linear(16, 3)
        self.sqrt_between = sqrt_between

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.middle(self.encoder(x))
        if self.sqrt_between:
            h = torch.sqrt(h)  # NaN for negative h: produced by code between modules
        out: torch.Tensor = self.head(h)
        return out


@pytest.fixture(scope="module")
def iris() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_iris(return_X_y=True)
    return X.astype(np.float32), y


def _run(model: Any, **inputs: Any) -> Any:
    return run_builtin("monitor.5", {"model": model, **inputs})


def test_healthy_torch_model_passes(iris: tuple[np.ndarray, np.ndarray]) -> None:
    torch.manual_seed(0)
    X, y = iris
    batch = (torch.from_numpy(X[:32]), torch.from_numpy(y[:32]))
    result = _run(Net(), eval_data=iris, batch=batch, loss_fn=nn.CrossEntropyLoss())
    assert result.status is Status.PASS, result.message
    assert result.message == "all finite: weights, evaluation outputs, a training step"
    assert result.evidence["forward"]["rows"] == 150


def test_nan_producing_layer_is_named(iris: tuple[np.ndarray, np.ndarray]) -> None:
    torch.manual_seed(0)
    result = _run(Net(middle=Log()), eval_data=iris)
    assert result.status is Status.FAIL, result.message
    assert "non-finite activations start in module 'middle' (Log) with finite inputs" in (
        result.message
    )
    assert result.evidence["forward"]["first_nonfinite_module"]["module"] == "middle"
    assert "epsilon" in result.next_step


def test_nan_between_modules_names_the_parent(iris: tuple[np.ndarray, np.ndarray]) -> None:
    torch.manual_seed(0)
    result = _run(Net(sqrt_between=False, middle=nn.Identity()), eval_data=iris)
    assert result.status is Status.PASS
    result = _run(Net(sqrt_between=True, middle=nn.Identity()), eval_data=iris)
    assert result.status is Status.FAIL, result.message
    assert "in the forward code of '(model)' between its submodules" in result.message
    assert "first seen as input of 'head'" in result.message


def test_nan_weights_and_nan_inputs(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    broken = Net()
    with torch.no_grad():
        broken.head.bias[1] = float("nan")
    result = _run(broken, canary_inputs=X[:8])
    assert result.status is Status.FAIL
    assert "1 weight tensor(s) hold NaN/Inf: head.bias" in result.message
    dirty = X.copy()
    dirty[3, 2] = np.nan
    result = _run(Net(), eval_data=(dirty, y))
    assert result.status is Status.FAIL
    assert "the inputs hold 1 NaN/Inf value(s) before the model runs" in result.message


def test_contract_output_range_and_finite_flag(iris: tuple[np.ndarray, np.ndarray]) -> None:
    @model_contract(output_range=(0.0, 1.0))
    class Probabilities(Net):
        pass

    torch.manual_seed(0)
    result = _run(Probabilities(), eval_data=iris)  # raw logits: outside [0, 1]
    assert result.status is Status.FAIL
    assert "outside [0.0, 1.0] (contract output_range)" in result.message

    @model_contract(finite=False)
    class MayOverflow(Net):
        pass

    torch.manual_seed(0)
    relaxed = _run(MayOverflow(middle=Log()), eval_data=iris)
    assert relaxed.status is Status.WARN, relaxed.message  # declared: a warning, still named
    assert "start in module 'middle'" in relaxed.message
    assert "the model's contract allows non-finite values" in relaxed.message


def test_nonfinite_training_step(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = iris
    batch = (torch.from_numpy(X[:16]), torch.from_numpy(y[:16]))

    def bad_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return torch.log(output - output).mean()  # log(0) = -inf

    result = _run(Net(), batch=batch, loss_fn=bad_loss, canary_inputs=X[:4])
    assert result.status is Status.FAIL, result.message
    assert "training step: the loss is NaN/Inf" in result.message


def test_sklearn_estimators_and_weights_only() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = LogisticRegression().fit(X, y)
    good = _run(model, eval_data=(X, y))
    assert good.status is Status.PASS and good.evidence["output_method"] == "predict_proba"
    model.coef_[0, 3] = np.inf
    bad = _run(model, eval_data=(X, y))
    assert bad.status is Status.FAIL and "coef_" in bad.message
    weights_only = _run(Net())
    assert weights_only.status is Status.WARN and "ml_eval_data" in weights_only.message


def test_large_activations_warn(iris: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = iris
    result = run_builtin(
        "monitor.5",
        {"model": Net(), "canary_inputs": X * 1000},
        thresholds={"max_abs_activation": 100.0},
    )
    assert result.status is Status.WARN and "overflow risk" in result.message
