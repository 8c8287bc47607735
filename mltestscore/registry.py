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
from collections.abc import Callable, Mapping
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
