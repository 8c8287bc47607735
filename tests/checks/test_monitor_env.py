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
    # Recording is not judging: the record-only run earns no point.
    assert result.status is Status.INCONCLUSIVE and "recorded the environment" in result.message
    assert "nothing compared" in result.message
    return _context(tmp_path)


def test_unchanged_environment_passes(recorded: CheckContext) -> None:
    result = run_builtin("monitor.1", {}, context=recorded)
    assert result.status is Status.PASS, result.message
    assert "environment matches the baseline" in result.message
    assert result.evidence["lockfiles"] == ["uv.lock"]


def test_upgraded_package_is_a_notification_that_passes(recorded: CheckContext) -> None:
    _edit_baseline(recorded, numpy="1.0.0", **{"left-behind": "0.1"})
    result = run_builtin("monitor.1", {}, context=recorded)
    assert result.status is Status.WARN, result.message
    assert result.message.startswith("dependency notification: 2 environment change(s)")
    assert f"numpy upgraded 1.0.0 → {numpy.__version__} (major)" in result.message
    assert "left-behind 0.1 removed" in result.message
    assert result.evidence["counts"] == {"upgraded": 1, "removed": 1}
    assert result.evidence["notification"] is True and result.evidence["failing"] == 0
    assert "--ml-score-update-baseline" in result.next_step


def test_major_change_fails_under_fail_on_major_naming_the_policy(
    recorded: CheckContext,
) -> None:
    _edit_baseline(recorded, numpy="1.0.0")
    failed = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "major"})
    assert failed.status is Status.FAIL
    assert "fail under the policy fail_on='major'" in failed.message
    assert f"numpy upgraded 1.0.0 → {numpy.__version__} (major)" in failed.message


def test_fail_on_and_ignore_thresholds(recorded: CheckContext) -> None:
    v = Version(numpy.__version__)
    _edit_baseline(recorded, numpy=f"{v.major}.{v.minor}.{v.micro}rc1")  # a patch-level change
    assert run_builtin("monitor.1", {}, context=recorded).status is Status.WARN
    for policy in ("any", "patch"):
        failed = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": policy})
        assert failed.status is Status.FAIL, policy
    for policy in ("minor", "major"):
        warned = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": policy})
        assert warned.status is Status.WARN and "patch" in warned.message, policy
    ignored = run_builtin("monitor.1", {}, context=recorded, thresholds={"ignore": ["num*"]})
    assert ignored.status is Status.PASS and "1 ignored" in ignored.message
    bad = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "huge"})
    assert bad.status is Status.ERROR and "fail_on" in bad.message


def test_fail_on_unlocked_fails_a_version_the_lockfile_does_not_pin(
    recorded: CheckContext,
) -> None:
    _edit_baseline(recorded, numpy="1.0.0")
    (recorded.root / "requirements.txt").write_text(f"numpy=={numpy.__version__}\n")
    pinned = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "unlocked"})
    assert pinned.status is Status.WARN, pinned.message  # moved to the pinned version
    (recorded.root / "requirements.txt").write_text("numpy==1.0.0\n")
    unpinned = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "unlocked"})
    assert unpinned.status is Status.FAIL and "fail_on='unlocked'" in unpinned.message
    assert "numpy upgraded" in unpinned.message


def test_changed_lockfile_notifies_and_fails_under_fail_on_minor(recorded: CheckContext) -> None:
    (recorded.root / "uv.lock").write_text("numpy==y\n")
    result = run_builtin("monitor.1", {}, context=recorded)
    assert result.status is Status.WARN and "uv.lock changed" in result.message
    failed = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "minor"})
    assert failed.status is Status.FAIL and "uv.lock changed" in failed.message


def test_accelerator_change_is_listed(recorded: CheckContext) -> None:
    pytest.importorskip("torch")  # read from the torch the run imported
    update = _context(recorded.root, update=True)
    run_builtin("monitor.1", {}, context=update)
    document = json.loads(recorded.baseline_path.read_text())
    current = document["monitor.1"]["data"]["accelerator"]
    assert "torch_cuda" in current and "devices" in current
    document["monitor.1"]["data"]["accelerator"] = {
        **current,
        "torch_cuda": "11.8",
        "devices": "NVIDIA A100-SXM4-40GB",
    }
    recorded.baseline_path.write_text(json.dumps(document))
    result = run_builtin("monitor.1", {}, context=recorded, thresholds={"fail_on": "major"})
    assert result.status is Status.FAIL, result.message
    assert "devices changed NVIDIA A100-SXM4-40GB →" in result.message
    assert {c["name"] for c in result.evidence["changes"]} == {"torch_cuda", "devices"}
    notified = run_builtin("monitor.1", {}, context=recorded)
    assert notified.status is Status.WARN and "torch_cuda changed 11.8 →" in notified.message


def test_no_baseline_or_a_corrupt_one_is_not_automated_with_the_command(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    missing = run_builtin("monitor.1", {}, context=ctx)
    assert missing.status is Status.NOT_AUTOMATED
    assert "no baseline recorded" in missing.message and "--ml-score-update-baseline" in (
        missing.message
    )
    ctx.baseline_path.parent.mkdir()
    ctx.baseline_path.write_text("<<<<<<< HEAD\n")
    corrupt = run_builtin("monitor.1", {}, context=ctx)
    assert corrupt.status is Status.NOT_AUTOMATED and str(ctx.baseline_path) in corrupt.message
    assert "pytest --ml-score --ml-score-update-baseline" in corrupt.message
