"""Terminal summary: the 4×7 grid, section scores, final score and band.

Compact by default; ``verbose`` (pytest ``-v``) adds the reason and next step of every
failing test, the gaps of the weakest section and the error analysis' largest term.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mltestscore.rubric import SECTIONS

_LABELS = {
    "automated": "auto",
    "failed": "FAIL",
    "error": "ERROR",
    "manual": "manual",
    "unjudged": "?judge",
    "not_done": "-",
}
_CELL = 14
_LINE = 220


def _cell(test: Mapping[str, Any]) -> str:
    label = _LABELS.get(str(test["status"]), str(test["status"]))
    return f"{label:<7}{float(test['points']):>4g}".ljust(_CELL)


def _one_line(text: object, limit: int = _LINE) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


def render(report: Mapping[str, Any], *, verbose: bool = False) -> list[str]:
    """Lines of the terminal summary for a report document."""
    score = report["score"]
    by_id = {t["id"]: t for t in report["tests"]}
    lines = [f"ML Test Score ({score['scale']} scale; auto = automated and passing)"]
    lines.append("     " + "".join(s.ljust(_CELL) for s in SECTIONS))
    for number in range(1, 8):
        row = "".join(_cell(by_id[f"{s}.{number}"]) for s in SECTIONS)
        lines.append(f"  {number}  {row}".rstrip())
    sums = "".join(
        f"{'= ' + format(score['sections'][s]['score'], 'g'):>11}".ljust(_CELL) for s in SECTIONS
    )
    lines.append(f"     {sums}".rstrip())
    band = score["band"]
    lines.append(
        f"Final ML Test Score: {score['final']:g} of {score['max_section']:g} "
        f"(minimum of the four sections) - band {band['range']}: {band['text']}"
    )
    problems = report.get("config_problems") or []
    if problems:
        lines.append(f"{len(problems)} configuration problem(s):")
        lines.extend(f"  {p['file']}: {p['key']}: {p['message']}" for p in problems)
    bad = [t for t in report["tests"] if t["status"] in ("failed", "error")]
    if bad and not verbose:
        ids = ", ".join(t["id"] for t in bad)
        lines.append(f"{len(bad)} test(s) failed: {ids} (-v shows why)")
    if verbose:
        lines.extend(_verbose(report, bad))
    return lines


def _verbose(report: Mapping[str, Any], bad: list[Mapping[str, Any]]) -> list[str]:
    from mltestscore.reports.priorities import fix_next, holding_back

    lines: list[str] = []
    for t in bad:
        lines.append(f"  {t['id']} {t['status']}: {_one_line(t['reason'])}")
        if t.get("next_step"):
            lines.append(f"      next: {_one_line(t['next_step'])}")
    gaps = [a for a in fix_next(report, limit=10) if a.status not in ("failed", "error")][:4]
    if gaps:
        lines.append(_one_line(holding_back(report)))
        lines.extend(
            f"  {a.test_id} {a.status} (up to +{a.gain:g}): {_one_line(a.what, 160)}" for a in gaps
        )
    ea = report.get("error_analysis") or {}
    if ea.get("largest"):
        term = next(t for t in ea["decomposition"] if t["term"] == ea["largest"])
        lines.append(
            f"Error analysis: largest term {term['label']} = {term['value']:.3g} "
            f"({ea.get('metric', 'error')}): {_one_line(ea.get('next_step', ''), 160)}"
        )
    return lines
