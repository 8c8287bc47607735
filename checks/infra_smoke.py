"""infra.2 computations: the smoke suite's findings, plus the model's declared contract.

The smoke suite (:func:`mltestscore.checks.smoke.run`) is the unit test of the
model spec. When the model or its class carries a contract
(:func:`mltestscore.contracts.get_contract`), its structural promises are
checked on the batch's inputs as extra findings: outputs finite, inside
``output_range``, and identical across two eval-mode forward passes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mltestscore.checks.infra_arrays import compare_outputs, is_torch_module, rounded
from mltestscore.checks.infra_predict import torch_forward
from mltestscore.results import CheckResult, NotAutomated, Status

MAX_LIST = 20


def shrink(value: Any, depth: int = 0) -> Any:
    """Keep evidence small: long lists (loss curves) are downsampled to ~20 points."""
    if isinstance(value, Mapping):
        return {str(k): shrink(v, depth + 1) for k, v in value.items()} if depth < 4 else "…"
    if isinstance(value, (list, tuple)):
        items = list(value)
        if len(items) > MAX_LIST:
            idx = np.unique(np.linspace(0, len(items) - 1, MAX_LIST).round().astype(int))
            items = [items[i] for i in idx]
        return [shrink(v, depth + 1) for v in items]
    if isinstance(value, float):
        return rounded(value)
    return value


def smoke_findings(report: Any) -> list[dict[str, Any]]:
    """The report's findings as small JSON-able rows."""
    rows = []
    for f in report.findings:
        rows.append(
            {
                "name": f.name,
                "status": getattr(f.status, "value", str(f.status)),
                "message": f.message[:400],
                "metrics": shrink(dict(f.metrics)),
            }
        )
    return rows


def batch_inputs(batch: Any) -> Any:
    """The inputs of a smoke batch: ``batch[0]`` of an ``(inputs, targets)`` pair."""
    if isinstance(batch, Sequence) and not isinstance(batch, str) and len(batch) >= 2:
        inputs = batch[0]
        return tuple(inputs) if isinstance(inputs, list) else inputs  # list = positional
    if isinstance(batch, Mapping):
        for key in ("inputs", "input", "x", "X", "images"):
            if key in batch:
                return batch[key]
    return batch


def _finding(name: str, passed: bool, message: str, metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "status": "pass" if passed else "fail",
        "message": message,
        "metrics": metrics,
    }


def contract_findings(model: Any, batch: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """``(contract as dict, findings)``; ``(None, [])`` when no contract is declared."""
    try:
        from mltestscore.contracts import get_contract
    except ImportError:  # contracts not installed in this build
        return None, []
    contract = get_contract(model)
    if contract is None:
        return None, []
    inputs = batch_inputs(batch)
    findings: list[dict[str, Any]] = []
    first = torch_forward(model, inputs)
    values = first.astype(np.float64) if first.dtype.kind in "biuf" else None
    if contract.finite and values is not None:
        bad = int(np.count_nonzero(~np.isfinite(values)))
        findings.append(
            _finding(
                "contract_finite",
                bad == 0,
                "outputs are finite"
                if bad == 0
                else f"{bad} of {values.size} outputs are NaN/Inf though the contract says finite=True",
                {"nonfinite": bad, "outputs": int(values.size)},
            )
        )
    if contract.output_range is not None and values is not None:
        lo, hi = contract.output_range
        finite = values[np.isfinite(values)]
        below = int((finite < lo).sum()) if lo is not None else 0
        above = int((finite > hi).sum()) if hi is not None else 0
        seen = [rounded(float(finite.min())), rounded(float(finite.max()))] if finite.size else None
        findings.append(
            _finding(
                "contract_output_range",
                below + above == 0,
                f"outputs within the declared range [{lo}, {hi}] (seen {seen})"
                if below + above == 0
                else f"{below + above} outputs outside the declared range [{lo}, {hi}] "
                f"({below} below, {above} above; seen {seen})",
                {"declared": [lo, hi], "seen": seen, "below": below, "above": above},
            )
        )
    if contract.deterministic_eval:
        diff = compare_outputs(torch_forward(model, inputs), first, atol=0.0)
        findings.append(
            _finding(
                "contract_deterministic_eval",
                diff.equal,
                "two eval-mode forward passes agree exactly"
                if diff.equal
                else f"two eval-mode forward passes differ in {diff.mismatched} of {diff.compared} "
                f"outputs (max |diff| {diff.max_abs_diff}): dropout or sampling active in eval?",
                {"mismatched": diff.mismatched, "max_abs_diff": diff.max_abs_diff},
            )
        )
    findings.extend(_input_finding(contract, inputs))
    return contract.to_dict(), findings


def _input_finding(contract: Any, inputs: Any) -> list[dict[str, Any]]:
    """The batch's inputs against the contract's input spec or schema, when it declares one."""
    if contract.input is None:
        return []
    from mltestscore.contracts import check_input

    problems = [f"{kind}: {message}" for kind, message in check_input(contract, inputs)]
    return [
        _finding(
            "contract_input",
            not problems,
            "the batch's inputs match the declared input spec"
            if not problems
            else "the batch's inputs break the declared input spec: " + "; ".join(problems[:3]),
            {"problems": problems[:5]},
        )
    ]


#: The ``smoke.run`` keywords a team may pass through ``ml_smoke_options``.
SMOKE_OPTIONS = frozenset(
    {
        "train_step",
        "take_samples",
        "causal_dim",
        "batch_dim",
        "expected",
        "checks",
        "options",
        "max_seconds",
    }
)


def check_unit_tested(
    model: Any,
    batch: Any,
    loss_fn: Any,
    optimizer: Any,
    data: Any,
    *,
    seed: int,
    smoke_options: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Run the smoke suite (and the contract's promises) and judge the findings."""
    if not is_torch_module(model):
        raise NotAutomated(
            f"the smoke suite needs a torch.nn.Module; ml_model is a {type(model).__name__}"
        )
    run_kwargs = dict(smoke_options or {})
    unknown = sorted(set(run_kwargs) - SMOKE_OPTIONS)
    if unknown:
        raise ValueError(
            f"ml_smoke_options: unknown key(s) {unknown}; expected some of {sorted(SMOKE_OPTIONS)}"
        )
    from mltestscore.checks import smoke

    report = smoke.run(
        model, batch, loss_fn, optimizer=optimizer, data=data, seed=seed, **run_kwargs
    )
    findings: list[dict[str, Any]] = smoke_findings(report)
    contract: dict[str, Any] | None
    extra: list[dict[str, Any]]
    try:
        contract, extra = contract_findings(model, batch)
    except Exception as exc:  # the contract's forward pass itself failed
        contract, extra = (
            None,
            [
                {
                    "name": "contract",
                    "status": "error",
                    "metrics": {},
                    "message": f"checking the model contract raised {type(exc).__name__}: {exc}"[
                        :400
                    ],
                }
            ],
        )
    findings += extra
    evidence: dict[str, Any] = {
        "findings": findings,
        "seconds": rounded(report.seconds, 3),
        "contract": contract,
    }
    failed = [f for f in findings if f["status"] == "fail"]
    errored = [f for f in findings if f["status"] == "error"]
    untimed = [  # a fit the wall-clock cap cut short: not judged, so not a pass either
        f for f in findings if f["status"] == "skip" and f["metrics"].get("not_enough_time")
    ]
    warned = [f for f in findings if f["status"] == "warn"]
    judged = len(findings) - len(failed) - len(errored) - len(untimed) - len(warned)
    counts = (
        f"{len(findings)} findings: {judged} passed or skipped, {len(warned)} warnings, "
        f"{len(untimed)} not judged, {len(errored)} crashed, {len(failed)} failed"
    )
    if failed:
        names = ", ".join(f["name"] for f in failed)
        return CheckResult.failed(
            f"model unit tests failed ({counts}): {names}",
            evidence,
            f"{failed[0]['name']}: {failed[0]['message']}",
        )
    if errored:  # a smoke check that crashed judged nothing: an outcome, never a pass
        names = ", ".join(f["name"] for f in errored)
        return CheckResult(
            Status.ERROR,
            f"model unit tests crashed ({counts}): {names}",
            evidence,
            f"{errored[0]['name']}: {errored[0]['message']}",
        )
    if untimed:
        names = ", ".join(f["name"] for f in untimed)
        return CheckResult.inconclusive(
            f"could not judge: {names} hit the wall-clock cap before its step budget ({counts})",
            evidence,
            "Raise or drop the smoke suite's max_seconds (ml_smoke_options), or give a smaller "
            "batch: a fit cut short by the clock is not a verdict.",
        )
    if warned:
        names = ", ".join(f["name"] for f in warned)
        return CheckResult.warned(
            f"model unit tests passed with signals to review ({counts}): {names}",
            evidence,
            f"{warned[0]['name']}: {warned[0]['message']}",
        )
    return CheckResult.passed(f"model unit tests passed ({counts})", evidence)
