"""monitor.7: quality on recent labelled serving data, prediction drift without labels.

Planted problems: a degraded model (a majority-class stand-in) scored on recent
labelled data, recent inputs whose shift moves the predicted-class shares, and a
text recognizer whose outputs got longer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from torch import nn

from mltestscore import Metric
from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    model = LogisticRegression().fit(X[:300], y[:300])
    return {"model": model, "baseline": (X[300:450], y[300:450]), "recent": (X[450:], y[450:])}


def _contexts(tmp_path: Path) -> tuple[CheckContext, CheckContext]:
    path = tmp_path / "baseline.json"
    return (
        CheckContext(root=tmp_path, baseline_path=path, update_baseline=True),
        CheckContext(root=tmp_path, baseline_path=path),
    )


def test_quality_holds_on_recent_labelled_data(data: dict[str, Any], tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    base = {"model": data["model"], "metric": accuracy_score}
    recorded = run_builtin("monitor.7", {**base, "recent_data": data["baseline"]}, context=record)
    # Recording is not judging: the record-only run earns no point.
    assert recorded.status is Status.INCONCLUSIVE and "recorded the prediction baseline" in (
        recorded.message
    )
    result = run_builtin("monitor.7", {**base, "recent_data": data["recent"]}, context=compare)
    assert result.status is Status.PASS, result.message
    assert "accuracy_score" in result.message and "0 of 1 views drifted" in result.message
    assert result.evidence["bootstrap_se"] > 0


def test_degraded_model_fails(data: dict[str, Any], tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    run_builtin("monitor.7", {"model": data["model"], "metric": accuracy_score,
                              "recent_data": data["baseline"]}, context=record)  # fmt: skip
    X, y = data["recent"]
    degraded = DummyClassifier(strategy="most_frequent").fit(X, y)
    frame = pd.DataFrame(X).assign(label=y)  # a DataFrame with the labels in ml_target
    result = run_builtin("monitor.7", {"model": degraded, "metric": accuracy_score,
                                       "recent_data": frame, "target": "label"},
                         context=compare)  # fmt: skip
    assert result.status is Status.FAIL, result.message
    assert "prediction quality regressed: accuracy_score" in result.message
    assert result.evidence["regression"] > 0.2
    assert "retrain" in result.next_step


def test_reference_metric_without_baseline_and_lower_is_better(
    data: dict[str, Any], tmp_path: Path
) -> None:
    _, compare = _contexts(tmp_path)
    error_rate = Metric("error_rate", lambda y, p: float(np.mean(y != p)), higher_is_better=False)
    inputs = {"model": data["model"], "metric": error_rate, "recent_data": data["recent"]}
    ok = run_builtin("monitor.7", {**inputs, "reference_metric": 0.05}, context=compare)
    assert ok.status is Status.PASS, ok.message
    bad = run_builtin("monitor.7", {**inputs, "reference_metric": 0.0}, context=compare,
                      thresholds={"max_regression": 0.001, "bootstrap": 0})  # fmt: skip
    assert bad.status is Status.FAIL and "error_rate" in bad.message
    assert run_builtin("monitor.7", {"recent_data": data["recent"]}, context=compare).status is (
        Status.NOT_AUTOMATED
    )
    none = run_builtin("monitor.7", {"model": data["model"], "recent_data": data["recent"][0]},
                       context=compare)  # fmt: skip
    assert none.status is Status.NOT_AUTOMATED and "no baseline recorded" in none.message


def test_prediction_drift_without_labels(data: dict[str, Any], tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    X_base, _ = data["baseline"]
    X_recent, _ = data["recent"]
    run_builtin("monitor.7", {"model": data["model"], "recent_data": X_base}, context=record)
    same = run_builtin("monitor.7", {"model": data["model"], "recent_data": (X_recent, None)},
                       context=compare)  # fmt: skip
    assert same.status is Status.PASS, same.message
    assert "quality not measured" in same.message
    shifted = run_builtin("monitor.7", {"model": data["model"], "recent_data": X_recent + 1.5},
                          context=compare)  # fmt: skip
    assert shifted.status is Status.FAIL, shifted.message
    assert "predicted_class" in shifted.message
    assert shifted.evidence["prediction_drift"][0]["drifted"] is True


def test_torch_scores_and_text_predictions(tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 3))
    X = np.random.default_rng(0).normal(size=(400, 4)).astype(np.float32)
    run_builtin("monitor.7", {"model": net, "recent_data": X[:200]}, context=record)
    result = run_builtin("monitor.7", {"model": net, "recent_data": X[200:]}, context=compare)
    assert result.status is Status.PASS, result.message
    assert result.evidence["views"] == ["confidence", "predicted_class"]

    rng = np.random.default_rng(1)

    def recognizer(lines: np.ndarray) -> list[str]:
        return ["".join(rng.choice(list("0123456789"), int(n))) for n in lines]

    lengths = rng.integers(4, 9, 300)
    text_record, text_compare = _contexts(tmp_path / "text")
    run_builtin("monitor.7", {"predict": recognizer, "recent_data": lengths}, context=text_record)
    same = run_builtin("monitor.7", {"predict": recognizer, "recent_data": lengths},
                       context=text_compare)  # fmt: skip
    assert same.status is Status.PASS, same.message
    longer = run_builtin("monitor.7", {"predict": recognizer, "recent_data": lengths + 6},
                         context=text_compare)  # fmt: skip
    assert longer.status is Status.FAIL and "length" in longer.message


def test_metric_mismatch_is_a_clear_error(data: dict[str, Any], tmp_path: Path) -> None:
    record, compare = _contexts(tmp_path)
    run_builtin("monitor.7", {"model": data["model"], "metric": accuracy_score,
                              "recent_data": data["baseline"]}, context=record)  # fmt: skip
    other = Metric("f1", lambda y, p: 0.5)
    result = run_builtin("monitor.7", {"model": data["model"], "metric": other,
                                       "recent_data": data["recent"]}, context=compare)  # fmt: skip
    assert result.status is Status.ERROR and "'accuracy_score' but ml_metric is 'f1'" in (
        result.message
    )


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_recent_data_from_parquet_and_jsonl(
    data: dict[str, Any], tmp_path: Path, suffix: str
) -> None:
    record, compare = _contexts(tmp_path)
    model = data["model"]  # fitted on arrays: called on the frame's values
    base = {"predict": lambda f: model.predict(np.asarray(f)), "metric": accuracy_score,
            "target": "label"}  # fmt: skip
    X_base, y_base = data["baseline"]
    X, y = data["recent"]
    columns = [f"x{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns).assign(label=y)

    def written(table: pd.DataFrame, name: str) -> Path:
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".parquet":
            table.to_parquet(path)
        else:
            table.to_json(path, orient="records", lines=True)
        return path

    baseline = pd.DataFrame(X_base, columns=columns).assign(label=y_base)
    run_builtin("monitor.7", {**base, "recent_data": baseline}, context=record)
    labelled = run_builtin("monitor.7", {**base, "recent_data": written(frame, "recent")},
                           context=compare)  # fmt: skip
    assert labelled.status is Status.PASS, labelled.message
    assert labelled.evidence["labelled"] and labelled.evidence["metric"] == "accuracy_score"
    unlabelled = run_builtin(
        "monitor.7",
        {**base, "recent_data": written(frame.drop(columns=["label"]), "unlabelled")},
        context=compare,
    )
    assert unlabelled.status is Status.PASS, unlabelled.message
    assert "quality not measured: recent_data has no labels" in unlabelled.message


def _float_label_data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32)
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.float64)  # float class labels 0.0 / 1.0


def _sigmoid_classifier(dtype: torch.dtype) -> nn.Module:
    linear = nn.Linear(3, 1)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[4.0, 2.0, 0.0]]))
        linear.bias.zero_()
    return nn.Sequential(linear, nn.Sigmoid()).to(dtype)  # one probability column


@pytest.mark.parametrize("kind", ["callable", "float32", "bfloat16"])
def test_float_class_labels_get_accuracy_without_a_metric(tmp_path: Path, kind: str) -> None:
    _, compare = _contexts(tmp_path)
    X, y = _float_label_data()
    chosen: dict[str, Any]
    if kind == "callable":
        chosen = {"predict": lambda f: (np.asarray(f)[:, 0] + 0.5 * np.asarray(f)[:, 1] > 0) * 1.0}
    else:
        chosen = {"model": _sigmoid_classifier(getattr(torch, kind))}
    inputs = {**chosen, "recent_data": (X, y), "reference_metric": 1.0}
    result = run_builtin("monitor.7", inputs, context=compare)
    assert result.status is Status.PASS, result.message
    assert result.evidence["metric"] == "accuracy"  # classes, not R²
    assert result.evidence["metric_value"] >= 0.98  # probabilities thresholded at 0.5
    flipped = run_builtin("monitor.7", {**inputs, "recent_data": (X, 1.0 - y)}, context=compare)
    assert flipped.status is Status.FAIL and "prediction quality regressed: accuracy" in (
        flipped.message
    )
