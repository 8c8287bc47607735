"""infra.5's mechanism: trace one example through a torch model, and the trace itself.

Forward hooks on every submodule record, in the order outputs are produced, the module's
output shape, dtype, mean/std/min/max and NaN/Inf counts (:func:`output_stats`, never
values); when ``forward`` raises, the module that was running (the deepest one entered and
not left) is named. The example goes in as the model takes it, on its device and in its
dtype (:func:`mltestscore.inputs.predict.to_model_input`). :class:`Trace` is what both
tracers fill (scikit-learn: :mod:`.trace_sklearn`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import describe, first_output, is_tensor, rounded, to_numpy
from mltestscore.inputs.predict import call_model, to_model_input

ROOT = "(model)"


def output_stats(value: Any) -> dict[str, Any]:
    """Shape, dtype and summary statistics of one output (never its values)."""
    primary = first_output(value)
    row: dict[str, Any] = {}
    if isinstance(value, (tuple, list, Mapping)) and primary is not value:
        row["note"] = f"{type(value).__name__} of {len(value)}; first shown"
    if not (is_tensor(primary) or isinstance(primary, np.ndarray)):
        row["output"] = describe(primary)
        return row
    if hasattr(primary, "toarray"):  # scipy sparse
        primary = primary.toarray()
    array = to_numpy(primary, "output")
    row["shape"] = [int(s) for s in array.shape]
    row["dtype"] = str(getattr(primary, "dtype", array.dtype)).replace("torch.", "")
    if array.dtype.kind in "biuf" and array.size:
        data = array.astype(np.float64)
        finite = data[np.isfinite(data)]
        row["nan"] = int(np.isnan(data).sum())
        row["inf"] = int(np.isinf(data).sum())
        if finite.size:
            row.update(
                mean=rounded(float(finite.mean())),
                std=rounded(float(finite.std())),
                min=rounded(float(finite.min())),
                max=rounded(float(finite.max())),
            )
    return row


def nonfinite_count(value: Any) -> int:
    """NaN/Inf values in the floating tensors of a (nested) input."""
    if is_tensor(value):
        if not value.is_floating_point():
            return 0
        return int((~value.isfinite()).sum())
    if isinstance(value, (tuple, list)):
        return sum(nonfinite_count(v) for v in value)
    if isinstance(value, Mapping):
        return sum(nonfinite_count(v) for v in value.values())
    return 0


@dataclass
class Trace:
    """The recorded steps; ``error``/``raised_in`` are set when the forward pass failed."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    raised_in: str = ""
    seconds: float = 0.0
    kind: str = "torch"

    @property
    def intermediate(self) -> int:
        return sum(1 for r in self.rows if r["module"] != ROOT and r.get("call") != "predict")

    @property
    def first_nonfinite(self) -> str:
        for row in self.rows:
            if row.get("nan") or row.get("inf"):
                return str(row["module"])
        return ""

    def nonfinite_origin(self) -> str:
        """Where the first NaN/Inf comes from, in words ('' when everything is finite)."""
        for index, row in enumerate(self.rows):
            if row.get("nan") or row.get("inf"):
                name = row["module"]
                if not row.get("nonfinite_inputs"):
                    return f"{name!r} turns finite inputs into NaN/Inf"
                previous = self.rows[index - 1]["module"] if index else "the model's input"
                return (
                    f"{name!r} already receives NaN/Inf: it is produced by code between "
                    f"{previous!r} and {name!r} (functional ops in a forward method)"
                )
        return ""


def trace_torch(model: Any, example: Any) -> Trace:
    """Run ``example`` through ``model`` in eval mode with hooks on every module."""
    import torch

    trace = Trace()
    names = {id(m): (name or ROOT) for name, m in model.named_modules()}
    stack: list[str] = []
    handles = []

    def before(module: Any, inputs: Any) -> None:
        stack.append(names[id(module)])

    def after(module: Any, inputs: Any, output: Any) -> None:
        name = names[id(module)]
        if stack and stack[-1] == name:
            stack.pop()
        row = {"step": len(trace.rows) + 1, "module": name, "type": type(module).__name__}
        row.update(output_stats(output))
        bad_inputs = nonfinite_count(inputs)
        if bad_inputs:
            row["nonfinite_inputs"] = bad_inputs
        trace.rows.append(row)

    seen: set[int] = set()
    for module in model.modules():
        if id(module) in seen:
            continue
        seen.add(id(module))
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    was_training = model.training
    model.eval()
    start = time.perf_counter()
    try:
        inputs = to_model_input(model, example, "example")
        with torch.no_grad():
            call_model(model, inputs)
    except Exception as exc:
        trace.error = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:400]
        if stack:
            module = dict(model.named_modules()).get("" if stack[-1] == ROOT else stack[-1])
            trace.raised_in = f"{stack[-1]} ({type(module).__name__})"
    finally:
        trace.seconds = time.perf_counter() - start
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return trace
