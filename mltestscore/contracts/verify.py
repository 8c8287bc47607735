"""Judging a declared model contract on canary inputs.

The pytest plugin makes one rubric item per contract it finds in the modules named
by ``[tool.mltestscore] contract_modules`` (:func:`contract_check`); the contract's
rules become evidence for infra.2 (deterministic outputs), monitor.5 (finite,
in-range outputs) and monitor.6 (latency budget) — :data:`CONTRACT_IDS`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from mltestscore.contracts.spec import Contract
from mltestscore.contracts.values import check_input, check_output
from mltestscore.results import CheckResult, NotAutomated

CONTRACT_IDS = ("infra.2", "monitor.5", "monitor.6")


def _same(a: Any, b: Any) -> bool:
    import numpy as np

    from mltestscore.inputs.arrays import to_numpy  # numpy loads when a contract is judged

    try:
        left, right = to_numpy(a), to_numpy(b)
    except Exception:
        return bool(a == b)
    if left.shape != right.shape:
        return False
    if left.dtype.kind in "fc":
        return bool(np.array_equal(left, right, equal_nan=True))
    return bool(np.array_equal(left, right))


def verify_contract(
    name: str,
    fn: Callable[[Any], Any],
    contract: Contract,
    canary_inputs: Any,
    *,
    repeats: int = 5,
) -> CheckResult:
    """Call ``fn`` on the canary inputs and judge each rule of ``contract``."""
    problems: list[tuple[str, str]] = []
    input_problems = check_input(contract, canary_inputs)
    if input_problems:
        kinds = ", ".join(f"{k} ({m})" for k, m in input_problems)
        return CheckResult.failed(
            f"{name}: the canary inputs break the declared input contract: {kinds}",
            {"contract": contract.to_dict()},
            "Make the canary inputs match what serving sends, or fix the contract's input rule.",
        )
    times_ms: list[float] = []
    outputs = []
    for _ in range(max(2, repeats)):
        start = time.perf_counter()
        outputs.append(fn(canary_inputs))
        times_ms.append((time.perf_counter() - start) * 1000.0)
    problems.extend(check_output(contract, outputs[0]))
    if contract.deterministic_eval and not _same(outputs[0], outputs[1]):
        problems.append(("deterministic", "two calls on the same inputs gave different outputs"))
    p95 = sorted(times_ms)[max(0, round(0.95 * len(times_ms)) - 1)]
    if contract.latency_ms is not None and p95 > contract.latency_ms:
        problems.append(("latency", f"p95 {p95:.2f} ms over the budget {contract.latency_ms:g} ms"))
    evidence = {
        "contract": contract.to_dict(),
        "calls": len(times_ms),
        "latency_ms_p50": round(statistics.median(times_ms), 3),
        "latency_ms_p95": round(p95, 3),
        "violations": [{"rule": k, "message": m} for k, m in problems],
    }
    if problems:
        return CheckResult.failed(
            f"{name} breaks its contract: " + "; ".join(f"{k}: {m}" for k, m in problems),
            evidence,
            "Fix the model or predict function, or correct the contract if it is wrong.",
        )
    return CheckResult.passed(
        f"{name} keeps its contract on {len(times_ms)} calls (p95 {p95:.2f} ms)", evidence
    )


def contract_check(name: str, obj: object, contract: Contract) -> Callable[[Any], CheckResult]:
    """A check function (input: ``canary_inputs``) verifying one discovered contract.

    A contract declared on a class or a method can only be judged on an instance:
    such a contract is "not automated" until the team hands one over as ``ml_model``.
    """

    def check_contract(canary_inputs: Any) -> CheckResult:
        if isinstance(obj, type) or "." in getattr(obj, "__qualname__", "").replace(
            "<locals>.", ""
        ):
            raise NotAutomated(
                f"contract on {name} needs an instance: hand one to the checks as ml_model"
            )
        if not callable(obj):
            raise TypeError(f"contract on {name}: {type(obj).__name__} is not callable")
        return verify_contract(name, obj, contract, canary_inputs)

    check_contract.__qualname__ = f"contract[{name}]"
    return check_contract
