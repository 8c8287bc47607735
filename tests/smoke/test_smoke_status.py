"""Smoke findings speak :class:`mltestscore.results.Status`, the one status vocabulary."""

from __future__ import annotations

import pytest

from mltestscore.checks.smoke import Finding, FindingStatus, SmokeReport
from mltestscore.results import Status


def test_finding_status_is_status_and_a_skip_is_not_a_pass() -> None:
    assert FindingStatus is Status
    report = SmokeReport((Finding("a", Status.PASS, "ok"), Finding("b", Status.SKIP, "n/a")))
    assert report.passed and report.skipped == [report["b"]]
    assert not report["b"].status.counts_as_pass and not report["b"].status.is_evidence
    # The JSON keeps the five counts it always had.
    assert report.to_dict()["counts"] == {"pass": 1, "warn": 0, "fail": 0, "error": 0, "skip": 1}


@pytest.mark.parametrize("status", [Status.NOT_AUTOMATED, Status.INCONCLUSIVE])
def test_a_finding_says_skip_not_the_rubric_words(status: Status) -> None:
    with pytest.raises(ValueError, match="is not one of"):
        Finding("a", status, "m")
