"""Markdown summary, SVG badge and terminal summary."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from mltestscore.report import build_report
from mltestscore.reports import badge, markdown, terminal
from mltestscore.reports.palette import BAND_COLOURS
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.scoring import score

SVG = "{http://www.w3.org/2000/svg}"


def test_markdown_is_short_and_names_failures(
    sample_report: dict[str, Any], previous_report: dict[str, Any]
) -> None:
    md = markdown.render(sample_report, previous=previous_report)
    lines = md.splitlines()
    assert lines[0] == "### ML Test Score: 2 of 7 (band (1, 2], first-pass)"
    assert len(lines) < 40
    assert "| data | model | infra | monitor |" in md and "| 2.5 | 2.5 | 3.5 | 2 |" in md
    failing = [line for line in lines if line.startswith("- `") and ": failed \u2013" in line]
    assert [f.split("`")[1] for f in failing] == ["data.2", "data.7", "model.6"]
    assert any(line.startswith("- `infra.3`") and "ERROR" in line for line in lines)
    assert all("\n" not in f for f in failing)  # one line each
    assert "Change since the previous report: **+1**" in md
    assert "Deploy gate **FAILED**" in md
    assert "largest term is Distribution shift" in md


def test_markdown_is_link_free_and_inert(sample_report: dict[str, Any]) -> None:
    md = markdown.render(sample_report)
    assert "](" not in md and "http" not in md and "&lt;" not in md
    # A tag cannot open: every "<" is escaped, without HTML entities (reads clean as text).
    assert "\\<script>window.\\_\\_pwned=1\\</script>" in md
    assert not re.search(r"(?<!\\)<[A-Za-z/!?]", md)
    assert markdown.md_text("[click](https://x) `code` | *b*") == (
        "\\[click](https://x) \\`code\\` | \\*b\\*"
    )


def test_markdown_without_failures() -> None:
    md = markdown.render(build_report(score({})))
    assert "No automated check failed." in md
    assert "ML Test Score: 0 of 7" in md


def _report_with(points_per_section: int) -> dict[str, Any]:
    automated = {
        f"{s}.{n}": [AutomatedEvidence(f"builtin:{s}.{n}", Status.PASS, "ok")]
        for s in ("data", "model", "infra", "monitor")
        for n in range(1, points_per_section + 1)
    }
    return build_report(score(automated))


@pytest.mark.parametrize(
    ("points", "text", "band"),
    [
        (0, "0 research", 0),
        (2, "2 first-pass", 2),
        (4, "4 strong", 4),
        (7, "7 exceptional", 5),
    ],
)
def test_badge_shows_score_and_band_in_band_colour(points: int, text: str, band: int) -> None:
    svg = badge.render(_report_with(points))
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "ML Test Score" in texts and text in texts
    assert root.get("aria-label") == f"ML Test Score: {text}"
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert BAND_COLOURS[band] in fills
    assert int(root.get("width", "0")) == sum(
        int(r.get("width", "0")) for r in list(root.iter(f"{SVG}rect"))[1:3]
    )


def test_terminal_grid_is_compact_and_verbose_explains_failures(
    sample_report: dict[str, Any],
) -> None:
    short = terminal.render(sample_report)
    warnings = short.index("1 warning(s) in passing tests:")  # shown without -v
    assert short[warnings + 1].startswith("  monitor.")
    assert len(short) - 2 <= 14
    assert short[-1].startswith("4 test(s) failed: data.2, data.7, model.6, infra.3")
    assert not any("next:" in line for line in short)
    long = terminal.render(sample_report, verbose=True)
    assert long[: len(short) - 1] == short[:-1]  # the same grid first
    extra = "\n".join(long[len(short) - 1 :])
    assert "data.2 failed: 1 of 1 automated evidence did not pass" in extra
    assert "next: Remove the feature or show why it helps." in extra
    assert "infra.3 error:" in extra and "next: Fix the crash" in extra
    assert "monitor (2) holds the final score down" in extra
    assert "Error analysis: largest term Distribution shift" in extra
    assert all(len(line) <= 260 for line in long)
