"""Report renderers: pure functions of a run's report document.

``write_report(report, path)`` picks the renderer from the suffix: ``.json`` (the document),
``.html`` (self-contained page), ``.md`` (CI summary), ``.svg`` (badge). Renderer modules
load on use, so importing this package is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPORT_SUFFIXES: tuple[str, ...] = (".json", ".html", ".md", ".svg")

__all__ = ["REPORT_SUFFIXES", "render_report", "write_report"]


def render_report(
    report: Mapping[str, Any], suffix: str, *, previous: Mapping[str, Any] | None = None
) -> str:
    """The text of ``report`` in the format named by ``suffix`` (``.html``, ``.md``, ...)."""
    kind = suffix.lower()
    if kind == ".json":
        from mltestscore.report import dumps

        return dumps(report)
    if kind == ".html":
        from mltestscore.reports import html

        return html.render(report, previous=previous)
    if kind == ".md":
        from mltestscore.reports import markdown

        return markdown.render(report, previous=previous)
    if kind == ".svg":
        from mltestscore.reports import badge

        return badge.render(report)
    raise ValueError(
        f"unknown report format {suffix!r}: expected one of {', '.join(REPORT_SUFFIXES)}"
    )


def write_report(
    report: Mapping[str, Any], path: Path, *, previous: Mapping[str, Any] | None = None
) -> None:
    """Render ``report`` in the format of ``path``'s suffix and write it atomically."""
    from mltestscore.report import write_atomic

    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise ValueError(
            f"{path}: unknown report format {path.suffix or '(no suffix)'!r}: expected a path "
            f"ending in {', '.join(REPORT_SUFFIXES)}"
        )
    write_atomic(path, render_report(report, path.suffix, previous=previous))
