"""infra.5: one example can be traced step by step through the model."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from mltestscore.checks.infra.infra5_debuggable import model_is_debuggable
from mltestscore.results import Status
from mltestscore.runner import run_builtin


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


class ConvNet(nn.Module):
    def __init__(self, head_in: int = 4 * 6 * 6) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten())
        self.head = nn.Linear(head_in, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.features(x))
        return out


class LogOfNegative(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.shift = nn.Linear(3, 3)
        self.act = nn.Tanh()
        self.out = nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.out(torch.log(self.act(self.shift(x)) - 2.0))  # log(<0) = NaN
        return out


class TwoInputs(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(3, 2), nn.Linear(5, 2)

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.a(left) + self.b(right)
        return out


def test_trace_records_every_module_in_order() -> None:
    torch.manual_seed(0)
    model = ConvNet().train()
    ev = run_builtin("infra.5", {"model": model, "canary_inputs": torch.randn(5, 1, 8, 8)})
    assert ev.status is Status.PASS, ev.message
    rows = ev.evidence["trace"]
    assert [r["module"] for r in rows] == [
        "features.0",
        "features.1",
        "features.2",
        "features",
        "head",
        "(model)",
    ]
    conv = rows[0]
    assert conv["type"] == "Conv2d" and conv["shape"] == [1, 4, 6, 6]
    assert conv["dtype"] == "float32" and conv["nan"] == 0 and conv["inf"] == 0
    assert rows[1]["min"] >= 0.0  # after ReLU
    assert ev.evidence["intermediate_outputs"] == 5
    assert model.training  # mode restored
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
    json.dumps(ev.evidence)


def test_exception_names_the_module_that_raised() -> None:
    model = ConvNet(head_in=99)  # planted shape bug in the head
    ev = run_builtin("infra.5", {"model": model, "example": torch.randn(1, 1, 8, 8)})
    assert ev.status is Status.FAIL
    assert ev.evidence["raised_in"] == "head (Linear)"
    assert "in head (Linear)" in ev.message and "last completed: 'features'" in ev.message
    assert "mat1 and mat2 shapes cannot be multiplied" in ev.message
    assert [r["module"] for r in ev.evidence["trace"]][-1] == "features"
    assert not any(m._forward_hooks for m in model.modules())


def test_model_without_submodules_fails() -> None:
    ev = run_builtin("infra.5", {"model": nn.Linear(3, 2), "example": torch.randn(1, 3)})
    assert ev.status is Status.FAIL
    assert "no intermediate output recorded" in ev.message
    assert ev.evidence["trace"][0]["module"] == "(model)"


def test_nan_producing_layer_is_a_warning_naming_the_first_module() -> None:
    ev = run_builtin("infra.5", {"model": LogOfNegative(), "example": torch.randn(1, 3)})
    assert ev.status is Status.WARN
    assert ev.evidence["first_nonfinite"] == "out"  # the log happens in forward, before out
    assert "'out' already receives NaN/Inf" in ev.message
    assert "between 'act' and 'out'" in ev.message
    first = nn.Linear(3, 3)
    overflowing = nn.Sequential(first, nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        first.weight.fill_(1e38)  # 3 * 1e38 * 10 overflows float32
    ev = run_builtin("infra.5", {"model": overflowing, "example": torch.full((1, 3), 10.0)})
    assert ev.status is Status.WARN
    assert ev.evidence["first_nonfinite"] == "0"
    assert "turns finite inputs into NaN/Inf" in ev.message


def test_tuple_inputs_and_row_cap() -> None:
    example = (torch.randn(1, 3), torch.randn(1, 5))
    result = model_is_debuggable(TwoInputs(), example, max_rows=2)
    assert result.status is Status.PASS
    assert len(result.evidence["trace"]) == 2 and result.evidence["truncated"] is True
    assert result.evidence["steps"] == 3


def test_first_row_of_a_numpy_batch() -> None:
    batch = (np.random.default_rng(0).normal(size=(4, 1, 8, 8)), np.zeros(4))
    ev = run_builtin("infra.5", {"model": ConvNet(), "batch": batch})
    assert ev.status is Status.PASS
    assert ev.evidence["trace"][0]["shape"] == [1, 4, 6, 6]


def test_sklearn_pipeline_steps_are_traced() -> None:
    features, labels = load_iris(return_X_y=True)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("pca", PCA(2)), ("clf", LogisticRegression())]
    ).fit(features, labels)
    ev = run_builtin("infra.5", {"model": pipe, "example": features[:1]})
    assert ev.status is Status.PASS, ev.message
    rows = ev.evidence["trace"]
    assert [(r["module"], r["call"]) for r in rows[:2]] == [
        ("scale", "transform"),
        ("pca", "transform"),
    ]
    # the final linear model: per-feature contributions (largest first), then its outputs
    assert {r["module"] for r in rows[2:4]} == {"clf/pca0", "clf/pca1"}
    assert [(r["module"], r["call"]) for r in rows[4:]] == [
        ("clf/intercept", "contribution"),
        ("clf/predict_proba", "predict_proba"),
        ("clf", "predict"),
    ]
    assert rows[1]["shape"] == [1, 2]
    ev = run_builtin("infra.5", {"model": pipe, "example": features[:1, :3]})
    assert ev.status is Status.FAIL
    assert ev.evidence["raised_in"] == "scale (StandardScaler)"


def test_not_automated_without_an_input_or_a_traceable_model() -> None:
    ev = run_builtin("infra.5", {"model": ConvNet()})
    assert ev.status is Status.NOT_AUTOMATED and "ml_example" in ev.message
    ev = run_builtin("infra.5", {"model": LogisticRegression(), "example": np.zeros((1, 4))})
    assert ev.status is Status.NOT_AUTOMATED
