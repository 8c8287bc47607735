"""The team's MLflow tracking store: past runs (sweep, release metrics) and the registry.

A real tracking server outlives CI runs; an example rebuilds a local one (SQLite in a
directory): the sweep and the release history of ``../recognizer/history`` as runs, the
release serving before this one (trained with a tenth of the steps, 60 days ago) and the
candidate as registered versions; the candidate is promoted (the release step).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from mlflow import MlflowClient

from mltestscore.checks.integrations.mlflow_store import (
    MlflowModelStore,
    TorchWeights,
    create_experiment,
    local_tracking_uri,
)
from mltestscore.reference_model.config import RecognizerConfig
from recognizer_pl.module import LineReaderModule

NAME = "digit-line-reader"
HISTORY = Path(__file__).parents[2] / "recognizer" / "history"


def import_runs(uri: str, experiment: str, csv_path: Path, metrics: tuple[str, ...]) -> None:
    """Each CSV row becomes a finished run: ``metrics`` columns as metrics, the rest params."""
    client = MlflowClient(tracking_uri=uri)
    experiment_id = create_experiment(client, uri, experiment)
    with csv_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            run_id = client.create_run(experiment_id).info.run_id
            for key, value in row.items():
                if key in metrics:
                    client.log_metric(run_id, key, float(value))
                else:
                    client.log_param(run_id, key, value)
            client.set_terminated(run_id)


def build_registry(
    directory: Path, config: RecognizerConfig, candidate: Any, previous: Any
) -> MlflowModelStore:
    uri = local_tracking_uri(directory)
    import_runs(uri, "sweep", HISTORY / "sweep.csv", ("val_cer", "test_cer", "seconds"))
    import_runs(uri, "releases", HISTORY / "metric_log.csv", ("offline", "online"))
    codec = TorchWeights(lambda params: LineReaderModule(config))
    store = MlflowModelStore(uri, NAME, codec=codec, experiment="training")
    now = dt.datetime.now(dt.UTC)
    serving = store.register(previous, created_at=now - dt.timedelta(days=60))
    store.promote(NAME, serving)
    params = {k: v for k, v in config.to_dict().items() if isinstance(v, (int, float, str))}
    version = store.register(candidate, params=params, created_at=now)
    store.set_candidate(NAME, version)
    store.promote(NAME, version)  # the release step (infra.4 judges it against `previous`)
    return store
