"""What happens inside the team's training step: the measurements behind ``training_step``.

:class:`StepProbe` hooks the optimizer (the gradients handed to ``step()``, the learning
rate), every parameter (when backward ran) and the model (its mode);
:func:`run_steps` calls the team's step a few times on one batch, each time beside the
reference gradient of ``loss_fn`` at the same parameters (same dropout masks, BatchNorm
statistics restored), and records per call what :mod:`.step_check` judges.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .loop import TrainStep, current_lr, step_loss
from .lossinfo import LossFn
from .results import summarize_exception
from .tensors import call_model

__all__ = ["StepProbe", "lr_moved", "run_steps"]


class StepProbe:
    """Hooks that record what happens inside one call of the team's step."""

    def __init__(self, model: nn.Module, opt: torch.optim.Optimizer, params: list[Any]) -> None:
        self.events: list[str] = []
        self.at_step: list[list[torch.Tensor | None]] = []
        self.lrs: list[float] = []
        self.modes: list[bool] = []
        self.handles: list[Any] = [
            opt.register_step_pre_hook(self._pre),
            opt.register_step_post_hook(self._post),
            model.register_forward_pre_hook(self._forward),
        ]
        self.handles += [p.register_post_accumulate_grad_hook(self._grad) for p in params]
        self.params = params
        self.opt = opt

    def _pre(self, opt: Any, args: Any, kwargs: Any) -> None:
        self.events.append("step")
        self.at_step.append(
            [None if p.grad is None else _dense(p.grad).detach().clone() for p in self.params]
        )

    def _post(self, opt: Any, args: Any, kwargs: Any) -> None:
        lr = current_lr(self.opt)
        if lr is not None:
            self.lrs.append(lr)

    def _grad(self, p: Any) -> None:
        if not self.events or self.events[-1] != "backward":
            self.events.append("backward")

    def _forward(self, module: nn.Module, args: Any) -> None:
        self.modes.append(module.training)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def _dense(g: torch.Tensor) -> torch.Tensor:
    return g.to_dense() if g.is_sparse else g


def run_steps(
    probe: StepProbe,
    model: nn.Module,
    opt: torch.optim.Optimizer,
    params: list[Any],
    step_fn: TrainStep,
    inputs: Any,
    targets: Any,
    loss_fn: LossFn,
    steps: int,
) -> dict[str, Any]:
    calls: list[dict[str, Any]] = []
    m: dict[str, Any] = {"calls": calls, "exception": None, "start_lr": current_lr(opt)}
    for k in range(steps):
        ref_loss, ref = _reference(model, params, inputs, targets, loss_fn)
        before_events, before_steps = len(probe.events), len(probe.at_step)
        probe.modes.clear()
        model.train()
        try:
            loss = step_loss(step_fn(model, (inputs, targets), opt, k))
        except Exception as exc:
            m["exception"] = summarize_exception(exc)
            m["exception_events"] = probe.events[before_events:]
            break
        handed = probe.at_step[before_steps:]
        call: dict[str, Any] = {
            "events": probe.events[before_events:],
            "optimizer_steps": len(handed),
            "eval_forward": any(not mode for mode in probe.modes),
            "loss": loss,
            "ref_loss": ref_loss,
            "ref_norm": _norm(ref),
        }
        if handed:
            got = [
                torch.zeros_like(p) if g is None else g
                for p, g in zip(params, handed[-1], strict=True)
            ]
            call["all_none"] = all(g is None for g in handed[-1])
            call["norm"] = _norm(got)
            call["ratio"] = call["norm"] / max(call["ref_norm"], 1e-30)
            call["cosine"] = _cos(got, ref)
            if calls and calls[-1].get("_got") is not None:
                prev = calls[-1]["_got"]
                residual = [a - b - c for a, b, c in zip(got, ref, prev, strict=True)]
                call["accumulation_residual"] = _norm(residual) / max(call["norm"], 1e-30)
                call["previous_share"] = _norm(prev) / max(call["ref_norm"], 1e-30)
            call["_got"] = got
        calls.append(call)
    for c in calls:
        c.pop("_got", None)
    return m


def _reference(
    model: nn.Module, params: list[Any], inputs: Any, targets: Any, loss_fn: LossFn
) -> tuple[float, list[torch.Tensor]]:
    """``loss_fn``'s loss and gradient at the current parameters, leaving ``.grad``, the
    BatchNorm statistics and the RNG as they were (so the team's step draws the same
    dropout masks)."""
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    rng = torch.get_rng_state()
    model.train()
    loss = loss_fn(call_model(model, inputs), targets)
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    torch.set_rng_state(rng)
    with torch.no_grad():
        for n, b in model.named_buffers():
            b.copy_(buffers[n])
    out = [
        torch.zeros_like(p) if g is None else _dense(g).detach()
        for p, g in zip(params, grads, strict=True)
    ]
    return float(loss.detach().float().item()), out


def _norm(ts: list[torch.Tensor]) -> float:
    return math.sqrt(sum(float((t.double() ** 2).sum().item()) for t in ts))


def _cos(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    dot = sum(float((x.double() * y.double()).sum().item()) for x, y in zip(a, b, strict=True))
    return dot / max(_norm(a) * _norm(b), 1e-300)


def lr_moved(lrs: list[float]) -> bool:
    return len(lrs) >= 2 and any(abs(x - lrs[0]) > 1e-12 * max(abs(lrs[0]), 1e-30) for x in lrs)
