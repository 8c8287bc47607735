"""The per-slice part of the HTML report's error analysis: each slice against the overall.

A slice's bar is its difference from the overall value with its bootstrap interval as a
whisker, coloured by verdict (worse or better beyond noise, within noise), not by rank.
Without an overall value the slices' plain values are drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mltestscore.analysis_types import slice_verdict
from mltestscore.reports.html_evidence import esc, number
from mltestscore.reports.svg import Bar, bar_chart
from mltestscore.text import clean

__all__ = ["interval_note", "slice_chart", "slices"]

_MAX_CHART_SLICES = 20
_VERDICT_COLOURS = {
    "worse": "#c0392b",
    "better": "#27ae60",
    "within noise": "#95a5a6",
    "same": "#95a5a6",
    "unknown": "#4a78c2",
}
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'


def interval_note(item: Mapping[str, Any]) -> str:
    bounds = item.get("interval")
    if not isinstance(bounds, list) or len(bounds) != 2:
        return ""
    return f"[{float(bounds[0]):.2g}, {float(bounds[1]):.2g}]"  # short: fits beside a bar


def _short(text: str, limit: int) -> str:
    text = clean(text, keep="")  # before cutting: a cut must not split an escape sequence
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def slice_chart(
    rows: list[Mapping[str, Any]], overall: float, higher_is_better: bool, metric: str
) -> str:
    """Each slice's difference from the overall value, with its interval as a whisker,
    on a scale fitted to the differences; coloured by verdict, not by rank."""
    width, label_w, value_w, row = 640, 200, 190, 24
    x0, x1 = label_w + 8, width - value_w
    top = 8
    height = top + row * len(rows) + 26
    spans = [0.0]
    for r in rows:
        spans.append(abs(float(r["value"]) - overall))
        bounds = r.get("interval")
        if isinstance(bounds, list) and len(bounds) == 2:
            spans += [abs(float(bounds[0]) - overall), abs(float(bounds[1]) - overall)]
    reach = max(spans) * 1.1 or 1.0

    def x(delta: float) -> float:
        return x0 + (delta + reach) / (2 * reach) * (x1 - x0)

    zero = x(0.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {_FONT}>',
        f"<title>{esc(metric)} per slice minus overall {esc(number(overall))}</title>",
    ]
    for i, r in enumerate(rows):
        value = float(r["value"])
        bounds = r.get("interval")
        interval = bounds if isinstance(bounds, list) and len(bounds) == 2 else None
        verdict = slice_verdict(value, interval, overall, higher_is_better)
        colour = _VERDICT_COLOURS[verdict]
        y = top + i * row
        mid = y + row / 2
        left, right = sorted((zero, x(value - overall)))
        count = f" n={r['count']}" if r.get("count") is not None else ""
        parts.append(
            f"<g><title>{esc(r['name'])}: {esc(number(value))}"
            f"{esc(' ' + interval_note(r)) if interval else ''}{esc(count)}: {esc(verdict)}"
            f'</title><text x="{label_w}" y="{mid + 4:.1f}" text-anchor="end" fill="#222">'
            f"{esc(_short(str(r['name']), 28))}</text>"
            f'<rect x="{left:.1f}" y="{y + 5}" width="{max(right - left, 1.0):.1f}" '
            f'height="{row - 10}" rx="2" fill="{colour}" data-verdict="{esc(verdict)}"/>'
        )
        if interval is not None:
            lo, hi = x(float(interval[0]) - overall), x(float(interval[1]) - overall)
            parts.append(
                f'<line x1="{lo:.1f}" y1="{mid:.1f}" x2="{hi:.1f}" y2="{mid:.1f}" '
                'stroke="#222" stroke-width="1.5"/>'
                f'<line x1="{lo:.1f}" y1="{mid - 5:.1f}" x2="{lo:.1f}" y2="{mid + 5:.1f}" '
                'stroke="#222"/>'
                f'<line x1="{hi:.1f}" y1="{mid - 5:.1f}" x2="{hi:.1f}" y2="{mid + 5:.1f}" '
                'stroke="#222"/>'
            )
        parts.append(
            f'<text x="{x1 + 6}" y="{mid + 4:.1f}" fill="#222">{esc(number(value))}'
            f'<tspan fill="#666"> {esc(verdict)}{esc(count)}</tspan></text></g>'
        )
    parts.append(
        f'<line x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{top + row * len(rows)}" '
        f'stroke="#444" stroke-dasharray="3 3"/><text x="{zero:.1f}" y="{height - 6}" '
        f'text-anchor="middle" fill="#555" font-size="10">overall {esc(number(overall))}</text>'
        f'<text x="{x0}" y="{height - 6}" fill="#555" font-size="10">'
        f"{esc(number(-reach))}</text>"
        f'<text x="{x1}" y="{height - 6}" text-anchor="end" fill="#555" font-size="10">'
        f"+{esc(number(reach))}</text></svg>"
    )
    return "".join(parts)


def slices(ea: Mapping[str, Any]) -> str:
    table = ea.get("slices")
    if not table or not table.get("rows"):
        return ""
    rows = list(table["rows"])
    metric = str(table.get("metric", "metric"))
    higher = bool(table.get("higher_is_better", True))
    better = "higher" if higher else "lower"
    overall = table.get("overall")
    shown = rows[:_MAX_CHART_SLICES]
    if isinstance(overall, (int, float)) and not isinstance(overall, bool):
        chart = slice_chart(shown, float(overall), higher, metric)
        scale = (
            f'<p class="muted">Bars: each slice minus the overall {esc(metric)} '
            f"({esc(number(float(overall)))}); whiskers: the slice's bootstrap interval. Red: "
            "worse than overall beyond noise, green: better, grey: within noise.</p>"
        )
    else:  # no overall value to compare with: plain values, coloured by nothing but data
        values = [float(r["value"]) for r in rows]
        chart = bar_chart(
            [
                Bar(
                    str(r["name"]),
                    float(r["value"]),
                    _VERDICT_COLOURS["unknown"],
                    " ".join(
                        part
                        for part in (
                            interval_note(r),
                            f"(n={r['count']})" if r.get("count") is not None else "",
                        )
                        if part
                    ),
                )
                for r in shown
            ],
            title=f"{metric} per slice, worst first",
            low=min(values),
            high=max(values),
            label_width=200,
        )
        scale = ""
    omitted = int(table.get("omitted", 0)) + max(0, len(rows) - len(shown))
    note = f'<p class="muted">{omitted} better slice(s) not drawn.</p>' if omitted else ""
    return f"<h3>{esc(metric)} per slice, worst first ({better} is better)</h3>{chart}{scale}{note}"
