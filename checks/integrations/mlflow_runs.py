"""MLflow runs as evidence, and the score logged back to a run.

- :func:`metric_log`: the offline and online metric of each model version (model.2),
  from the runs of an experiment — one row per run that logged both, the version
  read from a param or tag (default ``version``);
- :func:`sweep_results`: the runs of a sweep with their params and metric (model.3),
  numbers where params parse as numbers; :func:`run_params` the training run's params
  (model.3's ``chosen_config``, the reviewed spec) and its git commit;
- :func:`log_to_mlflow` (from :mod:`mltestscore.mlflow_log`, where the pytest plugin's
  ``--ml-score-mlflow-run`` reaches it): a finished report's final and section scores as
  metrics (``mltestscore.final``, ``mltestscore.section.<name>``,
  ``mltestscore.points.<id>``) and the JSON/HTML/Markdown reports as artifacts
  (``mltestscore/``) of a run — the one named, else the active run.

Every function takes ``tracking_uri`` (default: MLflow's own resolution, e.g.
``MLFLOW_TRACKING_URI``) and returns plain data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mltestscore.mlflow_log import ARTIFACT_DIR, REPORT_SUFFIXES, log_to_mlflow, score_metrics

__all__ = [
    "ARTIFACT_DIR",
    "REPORT_SUFFIXES",
    "log_to_mlflow",
    "metric_log",
    "run_params",
    "run_source",
    "score_metrics",
    "sweep_results",
]


def _client(tracking_uri: str | None) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri)


def _experiment_ids(client: Any, experiments: str | Iterable[str]) -> list[str]:
    names = [experiments] if isinstance(experiments, str) else list(experiments)
    ids = []
    for name in names:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise ValueError(f"MLflow has no experiment named {name!r}")
        ids.append(str(found.experiment_id))
    return ids


def _runs(client: Any, experiments: str | Iterable[str], filter_string: str) -> list[Any]:
    runs: list[Any] = []
    token = None
    while True:
        page = client.search_runs(
            _experiment_ids(client, experiments),
            filter_string=filter_string,
            max_results=1000,
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _number(text: str) -> Any:
    """A param as a number when it is one (``"0.001"`` → 0.001, ``"64"`` → 64)."""
    for cast in (int, float):
        try:
            return cast(text)
        except (TypeError, ValueError):
            continue
    return text


def metric_log(
    experiments: str | Iterable[str],
    *,
    offline: str,
    online: str,
    version_key: str = "version",
    filter_string: str = "",
    tracking_uri: str | None = None,
) -> list[dict[str, Any]]:
    """Rows ``{version, offline, online, run_id}`` for model.2's ``metric_log``."""
    client = _client(tracking_uri)
    rows = []
    for run in _runs(client, experiments, filter_string):
        metrics, params, tags = run.data.metrics, run.data.params, run.data.tags
        if offline not in metrics or online not in metrics:
            continue
        version = params.get(version_key, tags.get(version_key, run.info.run_id))
        rows.append(
            {
                "version": _number(version),
                "offline": float(metrics[offline]),
                "online": float(metrics[online]),
                "run_id": run.info.run_id,
            }
        )
    return sorted(rows, key=lambda r: str(r["version"]))


def sweep_results(
    experiments: str | Iterable[str],
    *,
    metric: str,
    params: Iterable[str] | None = None,
    filter_string: str = "",
    tracking_uri: str | None = None,
) -> list[dict[str, Any]]:
    """One row per finished run: its params (``params``, default all) and ``metric``."""
    client = _client(tracking_uri)
    wanted = None if params is None else list(params)
    rows = []
    for run in _runs(client, experiments, filter_string):
        if metric not in run.data.metrics:
            continue
        keys = wanted if wanted is not None else sorted(run.data.params)
        row = {k: _number(run.data.params[k]) for k in keys if k in run.data.params}
        row[metric] = float(run.data.metrics[metric])
        row["run_id"] = run.info.run_id
        rows.append(row)
    return rows


def run_params(
    run_id: str, *, keys: Iterable[str] | None = None, tracking_uri: str | None = None
) -> dict[str, Any]:
    """The run's params (numbers parsed), e.g. model.3's ``chosen_config``."""
    run = _client(tracking_uri).get_run(run_id)
    params = {k: _number(v) for k, v in run.data.params.items()}
    return params if keys is None else {k: params[k] for k in keys if k in params}


def run_source(run_id: str, *, tracking_uri: str | None = None) -> dict[str, str]:
    """Where the run's code came from: git commit, source name and branch (MLflow's tags)."""
    tags = _client(tracking_uri).get_run(run_id).data.tags
    return {
        "git_commit": tags.get("mlflow.source.git.commit", ""),
        "source": tags.get("mlflow.source.name", ""),
        "branch": tags.get("mlflow.source.git.branch", ""),
    }
