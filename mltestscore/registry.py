"""Check registry and the decorators that turn a team's code into evidence.

Built-in checks register with :func:`register_builtin_check` into the plain dict
:data:`BUILTIN_CHECKS` (one per rubric id; a duplicate raises). A team's checks
and tests are *marked* by :func:`check` and :func:`covers`: the function is
returned unchanged, carrying the ids, and the pytest plugin finds it.

Check signature convention (the plugin and :func:`mltestscore.run_check` rely on it):

- positional-or-keyword parameters are **inputs**, filled from fixtures named
  ``ml_<parameter>``; without a default they are required (missing → *not
  automated*), with a default they are optional;
- keyword-only parameters (after ``*``) are **thresholds**, overridable from
  ``[tool.mltestscore.thresholds."<id>"]``;
- a parameter named ``context`` receives the :class:`mltestscore.context.CheckContext`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from mltestscore.rubric import get as get_rubric_test

F = TypeVar("F", bound=Callable[..., Any])

CHECK_ATTR = "__mltestscore_check__"
COVERS_ATTR = "__mltestscore_covers__"
CONTEXT_PARAM = "context"


@dataclass(frozen=True)
class CheckSpec:
    """A registered check and the shape of its signature."""

    test_id: str
    func: Callable[..., Any]
    name: str
    inputs: tuple[str, ...]
    optional_inputs: tuple[str, ...]
    thresholds: Mapping[str, Any]
    wants_context: bool
    builtin: bool

    @property
    def source(self) -> str:
        """How evidence from this check is labelled in reports."""
        return f"builtin:{self.test_id}" if self.builtin else f"check:{self.name}"

    @property
    def fixtures(self) -> tuple[str, ...]:
        return tuple(f"ml_{p}" for p in self.inputs)

    @property
    def optional_fixtures(self) -> tuple[str, ...]:
        return tuple(f"ml_{p}" for p in self.optional_inputs)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.func) or ""


def spec_for(test_id: str, func: Callable[..., Any], *, builtin: bool) -> CheckSpec:
    """Read ``func``'s signature into a :class:`CheckSpec`."""
    get_rubric_test(test_id)
    inputs: list[str] = []
    optional: list[str] = []
    thresholds: dict[str, Any] = {}
    wants_context = False
    for param in inspect.signature(func).parameters.values():
        if param.name == CONTEXT_PARAM:
            wants_context = True
        elif param.kind is inspect.Parameter.KEYWORD_ONLY:
            if param.default is inspect.Parameter.empty:
                raise TypeError(
                    f"check {func.__qualname__}: threshold {param.name!r} needs a default"
                )
            thresholds[param.name] = param.default
        elif param.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.POSITIONAL_ONLY,
        ):
            if param.default is inspect.Parameter.empty:
                inputs.append(param.name)
            else:
                optional.append(param.name)
        else:
            raise TypeError(f"check {func.__qualname__}: *args/**kwargs are not supported")
    name = f"{func.__module__}.{func.__qualname__}"
    return CheckSpec(
        test_id, func, name, tuple(inputs), tuple(optional), thresholds, wants_context, builtin
    )


def _kinds_of(spec: CheckSpec, name: str) -> set[str] | None:
    """The kinds of value threshold ``name`` accepts, from its default and annotation.

    Kinds: ``number`` (int or float, finite, not bool), ``bool``, ``str``, ``list``,
    ``mapping``, ``none``. ``None`` means "cannot tell": any value is passed through.
    """
    default = spec.thresholds[name]
    kinds: set[str] = set()
    annotation = inspect.signature(spec.func).parameters[name].annotation
    if isinstance(annotation, str) and annotation:
        for token in annotation.split("|"):
            head = token.strip().split("[", 1)[0].split(".")[-1]
            kind = _ANNOTATION_KINDS.get(head)
            if kind is None:
                return None  # a type this check alone understands: pass the value through
            kinds.add(kind)
    elif isinstance(annotation, type):
        kinds.add(_ANNOTATION_KINDS.get(annotation.__name__, ""))
        kinds.discard("")
    return _default_kind(default, kinds)


_ANNOTATION_KINDS = {
    "float": "number",
    "int": "number",
    "bool": "bool",
    "str": "str",
    "None": "none",
    "Sequence": "list",
    "list": "list",
    "tuple": "list",
    "Mapping": "mapping",
    "dict": "mapping",
}


def _default_kind(default: object, kinds: set[str]) -> set[str] | None:
    if isinstance(default, bool):
        kinds.add("bool")
    elif isinstance(default, (int, float)):
        kinds.add("number")
    elif isinstance(default, str):
        kinds.add("str")
    elif isinstance(default, (list, tuple)):
        kinds.add("list")
    elif isinstance(default, Mapping):
        kinds.add("mapping")
    elif default is None:
        kinds.add("none")
    else:
        return None
    return kinds


def _kind(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    return type(value).__name__


_KIND_TEXT = {
    "number": "a finite number",
    "bool": "true or false",
    "str": "a string",
    "list": "a list",
    "mapping": "a table",
    "none": "nothing",
}


def threshold_problems(spec: CheckSpec, overrides: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(threshold, message)`` for each override the check cannot take.

    Unknown names, and values whose type does not match the threshold's default or
    annotation (a string ``"20"`` for a number, NaN or infinity anywhere), are
    reported here, before the check is called, never as a crash inside it.
    """
    problems: list[tuple[str, str]] = []
    for name, value in overrides.items():
        if name not in spec.thresholds:
            known = ", ".join(sorted(spec.thresholds)) or "(none)"
            hint = _did_you_mean(name, spec.thresholds)
            problems.append(
                (name, f"unknown threshold for {spec.test_id}{hint}; expected one of {known}")
            )
            continue
        bad = _non_finite(value)
        if bad:
            problems.append((name, f"expected finite numbers, got {value!r}"))
            continue
        kinds = _kinds_of(spec, name)
        if kinds is None or _kind(value) in kinds:
            continue
        expected = " or ".join(_KIND_TEXT[k] for k in sorted(kinds) if k != "none")
        problems.append(
            (name, f"expected {expected} (default {spec.thresholds[name]!r}), got {value!r}")
        )
    return problems


def _non_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Mapping):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_non_finite(v) for v in value)
    return False


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


BUILTIN_CHECKS: dict[str, CheckSpec] = {}


def register_builtin_check(test_id: str) -> Callable[[F], F]:
    """Register ``func`` as the built-in check for ``test_id`` (one per id)."""

    def decorator(func: F) -> F:
        if test_id in BUILTIN_CHECKS:
            raise ValueError(
                f"built-in check for {test_id} already registered: {BUILTIN_CHECKS[test_id].name}"
            )
        BUILTIN_CHECKS[test_id] = spec_for(test_id, func, builtin=True)
        return func

    return decorator


def _validate_ids(ids: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not ids:
        raise TypeError(f'{what} needs at least one rubric id, e.g. {what}("infra.1")')
    for test_id in ids:
        if not isinstance(test_id, str):
            raise TypeError(f"{what}: rubric ids are strings, got {test_id!r}")
        get_rubric_test(test_id)
    return ids


def check(*test_ids: str) -> Callable[[F], F]:
    """Mark a team's function as an automated check for the given rubric ids.

    The function follows the check signature convention and returns a
    :class:`~mltestscore.results.CheckResult` (or ``None``/``True`` for a pass,
    ``False`` for a fail). It is returned unchanged.
    """
    ids = _validate_ids(test_ids, "mltestscore.check")

    def decorator(func: F) -> F:
        for test_id in ids:
            spec_for(test_id, func, builtin=False)  # validate the signature now
        setattr(func, CHECK_ATTR, ids)
        return func

    return decorator


def covers(*test_ids: str) -> Callable[[F], F]:
    """Mark a team's test as evidence for rubric ids (same as ``pytest.mark.ml_score``)."""
    ids = _validate_ids(test_ids, "mltestscore.covers")

    def decorator(func: F) -> F:
        previous: tuple[str, ...] = getattr(func, COVERS_ATTR, ())
        setattr(func, COVERS_ATTR, previous + tuple(i for i in ids if i not in previous))
        return func

    return decorator


def checked_ids(func: object) -> tuple[str, ...]:
    return tuple(getattr(func, CHECK_ATTR, ()))


def covered_ids(func: object) -> tuple[str, ...]:
    return tuple(getattr(func, COVERS_ATTR, ()))
