"""The training loop the overfit and memorization checks share, and optimizer helpers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn

from .lossinfo import LossFn
from .tensors import call_model, loss_value

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
DEFAULT_LR = 3e-4


def make_optimizer(factory: OptimizerFactory | None, model: nn.Module) -> torch.optim.Optimizer:
    """``factory(model.parameters())``, default ``Adam(lr=3e-4)``, checked to be an optimizer."""
    params = [p for p in model.parameters() if p.requires_grad]
    if factory is None:
        if not params:
            raise ValueError("the model has no trainable parameters (all requires_grad=False)")
        return torch.optim.Adam(params, lr=DEFAULT_LR)
    opt = factory(model.parameters())
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a callable params -> torch.optim.Optimizer; it returned "
            f"{type(opt).__name__}"
        )
    return opt


def describe_optimizer(opt: torch.optim.Optimizer) -> tuple[str, float | None]:
    lr = opt.param_groups[0].get("lr") if opt.param_groups else None
    return type(opt).__name__, float(lr) if isinstance(lr, (int, float)) else None


def optimizer_step(opt: torch.optim.Optimizer, closure: Callable[[], torch.Tensor]) -> None:
    if isinstance(opt, torch.optim.LBFGS):
        cast(Any, opt).step(closure)
    else:
        opt.step()


def step_direction(
    params: list[nn.Parameter], before: list[tuple[torch.Tensor, torch.Tensor]]
) -> float:
    """Cosine between the update and the gradient: < 0 descends the loss, > 0 climbs it."""
    dot = norm_u = norm_g = 0.0
    for p, (old, grad) in zip(params, before, strict=True):
        update = (p.detach() - old).double()
        g = grad.double()
        dot += float((update * g).sum().item())
        norm_u += float((update * update).sum().item())
        norm_g += float((g * g).sum().item())
    return dot / max(math.sqrt(norm_u * norm_g), 1e-300)


@dataclass
class TrainLog:
    """Losses per step (before each update) and why the loop stopped."""

    losses: list[float]
    seconds: float
    stopped: str  # "budget", "target", "nonfinite", "time"
    optimizer: str
    lr: float | None
    first_step_uphill: bool | None = None  # the first update moved along the gradient


def train(
    model: nn.Module,
    next_batch: Callable[[int], tuple[Any, Any]],
    loss_fn: LossFn,
    opt: torch.optim.Optimizer,
    *,
    steps: int,
    max_seconds: float,
    done: Callable[[list[float]], bool] | None = None,
    every: Callable[[int], None] | None = None,
    max_steps: int | None = None,
    extend: Callable[[list[float]], bool] | None = None,
) -> TrainLog:
    """Plain training loop: forward, loss, backward, step; stops at the budget, on a
    non-finite loss, when ``done(losses)`` says so, or after ``max_seconds``. At the end of
    each ``steps`` block, ``extend(losses)`` may grant another block, up to ``max_steps``."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    ceiling = max(steps, max_steps or steps)
    losses: list[float] = []
    stopped = "budget"
    uphill: bool | None = None
    t0 = time.perf_counter()
    model.train()
    step, limit = 0, steps
    while step < limit:
        inputs, targets = next_batch(step)

        def closure(inputs: Any = inputs, targets: Any = targets) -> torch.Tensor:
            opt.zero_grad(set_to_none=True)
            loss: torch.Tensor = loss_fn(call_model(model, inputs), targets)
            torch.autograd.backward(loss)
            return loss

        opt.zero_grad(set_to_none=True)
        loss = loss_fn(call_model(model, inputs), targets)
        value = loss_value(loss)
        losses.append(value)
        if not math.isfinite(value):
            stopped = "nonfinite"
            break
        torch.autograd.backward(loss)
        if step == 0:
            watched = [p for p in model.parameters() if p.grad is not None]
            before = [(p.detach().clone(), cast(torch.Tensor, p.grad).clone()) for p in watched]
            optimizer_step(opt, closure)
            uphill = step_direction(watched, before) > 0
        else:
            optimizer_step(opt, closure)
        if every is not None:
            every(step)
        if done is not None and done(losses):
            stopped = "target"
            break
        if time.perf_counter() - t0 > max_seconds:
            stopped = "time"
            break
        step += 1
        if step == limit and limit < ceiling and extend is not None and extend(losses):
            limit = min(ceiling, limit + steps)
    name, lr = describe_optimizer(opt)
    return TrainLog(losses, time.perf_counter() - t0, stopped, name, lr, uphill)
