"""End of session: score, gate, write the reports (the library decides; this wires).

A run that was interrupted (Ctrl-C), failed to collect, stopped early (``-x``,
``--maxfail``) or did not run every rubric check (``-k``, ``--deselect``) still writes
its report, marked ``"complete": false`` with the reason: the score counts only what
was judged, the renderers say so, and a configured gate fails it. ``--collect-only``
runs nothing and writes nothing (the last report stays as it was).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore.gate import decide
from mltestscore.report import ReportError, build_report, load_report, write_atomic, write_json
from mltestscore.rubric import RUBRIC_BY_ID
from mltestscore.scoring import score

if TYPE_CHECKING:
    from mltestscore.pytest_plugin.session import MLScoreSession

GITHUB_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def completeness(
    plugin: MLScoreSession, session: pytest.Session, exitstatus: int
) -> tuple[bool, str]:
    """(complete, why not): did this run judge everything it was asked to?"""
    if plugin.collect_errors:
        return False, f"{plugin.collect_errors} error(s) during collection"
    if plugin.interrupted:
        return False, "interrupted (KeyboardInterrupt)"
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return False, "interrupted"
    stopped = session.shouldstop or session.shouldfail
    if stopped:
        return False, f"stopped early: {stopped}"
    missing = sorted(set(RUBRIC_BY_ID) - plugin.builtin_seen)
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        return False, f"{len(missing)} rubric check(s) did not run (deselected?): {shown}"
    return True, ""


def finish(plugin: MLScoreSession, session: pytest.Session, exitstatus: int) -> None:
    settings = plugin.settings
    if plugin.config.option.collectonly:
        plugin.not_scored = "not scored: --collect-only runs no checks (no report written)"
        return
    if exitstatus == pytest.ExitCode.USAGE_ERROR:
        plugin.not_scored = "not scored: usage error (no report written)"
        return
    complete, why = completeness(plugin, session, exitstatus)
    card = score(
        plugin.collected_evidence(),
        settings.manual,
        manual_problems=settings.manual_problems,
        scale=settings.scale,
        today=settings.today,
    )
    problems = (*settings.problems, *plugin.run_problems.values())
    gate = None
    if settings.fail_under is not None or settings.section_min:
        gate = decide(
            card.final,
            card.sections,
            fail_under=settings.fail_under,
            section_min=settings.section_min,
            complete=complete,
            incomplete_reason=why,
        )
    report = build_report(
        card,
        problems=problems,
        gate=gate,
        error_analysis=plugin.error_analysis,
        project=settings.root.name,
        duration_s=round(time.time() - plugin.started, 3),
        complete=complete,
        incomplete_reason=why,
    )
    plugin.report, plugin.gate = report, gate
    write_outputs(plugin, report)
    log_to_mlflow(plugin, report)
    _add_junit_properties(plugin.config, report)
    if plugin.run_problems and session.exitstatus in (
        pytest.ExitCode.OK,
        pytest.ExitCode.TESTS_FAILED,
    ):
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
    elif gate is not None and not gate.passed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def targets(plugin: MLScoreSession) -> list[tuple[str, Path, bool]]:
    """(format, path, append) for every output of this run, the JSON report first.

    ``$GITHUB_STEP_SUMMARY`` (set by GitHub Actions) gets the Markdown summary appended:
    a step summary file is shared by the steps of a job and must not be replaced.
    """
    settings = plugin.settings
    summary_env = os.environ.get(GITHUB_SUMMARY_ENV, "").strip()
    summary = Path(summary_env).resolve() if summary_env else None
    found: list[tuple[str, Path, bool]] = [("json", settings.json_report, False)]
    for kind, path in settings.reports:
        path = path if path.is_absolute() else settings.root / path
        if (kind, path) != ("json", settings.json_report):
            found.append((kind, path, summary is not None and path.resolve() == summary))
    if summary is not None and not any(append for _, _, append in found):
        found.append(("md", summary, True))
    return found


def write_outputs(plugin: MLScoreSession, report: dict[str, Any]) -> None:
    previous = None
    settings = plugin.settings
    if settings.compare_to is not None:
        try:
            previous = load_report(settings.compare_to)
        except ReportError as exc:
            plugin.write_errors.append(f"ML Test Score: cannot compare: {exc}")
    for kind, path, append in targets(plugin):
        try:
            if kind == "json":
                write_json(report, path)
            else:
                text = render(kind, report, previous)
                if append:
                    with path.open("a", encoding="utf-8") as fh:
                        fh.write("\n" + text)
                else:
                    write_atomic(path, text)
        except Exception as exc:  # one renderer failing never loses the others
            plugin.write_errors.append(
                f"ML Test Score: could not write {path}: {type(exc).__name__}: {exc}"
            )
        else:
            plugin.written.append(_display(path))
            if not append:
                plugin.report_files.append(path)


def log_to_mlflow(plugin: MLScoreSession, report: dict[str, Any]) -> None:
    """``--ml-score-mlflow-run``: the scores and the written reports onto an MLflow run.

    A failure (mlflow missing, an unknown run id, the store unreachable) is reported
    like a report that could not be written: a line in the summary, the exit status
    unchanged. mlflow is imported only here, and only with the option.
    """
    run = plugin.settings.mlflow_run
    if run is None:
        return
    from mltestscore.mlflow_log import MlflowLogError, log_report

    try:
        run_id, metrics, files = log_report(report, run, artifacts=plugin.report_files)
    except MlflowLogError as exc:
        plugin.write_errors.append(f"ML Test Score: could not log to MLflow: {exc}")
    except Exception as exc:  # the store failing mid-way never loses the written reports
        plugin.write_errors.append(
            f"ML Test Score: could not log to MLflow run {run!r}: {type(exc).__name__}: {exc}"
        )
    else:
        plugin.logged.append(
            f"ML Test Score logged to MLflow run {run_id}: {metrics} metrics, "
            f"{files} report file(s) as artifacts"
        )


def render(kind: str, report: dict[str, Any], previous: dict[str, Any] | None) -> str:
    import mltestscore.reports as reports

    if kind == "endpoint":
        return str(reports.render_endpoint_json(report))
    if kind == "codequality":
        return str(reports.render_codequality(report))
    return str(reports.render_report(report, f".{kind}", previous=previous))


def junit_properties(report: dict[str, Any]) -> list[tuple[str, str]]:
    """Suite-level JUnit properties: the score, its band, each section; small scalars only."""
    score_part = report["score"]
    props = [
        ("ml_score", f"{score_part['final']:g}"),
        ("ml_score_band", str(score_part["band"]["name"])),
        ("ml_score_scale", str(score_part["scale"])),
        ("ml_score_complete", "true" if report.get("complete", True) else "false"),
    ]
    props += [
        (f"ml_score_{section}", f"{value['score']:g}")
        for section, value in score_part["sections"].items()
    ]
    gate = report.get("gate")
    if gate is not None:
        props.append(("ml_score_gate", "passed" if gate["passed"] else "failed"))
    return props


def _add_junit_properties(config: pytest.Config, report: dict[str, Any]) -> None:
    """Add the score to ``--junitxml`` as ``<testsuite><properties>``.

    Uses what pytest's ``record_testsuite_property`` fixture uses (the junitxml
    plugin's ``add_global_property``), reached through the plugin manager, so it also
    works on the pytest-xdist controller where no test runs. Without ``--junitxml``
    it does nothing.
    """
    junit = config.pluginmanager.get_plugin("junitxml")
    key = getattr(junit, "xml_key", None)
    xml = config.stash.get(key, None) if key is not None else None
    add = getattr(xml, "add_global_property", None)
    if add is None:
        return
    for name, value in junit_properties(report):
        add(name, value)


def _display(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
