"""data.7: the declared feature modules are covered by tests (line and branch coverage).

The numbers come from :class:`mltestscore.feature_coverage.FeatureCoverage`: the
plugin's run-long measurement when there is one, else a measurement of the team's
``feature_tests`` callable taken here (:func:`measure`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mltestscore.checks.data.messages import MAX_TABLE, short_list
from mltestscore.context import CheckContext
from mltestscore.feature_coverage import FeatureCoverage
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("data.7")
def feature_code_tested(
    feature_tests: Callable[[], Any] | None = None,
    feature_modules: Any = None,
    context: CheckContext | None = None,
    *,
    min_line: float = 0.8,
    min_branch: float = 0.7,
) -> CheckResult:
    """The declared feature modules are covered by tests (line and branch coverage).

    Coverage comes from the run (``context.feature_coverage``, started by the plugin
    when ``[tool.mltestscore] feature_modules`` is set). Without it, the check
    measures ``feature_tests()`` (a callable exercising the modules) itself, on
    ``feature_modules`` (input, or the setting). Thresholds ``min_line`` and
    ``min_branch`` are fractions in [0, 1]; every measured file must reach both.
    """
    for name, value in (("min_line", min_line), ("min_branch", min_branch)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(
                f"{name} is a fraction in [0, 1], got {value}"
                + (f" (did you mean {value / 100:g}?)" if value > 1 else "")
            )
    context = context or CheckContext.default()
    coverage = context.feature_coverage
    if coverage is None:
        modules = feature_modules or context.options.get("feature_modules")
        if not modules or feature_tests is None:
            raise NotAutomated(
                "feature code coverage was not measured: set feature_modules in "
                "[tool.mltestscore] (the plugin measures them during the run), or define "
                "ml_feature_tests (and ml_feature_modules)"
            )
        modules = [modules] if isinstance(modules, str) else list(modules)
        coverage = measure(modules, context.root, feature_tests)
    report = coverage.report()

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


def measure(
    modules: Sequence[str], root: Path, feature_tests: Callable[[], Any]
) -> FeatureCoverage:
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
