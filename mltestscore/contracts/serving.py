"""The serving guard: enforce a model contract around a predict function at run time.

``guard(predict)`` returns a wrapper that checks each call's input against the
contract *before* the model runs, then the output (finite, in range) and the
latency. Violations are counted per kind in ``wrapped.stats``; depending on
``on_violation`` they are also logged (rate-limited, never with input values)
or raised as :class:`~mltestscore.contracts.ContractViolation`. A slow call is
only counted: raising after the work is done would help nobody.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mltestscore.contracts.declare import CONTRACT_ATTR, get_contract
from mltestscore.contracts.spec import Contract, ContractError, ContractViolation
from mltestscore.contracts.values import check_input, check_output

OnViolation = Literal["log", "raise", "count"]
_MODES = ("log", "raise", "count")
_LOG_AT = frozenset({1, 10, 100})  # then every 1000th violating call


@dataclass
class GuardStats:
    """Counts kept by a :func:`guard` wrapper (``wrapped.stats``); thread-safe updates."""

    calls: int = 0
    violating_calls: int = 0
    violations: dict[str, int] = field(default_factory=dict)
    last_violation: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total_violations(self) -> int:
        return sum(self.violations.values())

    @property
    def violation_rate(self) -> float:
        """Share of calls with at least one violation."""
        return self.violating_calls / self.calls if self.calls else 0.0

    def record(self, problems: list[tuple[str, str]], *, new_call: bool) -> int:
        """Count one call (when ``new_call``) and its problems; return the violating-call count."""
        with self._lock:
            if new_call:
                self.calls += 1
            if problems:
                for kind, message in problems:
                    self.violations[kind] = self.violations.get(kind, 0) + 1
                    self.last_violation = f"{kind}: {message}"
            return self.violating_calls

    def mark_violating(self) -> int:
        with self._lock:
            self.violating_calls += 1
            return self.violating_calls

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "violating_calls": self.violating_calls,
            "violation_rate": self.violation_rate,
            "violations": dict(self.violations),
            "last_violation": self.last_violation,
        }

    def reset(self) -> None:
        with self._lock:
            self.calls = self.violating_calls = 0
            self.violations = {}
            self.last_violation = ""


class GuardedPredict:
    """A predict function wrapped with its contract (see :func:`guard`)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        contract: Contract,
        on_violation: OnViolation,
        logger: logging.Logger,
    ) -> None:
        functools.update_wrapper(self, fn, updated=())  # name and doc, not fn's attributes
        self.__dict__[CONTRACT_ATTR] = contract
        self.fn = fn
        self.contract = contract
        self.on_violation = on_violation
        self.logger = logger
        self.stats = GuardStats()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inputs = check_input(self.contract, args[0]) if args else []
        self.stats.record(inputs, new_call=True)
        violating = bool(inputs)
        if violating:
            self._violate(inputs)
        start = time.perf_counter()
        output = self.fn(*args, **kwargs)
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        problems = check_output(self.contract, output)
        budget = self.contract.latency_ms
        slow = budget is not None and elapsed_ms > budget
        if slow:
            late = [("latency", f"call took {elapsed_ms:.1f} ms, budget {budget:g} ms")]
            self.stats.record(late, new_call=False)
        if problems:
            self.stats.record(problems, new_call=False)
        if (problems or slow) and not violating:
            self._log(self.stats.mark_violating(), problems or late)
        elif problems and violating:
            self._log(self.stats.violating_calls, problems)
        if problems and self.on_violation == "raise":
            kind, message = problems[0]
            raise ContractViolation(kind, message)
        return output

    def _violate(self, problems: list[tuple[str, str]]) -> None:
        """Handle input problems: count the call as violating, log or raise before the model runs."""
        count = self.stats.mark_violating()
        if self.on_violation == "raise":
            kind, message = problems[0]
            raise ContractViolation(kind, message)
        self._log(count, problems)

    def _log(self, count: int, problems: list[tuple[str, str]]) -> None:
        if self.on_violation != "log" or not (count in _LOG_AT or count % 1000 == 0):
            return
        kinds = ", ".join(sorted({kind for kind, _ in problems}))
        self.logger.warning(
            "%s: contract violated (%s) on %d of %d calls so far",
            getattr(self.fn, "__qualname__", "predict"),
            kinds,
            count,
            self.stats.calls,
        )


def guard(
    fn: Callable[..., Any],
    contract: Contract | None = None,
    *,
    on_violation: OnViolation = "log",
    schema: Any = None,
    logger: logging.Logger | None = None,
) -> GuardedPredict:
    """Wrap a serving predict function so its contract is enforced on every call.

    ``contract`` defaults to the one declared with ``@model_contract`` on ``fn``
    (or its class); ``schema`` (pandera, Great Expectations or a tensor schema)
    replaces the contract's input rule. ``on_violation``: ``"log"`` (warn,
    rate-limited, no input values), ``"raise"`` (:class:`ContractViolation`;
    bad inputs never reach the model) or ``"count"`` (only ``wrapped.stats``).
    """
    if not callable(fn):
        raise TypeError(f"guard() needs a callable predict function, got {fn!r}")
    if on_violation not in _MODES:
        raise ValueError(f"on_violation must be one of {', '.join(_MODES)}, got {on_violation!r}")
    contract = contract if contract is not None else get_contract(fn)
    if contract is None:
        contract = Contract()
    if not isinstance(contract, Contract):
        raise ContractError(f"guard() needs a mltestscore Contract, got {contract!r}")
    if schema is not None:
        contract = dataclasses.replace(contract, input=schema)
    return GuardedPredict(
        fn, contract, on_violation, logger or logging.getLogger("mltestscore.guard")
    )
