"""monitor.1: the environment fingerprint against the recorded baseline.

The planted problem: the baseline says numpy was an older version (as if numpy
had been upgraded since the baseline was recorded), or a lockfile changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest
from packaging.version import Version

from mltestscore.context import CheckContext
from mltestscore.results import Status
from mltestscore.runner import run_builtin


def _context(root: Path, update: bool = False) -> CheckContext:
    return CheckContext(root=root, baseline_path=root / ".mltestscore" / "baseline.json",
                        update_baseline=update)  # fmt: skip


def _edit_baseline(ctx: CheckContext, **packages: str) -> None:
    document = json.loads(ctx.baseline_path.read_text())
    document["monitor.1"]["data"]["distributions"].update(packages)
    ctx.baseline_path.write_text(json.dumps(document, indent=2))


@pytest.fixture
def recorded(tmp_path: Path) -> CheckContext:
    (tmp_path / "uv.lock").write_text("numpy==x\n")
    result = run_builtin("monitor.1", {}, context=_context(tmp_path, update=True))
    assert result.status is Status.PASS and "recorded the environment" in result.message
    return _context(tmp_path)


def test_unchanged_environment_passes(recorded: CheckContext) -> None:
    result = run_builtin("monitor.1", {}, context=recorded)
    assert result.status is Status.PASS, result.message
    assert "environment matches the baseline" in result.message
    assert result.evidence["lockfiles"] == ["uv.lock"]


def test_upgraded_package_fails_with_the_change_listed(recorded: CheckContext) -> None:
    _edit_baseline(recorded, numpy="1.0.0", **{"left-behind": "0.1"})
    result = run_builtin("monitor.1", {}, context=recorded)
    assert result.status is Status.FAIL
    assert f"numpy upgraded 1.0.0 → {numpy.__version__} (major)" in result.message
    assert "left-behind 0.1 removed" in result.message
    assert result.evidence["counts"] == {"upgraded": 1, "removed": 1}
    assert "--ml-score-update-baseline" in result.next_step


def test_fail_on_and_ignore_thresholds(recorded: CheckContext) -> None:
    v = Version(numpy.__version__)
    _edit_baseline(recorded, numpy=f"{v.major}.{v.minor}.{v.micro}rc1")  # a patch-level change
    assert run_builtin("monitor.1", {}, context=recorded).status is Status.FAIL
    warned = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "minor"})
    assert warned.status is Status.WARN and "patch" in warned.message
    ignored = run_builtin("monitor.1", {}, context=recorded, thresholds={"ignore": ["num*"]})
    assert ignored.status is Status.PASS and "1 ignored" in ignored.message
    bad = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "huge"})
    assert bad.status is Status.ERROR and "fail_on" in bad.message


def test_changed_lockfile_fails(recorded: CheckContext) -> None:
    (recorded.root / "uv.lock").write_text("numpy==y\n")
    result = run_builtin("monitor.1", {}, context=recorded)
    assert result.status is Status.FAIL and "uv.lock changed" in result.message


def test_no_baseline_is_not_automated_and_corrupt_is_an_error(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    missing = run_builtin("monitor.1", {}, context=ctx)
    assert missing.status is Status.NOT_AUTOMATED
    assert "no baseline recorded" in missing.message and "--ml-score-update-baseline" in (
        missing.message
    )
    ctx.baseline_path.parent.mkdir()
    ctx.baseline_path.write_text("<<<<<<< HEAD\n")
    corrupt = run_builtin("monitor.1", {}, context=ctx)
    assert corrupt.status is Status.ERROR and str(ctx.baseline_path) in corrupt.message
