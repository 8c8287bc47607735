"""The error-analysis part of the HTML report (structure: ``docs/reports.md``).

The decomposition, confusions, loss curves and worst examples are drawn here; the
per-slice chart in :mod:`mltestscore.reports.html_slices`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from mltestscore.png import png_size
from mltestscore.reports.html_evidence import esc, number, text_block
from mltestscore.reports.html_slices import interval_note, slice_chart, slices
from mltestscore.reports.svg import Bar, bar_chart, line_chart

__all__ = [
    "confusions",
    "decomposition",
    "examples",
    "loss_curves",
    "section",
    "slice_chart",
    "slices",
]

_SPLIT_LABELS = {
    "train": "train",
    "train_val": "validation (train distribution)",
    "val": "validation",
    "test_val": "validation (test distribution)",
    "test": "test",
}
_MAX_CURVES = 3
_MAX_CONFUSIONS = 12


def _num(value: object) -> str:
    return esc(number(value)) if isinstance(value, (int, float)) else "\u2014"


def decomposition(ea: Mapping[str, Any]) -> str:
    errors = ea.get("errors") or {}
    terms = ea.get("decomposition") or []
    if not errors and not terms:
        return ""
    metric = esc(ea.get("metric", "error"))
    rows = [
        f'<tr><th scope="row">{esc(_SPLIT_LABELS.get(s, s))}</th><td class="num">'
        f"{_num(errors[s])}</td><td></td></tr>"
        for s in _SPLIT_LABELS
        if s in errors
    ]
    rows.append(
        f'<tr><th scope="row">irreducible estimate</th><td class="num">'
        f'{_num(ea.get("irreducible", 0.0))}</td><td class="muted">human-level / '
        "best achievable</td></tr>"
    )
    largest = ea.get("largest")
    term_rows = "".join(
        f'<tr class="{"largest" if t.get("term") == largest else ""}"><th scope="row">'
        f"{esc(t.get('label', t.get('term')))}{' (largest)' if t.get('term') == largest else ''}"
        f'</th><td class="num">{_num(t.get("value"))}</td><td class="num">{_interval(t)}</td>'
        f"<td><code>{esc(t.get('formula', ''))}</code></td></tr>"
        for t in terms
    )
    chart = ""
    if terms:
        chart = bar_chart(
            [
                Bar(
                    str(t.get("label", t.get("term"))),
                    float(t.get("value", 0.0)),
                    "#c0392b"
                    if t.get("term") == largest
                    else "#bdc3c7"
                    if t.get("within_noise")
                    else "#7f8c8d",
                    interval_note(t),
                )
                for t in terms
            ],
            title=f"Error decomposition ({ea.get('metric', 'error')})",
            label_width=200,
        )
    step = ea.get("next_step")
    callout = (
        f'<div class="callout"><strong>Playbook next step:</strong> {text_block(step)}</div>'
        if step
        else ""
    )
    return (
        f"<h3>Where the error comes from ({metric}, lower is better)</h3>"
        f'<div class="two"><table class="rows"><thead><tr><th>split</th><th>{metric}</th>'
        f"<th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<table class="rows"><thead><tr><th>term</th><th>value</th><th>{_confidence(terms)} '
        "interval</th><th>formula</th></tr>"
        f"</thead><tbody>{term_rows}</tbody></table></div>{chart}{callout}"
    )


def _interval(item: Mapping[str, Any]) -> str:
    bounds = item.get("interval")
    if not isinstance(bounds, list) or len(bounds) != 2:
        return '<span class="muted">not estimated</span>'
    low, high = bounds
    noise = " (within noise)" if item.get("within_noise") else ""
    n = item.get("n")
    sizes = ", ".join(f"{esc(k)} {_num(v)}" for k, v in n.items()) if isinstance(n, Mapping) else ""
    return f"{_num(low)} to {_num(high)}{esc(noise)}" + (
        f'<br><span class="muted">n = {sizes}</span>' if sizes else ""
    )


def _confidence(terms: list[Any]) -> str:
    found = next((t.get("confidence") for t in terms if isinstance(t, Mapping)), None)
    return f"{100 * float(found):.0f} %" if isinstance(found, (int, float)) else "95 %"


def confusions(ea: Mapping[str, Any]) -> str:
    pairs = ea.get("confusions") or []
    if not pairs:
        return ""

    def label(value: object, empty: str) -> str:
        return (
            f"<code>{esc(value)}</code>" if value != "" else f'<span class="muted">{empty}</span>'
        )

    top = max(int(p["count"]) for p in pairs)
    rows = "".join(
        f"<tr><td>{label(p['truth'], '(extra)')}</td><td>{label(p['predicted'], '(missed)')}</td>"
        f'<td class="num">{int(p["count"])}</td><td><span class="meter" style="width:'
        f'{100 * int(p["count"]) / top:.0f}px"></span></td></tr>'
        for p in pairs[:_MAX_CONFUSIONS]
    )
    more = len(pairs) - _MAX_CONFUSIONS
    note = f'<p class="muted">{more} rarer confusion(s) in the JSON.</p>' if more > 0 else ""
    return (
        '<h3>Most frequent confusions</h3><table class="rows"><thead><tr><th>truth</th>'
        f"<th>predicted</th><th>count</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        f"{note}"
    )


_Curve = tuple[str, list[Any], "list[Any] | None", str, str]  # name, losses, steps, kind, text
_GOOD, _SO_SO = {"converged", "pass"}, {"decreasing", "warn", "too_few_points"}


def _is_curve(losses: object) -> bool:
    return (
        isinstance(losses, list)
        and len(losses) >= 2
        and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in losses
        )
    )


def _curves_in(value: Any, name: str, message: str, depth: int = 0) -> Iterator[_Curve]:
    """Every ``losses`` list inside evidence, named and explained by the nearest enclosing
    finding (``{"name", "message", "metrics": {"losses", "diagnosis", "curve"}}``)."""
    if depth > 5:
        return
    if isinstance(value, Mapping):
        name = value["name"] if isinstance(value.get("name"), str) else name
        message = value["message"] if isinstance(value.get("message"), str) else message
        if _is_curve(value.get("losses")):
            curve = value["curve"] if isinstance(value.get("curve"), Mapping) else {}
            kind = curve.get("kind") or value.get("diagnosis") or value.get("status") or ""
            text = curve.get("message") if isinstance(curve.get("message"), str) else message
            yield (str(name), list(value["losses"]), None, str(kind), str(text))
        for key, sub in value.items():
            if key != "losses":
                yield from _curves_in(sub, name, message, depth + 1)
    elif isinstance(value, list):
        for item in value[:100]:
            yield from _curves_in(item, name, message, depth + 1)


def loss_curves(report: Mapping[str, Any], ea: Mapping[str, Any] | None) -> str:
    """The error analysis' loss curve and every curve in infra.2's (smoke suite) evidence."""
    curves: list[_Curve] = []
    curve = (ea or {}).get("loss_curve")
    if curve and curve.get("losses"):
        diagnosis = curve.get("diagnosis") or {}
        kind = diagnosis.get("kind") or diagnosis.get("status") or ""
        text = diagnosis.get("message") or "No diagnosis recorded."
        curves.append(
            (
                "training loss (error analysis)",
                list(curve["losses"]),
                curve.get("steps"),
                str(kind),
                str(text),
            )
        )
    for test in report.get("tests", []):
        if test.get("id") == "infra.2":
            for entry in test.get("automated") or []:
                for found in _curves_in(entry.get("evidence") or {}, "smoke", ""):
                    curves.append((f"{entry.get('source', '')}: {found[0]}", *found[1:]))
    if not curves:
        return ""
    out = ['<h3>Loss curves and their diagnosis</h3><div class="curves">']
    for name, losses, steps, kind, text in curves[:_MAX_CURVES]:
        values = [
            float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None for v in losses
        ]
        if steps is not None and len(steps) != len(values):
            steps = None
        chart = line_chart(values, steps=steps, title=f"Loss per step: {name}")
        tone = "pass" if kind in _GOOD else "warn" if kind in _SO_SO else "fail"
        state = f'<span class="chip ev-{tone}">{esc(kind)}</span> ' if kind else ""
        out.append(
            f'<div class="curve"><p><strong>{esc(name)}</strong></p>{chart}'
            f'<p class="diagnosis">{state}{text_block(text)}</p></div>'
        )
    out.append("</div>")
    if len(curves) > _MAX_CURVES:
        out.append(f'<p class="muted">{len(curves) - _MAX_CURVES} more curve(s) in the JSON.</p>')
    return "".join(out)


def examples(ea: Mapping[str, Any]) -> str:
    items = ea.get("worst_examples") or []
    if not items:
        return ""
    cards = []
    for ex in items:
        image = ""
        uri = ex.get("image")
        if isinstance(uri, str):
            try:
                width, height = png_size(uri)
            except ValueError:
                width = height = 0
            if width and height:
                scale = max(1, min(round(56 / height), 560 // width or 1))
                image = (
                    f'<img src="{esc(uri)}" width="{width * scale}" '
                    f'height="{height * scale}" alt="example {esc(ex.get("id"))}">'
                )
        cards.append(
            f'<figure class="example">{image}<figcaption><code>{esc(ex.get("id"))}</code>'
            f"<br>truth <code>{esc(ex.get('truth'))}</code><br>predicted <code>"
            f"{esc(ex.get('prediction'))}</code><br>error {_num(ex.get('error'))}"
            "</figcaption></figure>"
        )
    return f'<h3>Worst examples</h3><div class="examples">{"".join(cards)}</div>'


def section(report: Mapping[str, Any]) -> str:
    ea = report.get("error_analysis")
    curves = loss_curves(report, ea)
    if not ea:
        hint = (
            '<p class="muted">No error analysis in this run: define an '
            "<code>ml_error_analysis</code> fixture that returns an "
            "<code>mltestscore.error_analysis.ErrorAnalysis</code> (see docs/reports.md)."
            "</p>"
        )
        return f'<section id="errors"><h2>Error analysis</h2>{hint}{curves}</section>'
    notes = f"<p>{text_block(str(ea['notes']))}</p>" if ea.get("notes") else ""
    return (
        f'<section id="errors"><h2>Error analysis</h2>{notes}{decomposition(ea)}'
        f"{slices(ea)}{confusions(ea)}{curves}{examples(ea)}</section>"
    )
