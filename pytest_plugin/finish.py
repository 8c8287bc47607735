"""End of session: score, gate, write the reports (the library decides; this wires)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mltestscore.gate import decide
from mltestscore.report import ReportError, build_report, load_report, write_json
from mltestscore.scoring import score

if TYPE_CHECKING:
    from mltestscore.pytest_plugin.session import MLScoreSession


def finish(plugin: MLScoreSession, session: pytest.Session) -> None:
    settings = plugin.settings
    card = score(
        plugin.collected_evidence(),
        settings.manual,
        manual_problems=settings.manual_problems,
        scale=settings.scale,
        today=settings.today,
    )
    gate = None
    if settings.fail_under is not None or settings.section_min:
        gate = decide(
            card.final,
            card.sections,
            fail_under=settings.fail_under,
            section_min=settings.section_min,
        )
    report = build_report(
        card,
        problems=settings.problems,
        gate=gate,
        error_analysis=plugin.error_analysis,
        project=settings.root.name,
        duration_s=round(time.time() - plugin.started, 3),
    )
    plugin.report, plugin.gate = report, gate
    previous = None
    if settings.compare_to is not None:
        try:
            previous = load_report(settings.compare_to)
        except ReportError as exc:
            plugin.write_errors.append(f"ML Test Score: cannot compare: {exc}")
    targets = [settings.json_report] + [p for p in settings.reports if p != settings.json_report]
    for path in targets:
        path = path if path.is_absolute() else settings.root / path
        try:
            if path.suffix == ".json":
                write_json(report, path)
            else:
                from mltestscore.reports import write_report

                write_report(report, path, previous=previous)
        except Exception as exc:  # one renderer failing never loses the others
            plugin.write_errors.append(
                f"ML Test Score: could not write {path}: {type(exc).__name__}: {exc}"
            )
        else:
            plugin.written.append(_display(path))
    if gate is not None and not gate.passed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _display(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
