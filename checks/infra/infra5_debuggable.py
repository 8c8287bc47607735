"""infra.5 — the model is debuggable: trace one example step by step, judge the trace.

Tracing is the mechanism of :mod:`.trace` (torch: forward hooks on every submodule) and
:mod:`.trace_sklearn` (scikit-learn: each step, then the final estimator explained); here
the example is chosen and the trace judged.
"""

from __future__ import annotations

from typing import Any

from mltestscore.checks.infra.batches import batch_inputs
from mltestscore.checks.infra.trace import trace_torch
from mltestscore.checks.infra.trace_sklearn import trace_estimator
from mltestscore.inputs.arrays import is_sklearn_estimator, is_torch_module, rounded
from mltestscore.inputs.tables import head
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("infra.5")
def model_is_debuggable(
    model: Any,
    example: Any = None,
    canary_inputs: Any = None,
    batch: Any = None,
    *,
    max_rows: int = 100,
) -> CheckResult:
    """One example can be traced step by step through the model.

    Inputs: ``model`` (a ``torch.nn.Module`` or a fitted scikit-learn estimator or
    ``Pipeline``) and one input: ``example`` (``ml_example``, as the model takes it: a
    tensor with its batch dimension, a tuple of positional inputs or a dict), else the
    first row of ``canary_inputs`` or of ``batch``'s inputs. Forward hooks on every
    submodule record, in the order outputs are produced, shape, dtype, mean/std/min/max
    and NaN/Inf counts. scikit-learn: each step's output (a ColumnTransformer's per
    transformer), a tree's decision path (forest: the first tree and the votes), a linear
    model's per-feature contributions, then predict_proba and predict. Fails when it
    raises (the module or step running when it raised is named) or when no intermediate
    output is recorded (no submodules; an estimator offering only ``predict``); an
    unfitted estimator is not automated; a NaN/Inf output is a WARN naming the first
    module. Threshold: ``max_rows`` trace rows kept in the evidence.
    """
    one = pick_example(example, canary_inputs, batch)
    if is_torch_module(model):
        trace = trace_torch(model, one)
    elif is_sklearn_estimator(model):
        trace = trace_estimator(model, one)
    else:
        raise NotAutomated(
            f"{type(model).__name__} has no steps to trace; infra.5 traces torch modules "
            "and scikit-learn estimators and pipelines"
        )
    evidence: dict[str, Any] = {
        "kind": trace.kind,
        "steps": len(trace.rows),
        "intermediate_outputs": trace.intermediate,
        "trace": trace.rows[:max_rows],
        "truncated": len(trace.rows) > max_rows,
        "seconds": rounded(trace.seconds, 4),
    }
    if trace.error:
        evidence["raised_in"] = trace.raised_in
        evidence["error"] = trace.error
        where = f" in {trace.raised_in}" if trace.raised_in else ""
        last = trace.rows[-1]["module"] if trace.rows else None
        return CheckResult.failed(
            f"tracing one example failed{where} after {len(trace.rows)} recorded steps"
            + (f" (last completed: {last!r})" if last else "")
            + f": {trace.error}",
            evidence,
            f"Fix the forward pass{where}; the trace shows the outputs recorded before it raised.",
        )
    if trace.intermediate == 0:
        return CheckResult.failed(
            f"no intermediate output recorded: {type(model).__name__} has no submodules/steps, "
            "so one example cannot be followed step by step",
            evidence,
            "Build the model from named submodules (nn.Sequential/child modules) or pipeline "
            "steps so each stage's output can be inspected.",
        )
    nonfinite = trace.first_nonfinite
    if nonfinite:
        evidence["first_nonfinite"] = nonfinite
        origin = trace.nonfinite_origin()
        return CheckResult.warned(
            f"traced {trace.intermediate} intermediate outputs; the first NaN/Inf output is "
            f"{nonfinite!r}: {origin}",
            evidence,
            f"Inspect the trace around {nonfinite!r}: {origin}.",
        )
    return CheckResult.passed(
        f"traced one example through {trace.intermediate} intermediate outputs "
        f"({trace.kind}, {trace.seconds * 1000:.1f} ms)",
        evidence,
    )


def pick_example(example: Any, canary_inputs: Any, batch: Any) -> Any:
    """``example``, else the first row of ``canary_inputs`` or of the batch's inputs."""
    if example is not None:
        return example
    if canary_inputs is not None:
        return head(canary_inputs, 1)
    if batch is not None:
        return head(batch_inputs(batch), 1)
    raise NotAutomated(
        "no input to trace: define ml_example (one input), or "
        "ml_canary_inputs / ml_batch (their first row is used)"
    )
