"""The readiness part of the HTML report: score, sections, what to fix, the grid, each test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mltestscore.reports.diff import ReportDiff, signed
from mltestscore.reports.html_evidence import chip, esc, evidence_chip, render_value, text_block
from mltestscore.reports.palette import band_colour
from mltestscore.reports.priorities import fix_next, holding_back, weakest_sections
from mltestscore.reports.svg import Bar, Marker, bar_chart
from mltestscore.results import Status, TestStatus
from mltestscore.scoring import band_for
from mltestscore.text import one_line

SECTION_ORDER = ("data", "model", "infra", "monitor")


def anchor(test_id: str) -> str:
    return "t-" + "".join(c if c.isalnum() else "-" for c in test_id)


def incomplete_banner(report: Mapping[str, Any]) -> str:
    """A banner for a report with ``"complete": false`` (an interrupted run); else ``""``."""
    if report.get("complete", True) is not False:
        return ""
    reason = str(report.get("incomplete_reason") or "the run did not finish")
    return (
        '<div class="incomplete" role="alert"><strong>Incomplete run:</strong> '
        f"{esc(reason)}. The score counts only what ran: checks that did not run earned no "
        "points, so do not gate a deploy on this report.</div>"
    )


def summary(report: Mapping[str, Any], diff: ReportDiff | None) -> str:
    score = report["score"]
    band = score["band"]
    colour = band_colour(int(band["index"]))
    gate = report.get("gate")
    gate_html = ""
    if gate:
        verdict = "passed" if gate["passed"] else "FAILED"
        reasons = "; ".join(one_line(r) for r in gate.get("reasons", []))
        gate_html = (
            f'<p class="gate gate-{"ok" if gate["passed"] else "bad"}">Deploy gate '
            f"{verdict}{': ' + esc(reasons) if reasons else ''}</p>"
        )
    delta = ""
    if diff is not None:
        delta = (
            f'<p class="delta">{esc(signed(diff.final_delta))} since the previous report '
            f"({esc(diff.previous_created)})</p>"
        )
    return (
        f'<div class="score-card" style="border-color:{colour}">'
        f'<div class="score-line"><span class="score">{score["final"]:g}</span>'
        f'<span class="of">of {score["max_section"]:g}</span></div>'
        f'<p class="score-label">ML Test Score (minimum of the four sections, '
        f"{esc(score['scale'])} scale)</p>"
        f'<p class="band" style="background:{colour}">band {esc(band["range"])}: '
        f"{esc(band['name'])}</p>"
        f'<p class="band-text">{esc(band["text"])}</p>{gate_html}{delta}</div>'
    )


def section_colour(value: float, scale: str) -> str:
    """A section's bar colour: the band its score would earn as a final score (Table V)."""
    return band_colour(band_for(value, "2016" if scale == "2016" else "2017").index)


def section_chart(report: Mapping[str, Any]) -> str:
    """Section bars coloured by band, never by rank; the section(s) holding the final score
    are named in text, unless all four tie (then each one is the final score)."""
    score = report["score"]
    unit = float(score["max_section"]) / 7
    weakest = set(weakest_sections(report))
    tie = len(weakest) == len(score["sections"])
    scale = str(score.get("scale", "2017"))
    bars = [
        Bar(
            s,
            float(v["score"]),
            section_colour(float(v["score"]), scale),
            "\u2190 lowest = final score" if s in weakest and not tie else "",
        )
        for s, v in score["sections"].items()
    ]
    markers = [Marker(b * unit, f"{b * unit:g}") for b in (1, 2, 3, 5)]
    chart = bar_chart(
        bars,
        title="Section scores",
        low=0,
        high=float(score["max_section"]),
        markers=markers,
        label_width=70,
        value_width=190,
        row=36,
        width=720,
    )
    return (
        f'<div class="sections"><h2>Section scores</h2>{chart}'
        f"<p>{esc(holding_back(report))}</p>"
        '<p class="muted">Dashed lines: band limits; each bar has the colour of its band. '
        "Each section sums its seven tests.</p></div>"
    )


def what_next(report: Mapping[str, Any]) -> str:
    actions = fix_next(report)
    if not actions:
        return (
            '<section id="next"><h2>What to fix next</h2><p>Nothing failing and no gaps '
            "in the weakest section.</p></section>"
        )
    items = "".join(
        f'<li><a href="#{anchor(a.test_id)}">{esc(a.test_id)}</a> {chip(a.status)} '
        f'<strong>{esc(a.title)}</strong> <span class="gain">up to +{a.gain:g}</span>'
        f'<div class="next-step">{text_block(a.what)}</div></li>'
        for a in actions
    )
    return f'<section id="next"><h2>What to fix next</h2><ol class="actions">{items}</ol></section>'


def grid(report: Mapping[str, Any]) -> str:
    by_id = {t["id"]: t for t in report["tests"]}
    sections = report["score"]["sections"]
    head = "".join(
        f'<th scope="col">{esc(s)}<br><span class="muted">{float(sections[s]["score"]):g} of '
        f"{report['score']['max_section']:g}</span></th>"
        for s in SECTION_ORDER
    )
    rows = []
    for n in range(1, 8):
        cells = []
        for s in SECTION_ORDER:
            t = by_id.get(f"{s}.{n}")
            if t is None:
                cells.append("<td></td>")
                continue
            warned = any(a.get("status") == Status.WARN for a in t.get("automated") or [])
            flag = ' <span class="chip ev-warn">\u26a0 warning</span>' if warned else ""
            why = ""
            if t["status"] == TestStatus.UNJUDGED:  # "could not judge" is never a pass
                why = f'<div class="cell-reason">{esc(_brief(str(t["reason"]), 90))}</div>'
            cells.append(
                f'<td class="cell st-{esc(t["status"])}" title="{esc(_brief(str(t["reason"]), 300))}">'
                f'<a href="#{anchor(t["id"])}">'
                f"{esc(t['id'])}</a> {chip(str(t['status']), points=float(t['points']))}{flag}"
                f'<div class="cell-title">{esc(t["title"])}</div>{why}</td>'
            )
        rows.append(f'<tr><th scope="row">{n}</th>{"".join(cells)}</tr>')
    legend = " ".join(
        chip(s)
        for s in (
            TestStatus.AUTOMATED,
            TestStatus.MANUAL,
            TestStatus.FAILED,
            TestStatus.ERROR,
            TestStatus.UNJUDGED,
            TestStatus.NOT_DONE,
        )
    )
    return (
        f'<section id="grid"><h2>The 28 tests</h2><table class="grid"><colgroup>'
        f'<col class="num-col">{"<col>" * len(SECTION_ORDER)}</colgroup><thead><tr><th></th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p class="legend">{legend}</p></section>'
    )


def _automated(entry: Mapping[str, Any], test_next_step: str = "") -> str:
    duration = entry.get("duration_s")
    timing = f" \u00b7 {float(duration):.3g} s" if isinstance(duration, (int, float)) else ""
    parts = [
        f'<div class="ev"><div class="ev-head">{evidence_chip(str(entry["status"]))} '
        f'<code>{esc(entry["source"])}</code><span class="muted">{timing}</span></div>'
    ]
    if entry.get("message"):
        parts.append(f'<div class="ev-msg">{text_block(str(entry["message"]))}</div>')
    step = str(entry.get("next_step") or "")
    repeated = " ".join(step.split()).rstrip(".") in " ".join(test_next_step.split())
    if step and entry["status"] != Status.PASS and not repeated:  # the test's next step says it
        parts.append(f'<div class="next-step">Next: {text_block(step)}</div>')
    evidence = entry.get("evidence") or {}
    if evidence:
        is_open = " open" if entry["status"] in (Status.FAIL, Status.ERROR, Status.WARN) else ""
        parts.append(
            f'<details class="ev-data"{is_open}><summary>evidence ({len(evidence)} '
            f"item{'s' if len(evidence) != 1 else ''})</summary>"
            f"{render_value(evidence)}</details>"
        )
    parts.append("</div>")
    return "".join(parts)


def _manual(manual: Mapping[str, Any] | None, reason: str) -> str:
    if not manual:
        return f'<p class="muted">Manual evidence: {esc(reason or "none recorded")}</p>'
    current = manual.get("current")
    state = ("valid" if current else "NOT valid") if current is not None else "recorded"
    rows = [
        ("document", manual.get("document")),
        ("reviewer", manual.get("reviewer")),
        ("reviewed", manual.get("reviewed")),
        ("expires", manual.get("expires")),
        ("status", f"{state}: {manual.get('reason', '')}"),
        ("notes", manual.get("notes")),
    ]
    body = "".join(
        f'<tr><th scope="row">{esc(k)}</th><td>{text_block(str(v))}</td></tr>' for k, v in rows if v
    )
    return (
        f'<div class="manual {"ok" if current else "bad"}"><h4>Manual evidence ({state})'
        f'</h4><table class="kv">{body}</table></div>'
    )


def _brief(reason: str, limit: int = 110) -> str:
    return one_line(reason, limit)


def reason_told_by_evidence(test: Mapping[str, Any]) -> bool:
    """Whether a test's reason only gathers the messages of its evidence that did not pass
    (the scorer's "1 of 1 automated evidence did not pass: <source>: <message>"), so that
    the evidence blocks already say it and the reason need not be repeated."""
    reason = " ".join(str(test.get("reason", "")).split())
    messages = [
        " ".join(str(a.get("message", "")).split())
        for a in test.get("automated") or []
        if a.get("status") not in (Status.PASS, Status.NOT_AUTOMATED)
    ]
    return bool(messages) and all(m and m in reason for m in messages)


def test_details(report: Mapping[str, Any]) -> str:
    out = ['<section id="tests"><h2>Every test: evidence, reason, next step</h2>']
    for section in SECTION_ORDER:
        tests = [t for t in report["tests"] if t["section"] == section]
        title = report["score"]["sections"].get(section, {}).get("title", "")
        out.append(f"<h3>{esc(section)}: {esc(title)}</h3>")
        for t in tests:
            bad = t["status"] in (TestStatus.FAILED, TestStatus.ERROR, TestStatus.UNJUDGED)
            automated = t.get("automated") or []
            ran = [a for a in automated if a.get("status") != Status.NOT_AUTOMATED]
            evidence = [_automated(a, str(t.get("next_step") or "")) for a in (ran or automated)]
            told = reason_told_by_evidence(t)  # each reason is said once
            body = (
                []
                if told
                else [
                    f'<p class="reason"><strong>Reason:</strong> {text_block(str(t["reason"]))}</p>'
                ]
            )
            if told:  # the evidence is the reason: show it first, then what to do
                body.extend(evidence)
            if t.get("next_step"):
                body.append(
                    f'<p class="next-step"><strong>Next step:</strong> '
                    f"{text_block(str(t['next_step']))}</p>"
                )
            if t.get("asks"):
                body.append(f'<p class="muted">Asks: {esc(t["asks"])}</p>')
            if not told:
                body.extend(evidence)
            body.append(_manual(t.get("manual"), str(t.get("manual_reason", ""))))
            out.append(
                f'<details class="test st-{esc(t["status"])}" id="{anchor(t["id"])}"'
                f"{' open' if bad else ''}><summary><code>{esc(t['id'])}</code> "
                f"{chip(str(t['status']), points=float(t['points']))} {esc(t['title'])}"
                f'<span class="summary-reason">{esc(_brief(str(t["reason"])))}</span></summary>'
                f'<div class="test-body">{"".join(body)}</div></details>'
            )
    out.append("</section>")
    return "".join(out)


def config_problems(report: Mapping[str, Any]) -> str:
    problems = report.get("config_problems") or []
    if not problems:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(p['file'])}</code></td><td><code>{esc(p['key'])}"
        f"</code></td><td>{esc(p['message'])}</td></tr>"
        for p in problems
    )
    return (
        f'<section id="config"><h2>Configuration problems ({len(problems)})</h2>'
        "<p>These entries were ignored; fix them to earn their points.</p>"
        f'<table class="rows"><thead><tr><th>file</th><th>key</th><th>problem</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def diff_section(diff: ReportDiff) -> str:
    def arrow(delta: float) -> str:
        if delta == 0:
            return '<span class="same">= unchanged</span>'
        cls, sym = ("up", "\u25b2 rose") if delta > 0 else ("down", "\u25bc fell")
        return f'<span class="{cls}">{sym} {esc(signed(delta))}</span>'

    rows = [
        f'<tr><th scope="row">final</th><td>{diff.final_before:g}</td>'
        f"<td>{diff.final_after:g}</td><td>{arrow(diff.final_delta)}</td></tr>"
    ]
    rows += [
        f'<tr><th scope="row">{esc(s)}</th><td>{b:g}</td><td>{a:g}</td><td>{arrow(a - b)}</td></tr>'
        for s, (b, a) in diff.sections.items()
    ]

    def changes(title: str, items: tuple[Any, ...]) -> str:
        if not items:
            return ""
        lis = "".join(
            f'<li><a href="#{anchor(c.id)}">{esc(c.id)}</a> {esc(c.title)}: '
            f"{chip(c.status_before)} \u2192 {chip(c.status_after)} ({esc(signed(c.delta))})</li>"
            for c in items
        )
        return f"<h3>{esc(title)} ({len(items)})</h3><ul>{lis}</ul>"

    scale = "" if diff.same_scale else '<p class="warn">The two reports use different scales.</p>'
    return (
        f'<section id="diff"><h2>Since the previous report ({esc(diff.previous_created)})'
        f'</h2>{scale}<table class="rows"><thead><tr><th></th><th>before</th><th>now</th>'
        f"<th>change</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{changes('Rose', diff.rose)}{changes('Fell', diff.fell)}"
        f"{changes('Status changed, same points', diff.status_changed)}"
        + ("" if diff.rose or diff.fell else "<p>No test changed its points.</p>")
        + "</section>"
    )
