"""``--ml-score-mlflow-run``: the score logged to an MLflow run after the reports are written.

The scored runs are subprocesses. pytester restores ``sys.modules`` after each test, which
unloads the SQLAlchemy modules mlflow imports lazily and breaks the next store in this
process: :func:`warm_store` loads them once, before any pytester snapshot.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")

PROJECT_TEST = "def test_ok():\n    pass\n"
REPORTS = ("--ml-score-report=score.json", "--ml-score-report=score.html")


@pytest.fixture(scope="module", autouse=True)
def warm_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Everything the tests do with a store, once, so its lazy imports stay loaded."""
    folder = tmp_path_factory.mktemp("warm")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    exp = client.create_experiment("warm", artifact_location=(folder / "a").as_uri())
    run = client.create_run(exp).info.run_id
    (folder / "x.json").write_text("{}", encoding="utf-8")
    client.log_metric(run, "m", 1.0)
    client.set_tag(run, "t", "v")
    client.log_artifact(run, str(folder / "x.json"), "d")
    client.list_artifacts(run, "d")
    client.get_run(run)


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> mlflow.MlflowClient:
    """A local SQLite store in tmp_path, named by MLFLOW_TRACKING_URI as a team would."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    client = mlflow.MlflowClient(tracking_uri=uri)
    client.create_experiment("scores", artifact_location=(tmp_path / "artifacts").as_uri())
    return client


def new_run(client: mlflow.MlflowClient) -> str:
    return str(client.create_run(client.get_experiment_by_name("scores").experiment_id).info.run_id)


def scored(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    pytester.makepyfile(test_project=PROJECT_TEST)
    result = pytester.runpytest_subprocess("--ml-score", "-p", "no:cacheprovider", *REPORTS, *args)
    report = json.loads((pytester.path / "score.json").read_text(encoding="utf-8"))
    return result, report


def test_help_and_a_bad_run_id(pytester: pytest.Pytester) -> None:
    pytester.runpytest("--help").stdout.fnmatch_lines(["*--ml-score-mlflow-run=ID*"])
    result = pytester.runpytest("--ml-score", "--ml-score-mlflow-run=../runs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "'../runs'" in result.stderr.str()


def test_scores_and_reports_are_logged_to_the_named_run(
    pytester: pytest.Pytester, tracking: mlflow.MlflowClient
) -> None:
    run_id = new_run(tracking)
    result, report = scored(pytester, f"--ml-score-mlflow-run={run_id}")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"ML Test Score logged to MLflow run {run_id}: * 2 report file*"])
    metrics = tracking.get_run(run_id).data.metrics
    assert metrics["mltestscore.final"] == report["score"]["final"]
    for section, value in report["score"]["sections"].items():
        assert metrics[f"mltestscore.section.{section}"] == value["score"]
    assert sum(k.startswith("mltestscore.points.") for k in metrics) == 28
    logged = {a.path for a in tracking.list_artifacts(run_id, "mltestscore")}
    assert logged == {"mltestscore/score.json", "mltestscore/score.html"}


def test_active_run(
    pytester: pytest.Pytester, tracking: mlflow.MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = new_run(tracking)
    monkeypatch.setenv("TEAM_RUN", run_id)
    pytester.makeconftest("import os, mlflow\nmlflow.start_run(run_id=os.environ['TEAM_RUN'])\n")
    result, _ = scored(pytester, "--ml-score-mlflow-run=active")
    result.stdout.fnmatch_lines([f"ML Test Score logged to MLflow run {run_id}:*"])
    assert "mltestscore.final" in tracking.get_run(run_id).data.metrics


def test_unknown_run_id_is_a_clear_error_and_the_report_is_still_written(
    pytester: pytest.Pytester, tracking: mlflow.MlflowClient
) -> None:
    result, report = scored(pytester, "--ml-score-mlflow-run=0123456789abcdef")
    result.stdout.fnmatch_lines(
        ["ML Test Score: could not log to MLflow: MLflow has no run '0123456789abcdef' at sqlite*"]
    )
    assert result.ret == pytest.ExitCode.OK  # as for a report file that cannot be written
    assert len(report["tests"]) == 28 and (pytester.path / "score.html").is_file()


def test_no_active_run(pytester: pytest.Pytester, tracking: mlflow.MlflowClient) -> None:
    result, _ = scored(pytester, "--ml-score-mlflow-run=active")
    result.stdout.fnmatch_lines(["*could not log to MLflow: no run to log to*MLFLOW_RUN_ID*"])


def test_missing_mlflow_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import sys\nsys.modules['mlflow'] = None  # import mlflow fails\n")
    result, report = scored(pytester, "--ml-score-mlflow-run=abc123")
    result.stdout.fnmatch_lines(["*could not log to MLflow: *needs mlflow*mltestscore[[]mlflow]*"])
    assert result.ret == pytest.ExitCode.OK and len(report["tests"]) == 28


def test_mlflow_is_imported_only_with_the_option() -> None:
    code = (
        "import sys\n"
        "import mltestscore.pytest_plugin.finish, mltestscore.mlflow_log\n"
        "import mltestscore.checks.integrations.mlflow_runs\n"
        "print('MLFLOW', 'mlflow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "MLFLOW False" in out.stdout, out.stdout + out.stderr
