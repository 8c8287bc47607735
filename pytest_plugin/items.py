"""Rubric items: built-in and team checks run as pytest items, fed by ``ml_*`` fixtures.

A check item keeps its evidence in ``item.stash``; the session plugin copies it onto
the test report as plain JSON text (:data:`PAYLOAD_ATTR`), which pytest-xdist carries
to the controller like any report attribute. Nothing goes into ``user_properties``,
so JUnit XML stays free of evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mltestscore.registry import CheckSpec, covered_ids
from mltestscore.results import AutomatedEvidence, Status
from mltestscore.rubric import RUBRIC_BY_ID

if TYPE_CHECKING:
    from mltestscore.pytest_plugin.session import MLScoreSession

PAYLOAD_ATTR = "mltestscore_payload"
ERROR_ANALYSIS_FIXTURE = "ml_error_analysis"
RUBRIC_PREFIX = "ml-score"
payload_key: pytest.StashKey[dict[str, Any]] = pytest.StashKey()


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
    from mltestscore.settings import did_you_mean

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
                hint = did_you_mean(arg, set(RUBRIC_BY_ID)) if isinstance(arg, str) else ""
                problems.append(
                    f"unknown ML Test Score id {arg!r}{hint} in @pytest.mark.ml_score: expected "
                    "one of data.1-7, model.1-7, infra.1-7, monitor.1-7"
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


def gather_inputs(
    request: pytest.FixtureRequest,
    spec: CheckSpec,
    used: list[str] | None = None,
    unavailable: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Inputs from fixtures: ``ml_<test><n>_<name>`` for this check first, then ``ml_<name>``.

    Required inputs are looked up first: when one is missing the optional ones are
    not built (a team's expensive optional fixture costs nothing for a check that
    cannot run). An input provider that cannot derive an input leaves it missing and
    says why in ``unavailable`` (name → reason); a team fixture that raises is an
    :class:`InputError`.
    """
    inputs: dict[str, Any] = {}
    for group in (spec.inputs, spec.optional_inputs):
        for name in group:
            for fixture in (override_fixture(spec.test_id, name), f"ml_{name}"):
                try:
                    found, value = _fixture_value(request, fixture)
                except Exception as exc:
                    raise InputError(
                        f"fixture {fixture} raised {type(exc).__name__}: {exc}"
                    ) from exc
                if found:
                    inputs[name] = value
                    if used is not None:
                        used.append(fixture)
                    break
            else:
                _provided(request, spec.test_id, name, inputs, used, unavailable)
        if group is spec.inputs and any(n not in inputs for n in spec.inputs):
            break
    return inputs


def _provided(
    request: pytest.FixtureRequest,
    test_id: str,
    name: str,
    inputs: dict[str, Any],
    used: list[str] | None,
    unavailable: dict[str, str] | None = None,
) -> None:
    """An input no fixture gives, from an input provider (``ml_lightning_module`` …).

    A derivation that fails (a batch that is not an ``(inputs, targets)`` pair, a module
    without a loss) leaves the input missing — the check is not automated, with the
    provider's reason — while a team fixture that raises when the provider reads it is
    the team's error and surfaces as :class:`InputError`.
    """
    from mltestscore.providers import INPUT_PROVIDERS, provide

    if not INPUT_PROVIDERS:
        return

    def lookup(fixture: str) -> tuple[bool, Any]:
        try:
            return _fixture_value(request, fixture)
        except Exception as exc:
            raise InputError(f"fixture {fixture} raised {type(exc).__name__}: {exc}") from exc

    try:
        found, value, provider = provide(test_id, name, lookup)
    except InputError:
        raise
    except Exception as exc:
        if unavailable is not None:
            unavailable[name] = f"{type(exc).__name__}: {exc}"
        return
    if found:
        inputs[name] = value
        if used is not None:
            used.append(f"ml_{name} (from {provider})")


def payload(
    kind: str, ids: Sequence[str], evidence: AutomatedEvidence | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": kind, "ids": list(ids), **extra}
    if evidence is not None:
        data["evidence"] = evidence.to_dict()
    return data


def check_callable(
    session: MLScoreSession, spec: CheckSpec, ids: Sequence[str]
) -> Callable[[pytest.FixtureRequest], None]:
    """The function a check item runs: fixtures → inputs → check → evidence."""

    def ml_score_check(request: pytest.FixtureRequest) -> None:
        from mltestscore.runner import run_check

        problems = session.threshold_problems.get(spec.test_id, []) if spec.builtin else []
        used: list[str] = []
        unavailable: dict[str, str] = {}
        try:
            inputs = gather_inputs(request, spec, used, unavailable)
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
                thresholds=session.thresholds_for(spec),
                context=session.context,
            )
            evidence = _with_provider_reasons(evidence, unavailable)
        request.node.stash[payload_key] = payload(
            "check",
            ids,
            evidence,
            config_problems=[p.to_dict() for p in problems],
            fixtures=used,
        )
        judge(evidence, report_only=session.settings.report_only)

    return ml_score_check


def _with_provider_reasons(
    evidence: AutomatedEvidence, unavailable: Mapping[str, str]
) -> AutomatedEvidence:
    """A not-automated verdict that names why a provider could not derive a missing input."""
    missing = evidence.evidence.get("missing_fixtures")
    if evidence.status is not Status.NOT_AUTOMATED or not missing:
        return evidence
    reasons = {f"ml_{n}": why for n, why in unavailable.items() if f"ml_{n}" in missing}
    if not reasons:
        return evidence
    said = "; ".join(f"{fixture} could not be derived ({why})" for fixture, why in reasons.items())
    return dataclasses.replace(
        evidence,
        message=f"{evidence.message} — {said}",
        evidence={**evidence.evidence, "not_derived": reasons},
    )


def judge(evidence: AutomatedEvidence, *, report_only: bool = False) -> None:
    """Turn evidence into the item's pytest outcome (xfail in report-only mode)."""
    if evidence.status is Status.NOT_AUTOMATED:
        pytest.skip(evidence.message)
    if evidence.status is Status.INCONCLUSIVE:
        pytest.skip(f"could not judge: {evidence.message}")
    if evidence.status is Status.FAIL:
        text = evidence.message + (
            f"\nnext step: {evidence.next_step}" if evidence.next_step else ""
        )
        if report_only:
            pytest.xfail(f"report only: {evidence.message}")
        raise CheckFailed(text)
    if evidence.status is Status.ERROR:
        if report_only:
            pytest.xfail(f"report only: check crashed: {evidence.message}")
        raise CheckFailed(
            f"check crashed: {evidence.message}\n{evidence.evidence.get('traceback', '')}".rstrip()
        )


class CheckItem(pytest.Function):
    """A built-in or team check run as a pytest item."""

    ml_ids: tuple[str, ...] = ()
    ml_source: str = ""
    ml_title: str = ""
    ml_origin: tuple[Any, int] | None = None  # a team check: its file and 0-based line

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return f"{self.ml_title or self.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        if self.ml_title.startswith(RUBRIC_PREFIX):
            # The trailing space keeps the title from being a suffix of the node id:
            # pytest's verbose line would otherwise turn "data.2" into "data::2". The
            # header of a failure and the -v line then both read ml-score::data.2.
            return self.path, None, self.ml_title + " "
        if self.ml_origin is not None:  # the team's function, not the plugin's wrapper
            return self.ml_origin[0], self.ml_origin[1], self.name
        return super().reportinfo()


def make_check_item(
    parent: pytest.Collector,
    name: str,
    callobj: Callable[..., Any],
    ids: Sequence[str],
    source: str,
    title: str = "",
    origin: object = None,
) -> CheckItem:
    item: CheckItem = CheckItem.from_parent(parent, name=name, callobj=callobj)
    item.ml_ids, item.ml_source, item.ml_title = tuple(ids), source, title
    code = getattr(origin, "__code__", None)
    if code is not None:
        item.ml_origin = (Path(code.co_filename), code.co_firstlineno - 1)
    return item


def error_analysis_callable() -> Callable[[pytest.FixtureRequest], None]:
    def ml_score_error_analysis(request: pytest.FixtureRequest) -> None:
        found, value = _fixture_value(request, ERROR_ANALYSIS_FIXTURE)
        if not found:
            pytest.skip(f"no error analysis: define fixture {ERROR_ANALYSIS_FIXTURE}")
        from mltestscore.error_analysis import as_report_section
        from mltestscore.report import safe_error_analysis

        section = safe_error_analysis(as_report_section(value))
        request.node.stash[payload_key] = {"kind": "analysis", "ids": [], "section": section}

    return ml_score_error_analysis


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
