"""Verdicts that hold on a loaded machine: two busy processes eat both cores.

monitor.6 judges a ratio measured in the same run, so load slows both sides of
every round alike: the same model still passes, a model doing three times the
work still fails. monitor.1 notifies of a change by default and fails a major one
under ``fail_on = "major"``, whatever the load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin

sys.path.insert(0, str(Path(__file__).parent))
from test_monitor_perf import INPUTS, model_predict

BUSY = "while True:\n    pass\n"


@pytest.fixture
def two_busy_processes() -> Iterator[None]:
    procs = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=10)


def test_monitor6_verdicts_hold_under_load(two_busy_processes: None, tmp_path: Path) -> None:
    context = CheckContext(root=tmp_path, baseline_path=tmp_path / "baseline.json")
    # Calls of about 10 ms, like a real model's forward pass: a 1 ms call is shorter than the
    # scheduler's time slice, so on an oversubscribed machine it times the scheduler.
    thresholds = {"warmup": 2, "repeats": 20}
    same = run_builtin("monitor.6", {"predict": model_predict(8), "perf_inputs": INPUTS,
                                     "baseline_predict": model_predict(8)},
                       context=context, thresholds=thresholds)  # fmt: skip
    assert same.status in (Status.PASS, Status.WARN), same.message
    slower = run_builtin("monitor.6", {"predict": model_predict(24), "perf_inputs": INPUTS,
                                       "baseline_predict": model_predict(8)},
                         context=context, thresholds=thresholds)  # fmt: skip
    assert slower.status is Status.FAIL, slower.message
    assert slower.evidence["baseline_model"]["ratio"] > 2.0


def test_monitor1_notifies_by_default_and_fails_major_under_policy(
    two_busy_processes: None, tmp_path: Path
) -> None:
    path = tmp_path / ".mltestscore" / "baseline.json"
    run_builtin("monitor.1", {}, context=CheckContext(tmp_path, path, update_baseline=True))
    document = json.loads(path.read_text())
    document["monitor.1"]["data"]["distributions"]["numpy"] = "0.9.0"  # numpy since went major
    path.write_text(json.dumps(document))
    context = CheckContext(tmp_path, path)
    notified = run_builtin("monitor.1", {}, context=context)
    assert notified.status is Status.WARN and "numpy upgraded 0.9.0" in notified.message
    failed = run_builtin("monitor.1", {}, context=context, thresholds={"fail_on": "major"})
    assert failed.status is Status.FAIL and "fail_on='major'" in failed.message
