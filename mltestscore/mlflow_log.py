"""A finished report logged to an MLflow run: the scores as metrics, the reports as artifacts.

- :func:`score_metrics`: ``mltestscore.final``, ``mltestscore.section.<name>`` and
  ``mltestscore.points.<id>`` from a report;
- :func:`log_report`: those metrics, the tag ``mltestscore.band`` and the report files
  (artifacts under ``mltestscore/``) on a run — the one named, else the active run;
- :func:`log_to_mlflow`: the same from a JSON report on disk.

``pytest --ml-score --ml-score-mlflow-run=ID`` (or ``=active``) calls :func:`log_report`
after the reports are written. mlflow (the extra ``mlflow``) is imported only when a
function here is called; every failure is a :class:`MlflowLogError` whose message says
what to fix (no run, an unknown run id, mlflow not installed).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ARTIFACT_DIR = "mltestscore"
REPORT_SUFFIXES = (".json", ".html", ".md", ".svg")
#: ``--ml-score-mlflow-run=active``: the run started in this process, else ``MLFLOW_RUN_ID``.
ACTIVE = "active"


class MlflowLogError(ValueError):
    """The score could not be logged to MLflow (the message says why and what to do)."""


def score_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """The metrics :func:`log_report` logs, from a report (built or loaded from JSON)."""
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


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError as exc:
        raise MlflowLogError(
            f'logging the score to MLflow needs mlflow ({exc}): pip install "mltestscore[mlflow]"'
        ) from None
    return mlflow


def resolve_run(run_id: str | None) -> str:
    """``run_id``, or for ``None``/``"active"`` the active run (else ``MLFLOW_RUN_ID``)."""
    if run_id is not None and run_id != ACTIVE:
        return run_id
    active = _mlflow().active_run()
    if active is not None:
        return str(active.info.run_id)
    from_env = os.environ.get("MLFLOW_RUN_ID", "").strip()
    if from_env:
        return from_env
    raise MlflowLogError(
        "no run to log to: no MLflow run is active in this process and "
        "MLFLOW_RUN_ID is not set; pass --ml-score-mlflow-run=ID (run_id=...) or start "
        "one with mlflow.start_run()"
    )


def log_report(
    report: Mapping[str, Any],
    run_id: str | None = None,
    *,
    artifacts: Iterable[str | Path] = (),
    tracking_uri: str | None = None,
) -> tuple[str, int, int]:
    """Log ``report``'s scores and the ``artifacts`` files to a run.

    The run is ``run_id``, else (``None`` or ``"active"``) the active run. Returns
    ``(run id, metrics logged, artifacts logged)``. The run is looked up first, so an
    unknown id raises :class:`MlflowLogError` before anything is logged.
    """
    mlflow = _mlflow()
    run = resolve_run(run_id)
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    where = tracking_uri or mlflow.get_tracking_uri()
    try:
        client.get_run(run)
    except Exception as exc:  # MlflowException: RESOURCE_DOES_NOT_EXIST, or no store
        raise MlflowLogError(
            f"MLflow has no run {run!r} at {where} ({type(exc).__name__}: "
            f"{str(exc).strip().splitlines()[0][:200] if str(exc).strip() else 'not found'}); "
            "check the run id and MLFLOW_TRACKING_URI"
        ) from None
    metrics = score_metrics(report)
    for key, value in metrics.items():
        client.log_metric(run, key, value)
    band = (report.get("score") or {}).get("band")
    if isinstance(band, Mapping) and band.get("name"):
        client.set_tag(run, "mltestscore.band", str(band["name"]))
    logged = 0
    for file in dict.fromkeys(Path(p) for p in artifacts):
        if file.is_file():
            client.log_artifact(run, str(file), ARTIFACT_DIR)
            logged += 1
    return run, len(metrics), logged


def log_to_mlflow(
    report_path: str | Path,
    run_id: str | None = None,
    *,
    tracking_uri: str | None = None,
    artifacts: Iterable[str | Path] | None = None,
) -> str:
    """Log a finished JSON report to an MLflow run; returns the run id.

    ``report_path``: the JSON report. The run is ``run_id``, else the active run
    (``mlflow.active_run()``, else ``MLFLOW_RUN_ID``); without either this raises.
    ``artifacts``: the report files to attach (default: the JSON report and its
    siblings with the same stem and a ``.html``/``.md``/``.svg`` suffix).
    """
    from mltestscore.report import load_report

    path = Path(report_path)
    files = (
        list(artifacts)
        if artifacts is not None
        else [path, *(path.with_suffix(s) for s in REPORT_SUFFIXES if s != path.suffix)]
    )
    run, _, _ = log_report(load_report(path), run_id, artifacts=files, tracking_uri=tracking_uri)
    return run
