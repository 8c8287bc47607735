"""Rubric items: built-in and team checks run as pytest items, fed by ``ml_*`` fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore.registry import CheckSpec, covered_ids
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.rubric import RUBRIC_BY_ID

if TYPE_CHECKING:
    from mltestscore.pytest_plugin.session import MLScoreSession

PROPERTY = "mltestscore"
ERROR_ANALYSIS_FIXTURE = "ml_error_analysis"


class CheckFailed(Exception):
    """Raised by a check item whose evidence did not pass (shown without a traceback)."""


def marker_ids(item: pytest.Item) -> tuple[str, ...]:
    """Rubric ids a test covers, from ``ml_score`` markers and ``mltestscore.covers``."""
    ids: list[str] = []
    for mark in item.iter_markers("ml_score"):
        ids.extend(a for a in mark.args if a not in ids)
    obj = getattr(item, "obj", None)
    for source in (obj, getattr(item, "cls", None)):
        ids.extend(i for i in covered_ids(source) if i not in ids)
    return tuple(ids)


def marker_problems(item: pytest.Item) -> list[str]:
    problems = []
    for mark in item.iter_markers("ml_score"):
        if mark.kwargs:
            problems.append(f"ml_score takes rubric ids only, got keywords {sorted(mark.kwargs)}")
        if not mark.args:
            problems.append(
                'ml_score needs at least one rubric id, e.g. @pytest.mark.ml_score("infra.1")'
            )
        for arg in mark.args:
            if not isinstance(arg, str) or arg not in RUBRIC_BY_ID:
                problems.append(
                    f"unknown ML Test Score id {arg!r} in @pytest.mark.ml_score: expected one of "
                    "data.1-7, model.1-7, infra.1-7, monitor.1-7"
                )
    return problems


class RubricCollector(pytest.Collector):
    """Parent of the built-in check items (``ml-score::data.1`` …)."""

    def collect(self) -> Iterator[pytest.Item]:
        raise NotImplementedError("rubric items are created by the plugin")  # never collected


def _fixture_value(request: pytest.FixtureRequest, name: str) -> tuple[bool, Any]:
    """(found, value) for fixture ``name``; a missing fixture is (False, None)."""
    try:
        return True, request.getfixturevalue(name)
    except pytest.FixtureLookupError as exc:
        if getattr(exc, "argname", None) == name:
            return False, None
        raise


class InputError(Exception):
    """A team fixture raised while providing a check's input."""


def override_fixture(test_id: str, name: str) -> str:
    """The per-check fixture that overrides ``ml_<name>`` for one test: ``ml_data5_<name>``."""
    return f"ml_{test_id.replace('.', '')}_{name}"


def gather_inputs(request: pytest.FixtureRequest, spec: CheckSpec) -> dict[str, Any]:
    """Inputs from fixtures: ``ml_<test><n>_<name>`` for this check first, then ``ml_<name>``."""
    inputs: dict[str, Any] = {}
    for name in spec.inputs + spec.optional_inputs:
        for fixture in (override_fixture(spec.test_id, name), f"ml_{name}"):
            try:
                found, value = _fixture_value(request, fixture)
            except Exception as exc:
                raise InputError(f"fixture {fixture} raised {type(exc).__name__}: {exc}") from exc
            if found:
                inputs[name] = value
                break
    return inputs


def check_callable(
    session: MLScoreSession, spec: CheckSpec, ids: Sequence[str]
) -> Callable[[pytest.FixtureRequest], None]:
    """The function a check item runs: fixtures → inputs → check → evidence."""

    def ml_score_check(request: pytest.FixtureRequest) -> None:
        from mltestscore.runner import run_check

        try:
            inputs = gather_inputs(request, spec)
        except InputError as exc:
            evidence = AutomatedEvidence(
                spec.source,
                Status.ERROR,
                str(exc),
                next_step="Fix the fixture so it returns the check's input.",
            )
        else:
            evidence = run_check(
                spec,
                inputs,
                thresholds=session.settings.thresholds.get(spec.test_id),
                context=session.context,
            )
        request.node.user_properties.append(
            (PROPERTY, {"kind": "check", "ids": list(ids), "evidence": evidence.to_dict()})
        )
        judge(evidence)

    return ml_score_check


def judge(evidence: AutomatedEvidence) -> None:
    """Turn evidence into the item's pytest outcome."""
    if evidence.status is Status.NOT_AUTOMATED:
        pytest.skip(evidence.message)
    if evidence.status is Status.INCONCLUSIVE:
        pytest.skip(f"could not judge: {evidence.message}")
    if evidence.status is Status.FAIL:
        text = evidence.message + (
            f"\nnext step: {evidence.next_step}" if evidence.next_step else ""
        )
        raise CheckFailed(text)
    if evidence.status is Status.ERROR:
        raise CheckFailed(
            f"check crashed: {evidence.message}\n{evidence.evidence.get('traceback', '')}".rstrip()
        )


class CheckItem(pytest.Function):
    """A built-in or team check run as a pytest item."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return f"{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"ml-score::{self.name}"


def error_analysis_callable() -> Callable[[pytest.FixtureRequest], None]:
    def ml_score_error_analysis(request: pytest.FixtureRequest) -> None:
        found, value = _fixture_value(request, ERROR_ANALYSIS_FIXTURE)
        if not found:
            pytest.skip(f"no error analysis: define fixture {ERROR_ANALYSIS_FIXTURE}")
        from mltestscore.error_analysis import as_report_section

        section = as_report_section(value)
        request.node.user_properties.append((PROPERTY, {"kind": "analysis", "section": section}))

    return ml_score_error_analysis
