"""The deepchecks adapter without deepchecks: one clear message, and the pure mapping.

Runs in every environment (the import failure is simulated).
"""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from mltestscore.checks.data import deepchecks_adapter as adapter
from mltestscore.results import Status


@pytest.fixture
def broken_deepchecks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import deepchecks…`` fail the way a numpy-2 environment does."""
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "deepchecks" or name.startswith("deepchecks."):
            raise ImportError("numpy.core.multiarray failed to import")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_import_failure_is_one_message_naming_the_pins(broken_deepchecks: None) -> None:
    with pytest.raises(adapter.DeepchecksUnavailable) as info:
        adapter.import_deepchecks()
    message = str(info.value)
    for pin in ("deepchecks==0.19.1", "numpy==1.26.4", "pandas==2.2.3", "scipy==1.13.1",
                "scikit-learn==1.7.2", "category_encoders==2.11.2", "setuptools<81"):  # fmt: skip
        assert pin in message
    assert "numpy.core.multiarray failed to import" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained traceback


def test_run_deepchecks_fails_before_touching_data(broken_deepchecks: None) -> None:
    with pytest.raises(adapter.DeepchecksUnavailable, match="nox -s deepchecks"):
        adapter.run_deepchecks(object(), target="y")


def test_findings_map_to_rubric_ids_worst_condition_first() -> None:
    findings = [
        adapter.Finding("FeatureDrift", "Feature Drift", "monitor.3", "fail", "drift < 0.2",
                        "Found 1 numeric column above threshold"),
        adapter.Finding("MultivariateDrift", "Multivariate Drift", "monitor.3", "pass", "AUC"),
        adapter.Finding("DataDuplicates", "Data Duplicates - Train", "data.1", "warn", "≤ 5%", "7%"),
        adapter.Finding("MixedNulls", "Mixed Nulls - Train", "data.1", "pass", "≤ 1 null type"),
        adapter.Finding("DateTrainTestLeakageOverlap", "Date Leakage", None, "not_run"),
        adapter.Finding("OutlierSampleDetection", "Outliers", "data.1", "no_condition"),
        adapter.Finding("WeakSegmentsPerformance", "Weak Segments", "model.6", "not_run",
                        details="unable to train an error model"),
    ]  # fmt: skip
    evidence = adapter.to_evidence(findings)
    assert set(evidence) == {"monitor.3", "data.1"}  # model.6 never ran: no evidence either way
    assert evidence["monitor.3"].status is Status.FAIL
    assert "Feature Drift" in evidence["monitor.3"].message
    assert evidence["monitor.3"].evidence["conditions"][0]["category"] == "fail"
    assert evidence["data.1"].status is Status.WARN
    assert evidence["data.1"].evidence["counts"] == {"pass": 1, "warn": 1, "fail": 0}
    assert all(e.source == "deepchecks" for e in evidence.values())


def test_every_mapped_check_names_a_rubric_id() -> None:
    from mltestscore.rubric import get

    for check, rubric_id in adapter.RUBRIC_MAP.items():
        assert get(rubric_id).id == rubric_id, check
    assert adapter.RUBRIC_MAP["FeatureDrift"] == "monitor.3"
    assert adapter.RUBRIC_MAP["SimpleModelComparison"] == "model.5"
