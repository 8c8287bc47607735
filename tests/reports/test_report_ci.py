"""Issue 14, output formats for CI: shields.io endpoint badge, GitHub annotations, GitLab
code quality, terminal modes and colours, the gate line, Markdown for a step summary."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

import mltestscore.reports as reports
from mltestscore.gate import decide
from mltestscore.report import build_report
from mltestscore.reports import ci, markdown, terminal
from mltestscore.reports.palette import BAND_COLOURS
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.scoring import score


def _report_with(points_per_section: int) -> dict[str, Any]:
    automated = {
        f"{s}.{n}": [AutomatedEvidence(f"builtin:{s}.{n}", Status.PASS, "ok")]
        for s in ("data", "model", "infra", "monitor")
        for n in range(1, points_per_section + 1)
    }
    return build_report(score(automated))


# -- shields.io endpoint badge -------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "message", "band"),
    [(0, "0 \u00b7 research", 0), (2, "2 \u00b7 first-pass", 2), (5, "5 \u00b7 strong", 4)],
)
def test_endpoint_json_badge_has_score_band_and_band_colour(
    points: int, message: str, band: int
) -> None:
    document = json.loads(reports.render_endpoint_json(_report_with(points)))
    assert document == {
        "schemaVersion": 1,
        "label": "ML Test Score",
        "message": message,
        "color": BAND_COLOURS[band].lstrip("#"),
    }


def test_endpoint_json_badge_says_incomplete() -> None:
    report = build_report(score({}), complete=False, incomplete_reason="interrupted")
    assert json.loads(reports.render_endpoint_json(report))["message"] == (
        "0 \u00b7 research (incomplete)"
    )


# -- GitHub Actions annotations ------------------------------------------------------------


def test_annotations_one_error_per_failing_test_and_warnings(
    sample_report: dict[str, Any],
) -> None:
    text = reports.render_annotations(sample_report)
    lines = text.splitlines()
    assert text.endswith("\n") and all(line.startswith("::") for line in lines)
    errors = [line for line in lines if line.startswith("::error ")]
    titles = [re.search(r"title=([^:,]*)::", line).group(1) for line in errors]  # type: ignore[union-attr]
    assert titles == [
        "ml-score gate",
        "ml-score data.2",
        "ml-score data.7",
        "ml-score model.6",
        "ml-score infra.3",
    ]
    assert (
        errors[0]
        == "::error title=ml-score gate::Deploy gate failed: final score 2 is below --fail-under 2.5"
    )
    assert errors[1].startswith(
        "::error title=ml-score data.2::All features are beneficial: failed: "
    )
    assert "%0ANext: Remove the feature or show why it helps." in errors[1]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert any("title=ml-score monitor.1::" in w and "torch changed" in w for w in warnings)
    assert any(
        w.startswith("::warning file=pyproject.toml,title=ml-score configuration::")
        for w in warnings
    )
    assert len(lines) == len(errors) + len(warnings)


def test_annotations_take_file_and_line_from_locations(sample_report: dict[str, Any]) -> None:
    text = reports.render_annotations(
        sample_report,
        locations={"data.7": ("tests/features, v2/test_a:b.py", 12), "model.6": ("m.py", None)},
    )
    assert "::error file=tests/features%2C v2/test_a%3Ab.py,line=12,title=ml-score data.7::" in text
    assert "::error file=m.py,title=ml-score model.6::" in text


def test_annotations_escape_per_github_rules_and_cannot_inject_commands() -> None:
    automated = {
        "data.2": [
            AutomatedEvidence(
                "builtin:data.2",
                Status.FAIL,
                "100% bad\r\n::error title=fake::all good\x1b]0;t\x07",
                next_step="a, b: c",
            )
        ],
        "infra.1": [AutomatedEvidence("builtin:infra.1", Status.INCONCLUSIVE, "too few rows")],
    }
    text = ci.render_annotations(build_report(score(automated)))
    lines = text.splitlines()
    assert not any(line.startswith("::error title=fake") for line in lines)
    line = next(x for x in lines if "title=ml-score data.2::" in x)
    assert "100%25 bad%0A::error title=fake::all good%0ANext: a, b: c" in line
    assert "\x1b" not in text and "\r" not in text
    unjudged = next(x for x in lines if "title=ml-score infra.1::" in x)
    assert unjudged.startswith("::warning ") and "could not judge (0 points): " in unjudged
    assert reports.render_annotations(_report_with(7)) == ""


def test_annotations_say_an_incomplete_run() -> None:
    report = build_report(score({}), complete=False, incomplete_reason="collection failed")
    assert (
        "::warning title=ml-score incomplete run::Incomplete run: collection failed. "
        "The score counts only what ran." in reports.render_annotations(report)
    )


# -- GitLab code quality -------------------------------------------------------------------


def test_codequality_issues_have_gitlab_fields(sample_report: dict[str, Any]) -> None:
    issues = json.loads(
        reports.render_codequality(sample_report, locations={"data.7": ("f.py", 3)})
    )
    assert isinstance(issues, list) and issues
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert issue["check_name"].startswith("ml-score/")
        assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
    by_check = {i["check_name"]: i for i in issues}
    assert by_check["ml-score/data.2"]["severity"] == "major"
    assert by_check["ml-score/infra.3"]["severity"] == "critical"
    assert by_check["ml-score/gate"]["severity"] == "blocker"
    assert by_check["ml-score/monitor.1"]["severity"] == "minor"
    assert by_check["ml-score/data.7"]["location"] == {"path": "f.py", "lines": {"begin": 3}}
    assert by_check["ml-score/data.2"]["location"] == {
        "path": "pyproject.toml",
        "lines": {"begin": 1},
    }
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_codequality_fingerprint_is_stable_when_the_numbers_change(
    sample_report: dict[str, Any],
) -> None:
    other = copy.deepcopy(sample_report)
    for t in other["tests"]:
        if t["id"] == "data.7":
            t["reason"] = t["reason"].replace("61%", "64%")
    before = {
        i["check_name"]: i["fingerprint"] for i in json.loads(ci.render_codequality(sample_report))
    }
    after = {i["check_name"]: i["fingerprint"] for i in json.loads(ci.render_codequality(other))}
    assert before == after
    assert json.loads(ci.render_codequality(_report_with(7))) == []


# -- terminal modes, colour, gate line -----------------------------------------------------


def test_terminal_modes(sample_report: dict[str, Any]) -> None:
    grid = reports.render_terminal(sample_report)
    assert grid == terminal.render(sample_report)
    assert any(line.startswith("  7  FAIL") for line in grid)
    short = reports.render_terminal(sample_report, mode="short")
    assert short[0] == (
        "ML Test Score 2 of 7 (band (1, 2], first-pass): "
        "data 2.5 \u00b7 model 2.5 \u00b7 infra 3.5 \u00b7 monitor 2 (minimum counts)"
    )
    assert not any("  1  " in line for line in short)
    assert reports.render_terminal(sample_report, mode="none") == []
    with pytest.raises(ValueError, match="'table'"):
        terminal.render(sample_report, mode="table")


def test_terminal_colour_only_when_asked(sample_report: dict[str, Any]) -> None:
    plain = terminal.render(sample_report)
    assert not any("\x1b" in line for line in plain)
    coloured = terminal.render(sample_report, colour=True)
    assert any("\x1b[1;31mFAIL   \x1b[0m" in line for line in coloured)
    assert any("\x1b[32mauto   \x1b[0m" in line for line in coloured)
    strip = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in coloured]
    assert strip == plain  # colours change no text and no alignment


def test_gate_line_from_decision_or_report() -> None:
    failed = decide(1.0, {"data": 1.0}, fail_under=2.0)
    assert reports.render_gate_line(failed) == (
        "ML Test Score gate FAILED: final score 1 is below --fail-under 2"
    )
    assert reports.render_gate_line(failed.to_dict()) == reports.render_gate_line(failed)
    assert reports.render_gate_line(decide(3.0, {})) == "ML Test Score gate passed"
    assert reports.render_gate_line(failed, colour=True).startswith("\x1b[1;31m")


# -- Markdown for a step summary -----------------------------------------------------------


def test_markdown_appends_to_a_github_step_summary(sample_report: dict[str, Any]) -> None:
    md = reports.render_markdown(sample_report)
    assert md == markdown.render(sample_report)
    assert md.startswith("### ML Test Score: ")
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert not re.search(r"^#{1,2} ", md, re.M)  # no document title
    assert "---\n" not in md.split("|")[0]  # no front matter
    summary = "## Earlier step\n\nsome text\n\n" + md
    assert summary.count("### ML Test Score") == 1
