"""Evidence values as HTML: every key and value escaped, tables capped, depth limited.

Evidence is whatever JSON a check put in its result; nothing in it is trusted as markup.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from mltestscore.reports.palette import EVIDENCE_LABELS, STATUS_STYLE
from mltestscore.text import clean

MAX_ROWS = 50
MAX_COLUMNS = 12
MAX_TEXT = 4000
MAX_DEPTH = 3


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute: control characters (escape sequences)
    and bidi overrides/isolates dropped, newlines and tabs kept, ``<>&"'`` escaped."""
    return escape(clean(value), quote=True)


def number(value: float) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        return f"{value:.4g}"
    return f"{value:.3e}"


def chip(status: str, *, points: float | None = None) -> str:
    """A status label with symbol: colour is never the only signal."""
    label, symbol, _, _ = STATUS_STYLE.get(status, (status, "?", "", ""))
    pts = "" if points is None else f" \u00b7 {points:g} pt"
    return f'<span class="chip st-{esc(status)}">{esc(symbol)} {esc(label)}{pts}</span>'


def evidence_chip(status: str) -> str:
    return f'<span class="chip ev-{esc(status)}">{esc(EVIDENCE_LABELS.get(status, status))}</span>'


def text_block(value: str) -> str:
    value = clean(value)  # before clipping: a cut must not split an escape sequence
    clipped = (
        value
        if len(value) <= MAX_TEXT
        else (value[:MAX_TEXT] + f"\n\u2026 ({len(value) - MAX_TEXT} more characters)")
    )
    if "\n" in clipped.strip():
        return f"<pre>{esc(clipped)}</pre>"
    return esc(clipped)


def render_value(value: Any, depth: int = 0) -> str:
    """HTML for one JSON-able evidence value."""
    if value is None:
        return '<span class="muted">\u2014</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f'<span class="num">{esc(number(value))}</span>'
    if isinstance(value, str):
        return text_block(value)
    if depth >= MAX_DEPTH:
        return f'<span class="muted">{esc(type(value).__name__)} (nested too deep to show)</span>'
    if isinstance(value, Mapping):
        return mapping_table(value, depth + 1)
    if isinstance(value, Sequence):
        items = list(value)
        if items and all(isinstance(i, Mapping) for i in items):
            return rows_table(items, depth + 1)
        return scalar_list(items, depth + 1)
    return esc(repr(value))


def scalar_list(items: list[Any], depth: int) -> str:
    if not items:
        return '<span class="muted">(empty)</span>'
    shown = items[:20]
    numbers = [i for i in items if isinstance(i, (int, float)) and not isinstance(i, bool)]
    summary = ""
    if len(items) > 20:
        summary = f' <span class="muted">\u2026 {len(items) - 20} more of {len(items)}'
        if len(numbers) == len(items):
            finite = [n for n in numbers if math.isfinite(n)]
            if finite:
                summary += f"; min {esc(number(min(finite)))}, max {esc(number(max(finite)))}"
        summary += "</span>"
    if all(not isinstance(i, (Mapping, list, tuple)) for i in shown):
        body = ", ".join(
            esc(number(i)) if isinstance(i, (int, float)) and not isinstance(i, bool) else esc(i)
            for i in shown
        )
        return f'<span class="list">{body}</span>{summary}'
    return "<ul>" + "".join(f"<li>{render_value(i, depth)}</li>" for i in shown) + "</ul>" + summary


def mapping_table(value: Mapping[Any, Any], depth: int = 1) -> str:
    if not value:
        return '<span class="muted">(empty)</span>'
    items = list(value.items())
    rows = "".join(
        f'<tr><th scope="row">{esc(k)}</th><td>{render_value(v, depth)}</td></tr>'
        for k, v in items[:MAX_ROWS]
    )
    more = _more(len(items), "entries")
    return f'<table class="kv">{rows}</table>{more}'


def rows_table(items: Sequence[Mapping[Any, Any]], depth: int = 1) -> str:
    columns: list[Any] = []
    for row in items[:MAX_ROWS]:
        columns.extend(k for k in row if k not in columns)
    columns = columns[:MAX_COLUMNS]
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{render_value(row.get(c), depth)}</td>" for c in columns) + "</tr>"
        for row in items[:MAX_ROWS]
    )
    return (
        f'<div class="scroll"><table class="rows"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{_more(len(items), 'rows')}"
    )


def _more(total: int, what: str) -> str:
    if total <= MAX_ROWS:
        return ""
    return f'<p class="muted">{total - MAX_ROWS} more {what} not shown (see the JSON report)</p>'
