"""The same team inputs give the same decisions in every check that takes them.

Float class labels with a plain callable, and a bfloat16 torch model, through data.2,
model.5, model.6 and infra.4 (each once read a model or labels its own way).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mltestscore.results import Status
from mltestscore.runner import run_builtin

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 3)).astype(np.float32)
Y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float64)  # float class labels 0.0 / 1.0
TRAIN, EVAL = (X[:200], Y[:200]), (X[200:], Y[200:])


def plain_callable(features: Any) -> np.ndarray:
    features = np.asarray(features)
    return (features[:, 0] + 0.5 * features[:, 1] > 0).astype(np.float64)


def bf16_classifier() -> Any:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[-1.0, -0.5, 0.0], [1.0, 0.5, 0.0]]))
        model.bias.zero_()
    return model.to(torch.bfloat16).train()  # left in train mode on purpose


def wrapped_callable() -> Any:
    return lambda features: plain_callable(features)


@pytest.mark.parametrize("make", [wrapped_callable, bf16_classifier], ids=["callable", "bf16"])
def test_data2_and_model_checks_agree_on_accuracy(make: Any) -> None:
    model = make()
    data2 = run_builtin("data.2", {"model": model, "eval_data": EVAL}, thresholds={"n_repeats": 2})
    assert data2.status in (Status.PASS, Status.FAIL), data2.message
    assert data2.evidence["metric"] == "accuracy" and data2.evidence["baseline"] == 1.0
    model5 = run_builtin("model.5", {"model": model, "train_data": TRAIN, "eval_data": EVAL})
    assert "model accuracy 1 vs" in model5.message  # judged (a linear rule: logistic ties)
    slices = {"x0 high": EVAL[0][:, 0] > 0, "x0 low": EVAL[0][:, 0] <= 0}
    model6 = run_builtin(
        "model.6", {"model": model, "eval_data": EVAL, "slices": slices}, thresholds={"min_size": 5}
    )
    assert model6.status is Status.PASS, model6.message
    infra4 = run_builtin(
        "infra.4",
        {"model": model, "serving_model": make(), "eval_data": EVAL, "metric": _accuracy}
        | {"slices": slices},
        thresholds={"min_metric": 0.99},
    )
    assert infra4.status is Status.PASS, infra4.message
    if not callable(getattr(model, "predict", None)) and hasattr(model, "training"):
        assert model.training  # every check restored train mode


def _accuracy(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
