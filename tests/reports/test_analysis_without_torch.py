"""The loss-curve diagnosis reaches the report when torch cannot be imported (issue 12)."""

from __future__ import annotations

import sys

import pytest

from mltestscore.error_analysis import ErrorAnalysis, LossCurve, as_report_section
from mltestscore.reports.html_analysis import loss_curves


def test_the_diagnosis_survives_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # any `import torch` now raises ImportError
    with pytest.raises(ImportError):
        import torch  # noqa: F401

    losses = [2.3 + 0.01 * step for step in range(80)]  # a rising curve
    curve = LossCurve.from_losses(losses)
    assert curve.diagnosis is not None
    assert curve.diagnosis["kind"] == "rising"
    assert curve.diagnosis["message"]

    section = as_report_section(ErrorAnalysis(errors={"train": 0.3}, loss_curve=curve))
    diagnosis = section["loss_curve"]["diagnosis"]
    assert diagnosis["kind"] == "rising"
    html = loss_curves({}, section)
    assert diagnosis["message"].split()[0] in html
    assert "No diagnosis recorded." not in html
