"""The MLflow registry as a model store, runs as evidence, the score logged back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

mlflow = pytest.importorskip("mlflow")
torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")

from mltestscore.checks.integrations import mlflow_runs  # noqa: E402
from mltestscore.checks.integrations.mlflow_store import (  # noqa: E402
    MlflowFlavor,
    MlflowModelStore,
    StoreError,
    TorchWeights,
    create_experiment,
    local_tracking_uri,
)
from mltestscore.results import Status  # noqa: E402
from mltestscore.runner import run_builtin  # noqa: E402

CANARY = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)


def linear(params: Any = None, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 2))


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return local_tracking_uri(tmp_path_factory.mktemp("mlflow"))


@pytest.fixture
def store(tracking_uri: str, request: pytest.FixtureRequest) -> MlflowModelStore:
    name = request.node.name.replace("[", "_").replace("]", "")[:60]
    return MlflowModelStore(tracking_uri, name, codec=TorchWeights(linear))


def forward(model: torch.nn.Module) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(CANARY)).numpy()


def test_registry_round_trip_alias_rollback_and_served_predictions(
    store: MlflowModelStore,
) -> None:
    name = store.default_name
    old = datetime.now(UTC) - timedelta(days=40)
    v1 = store.register(linear(seed=1), metrics={"acc": 0.8}, params={"lr": 0.1}, created_at=old)
    v2 = store.register(linear(seed=2), metrics={"acc": 0.9}, params={"lr": 0.01})
    assert (v1, v2) == (1, 2) and store.versions() == [1, 2]
    store.promote(name, v1)
    store.set_candidate(name, v2)
    assert (store.serving_version(), store.candidate_version()) == (1, 2)
    store.promote(name, v2)
    assert store.serving_version() == 2 and store.candidate_version() is None
    listed = store.list()
    assert [v.serving for v in listed] == [False, True]
    assert listed[0].metrics == {"acc": 0.8} and listed[0].params == {"lr": "0.1"}
    assert abs((listed[0].created_at - old).total_seconds()) < 1
    assert "previous" in listed[0].aliases
    assert store.rollback() == 1 and store.serving_version() == 1
    np.testing.assert_array_equal(forward(store.load()), forward(linear(seed=1)))
    assert store.roll_forward() == 2
    np.testing.assert_array_equal(forward(store.load(name, 2)), forward(linear(seed=2)))
    with pytest.raises(StoreError, match="no version 7"):
        store.load(name, 7)


def test_rollback_drill_passes_through_the_registry(store: MlflowModelStore) -> None:
    for seed in (1, 2):
        store.promote(store.default_name, store.register(linear(seed=seed)))
    ev = run_builtin(
        "infra.7",
        {"model_store": store, "canary_inputs": CANARY},
        thresholds={"record_missing": True, "model_name": store.default_name},
    )
    assert ev.status is Status.PASS, ev.message
    assert store.serving_version() == 2


def test_rollback_drill_fails_with_one_version(store: MlflowModelStore) -> None:
    store.promote(store.default_name, store.register(linear(seed=1)))
    ev = run_builtin(
        "infra.7",
        {"model_store": store, "canary_inputs": CANARY},
        thresholds={"model_name": store.default_name},
    )
    assert ev.status is Status.FAIL
    with pytest.raises(StoreError, match="cannot roll back"):
        store.rollback()


def test_staleness_curve_from_registry_versions(store: MlflowModelStore) -> None:
    now = datetime.now(UTC)
    for age in (60, 30, 0):
        store.register(linear(seed=age), created_at=now - timedelta(days=age))
    ev = run_builtin(
        "model.4",
        {"model_store": store, "eval_data": (CANARY, np.zeros(4)),
         "evaluate": lambda model, data: 1.0, "model_name": store.default_name},
    )  # fmt: skip
    assert ev.status in (Status.PASS, Status.WARN), ev.message
    assert ev.evidence["n_versions"] == 3


def test_pickle_flavours_must_be_trusted_explicitly() -> None:
    with pytest.raises(StoreError, match="unpickles"):
        MlflowFlavor("sklearn")
    assert MlflowFlavor("sklearn", trust_registry=True).flavor == "sklearn"


def _log_runs(
    tracking_uri: str, experiment: str, rows: list[dict[str, Any]], metrics: tuple[str, ...]
) -> None:
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    exp = create_experiment(client, tracking_uri, experiment)
    for row in rows:
        run = client.create_run(exp).info.run_id
        for key, value in row.items():
            if key in metrics:
                client.log_metric(run, key, value)
            else:
                client.log_param(run, key, value)


def test_sweep_and_metric_history_read_from_runs(tracking_uri: str) -> None:
    sweep = [{"lr": lr, "depth": d, "val_acc": 0.9 - abs(lr - 0.01) - 0.01 * abs(d - 4)}
             for lr in (0.001, 0.01, 0.1) for d in (2, 4, 8)]  # fmt: skip
    _log_runs(tracking_uri, "sweep", sweep, ("val_acc",))
    rows = mlflow_runs.sweep_results("sweep", metric="val_acc", params=["lr", "depth"],
                                     tracking_uri=tracking_uri)  # fmt: skip
    assert len(rows) == 9 and {type(r["lr"]) for r in rows} == {float}
    chosen = {"lr": 0.01, "depth": 4}
    ev = run_builtin("model.3", {"sweep_results": rows, "hyperparameters": chosen,
                                 "chosen_config": chosen}, thresholds={"metric_column": "val_acc"})  # fmt: skip
    assert ev.status is Status.PASS, ev.message
    ev = run_builtin("model.3", {"sweep_results": rows, "hyperparameters": chosen,
                                 "chosen_config": {"lr": 0.1, "depth": 8}},
                     thresholds={"metric_column": "val_acc"})  # fmt: skip
    assert ev.status is Status.FAIL

    history = [{"version": str(v), "offline": 0.7 + 0.02 * v, "online": 0.5 + 0.03 * v}
               for v in range(1, 7)]  # fmt: skip
    _log_runs(tracking_uri, "releases", history, ("offline", "online"))
    log = mlflow_runs.metric_log("releases", offline="offline", online="online",
                                 tracking_uri=tracking_uri)  # fmt: skip
    assert [r["version"] for r in log] == [1, 2, 3, 4, 5, 6]
    assert run_builtin("model.2", {"metric_log": log}).status is Status.PASS
    flipped = [dict(r, online=-r["online"]) for r in log]
    assert run_builtin("model.2", {"metric_log": flipped}).status is Status.FAIL


def test_score_logged_to_a_named_run_and_the_active_run(tracking_uri: str, tmp_path: Path) -> None:
    report = tmp_path / "ml-score.json"
    write_sample_report(report)
    (tmp_path / "ml-score.html").write_text("<html></html>", encoding="utf-8")
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    run_id = client.create_run(create_experiment(client, tracking_uri, "scores")).info.run_id
    assert mlflow_runs.log_to_mlflow(report, run_id, tracking_uri=tracking_uri) == run_id
    metrics = client.get_run(run_id).data.metrics
    assert metrics["mltestscore.final"] == 6.0 and metrics["mltestscore.section.infra"] == 7.0
    assert metrics["mltestscore.points.data.1"] == 1.0
    assert {a.path for a in client.list_artifacts(run_id, "mltestscore")} == {
        "mltestscore/ml-score.json", "mltestscore/ml-score.html",
    }  # fmt: skip
    with pytest.raises(ValueError, match="no run to log to"):
        mlflow_runs.log_to_mlflow(report, tracking_uri=tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    try:
        with mlflow.start_run(experiment_id=client.get_experiment_by_name("scores").experiment_id):
            active = mlflow_runs.log_to_mlflow(report)
        assert client.get_run(active).data.tags["mltestscore.band"] == "exceptional"
    finally:
        mlflow.set_tracking_uri(None)


def write_sample_report(path: Path) -> Path:
    """A report of known scores (data 7, model 6, infra 7, monitor 7: final 6), written here."""
    from mltestscore.report import build_report, write_json
    from mltestscore.results import AutomatedEvidence, Status
    from mltestscore.scoring import score

    automated = {
        f"{s}.{n}": [AutomatedEvidence(f"builtin:{s}.{n}", Status.PASS, "ok")]
        for s in ("data", "model", "infra", "monitor")
        for n in range(1, 8)
        if (s, n) != ("model", 7)
    }
    write_json(build_report(score(automated)), path)
    return path
