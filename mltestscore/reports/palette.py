"""Colours and labels shared by the renderers: status and band are never colour alone."""

from __future__ import annotations

from mltestscore.results import Status, TestStatus

# Band index (0-5, Table V of the 2017 paper) -> badge colour (shields.io's scale).
BAND_COLOURS: tuple[str, ...] = ("#e05d44", "#fe7d37", "#dfb317", "#a4a61d", "#97ca00", "#44cc11")

# Test status -> (label shown as text, symbol, background, border).
STATUS_STYLE: dict[str, tuple[str, str, str, str]] = {
    TestStatus.AUTOMATED: ("automated", "\u2713", "#dcf5dc", "#2e7d32"),
    TestStatus.MANUAL: ("manual", "\u00bd", "#dde9fb", "#1d4ed8"),
    TestStatus.FAILED: ("FAILED", "\u2717", "#fde0de", "#c62828"),
    TestStatus.ERROR: ("ERROR", "!", "#f3e0f7", "#7b1fa2"),
    TestStatus.UNJUDGED: ("could not judge", "?", "#fff4d6", "#b26a00"),
    TestStatus.NOT_DONE: ("not done", "\u2013", "#f1f1f1", "#8a8a8a"),
}

# Automated-evidence status -> label.
EVIDENCE_LABELS: dict[str, str] = {
    Status.PASS: "pass",
    Status.WARN: "warning",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.NOT_AUTOMATED: "not automated",
    Status.INCONCLUSIVE: "could not judge",
}


def status_label(status: str) -> str:
    return STATUS_STYLE.get(status, (status, "?", "", ""))[0]


def band_colour(index: int) -> str:
    return BAND_COLOURS[max(0, min(int(index), len(BAND_COLOURS) - 1))]
