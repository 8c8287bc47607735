"""Every report the renderers get validates against the packaged JSON Schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from mltestscore.report import ReportError, build_report, json_schema, validate
from mltestscore.scoring import score


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_built_reports_validate(
    sample_report: dict[str, Any], previous_report: dict[str, Any]
) -> None:
    for report in (sample_report, previous_report, build_report(score({}))):
        validate(json.loads(json.dumps(report, allow_nan=False)))


def test_error_analysis_part_is_checked(sample_report: dict[str, Any]) -> None:
    report = json.loads(json.dumps(sample_report))
    report["error_analysis"]["largest"] = "luck"
    with pytest.raises(ReportError, match="error_analysis/largest"):
        validate(report)
    report = json.loads(json.dumps(sample_report))
    report["error_analysis"]["worst_examples"][0]["image"] = "javascript:alert(1)"
    with pytest.raises(ReportError, match="error_analysis/worst_examples/0/image"):
        validate(report)
