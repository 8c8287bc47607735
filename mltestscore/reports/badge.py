"""Badges like coverage badges: "ML Test Score | 3.5 strong", coloured by band.

:func:`render` draws the SVG; :func:`render_endpoint_json` writes the JSON that shields.io's
endpoint badge reads (``https://img.shields.io/endpoint?url=<where the JSON is served>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from mltestscore.reports.palette import band_colour
from mltestscore.text import one_line

__all__ = ["LABEL", "badge_colour", "badge_message", "render", "render_endpoint_json", "text_width"]

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


def _incomplete(report: Mapping[str, Any]) -> str:
    return " (incomplete)" if report.get("complete", True) is False else ""


def badge_message(report: Mapping[str, Any], separator: str = " ") -> str:
    """The badge's right half: final score and band name (``5 strong``), plus
    ``(incomplete)`` when the report says the run was incomplete."""
    score = report["score"]
    name = one_line(score["band"]["name"], 40)
    return f"{float(score['final']):g}{separator}{name}{_incomplete(report)}"


def badge_colour(report: Mapping[str, Any]) -> str:
    """The band's colour, ``#rrggbb`` (shields.io's scale, red for band 0 to green)."""
    return band_colour(int(report["score"]["band"]["index"]))


def render_endpoint_json(report: Mapping[str, Any]) -> str:
    """A shields.io endpoint badge description of ``report``, as JSON text.

    ``{"schemaVersion": 1, "label": "ML Test Score", "message": "5 · strong",
    "color": "97ca00"}``: the colour is the band's, the same as the SVG badge's (hex without
    ``#``, as shields.io documents). Serve the file anywhere public and point
    ``https://img.shields.io/endpoint?url=...`` at it.
    """
    document = {
        "schemaVersion": 1,
        "label": LABEL,
        "message": badge_message(report, " \u00b7 "),
        "color": badge_colour(report).lstrip("#"),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render(report: Mapping[str, Any]) -> str:
    """The SVG badge: "ML Test Score | 3.5 strong", the right half in the band's colour."""
    score = report["score"]
    value = badge_message(report)
    colour = badge_colour(report)
    left, right = text_width(LABEL) + 12, text_width(value) + 12
    total = left + right
    title = escape(f"{LABEL}: {value} ({one_line(score['band']['text'], 200)})", quote=True)

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
