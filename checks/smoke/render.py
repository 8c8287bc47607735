"""Plain-text rendering of a smoke report (a pure function, no I/O)."""

from __future__ import annotations

from mltestscore.results import Status

from .results import SmokeReport

_MARK = {
    Status.PASS: "PASS ",
    Status.WARN: "WARN ",
    Status.FAIL: "FAIL ",
    Status.ERROR: "ERROR",
    Status.SKIP: "skip ",
}


def render_text(report: SmokeReport) -> str:
    """One line per finding, then a summary line."""
    width = max((len(f.name) for f in report.findings), default=0)
    lines = [f"{_MARK[f.status]} {f.name:<{width}}  {f.message}" for f in report.findings]
    verdict = "passed" if report.passed else f"FAILED ({len(report.failed)} failing)"
    extra = f", {len(report.errors)} errors" if report.errors else ""
    lines.append(f"smoke suite {verdict}{extra} in {report.seconds:.2f} s")
    return "\n".join(lines)
