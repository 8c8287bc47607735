"""How the model treats its batch: samples stay independent, and the output depends on the
input."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .lossinfo import LossFn
from .results import Finding, FindingStatus, finding, fmt, fmt_names
from .state import isolated
from .tensors import (
    BatchLayout,
    call_model,
    derangement,
    iter_tensors,
    loss_value,
    map_tensors,
    max_abs,
    max_abs_diff,
    prepare_batch,
)

PASS, WARN, FAIL, SKIP = (
    FindingStatus.PASS,
    FindingStatus.WARN,
    FindingStatus.FAIL,
    FindingStatus.SKIP,
)


def batch_independence(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn | None = None,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    tolerance: float = 1e-6,
) -> Finding:
    """The output of sample i does not depend on the input of sample j ≠ i.

    Float inputs: the gradient of a random projection of sample i's output with respect to
    every other sample's input must vanish (relative to its own, ``tolerance``). Other
    inputs (token ids, …): replacing every other sample must leave sample i's output
    unchanged. Checked for the first, middle and last sample, in **eval mode**, because
    BatchNorm legitimately mixes samples in train mode.
    """
    with isolated(model, seed) as work:
        work.eval()
        inputs, _, layout = prepare_batch(work, batch, batch_dim)
        if layout.size < 2:
            return finding("batch_independence", SKIP, "needs a batch of at least 2 samples")
        indices = sorted({0, layout.size // 2, layout.size - 1})
        m: dict[str, Any] = {"batch_size": layout.size, "samples": indices}
        grads = _gradient_leaks(work, inputs, layout, indices)
        m.update(grads)
        with torch.no_grad():
            m["perturbation_leak"] = _perturbation_leak(work, inputs, layout, indices)
    return _judge_independence(m, tolerance)


def _gradient_leaks(
    model: nn.Module, inputs: Any, layout: BatchLayout, indices: list[int]
) -> dict[str, Any]:
    leaves: list[torch.Tensor] = []

    def track(t: torch.Tensor) -> torch.Tensor:
        if t.is_floating_point() and layout.dim_of(t) is not None:
            t = t.detach().clone().requires_grad_(True)
            leaves.append(t)
        return t

    tracked = map_tensors(track, inputs)
    if not leaves:
        return {"gradient_leak": None}
    output = call_model(model, tracked)
    outs: list[tuple[torch.Tensor, int]] = []
    for _, t in iter_tensors(output, "output"):
        d = layout.dim_of(t)
        if d is not None and t.requires_grad and t.is_floating_point():
            outs.append((t, d))
    if not outs:
        return {"gradient_leak": None}
    weights = [torch.randn_like(t) for t, _ in outs]  # a random projection: no cancellation
    worst, pair = 0.0, None
    for i in indices:
        proj = torch.zeros((), device=outs[0][0].device)
        for (t, d), w in zip(outs, weights, strict=True):
            proj = proj + (t.select(d, i) * w.select(d, i)).sum()
        grads = torch.autograd.grad(proj, leaves, retain_graph=True, allow_unused=True)
        for leaf, g in zip(leaves, grads, strict=True):
            if g is None:
                continue
            d = layout.dim_of(leaf)
            if d is None:
                continue
            per = g.abs().transpose(0, d).reshape(layout.size, -1).sum(1)
            own = float(per[i].item())
            others = per.clone()
            others[i] = 0
            j = int(others.argmax().item())
            leak = float(others[j].item()) / max(own, 1e-30) if own > 0 else float(others[j] > 0)
            if leak > worst:
                worst, pair = leak, [i, j]
    return {"gradient_leak": worst, "gradient_pair": pair}


def _perturbation_leak(
    model: nn.Module, inputs: Any, layout: BatchLayout, indices: list[int]
) -> float | None:
    """Largest relative change of sample i's output when every other sample is replaced."""
    if all(t.is_floating_point() for _, t in iter_tensors(inputs)):
        return None
    base = call_model(model, inputs)
    scale = max(max_abs(base), 1e-12)
    perm = derangement(layout.size)
    worst = 0.0
    for i in indices:
        index = perm.clone()
        index[i] = i  # sample i stays, every other position gets another sample
        moved = call_model(model, layout.take(inputs, index))
        worst = max(worst, max_abs_diff(layout.sample(base, i), layout.sample(moved, i)) / scale)
    return worst


def _judge_independence(m: dict[str, Any], tolerance: float) -> Finding:
    grad, pert = m.get("gradient_leak"), m.get("perturbation_leak")
    if grad is None and pert is None:
        return finding(
            "batch_independence", SKIP, "no input or output tensor with a batch dimension", m
        )
    if (grad or 0.0) > tolerance or (pert or 0.0) > tolerance:
        i, j = m.get("gradient_pair") or [m["samples"][0], "another"]
        how = (
            f"the gradient of sample {i}'s output reaches the input of sample {j} "
            f"({fmt(grad or 0.0)}× its own)"
            if (grad or 0.0) > tolerance
            else f"replacing the other samples changes sample {i}'s output by {fmt(pert or 0)}"
        )
        return finding(
            "batch_independence",
            FAIL,
            f"samples in the batch influence each other in eval mode: {how} — look for a "
            "view/reshape that folds the batch into the features, a softmax or normalization "
            "over dim 0, or an RNN given batch-first data without batch_first=True",
            m,
        )
    return finding(
        "batch_independence",
        PASS,
        f"samples {m['samples']} depend only on their own input (eval mode)",
        m,
    )


def input_dependence(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    tolerance: float = 1e-6,
) -> Finding:
    """The output (and loss) changes when inputs are zeroed, replaced by noise or shuffled.

    Eval mode. Fails when shuffling the samples leaves every output in place by more than
    ``tolerance`` (relative): the model ignores its input when zeroed or random inputs give
    the same output too, otherwise the output depends on the batch as a whole. With several
    input tensors, one that has no influence gets a warning.
    """
    with isolated(model, seed) as work, torch.no_grad():
        work.eval()
        inputs, targets, layout = prepare_batch(work, batch, batch_dim)
        base = call_model(work, inputs)
        scale = max(max_abs(base), 1e-12)
        zeroed = map_tensors(torch.zeros_like, inputs)
        out_zero = call_model(work, zeroed)
        out_noise = call_model(work, map_tensors(_noise, inputs))
        m: dict[str, Any] = {
            "zeroed_diff": max_abs_diff(base, out_zero) / scale,
            "noise_diff": max_abs_diff(base, out_noise) / scale,
            "loss": loss_value(loss_fn(base, targets)),
            "loss_zeroed": loss_value(loss_fn(out_zero, targets)),
        }
        if layout.size >= 2:
            perm = derangement(layout.size)
            shuffled = layout.take(inputs, perm)
            m["inputs_vary"] = max_abs_diff(inputs, shuffled) > 0
            out_shuf = call_model(work, shuffled)
            m["shuffled_diff"] = max_abs_diff(base, out_shuf) / scale
            m["loss_shuffled"] = loss_value(loss_fn(out_shuf, targets))
        paths = [p for p, _ in iter_tensors(inputs)]
        if len(paths) > 1:
            m["inert_inputs"] = [
                p for p in paths if _zero_one(work, inputs, p, base) / scale <= tolerance
            ]
    return _judge_dependence(m, tolerance)


def _noise(t: torch.Tensor) -> torch.Tensor:
    """Random values of the tensor's kind: normal floats, integers in its own range."""
    if t.is_floating_point():
        return torch.randn_like(t)
    if t.dtype == torch.bool:
        return torch.rand(t.shape, device=t.device) < 0.5
    if t.numel() == 0:
        return t
    low, high = int(t.min().item()), int(t.max().item())
    return torch.randint(low, high + 1, t.shape, device=t.device, dtype=t.dtype)


def _zero_one(model: nn.Module, inputs: Any, path: str, base: Any) -> float:
    def zero(tree: Any, prefix: str = "inputs") -> Any:
        if isinstance(tree, torch.Tensor):
            return torch.zeros_like(tree) if prefix == path else tree
        if isinstance(tree, dict):
            return {k: zero(v, f"{prefix}[{k!r}]") for k, v in tree.items()}
        if isinstance(tree, (list, tuple)):
            return type(tree)(zero(v, f"{prefix}[{i}]") for i, v in enumerate(tree))
        return tree

    return max_abs_diff(base, call_model(model, zero(inputs)))


def _judge_dependence(m: dict[str, Any], tol: float) -> Finding:
    shuffled = m.get("shuffled_diff")
    losses = f"loss {fmt(m['loss'])}, with zeroed inputs {fmt(m['loss_zeroed'])}" + (
        f", shuffled {fmt(m['loss_shuffled'])}" if "loss_shuffled" in m else ""
    )
    blind = m["zeroed_diff"] <= tol or m["noise_diff"] <= tol
    if blind and (shuffled is None or shuffled <= tol):
        return finding(
            "input_dependence",
            FAIL,
            f"the output does not change when the inputs are zeroed, random or shuffled "
            f"({losses}): "
            "the model ignores its input — a wrong argument or key, an all-zero mask, a "
            "constant path (only biases or an initial state reach the output)",
            m,
        )
    if shuffled is not None and shuffled <= tol and m.get("inputs_vary"):
        return finding(
            "input_dependence",
            FAIL,
            f"shuffling the samples leaves every output where it was ({losses}): the output "
            "does not follow what distinguishes one sample from another — an inverted or "
            "all-zero mask, a wrong argument or key, a mean over the batch dimension",
            m,
        )
    if m.get("inert_inputs"):
        return finding(
            "input_dependence",
            WARN,
            f"the output ignores {fmt_names(m['inert_inputs'])} ({losses}): drop the input or "
            "check that the model reads it",
            m,
        )
    return finding("input_dependence", PASS, f"the output depends on the input ({losses})", m)
