"""An SVG badge like coverage badges: "ML Test Score | 3.5 strong", coloured by band."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from mltestscore.reports.palette import band_colour

LABEL = "ML Test Score"
# Approximate advance widths of Verdana 11px, enough to size the two halves.
_NARROW, _WIDE = set("fijlrt.,:;!|()' "), set("mwMW@%")


def text_width(text: str) -> int:
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 3.9
        elif ch in _WIDE:
            width += 10.0
        elif ch.isupper() or ch.isdigit():
            width += 7.5
        else:
            width += 6.6
    return round(width)


def render(report: Mapping[str, Any]) -> str:
    score = report["score"]
    value = f"{float(score['final']):g} {score['band']['name']}"
    colour = band_colour(int(score["band"]["index"]))
    left, right = text_width(LABEL) + 12, text_width(value) + 12
    total = left + right
    title = escape(f"{LABEL}: {value} ({score['band']['text']})", quote=True)

    def label(x: float, text: str) -> str:
        t = escape(text, quote=True)
        return (
            f'<text x="{x:.1f}" y="15" fill="#010101" fill-opacity=".3">{t}</text>'
            f'<text x="{x:.1f}" y="14">{t}</text>'
        )

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{escape(LABEL + ": " + value, quote=True)}"><title>{title}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f"{label(left / 2, LABEL)}{label(left + right / 2, value)}</g></svg>\n"
    )
