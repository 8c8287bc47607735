"""data.2: every feature beats the permutation-importance noise band."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mltestscore.checks.data.importance import SHARED_KEY
from mltestscore.context import CheckContext
from mltestscore.metrics import Metric
from mltestscore.results import Status
from mltestscore.runner import run_builtin

INFORMATIVE = ["worst radius", "worst texture", "worst concave points"]


@pytest.fixture(scope="module")
def cancer_split() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = load_breast_cancer(as_frame=True).frame
    frame["noise"] = np.random.default_rng(1).normal(size=len(frame))  # planted, uninformative
    train, test = train_test_split(frame, test_size=0.4, random_state=0)
    return train, test


def _fit(train: pd.DataFrame, features: list[str]):
    model = make_pipeline(StandardScaler(), LogisticRegression())
    return model.fit(train[features], train["target"])


def test_passes_when_every_feature_helps(cancer_split) -> None:
    train, test = cancer_split
    model = _fit(train, INFORMATIVE)
    context = CheckContext.default(Path.cwd())
    outcome = run_builtin(
        "data.2",
        {"model": model, "eval_data": test[[*INFORMATIVE, "target"]], "target": "target"},
        context=context,
    )
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["within_noise"] == []
    assert outcome.evidence["metric"] == "accuracy"
    assert set(context.shared[SHARED_KEY]["importance"]) == set(INFORMATIVE)


def test_fails_naming_the_planted_uninformative_feature(cancer_split) -> None:
    train, test = cancer_split
    features = [*INFORMATIVE, "noise"]
    model = _fit(train, features)
    outcome = run_builtin(
        "data.2", {"model": model, "eval_data": test[[*features, "target"]], "target": "target"}
    )
    assert outcome.status is Status.FAIL
    assert outcome.evidence["within_noise"] == ["noise"]
    assert "noise (" in outcome.message and outcome.next_step
    rows = {row["feature"]: row for row in outcome.evidence["importance"]}
    assert rows["worst radius"]["lower_bound"] > 0.05


def test_regressor_defaults_to_r2_and_catches_noise() -> None:
    frame = load_diabetes(as_frame=True).frame[["bmi", "bp", "s5", "target"]].copy()
    frame["noise"] = np.random.default_rng(3).normal(size=len(frame))
    train, test = train_test_split(frame, test_size=0.5, random_state=0)
    features = ["bmi", "bp", "s5", "noise"]
    model = LinearRegression().fit(train[features], train["target"])
    X, y = test[features].to_numpy(), test["target"].to_numpy()
    outcome = run_builtin("data.2", {"model": model, "eval_data": (X, y)})
    assert outcome.status is Status.FAIL and outcome.evidence["metric"] == "r2"
    assert outcome.evidence["within_noise"] == ["noise"]  # names come from feature_names_in_


def test_torch_module_on_tabular_tensors(cancer_split) -> None:
    torch = pytest.importorskip("torch")
    train, test = cancer_split
    features = [*INFORMATIVE, "noise"]
    scaler = StandardScaler().fit(train[features])
    torch.manual_seed(0)
    net = torch.nn.Linear(len(features), 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5, weight_decay=0.01)
    X = torch.tensor(scaler.transform(train[features]), dtype=torch.float32)
    y = torch.tensor(train["target"].to_numpy())
    for _ in range(100):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        optimizer.step()
    X_eval = torch.tensor(scaler.transform(test[features]), dtype=torch.float32)
    y_eval = torch.tensor(test["target"].to_numpy())
    net.train()
    outcome = run_builtin("data.2", {"model": net, "eval_data": (X_eval, y_eval)})
    assert outcome.status is Status.FAIL, outcome.message
    assert outcome.evidence["within_noise"] == ["x3"]  # the noise column
    assert net.training  # the check restores the module's mode


def test_predict_callable_and_custom_metric(cancer_split) -> None:
    train, test = cancer_split
    model = _fit(train, INFORMATIVE)
    errors = Metric("error_rate", lambda t, p: float(np.mean(t != p)), higher_is_better=False)
    outcome = run_builtin(
        "data.2",
        {
            "model": model.predict,
            "eval_data": test[[*INFORMATIVE, "target"]],
            "target": "target",
            "metric": errors,
        },
    )
    assert outcome.status is Status.PASS and outcome.evidence["metric"] == "error_rate"


def test_row_cap_and_seed_make_the_result_repeatable(cancer_split) -> None:
    train, test = cancer_split
    model = _fit(train, INFORMATIVE)
    inputs = {"model": model, "eval_data": test[[*INFORMATIVE, "target"]], "target": "target"}
    first = run_builtin("data.2", inputs, thresholds={"max_rows": 100, "seed": 7})
    second = run_builtin("data.2", inputs, thresholds={"max_rows": 100, "seed": 7})
    assert first.evidence["rows"] == 100
    assert first.evidence["importance"] == second.evidence["importance"]


def test_images_are_not_automated() -> None:
    digits = load_digits()
    images = digits.images[:, None]  # (N, 1, 8, 8)
    outcome = run_builtin(
        "data.2", {"model": lambda x: np.zeros(len(x)), "eval_data": (images, digits.target)}
    )
    assert outcome.status is Status.NOT_AUTOMATED and "tabular" in outcome.message


def test_dataframe_without_target_names_the_fixture(cancer_split) -> None:
    train, test = cancer_split
    outcome = run_builtin("data.2", {"model": _fit(train, INFORMATIVE), "eval_data": test})
    assert outcome.status is Status.ERROR and "ml_target" in outcome.message


def test_model_without_predict_is_a_clear_error(cancer_split) -> None:
    _, test = cancer_split
    outcome = run_builtin("data.2", {"model": object(), "eval_data": test, "target": "target"})
    assert outcome.status is Status.ERROR and "predict" in outcome.message
