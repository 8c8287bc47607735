"""Markdown summary for CI job summaries and pull-request comments: short, and it adds no
links (a URL that a user wrote may still be linked by the viewer).

The text starts with a level-3 heading and assumes nothing about what comes before it, so it
can be appended to ``$GITHUB_STEP_SUMMARY`` (leave a blank line before it) or posted as a
comment. User text is made inert with the fewest escapes that stop Markdown from misreading
it (``band (3, 5]`` and ``x86_64`` stay as they are); it never contains HTML entities.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mltestscore.reports.diff import diff_reports, signed
from mltestscore.reports.priorities import fix_next, holding_back
from mltestscore.results import Status, TestStatus
from mltestscore.text import one_line

__all__ = ["md_code", "md_text", "render"]

_MAX_FAILING = 10
_MAX_LISTED = 5
_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BLOCK_START = re.compile(r"^(?:[#>+=-]|\d{1,9}[.)](?=\s|$))")


def _run_is_inert(text: str, start: int, end: int, char: str) -> bool:
    """Whether the delimiter run ``text[start:end]`` of ``*``, ``_`` or ``~`` can neither open
    nor close emphasis (CommonMark's flanking rules, simplified to stay on the safe side)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isspace() and after.isspace():
        return True
    return char == "_" and before.isalnum() and after.isalnum()  # x86_64, snake_case


def md_text(
    value: object, limit: int = 200, *, table: bool = False, line_start: bool = False
) -> str:
    """One line of user text made inert for Markdown: no markup, no links, no HTML.

    Control characters and bidi overrides are dropped, whitespace runs become one space and
    text over ``limit`` characters is cut with an ellipsis. Only what Markdown would misread
    gets a backslash: a ``<`` that could open a tag, ``&`` of an entity, emphasis runs that
    could pair, backticks, a ``[`` that a ``]`` follows, ``$`` pairs (math), a backslash before
    punctuation; ``|`` too when ``table`` is true, and a block marker (``#``, ``>``, ``-``,
    ``1.``) at the start when ``line_start`` is true.
    """
    text = one_line(value, limit)
    out: list[str] = []
    dollars = text.count("$") >= 2
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "*_~":
            end = i
            while end < n and text[end] == c:
                end += 1
            run = text[i:end]
            out.append(run if _run_is_inert(text, i, end, c) else "".join("\\" + r for r in run))
            i = end
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if (
            c == "`"
            or (c == "\\" and (nxt in _PUNCT or nxt == ""))
            or (c == "[" and "]" in text[i + 1 :])
            or (c == "<" and (nxt.isalpha() or nxt in "/!?"))
            or (c == "&" and _ENTITY.match(text, i))
            or (c == "$" and dollars)
            or (c == "|" and table)
        ):
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    line = "".join(out)
    if line_start and _BLOCK_START.match(line):
        line = "\\" + line
    return line


def md_code(value: object, limit: int = 80) -> str:
    """User text as an inline code span (fenced with more backticks than it contains)."""
    text = one_line(value, limit)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _incomplete(report: Mapping[str, Any]) -> str | None:
    if report.get("complete", True) is not False:
        return None
    reason = md_text(report.get("incomplete_reason") or "the run did not finish", 300)
    return f"**Incomplete run:** {reason}. The score counts only what ran; do not gate on it."


def _test_line(t: Mapping[str, Any], label: str, reason_limit: int = 200) -> str:
    return (
        f"- {md_code(t['id'], 20)} {md_text(t['title'], 80)}: {label}"
        f" \u2013 {md_text(t['reason'], reason_limit)}"
    )


def render(report: Mapping[str, Any], *, previous: Mapping[str, Any] | None = None) -> str:
    """The Markdown summary of a report document (and of the change since ``previous``).

    Starts with a ``###`` heading (which says "incomplete run" when the report has
    ``"complete": false``) and ends with one newline.
    """
    score = report["score"]
    band = score["band"]
    sections = score["sections"]
    incomplete = _incomplete(report)
    lines = [
        f"### ML Test Score{' (incomplete run)' if incomplete else ''}: "
        f"{score['final']:g} of {score['max_section']:g} "
        f"(band {md_text(band['range'], 40)}, {md_text(band['name'], 40)})",
        "",
    ]
    if incomplete:
        lines += [incomplete, ""]
    lines += [
        f"{md_text(band['text'], line_start=True)}. The final score is the minimum of the "
        "four sections.",
        "",
    ]
    if previous is not None:
        diff = diff_reports(report, previous)
        moved = [
            f"{md_text(s, 40)} {signed(a - b)}" for s, (b, a) in diff.sections.items() if a != b
        ]
        lines += [
            f"Change since the previous report: **{signed(diff.final_delta)}**"
            + (f" ({', '.join(moved)})" if moved else "")
            + f"; {len(diff.rose)} test(s) rose, {len(diff.fell)} fell.",
            "",
        ]
    gate = report.get("gate")
    if gate:
        verdict = "passed" if gate["passed"] else "**FAILED**"
        reasons = "; ".join(md_text(r) for r in gate.get("reasons", []))
        lines += [f"Deploy gate {verdict}" + (f": {reasons}" if reasons else ""), ""]
    names = list(sections)
    lines += [
        "| " + " | ".join(md_text(s, 40, table=True) or "\u2013" for s in names) + " |",
        "|" + "---:|" * len(names),
        "| " + " | ".join(f"{float(sections[s]['score']):g}" for s in names) + " |",
        "",
        md_text(holding_back(report), 300, line_start=True),
        "",
    ]
    tests = list(report["tests"])
    failing = [t for t in tests if t["status"] in (TestStatus.FAILED, TestStatus.ERROR)]
    if failing:
        lines.append(f"**Failing tests ({len(failing)})**")
        lines += [
            _test_line(t, "ERROR" if t["status"] == TestStatus.ERROR else "failed")
            for t in failing[:_MAX_FAILING]
        ]
        if len(failing) > _MAX_FAILING:
            lines.append(f"- \u2026 and {len(failing) - _MAX_FAILING} more")
        lines.append("")
    else:
        lines += ["No automated check failed.", ""]
    unjudged = [t for t in tests if t["status"] == TestStatus.UNJUDGED]
    if unjudged:
        lines.append(f"**Could not judge ({len(unjudged)}), 0 points each**")
        lines += [_test_line(t, "could not judge") for t in unjudged[:_MAX_LISTED]]
        if len(unjudged) > _MAX_LISTED:
            lines.append(f"- \u2026 and {len(unjudged) - _MAX_LISTED} more")
        lines.append("")
    warned = [
        (t, a)
        for t in tests
        for a in t.get("automated") or []
        if a.get("status") == Status.WARN
        and t["status"] not in (TestStatus.FAILED, TestStatus.ERROR)
    ]
    if warned:
        lines.append(f"**Warnings ({len(warned)})**")
        lines += [
            f"- {md_code(t['id'], 20)} {md_text(a.get('message', ''), 160)}"
            for t, a in warned[:_MAX_LISTED]
        ]
        if len(warned) > _MAX_LISTED:
            lines.append(f"- \u2026 and {len(warned) - _MAX_LISTED} more")
        lines.append("")
    broken = (TestStatus.FAILED, TestStatus.ERROR)
    gaps = [a for a in fix_next(report, limit=8) if a.status not in broken][:3]
    if gaps:
        lines.append("**Next in the weakest section**")
        lines += [
            f"- {md_code(a.test_id, 20)} {md_text(a.title, 80)} (up to +{a.gain:g})" for a in gaps
        ]
        lines.append("")
    ea = report.get("error_analysis") or {}
    largest = ea.get("largest")
    if largest:
        term: Mapping[str, Any] = next(
            (t for t in ea.get("decomposition", []) if t.get("term") == largest), {}
        )
        lines += [
            f"Error analysis: the largest term is {md_text(term.get('label', largest))} "
            f"({float(term.get('value', 0.0)):.3g} {md_text(ea.get('metric', 'error'))}): "
            f"{md_text(ea.get('next_step', ''), 240)}",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
