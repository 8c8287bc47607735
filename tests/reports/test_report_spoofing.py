"""Issue 11, terminal and text spoofing: escape sequences and bidi controls in user strings
never reach the terminal, the Markdown or the HTML; a crafted report's section name cannot
write Markdown markup."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from mltestscore.manual import ConfigProblem
from mltestscore.report import build_report
from mltestscore.reports import badge, ci, html, markdown, terminal
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.scoring import score
from mltestscore.text import BIDI_CONTROLS, clean, one_line

OSC_TITLE = "\x1b]0;pwned window title\x07"
CLEAR = "\x1b[2J\x1b[H"
FAKE_PASS = "\r\x1b[32mPASSED\x1b[0m"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "deliaf" reads "failed"
HOSTILE = f"key{OSC_TITLE}{CLEAR}{FAKE_PASS}{RLO}deliaf\u2066x\u2069\x9b31m\x07\x00"
SGR = re.compile(r"\x1b\[[0-9;]*m")


def _hostile_report() -> dict[str, Any]:
    automated = {
        "data.2": [
            AutomatedEvidence("builtin:data.2", Status.FAIL, f"feature {HOSTILE} is useless")
        ],
        "monitor.1": [AutomatedEvidence("builtin:monitor.1", Status.WARN, f"changed {HOSTILE}")],
        "infra.1": [
            AutomatedEvidence("builtin:infra.1", Status.INCONCLUSIVE, f"too few rows {HOSTILE}")
        ],
    }
    return build_report(
        score(automated),
        problems=[ConfigProblem("pyproject.toml", f"tool.mltestscore.{HOSTILE}", HOSTILE)],
        complete=False,
        incomplete_reason=f"interrupted {HOSTILE}",
        project=f"demo{RLO}",
    )


def _no_controls(text: str, *, allow: str = "\n") -> None:
    bad = [c for c in text if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) and c not in allow]
    assert not bad, [hex(ord(c)) for c in bad]
    assert not BIDI_CONTROLS & set(text)


def test_clean_strips_whole_escape_sequences_controls_and_bidi_overrides() -> None:
    assert clean(f"a{OSC_TITLE}b") == "ab"  # no "]0;pwned window title" left over
    assert clean(f"x{CLEAR}y") == "xy"
    assert clean("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\") == "alink"  # OSC 8 hyperlink
    assert clean(f"{RLO}deliaf\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069") == "deliaf"
    assert clean("tab\tand\nnewline") == "tab\tand\nnewline"
    assert clean("crlf\r\nand\rcr") == "crlf\nand\ncr"  # a CR cannot overwrite the line
    assert clean("t\tn\n", keep="") == "tn"
    assert clean("\x9b31mred\x85\x7f") == "red"  # 8-bit CSI, NEL, DEL
    assert clean("fail\x1b]0;unterminated message") == "fail0;unterminated message"  # not hidden
    assert clean("caf\u00e9 \u00b7 \u2013 ok") == "caf\u00e9 \u00b7 \u2013 ok"  # text stays
    assert one_line("a\n\n  b\x1b[2Jcd", 4) == "a b\u2026"


@pytest.mark.parametrize("verbose", [False, True])
@pytest.mark.parametrize("mode", ["grid", "short"])
def test_terminal_escape_sequences_in_config_key_and_message_never_reach_the_terminal(
    verbose: bool, mode: str
) -> None:
    lines = terminal.render(_hostile_report(), verbose=verbose, mode=mode)
    text = "\n".join(lines)
    _no_controls(text)
    assert "pwned window title" not in text  # the OSC payload is gone, not just the ESC
    assert "key" in text and "PASSED" in text  # the printable text stays readable
    coloured = "\n".join(terminal.render(_hostile_report(), verbose=verbose, colour=True))
    _no_controls(SGR.sub("", coloured))  # the only escapes are the colours we add


def test_terminal_fake_passed_cannot_overwrite_the_line() -> None:
    text = "\n".join(terminal.render(_hostile_report(), verbose=True))
    assert "\r" not in text
    line = next(x for x in text.splitlines() if "data.2 failed" in x)
    assert line.index("data.2 failed") < line.index("PASSED")


def test_bidi_override_does_not_pass_into_html_markdown_terminal_or_badge() -> None:
    report = _hostile_report()
    outputs = {
        "html": html.render(report),
        "markdown": markdown.render(report),
        "terminal": "\n".join(terminal.render(report, verbose=True)),
        "badge": badge.render(report),
        "annotations": ci.render_annotations(report),
        "codequality": ci.render_codequality(report),
    }
    for name, text in outputs.items():
        assert RLO not in text, name
        assert "\x1b" not in text and "\x07" not in text, name
        assert "deliaf" in text or name == "badge", name


def test_html_drops_control_characters_and_bidi_in_every_user_string() -> None:
    page = html.render(_hostile_report())
    _no_controls(page, allow="\n\t")
    assert "pwned window title" not in page


def test_markdown_crafted_section_name_cannot_write_markup() -> None:
    report = copy.deepcopy(build_report(score({})))
    sections = report["score"]["sections"]
    crafted = "e|v\n# <img src=x>[x](y) " + RLO
    sections[crafted] = {"score": 9.0, "title": "t"}
    md = markdown.render(report)
    header = next(line for line in md.splitlines() if line.startswith("| data"))
    assert header.count(" | ") == 4  # five columns: the crafted "|" is escaped
    assert "| e\\|v # \\<img src=x>\\[x](y) |" in header
    assert "\n# " not in md and not re.search(r"(?<!\\)<img", md)
    assert RLO not in md
    lines = md.splitlines()
    assert lines[lines.index(header) + 1].count("---:") == 5


def test_markdown_crafted_band_and_gate_text_start_no_block() -> None:
    report = copy.deepcopy(build_report(score({})))
    report["score"]["band"]["text"] = "# Deploy approved\n> quoted"
    report["gate"] = {"passed": True, "reasons": ["</details><script>x</script>"]}
    md = markdown.render(report)
    assert "\n# Deploy" not in md and "\\# Deploy approved > quoted" in md
    assert not re.search(r"(?<!\\)</?(script|details)", md)


def test_svg_chart_labels_drop_controls() -> None:
    from mltestscore.reports.svg import Bar, bar_chart

    svg = bar_chart([Bar(f"a{HOSTILE}", 1.0, note=RLO)], title=f"t{OSC_TITLE}")
    _no_controls(svg)
    assert "pwned" not in svg
