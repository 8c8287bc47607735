"""``causality``: in a decoder or causal sequence model, the output at position t does not
depend on inputs after t.

The probe of ``batch_independence``, along the time axis: the inputs after position t are
replaced (random values of their kind: noise for floats, other ids for tokens), and the
outputs up to t must not move. Run for models the team marks as causal
(``smoke.run(..., causal_dim=1)``): an encoder legitimately reads the whole sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .flat_rows import choose_reading, folded, unfold
from .lossinfo import LossFn
from .results import Finding, finding, fmt
from .state import isolated
from .tensors import (
    BatchLayout,
    call_model,
    iter_tensors,
    max_abs,
    max_abs_diff,
    prepare_batch,
)

PASS, FAIL, SKIP = Status.PASS, Status.FAIL, Status.SKIP


def causality(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn | None = None,
    *,
    time_dim: int | Mapping[str, int] | None = None,
    output_time_dim: int | None = None,
    batch_dim: int = 0,
    seed: int | None = 0,
    tolerance: float = 1e-6,
) -> Finding:
    """Outputs at positions ≤ t ignore inputs at positions > t (eval mode).

    ``time_dim`` is the time axis of the input tensors (those whose size there is the
    sequence length are perturbed; others, such as an image the decoder attends to, stay),
    or a mapping ``{input path: dim}`` naming the causal inputs (``{"inputs[1]": 1}`` for
    the target tokens of ``model(src, tgt)``: the source may be read whole);
    ``output_time_dim`` that of the output (default: the same, or the one dimension of the
    output with the sequence length). Checked at the first, middle and second-to-last
    position. Skipped when ``time_dim`` is not given, or when the eval output is random.
    """
    if time_dim is None:
        return finding(
            "causality",
            SKIP,
            "not marked causal: for a decoder or causal model pass causal_dim=<time dimension "
            "of its inputs> to smoke.run (an encoder may read the whole sequence)",
        )
    with isolated(model, seed) as work, torch.no_grad():
        work.eval()
        inputs, _, layout = prepare_batch(work, batch, batch_dim)
        dims = (
            dict(time_dim)
            if isinstance(time_dim, Mapping)
            else {p: time_dim for p, t in iter_tensors(inputs) if t.ndim > time_dim}
        )
        found = dict(iter_tensors(inputs))
        timed = [(p, d) for p, d in dims.items() if p in found and found[p].ndim > d]
        if not timed:
            return finding(
                "causality",
                SKIP,
                f"no input tensor has the time dimension {time_dim} (input paths: {list(found)})",
            )
        length = int(found[timed[0][0]].shape[timed[0][1]])
        dims = {p: d for p, d in timed if found[p].shape[d] == length}
        first_dim = timed[0][1]
        base = call_model(work, inputs)
        out = next(
            (t for _, t in iter_tensors(base, "output") if t.is_floating_point()),
            None,
        )
        odim = _output_dim(out, length, output_time_dim, first_dim, batch_dim)
        m: dict[str, Any] = {"length": length, "time_dims": dims, "output_time_dim": odim}
        view = _rows_view(work, inputs, layout, out, length) if odim is None else None
        if view is not None and out is not None:  # (B·T, …) rows: read as (B, T, …)
            m["output_rows"], odim = view.__name__, 1
            out = view(out)
        if out is None or odim is None or length < 2:
            rows = out is not None and folded(out, layout.size) is not None
            why = (
                f"the output folds the batch into its {out.shape[0]} rows and neither a "
                "batch-major nor a time-major reading keeps the samples apart (see "
                "`batch_independence`)"
                if rows and out is not None
                else f"no output dimension of the sequence length {length}"
            )
            return finding("causality", SKIP, f"{why}: pass output_time_dim", m)
        if max_abs_diff(base, call_model(work, inputs)) > 0:
            return finding(
                "causality",
                SKIP,
                "the output is random in eval mode (see `eval_mode`): cannot tell",
                m,
            )
        scale = max(max_abs(out), 1e-12)
        positions = sorted({0, (length - 1) // 2, length - 2})
        leaks: dict[int, float] = {}
        moves: dict[int, float] = {}
        for t in positions:
            changed = _change_after(inputs, dims, length, t)
            moved = next(t_ for _, t_ in iter_tensors(call_model(work, changed), "output"))
            moved = view(moved) if view is not None else moved
            past = (moved.narrow(odim, 0, t + 1) - out.narrow(odim, 0, t + 1)).abs()
            future = (
                moved.narrow(odim, t + 1, length - t - 1) - out.narrow(odim, t + 1, length - t - 1)
            ).abs()
            leaks[t] = float(past.max().item()) / scale
            moves[t] = float(future.max().item()) / scale
        m["past_change"] = {str(k): v for k, v in leaks.items()}
        m["future_change"] = {str(k): v for k, v in moves.items()}
        worst = max(leaks, key=lambda k: leaks[k])
        if leaks[worst] > tolerance and len(dims) > 1:
            m["leaking_inputs"] = [
                path
                for path in dims
                if _past_change(work, inputs, {path: dims[path]}, length, worst, odim, out, view)
                > tolerance * scale
            ]
    if leaks[worst] > tolerance:
        which = (
            f" (through {', '.join(f'`{p}`' for p in m['leaking_inputs'])})"
            if m.get("leaking_inputs")
            else ""
        )
        return finding(
            "causality",
            FAIL,
            f"the output at positions ≤ {worst} changes by {fmt(leaks[worst])} (relative) when "
            f"only inputs after position {worst} change{which}: future positions leak into the past "
            "— a Transformer decoder without its causal mask (tgt_mask="
            "nn.Transformer.generate_square_subsequent_mask(T), or is_causal=True), an "
            "encoder given the sequence without its mask (src_mask), a "
            "bidirectional RNN, a convolution padded on both sides, a mask over the wrong axis",
            m,
        )
    if max(moves.values()) <= tolerance:
        return finding(
            "causality",
            SKIP,
            "changing the inputs after a position moves no output at all: the probe changed "
            "nothing the model reads (check time_dim)",
            m,
        )
    return finding(
        "causality",
        PASS,
        f"outputs at positions ≤ t ignore inputs after t (t = {positions}, sequence of {length})",
        m,
    )


def _past_change(
    model: nn.Module,
    inputs: Any,
    dims: dict[str, int],
    length: int,
    t: int,
    odim: int,
    out: torch.Tensor,
    view: Callable[[torch.Tensor], torch.Tensor] | None,
) -> float:
    """How far the outputs up to ``t`` move when only ``dims``' inputs change after ``t``."""
    moved = next(
        x
        for _, x in iter_tensors(
            call_model(model, _change_after(inputs, dims, length, t)), "output"
        )
    )
    moved = view(moved) if view is not None else moved
    return float((moved.narrow(odim, 0, t + 1) - out.narrow(odim, 0, t + 1)).abs().max().item())


def _rows_view(
    model: nn.Module, inputs: Any, layout: BatchLayout, out: torch.Tensor | None, length: int
) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """For an output of ``B·T`` rows (``.view(-1, vocab)``), the function reading it back as
    ``(B, T, …)`` — batch-major or time-major, whichever keeps the samples apart
    (:func:`.flat_rows.choose_reading`); None otherwise."""
    flat = folded(out, layout.size)
    if flat is None or flat.shape[0] != layout.size * length:
        return None
    reading = choose_reading(model, inputs, layout, flat)
    if reading is None:
        return None

    def view(t: torch.Tensor) -> torch.Tensor:
        return unfold(t, layout.size, reading)

    view.__name__ = reading
    return view


def _output_dim(
    out: torch.Tensor | None, length: int, given: int | None, time_dim: int, batch_dim: int
) -> int | None:
    if out is None:
        return None
    if given is not None:
        return given if out.ndim > given and out.shape[given] == length else None
    if out.ndim > time_dim and out.shape[time_dim] == length:
        return time_dim
    dims = [d for d in range(out.ndim) if d != batch_dim and out.shape[d] == length]
    return dims[0] if len(dims) == 1 else None


def _change_after(inputs: Any, dims: dict[str, int], length: int, t: int) -> Any:
    """Inputs with the causal tensors' positions after ``t`` replaced."""

    def walk(tree: Any, path: str) -> Any:
        if isinstance(tree, torch.Tensor):
            return change(tree, dims[path]) if path in dims else tree
        if isinstance(tree, Mapping):
            return {k: walk(v, f"{path}[{k!r}]") for k, v in tree.items()}
        if isinstance(tree, (tuple, list)):
            return type(tree)(walk(v, f"{path}[{i}]") for i, v in enumerate(tree))
        return tree

    def change(x: torch.Tensor, time_dim: int) -> torch.Tensor:
        y = x.clone()
        tail = y.narrow(time_dim, t + 1, length - t - 1)
        if x.is_floating_point():
            tail.copy_(torch.randn_like(tail) * max(float(x.float().std().item()), 1.0))
        elif x.dtype == torch.bool:
            tail.copy_(~tail)
        else:
            low, high = int(x.min().item()), int(x.max().item())
            if high == low:
                high = low + 1
            shifted = low + (tail - low + 1) % (high - low + 1)  # every id moves
            tail.copy_(shifted)
        return y

    return walk(inputs, "inputs")
