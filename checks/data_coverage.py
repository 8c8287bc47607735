"""Coverage of the declared feature modules, judged for data.7.

The numbers come from :class:`mltestscore.feature_coverage.FeatureCoverage`:
the plugin's run-long measurement when there is one, else a measurement of the
team's ``feature_tests`` callable taken here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mltestscore.checks.data_text import MAX_TABLE, short_list
from mltestscore.feature_coverage import FeatureCoverage
from mltestscore.results import CheckResult, NotAutomated


def measure(modules: Sequence[str], root: Path, feature_tests: Callable[[], Any]) -> Any:
    """Run ``feature_tests()`` under coverage of ``modules`` (re-importing them first)."""
    if not callable(feature_tests):
        raise TypeError("feature_tests: expected a callable that exercises the feature modules")
    coverage = FeatureCoverage(list(modules), root)
    coverage.start(reload_imported=True)
    try:
        feature_tests()
    finally:
        coverage.stop()
    return coverage


def judge(report: Mapping[str, Any], *, min_line: float, min_branch: float) -> CheckResult:
    """FAIL listing files below either threshold and declared modules never imported."""
    below = [
        f
        for f in report["files"]
        if f["line_pct"] < 100 * min_line or f["branch_pct"] < 100 * min_branch
    ]
    evidence = {
        "min_line": min_line,
        "min_branch": min_branch,
        "totals": report["totals"],
        "files": report["files"][:MAX_TABLE],
        "unmeasured": report["unmeasured"],
    }
    if below or report["unmeasured"]:
        parts = [
            f"{f['module']} (line {f['line_pct']:.0f}%, branch {f['branch_pct']:.0f}%)"
            for f in below
        ] + [f"{m} (never imported)" for m in report["unmeasured"]]
        return CheckResult.failed(
            f"{len(parts)} feature module(s) below line {min_line:.0%} / branch "
            f"{min_branch:.0%}: {short_list(parts)}",
            evidence,
            "Write unit tests for the uncovered feature code (see the missing counts).",
        )
    totals = report["totals"]
    if math.isclose(totals["statements"], 0):
        raise NotAutomated("the declared feature modules have no statements to cover")
    return CheckResult.passed(
        f"{len(report['files'])} feature file(s) covered: line {totals['line_pct']:.0f}%, "
        f"branch {totals['branch_pct']:.0f}%",
        evidence,
    )
