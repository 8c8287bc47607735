"""``memory_per_batch``: peak training memory per batch size, the largest batch that fits a
budget, and the layer that dominates.

One training step (forward, loss, backward, optimizer step) at a few batch sizes built from
the batch's own samples (repeated to reach sizes above it). On CUDA the peak comes from the
allocator (``torch.cuda.max_memory_allocated``); on CPU it is counted: parameters,
gradients and optimizer state, plus every tensor autograd saves for backward (distinct
storages, attributed to the innermost module running when it was saved) and the outputs.
Peak memory is close to linear in the batch size: ``fixed + per_sample × B`` is fitted
and solved for the budget.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .loop import OptimizerFactory, make_optimizer
from .lossinfo import LossFn
from .results import Finding, finding, fmt
from .state import isolated
from .tensors import TakeSamples, call_model, iter_tensors, model_device, prepare_batch

MB = 2**20


def memory_per_batch(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    budget_mb: float | None = None,
    optimizer: OptimizerFactory | None = None,
    batch_dim: int = 0,
    take_samples: TakeSamples | None = None,
    batch_sizes: tuple[int, ...] | None = None,
    seed: int | None = 0,
) -> Finding:
    """Peak memory of one training step per batch size, and the largest batch under
    ``budget_mb`` (default on CUDA: the device's free memory; on CPU none).

    Fails when the given batch does not fit the budget; passes with the largest batch
    that fits; skipped (with the numbers) when there is no budget to judge against.
    ``batch_sizes`` defaults to a quarter, half and all of the batch, and twice it.
    """
    with isolated(model, seed) as work:
        work.train()
        inputs, targets, layout = prepare_batch(work, batch, batch_dim, take_samples)
        if not layout.can_take_inputs:
            return finding(
                "memory_per_batch",
                Status.SKIP,
                f"cannot build other batch sizes: {layout.ragged} — pass take_samples",
            )
        size = layout.size
        sizes = sorted(set(batch_sizes or (max(1, size // 4), max(1, size // 2), size, 2 * size)))
        device = model_device(work)
        cuda = device.type == "cuda"
        points: list[dict[str, Any]] = []
        layers: dict[str, int] = {}
        for b in sizes:
            index = torch.arange(b) % size
            sub = (layout.take_inputs(inputs, index), layout.take(targets, index))
            peak, per_layer = _step_peak(work, sub, loss_fn, optimizer, cuda)
            points.append({"batch_size": b, "peak_mb": peak / MB})
            if b == size or not layers:
                layers = per_layer
        fixed, per_sample = _fit(points)
        if budget_mb is None and cuda:
            free, _ = torch.cuda.mem_get_info(device)
            budget_mb = free / MB
    top = sorted(layers.items(), key=lambda kv: -kv[1])[:5]
    m: dict[str, Any] = {
        "device": str(device),
        "measured": "allocator peak"
        if cuda
        else "counted (params, grads, optimizer state, saved activations)",
        "points": points,
        "fixed_mb": fixed,
        "per_sample_mb": per_sample,
        "batch_size": size,
        "budget_mb": budget_mb,
        "top_layers_mb": {k: v / MB for k, v in top},
    }
    at_size = next(p["peak_mb"] for p in points if p["batch_size"] == size)
    where = (
        f"; `{top[0][0]}` holds the most activation memory ({fmt(top[0][1] / MB)} MB)"
        if top
        else ""
    )
    curve = ", ".join(f"{p['batch_size']}: {fmt(p['peak_mb'])} MB" for p in points)
    if budget_mb is None:
        return finding(
            "memory_per_batch",
            Status.SKIP,
            f"no memory budget to judge against (pass budget_mb): peak per batch size {curve} "
            f"(≈ {fmt(fixed)} MB + {fmt(per_sample)} MB per sample){where}",
            m,
        )
    largest = math.floor((budget_mb - fixed) / per_sample) if per_sample > 0 else None
    m["largest_batch"] = largest
    if at_size > budget_mb:
        return finding(
            "memory_per_batch",
            Status.FAIL,
            f"a batch of {size} needs {fmt(at_size)} MB, over the budget of {fmt(budget_mb)} MB: "
            f"it runs out of memory — the largest batch that fits is about {largest} "
            f"(peak per batch size {curve}){where}; shrink the batch, accumulate gradients, or "
            "checkpoint activations",
            m,
        )
    fits = f"about {largest}" if largest is not None else "any size (no per-sample memory)"
    return finding(
        "memory_per_batch",
        Status.PASS,
        f"a batch of {size} needs {fmt(at_size)} MB of {fmt(budget_mb)} MB; the largest batch "
        f"that fits is {fits} (peak per batch size {curve}){where}",
        m,
    )


def _fit(points: list[dict[str, Any]]) -> tuple[float, float]:
    """Least squares ``peak = fixed + per_sample × B``."""
    xs = [float(p["batch_size"]) for p in points]
    ys = [float(p["peak_mb"]) for p in points]
    if len(xs) < 2:
        return ys[0], 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    return my - slope * mx, max(slope, 0.0)


def _step_peak(
    model: nn.Module,
    batch: tuple[Any, Any],
    loss_fn: LossFn,
    factory: OptimizerFactory | None,
    cuda: bool,
) -> tuple[float, dict[str, int]]:
    """Peak bytes of one training step, and saved-activation bytes per leaf module."""
    inputs, targets = batch
    opt = make_optimizer(factory, model)
    stack: list[str] = []
    per_layer: dict[str, int] = {}
    seen: set[int] = set()
    param_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved = [0]

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in seen and ptr not in param_storages:
            seen.add(ptr)
            nbytes = t.untyped_storage().nbytes()
            saved[0] += nbytes
            where = stack[-1] if stack else "loss_fn"
            per_layer[where] = per_layer.get(where, 0) + nbytes
        return t

    def push(name: str) -> Any:
        def pre(module: nn.Module, args: Any) -> None:
            stack.append(name)

        return pre

    def pop(module: nn.Module, args: Any, output: Any) -> None:
        if stack:
            stack.pop()

    handles = []
    for name, mod in model.named_modules():
        handles.append(
            mod.register_forward_pre_hook(push(f"{name or 'model'} ({type(mod).__name__})"))
        )
        handles.append(mod.register_forward_hook(pop))
    try:
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            start = torch.cuda.memory_allocated()
        opt.zero_grad(set_to_none=True)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            output = call_model(model, inputs)
            loss = loss_fn(output, targets)
        out_bytes = sum(t.untyped_storage().nbytes() for _, t in iter_tensors(output))
        torch.autograd.backward(loss)
        opt.step()
        if cuda:
            torch.cuda.synchronize()
            peak = float(torch.cuda.max_memory_allocated() - start)
            resident = sum(
                t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()]
            )
            return peak + resident, per_layer
    finally:
        for h in handles:
            h.remove()
    return float(saved[0] + out_bytes + _state_bytes(model, opt)), per_layer


def _state_bytes(model: nn.Module, opt: torch.optim.Optimizer, *, grads: bool = True) -> int:
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    grad = sum(
        p.grad.numel() * p.grad.element_size()
        for p in model.parameters()
        if grads and p.grad is not None and not p.grad.is_sparse
    )
    state = sum(
        v.numel() * v.element_size()
        for s in opt.state.values()
        for v in s.values()
        if isinstance(v, torch.Tensor)
    )
    return params + buffers + grad + state
