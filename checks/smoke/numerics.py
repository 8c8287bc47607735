"""Forward and backward stay finite; when not, name the first module that produced NaN/Inf.

Forward hooks on every module record, in execution order, whether a module's inputs and
output are finite: the first module with finite inputs and a non-finite output produced it.
Tensor hooks on each module's output record, in backward order, whether the gradient
arriving there is finite: the first one that is not was produced by whatever consumes that
output (the next module, or the loss).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import nn

from mltestscore.results import Status

from .first_pass import BackwardPass, LossPass, publish, take_loss
from .lossinfo import LossFn
from .results import Finding, finding, fmt_names
from .state import give_back, isolated, keep, save_rng
from .tensors import call_model, iter_tensors, prepare_batch


def all_finite(tree: Any) -> bool:
    """No NaN/Inf in any float tensor of the tree (sparse tensors: their stored values)."""
    return all(
        finite_tensor(t) for _, t in iter_tensors(tree) if t.is_floating_point() or t.is_complex()
    )


def finite_tensor(t: torch.Tensor) -> bool:
    """No NaN/Inf in ``t``. A NaN or an infinity makes the sum non-finite, so a finite sum
    (one reduction, no mask the size of the tensor) settles it; only a sum that overflows
    or is non-finite is checked element by element."""
    values = dense_values(t)
    if bool(torch.isfinite(values.sum()).item()):
        return True
    return bool(torch.isfinite(values).all())


def dense_values(t: torch.Tensor) -> torch.Tensor:
    """The stored values of a sparse tensor (e.g. an nn.Embedding(sparse=True) gradient)."""
    return t.coalesce().values() if t.is_sparse else t


@dataclass
class Trace:
    """What the hooks saw during one forward (and backward) pass."""

    forward: list[tuple[str, bool, bool]] = field(default_factory=list)  # name, in ok, out ok
    backward: list[tuple[str, int, bool]] = field(default_factory=list)  # name, id, grad ok
    model_outputs: set[int] = field(default_factory=set)  # ids of the model's own outputs
    consumers: dict[int, str] = field(default_factory=dict)  # id(input tensor) -> module
    outputs: dict[str, list[int]] = field(default_factory=dict)  # module -> id(output tensors)
    keep: list[torch.Tensor] = field(default_factory=list)  # keeps ids unique

    def forward_producer(self) -> str | None:
        """The first module whose inputs were finite and whose output was not."""
        for name, ins_ok, out_ok in self.forward:
            if ins_ok and not out_ok:
                return name
        return None

    def backward_producer(self) -> str | None:
        """Where a non-finite gradient first appeared, described for a message."""
        for name, tid, ok in self.backward:
            if ok:
                continue
            if tid in self.model_outputs:
                return "loss_fn (its backward gives a non-finite gradient for the model output)"
            for tid in self.outputs.get(name, []):
                if tid in self.consumers:
                    return f"`{self.consumers[tid]}` (its backward, fed by `{name}`)"
            return f"the operation that consumes the output of `{name}`"
        return None


@contextmanager
def traced(model: nn.Module) -> Iterator[Trace]:
    """Hooks on every module for the duration; ``trace.backward`` fills during backward."""
    trace = Trace()
    leaves = {
        f"{name or 'model'} ({type(mod).__name__})"
        for name, mod in model.named_modules()
        if not any(True for _ in mod.children())
    }

    def make(name: str) -> Any:
        def hook(module: nn.Module, args: Any, kwargs: Any, output: Any) -> None:
            out_ok = all_finite(output)  # the inputs matter only when the output is not finite
            trace.forward.append((name, out_ok or all_finite((args, kwargs)), out_ok))
            if name in leaves:
                for _, t in iter_tensors((args, kwargs)):
                    trace.consumers.setdefault(id(t), name)
                    trace.keep.append(t)
            for _, t in iter_tensors(output):
                trace.outputs.setdefault(name, []).append(id(t))
                trace.keep.append(t)
                if module is model:
                    trace.model_outputs.add(id(t))
                if t.requires_grad:
                    cast(Any, t).register_hook(_recorder(trace, name, id(t)))

        return hook

    handles = [
        mod.register_forward_hook(
            make(f"{name or 'model'} ({type(mod).__name__})"), with_kwargs=True
        )
        for name, mod in model.named_modules()
    ]
    try:
        yield trace
    finally:
        for h in handles:
            h.remove()


def _recorder(trace: Trace, name: str, tid: int) -> Any:
    def record(grad: torch.Tensor | None) -> None:
        if grad is None:  # an output that takes no part in the loss (`_, (h, _) = lstm(x)`)
            return
        trace.backward.append((name, tid, all_finite(grad)))

    return record


def nonfinite_tensors(model: nn.Module) -> list[str]:
    """Names of parameters and buffers holding NaN/Inf."""
    named = list(model.named_parameters()) + list(model.named_buffers())
    return [n for n, t in named if t.is_floating_point() and not bool(torch.isfinite(t).all())]


def locate(model: nn.Module, inputs: Any, targets: Any, loss_fn: LossFn) -> dict[str, Any]:
    """One traced forward and backward; the evidence the ``finite`` check judges."""
    return _locate(model, inputs, targets, loss_fn)[0]


def _locate(
    model: nn.Module, inputs: Any, targets: Any, loss_fn: LossFn
) -> tuple[dict[str, Any], torch.Tensor | None, Any]:
    """:func:`locate`'s evidence, the loss when its backward ran, and the output."""
    m = before_forward(model, inputs)
    with traced(model) as trace:
        output = call_model(model, inputs)
        loss = loss_fn(output, targets)
        after_forward(m, trace, output, loss)
        backward = _backward(model, m, trace, loss)
    return m, backward, output


def before_forward(model: nn.Module, inputs: Any) -> dict[str, Any]:
    """The evidence read before the traced forward: non-finite parameters and inputs."""
    return {
        "nonfinite_parameters": nonfinite_tensors(model),
        "nonfinite_inputs": [p for p, t in iter_tensors(inputs) if not all_finite(t)],
    }


def after_forward(m: dict[str, Any], trace: Trace, output: Any, loss: Any) -> None:
    """The evidence of the traced forward and the loss on its output."""
    m["forward_producer"] = trace.forward_producer()
    m["output_finite"] = all_finite(output)
    m["loss_finite"] = all_finite(loss)


def _backward(model: nn.Module, m: dict[str, Any], trace: Trace, loss: Any) -> torch.Tensor | None:
    """The backward of a finite loss (its tensor hooks fill ``trace``), and the parameters
    whose gradients are not finite; the loss when its backward ran."""
    backward: torch.Tensor | None = None
    if m["loss_finite"] and isinstance(loss, torch.Tensor) and loss.requires_grad:
        torch.autograd.backward(loss)
        m["backward_producer"] = trace.backward_producer()
        backward = loss
    m["nonfinite_gradients"] = [
        n for n, p in model.named_parameters() if p.grad is not None and not all_finite(p.grad)
    ]
    return backward


def finite(
    model: nn.Module, batch: Any, loss_fn: LossFn, *, batch_dim: int = 0, seed: int | None = 0
) -> Finding:
    """Parameters, forward activations, the loss and all gradients are finite (train mode)."""
    traced_forward = take_loss(model, batch, batch_dim, seed)
    if traced_forward is not None:  # `forward` ran this traced forward and loss for us
        return judge_finite(_finish(model, batch, batch_dim, seed, traced_forward))
    with isolated(model, seed) as work:
        work.train()
        work.zero_grad(set_to_none=True)  # this batch's gradients, not ones the model carried
        inputs, targets, _ = prepare_batch(work, batch, batch_dim)
        m, loss, output = _locate(work, inputs, targets, loss_fn)
        # params_update, next, steps from this backward; not when the checks work on the
        # model itself (it cannot be deep-copied): leaving `isolated` undoes the backward
        if loss is not None and work is not model:
            shared = BackwardPass(work, inputs, targets, loss, save_rng(), output)
            publish(model, batch, batch_dim, seed, shared)
            keep(work)  # it outlives this check
    return judge_finite(m)


def _finish(
    model: nn.Module, batch: Any, batch_dim: int, seed: int | None, p: LossPass
) -> dict[str, Any]:
    """finite's evidence from the forward's own traced pass: its backward, run here."""
    m = dict(p.evidence)
    with torch.enable_grad():
        loss = _backward(p.work, m, p.trace, p.loss)
    if loss is None:
        give_back(p.work)
    else:
        backward = BackwardPass(p.work, p.inputs, p.targets, loss, p.rng, p.output)
        publish(model, batch, batch_dim, seed, backward)
    return m


def describe_nonfinite(m: dict[str, Any]) -> str | None:
    """A sentence naming where NaN/Inf first appeared, or None when everything is finite."""
    if m["nonfinite_parameters"]:
        return f"parameters/buffers hold NaN/Inf: {fmt_names(m['nonfinite_parameters'])}"
    if m["nonfinite_inputs"]:
        return (
            f"the inputs hold NaN/Inf ({fmt_names(m['nonfinite_inputs'])}): clean the data pipeline"
        )
    if m.get("forward_producer"):
        return (
            f"the forward pass first produces NaN/Inf in `{m['forward_producer']}` (its inputs "
            "are finite): look for log/sqrt of ≤ 0, division by zero (a std or norm of 0), "
            "exp overflow"
        )
    if not m.get("output_finite", True):
        return "the model output holds NaN/Inf"
    if not m.get("loss_finite", True):
        return (
            "the loss is NaN/Inf although the model output is finite: loss_fn takes log of 0 or "
            "divides by 0 — use log_softmax / BCEWithLogitsLoss instead of log(softmax/sigmoid), "
            "add an epsilon"
        )
    if m.get("backward_producer") or m.get("nonfinite_gradients"):
        where = m.get("backward_producer") or "backward"
        return (
            f"the backward pass produces NaN/Inf gradients, first in {where} (parameter "
            f"gradients affected: {fmt_names(m.get('nonfinite_gradients', []))}): a derivative blows up "
            "(sqrt or norm at 0, log near 0) — add an epsilon inside it"
        )
    return None


def judge_finite(m: dict[str, Any]) -> Finding:
    problem = describe_nonfinite(m)
    if problem is None:
        return finding("finite", Status.PASS, "forward, loss and gradients are finite", m)
    return finding("finite", Status.FAIL, problem, m)
