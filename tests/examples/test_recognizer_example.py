"""Acceptance: the recognizer example scores "exceptional" on real evidence, its broken copy low.

Both projects are scored the way a user scores theirs, ``python -m pytest --ml-score``
in the project's directory, in a subprocess. They share a training cache
(``DIGITS_APP_CACHE``): training is deterministic, so the broken copy reuses the
healthy project's trained models instead of training them again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mltestscore.report import validate
from mltestscore.rubric import RUBRIC

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RECOGNIZER = EXAMPLES / "recognizer"
BROKEN = EXAMPLES / "recognizer_broken"
# The planted bugs of examples/recognizer_broken (its README) and the tests they fail.
BROKEN_FAILS = {
    "infra.1": "differ",
    "infra.2": "params_update",
    "infra.4": "do not promote",
    "infra.6": "could not serve",
    "infra.7": "nothing to roll back to",
    "monitor.2": "max_value",
    "monitor.3": "skew",
    "monitor.4": "stale",
    "monitor.5": "LogScale",
    "monitor.7": "regress",
}
TIMEOUT_S = 1200


def run_example(
    project: Path, out: Path, cache: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    reports = [out / "ml-score.json", out / "ml-score.html", out / "ml-score.md"]
    env = dict(os.environ, DIGITS_APP_CACHE=str(cache))
    if os.environ.get("PYTEST_XDIST_WORKER"):  # another worker shares the two cores
        env["DIGITS_APP_THREADS"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--ml-score", "-q", "-p", "no:xdist",
         *(f"--ml-score-report={path}" for path in reports)],
        cwd=project, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )  # fmt: skip
    assert reports[0].exists(), f"no report written:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
    report = json.loads(reports[0].read_text())
    return proc, report


GIT_STATE = ("untracked", "uncommitted changes", "not on branch", "not under version control")


def judged_on_repository_state(test: dict[str, Any]) -> bool:
    """model.1 failing because of where the checkout stands, not because of the example.

    model.1 reads git: the spec files must be committed and merged to the default branch.
    A working tree with edits, or a branch not merged yet, fails it by design.
    """
    return test["id"] == "model.1" and any(word in test["reason"] for word in GIT_STATE)


@pytest.fixture(scope="module")
def training_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the pytest-xdist workers of this run (their base temp dirs are siblings)."""
    root = tmp_path_factory.getbasetemp()
    shared = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    path = shared / "digits-app-training-cache"
    path.mkdir(exist_ok=True)
    return path


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {test["id"]: test for test in report["tests"]}


@pytest.mark.xdist_group("recognizer-examples")
def test_recognizer_scores_exceptional_with_all_28_tests_automated(
    training_cache: Path, tmp_path: Path
) -> None:
    proc, report = run_example(RECOGNIZER, tmp_path, training_cache)
    validate(report)
    tests = by_id(report)
    assert set(tests) == {t.id for t in RUBRIC}
    allowed = {i for i, t in tests.items() if judged_on_repository_state(t)}
    not_automated = {
        i: f"{t['status']}: {t['reason'][:300]}"
        for i, t in tests.items()
        if (t["status"], t["points"]) != ("automated", 1.0) and i not in allowed
    }
    assert not not_automated, not_automated
    if allowed:
        assert report["score"]["final"] >= 6.0, report["score"]
    else:
        assert report["score"]["final"] == 7.0, report["score"]
        assert report["score"]["band"]["name"] == "exceptional"
        assert proc.returncode == 0, proc.stdout[-3000:]
    analysis = report["error_analysis"]
    assert {"train", "train_val", "test_val", "test"} <= set(analysis["errors"])
    assert analysis["worst_examples"] and analysis["confusions"] and analysis["slices"]["rows"]
    page = (tmp_path / "ml-score.html").read_text()
    assert "exceptional" in page or allowed
    assert page.count("data:image/png;base64,") >= 8  # the worst lines, as images
    summary = (tmp_path / "ml-score.md").read_text()
    assert f"{report['score']['final']:g}" in summary
    assert (tmp_path / "ml-score.html").stat().st_size < 2 * 1024 * 1024
    open_in_chromium(tmp_path / "ml-score.html", report)


def open_in_chromium(html: Path, report: dict[str, Any]) -> None:
    """The recognizer's real report in headless Chromium: offline, no errors, score shown."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
    import chromium_cdp

    if not chromium_cdp.available():
        if os.environ.get("MLTESTSCORE_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"Chromium not found at {chromium_cdp.CHROMIUM}")
        return
    page = chromium_cdp.visit(
        html, evaluate=("document.querySelector('.score').textContent", "document.scripts.length")
    )
    assert page.outside_requests == [] and page.console_errors == [] and page.exceptions == []
    assert page.values["document.querySelector('.score').textContent"] == (
        f"{report['score']['final']:g}"
    )
    assert page.values["document.scripts.length"] == 0
    shots = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    (shots / "recognizer.png").write_bytes(page.screenshot)


@pytest.mark.xdist_group("recognizer-examples")
def test_broken_copy_fails_for_the_documented_reasons(training_cache: Path, tmp_path: Path) -> None:
    proc, report = run_example(BROKEN, tmp_path, training_cache)
    validate(report)
    tests = by_id(report)
    failed = {i for i, t in tests.items() if t["status"] in ("failed", "error")}
    assert failed - {"model.1"} == set(BROKEN_FAILS), {
        i: tests[i]["reason"][:200] for i in failed ^ set(BROKEN_FAILS)
    }
    for test_id, reason in BROKEN_FAILS.items():
        evidence = " ".join(e["message"] for e in tests[test_id]["automated"])
        assert reason.lower() in evidence.lower(), (test_id, evidence[:500])
    assert report["score"]["final"] <= 2.0, report["score"]
    assert proc.returncode != 0
