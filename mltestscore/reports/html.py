"""The HTML report: one self-contained page (inline CSS and SVG, no scripts, no requests).

A Content-Security-Policy meta tag forbids scripts and any fetch except inline ``data:``
images, so even a string that slipped past escaping could neither run nor call out.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

from mltestscore.reports import html_analysis, html_readiness
from mltestscore.reports.diff import diff_reports
from mltestscore.reports.html_evidence import esc

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def stylesheet() -> str:
    return resources.files("mltestscore.reports").joinpath("styles.css").read_text("utf-8")


def render(report: Mapping[str, Any], *, previous: Mapping[str, Any] | None = None) -> str:
    """The whole page for a report document (and the diff against ``previous`` if given)."""
    diff = diff_reports(report, previous) if previous is not None else None
    score = report["score"]
    project = str(report.get("project") or "")
    title = f"ML Test Score {score['final']:g}" + (f" \u2013 {project}" if project else "")
    if report.get("complete", True) is False:
        title += " (incomplete run)"
    meta = [
        f"created {report.get('created', '')}",
        f"mltestscore {report.get('mltestscore_version', '')}",
    ]
    if isinstance(report.get("duration_s"), (int, float)):
        meta.append(f"run took {report['duration_s']:.1f} s")
    nav = [("next", "What to fix next"), ("grid", "The 28 tests")]
    if diff is not None:
        nav.append(("diff", "Changes"))
    nav += [("errors", "Error analysis"), ("tests", "Evidence")]
    if report.get("config_problems"):
        nav.append(("config", "Configuration problems"))
    env = report.get("environment") or {}
    footer = " \u00b7 ".join(f"{esc(k)}: {esc(v)}" for k, v in env.items() if k != "executable")
    body = [
        "<header><h1>ML Test Score" + (f" \u2013 {esc(project)}" if project else "") + "</h1>"
        f'<p class="muted">{esc(" · ".join(meta))}</p>'
        "<nav>" + " ".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in nav) + "</nav></header>",
        html_readiness.incomplete_banner(report),
        '<section class="top">'
        + html_readiness.summary(report, diff)
        + html_readiness.section_chart(report)
        + "</section>",
        html_readiness.what_next(report),
        html_readiness.grid(report),
        html_readiness.diff_section(diff) if diff is not None else "",
        html_analysis.section(report),
        html_readiness.test_details(report),
        html_readiness.config_problems(report),
        f'<footer class="muted">{footer}<br>Scoring: Breck et al., "The ML Test Score", '
        "IEEE Big Data 2017. Error decomposition: Full Stack Deep Learning troubleshooting "
        "playbook.</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{stylesheet()}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
