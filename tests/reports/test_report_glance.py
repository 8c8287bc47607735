"""Issue 11, the report misleads at a glance: colour by verdict and band (never by rank
alone), each reason said once, Markdown that reads clean as plain text, "could not judge"
shown apart from a pass everywhere, and an incomplete run said first."""

from __future__ import annotations

import html as html_module
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.report import build_report
from mltestscore.reports import badge, html, markdown, terminal
from mltestscore.reports.html_readiness import section_chart
from mltestscore.reports.palette import BAND_COLOURS
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.scoring import score
from mltestscore.text import one_line

SECTIONS = ("data", "model", "infra", "monitor")
RANK_RED = "#c0392b"  # the old "lowest section" colour


def _all_passing() -> dict[str, Any]:
    automated = {
        f"{s}.{n}": [AutomatedEvidence(f"builtin:{s}.{n}", Status.PASS, "ok")]
        for s in SECTIONS
        for n in range(1, 8)
    }
    return build_report(score(automated))


def _bar_fills(svg: str) -> list[str]:
    return re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', svg)


def test_four_sections_tied_at_7_are_green_and_not_marked_lowest() -> None:
    report = _all_passing()
    assert report["score"]["final"] == 7
    chart = section_chart(report)
    assert _bar_fills(chart) == [BAND_COLOURS[5]] * 4
    assert RANK_RED not in chart
    assert "lowest" not in chart
    assert "All four sections score 7, the most they can." in chart


def test_section_bars_are_coloured_by_band_not_by_rank(sample_report: dict[str, Any]) -> None:
    # data 2.5, model 2.5, infra 3.5, monitor 2: bands 3, 3, 4, 2
    chart = section_chart(sample_report)
    assert _bar_fills(chart) == [BAND_COLOURS[3], BAND_COLOURS[3], BAND_COLOURS[4], BAND_COLOURS[2]]
    assert RANK_RED not in chart
    marked = re.findall(r"<g><title>(\w+): [^<]*lowest = final score</title>", chart)
    assert marked == ["monitor"]  # the weakest is still named, in text


def _details(page: str, test_id: str) -> str:
    start = page.index(f'id="t-{test_id.replace(".", "-")}"')
    end = page.find('<details class="test', start)
    return page[start : end if end > 0 else page.index("</section>", start)]


def test_failed_test_reason_said_once(sample_report: dict[str, Any]) -> None:
    page = html.render(sample_report)
    block = _details(page, "data.2")
    body = block[block.index('<div class="test-body">') :]
    message = "has permutation importance -0.002 (noise band 0.004)"
    assert body.count(message) == 1  # the evidence block says it; no "Reason:" echo
    assert body.count("Remove the feature or show why it helps.") == 1  # next step once
    # the one-line preview in the summary is hidden once the block is open
    assert "details[open] > summary .summary-reason { display: none; }" in html.stylesheet()
    # a test whose reason is not an echo of its evidence keeps it
    passing = _details(page, "infra.1")
    assert "<strong>Reason:</strong>" in passing


def test_markdown_summary_reads_clean_as_plain_text(sample_report: dict[str, Any]) -> None:
    report = dict(sample_report)
    report["score"] = dict(report["score"], band=dict(report["score"]["band"], range="(3, 5]"))
    report["gate"] = {"passed": False, "reasons": ["platform x86_64 & python < 3.12 on snake_case"]}
    md = markdown.render(report)
    assert "band (3, 5]," in md
    assert "platform x86_64 & python < 3.12 on snake_case" in md
    assert "&lt;" not in md and "&amp;" not in md and "&gt;" not in md
    assert "\\]" not in md and "x86\\_64" not in md


def _unjudged_report() -> dict[str, Any]:
    automated = {
        "monitor.6": [
            AutomatedEvidence(
                "builtin:monitor.6",
                Status.INCONCLUSIVE,
                "baseline just recorded: nothing to compare with yet",
                next_step="Run again to compare with the baseline.",
            )
        ],
        "data.1": [AutomatedEvidence("builtin:data.1", Status.PASS, "validates")],
    }
    return build_report(score(automated))


def test_unjudged_is_shown_apart_from_a_pass_with_its_reason_everywhere() -> None:
    report = _unjudged_report()
    reason = "baseline just recorded: nothing to compare with yet"
    # terminal grid
    grid = terminal.render(report)
    row6 = next(line for line in grid if line.startswith("  6  "))
    assert row6.split()[-2:] == ["?judge", "0"]
    assert any("could not be judged (0 points): monitor.6" in line for line in grid)
    assert any(reason in line for line in terminal.render(report, verbose=True))
    # Markdown
    md = markdown.render(report)
    assert "**Could not judge (1), 0 points each**" in md
    assert "- `monitor.6` Computing performance has not regressed: could not judge \u2013 " in md
    assert reason in md
    # HTML: its own class, chip, style and the reason in the grid cell
    page = html.render(report)
    cell = re.search(r'<td class="cell st-unjudged"[^>]*>(.*?)</td>', page)
    assert cell is not None
    assert "? could not judge" in cell.group(1) and reason in cell.group(1)
    assert "\u2713" not in cell.group(1)  # never the pass tick
    css = html.stylesheet()
    assert ".chip.st-unjudged" in css and "td.st-unjudged" in css
    assert 'class="chip ev-inconclusive">could not judge' in page
    assert ".chip.ev-inconclusive" in css
    assert "open><summary><code>monitor.6</code>" in page  # its detail block is open


def test_incomplete_run_is_said_first_everywhere() -> None:
    report = build_report(
        score({}), complete=False, incomplete_reason="interrupted by KeyboardInterrupt"
    )
    assert terminal.render(report)[0].startswith("ML Test Score: INCOMPLETE RUN - interrupted")
    assert terminal.render(report, mode="short")[0].startswith("ML Test Score: INCOMPLETE RUN")
    lines = markdown.render(report).splitlines()
    assert lines[0].startswith("### ML Test Score (incomplete run): 0 of 7")
    assert lines[2].startswith("**Incomplete run:** interrupted by KeyboardInterrupt.")
    page = html.render(report)
    banner = page.index('<div class="incomplete" role="alert">')
    assert banner < page.index('<section class="top">')
    assert "<title>ML Test Score 0 (incomplete run)</title>" in page
    assert "0 research (incomplete)" in badge.render(report)
    complete = build_report(score({}))
    assert "incomplete" not in "\n".join(terminal.render(complete)).lower()
    assert "incomplete" not in markdown.render(complete).lower()
    assert 'class="incomplete"' not in html.render(complete)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab _*~`[]()<>&;#!\\|$:/.-x1", max_size=14))
def test_markdown_text_renders_back_to_itself(text: str) -> None:
    """Whatever punctuation a user string holds, Markdown shows exactly that text: no
    emphasis, code, link, tag or entity appears, and nothing is lost (checked with mistune,
    a CommonMark-style parser, when it is installed)."""
    mistune = pytest.importorskip("mistune")
    render = mistune.create_markdown(renderer="html", plugins=["strikethrough", "table"])
    page = render(f"Say: {markdown.md_text(text)} end")
    assert not re.search(r"<(?!/?p>)", page), page  # only the paragraph itself
    assert html_module.unescape(re.sub(r"</?p>", "", page)).strip() == (
        f"Say: {one_line(text)} end".strip()
    )
