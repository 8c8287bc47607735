"""MLflow runs as evidence, and the score logged back to a run.

- :func:`metric_log`: the offline and online metric of each model version (model.2),
  from the runs of an experiment — one row per run that logged both, the version
  read from a param or tag (default ``version``);
- :func:`sweep_results`: the runs of a sweep with their params and metric (model.3),
  numbers where params parse as numbers; :func:`run_params` the training run's params
  (model.3's ``chosen_config``, the reviewed spec) and its git commit;
- :func:`log_to_mlflow`: a finished report's final and section scores as metrics
  (``mltestscore.final``, ``mltestscore.section.<name>``, ``mltestscore.points.<id>``)
  and the JSON/HTML/Markdown reports as artifacts (``mltestscore/``) of a run — the one
  named, else the active run.

Every function takes ``tracking_uri`` (default: MLflow's own resolution, e.g.
``MLFLOW_TRACKING_URI``) and returns plain data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ARTIFACT_DIR = "mltestscore"
REPORT_SUFFIXES = (".json", ".html", ".md", ".svg")


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


def score_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """The metrics :func:`log_to_mlflow` logs, from a loaded JSON report."""
    score = report.get("score")
    if not isinstance(score, Mapping):
        raise ValueError("the report has no 'score' object: is it an mltestscore JSON report?")
    metrics: dict[str, float] = {}
    final = score.get("final")
    if isinstance(final, (int, float)) and math.isfinite(final):
        metrics["mltestscore.final"] = float(final)
    for name, section in (score.get("sections") or {}).items():
        value = section.get("score") if isinstance(section, Mapping) else None
        if isinstance(value, (int, float)):
            metrics[f"mltestscore.section.{name}"] = float(value)
    for test in report.get("tests") or []:
        if isinstance(test, Mapping) and isinstance(test.get("points"), (int, float)):
            metrics[f"mltestscore.points.{test['id']}"] = float(test["points"])
    return metrics


def log_to_mlflow(
    report_path: str | Path,
    run_id: str | None = None,
    *,
    tracking_uri: str | None = None,
    artifacts: Iterable[str | Path] | None = None,
) -> str:
    """Log a finished report to an MLflow run; returns the run id.

    ``report_path``: the JSON report. The run is ``run_id``, else the active run
    (``mlflow.active_run()``); without either this raises. ``artifacts``: the report
    files to attach (default: the JSON report and its siblings with the same stem and
    a ``.html``/``.md``/``.svg`` suffix).
    """
    from mltestscore.report import load_report

    path = Path(report_path)
    report = load_report(path)
    if run_id is None:
        import mlflow

        active = mlflow.active_run()
        if active is None:
            raise ValueError(
                "log_to_mlflow: no run to log to: pass run_id (--ml-score-mlflow-run=ID) "
                "or call it inside `with mlflow.start_run():`"
            )
        run_id = str(active.info.run_id)
    client = _client(tracking_uri)
    for key, value in score_metrics(report).items():
        client.log_metric(run_id, key, value)
    band = (report.get("score") or {}).get("band")
    if isinstance(band, Mapping) and band.get("name"):
        client.set_tag(run_id, "mltestscore.band", str(band["name"]))
    files = (
        [Path(p) for p in artifacts]
        if artifacts is not None
        else [path, *(path.with_suffix(s) for s in REPORT_SUFFIXES if s != path.suffix)]
    )
    for file in files:
        if file.is_file():
            client.log_artifact(run_id, str(file), ARTIFACT_DIR)
    return run_id
