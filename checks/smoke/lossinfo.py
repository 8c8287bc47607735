"""What kind of loss the caller passed, and what its value should be at initialization.

Known losses (``nn.CrossEntropyLoss``, ``F.cross_entropy``, …) are recognized by type. Any
other callable is *probed*: its value at a neutral output (all-zero logits, uniform
log-probabilities) gives it away — ln C means cross entropy on logits, −ln C a negated one.
The lowest value a loss can reach on a batch (:func:`estimate_floor`) is found by
optimizing the outputs themselves (:mod:`.lossfloor`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from .closed_forms import known_floor
from .lossfloor import attainable_minimum

Task = Literal["multiclass", "binary", "regression", "unknown"]
Expects = Literal["logits", "log_probs", "probs", "values", "unknown"]
LossFn = Callable[[Any, Any], torch.Tensor]

_MODULES: dict[type[nn.Module], tuple[Task, Expects]] = {
    nn.CrossEntropyLoss: ("multiclass", "logits"),
    nn.NLLLoss: ("multiclass", "log_probs"),
    nn.BCEWithLogitsLoss: ("binary", "logits"),
    nn.BCELoss: ("binary", "probs"),
    nn.MSELoss: ("regression", "values"),
    nn.L1Loss: ("regression", "values"),
    nn.SmoothL1Loss: ("regression", "values"),
    nn.HuberLoss: ("regression", "values"),
}
_FUNCTIONS: dict[Any, tuple[Task, Expects]] = {
    F.cross_entropy: ("multiclass", "logits"),
    F.nll_loss: ("multiclass", "log_probs"),
    F.binary_cross_entropy_with_logits: ("binary", "logits"),
    F.binary_cross_entropy: ("binary", "probs"),
    F.mse_loss: ("regression", "values"),
    F.l1_loss: ("regression", "values"),
    F.smooth_l1_loss: ("regression", "values"),
    F.huber_loss: ("regression", "values"),
}


@dataclass(frozen=True)
class LossSpec:
    """The task a loss implies and the kind of output it expects.

    ``known`` is true when the loss was recognized by type (its shape rules are then
    enforced strictly); ``source`` names what it was recognized as or ``"probe"``.
    ``sign_flipped`` is set when the probe found a negated classification loss.
    """

    task: Task
    expects: Expects
    source: str
    known: bool
    class_dim: int | None = None
    sign_flipped: bool = False
    ignore_index: int = -100

    @property
    def classification(self) -> bool:
        return self.task in ("multiclass", "binary")


def describe_loss(loss_fn: LossFn, output: Any, targets: Any) -> LossSpec:
    """Recognize ``loss_fn`` by type, else probe it at neutral outputs."""
    base: Any = loss_fn.func if isinstance(loss_fn, functools.partial) else loss_fn
    ignore = int(getattr(base, "ignore_index", -100))
    class_dim = 1 if isinstance(output, torch.Tensor) and output.ndim >= 2 else 0
    for cls, (task, expects) in _MODULES.items():
        if isinstance(base, cls):
            cd = class_dim if task == "multiclass" else None
            return LossSpec(task, expects, cls.__name__, True, cd, ignore_index=ignore)
    if base in _FUNCTIONS:
        task, expects = _FUNCTIONS[base]
        cd = class_dim if task == "multiclass" else None
        return LossSpec(task, expects, f"F.{base.__name__}", True, cd)
    if not isinstance(output, torch.Tensor) or not isinstance(targets, torch.Tensor):
        return LossSpec("unknown", "unknown", "unknown", False)
    if not output.is_floating_point():
        return LossSpec("unknown", "unknown", "unknown", False)
    return _probe(loss_fn, output, targets)


def _probe(loss_fn: LossFn, output: torch.Tensor, targets: torch.Tensor) -> LossSpec:
    def value(out: torch.Tensor) -> float | None:
        try:
            with torch.no_grad():
                v = loss_fn(out, targets)
        except Exception:
            return None
        if not isinstance(v, torch.Tensor) or v.numel() != 1:
            return None
        x = float(v.detach().float().item())
        return x if math.isfinite(x) else None

    def near(a: float | None, b: float) -> bool:
        return a is not None and abs(a - b) <= 1e-3 * max(1.0, abs(b))

    zero = value(torch.zeros_like(output))
    same_shape = output.shape == targets.shape
    float_targets = targets.is_floating_point()
    if near(zero, math.log(2)) and float_targets and output.numel() == targets.numel():
        return LossSpec("binary", "logits", "probe", False)
    if near(zero, -math.log(2)) and float_targets and output.numel() == targets.numel():
        return LossSpec("binary", "logits", "probe", False, sign_flipped=True)
    dims = [d for d in (1, output.ndim - 1) if 0 < d < output.ndim and output.shape[d] >= 2]
    for d in dims:
        k = math.log(output.shape[d])
        if near(zero, k):
            return LossSpec("multiclass", "logits", "probe", False, d)
        if near(zero, -k):
            return LossSpec("multiclass", "logits", "probe", False, d, sign_flipped=True)
        uniform = value(torch.full_like(output, -k))
        if near(uniform, k):
            return LossSpec("multiclass", "log_probs", "probe", False, d)
        if near(uniform, -k):
            return LossSpec("multiclass", "log_probs", "probe", False, d, sign_flipped=True)
    if (
        float_targets
        and (same_shape or output.numel() == targets.numel())
        and zero is not None
        and zero >= 0
    ):
        return LossSpec("regression", "values", "probe", False)
    return LossSpec("unknown", "unknown", "probe", False)


def expected_loss_range(
    spec: LossSpec, loss_fn: LossFn, output: torch.Tensor, targets: Any
) -> tuple[float, float] | None:
    """``(low, high)`` of the loss a sensibly initialized model should start at, or None.

    Multiclass: the loss at balanced logits / uniform log-probabilities (ln C unweighted).
    Binary: between the entropy of the target rate (bias set to the log-odds) and the loss
    at logit 0 (ln 2). Regression: between the loss of predicting the targets' mean and the
    loss of predicting 0.
    """
    if not isinstance(output, torch.Tensor) or not isinstance(targets, torch.Tensor):
        return None

    def at(out: torch.Tensor) -> float:
        with torch.no_grad():
            return abs(float(loss_fn(out, targets).detach().float().item()))

    if spec.task == "multiclass":
        if spec.class_dim is None:
            return None
        if spec.expects == "log_probs":
            v = at(torch.full_like(output, -math.log(output.shape[spec.class_dim])))
        else:
            v = at(torch.zeros_like(output))
        return v, v
    if spec.task == "binary":
        neutral = torch.full_like(output, 0.5 if spec.expects == "probs" else 0.0)
        high = at(neutral)
        if not targets.is_floating_point() or targets.numel() != output.numel():
            return high, high
        rate = float(targets.float().mean().clamp(1e-4, 1 - 1e-4).item())
        prior = rate if spec.expects == "probs" else math.log(rate / (1 - rate))
        low = at(torch.full_like(output, prior))
        return min(low, high), max(low, high)
    if spec.task == "regression":
        if targets.numel() != output.numel() or not targets.is_floating_point():
            return None
        zero = at(torch.zeros_like(output))
        mean = targets.float().mean(dim=0, keepdim=True).expand_as(targets).reshape(output.shape)
        mean_loss = at(mean.to(output.dtype))
        return min(zero, mean_loss), max(zero, mean_loss)
    return None


def accuracy(spec: LossSpec, output: Any, targets: Any) -> float | None:
    """Fraction of correctly classified targets, or None when the task is not classification."""
    if not isinstance(output, torch.Tensor) or not isinstance(targets, torch.Tensor):
        return None
    out, tgt = output.detach(), targets.detach()
    if spec.task == "multiclass" and spec.class_dim is not None:
        pred = out.argmax(spec.class_dim)
        if tgt.is_floating_point():
            if tgt.shape != out.shape:
                return None
            tgt = tgt.argmax(spec.class_dim)
        if pred.shape != tgt.shape:
            if pred.numel() != tgt.numel():
                return None
            pred = pred.reshape(tgt.shape)
        keep = tgt != spec.ignore_index
        if not bool(keep.any()):
            return None
        return float((pred[keep] == tgt[keep]).float().mean().item())
    if spec.task == "binary" and out.numel() == tgt.numel():
        if tgt.is_floating_point() and not bool(((tgt == 0) | (tgt == 1)).all()):
            return None  # soft targets: a threshold says nothing about the fit
        cut = 0.5 if spec.expects == "probs" else 0.0
        pred_b = (out > cut).reshape(tgt.shape)
        return float((pred_b == (tgt > 0.5)).float().mean().item())
    return None


def output_kind(output: torch.Tensor, class_dim: int | None) -> str:
    """``"probs"``, ``"log_probs"``, ``"bounded01"`` or ``"logits"`` from the output values.

    Probabilities sum to 1 along the class dimension; log-probabilities have logsumexp 0.
    """
    out = output.detach().float()
    if out.numel() == 0 or not bool(torch.isfinite(out).all()):
        return "logits"
    in01 = bool(((out >= 0) & (out <= 1)).all())
    if class_dim is not None and out.ndim > class_dim and out.shape[class_dim] >= 2:
        if in01 and float((out.sum(class_dim) - 1).abs().max().item()) < 1e-3:
            return "probs"
        lse = torch.logsumexp(out, dim=class_dim)
        if bool((out <= 0).all()) and float(lse.abs().max().item()) < 1e-3:
            return "log_probs"
    return "bounded01" if in01 else "logits"


_SQUASH = {"SigmoidBackward0": "sigmoid", "SoftmaxBackward0": "softmax"}
_PASS_THROUGH = (
    "View",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Permute",
    "Transpose",
    "Clone",
    "Select",
    "Slice",
    "Contiguous",
    "Expand",
    "ToCopy",
    "T",
)


def final_activation(output: torch.Tensor) -> str | None:
    """``"sigmoid"``/``"softmax"`` when the output's last real operation is one, else None.

    Reads the autograd graph, looking through reshapes; needs the forward run with grad.
    """
    fn = output.grad_fn
    for _ in range(8):
        if fn is None:
            return None
        name = fn.name()
        if name in _SQUASH:
            return _SQUASH[name]
        if not name.startswith(_PASS_THROUGH):
            return None
        nxt = [f for f, _ in fn.next_functions if f is not None]
        if len(nxt) != 1:
            return None
        fn = nxt[0]
    return None


def estimate_floor(loss_fn: LossFn, output: Any, targets: Any) -> float | None:
    """The loss's own floor on this batch (:func:`attainable_minimum`), or None when the loss
    can go below zero (Gaussian NLL): such a loss is judged by its relative fall. A loss
    whose outputs cannot be optimized gets 0 when recognized, else None. PyTorch's own
    losses used the plain way get their floor in closed form (:mod:`.closed_forms`)."""
    exact = known_floor(loss_fn, output, targets)
    if exact is not None:
        return None if exact < 0 else exact
    found = attainable_minimum(loss_fn, output, targets)
    if found is None:
        return None if describe_loss(loss_fn, output, targets).task == "unknown" else 0.0
    return None if found < 0 else found
