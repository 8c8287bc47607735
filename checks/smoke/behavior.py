"""How the model treats its batch: the output depends on the input (``input_dependence``).

Whether samples stay independent of each other (``batch_independence``) is judged in
:mod:`.independence`, re-exported here.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .independence import batch_independence
from .lossinfo import LossFn
from .results import Finding, finding, fmt, fmt_names
from .state import isolated
from .tensors import (
    TakeSamples,
    call_model,
    derangement,
    iter_tensors,
    loss_value,
    max_abs,
    max_abs_diff,
    prepare_batch,
)

__all__ = ["batch_independence", "input_dependence"]

PASS, WARN, FAIL, SKIP = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.SKIP,
)


def input_dependence(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    tolerance: float = 1e-6,
    take_samples: TakeSamples | None = None,
) -> Finding:
    """The output (and loss) changes when inputs are zeroed, replaced by noise or shuffled.

    Eval mode. Fails when shuffling the samples leaves every output in place by more than
    ``tolerance`` (relative): the model ignores its input when zeroed or random inputs give
    the same output too, otherwise the output depends on the batch as a whole. With several
    input tensors, one that has no influence gets a warning. A perturbation the model
    refuses (zero lengths for a packed sequence, unsorted offsets) is left out for that
    tensor; shuffling inputs whose samples are not a leading dimension needs
    ``take_samples``.
    """
    with isolated(model, seed) as work, torch.no_grad():
        work.eval()
        inputs, targets, layout = prepare_batch(work, batch, batch_dim, take_samples)
        base = call_model(work, inputs)
        scale = max(max_abs(base), 1e-12)
        out_zero, zeroed_paths = _perturbed(work, inputs, torch.zeros_like)
        out_noise, noised_paths = _perturbed(work, inputs, _noise)
        m: dict[str, Any] = {
            "zeroed_diff": None if out_zero is None else max_abs_diff(base, out_zero) / scale,
            "noise_diff": None if out_noise is None else max_abs_diff(base, out_noise) / scale,
            "zeroed_inputs": zeroed_paths,
            "noised_inputs": noised_paths,
            "loss": loss_value(loss_fn(base, targets)),
            "loss_zeroed": None if out_zero is None else loss_value(loss_fn(out_zero, targets)),
        }
        if layout.size >= 2 and layout.can_take_inputs:
            perm = derangement(layout.size)
            shuffled = layout.take_inputs(inputs, perm)
            m["inputs_vary"] = _inputs_differ(inputs, shuffled)
            out_shuf = call_model(work, shuffled)
            m["shuffled_diff"] = max_abs_diff(base, out_shuf) / scale
            m["loss_shuffled"] = loss_value(loss_fn(out_shuf, targets))
        elif layout.ragged is not None:
            m["ragged"] = layout.ragged
        paths = [p for p, _ in iter_tensors(inputs)]
        if len(paths) > 1:
            m["inert_inputs"] = [
                p for p in paths if _zero_one(work, inputs, p, base) / scale <= tolerance
            ]
    return _judge_dependence(m, tolerance)


def _inputs_differ(a: Any, b: Any) -> bool:
    try:
        return max_abs_diff(a, b) > 0
    except (RuntimeError, ValueError):  # a take_samples hook may change the structure
        return True


def _perturbed(model: nn.Module, inputs: Any, change: Any) -> tuple[Any | None, list[str]]:
    """The output with every input tensor changed; when the model refuses that, with only
    the tensors it accepts changed (one at a time first). ``(None, [])`` when none."""
    paths = [p for p, _ in iter_tensors(inputs)]
    try:
        return call_model(model, _replace(inputs, set(paths), change)), paths
    except Exception:
        pass
    accepted = []
    for path in paths:
        try:
            call_model(model, _replace(inputs, {path}, change))
        except Exception:
            continue
        accepted.append(path)
    if not accepted:
        return None, []
    try:
        return call_model(model, _replace(inputs, set(accepted), change)), accepted
    except Exception:
        return None, []


def _replace(tree: Any, paths: set[str], change: Any, prefix: str = "inputs") -> Any:
    if isinstance(tree, torch.Tensor):
        return change(tree) if prefix in paths else tree
    if isinstance(tree, dict):
        return {k: _replace(v, paths, change, f"{prefix}[{k!r}]") for k, v in tree.items()}
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        return type(tree)(_replace(v, paths, change, f"{prefix}[{i}]") for i, v in enumerate(tree))
    if hasattr(tree, "_fields") and hasattr(tree, "data"):  # PackedSequence: its data
        data = tree.data
        return tree._replace(data=change(data)) if f"{prefix}.data" in paths else tree
    return tree


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
    """How much zeroing one input tensor moves the output (inf: the model refuses it)."""
    try:
        return max_abs_diff(base, call_model(model, _replace(inputs, {path}, torch.zeros_like)))
    except Exception:
        return float("inf")


def _judge_dependence(m: dict[str, Any], tol: float) -> Finding:
    shuffled = m.get("shuffled_diff")
    zeroed = f", with zeroed inputs {fmt(m['loss_zeroed'])}" if m["loss_zeroed"] is not None else ""
    losses = f"loss {fmt(m['loss'])}{zeroed}" + (
        f", shuffled {fmt(m['loss_shuffled'])}" if "loss_shuffled" in m else ""
    )
    probes = [d for d in (m["zeroed_diff"], m["noise_diff"]) if d is not None]
    if not probes and shuffled is None:
        return finding(
            "input_dependence",
            SKIP,
            "the model refuses zeroed and random inputs"
            + (f", and {m['ragged']}" if m.get("ragged") else "")
            + ": nothing to compare — pass take_samples to smoke.run so samples can be shuffled",
            m,
        )
    blind = any(d <= tol for d in probes)
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
