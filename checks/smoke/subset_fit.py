"""Fit a small training subset while watching a validation subset: the evidence that
``memorize`` and ``val_improves`` judge (``smoke.run`` fits once for both)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .closed_forms import known_constant
from .curve import remaining
from .data import Samples
from .loop import OptimizerFactory, TrainStep, make_optimizer, train
from .lossfloor import OutputAdam
from .lossinfo import LossFn, accuracy, describe_loss, estimate_floor
from .state import isolated
from .tensors import call_model, loss_value, model_device, to_device


@dataclass
class SubsetFit:
    """Evidence from fitting a training subset (and watching a validation subset)."""

    samples: int
    losses: list[float]
    seconds: float
    stopped: str
    optimizer: str
    lr: float | None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)  # step, loss, acc, val
    baseline_val: float | None = None
    task: str = "unknown"
    floor: float | None = 0.0  # the loss's own floor on the subset (None: may go below 0)
    static: bool = True  # the subset is in memory (False: re-read from a dataset each step)
    max_seconds: float | None = None


def fit_subset(
    model: nn.Module,
    train_data: Any,
    loss_fn: LossFn,
    *,
    val_data: Any = None,
    optimizer: OptimizerFactory | None = None,
    seed: int | None = 0,
    samples: int = 128,
    val_samples: int = 256,
    steps: int = 400,
    max_steps: int = 3200,
    max_seconds: float | None = None,
    eval_every: int = 20,
    min_accuracy: float = 0.99,
    loss_fraction: float = 0.1,
    train_step: TrainStep | None = None,
) -> SubsetFit:
    """Full-batch training on ``samples`` training samples (a seeded random choice),
    evaluated in eval mode every ``eval_every`` steps (and at steps 1, 2, 4, … before);
    stops once memorized. The ``steps``
    budget grows by ``steps`` at a time, up to ``max_steps``, while the loss still falls.
    ``max_seconds`` is an optional wall-clock cap (``stopped="time"``)."""
    with isolated(model, seed) as work:
        train_view = Samples(train_data, "train")
        gen = torch.Generator().manual_seed(seed or 0)
        idx = torch.randperm(len(train_view), generator=gen)[
            : min(samples, len(train_view))
        ].tolist()
        device = model_device(work)

        def read(view: Samples, index: list[int]) -> tuple[Any, Any]:
            x, y = view.batch(index)
            return to_device(x, device), to_device(y, device)

        fixed = read(train_view, idx)
        val = None
        if val_data is not None:
            val_view = Samples(val_data, "val")
            vidx = torch.randperm(len(val_view), generator=gen)[: min(val_samples, len(val_view))]
            val = read(val_view, vidx.tolist())
        with torch.no_grad():
            out0 = call_model(work.eval(), fixed[0])
            spec = describe_loss(loss_fn, out0, fixed[1])
            val_out = call_model(work, val[0]) if val is not None else None
        floor = estimate_floor(loss_fn, out0, fixed[1])
        checkpoints: list[dict[str, Any]] = []
        memorized = [False]

        def evaluate(step: int) -> None:
            work.eval()
            with torch.no_grad():
                out = call_model(work, fixed[0])
                point: dict[str, Any] = {
                    "step": step,
                    "loss": loss_value(loss_fn(out, fixed[1])),
                    "accuracy": accuracy(spec, out, fixed[1]),
                }
                if val is not None:
                    point["val_loss"] = loss_value(loss_fn(call_model(work, val[0]), val[1]))
            work.train()
            checkpoints.append(point)
            start = checkpoints[0]["loss"]
            acc = point["accuracy"]
            memorized[0] = (acc is not None and acc >= min_accuracy) or (
                acc is None and remaining(point["loss"], start, floor) <= loss_fraction
            )

        evaluate(0)
        opt = make_optimizer(optimizer, work)
        next_batch: Callable[[int], tuple[Any, Any]] = (
            (lambda _: fixed) if train_view.static else (lambda _: read(train_view, idx))
        )
        log = train(
            work,
            next_batch,
            loss_fn,
            opt,
            steps=steps,
            max_steps=max_steps,
            max_seconds=max_seconds,
            every=lambda s: evaluate(s + 1) if _checkpoint(s + 1, eval_every) else None,
            done=lambda _: memorized[0],
            extend=lambda losses: improving(checkpoints, floor),
            train_step=train_step,
        )
        if not checkpoints or checkpoints[-1]["step"] != len(log.losses):
            evaluate(len(log.losses))
        baseline = (
            constant_baseline(loss_fn, out0, fixed[1], val_out, val[1]) if val is not None else None
        )
    return SubsetFit(
        len(idx),
        log.losses,
        log.seconds,
        log.stopped,
        log.optimizer,
        log.lr,
        checkpoints,
        baseline,
        spec.task,
        floor,
        train_view.static,
        max_seconds,
    )


def _checkpoint(step: int, every: int) -> bool:
    """Evaluate every ``every`` steps, and at steps 1, 2, 4, 8, … before that: a fit that
    memorizes within a few steps still shows how validation moved on the way."""
    return step % every == 0 or (step < every and step & (step - 1) == 0)


def improving(checkpoints: list[dict[str, Any]], floor: float | None = None) -> bool:
    """True while the eval-mode subset loss still fell over the last quarter by 5 % of what
    was left above the loss's floor (of its own size when the floor is unknown): near a
    floor above zero — soft targets, label smoothing — the fall is judged against the gap
    that remains, not against the loss's absolute value."""
    if len(checkpoints) < 4:
        return False
    recent = checkpoints[-max(2, len(checkpoints) // 4)]["loss"]
    fall = recent - checkpoints[-1]["loss"]
    if floor is not None and math.isfinite(floor):
        return bool(fall > 0.05 * max(recent - floor, 1e-12))
    scale = max(abs(checkpoints[0]["loss"]), 1e-12)
    return bool(fall > 0.05 * min(abs(recent), scale))


def constant_baseline(
    loss_fn: LossFn, out: Any, y: Any, val_out: Any, y_val: Any, steps: int = 150
) -> float | None:
    """Validation loss of the best constant output (one value per output element, shared
    by all samples) fitted on the training subset: what the label prior alone achieves."""
    if not isinstance(out, torch.Tensor) or not isinstance(val_out, torch.Tensor):
        return None
    if not out.is_floating_point() or out.ndim == 0 or out.shape[1:] != val_out.shape[1:]:
        return None
    try:
        exact = known_constant(loss_fn, out, y, val_out, y_val)
    except Exception:
        exact = None  # the numerical fit below decides
    if exact is not None:
        return exact
    return fit_constant(loss_fn, out, y, val_out, y_val, steps)


def fit_constant(
    loss_fn: LossFn, out: torch.Tensor, y: Any, val_out: torch.Tensor, y_val: Any, steps: int = 150
) -> float:
    """:func:`constant_baseline` found numerically (Adam on the constant), for any loss."""
    const = torch.zeros((1, *out.shape[1:]), dtype=out.dtype, device=out.device, requires_grad=True)
    opt = OutputAdam([const], lr=0.1)
    with torch.enable_grad():
        for _ in range(steps):
            opt.step(loss_fn(const.expand_as(out), y))
    with torch.no_grad():
        return loss_value(loss_fn(const.expand_as(val_out), y_val))
