"""Does the model run on the batch, and do its outputs line up with the targets?

``forward``: the model runs on the batch and the loss is a differentiable scalar.
``output_shape``: outputs and targets line up sample by sample (no silent broadcasting).
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .first_pass import FirstPass, LossPass, publish, train_forward, wanted
from .lossinfo import LossFn, LossSpec, describe_loss
from .numerics import after_forward, before_forward, traced
from .results import Finding, finding, fmt, summarize_exception
from .state import isolated, keep, save_rng
from .tensors import call_model, derangement, loss_value, max_abs_diff, prepare_batch, shapes

PASS, WARN, FAIL, SKIP = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.SKIP,
)


def forward(
    model: nn.Module, batch: Any, loss_fn: LossFn, *, batch_dim: int = 0, seed: int | None = 0
) -> Finding:
    """The model runs on the batch in train mode and the loss is a differentiable scalar."""
    with isolated(model, seed) as work:
        work.train()
        inputs, targets, layout = prepare_batch(work, batch, batch_dim)
        m: dict[str, Any] = {"batch_size": layout.size, "input_shapes": shapes(inputs)}
        # `finite` runs next on this very pass, traced, when it is to run (.first_pass); not
        # for a model used in place (leaving `isolated` undoes what the pass did)
        share = wanted("finite") and work is not model
        evidence = before_forward(work, inputs) if share else {}
        with traced(work) if share else nullcontext() as trace:
            try:
                output = call_model(work, inputs)
            except Exception as exc:
                return finding(
                    "forward",
                    FAIL,
                    f"the model raised {summarize_exception(exc)} on inputs {shapes(inputs)} "
                    "— fix the forward pass on this batch first; every other check needs it",
                    m,
                )
            publish(model, batch, batch_dim, seed, FirstPass.of(inputs, targets, layout, output))
            m["output_shapes"] = shapes(output)
            m["target_shapes"] = shapes(targets)
            try:
                loss = loss_fn(output, targets)
            except Exception as exc:
                return finding(
                    "forward",
                    FAIL,
                    f"loss_fn raised {summarize_exception(exc)} on outputs {shapes(output)} and "
                    f"targets {shapes(targets)} — make the outputs and targets match what the "
                    "loss expects",
                    m,
                )
            if trace is not None:
                after_forward(evidence, trace, output, loss)
                shared = LossPass(work, inputs, targets, loss, evidence, trace, save_rng(), output)
                publish(model, batch, batch_dim, seed, shared)
                keep(work)  # finite backwards it
        trainable = any(p.requires_grad for p in work.parameters())
        m["loss_type"] = type(loss).__name__
        if isinstance(loss, torch.Tensor):
            m["loss_shape"] = list(loss.shape)
            m["loss_requires_grad"] = bool(loss.requires_grad)
            if loss.numel() == 1:
                m["loss"] = float(loss.detach().float().item())
    return _judge_forward(m, trainable)


def _judge_forward(m: dict[str, Any], trainable: bool) -> Finding:
    if m["loss_type"] != "Tensor":
        return finding(
            "forward",
            FAIL,
            f"loss_fn returned a {m['loss_type']}, not a tensor: return the loss tensor "
            "itself (not .item() or a number) so it can be backpropagated",
            m,
        )
    if m["loss_shape"] not in ([], [1]):
        return finding(
            "forward",
            FAIL,
            f"loss_fn returned shape {m['loss_shape']}, not a scalar: reduce it (mean over "
            "the batch) before backward",
            m,
        )
    if trainable and not m["loss_requires_grad"]:
        return finding(
            "forward",
            FAIL,
            "the loss does not require grad although the model has trainable parameters: "
            "the output is cut from them (torch.no_grad, .detach(), .item(), a numpy round "
            "trip) — keep the forward pass differentiable",
            m,
        )
    return finding(
        "forward",
        PASS,
        f"model runs on a batch of {m['batch_size']}: outputs {m['output_shapes']}, "
        f"loss {fmt(m.get('loss', float('nan')))}",
        m,
    )


def output_shape(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    pairing_tolerance: float = 1e-6,
) -> Finding:
    """Outputs and targets line up sample by sample.

    Known losses must get the shapes they document (equal shapes for regression and binary
    losses; ``(N, C, ...)`` against ``(N, ...)`` for class indices). For every loss, shuffling
    the targets across the batch must change the loss by more than ``pairing_tolerance``
    (relative): a loss that does not care which target goes with which output is comparing
    every output with every target — silent broadcasting such as ``(B, 1)`` against ``(B,)``.
    """
    with train_forward(model, batch, batch_dim, seed) as first:
        targets, layout, output = first.targets, first.layout, first.output
        spec = describe_loss(loss_fn, output, targets)
        m: dict[str, Any] = {
            "output_shapes": shapes(output),
            "target_shapes": shapes(targets),
            "loss": spec.source,
        }
        if isinstance(output, torch.Tensor) and isinstance(targets, torch.Tensor):
            m["broadcast_shape"] = broadcast_shape(list(output.shape), list(targets.shape))
        if layout.size >= 2:
            perm = derangement(layout.size)
            shuffled = layout.take(targets, perm)
            m["targets_vary"] = _differs(targets, shuffled)
            m["outputs_vary"] = _differs(output, layout.take(output, perm))
            base = loss_value(loss_fn(output, targets))
            moved = loss_value(loss_fn(output, shuffled))
            m["loss_paired"] = base
            m["loss_targets_shuffled"] = moved
            m["pairing_change"] = abs(moved - base) / max(abs(base), 1e-12)
    return _judge_output_shape(m, spec, pairing_tolerance)


def broadcast_shape(a: list[int], b: list[int]) -> list[int] | None:
    """The shape ``a`` and ``b`` broadcast to, or None when they do not broadcast."""
    out = []
    for x, y in zip(
        reversed([1] * (len(b) - len(a)) + a), reversed([1] * (len(a) - len(b)) + b), strict=True
    ):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return out[::-1]


def _differs(a: Any, b: Any) -> bool:

    return max_abs_diff(a, b) > 0


def _judge_output_shape(m: dict[str, Any], spec: LossSpec, tolerance: float) -> Finding:
    out, tgt = m["output_shapes"], m["target_shapes"]
    bshape = m.get("broadcast_shape")
    both = (
        isinstance(out, list)
        and isinstance(tgt, list)
        and all(isinstance(s, int) for s in out + tgt)
    )
    mismatch = ""
    if both and spec.known:
        if spec.task == "multiclass" and len(out) == len(tgt) + 1:
            if out[:1] + out[2:] != tgt:
                mismatch = f"expected targets of shape {out[:1] + out[2:]} for outputs {out}"
        elif out != tgt:
            mismatch = f"{spec.source} needs equal shapes"
    broadcasts = bool(
        both and bshape is not None and math.prod(bshape) > max(math.prod(out), math.prod(tgt))
    )
    invariant = m.get("targets_vary") and m.get("outputs_vary") and m["pairing_change"] <= tolerance
    fix = (
        " — squeeze the output (out.squeeze(-1)) or reshape the targets so both are "
        f"{tgt if len(tgt) >= len(out) else out}"
        if both
        else ""
    )
    if mismatch or (invariant and (spec.known or broadcasts)):
        where = f" broadcast to {bshape}" if broadcasts else ""
        why = f"{mismatch}: " if mismatch else ""
        pairing = (
            f"; shuffling the targets across the batch leaves the loss at "
            f"{fmt(m['loss_paired'])}, so every output is compared with every target"
            if invariant
            else ""
        )
        return finding(
            "output_shape",
            FAIL,
            f"outputs {out} and targets {tgt}{where} inside the loss — {why}silent "
            f"broadcasting{pairing}{fix}",
            m,
        )
    if invariant:
        return finding(
            "output_shape",
            WARN,
            f"the loss stays at {fmt(m['loss_paired'])} when the targets are shuffled across the "
            f"batch (outputs {out}, targets {tgt}): it does not compare each output with its "
            "own target — fine for a loss that ignores targets, otherwise check for "
            "broadcasting or a reshape mixing samples",
            m,
        )
    if broadcasts:
        return finding(
            "output_shape",
            WARN,
            f"outputs {out} and targets {tgt} would broadcast to {bshape}; the loss still "
            "pairs samples (shuffling targets changes it), so it probably reshapes them — "
            f"make the shapes match explicitly{fix}",
            m,
        )
    return finding(
        "output_shape", PASS, f"outputs {out} line up with targets {tgt} ({spec.source} loss)", m
    )
