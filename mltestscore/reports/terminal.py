"""Terminal summary: the 4×7 grid, section scores, final score and band.

Compact by default; ``verbose`` (pytest ``-v``) adds the reason and next step of every
failing or unjudged test, the gaps of the weakest section and the error analysis' largest
term. Every string that comes from the report goes through :func:`mltestscore.text.one_line`,
so escape sequences and bidi controls in a check message or a config key never reach the
terminal; the only escapes in the output are the colours this module adds when asked to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from mltestscore.results import Status, TestStatus
from mltestscore.rubric import SECTIONS
from mltestscore.text import one_line

__all__ = ["MODES", "Mode", "render", "render_gate_line"]

Mode = Literal["grid", "short", "none"]
MODES: tuple[str, ...] = ("grid", "short", "none")

_LABELS: dict[str, str] = {
    TestStatus.AUTOMATED: "auto",
    TestStatus.FAILED: "FAIL",
    TestStatus.ERROR: "ERROR",
    TestStatus.MANUAL: "manual",
    TestStatus.UNJUDGED: "?judge",
    TestStatus.NOT_DONE: "-",
}
# SGR codes (pytest's TerminalWriter uses the same): status -> colour.
_SGR: dict[str, str] = {
    TestStatus.AUTOMATED: "32",  # green
    TestStatus.FAILED: "1;31",  # bold red
    TestStatus.ERROR: "1;35",  # bold magenta
    TestStatus.MANUAL: "34",  # blue
    TestStatus.UNJUDGED: "33",  # yellow
    TestStatus.NOT_DONE: "",
}
# Band index -> colour of the final score line: red, red, yellow, yellow, green, green.
_BAND_SGR = ("1;31", "31", "33", "33", "32", "1;32")
_CELL = 14
_LINE = 220


def _paint(text: str, sgr: str, colour: bool) -> str:
    return f"\x1b[{sgr}m{text}\x1b[0m" if colour and sgr else text


def _cell(test: Mapping[str, Any], colour: bool) -> str:
    status = str(test["status"])
    label = _LABELS.get(status, one_line(status, 7))
    points = f"{float(test['points']):>4g}"
    plain = f"{label:<7}{points}".ljust(_CELL)
    if not colour:
        return plain
    return _paint(f"{label:<7}", _SGR.get(status, ""), True) + plain[7:]


def _one_line(text: object, limit: int = _LINE) -> str:
    return one_line(text, limit)


def _score_line(score: Mapping[str, Any], colour: bool) -> str:
    band = score["band"]
    line = (
        f"Final ML Test Score: {float(score['final']):g} of {float(score['max_section']):g} "
        f"(minimum of the four sections) - band {_one_line(band['range'], 40)}: "
        f"{_one_line(band['text'], 160)}"
    )
    index = max(0, min(int(band.get("index", 0)), len(_BAND_SGR) - 1))
    return _paint(line, _BAND_SGR[index], colour)


def incomplete_line(report: Mapping[str, Any], *, colour: bool = False) -> str | None:
    """The warning line for a report with ``"complete": false``; ``None`` for a complete one."""
    if report.get("complete", True) is not False:
        return None
    reason = _one_line(report.get("incomplete_reason") or "the run did not finish", 200)
    return _paint(
        f"ML Test Score: INCOMPLETE RUN - {reason}; the score counts only what ran",
        "1;33",
        colour,
    )


def render(
    report: Mapping[str, Any],
    *,
    verbose: bool = False,
    mode: Mode | str = "grid",
    colour: bool = False,
) -> list[str]:
    """Lines of the terminal summary for a report document (no trailing newlines).

    ``mode``: ``"grid"`` (the 4×7 grid, section sums and final score), ``"short"`` (the final
    score with the four section scores on one line) or ``"none"`` (no lines at all).
    ``verbose`` adds why each failing or unjudged test did not earn its point. ``colour``
    (pytest's ``TerminalWriter.hasmarkup``) adds ANSI colours to statuses and the score line;
    without it the lines are plain text. An incomplete run (``"complete": false``) is said on
    the first line.
    """
    if mode not in MODES:
        raise ValueError(f"terminal summary mode {mode!r}: expected one of {', '.join(MODES)}")
    if mode == "none":
        return []
    score = report["score"]
    lines: list[str] = []
    warning = incomplete_line(report, colour=colour)
    if warning:
        lines.append(warning)
    if mode == "grid":
        by_id = {t["id"]: t for t in report["tests"]}
        lines.append(
            f"ML Test Score ({_one_line(score['scale'], 10)} scale; auto = automated and passing)"
        )
        lines.append("     " + "".join(s.ljust(_CELL) for s in SECTIONS))
        for number in range(1, 8):
            row = "".join(
                _cell(by_id[f"{s}.{number}"], colour)
                if f"{s}.{number}" in by_id
                else "".ljust(_CELL)
                for s in SECTIONS
            )
            lines.append(f"  {number}  {row}".rstrip())
        sums = "".join(
            f"{'= ' + format(float(score['sections'].get(s, {}).get('score', 0.0)), 'g'):>11}".ljust(
                _CELL
            )
            for s in SECTIONS
        )
        lines.append(f"     {sums}".rstrip())
        lines.append(_score_line(score, colour))
    else:
        sections = " \u00b7 ".join(
            f"{_one_line(s, 20)} {float(v['score']):g}" for s, v in score["sections"].items()
        )
        band = score["band"]
        index = max(0, min(int(band.get("index", 0)), len(_BAND_SGR) - 1))
        head = (
            f"ML Test Score {float(score['final']):g} of {float(score['max_section']):g} "
            f"(band {_one_line(band['range'], 40)}, {_one_line(band['name'], 40)})"
        )
        lines.append(f"{_paint(head, _BAND_SGR[index], colour)}: {sections} (minimum counts)")
    problems = report.get("config_problems") or []
    if problems:
        lines.append(f"{len(problems)} configuration problem(s):")
        lines.extend(
            f"  {_one_line(p['file'])}: {_one_line(p['key'])}: {_one_line(p['message'])}"
            for p in problems
        )
    lines.extend(_warnings(report, colour))
    bad = [t for t in report["tests"] if t["status"] in (TestStatus.FAILED, TestStatus.ERROR)]
    unjudged = [t for t in report["tests"] if t["status"] == TestStatus.UNJUDGED]
    if not verbose:
        if bad:
            ids = ", ".join(_one_line(t["id"], 20) for t in bad)
            lines.append(_paint(f"{len(bad)} test(s) failed: {ids} (-v shows why)", "31", colour))
        if unjudged:
            ids = ", ".join(_one_line(t["id"], 20) for t in unjudged)
            lines.append(
                _paint(
                    f"{len(unjudged)} test(s) could not be judged (0 points): {ids} (-v shows why)",
                    "33",
                    colour,
                )
            )
    else:
        lines.extend(_verbose(report, bad, unjudged))
    return lines


def _warnings(report: Mapping[str, Any], colour: bool) -> list[str]:
    """Passing evidence with a warning (monitor.1's dependency notification, …): one line
    each, always shown — a notification nobody sees notifies nobody."""
    found = [
        (str(t["id"]), str(a.get("message", "")))
        for t in report["tests"]
        if t["status"] == TestStatus.AUTOMATED
        for a in t.get("automated") or []
        if a.get("status") == Status.WARN
    ]
    if not found:
        return []
    lines = [_paint(f"{len(found)} warning(s) in passing tests:", "33", colour)]
    lines.extend(f"  {_one_line(i, 20)}: {_one_line(m, 400)}" for i, m in found)
    return lines


def _verbose(
    report: Mapping[str, Any], bad: list[Mapping[str, Any]], unjudged: list[Mapping[str, Any]]
) -> list[str]:
    from mltestscore.reports.priorities import fix_next, holding_back

    lines: list[str] = []
    for t in [*bad, *unjudged]:
        status = (
            "could not judge" if t["status"] == TestStatus.UNJUDGED else _one_line(t["status"], 20)
        )
        lines.append(f"  {_one_line(t['id'], 20)} {status}: {_one_line(t['reason'])}")
        if t.get("next_step"):
            lines.append(f"      next: {_one_line(t['next_step'])}")
    gaps = [
        a
        for a in fix_next(report, limit=10)
        if a.status not in (TestStatus.FAILED, TestStatus.ERROR, TestStatus.UNJUDGED)
    ][:4]
    if gaps:
        lines.append(_one_line(holding_back(report)))
        lines.extend(
            f"  {_one_line(a.test_id, 20)} {_one_line(a.status, 20)} (up to +{a.gain:g}): "
            f"{_one_line(a.what, 160)}"
            for a in gaps
        )
    ea = report.get("error_analysis") or {}
    if ea.get("largest"):
        term = next(
            (t for t in ea.get("decomposition", []) if t.get("term") == ea["largest"]), None
        )
        if term is not None:
            lines.append(
                f"Error analysis: largest term {_one_line(term['label'], 60)} = "
                f"{float(term['value']):.3g} ({_one_line(ea.get('metric', 'error'), 60)}): "
                f"{_one_line(ea.get('next_step', ''), 160)}"
            )
    return lines


def render_gate_line(decision: Any, *, colour: bool = False) -> str:
    """One line with the deploy gate's verdict.

    ``decision`` is a :class:`mltestscore.gate.GateDecision` or the report's ``"gate"``
    mapping (``{"passed": bool, "reasons": [...]}``). Passed: ``ML Test Score gate passed``;
    failed: ``ML Test Score gate FAILED: reason; reason`` (red and bold with ``colour``).
    """
    if isinstance(decision, Mapping):
        passed = bool(decision.get("passed"))
        reasons = [str(r) for r in decision.get("reasons") or ()]
    else:
        passed = bool(decision.passed)
        reasons = [str(r) for r in decision.reasons]
    if passed:
        return _paint("ML Test Score gate passed", "32", colour)
    text = "ML Test Score gate FAILED"
    if reasons:
        text += ": " + "; ".join(_one_line(r, 200) for r in reasons)
    return _paint(text, "1;31", colour)
