"""diff_reports: score delta, rose, fell."""

from __future__ import annotations

from typing import Any

from mltestscore.report import build_report
from mltestscore.reports.diff import diff_reports, signed
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.scoring import score


def test_rose_and_fell(sample_report: dict[str, Any], previous_report: dict[str, Any]) -> None:
    diff = diff_reports(sample_report, previous_report)
    assert (diff.final_before, diff.final_after, diff.final_delta) == (1.0, 2.0, 1.0)
    assert [c.id for c in diff.rose] == ["monitor.5", "model.1"]  # biggest gain first
    assert [(c.id, c.status_before, c.status_after) for c in diff.fell] == [
        ("data.2", "automated", "failed"),
        ("infra.3", "automated", "error"),
    ]
    assert diff.sections["data"] == (3.5, 2.5)
    assert diff.same_scale
    assert diff.to_dict()["final"] == [1.0, 2.0]


def test_status_change_without_points_and_scale_change() -> None:
    warn = {"data.1": [AutomatedEvidence("builtin:data.1", Status.FAIL, "bad")]}
    err = {"data.1": [AutomatedEvidence("builtin:data.1", Status.ERROR, "crash")]}
    diff = diff_reports(build_report(score(err)), build_report(score(warn)))
    assert [c.id for c in diff.status_changed] == ["data.1"] and not diff.rose and not diff.fell
    other = diff_reports(build_report(score({}, scale="2016")), build_report(score({})))
    assert not other.same_scale


def test_signed() -> None:
    assert (signed(0.5), signed(-1.0), signed(0.0)) == ("+0.5", "-1", "\u00b10")
