"""Outputs that fold the batch into their rows.

A sequence model often returns ``output.view(-1, vocab)``: ``(B·T, V)`` rows for a batch of
``B`` — Lightning's demo Transformer, most language-model tutorials — so no output
dimension has the batch size. The batch-aware checks read such an output back as
``(B, T, …)``: *batch-major* (``view`` of a batch-first ``(B, T, V)``, rows ``i·T … i·T+T-1``
belong to sample ``i``) or *time-major* (of a ``(T, B, V)`` output, rows ``i, i+B, …``).
Which one holds is decided from the model's behaviour, not guessed: the reading under
which a sample's rows stay put when every other sample is replaced.
"""

from __future__ import annotations

from typing import Any

import torch

from .tensors import BatchLayout, call_model, derangement, iter_tensors

READINGS = ("batch-major", "time-major")

__all__ = ["READINGS", "choose_reading", "folded", "unfold"]


def folded(output: Any, size: int) -> torch.Tensor | None:
    """The output when it is one float tensor whose leading dimension is ``k × size``
    (``k > 1``) and no dimension has the batch size; else None."""
    if not isinstance(output, torch.Tensor) or not output.is_floating_point() or size < 2:
        return None
    if output.ndim == 0 or size in output.shape:
        return None
    rows = output.shape[0]
    return output if rows > size and rows % size == 0 else None


def unfold(output: torch.Tensor, size: int, reading: str) -> torch.Tensor:
    """``(size·k, …)`` rows as ``(size, k, …)`` under ``reading``."""
    k = output.shape[0] // size
    if reading == "batch-major":
        return output.reshape(size, k, *output.shape[1:])
    return output.reshape(k, size, *output.shape[1:]).transpose(0, 1)


def choose_reading(
    model: torch.nn.Module, inputs: Any, layout: BatchLayout, base: torch.Tensor
) -> str | None:
    """The reading under which sample 0's rows do not move when every other sample is
    replaced (one extra forward pass); None when neither reading keeps samples apart or
    the samples cannot be selected."""
    if not layout.can_take_inputs:
        return None
    index = derangement(layout.size)
    index[0] = 0
    moved = call_model(model, layout.take_inputs(inputs, index))
    moved_t = next((t for _, t in iter_tensors(moved, "output")), None)
    if not isinstance(moved_t, torch.Tensor) or moved_t.shape != base.shape:
        return None
    for reading in READINGS:
        a, b = unfold(base, layout.size, reading)[0], unfold(moved_t, layout.size, reading)[0]
        if bool(torch.equal(a, b)) or float((a - b).abs().max().item()) == 0.0:
            return reading
    return None
