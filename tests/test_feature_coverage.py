"""FeatureCoverage: coverage.py restricted to the team's declared feature modules."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from mltestscore.feature_coverage import FeatureCoverage

TESTED = """
    def ratio(a, b):
        if b == 0:
            return 0.0
        return a / b


    def clip(x, low, high):
        return min(max(x, low), high)
"""
UNTESTED = """
    def bucket(x):
        if x < 0:
            return "negative"
        if x < 10:
            return "small"
        return "large"
"""


@pytest.fixture
def feature_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh package ``feat_<id>`` with modules ``tested`` and ``untested`` under tmp_path."""
    name = f"feat_{uuid.uuid4().hex[:8]}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "tested.py").write_text(textwrap.dedent(TESTED), encoding="utf-8")
    (package / "untested.py").write_text(textwrap.dedent(UNTESTED), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def _exercise(module: ModuleType) -> None:
    assert module.ratio(1, 2) == 0.5
    assert module.ratio(1, 0) == 0.0
    assert module.clip(5, 0, 1) == 1


def test_report_per_file_with_lines_and_branches(feature_package: str, tmp_path: Path) -> None:
    coverage = FeatureCoverage([feature_package], tmp_path)
    coverage.start()
    tested = importlib.import_module(f"{feature_package}.tested")
    _exercise(tested)
    coverage.stop()
    report = coverage.report()
    files = {f["module"]: f for f in report["files"]}
    assert set(files) == {
        feature_package,
        f"{feature_package}.tested",
        f"{feature_package}.untested",
    }
    tested_row = files[f"{feature_package}.tested"]
    assert tested_row["missing"] == 0 and tested_row["line_pct"] == 100.0
    assert tested_row["branches"] == 2 and tested_row["branch_pct"] == 100.0
    untested_row = files[f"{feature_package}.untested"]
    assert untested_row["line_pct"] == 0.0 and untested_row["statements"] == 6
    assert untested_row["branches"] == 4 and untested_row["branch_pct"] == 0.0
    assert report["totals"]["statements"] == tested_row["statements"] + 6
    assert report["unmeasured"] == []


def test_modules_imported_before_start_are_reloaded_on_request(
    feature_package: str, tmp_path: Path
) -> None:
    tested = importlib.import_module(f"{feature_package}.tested")  # before measurement
    plain = FeatureCoverage([f"{feature_package}.tested"], tmp_path)
    with plain:
        _exercise(tested)
    assert plain.report()["files"][0]["missing"] == 2  # both def lines ran before start()
    reloaded = FeatureCoverage([f"{feature_package}.tested"], tmp_path)
    reloaded.start(reload_imported=True)
    _exercise(tested)
    reloaded.stop()
    assert reloaded.report()["files"][0]["missing"] == 0


def test_paths_relative_to_root_are_accepted(feature_package: str, tmp_path: Path) -> None:
    coverage = FeatureCoverage([f"{feature_package}/untested.py"], tmp_path)
    with coverage:
        importlib.import_module(f"{feature_package}.untested").bucket(-1)
    report = coverage.report()
    assert [f["module"] for f in report["files"]] == [f"{feature_package}.untested"]
    assert report["files"][0]["missing"] == 3  # the two other returns and one if


def test_declared_modules_never_imported_are_listed(tmp_path: Path) -> None:
    coverage = FeatureCoverage(["no_such_features_pkg"], tmp_path)
    with coverage:
        pass
    report = coverage.report()
    assert report["files"] == [] and report["unmeasured"] == ["no_such_features_pkg"]


def test_bad_module_lists_and_early_report() -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        FeatureCoverage([], ".")
    with pytest.raises(ValueError, match="non-empty list"):
        FeatureCoverage("pkg.features", ".")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="start"):
        FeatureCoverage(["pkg"], ".").report()
