"""Markdown summary for CI job summaries and pull-request comments: short and link-free."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mltestscore.reports.diff import diff_reports, signed
from mltestscore.reports.priorities import fix_next, holding_back

_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")
_MAX_FAILING = 10


def md_text(value: object, limit: int = 200) -> str:
    """One line of user text made inert: no markup, no links, no HTML."""
    line = " ".join(str(value).split())
    if len(line) > limit:
        line = line[: limit - 1] + "\u2026"
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", line)


def render(report: Mapping[str, Any], *, previous: Mapping[str, Any] | None = None) -> str:
    score = report["score"]
    band = score["band"]
    sections = score["sections"]
    lines = [
        f"### ML Test Score: {score['final']:g} of {score['max_section']:g} "
        f"(band {md_text(band['range'])}, {md_text(band['name'])})",
        "",
        f"{md_text(band['text'])}. The final score is the minimum of the four sections.",
        "",
    ]
    if previous is not None:
        diff = diff_reports(report, previous)
        moved = [f"{s} {signed(a - b)}" for s, (b, a) in diff.sections.items() if a != b]
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
        "| " + " | ".join(names) + " |",
        "|" + "---:|" * len(names),
        "| " + " | ".join(f"{float(sections[s]['score']):g}" for s in names) + " |",
        "",
        md_text(holding_back(report), 300),
        "",
    ]
    failing = [t for t in report["tests"] if t["status"] in ("failed", "error")]
    if failing:
        lines.append(f"**Failing tests ({len(failing)})**")
        lines += [
            f"- `{t['id']}` {md_text(t['title'], 80)}: {'ERROR' if t['status'] == 'error' else 'failed'}"
            f" \u2013 {md_text(t['reason'])}"
            for t in failing[:_MAX_FAILING]
        ]
        if len(failing) > _MAX_FAILING:
            lines.append(f"- \u2026 and {len(failing) - _MAX_FAILING} more")
        lines.append("")
    else:
        lines += ["No automated check failed.", ""]
    gaps = [a for a in fix_next(report, limit=8) if a.status not in ("failed", "error")][:3]
    if gaps:
        lines.append("**Next in the weakest section**")
        lines += [f"- `{a.test_id}` {md_text(a.title, 80)} (up to +{a.gain:g})" for a in gaps]
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
