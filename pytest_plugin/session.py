"""The plugin object registered when ``--ml-score`` is on: collect, aggregate, score, report.

Collection-time wiring (the rubric's items, team checks, contracts, threshold overrides)
is in :mod:`.wiring`; this object holds the run's state and its hooks.

Evidence travels as JSON text on a report attribute (:data:`items.PAYLOAD_ATTR`), set in
``pytest_runtest_makereport``: pytest-xdist serializes report attributes, so the same
aggregation works in one process and on the controller, and the numbers are the same
either way (evidence is strict JSON before it leaves the check). ``user_properties``
are left to the team, so JUnit XML carries only the suite-level score properties.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from mltestscore.context import CheckContext
from mltestscore.manual import ConfigProblem
from mltestscore.pytest_plugin.items import (
    PAYLOAD_ATTR,
    CheckItem,
    marker_ids,
    marker_problems,
    payload,
    payload_key,
)
from mltestscore.pytest_plugin.wiring import rubric_items, team_items, unaccepted_thresholds
from mltestscore.registry import CheckSpec, checked_ids
from mltestscore.results import AutomatedEvidence, Status, json_safe
from mltestscore.settings import Settings


class MLScoreSession:
    def __init__(self, config: pytest.Config, settings: Settings, coverage: Any = None) -> None:
        self.config = config
        self.settings = settings
        self.context = CheckContext(
            root=settings.root,
            baseline_path=settings.baseline_path,
            update_baseline=settings.update_baseline,
            options=dict(settings.options),
            feature_coverage=coverage,
        )
        self.evidence: dict[str, tuple[list[str], AutomatedEvidence]] = {}
        self.fixtures: dict[str, list[str]] = {}
        self.tests: dict[str, tuple[list[str], Status, str]] = {}
        self.error_analysis: dict[str, Any] | None = None
        self.report: dict[str, Any] | None = None
        self.written: list[Path] = []
        self.write_errors: list[str] = []
        self.report_files: list[Path] = []  # written in full (not appended to): MLflow artifacts
        self.logged: list[str] = []  # where the score was logged besides the files
        self.gate: Any = None
        self.started = time.time()
        self.team_specs: list[CheckSpec] = []
        self.threshold_problems: dict[str, list[ConfigProblem]] = {}
        self.run_problems: dict[str, ConfigProblem] = {}
        self.collect_errors = 0
        self.interrupted = False
        self.builtin_seen: set[str] = set()
        self.not_scored = ""

    # -- collection ---------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_pycollect_makeitem(
        self, collector: pytest.Collector, name: str, obj: object
    ) -> Generator[None, Any, Any]:
        ids = checked_ids(obj)
        if ids and callable(obj) and isinstance(collector, (pytest.Module, pytest.Class)):
            yield
            return team_items(self, collector, name, obj, ids)
        result = yield
        items = result if isinstance(result, list) else [result] if result is not None else []
        for item in items:
            if isinstance(item, pytest.Item):
                problems = marker_problems(item)
                if problems:
                    raise collector.CollectError(f"{item.nodeid}: " + "; ".join(problems))
        return result

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        from mltestscore.runner import builtin_specs

        by_id = builtin_specs()
        self.threshold_problems = unaccepted_thresholds(self.settings, by_id, self.team_specs)
        items.extend(rubric_items(self, session, items, by_id))

    def thresholds_for(self, spec: CheckSpec) -> dict[str, Any]:
        """The overrides of ``spec``'s id that ``spec`` accepts (others are for other checks)."""
        overrides = self.settings.thresholds.get(spec.test_id, {})
        team = {k for s in self.team_specs if s.test_id == spec.test_id for k in s.thresholds}
        # A name no team check takes goes to the built-in check, which reports it
        # (unknown, or of the wrong type) instead of running with it.
        return {
            k: v
            for k, v in overrides.items()
            if k in spec.thresholds or (spec.builtin and k not in team)
        }

    # -- evidence onto reports (runs where the item runs) ----------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if isinstance(item, CheckItem):
            data = item.stash.get(payload_key, None) if report.when == "call" else None
            if data is None:
                data = payload("check", item.ml_ids, source=item.ml_source)
            if report.skipped and isinstance(report.longrepr, tuple):
                # -rs names the rubric item (or the team's check function), not the
                # line of this plugin that called pytest.skip.
                reason = report.longrepr[2]
                if item.ml_title:  # pytest's terminal and junitxml accept a None line
                    report.longrepr = (item.ml_title, None, reason)  # type: ignore[assignment]
                else:
                    path, line, _ = item.reportinfo()
                    shown = self.config.rootpath / path if not Path(path).is_absolute() else path
                    report.longrepr = (str(shown), (line or 0) + 1, reason)
        else:
            ids = marker_ids(item)
            data = payload("test", ids) if ids else None
        if data is not None:
            # Plain JSON text: execnet carries it to the xdist controller whatever the
            # check put in its evidence (arrays, sets, NaN are converted first).
            clean, _ = json_safe(data)
            setattr(report, PAYLOAD_ATTR, json.dumps(clean, allow_nan=False))
        return report

    # -- aggregation (runs on the xdist controller too) ----------------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors += 1

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # Collection errors arrive here too (as pytest's Interrupted): only Ctrl-C counts.
        self.interrupted = type(excinfo.value) is KeyboardInterrupt

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        text = getattr(report, PAYLOAD_ATTR, None)
        if not isinstance(text, str):
            return
        try:
            data: dict[str, Any] = json.loads(text)
        except ValueError:
            return
        kind = data.get("kind")
        ids = [str(i) for i in data.get("ids", [])]
        if kind == "check":
            self._record_check(report, ids, data)
        elif kind == "analysis" and report.when == "call":
            self.error_analysis = data.get("section")
        elif kind == "test":
            self._record_test(report, ids)

    def _record_check(
        self, report: pytest.TestReport, ids: list[str], data: dict[str, Any]
    ) -> None:
        for problem in data.get("config_problems") or []:
            self.run_problems[problem["key"]] = ConfigProblem(
                problem["file"], problem["key"], problem["message"], blocking=True
            )
        if "evidence" in data:
            evidence = AutomatedEvidence.from_dict(data["evidence"])
            self.evidence[report.nodeid] = (ids, evidence)
            for test_id in ids:
                if evidence.status in (Status.FAIL, Status.ERROR):
                    self.fixtures.setdefault(test_id, []).extend(data.get("fixtures") or [])
            if evidence.source.startswith("builtin:"):
                self.builtin_seen.update(ids)
        elif report.failed and report.nodeid not in self.evidence:
            # The item failed outside its check (setup, or a BaseException pytest
            # caught): a crashed check scores 0, never drops out of the evidence.
            self.evidence[report.nodeid] = (
                ids,
                AutomatedEvidence(
                    str(data.get("source") or f"check:{report.nodeid}"),
                    Status.ERROR,
                    f"{report.when} failed: {_crash_message(report)}",
                ),
            )
            if str(data.get("source", "")).startswith("builtin:"):
                self.builtin_seen.update(ids)

    def _record_test(self, report: pytest.TestReport, ids: list[str]) -> None:
        previous = self.tests.get(report.nodeid)
        if previous and previous[1] in (Status.FAIL, Status.ERROR):
            return  # a failure in an earlier phase stands
        status: Status
        if hasattr(report, "wasxfail"):
            status, message = Status.SKIP, "expected failure (xfail): not evidence"
        elif report.failed:
            status = Status.ERROR if report.when != "call" else Status.FAIL
            message = f"{report.when} failed: {_crash_message(report)}"
        elif report.skipped:
            status, message = Status.SKIP, "skipped: not evidence"
        elif report.when == "call":
            status, message = Status.PASS, "passed"
        else:
            return
        if previous and previous[1] is Status.PASS and status is Status.SKIP:
            return
        self.tests[report.nodeid] = (ids, status, message)

    def collected_evidence(self) -> dict[str, list[AutomatedEvidence]]:
        by_id: dict[str, list[AutomatedEvidence]] = {}
        for ids, evidence in self.evidence.values():
            for test_id in ids:
                by_id.setdefault(test_id, []).append(evidence)
        for nodeid, (ids, status, message) in sorted(self.tests.items()):
            if not status.is_evidence:
                continue  # skipped and xfailed tests are not evidence
            for test_id in ids:
                by_id.setdefault(test_id, []).append(
                    AutomatedEvidence(f"test:{nodeid}", status, message)
                )
        return by_id

    # -- finish -------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)  # before junitxml writes its file
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):
            return  # xdist worker: the controller scores
        from mltestscore.pytest_plugin.finish import finish

        finish(self, session, exitstatus)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from mltestscore.pytest_plugin.summary import summarize

        summarize(self, terminalreporter)


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return str(message).splitlines()[0][:300]
    lines = report.longreprtext.strip().splitlines()
    return lines[-1][:300] if lines else "no details"
