"""Running one check: inputs in, :class:`AutomatedEvidence` out, never an exception."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from typing import Any

from mltestscore import registry
from mltestscore.context import CheckContext
from mltestscore.registry import CheckSpec, spec_for, threshold_problems
from mltestscore.results import AutomatedEvidence, CheckResult, NotAutomated, Status

# Progress of the checks that run (``pytest --log-cli-level=INFO`` streams it): a run that
# sits silent for minutes looks hung.
log = logging.getLogger("mltestscore.runner")


def missing_inputs(spec: CheckSpec, available: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(name for name in spec.inputs if name not in available)


def _coerce(spec: CheckSpec, value: object) -> CheckResult:
    if isinstance(value, CheckResult):
        return value
    if value is None or value is True:
        return CheckResult.passed(f"{spec.name} passed")
    if value is False:
        return CheckResult.failed(f"{spec.name} returned False")
    raise TypeError(
        f"check {spec.name} returned {type(value).__name__}; expected a CheckResult, "
        "True/False or None"
    )


def summarize_exception(exc: BaseException, limit: int = 6) -> str:
    """A short, readable traceback summary: the exception and its last frames."""
    frames = traceback.extract_tb(exc.__traceback__)[-limit:]
    where = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in frames)
    return f"{type(exc).__name__}: {exc}\n{where}".rstrip()


def run_check(
    spec: CheckSpec,
    inputs: Mapping[str, Any],
    *,
    thresholds: Mapping[str, Any] | None = None,
    context: CheckContext | None = None,
) -> AutomatedEvidence:
    """Run ``spec`` with the given inputs; a crash becomes an ERROR outcome."""
    source = spec.source
    missing = missing_inputs(spec, inputs)
    if missing:
        fixtures = ", ".join(f"ml_{m}" for m in missing)
        return AutomatedEvidence(
            source,
            Status.NOT_AUTOMATED,
            f"not automated: define fixture(s) {fixtures}",
            {"missing_fixtures": [f"ml_{m}" for m in missing]},
        )
    kwargs: dict[str, Any] = {
        name: inputs[name] for name in spec.inputs + spec.optional_inputs if name in inputs
    }
    overrides = dict(thresholds or {})
    problems = threshold_problems(spec, overrides)
    if problems:
        return AutomatedEvidence(
            source,
            Status.ERROR,
            "bad threshold(s): "
            + "; ".join(
                f'thresholds."{spec.test_id}".{name}: {message}' for name, message in problems
            ),
            {"config_problems": [name for name, _ in problems]},
            f'Fix [tool.mltestscore.thresholds."{spec.test_id}"] and rerun.',
        )
    kwargs.update(overrides)
    if spec.wants_context:
        kwargs["context"] = context or CheckContext.default()
    log.info("%s: running %s", spec.test_id, source)
    start = time.perf_counter()
    try:
        result = _coerce(spec, spec.func(**kwargs))
    except NotAutomated as exc:
        return AutomatedEvidence(
            source,
            Status.NOT_AUTOMATED,
            f"not automated: {exc}",
            duration_s=time.perf_counter() - start,
        )
    except KeyboardInterrupt:
        raise  # the person at the keyboard stops the run; the report says it is incomplete
    except BaseException as exc:  # a crashing check is an outcome, not a crashed run
        if _is_pytest_outcome(exc, "Exit"):
            raise  # pytest.exit(): stop the run, as asked
        if _is_pytest_outcome(exc, "Skipped"):
            return AutomatedEvidence(
                source,
                Status.NOT_AUTOMATED,
                f"not automated: the check skipped itself: {exc}",
                duration_s=time.perf_counter() - start,
            )
        # SystemExit, GeneratorExit and other BaseExceptions included: a check that
        # exits the interpreter has crashed, and a crashed check scores 0.
        return AutomatedEvidence(
            source,
            Status.ERROR,
            f"check raised {type(exc).__name__}: {exc}",
            {"traceback": summarize_exception(exc)},
            "Fix the error above (in the check's inputs or the check itself) and rerun.",
            time.perf_counter() - start,
        )
    seconds = time.perf_counter() - start
    log.info("%s: %s in %.1f s", spec.test_id, result.status.value, seconds)
    return AutomatedEvidence(
        source,
        result.status,
        result.message,
        dict(result.evidence),
        result.next_step,
        seconds,
    )


def _is_pytest_outcome(exc: BaseException, name: str) -> bool:
    """Is ``exc`` pytest's ``Exit``/``Skipped`` outcome? (Told by name: no pytest import.)"""
    return any(
        cls.__name__ == name and cls.__module__.startswith("_pytest") for cls in type(exc).__mro__
    )


def builtin_specs() -> dict[str, CheckSpec]:
    """All 28 built-in checks; a section that failed to import yields checks that error."""
    from mltestscore.checks import LOAD_ERRORS
    from mltestscore.rubric import RUBRIC

    specs: dict[str, CheckSpec] = {}
    for test in RUBRIC:
        spec = registry.BUILTIN_CHECKS.get(test.id)
        if spec is None:
            problem = LOAD_ERRORS.get(test.section, "no built-in check is registered")
            spec = spec_for(test.id, _unavailable(test.section, problem), builtin=True)
        specs[test.id] = spec
    return specs


def _unavailable(section: str, problem: str) -> Any:
    def unavailable_check() -> CheckResult:
        """Stands in for a check whose module could not be loaded."""
        raise RuntimeError(f"built-in {section} checks could not be loaded: {problem}")

    return unavailable_check


def run_builtin(
    test_id: str,
    inputs: Mapping[str, Any],
    *,
    thresholds: Mapping[str, Any] | None = None,
    context: CheckContext | None = None,
) -> AutomatedEvidence:
    """Run the built-in check for ``test_id`` (loading :mod:`mltestscore.checks`)."""
    return run_check(builtin_specs()[test_id], inputs, thresholds=thresholds, context=context)
