"""Inputs are sensibly scaled where the model's first weight layer reads them.

What matters is the scale the first ``Linear``/``Conv``/RNN layer sees: a model that
normalizes inside its forward (a BatchNorm or a standardizing layer first) is fine with raw
inputs, and a model fed raw 0–255 pixels is not. Statistics are per feature: the last
dimension for Linear/RNN/attention inputs, the channel dimension for convolutions.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .lossinfo import LossFn
from .results import Finding, finding, fmt
from .state import isolated
from .tensors import call_model, iter_tensors, prepare_batch

_CHANNEL_FIRST = (nn.modules.conv._ConvNd,)
_FEATURE_LAST = (nn.Linear, nn.Bilinear, nn.RNNBase, nn.MultiheadAttention)


def input_scaling(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn | None = None,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    warn_scale: float = 3.0,
    fail_scale: float = 10.0,
    tiny_scale: float = 1e-3,
    spread_warn: float = 100.0,
) -> Finding:
    """Per-feature mean and std of what each entry weight layer receives, near 0 and 1.

    Per feature, its *scale* is ``max(|mean|, std)``. Fails when the largest scale exceeds
    ``fail_scale`` (unnormalized values in the tens or more) or the largest is below
    ``tiny_scale`` (inputs squashed to ~0), or when inputs hold NaN/Inf. Warns above
    ``warn_scale``, or when non-constant features differ in std by more than
    ``spread_warn``×. Integer inputs (token ids) are not judged. Runs in train mode, as
    training sees the inputs (an input BatchNorm normalizes with batch statistics).
    """
    with isolated(model, seed) as work, torch.no_grad():
        work.train()  # as in training: a leading BatchNorm normalizes with batch statistics
        inputs, _, _ = prepare_batch(work, batch, batch_dim)
        raw = {id(t): p for p, t in iter_tensors(inputs)}
        seen: list[tuple[str, torch.Tensor, int]] = []

        def hook(name: str) -> Any:
            def record(module: nn.Module, args: Any, output: Any) -> None:
                x = args[0] if args and isinstance(args[0], torch.Tensor) else None
                if x is None or not x.is_floating_point() or x.ndim < 2:
                    return
                first = not seen
                direct = id(x) in raw
                if (first or direct) and not any(n == name for n, _, _ in seen):
                    dim = 1 if isinstance(module, _CHANNEL_FIRST) else x.ndim - 1
                    label = f"{raw[id(x)]} → `{name}`" if direct else f"input of `{name}`"
                    seen.append((label, x.detach(), dim))

            return record

        handles = [
            mod.register_forward_hook(hook(name))
            for name, mod in work.named_modules()
            if isinstance(mod, _CHANNEL_FIRST + _FEATURE_LAST)
        ]
        try:
            call_model(work, inputs)
        finally:
            for h in handles:
                h.remove()
        if not seen:  # no recognizable weight layer: judge the raw float inputs
            for path, t in iter_tensors(inputs):
                if t.is_floating_point() and t.ndim >= 2:
                    seen.append((path, t, 1 if t.ndim != 3 else 2))
        m: dict[str, Any] = {"tensors": [_stats(label, x, dim) for label, x, dim in seen]}
    return _judge_scaling(m, warn_scale, fail_scale, tiny_scale, spread_warn)


def _stats(label: str, x: torch.Tensor, dim: int) -> dict[str, Any]:
    flat = x.double().movedim(dim, -1).reshape(-1, x.shape[dim])
    finite = bool(torch.isfinite(flat).all())
    mean = flat.mean(0)
    std = flat.std(0) if flat.shape[0] > 1 else torch.zeros_like(mean)
    scale = torch.maximum(mean.abs(), std)
    varying = std > 0
    stds = std[varying]
    return {
        "where": label,
        "features": int(x.shape[dim]),
        "finite": finite,
        "max_scale": float(scale.max().item()) if finite else float("nan"),
        "worst_feature": int(scale.argmax().item()) if finite else None,
        "worst_mean": float(mean[scale.argmax()].item()) if finite else None,
        "worst_std": float(std[scale.argmax()].item()) if finite else None,
        "mean_abs_mean": float(mean.abs().mean().item()) if finite else None,
        "mean_std": float(std.mean().item()) if finite else None,
        "std_spread": float((stds.max() / stds.min()).item()) if finite and stds.numel() else 1.0,
        "constant_features": int((~varying).sum().item()),
    }


def _judge_scaling(
    m: dict[str, Any], warn: float, fail: float, tiny: float, spread: float
) -> Finding:
    if not m["tensors"]:
        return finding("input_scaling", Status.SKIP, "no float input to judge", m)
    fails, warns = [], []
    for s in m["tensors"]:
        where = s["where"]
        if not s["finite"]:
            fails.append(f"{where} holds NaN/Inf — clean the data pipeline")
            continue
        desc = (
            f"{where}: feature {s['worst_feature']} has mean {fmt(s['worst_mean'])} and std "
            f"{fmt(s['worst_std'])}"
        )
        if s["max_scale"] > fail:
            fails.append(
                f"{desc} (features average |mean| {fmt(s['mean_abs_mean'])}, std "
                f"{fmt(s['mean_std'])}): the inputs are not normalized — standardize them "
                "per feature/channel with training-set statistics (e.g. images / 255, then "
                "subtract the mean and divide by the std)"
            )
        elif s["max_scale"] < tiny:
            size = "all 0" if s["max_scale"] == 0 else f"within ±{fmt(s['max_scale'])}"
            fails.append(
                f"{where}: every feature is {size}: the inputs are squashed to ~0 (scaled "
                "twice? masked out?) — normalize them to unit scale once"
            )
        elif s["max_scale"] > warn:
            warns.append(f"{desc}: standardize the inputs to mean 0, std 1")
        elif s["std_spread"] > spread:
            warns.append(
                f"{where}: feature stds differ by {fmt(s['std_spread'])}×: standardize per feature"
            )
    if fails:
        return finding("input_scaling", Status.FAIL, "; ".join(fails), m)
    if warns:
        return finding("input_scaling", Status.WARN, "; ".join(warns), m)
    scales = ", ".join(f"{s['where']} (max scale {fmt(s['max_scale'])})" for s in m["tensors"])
    return finding("input_scaling", Status.PASS, f"inputs are normalized: {scales}", m)
