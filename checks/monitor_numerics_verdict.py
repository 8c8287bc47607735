"""monitor.5's judgement: weights, evaluation outputs and a training step, into a verdict."""

from __future__ import annotations

from typing import Any

from mltestscore.checks.infra_arrays import is_torch_module
from mltestscore.checks.monitor_numerics import (
    estimator_outputs,
    eval_inputs,
    nonfinite_weights,
    trace_forward,
)
from mltestscore.results import CheckResult

NEXT_STEP = (
    "Find the first operation producing NaN/Inf in the named module (log of 0, division by "
    "a zero norm, exp overflow, a too-high learning rate for the weights): clamp or add an "
    "epsilon, lower the learning rate or use gradient clipping, keep the numerically "
    "sensitive parts in float32; never serve a model whose weights hold NaN/Inf."
)


def stability_report(
    model: Any,
    eval_data: Any,
    canary_inputs: Any,
    batch: Any,
    loss_fn: Any,
    target: str | None,
    *,
    max_examples: int,
    max_abs_activation: float,
) -> CheckResult:
    """Run monitor.5's three parts and judge them (see the check's docstring)."""
    from mltestscore.contracts import Contract, check_output, get_contract

    contract = get_contract(model)
    evidence: dict[str, Any] = {"contract": contract.to_dict() if contract else None}
    problems: list[str] = []
    warnings: list[str] = []
    checked = ["weights"]
    weights = nonfinite_weights(model)
    evidence["nonfinite_weights"] = weights
    if weights:
        names = ", ".join(w["name"] for w in weights[:5])
        problems.append(f"{len(weights)} weight tensor(s) hold NaN/Inf: {names}")
    inputs = eval_inputs(eval_data, canary_inputs, target, max_examples)
    if inputs is not None:
        checked.append("evaluation outputs" if eval_data is not None else "canary outputs")
        explained = False  # non-finite outputs already traced to their origin
        if is_torch_module(model):
            trace = trace_forward(model, inputs)
            outputs = trace.output()
            allowed = contract is not None and not contract.finite
            explained = _judge_trace(
                trace, evidence, problems, warnings, max_abs_activation, allowed=allowed
            )
        else:
            method, outputs = estimator_outputs(model, inputs)
            evidence["output_method"] = method
        rules = contract or Contract(finite=True)
        found = check_output(rules, outputs)
        evidence["output_problems"] = [{"kind": k, "message": m} for k, m in found]
        for kind, message in found:
            if kind == "output_nonfinite" and contract is not None and not contract.finite:
                warnings.append(f"{message} (the contract allows non-finite outputs)")
            elif kind == "output_range":
                problems.append(f"{message} (contract output_range)")
            elif not explained:
                problems.append(message)
    if batch is not None and loss_fn is not None:
        checked.append("a training step")
        finding = training_step_finite(model, batch, loss_fn)
        evidence["training_step"] = finding
        if finding["status"] == "fail":
            problems.append(f"training step: {finding['message']}")
        elif finding["status"] == "warn":
            warnings.append(f"training step: {finding['message']}")
    evidence["checked"] = checked
    scope = ", ".join(checked)
    if problems:
        return CheckResult.failed(
            "numerical instability: " + "; ".join(problems + warnings), evidence, NEXT_STEP
        )
    if warnings:
        return CheckResult.warned(
            f"no numerical failure ({scope} checked), but: " + "; ".join(warnings),
            evidence,
            NEXT_STEP,
        )
    if len(checked) == 1:
        return CheckResult.warned(
            "weights are finite; outputs not checked: define ml_eval_data or ml_canary_inputs "
            "(and ml_batch + ml_loss_fn for a training step)",
            evidence,
            "Give the check inputs to run through the model.",
        )
    return CheckResult.passed(f"all finite: {scope}", evidence)


def _judge_trace(
    trace: Any,
    evidence: dict[str, Any],
    problems: list[str],
    warnings: list[str],
    max_abs_activation: float,
    *,
    allowed: bool,
) -> bool:
    """Add the forward trace's findings; True when non-finite values were traced."""
    origin = trace.origin
    evidence["forward"] = {
        "rows": trace.rows,
        "input_nonfinite": trace.input_nonfinite,
        "first_nonfinite_module": origin,
        "modules_with_nonfinite": trace.offenders,
        "max_abs_activation": trace.max_abs_activation,
        "max_abs_module": trace.max_abs_module,
    }
    if trace.input_nonfinite:
        problems.append(
            f"the inputs hold {trace.input_nonfinite} NaN/Inf value(s) before the model runs "
            "(a data problem: validate inputs with the schema or mltestscore.guard)"
        )
    elif origin is not None:
        if origin.get("produced_between_modules"):
            where = (
                f"in the forward code of {origin['module']!r} between its submodules (first "
                f"seen as input of {origin['first_seen_in']!r})"
            )
        else:
            where = f"in module {origin['module']!r} ({origin['type']}) with finite inputs"
        text = (
            f"non-finite activations start {where}: {origin['nonfinite']} NaN/Inf value(s) "
            f"on {trace.rows} evaluation rows"
        )
        if allowed:
            warnings.append(f"{text} (the model's contract allows non-finite values)")
        else:
            problems.append(text)
    if trace.max_abs_activation > max_abs_activation:
        warnings.append(
            f"activations reach {trace.max_abs_activation:.3g} in {trace.max_abs_module!r} "
            f"(> max_abs_activation {max_abs_activation:g}): overflow risk in half precision"
        )
    return bool(trace.input_nonfinite or origin is not None)


def training_step_finite(model: Any, batch: Any, loss_fn: Any) -> dict[str, Any]:
    """The smoke suite's finite forward/backward check as ``{status, message, metrics}``."""
    if not is_torch_module(model):
        return {"status": "skip", "message": "a training step needs a torch.nn.Module",
                "metrics": {}}  # fmt: skip
    from mltestscore.checks.smoke.numerics import finite

    finding = finite(model, batch, loss_fn)  # on a working copy: the model is not changed
    data: dict[str, Any] = finding.to_dict()
    return data
