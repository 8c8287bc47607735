"""``batch_independence``: sample i's output does not depend on the input of sample j ≠ i."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .flat_rows import READINGS, folded, unfold
from .lossinfo import LossFn
from .results import Finding, finding, fmt
from .state import isolated
from .tensors import (
    BatchLayout,
    TakeSamples,
    call_model,
    derangement,
    iter_tensors,
    map_tensors,
    max_abs,
    max_abs_diff,
    prepare_batch,
)

PASS, FAIL, SKIP = Status.PASS, Status.FAIL, Status.SKIP


def batch_independence(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn | None = None,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    tolerance: float = 1e-6,
    take_samples: TakeSamples | None = None,
) -> Finding:
    """The output of sample i does not depend on the input of sample j ≠ i.

    Float inputs with a batch dimension: the gradient of a random projection of sample i's
    output with respect to every other sample's input must vanish (relative to its own,
    ``tolerance``). Other inputs (token ids, …): replacing every other sample must leave
    sample i's output unchanged. Checked for the first, middle and last sample, in **eval
    mode**, because BatchNorm legitimately mixes samples in train mode. With at least two
    other samples in the batch, one backward probes the three together (a gradient that
    reaches any other sample's input is a leak) and each is probed alone only then, to
    name the pair. Inputs whose
    samples are not a leading dimension (offsets, a PackedSequence) need
    ``take_samples(inputs, index) -> inputs``; without it the check is skipped. A model
    whose eval output is random (see ``eval_mode``) is judged by gradients only.
    """
    with isolated(model, seed) as work:
        work.eval()
        inputs, _, layout = prepare_batch(work, batch, batch_dim, take_samples)
        if layout.size < 2:
            return finding("batch_independence", SKIP, "needs a batch of at least 2 samples")
        indices = sorted({0, layout.size // 2, layout.size - 1})
        m: dict[str, Any] = {"batch_size": layout.size, "samples": indices}
        if layout.ragged is not None:
            m["ragged"] = layout.ragged
        if layout.ragged is None:
            m.update(_gradient_leaks(work, inputs, layout, indices, tolerance))
        else:
            m["gradient_leak"] = None
        if not layout.can_take_inputs:
            if m.get("gradient_leak") is None:
                return finding(
                    "batch_independence",
                    SKIP,
                    f"cannot select samples: {layout.ragged} — pass take_samples=fn(inputs, "
                    "index) -> inputs of those samples to smoke.run to check it",
                    m,
                )
        elif m.get("gradient_leak") is None or any(
            not t.is_floating_point() for _, t in iter_tensors(inputs)
        ):
            with torch.no_grad():
                base, again = call_model(work, inputs), call_model(work, inputs)
                m["eval_random"] = max_abs_diff(base, again) > 0
                if not m["eval_random"]:
                    leak, reading = _perturbation_leak(work, inputs, layout, indices)
                    m["perturbation_leak"] = leak
                    if reading is not None:
                        m["output_rows"] = reading
        if m.get("eval_random") and m.get("gradient_leak") is None:
            return finding(
                "batch_independence",
                SKIP,
                "the output is random in eval mode (two passes differ: noise drawn in forward, "
                "e.g. a hidden state from torch.randn — see `eval_mode`), so replacing other "
                "samples cannot tell whether they influence each other",
                m,
            )
    return _judge_independence(m, tolerance)


#: Samples outside the probed ones that let one backward probe them together.
_OUTSIDE = 2


def _gradient_leaks(
    model: nn.Module, inputs: Any, layout: BatchLayout, indices: list[int], tolerance: float
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

    def projection(samples: list[int]) -> torch.Tensor:
        proj = torch.zeros((), device=outs[0][0].device)
        for (t, d), w in zip(outs, weights, strict=True):
            for i in samples:
                proj = proj + (t.select(d, i) * w.select(d, i)).sum()
        return proj

    def per_sample(g: torch.Tensor, leaf: torch.Tensor) -> torch.Tensor | None:
        d = layout.dim_of(leaf)
        return None if d is None else g.abs().transpose(0, d).reshape(layout.size, -1).sum(1)

    if layout.size - len(indices) >= _OUTSIDE:
        # one backward for the probed samples together: a gradient reaching any other
        # sample's input is a leak; only then is each probed alone, to name the pair
        grads = torch.autograd.grad(
            projection(indices), leaves, retain_graph=True, allow_unused=True
        )
        combined = 0.0
        for leaf, g in zip(leaves, grads, strict=True):
            per = None if g is None else per_sample(g, leaf)
            if per is None:
                continue
            own = float(per[indices].sum().item())
            outside = per.clone()
            outside[indices] = 0
            most = float(outside.max().item())
            combined = max(combined, most / own if own > 0 else float(most > 0))
        if combined <= tolerance:
            return {"gradient_leak": combined, "gradient_pair": None}
    worst, pair = 0.0, None
    for i in indices:
        grads = torch.autograd.grad(projection([i]), leaves, retain_graph=True, allow_unused=True)
        for leaf, g in zip(leaves, grads, strict=True):
            per = None if g is None else per_sample(g, leaf)
            if per is None:
                continue
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
) -> tuple[float, str | None]:
    """Largest relative change of sample i's output when every other sample is replaced,
    and how the output's rows were read when it folds the batch into them
    (:mod:`.flat_rows`: the reading that keeps samples apart, if any does)."""
    base = call_model(model, inputs)
    scale = max(max_abs(base), 1e-12)
    perm = derangement(layout.size)
    flat = folded(base, layout.size)
    worst = {reading: 0.0 for reading in READINGS} if flat is not None else {"": 0.0}
    for i in indices:
        index = perm.clone()
        index[i] = i  # sample i stays, every other position gets another sample
        moved = call_model(model, layout.take_inputs(inputs, index))
        for reading in worst:
            if flat is None:
                a, b = layout.sample(base, i), layout.sample(moved, i)
            else:
                a = unfold(flat, layout.size, reading)[i]
                b = unfold(moved, layout.size, reading)[i]
            worst[reading] = max(worst[reading], max_abs_diff(a, b) / scale)
    best = min(worst, key=lambda r: worst[r])
    return worst[best], best or None


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
    rows = (
        f"; the output folds the batch into its rows, read {m['output_rows']}"
        if m.get("output_rows")
        else ""
    )
    return finding(
        "batch_independence",
        PASS,
        f"samples {m['samples']} depend only on their own input (eval mode){rows}",
        m,
    )
