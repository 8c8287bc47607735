"""The tabular example (examples/tabular) scores all 14 data and model checks, for real.

The example is copied into a fresh git repository and committed there, so that
model.1 (spec files tracked, clean, committed) judges the example itself and
not the state of this working tree; then ``python -m pytest --ml-score`` runs in
it as a user would run it. Planted problems (``TABULAR_PLANT``, see the
example's ``plants.py``) must flip the check that exists to catch them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tabular"
DATA_AND_MODEL = [f"{s}.{i}" for s in ("data", "model") for i in range(1, 8)]
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example, committed in a repository of its own."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: model.1 needs it")
    root = tmp_path_factory.mktemp("tabular") / "tabular"
    shutil.copytree(
        EXAMPLE, root,
        ignore=shutil.ignore_patterns("reports", "__pycache__", ".pytest_cache", ".mltestscore"),
    )  # fmt: skip
    identity = ["-c", "user.name=example", "-c", "user.email=example@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "example"]):
        subprocess.run([git, *args], cwd=root, check=True, capture_output=True, timeout=60)
    return root


def run_example(
    project: Path, tmp: Path, plant: str = "", *args: str, expect_report: bool = True
) -> tuple[int, dict[str, Any], str]:
    """Run the example's test-suite with --ml-score; (exit code, report, output)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "COV_CORE_", "TABULAR_"))}  # fmt: skip
    env.update(PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    if plant:
        env["TABULAR_PLANT"] = plant
    report = tmp / f"report-{plant or 'clean'}.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--ml-score", f"--ml-score-report={report}",
         "-p", "no:cacheprovider", "-q", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    if not expect_report:
        return proc.returncode, {}, output
    assert report.is_file(), f"no report written; output:\n{output[-3000:]}"
    return proc.returncode, json.loads(report.read_text(encoding="utf-8")), output


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in report["tests"]}


def builtin(test: dict[str, Any]) -> dict[str, Any]:
    """The built-in check's evidence among a test's automated evidence."""
    found = [a for a in test["automated"] if a["source"].startswith("builtin:")]
    assert len(found) == 1, test
    evidence: dict[str, Any] = found[0]
    return evidence


@pytest.fixture(scope="module")
def clean_run(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[str, Any], str]:
    return run_example(project, tmp_path_factory.mktemp("reports"))


def test_all_data_and_model_checks_are_automated_and_pass(
    clean_run: tuple[int, dict[str, Any], str],
) -> None:
    code, report, output = clean_run
    assert code == 0, output[-3000:]
    tests = by_id(report)
    for test_id in DATA_AND_MODEL:
        test = tests[test_id]
        assert (test["status"], test["points"]) == ("automated", 1.0), (test_id, test["reason"])
        assert builtin(test)["status"] == "pass", (test_id, builtin(test))
    sections = report["score"]["sections"]
    assert sections["data"]["score"] == sections["model"]["score"] == 7.0


def test_the_evidence_is_the_examples_own(clean_run: tuple[int, dict[str, Any], str]) -> None:
    tests = by_id(clean_run[1])
    importance = builtin(tests["data.2"])["evidence"]["importance"]
    assert {row["feature"] for row in importance} == {
        "log_worst_area", "worst_concave_points", "texture_mean_worst",
    }  # fmt: skip
    assert builtin(tests["data.7"])["evidence"]["files"][0]["module"] == "tabular_app.features"
    baseline = builtin(tests["model.5"])["evidence"]
    assert baseline["best_baseline"] == "logistic" and baseline["lead"] >= 0.01
    assert builtin(tests["model.4"])["evidence"]["n_versions"] == 3
    assert builtin(tests["model.6"])["evidence"]["compared_with_previous"] is True
    # The team's own marked tests count too (schema and feature-code unit tests).
    assert any(a["source"].startswith("test:") for a in tests["data.1"]["automated"])


@pytest.mark.parametrize(
    ("plant", "check"),
    [
        ("uninformative_feature", "data.2"),
        ("pii", "data.5"),
        ("drift", "data.1"),
        ("failing_slice", "model.6"),
        ("biased_group", "model.7"),
    ],
)
def test_a_planted_problem_fails_its_check(
    project: Path, tmp_path: Path, plant: str, check: str
) -> None:
    code, report, output = run_example(project, tmp_path, plant, "-k", check)
    test = by_id(report)[check]
    assert (test["status"], test["points"]) == ("failed", 0.0), (plant, test["reason"])
    assert code == 1, output[-3000:]
    assert f"FAILED ml-score::{check}" in output


def test_an_unknown_plant_is_refused(project: Path, tmp_path: Path) -> None:
    code, _, output = run_example(project, tmp_path, "typo", "-k", "data.1", expect_report=False)
    assert code == pytest.ExitCode.USAGE_ERROR, output[-3000:]
    assert "TABULAR_PLANT='typo': expected one of uninformative_feature" in output
