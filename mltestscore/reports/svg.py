"""Inline SVG charts: horizontal bars and a line chart. Every label is escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from mltestscore.text import clean

_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'


def _e(value: object) -> str:
    return escape(clean(value, keep=""), quote=True)


def _fmt(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 10_000:
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.4g}"
    return f"{value:.2e}"


def _short(text: str, limit: int) -> str:
    text = clean(text, keep="")  # before cutting: a cut must not split an escape sequence
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = "#4a78c2"
    note: str = ""  # shown after the value, e.g. "(n=120)" or "lowest"


@dataclass(frozen=True)
class Marker:
    value: float
    label: str


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    low: float | None = None,
    high: float | None = None,
    markers: Sequence[Marker] = (),
    width: int = 640,
    label_width: int = 170,
    value_width: int = 150,
    row: int = 24,
    value_format: str = "",
) -> str:
    """Horizontal bar chart; bars start at 0, so negative values point left."""
    values = [b.value for b in bars] or [0.0]
    lo = min(0.0, min(values), low if low is not None else 0.0)
    hi = max(0.0, max(values), high if high is not None else 0.0)
    if hi - lo <= 0:
        hi = lo + 1.0
    top, bar = 8, row - 8
    plot_x0, plot_x1 = label_width + 8, width - value_width
    height = top + row * len(bars) + 26

    def x(v: float) -> float:
        return plot_x0 + (v - lo) / (hi - lo) * (plot_x1 - plot_x0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {_FONT}>',
        f"<title>{_e(title)}</title>",
    ]
    zero = x(0.0)
    for m in markers:
        mx = x(m.value)
        parts.append(
            f'<line x1="{mx:.1f}" y1="{top - 4}" x2="{mx:.1f}" y2="{height - 20}" '
            'stroke="#999" stroke-dasharray="3 3"/>'
            f'<text x="{mx:.1f}" y="{height - 6}" text-anchor="middle" fill="#555" '
            f'font-size="10">{_e(m.label)}</text>'
        )
    for i, b in enumerate(bars):
        y = top + i * row
        mid = y + row / 2 + 4  # text baseline
        x0, x1 = sorted((zero, x(b.value)))
        text = format(b.value, value_format) if value_format else _fmt(b.value)
        note = f" {b.note}" if b.note else ""
        parts.append(
            f"<g><title>{_e(b.label)}: {_e(text)}{_e(note)}</title>"
            f'<text x="{label_width}" y="{mid:.1f}" text-anchor="end" fill="#222">'
            f"{_e(_short(b.label, max(6, label_width // 8)))}</text>"
            f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 1.0):.1f}" height="{bar}" '
            f'rx="2" fill="{_e(b.colour)}"/>'
            f'<text x="{plot_x1 + 6}" y="{mid:.1f}" fill="#222">{_e(text)}'
            f'<tspan fill="#666">{_e(note)}</tspan></text></g>'
        )
    parts.append(
        f'<line x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{top + row * len(bars)}" '
        'stroke="#444"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def line_chart(
    values: Sequence[float | None],
    *,
    title: str,
    steps: Sequence[float] | None = None,
    x_label: str = "step",
    y_label: str = "loss",
    width: int = 640,
    height: int = 240,
) -> str:
    """A line chart; ``None`` (NaN/Inf in the data) breaks the line and is marked in red."""
    xs = list(steps) if steps is not None else list(range(len(values)))
    if len(xs) != len(values):
        raise ValueError(f"line chart: {len(xs)} steps for {len(values)} values")
    finite = [v for v in values if v is not None and math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if hi - lo <= 0:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_hi - x_lo <= 0:
        x_hi = x_lo + 1
    left, right, top, bottom = 62, width - 12, 10, height - 38

    def px(v: float) -> float:
        return left + (v - x_lo) / (x_hi - x_lo) * (right - left)

    def py(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {_FONT}>',
        f"<title>{_e(title)}</title>",
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        'fill="#fafafa" stroke="#ccc"/>',
    ]
    for t in _ticks(lo, hi):
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e4e4e4"/>'
            f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end" fill="#555" '
            f'font-size="10">{_e(_fmt(t))}</text>'
        )
    for t in _ticks(x_lo, x_hi, 6):
        parts.append(
            f'<text x="{px(t):.1f}" y="{bottom + 14}" text-anchor="middle" fill="#555" '
            f'font-size="10">{_e(_fmt(t))}</text>'
        )
    segments: list[list[str]] = [[]]
    bad: list[float] = []
    for xv, v in zip(xs, values, strict=True):
        if v is None or not math.isfinite(v):
            bad.append(xv)
            segments.append([])
        else:
            segments[-1].append(f"{px(xv):.1f},{py(v):.1f}")
    for seg in segments:
        if len(seg) > 1:
            parts.append(
                f'<polyline points="{" ".join(seg)}" fill="none" stroke="#2f6fd0" '
                'stroke-width="1.8"/>'
            )
        elif seg:
            cx, cy = seg[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="#2f6fd0"/>')
    for xv in bad[:50]:
        parts.append(
            f'<text x="{px(xv):.1f}" y="{top + 12}" text-anchor="middle" fill="#c62828" '
            'font-weight="bold">\u00d7</text>'
        )
    parts.append(
        f'<text x="{(left + right) / 2:.0f}" y="{height - 6}" text-anchor="middle" '
        f'fill="#333">{_e(x_label)}</text>'
        f'<text x="14" y="{(top + bottom) / 2:.0f}" text-anchor="middle" fill="#333" '
        f'transform="rotate(-90 14 {(top + bottom) / 2:.0f})">{_e(y_label)}</text>'
    )
    if bad:
        parts.append(
            f'<text x="{right - 4}" y="{top + 26}" text-anchor="end" fill="#c62828">'
            f"non-finite (NaN/Inf) at {len(bad)} step(s), first at {_e(_fmt(bad[0]))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
