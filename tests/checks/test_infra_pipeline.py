"""infra.3: the pipeline runs end to end, stage by stage; the failing stage is named."""

from __future__ import annotations

import json
import pickle
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from mltestscore.checks.infra.infra3_pipeline import pipeline_integration_tested
from mltestscore.checks.infra.pipeline import Pipeline, PipelineWiringError, plan
from mltestscore.results import Status
from mltestscore.runner import run_builtin

X, Y = load_breast_cancer(return_X_y=True)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


def data() -> dict[str, Any]:
    return {"train": (X[:300], Y[:300]), "test": (X[300:400], Y[300:400])}


def train(data: dict[str, Any]) -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(*data["train"])


def evaluate(train: Any, data: dict[str, Any]) -> dict[str, float]:
    features, labels = data["test"]
    return {"accuracy": float((train.predict(features) == labels).mean())}


def export(train: Any, workdir: Path) -> Path:
    path = workdir / "model.pkl"
    path.write_bytes(pickle.dumps(train))
    return path


def load(path: Path) -> Any:  # unnamed parameter: receives the previous stage's output
    return pickle.loads(path.read_bytes())  # our own artifact, written just above


def predict(load: Any, data: dict[str, Any]) -> Any:
    return load.predict(data["test"][0][:8])


STAGES = {
    "data": data,
    "train": train,
    "evaluate": evaluate,
    "export": export,
    "load": load,
    "predict": predict,
}


def test_full_pipeline_passes_with_timings_and_descriptions() -> None:
    ev = run_builtin(
        "infra.3",
        {"pipeline": Pipeline.of(**STAGES)},
        thresholds={"min_metric": 0.9, "max_seconds": 120},
    )
    assert ev.status is Status.PASS, ev.message
    stages = ev.evidence["stages"]
    assert [s["stage"] for s in stages] == list(STAGES)
    assert all(s["status"] == "ok" and s["seconds"] >= 0 for s in stages)
    assert stages[3]["output"].startswith("path model.pkl (")
    assert stages[5]["output"] == "ndarray shape (8,) dtype int64"
    assert ev.evidence["metrics"]["accuracy"] > 0.9
    assert ev.evidence["artifacts"][0]["file"] == "model.pkl"
    wiring = {w["stage"]: w["receives"] for w in ev.evidence["wiring"]}
    assert wiring["load"] == ["export (previous)"]
    assert wiring["export"] == ["train", "workdir"]
    assert "data (" in ev.message and "→ predict (" in ev.message
    json.dumps(ev.evidence)


def test_crashing_stage_is_named_with_location_and_skipped_stages() -> None:
    def train_on_five_features(data: dict[str, Any]) -> Any:
        features, labels = data["train"]
        return make_pipeline(StandardScaler(), LogisticRegression()).fit(features[:, :5], labels)

    ev = run_builtin("infra.3", {"pipeline": STAGES | {"train": train_on_five_features}})
    assert ev.status is Status.FAIL
    assert ev.evidence["failed_stage"] == "evaluate"  # training worked; evaluation crashed
    assert ev.evidence["not_run"] == ["export", "load", "predict"]
    assert "ValueError" in ev.evidence["error"] and "features" in ev.evidence["error"]
    assert "test_infra_pipeline.py" in ev.message and "in evaluate" in ev.message
    statuses = [s["status"] for s in ev.evidence["stages"]]
    assert statuses == ["ok", "ok", "failed", "not_run", "not_run", "not_run"]
    assert "Run stage 'evaluate' on its own" in ev.next_step


def test_stage_returning_none_that_is_needed_fails_at_that_stage() -> None:
    def forgot_return(data: dict[str, Any]) -> None:
        train(data)  # trains, but does not return the model

    ev = run_builtin("infra.3", {"pipeline": STAGES | {"train": forgot_return}})
    assert ev.status is Status.FAIL
    assert ev.evidence["failed_stage"] == "train"
    assert "returned None" in ev.message and "'evaluate' (parameter 'train')" in ev.message


def test_wiring_errors_are_reported_before_anything_runs() -> None:
    ran: list[str] = []

    def tracked_data() -> Any:
        ran.append("data")
        return data()

    bad_order = {"data": tracked_data, "evaluate": evaluate, "train": train}
    ev = run_builtin("infra.3", {"pipeline": bad_order})
    assert ev.status is Status.FAIL
    assert "'evaluate' asks for the output of 'train', which runs later" in ev.message
    assert ran == []
    with pytest.raises(PipelineWiringError, match="only one may receive"):
        plan(Pipeline.of(data=data, train=lambda a, b: None))
    with pytest.raises(PipelineWiringError, match="first stage"):
        plan(Pipeline.of(data=lambda x: x))


def test_metric_floor_and_nan_metrics_fail() -> None:
    ev = run_builtin("infra.3", {"pipeline": STAGES}, thresholds={"min_metric": 0.999})
    assert ev.status is Status.FAIL
    assert "accuracy" in ev.message and "< min_metric 0.999" in ev.message
    nan_eval = STAGES | {"evaluate": lambda train, data: {"loss": float("nan")}}
    ev = run_builtin("infra.3", {"pipeline": nan_eval})
    assert ev.status is Status.FAIL and "metric 'loss' is nan" in ev.message
    error_rate = STAGES | {"evaluate": lambda train, data: 0.2}
    ev = run_builtin("infra.3", {"pipeline": error_rate}, thresholds={"max_metric": 0.1})
    assert ev.status is Status.FAIL and "> max_metric 0.1" in ev.message
    ev = run_builtin("infra.3", {"pipeline": STAGES}, thresholds={"min_metric": {"f1": 0.5}})
    assert ev.status is Status.FAIL and "names 'f1'" in ev.message


def test_evaluate_returning_a_non_metric_fails() -> None:
    ev = run_builtin("infra.3", {"pipeline": STAGES | {"evaluate": lambda train: "great"}})
    assert ev.status is Status.FAIL
    assert "an evaluate stage returns a number" in ev.message


def test_bad_predictions_fail() -> None:
    nan_predict = STAGES | {"predict": lambda load: np.array([0.1, np.nan])}
    ev = run_builtin("infra.3", {"pipeline": nan_predict})
    assert ev.status is Status.FAIL and "1 NaN/Inf value(s)" in ev.message
    ev = run_builtin("infra.3", {"pipeline": STAGES | {"predict": lambda load: None}})
    assert ev.status is Status.FAIL and "'predict' returned None" in ev.message
    ev = run_builtin("infra.3", {"pipeline": STAGES | {"predict": lambda load: np.array([])}})
    assert ev.status is Status.FAIL and "no predictions" in ev.message


def test_time_budget_names_the_slowest_stage() -> None:
    def slow_train(data: dict[str, Any]) -> Any:
        time.sleep(0.5)  # slowest by a margin no load on the other stages closes
        return train(data)

    result = pipeline_integration_tested(STAGES | {"train": slow_train}, max_seconds=1e-9)
    assert result.status is Status.FAIL
    assert "> max_seconds" in result.message and "slowest stage 'train'" in result.message
    result = pipeline_integration_tested(STAGES, max_stage_seconds={"train": 1e-9})
    assert result.status is Status.FAIL and "stage 'train' took" in result.message


def test_missing_canonical_stages_warn() -> None:
    ev = run_builtin("infra.3", {"pipeline": [("data", data), ("train", train)]})
    assert ev.status is Status.WARN
    assert ev.evidence["missing_stages"] == ["evaluate", "export", "load", "predict"]
    ev = run_builtin(
        "infra.3",
        {"pipeline": [("data", data), ("train", train)]},
        thresholds={"expected_stages": ["data", "train"]},
    )
    assert ev.status is Status.PASS


def test_warnings_and_system_exit_are_recorded() -> None:
    def noisy(data: dict[str, Any]) -> Any:
        warnings.warn("learning rate looks high", UserWarning, stacklevel=1)
        return train(data)

    def cli_export(train: Any) -> None:
        sys.exit(2)

    ev = run_builtin("infra.3", {"pipeline": STAGES | {"train": noisy, "export": cli_export}})
    assert ev.status is Status.FAIL
    assert ev.evidence["stages"][1]["warnings"] == ["UserWarning: learning rate looks high"]
    assert ev.evidence["failed_stage"] == "export"
    assert "exited with status 2" in ev.message


def test_bad_pipeline_inputs_are_clear() -> None:
    for bad, expected in (
        (42, "expected an ordered mapping"),
        ({}, "no stages"),
        ({"data": 3}, "not callable"),
        ({"bad name": data}, "identifiers"),
        ({"workdir": data}, "reserved"),
    ):
        ev = run_builtin("infra.3", {"pipeline": bad})
        assert ev.status is Status.ERROR and expected in ev.message, ev.message
