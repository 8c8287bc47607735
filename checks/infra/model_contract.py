"""infra.2's mechanism: a model's declared contract, checked on the batch's inputs.

When the model or its class carries a ``@mltestscore.model_contract``
(:func:`mltestscore.contracts.get_contract`), its structural promises become findings
beside the smoke suite's: outputs finite, inside ``output_range``, identical across two
eval-mode forward passes, and the batch's inputs matching the declared input spec.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mltestscore.checks.infra.batches import batch_inputs
from mltestscore.contracts import Contract, check_input, get_contract
from mltestscore.inputs.arrays import compare_outputs, rounded
from mltestscore.inputs.predict import torch_forward

Finding = dict[str, Any]


def finding(name: str, passed: bool, message: str, metrics: dict[str, Any]) -> Finding:
    """A finding row as the smoke suite's findings are shown in evidence."""
    return {
        "name": name,
        "status": "pass" if passed else "fail",
        "message": message,
        "metrics": metrics,
    }


def contract_findings(model: Any, batch: Any) -> tuple[dict[str, Any] | None, list[Finding]]:
    """``(contract as dict, findings)``; ``(None, [])`` when no contract is declared."""
    contract = get_contract(model)
    if contract is None:
        return None, []
    inputs = batch_inputs(batch)
    findings: list[Finding] = []
    first = torch_forward(model, inputs)
    values = first.astype(np.float64) if first.dtype.kind in "biuf" else None
    if contract.finite and values is not None:
        bad = int(np.count_nonzero(~np.isfinite(values)))
        findings.append(
            finding(
                "contract_finite",
                bad == 0,
                "outputs are finite"
                if bad == 0
                else f"{bad} of {values.size} outputs are NaN/Inf though the contract says finite=True",
                {"nonfinite": bad, "outputs": int(values.size)},
            )
        )
    if contract.output_range is not None and values is not None:
        findings.append(_range_finding(contract.output_range, values))
    if contract.deterministic_eval:
        diff = compare_outputs(torch_forward(model, inputs), first, atol=0.0)
        findings.append(
            finding(
                "contract_deterministic_eval",
                diff.equal,
                "two eval-mode forward passes agree exactly"
                if diff.equal
                else f"two eval-mode forward passes differ in {diff.mismatched} of {diff.compared} "
                f"outputs (max |diff| {diff.max_abs_diff}): dropout or sampling active in eval?",
                {"mismatched": diff.mismatched, "max_abs_diff": diff.max_abs_diff},
            )
        )
    if contract.input is not None:
        findings.append(_input_finding(contract, inputs))
    return contract.to_dict(), findings


def _range_finding(output_range: tuple[float | None, float | None], values: Any) -> Finding:
    lo, hi = output_range
    finite = values[np.isfinite(values)]
    below = int((finite < lo).sum()) if lo is not None else 0
    above = int((finite > hi).sum()) if hi is not None else 0
    seen = [rounded(float(finite.min())), rounded(float(finite.max()))] if finite.size else None
    return finding(
        "contract_output_range",
        below + above == 0,
        f"outputs within the declared range [{lo}, {hi}] (seen {seen})"
        if below + above == 0
        else f"{below + above} outputs outside the declared range [{lo}, {hi}] "
        f"({below} below, {above} above; seen {seen})",
        {"declared": [lo, hi], "seen": seen, "below": below, "above": above},
    )


def _input_finding(contract: Contract, inputs: Any) -> Finding:
    """The batch's inputs against the contract's input spec or schema."""
    problems = [f"{kind}: {message}" for kind, message in check_input(contract, inputs)]
    return finding(
        "contract_input",
        not problems,
        "the batch's inputs match the declared input spec"
        if not problems
        else "the batch's inputs break the declared input spec: " + "; ".join(problems[:3]),
        {"problems": problems[:5]},
    )
