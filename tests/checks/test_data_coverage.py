"""data.7: the declared feature modules are covered by tests."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mltestscore.context import CheckContext
from mltestscore.feature_coverage import FeatureCoverage
from mltestscore.results import Status
from mltestscore.runner import run_builtin

SCALING = """
    import math


    def log_income(income):
        if income <= 0:
            return 0.0
        return math.log(income)


    def age_bucket(age):
        if age < 18:
            return "minor"
        if age < 65:
            return "adult"
        return "senior"
"""
GEO = """
    def distance_km(a, b):
        if a == b:
            return 0.0
        return abs(a - b) * 111.0
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A project root holding a package ``feats_<id>`` with ``scaling`` and ``geo`` modules."""
    name = f"feats_{uuid.uuid4().hex[:8]}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "scaling.py").write_text(textwrap.dedent(SCALING), encoding="utf-8")
    (package / "geo.py").write_text(textwrap.dedent(GEO), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path, name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def _context(root: Path, coverage: Any = None, **options: Any) -> CheckContext:
    return CheckContext(root, root / "baseline.json", options=options, feature_coverage=coverage)


def _scaling_tests(name: str) -> None:
    scaling = importlib.import_module(f"{name}.scaling")
    assert scaling.log_income(0) == 0.0 and scaling.log_income(1) == 0.0
    assert [scaling.age_bucket(a) for a in (5, 30, 80)] == ["minor", "adult", "senior"]


def _geo_tests(name: str) -> None:
    geo = importlib.import_module(f"{name}.geo")
    assert geo.distance_km(1, 1) == 0.0 and geo.distance_km(0, 1) == 111.0


def test_passes_when_every_feature_module_is_tested(project) -> None:
    root, name = project
    outcome = run_builtin(
        "data.7",
        {"feature_tests": lambda: (_scaling_tests(name), _geo_tests(name))},
        context=_context(root, feature_modules=[name]),
    )
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence["totals"]["line_pct"] == 100.0
    assert {f["module"] for f in outcome.evidence["files"]} >= {f"{name}.geo", f"{name}.scaling"}


def test_fails_naming_the_untested_feature_module(project) -> None:
    root, name = project
    outcome = run_builtin(
        "data.7",
        {"feature_tests": lambda: _scaling_tests(name)},
        context=_context(root, feature_modules=[name]),
    )
    assert outcome.status is Status.FAIL
    assert f"{name}.geo (line 0%, branch 0%)" in outcome.message
    assert f"{name}.scaling" not in outcome.message
    assert outcome.next_step


def test_branch_threshold_catches_a_half_tested_module(project) -> None:
    root, name = project

    def partial() -> None:
        scaling = importlib.import_module(f"{name}.scaling")
        scaling.log_income(10)
        scaling.age_bucket(30)

    outcome = run_builtin(
        "data.7",
        {"feature_tests": partial, "feature_modules": [f"{name}.scaling"]},
        context=_context(root),
        thresholds={"min_line": 0.5, "min_branch": 0.9},
    )
    assert outcome.status is Status.FAIL and f"{name}.scaling (line" in outcome.message
    row = outcome.evidence["files"][0]
    assert row["line_pct"] >= 50 and row["branch_pct"] < 90 and row["partial"] > 0


def test_reads_the_coverage_the_plugin_measured(project) -> None:
    root, name = project
    coverage = FeatureCoverage([name], root)
    coverage.start()  # what the plugin does early in the run
    _scaling_tests(name)
    coverage.stop()
    outcome = run_builtin("data.7", {}, context=_context(root, coverage))
    assert outcome.status is Status.FAIL and f"{name}.geo" in outcome.message
    with_thresholds = run_builtin(
        "data.7",
        {},
        context=_context(root, coverage),
        thresholds={"min_line": 0.0, "min_branch": 0.0},
    )
    assert with_thresholds.status is Status.PASS


def test_declared_module_never_imported_fails(project) -> None:
    root, name = project
    outcome = run_builtin(
        "data.7",
        {"feature_tests": lambda: _scaling_tests(name)},
        context=_context(root, feature_modules=[f"{name}.scaling", "legacy_features"]),
    )
    assert outcome.status is Status.FAIL and "legacy_features (never imported)" in outcome.message


def test_not_automated_without_modules_or_measurement(tmp_path: Path) -> None:
    outcome = run_builtin("data.7", {}, context=_context(tmp_path))
    assert outcome.status is Status.NOT_AUTOMATED and "feature_modules" in outcome.message


def test_percent_thresholds_are_rejected_with_a_hint(tmp_path: Path) -> None:
    outcome = run_builtin("data.7", {}, context=_context(tmp_path), thresholds={"min_line": 80})
    assert outcome.status is Status.ERROR and "did you mean 0.8" in outcome.message
