"""Report renderers: pure functions of a run's report document.

``write_report(report, path)`` picks the renderer from the suffix: ``.json`` (the document),
``.html`` (self-contained page), ``.md`` (CI summary), ``.svg`` (badge). Renderer modules
load on use, so importing this package is cheap (standard library only).

The other formats, each a pure function of the report document returning text:

- :func:`render_terminal` — lines of the terminal summary (``mode`` grid/short/none, ``colour``);
- :func:`render_gate_line` — one line with the gate's verdict;
- :func:`render_markdown` — the CI summary, appendable to ``$GITHUB_STEP_SUMMARY``;
- :func:`render_endpoint_json` — a shields.io endpoint badge;
- :func:`render_annotations` — GitHub Actions ``::error``/``::warning`` workflow commands;
- :func:`render_codequality` — a GitLab code-quality report.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPORT_SUFFIXES: tuple[str, ...] = (".json", ".html", ".md", ".svg")

__all__ = [
    "REPORT_SUFFIXES",
    "render_annotations",
    "render_codequality",
    "render_endpoint_json",
    "render_gate_line",
    "render_markdown",
    "render_report",
    "render_terminal",
    "write_report",
]


def render_terminal(
    report: Mapping[str, Any], *, verbose: bool = False, mode: str = "grid", colour: bool = False
) -> list[str]:
    """Lines of the terminal summary; see :func:`mltestscore.reports.terminal.render`.

    ``mode``: ``"grid"`` | ``"short"`` | ``"none"``; ``colour``: add ANSI colours (pass
    ``terminalreporter._tw.hasmarkup`` or ``config.get_terminal_writer().hasmarkup``).
    """
    from mltestscore.reports import terminal

    return terminal.render(report, verbose=verbose, mode=mode, colour=colour)


def render_gate_line(decision: Any, *, colour: bool = False) -> str:
    """One line with the gate verdict, from a ``GateDecision`` or the report's ``"gate"``."""
    from mltestscore.reports import terminal

    return terminal.render_gate_line(decision, colour=colour)


def render_markdown(report: Mapping[str, Any], *, previous: Mapping[str, Any] | None = None) -> str:
    """The Markdown summary (starts with a ``###`` heading; append it to
    ``$GITHUB_STEP_SUMMARY`` after a blank line)."""
    from mltestscore.reports import markdown

    return markdown.render(report, previous=previous)


def render_endpoint_json(report: Mapping[str, Any]) -> str:
    """shields.io endpoint badge JSON: ``{"schemaVersion": 1, "label": "ML Test Score",
    "message": "5 · strong", "color": "97ca00"}``, coloured by band like the SVG badge."""
    from mltestscore.reports import badge

    return badge.render_endpoint_json(report)


def render_annotations(
    report: Mapping[str, Any], *, locations: Mapping[str, tuple[str, int | None]] | None = None
) -> str:
    """GitHub Actions workflow commands (``::error title=ml-score data.2::...``), one line per
    failing/erroring test, failed gate (errors), unjudged test, evidence warning,
    configuration problem and incomplete run (warnings). ``locations``: rubric id ->
    ``(file, line)``. See :func:`mltestscore.reports.ci.render_annotations`."""
    from mltestscore.reports import ci

    return ci.render_annotations(report, locations=locations)


def render_codequality(
    report: Mapping[str, Any],
    *,
    locations: Mapping[str, tuple[str, int | None]] | None = None,
    default_path: str = "pyproject.toml",
) -> str:
    """A GitLab code-quality report (JSON array of issues with stable fingerprints). See
    :func:`mltestscore.reports.ci.render_codequality`."""
    from mltestscore.reports import ci

    return ci.render_codequality(report, locations=locations, default_path=default_path)


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
