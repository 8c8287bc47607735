"""Long steps show progress through ``logging`` (``pytest --log-cli-level=INFO`` streams it)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from mltestscore.context import CheckContext
from mltestscore.runner import run_builtin


def test_each_check_run_logs_its_start_and_outcome(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    context = CheckContext(root=tmp_path, baseline_path=tmp_path / "b.json", update_baseline=True)
    with caplog.at_level(logging.INFO, logger="mltestscore.runner"):
        run_builtin("monitor.1", {}, context=context)
    messages = [r.getMessage() for r in caplog.records if r.name == "mltestscore.runner"]
    assert messages[0] == "monitor.1: running builtin:monitor.1"
    assert messages[1].startswith("monitor.1: inconclusive in ")


def test_live_logging_streams_check_progress(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = pytester.runpytest_subprocess("--ml-score", "--log-cli-level=INFO", "-p", "no:xdist")
    result.stdout.fnmatch_lines(["*monitor.1: running builtin:monitor.1*"])
