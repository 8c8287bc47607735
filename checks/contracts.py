"""Checking a declared model contract on canary inputs.

Used by the pytest plugin for the predict functions it finds in the modules named
by ``[tool.mltestscore] contract_modules``: the contract's rules become evidence
for infra.2 (deterministic outputs), monitor.5 (finite, in-range outputs) and
monitor.6 (latency budget).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from mltestscore.contract_values import check_input, check_output
from mltestscore.contracts import Contract
from mltestscore.results import CheckResult

CONTRACT_IDS = ("infra.2", "monitor.5", "monitor.6")


def _same(a: Any, b: Any) -> bool:
    import numpy as np

    try:
        left, right = np.asarray(_to_numpy(a)), np.asarray(_to_numpy(b))
    except Exception:
        return bool(a == b)
    if left.shape != right.shape:
        return False
    if left.dtype.kind in "fc":
        return bool(np.array_equal(left, right, equal_nan=True))
    return bool(np.array_equal(left, right))


def _to_numpy(value: Any) -> Any:
    detach = getattr(value, "detach", None)
    if callable(detach):
        return detach().cpu().numpy()
    return value


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
