"""model.1: model spec files tracked, clean and committed — on real temporary git repos."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mltestscore.context import CheckContext
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.runner import run_builtin

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull,
}  # fmt: skip


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "project"
    (root / "configs").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "configs" / "model.yaml").write_text("layers: 3\nlr: 0.001\n")
    (root / "model.py").write_text("class Model: ...\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "model spec")
    return root


def run(
    root: Path, files: object = None, options: dict[str, object] | None = None, **thr: object
) -> AutomatedEvidence:
    context = CheckContext(root=root, baseline_path=root / "b.json", options=options or {})
    inputs = {} if files is None else {"model_spec_files": files}
    return run_builtin("model.1", inputs, thresholds=thr, context=context)


def test_committed_clean_specs_pass(repo: Path) -> None:
    result = run(repo, ["configs/*.yaml", "model.py"])
    assert result.status is Status.PASS, result.message
    assert [f["path"] for f in result.evidence["files"]] == ["configs/model.yaml", "model.py"]
    assert all(len(f["last_commit"]) == 40 for f in result.evidence["files"])


def test_files_can_come_from_pyproject_options(repo: Path) -> None:
    result = run(repo, options={"model_spec_files": ["model.py"]})
    assert result.status is Status.PASS, result.message


def test_dirty_spec_file_fails(repo: Path) -> None:
    (repo / "configs" / "model.yaml").write_text("layers: 4\nlr: 0.001\n")
    result = run(repo, ["configs/model.yaml", "model.py"])
    assert result.status is Status.FAIL
    assert result.evidence["uncommitted_changes"] == ["configs/model.yaml"]
    assert "uncommitted changes: configs/model.yaml" in result.message
    assert "Commit" in result.next_step


def test_staged_but_uncommitted_change_fails(repo: Path) -> None:
    (repo / "model.py").write_text("class Model:\n    depth = 2\n")
    git(repo, "add", "model.py")
    assert run(repo, ["model.py"]).status is Status.FAIL


def test_untracked_and_missing_files_fail(repo: Path) -> None:
    (repo / "configs" / "new.yaml").write_text("lr: 0.1\n")
    result = run(repo, ["configs/new.yaml", "configs/gone.yaml"])
    assert result.status is Status.FAIL
    assert result.evidence["untracked"] == ["configs/new.yaml"]
    assert result.evidence["missing"] == ["configs/gone.yaml"]


def test_spec_committed_only_on_a_feature_branch_fails(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "experiment")
    (repo / "configs" / "model.yaml").write_text("layers: 8\n")
    (repo / "configs" / "wide.yaml").write_text("width: 1024\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "unreviewed experiment")
    assert run(repo, ["configs/model.yaml"]).status is Status.PASS  # default: HEAD
    result = run(repo, ["configs/wide.yaml"], default_branch="main")
    assert result.status is Status.FAIL
    assert result.evidence["not_on_branch"] == ["configs/wide.yaml"]


def test_outside_a_repository_is_a_clear_failure(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("x = 1\n")
    result = run(tmp_path, ["model.py"])
    assert result.status is Status.FAIL
    assert "not inside a git repository" in result.message


def test_without_declared_files_it_is_not_automated(repo: Path) -> None:
    result = run(repo)
    assert result.status is Status.NOT_AUTOMATED
    assert "model_spec_files" in result.message


def test_missing_git_binary_is_not_automated(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mltestscore.checks.model.model1_specs.shutil.which", lambda name: None)
    result = run(repo, ["model.py"])
    assert result.status is Status.NOT_AUTOMATED
    assert "git is not installed" in result.message


# -- the training run's params (ml_mlflow_run) ----------------------------------------------


class TrainingRuns:
    """Runs in a local SQLite store, the one MLFLOW_TRACKING_URI names."""

    def __init__(self, client: Any, experiment: str) -> None:
        self.client, self.experiment = client, experiment

    def log(self, **params: object) -> str:
        run_id = str(self.client.create_run(self.experiment).info.run_id)
        for key, value in params.items():
            self.client.log_param(run_id, key, value)
        return run_id


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrainingRuns:
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    return TrainingRuns(client, client.create_experiment("train", (tmp_path / "a").as_uri()))


def run_with(root: Path, run: object, **thr: object) -> AutomatedEvidence:
    context = CheckContext(root=root, baseline_path=root / "b.json")
    inputs = {"model_spec_files": ["configs/model.yaml", "model.py"], "mlflow_run": run}
    return run_builtin("model.1", inputs, thresholds=thr, context=context)


def test_run_params_declared_in_the_specs_pass(repo: Path, runs: TrainingRuns) -> None:
    run_id = runs.log(lr="0.001", layers=3, Model="x")
    result = run_with(repo, run_id)
    assert result.status is Status.PASS, result.message
    assert "3 param(s) of training run" in result.message
    assert result.evidence["mlflow_run"]["declared"] == [
        "Model (model.py)", "layers (configs/model.yaml)", "lr (configs/model.yaml)",
    ]  # fmt: skip
    run = runs.client.get_run(run_id)
    assert run_with(repo, run).status is Status.PASS  # an mlflow.entities.Run works too


def test_a_run_param_no_spec_declares_fails(repo: Path, runs: TrainingRuns) -> None:
    run_id = runs.log(lr="0.001", dropout="0.2", seed=1)
    result = run_with(repo, run_id)
    assert result.status is Status.FAIL
    assert "params not in spec: dropout, seed" in result.message
    assert run_id in result.next_step and "ignore_params" in result.next_step
    assert run_with(repo, run_id, ignore_params=["dropout", "se*"]).status is Status.PASS


def test_a_run_trained_with_other_values_than_the_spec_fails(
    repo: Path, runs: TrainingRuns
) -> None:
    result = run_with(repo, runs.log(lr="0.01", layers="3"))
    assert result.status is Status.FAIL
    assert "params differ from spec: lr: run 0.01, spec 0.001 (configs/model.yaml)" in (
        result.message
    )


def test_an_unknown_run_fails_clearly(repo: Path, runs: TrainingRuns) -> None:
    result = run_with(repo, "0123456789abcdef")
    assert result.status is Status.FAIL
    assert "MLflow has no run '0123456789abcdef'" in result.message


def test_a_run_id_without_mlflow_is_not_automated(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow fails
    result = run_with(repo, "0123456789abcdef")
    assert result.status is Status.NOT_AUTOMATED
    assert "mltestscore[mlflow]" in result.message and "ml_mlflow_run" in result.message
