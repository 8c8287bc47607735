"""The plugin object registered when ``--ml-score`` is on: collect, aggregate, score, report.

Evidence travels on ``report.user_properties`` so that the same aggregation
works in one process and on the pytest-xdist controller.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from mltestscore.context import CheckContext
from mltestscore.pytest_plugin.items import (
    PROPERTY,
    CheckItem,
    RubricCollector,
    check_callable,
    error_analysis_callable,
    marker_ids,
    marker_problems,
)
from mltestscore.registry import CheckSpec, checked_ids, spec_for
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.settings import Settings


def _common_parent(items: list[pytest.Item], session: pytest.Session) -> pytest.Collector:
    """The deepest directory node above every collected item (conftest fixtures stay visible)."""
    chains = [
        [n for n in item.listchain() if isinstance(n, (pytest.Directory, pytest.Session))]
        for item in items
    ]
    if not chains:
        return session
    common: pytest.Collector = session
    for nodes in zip(*chains, strict=False):  # the shortest chain bounds the walk
        if all(n is nodes[0] for n in nodes):
            common = nodes[0]
        else:
            break
    return common


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
        self.tests: dict[str, tuple[list[str], str, str]] = {}
        self.error_analysis: dict[str, Any] | None = None
        self.report: dict[str, Any] | None = None
        self.written: list[Path] = []
        self.write_errors: list[str] = []
        self.gate: Any = None
        self.started = time.time()

    # -- collection ---------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_pycollect_makeitem(
        self, collector: pytest.Collector, name: str, obj: object
    ) -> Generator[None, Any, Any]:
        ids = checked_ids(obj)
        if ids and callable(obj) and isinstance(collector, (pytest.Module, pytest.Class)):
            yield
            specs = [spec_for(i, obj, builtin=False) for i in ids]
            return [
                CheckItem.from_parent(
                    collector, name=name, callobj=check_callable(self, specs[0], ids)
                )
            ] + [
                CheckItem.from_parent(
                    collector,
                    name=f"{name}[{s.test_id}]",
                    callobj=check_callable(self, s, [s.test_id]),
                )
                for s in specs[1:]
            ]
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

        parent = _common_parent(items, session)
        # Under the root directory the items are simply ml-score::data.1 ...
        nodeid = "ml-score" if parent.nodeid in ("", ".") else f"{parent.nodeid}::ml-score"
        rubric = RubricCollector.from_parent(parent, name="ml-score", nodeid=nodeid)
        new: list[pytest.Item] = []
        by_id = builtin_specs()
        specs: list[CheckSpec] = [by_id[k] for k in sorted(by_id, key=_order)]
        for spec in specs:
            new.append(
                CheckItem.from_parent(
                    rubric, name=spec.test_id, callobj=check_callable(self, spec, [spec.test_id])
                )
            )
        new.extend(self._contract_items(rubric))
        new.append(
            CheckItem.from_parent(rubric, name="error-analysis", callobj=error_analysis_callable())
        )
        items.extend(new)

    def _contract_items(self, rubric: RubricCollector) -> list[pytest.Item]:
        """One item per contract found in ``[tool.mltestscore] contract_modules``."""
        modules = self.settings.options.get("contract_modules")
        if not modules:
            return []
        from mltestscore.checks.contracts import CONTRACT_IDS
        from mltestscore.contracts import discover

        try:
            found = discover(modules)
        except ImportError as exc:
            raise pytest.UsageError(f"{self.settings.file}: {exc}") from None
        items: list[pytest.Item] = []
        for name, obj, contract in found:
            spec = spec_for(CONTRACT_IDS[0], contract_check(name, obj, contract), builtin=False)
            items.append(
                CheckItem.from_parent(
                    rubric,
                    name=f"contract[{name}]",
                    callobj=check_callable(self, spec, list(CONTRACT_IDS)),
                )
            )
        return items

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if isinstance(item, CheckItem):
            return
        ids = marker_ids(item)
        if ids:
            item.user_properties.append((PROPERTY, {"kind": "test", "ids": list(ids)}))

    # -- aggregation (runs on the xdist controller too) ----------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payloads = [v for k, v in report.user_properties if k == PROPERTY and isinstance(v, dict)]
        if not payloads:
            return
        payload: dict[str, Any] = payloads[-1]
        kind = payload.get("kind")
        if kind == "check" and report.when == "call":
            evidence = AutomatedEvidence.from_dict(payload["evidence"])
            self.evidence[report.nodeid] = (list(payload["ids"]), evidence)
        elif kind == "check" and report.when == "setup" and report.failed:
            self.evidence[report.nodeid] = (
                list(payload.get("ids", [])),
                AutomatedEvidence(
                    f"check:{report.nodeid}",
                    Status.ERROR,
                    f"setup failed: {report.longreprtext[-500:]}",
                ),
            )
        elif kind == "analysis" and report.when == "call":
            self.error_analysis = payload["section"]
        elif kind == "test":
            self._record_test(report, list(payload["ids"]))

    def _record_test(self, report: pytest.TestReport, ids: list[str]) -> None:
        previous = self.tests.get(report.nodeid)
        if previous and previous[1] in ("fail", "error"):
            return  # a failure in an earlier phase stands
        if hasattr(report, "wasxfail"):
            status, message = "skip", "expected failure (xfail): not evidence"
        elif report.failed:
            status = "error" if report.when != "call" else "fail"
            message = f"{report.when} failed: {_crash_message(report)}"
        elif report.skipped:
            status, message = "skip", "skipped: not evidence"
        elif report.when == "call":
            status, message = "pass", "passed"
        else:
            return
        if previous and previous[1] == "pass" and status == "skip":
            return
        self.tests[report.nodeid] = (ids, status, message)

    def collected_evidence(self) -> dict[str, list[AutomatedEvidence]]:
        by_id: dict[str, list[AutomatedEvidence]] = {}
        for ids, evidence in self.evidence.values():
            for test_id in ids:
                by_id.setdefault(test_id, []).append(evidence)
        status_map = {"pass": Status.PASS, "fail": Status.FAIL, "error": Status.ERROR}
        for nodeid, (ids, status, message) in sorted(self.tests.items()):
            if status not in status_map:
                continue
            for test_id in ids:
                by_id.setdefault(test_id, []).append(
                    AutomatedEvidence(f"test:{nodeid}", status_map[status], message)
                )
        return by_id

    # -- finish -------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):
            return  # xdist worker: the controller scores
        from mltestscore.pytest_plugin.finish import finish

        finish(self, session)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        from mltestscore.reports.terminal import render

        tr = terminalreporter
        tr.write_sep("=", "ML Test Score")
        for line in render(self.report, verbose=self.config.option.verbose > 0):
            tr.write_line(line)
        for path in self.written:
            tr.write_line(f"ML Test Score report written: {path}")
        for error in self.write_errors:
            tr.write_line(error, red=True)
        if self.gate is not None and not self.gate.passed:
            tr.write_line(self.gate.summary, red=True, bold=True)


def contract_check(name: str, obj: object, contract: Any) -> Any:
    """A check function (input: canary_inputs) verifying one discovered contract."""
    from mltestscore.checks.contracts import verify_contract
    from mltestscore.results import NotAutomated

    def check_contract(canary_inputs: Any) -> Any:
        if isinstance(obj, type) or "." in getattr(obj, "__qualname__", "").replace(
            "<locals>.", ""
        ):
            raise NotAutomated(
                f"contract on {name} needs an instance: hand one to the checks as ml_model"
            )
        return verify_contract(name, obj, contract, canary_inputs)  # type: ignore[arg-type,unused-ignore]

    check_contract.__qualname__ = f"contract[{name}]"
    return check_contract


def _crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if message:
        return str(message).splitlines()[0][:300]
    lines = report.longreprtext.strip().splitlines()
    return lines[-1][:300] if lines else "no details"


def _order(test_id: str) -> tuple[int, int]:
    from mltestscore.rubric import SECTIONS

    section, number = test_id.split(".")
    # data.7 measures coverage of the team's tests: run it last.
    last = 1 if test_id == "data.7" else 0
    return (last, SECTIONS.index(section) * 10 + int(number))
