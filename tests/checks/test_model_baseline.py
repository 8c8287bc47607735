"""model.5: the model must beat simple baselines trained on the same data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from mltestscore.results import Status
from mltestscore.runner import run_builtin


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = load_breast_cancer(as_frame=True).frame
    order = np.random.default_rng(0).permutation(len(frame))
    return frame.iloc[order[:380]], frame.iloc[order[380:]]


def inputs(
    model: Any, split: tuple[pd.DataFrame, pd.DataFrame], target: str = "target"
) -> dict[str, Any]:
    train, test = split
    return {"model": model, "train_data": train, "eval_data": test, "target": target}


Split = tuple[pd.DataFrame, pd.DataFrame]
CENTER = ["pixel_2_4", "pixel_2_5", "pixel_3_3", "pixel_3_4", "pixel_4_3", "pixel_4_4",
          "pixel_5_3", "pixel_5_4"]  # fmt: skip


@pytest.fixture(scope="module")
def digits() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Digits seen through 8 central pixels: classes no longer separate linearly."""
    frame = load_digits(as_frame=True).frame[[*CENTER, "target"]]
    order = np.random.default_rng(0).permutation(len(frame))
    return frame.iloc[order[:1200]], frame.iloc[order[1200:]]


@pytest.fixture(scope="module")
def svc(digits: Split) -> SVC:
    train = digits[0]
    return SVC().fit(train.drop(columns="target"), train["target"])


def test_kernel_svm_beats_majority_and_logistic_baselines(digits: Split, svc: SVC) -> None:
    result = run_builtin("model.5", inputs(svc, digits))
    assert result.status is Status.PASS, result.message
    assert set(result.evidence["baselines"]) == {"majority", "logistic"}
    assert result.evidence["baselines"]["majority"] < 0.2
    assert result.evidence["lead"] >= 0.05


def test_model_worse_than_logistic_regression_fails(cancer: Split) -> None:
    train = cancer[0]
    stump = DecisionTreeClassifier(max_depth=1, random_state=0)
    stump.fit(train.drop(columns="target"), train["target"])
    result = run_builtin("model.5", inputs(stump, cancer))
    assert result.status is Status.FAIL
    assert result.evidence["best_baseline"] == "logistic"
    assert result.evidence["lead"] < 0
    assert "a simpler model is as good" in result.message


def test_regression_uses_mean_and_linear_baselines(cancer: Split) -> None:
    cols = ["mean radius", "mean texture", "mean area"]
    train, test = (part[cols] for part in cancer)
    quadratic = make_pipeline(PolynomialFeatures(2), StandardScaler(), Ridge(alpha=1e-3))
    quadratic.fit(train[["mean radius", "mean texture"]], train["mean area"])
    result = run_builtin("model.5", inputs(quadratic, (train, test), target="mean area"))
    assert result.status is Status.PASS, result.message
    assert result.evidence["task"] == "regression"
    assert set(result.evidence["baselines"]) == {"mean", "linear"}
    linear_only = Ridge(alpha=1.0).fit(train[["mean radius", "mean texture"]], train["mean area"])
    failed = run_builtin("model.5", inputs(linear_only, (train, test), target="mean area"))
    assert failed.status is Status.FAIL


def test_team_baseline_score_and_model_are_accepted(digits: Split, svc: SVC) -> None:
    result = run_builtin("model.5", {**inputs(svc, digits), "baseline": 0.999})
    assert result.status is Status.FAIL
    assert result.evidence["best_baseline"] == "provided"
    train = digits[0]
    team = RandomForestClassifier(n_estimators=100, random_state=0)
    team.fit(train.drop(columns="target"), train["target"])
    result = run_builtin("model.5", {**inputs(svc, digits), "baseline": team})
    assert result.status is Status.PASS, result.message
    assert result.evidence["best_baseline"] == "provided"  # the forest beats logistic regression
    strict = run_builtin("model.5", {**inputs(svc, digits), "baseline": team},
                         thresholds={"margin": 0.05})  # fmt: skip
    assert strict.status is Status.FAIL
    assert "best baseline provided" in strict.message


def test_array_inputs_and_torch_model() -> None:
    torch = pytest.importorskip("torch")
    x, y = load_iris(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(x))
    tr, te = order[:100], order[100:]
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    xt, yt = torch.as_tensor(x[tr]), torch.as_tensor(y[tr])
    for _ in range(150):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()
    data = {
        "model": net,
        "train_data": (x[tr], y[tr]),
        "eval_data": (torch.as_tensor(x[te]), y[te]),
    }
    result = run_builtin("model.5", data, thresholds={"margin": -0.05})
    assert result.status is Status.PASS, result.message
    assert result.evidence["model"] > 0.85
    strict = run_builtin("model.5", data, thresholds={"margin": 0.2})
    assert strict.status is Status.FAIL  # logistic regression is already near-perfect on iris


def test_dataframe_without_target_is_a_clear_error(cancer: Split) -> None:
    result = run_builtin(
        "model.5", {"model": object(), "train_data": cancer[0], "eval_data": cancer[1]}
    )
    assert result.status is Status.ERROR
    assert "name its label column with ml_target" in result.message


def test_many_labels_skip_the_logistic_baseline(digits: Split, svc: SVC) -> None:
    """Labels that are whole sequences (here: digit + writer batch) get no logistic baseline."""
    train, test = (part.assign(target=[f"{t}-{i % 20}" for i, t in enumerate(part["target"])])
                   for part in digits)  # fmt: skip
    result = run_builtin("model.5", inputs(svc, (train, test)), thresholds={"margin": 0.0})
    assert set(result.evidence["baselines"]) == {"majority"}
    assert "skipped: 200 distinct labels" in result.evidence["baseline_errors"]["logistic"]
