"""monitor.5 — models are numerically stable.

Three parts, judged together here: the weights (:func:`.numerics.nonfinite_weights`),
the outputs on evaluation or canary inputs (a torch module traced module by module with
:func:`.numerics.trace_forward`; other models called through
:func:`mltestscore.inputs.predict.predict_scores`) against the model's contract, and one
training step (:func:`.numerics.training_step_finite`, the smoke suite's finite check).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mltestscore.checks.monitor.numerics import (
    ForwardTrace,
    nonfinite_weights,
    trace_forward,
    training_step_finite,
)
from mltestscore.contracts import Contract, check_output, get_contract
from mltestscore.inputs.arrays import is_tensor, is_torch_module
from mltestscore.inputs.predict import predict_scores
from mltestscore.inputs.tables import head, split_features
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult

NEXT_STEP = (
    "Find the first operation producing NaN/Inf in the named module (log of 0, division by "
    "a zero norm, exp overflow, a too-high learning rate for the weights): clamp or add an "
    "epsilon, lower the learning rate or use gradient clipping, keep the numerically "
    "sensitive parts in float32; never serve a model whose weights hold NaN/Inf."
)


@register_builtin_check("monitor.5")
def numerical_stability(
    model: Any,
    eval_data: Any = None,
    canary_inputs: Any = None,
    batch: Any = None,
    loss_fn: Any = None,
    target: str | None = None,
    *,
    max_examples: int = 256,
    max_abs_activation: float = 1e6,
) -> CheckResult:
    """Models are numerically stable: no NaN/Inf in weights, activations, outputs or training.

    Inputs: ``model`` (a torch module, or an estimator / callable: weights are its
    fitted arrays, outputs its predict_proba/decision_function/predict);
    ``eval_data`` (features, labels dropped — DataFrame with ``target``, ``(X, y)``,
    Dataset, array/tensor) or else ``canary_inputs``: up to ``max_examples`` rows
    run in eval mode with a forward hook on every module, naming the first module
    whose output turns non-finite (or the parent whose code between modules did);
    ``batch`` + ``loss_fn``: one training step (forward, loss, backward) through
    the smoke suite's finite check, naming the first module and the gradients.
    A contract on the model (``@mltestscore.model_contract``) adds its
    ``output_range``; ``finite=False`` there turns non-finite outputs into a warning.

    Thresholds: ``max_examples`` (256); ``max_abs_activation`` (1e6) — larger
    activations warn (overflow risk in float16/bfloat16).
    """
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
    inputs = _eval_inputs(eval_data, canary_inputs, target, max_examples)
    if inputs is not None:
        checked.append("evaluation outputs" if eval_data is not None else "canary outputs")
        explained = False  # non-finite outputs already traced to their origin
        if is_torch_module(model):
            trace = trace_forward(model, inputs)
            outputs = trace.output()
            allowed = contract is not None and not contract.finite
            explained = _trace_findings(
                trace, evidence, problems, warnings, max_abs_activation, allowed=allowed
            )
        else:
            method, outputs = predict_scores(model, inputs)
            evidence["output_method"] = method
        found = check_output(contract or Contract(finite=True), outputs)
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


def _eval_inputs(eval_data: Any, canary_inputs: Any, target: str | None, max_rows: int) -> Any:
    """The first ``max_rows`` inputs: ``eval_data``'s features (labels dropped), else the
    canary inputs; ``None`` when neither is given. A Dataset is read only that far."""
    if eval_data is None:
        return None if canary_inputs is None else head(canary_inputs, max_rows)
    if isinstance(eval_data, np.ndarray) or is_tensor(eval_data):
        return head(eval_data, max_rows)  # inputs only, no labels
    features, _ = split_features(eval_data, target, "eval_data", limit=max_rows)
    return head(features, max_rows)


def _trace_findings(
    trace: ForwardTrace,
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
