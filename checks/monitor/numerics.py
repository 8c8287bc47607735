"""monitor.5's mechanisms: non-finite weights, where non-finite activations start, a step.

:func:`nonfinite_weights` scans a torch module's parameters and buffers (or a
scikit-learn estimator's fitted arrays). :func:`trace_forward` runs evaluation
inputs through a torch module with a forward hook on every submodule: hooks fire
when a module finishes, children before parents, so the first module whose
output holds NaN/Inf *while its inputs were finite* is where they start. When
the first module to see them already got them as input, they were produced by
code between modules (a functional op in the parent's ``forward``), and the
parent is named. The largest activation magnitude is recorded as well.
:func:`training_step_finite` runs one training step through the smoke suite's finite
check. The verdict is in :mod:`.monitor5_numerics`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mltestscore.inputs.arrays import first_output, is_tensor, is_torch_module, to_numpy
from mltestscore.inputs.predict import call_model, to_model_input
from mltestscore.inputs.tables import row_count

MAX_ROWS = 20


def _tensor_leaves(value: Any, depth: int = 0) -> Iterator[Any]:
    if is_tensor(value):
        yield value
    elif depth < 4 and isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensor_leaves(item, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for item in value.values():
            yield from _tensor_leaves(item, depth + 1)


def _nonfinite(tensor: Any) -> int:
    import torch

    if not tensor.is_floating_point() or tensor.numel() == 0:
        return 0
    finite = torch.isfinite(tensor)
    return 0 if bool(finite.all()) else int(tensor.numel() - int(finite.sum()))


def nonfinite_weights(model: Any) -> list[dict[str, Any]]:
    """``{name, kind, nonfinite, size}`` for each weight array holding NaN/Inf."""
    found: list[dict[str, Any]] = []
    if is_torch_module(model):
        named = [(n, "parameter", t) for n, t in model.named_parameters()]
        named += [(n, "buffer", t) for n, t in model.named_buffers()]
        for name, kind, tensor in named:
            bad = _nonfinite(tensor.detach())
            if bad:
                found.append(
                    {"name": name, "kind": kind, "nonfinite": bad, "size": int(tensor.numel())}
                )
        return found
    for name, array in _fitted_arrays(model, ""):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        if bad:
            found.append({"name": name, "kind": "fitted", "nonfinite": bad, "size": array.size})
    return found


def _fitted_arrays(estimator: Any, prefix: str, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Float arrays in an estimator's fitted attributes (``coef_``, …), pipelines included."""
    for attr, value in sorted(vars(estimator).items()):
        public = attr.endswith("_") and not attr.startswith("_")
        if public and isinstance(value, np.ndarray) and value.dtype.kind in "fc":
            yield f"{prefix}{attr}", value
        if attr == "steps" and isinstance(value, list) and depth < 3:
            for step in value:
                if isinstance(step, tuple) and len(step) >= 2 and hasattr(step[1], "__dict__"):
                    yield from _fitted_arrays(step[1], f"{prefix}{step[0]}.", depth + 1)


@dataclass
class ForwardTrace:
    """What :func:`trace_forward` saw; ``offenders`` in the order they finished."""

    rows: int = 0
    input_nonfinite: int = 0
    offenders: list[dict[str, Any]] = field(default_factory=list)
    max_abs_activation: float = 0.0
    max_abs_module: str = ""
    outputs: list[Any] = field(default_factory=list)

    @property
    def origin(self) -> dict[str, Any] | None:
        """Where non-finite values start (see the module docstring), or ``None``."""
        if not self.offenders:
            return None
        first = self.offenders[0]
        if first["inputs_finite"] or self.input_nonfinite:
            return first
        parent = first["module"].rpartition(".")[0] or "(model)"
        return {
            **first,
            "module": parent,
            "produced_between_modules": True,
            "first_seen_in": first["module"],
        }

    def output(self) -> np.ndarray:
        return np.concatenate([to_numpy(o, "model output") for o in self.outputs], axis=0)


def trace_forward(model: Any, inputs: Any, *, chunk_rows: int = 256) -> ForwardTrace:
    """Eval-mode forward of ``inputs`` with a NaN/Inf hook on every module."""
    import torch

    names = {id(m): (name or "(model)") for name, m in model.named_modules()}
    trace = ForwardTrace()
    seen: set[str] = set()

    def hook(module: Any, args: Any, output: Any) -> None:
        name = names.get(id(module), type(module).__name__)
        tensors = list(_tensor_leaves(output))
        for tensor in tensors:
            if tensor.is_floating_point() and tensor.numel():
                peak = float(tensor.detach().abs().nan_to_num(0.0, 0.0, 0.0).max())
                if peak > trace.max_abs_activation:
                    trace.max_abs_activation, trace.max_abs_module = peak, name
        bad = sum(_nonfinite(t.detach()) for t in tensors)
        if bad and name not in seen and len(trace.offenders) < MAX_ROWS:
            seen.add(name)
            inputs_bad = sum(_nonfinite(t.detach()) for t in _tensor_leaves(args))
            trace.offenders.append(
                {
                    "module": name,
                    "type": type(module).__name__,
                    "nonfinite": bad,
                    "inputs_finite": inputs_bad == 0,
                }
            )

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            converted = to_model_input(model, inputs, "monitor.5 inputs")
            rows = row_count(converted)
            trace.rows = rows
            trace.input_nonfinite = sum(_nonfinite(t) for t in _tensor_leaves(converted))
            for start in range(0, rows, chunk_rows):
                chunk = _rows_slice(converted, start, start + chunk_rows)
                trace.outputs.append(first_output(call_model(model, chunk)))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return trace


def _rows_slice(value: Any, start: int, stop: int) -> Any:
    if isinstance(value, tuple):
        return tuple(_rows_slice(v, start, stop) for v in value)
    if isinstance(value, dict):
        return {k: _rows_slice(v, start, stop) for k, v in value.items()}
    return value[start:stop]


def training_step_finite(model: Any, batch: Any, loss_fn: Any) -> dict[str, Any]:
    """The smoke suite's finite forward/backward check as ``{status, message, metrics}``."""
    if not is_torch_module(model):
        return {"status": "skip", "message": "a training step needs a torch.nn.Module",
                "metrics": {}}  # fmt: skip
    from mltestscore.checks.smoke.numerics import finite

    return finite(model, batch, loss_fn).to_dict()  # on a working copy: the model is unchanged
