"""The lowest loss attainable on a batch, found by optimizing the outputs themselves.

A perfect model reaches 0 for cross entropy or MSE, but not with label smoothing or soft
targets: the fitting checks judge a loss's fall against this floor
(:func:`.lossinfo.estimate_floor`), not against zero.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch

from .tensors import iter_tensors, map_tensors

if TYPE_CHECKING:
    from .lossinfo import LossFn

__all__ = ["OutputAdam", "attainable_minimum", "unbounded_for_a_constant"]


class OutputAdam:
    """``torch.optim.Adam``'s update with its defaults, op for op as its single-tensor path
    runs it, on the free outputs a search optimizes. The searches take hundreds of steps
    on small tensors, where the optimizer's own machinery costs more than the arithmetic;
    the values are the same, bit for bit (a test compares them)."""

    def __init__(
        self,
        leaves: list[torch.Tensor],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.leaves, self.lr, self.betas, self.eps = leaves, lr, betas, eps
        self.avg = [torch.zeros_like(x, memory_format=torch.preserve_format) for x in leaves]
        self.avg_sq = [torch.zeros_like(x, memory_format=torch.preserve_format) for x in leaves]
        self.steps = [0] * len(leaves)

    def step(self, loss: torch.Tensor) -> None:
        """One update down the gradient of ``loss`` (leaves it does not reach stay put)."""
        grads = torch.autograd.grad(loss, self.leaves, allow_unused=True)
        beta1, beta2 = self.betas
        with torch.no_grad():
            for i, (x, g) in enumerate(zip(self.leaves, grads, strict=True)):
                if g is None:
                    continue
                self.steps[i] += 1
                step = float(self.steps[i])
                avg, avg_sq = self.avg[i], self.avg_sq[i]
                avg.lerp_(g, 1 - beta1)
                avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                step_size = self.lr / (1 - beta1**step)
                denom = (avg_sq.sqrt() / (1 - beta2**step) ** 0.5).add_(self.eps)
                x.addcdiv_(avg, denom, value=-step_size)


def attainable_minimum(
    loss_fn: LossFn, output: Any, targets: Any, *, steps: int = 300
) -> float | None:
    """The lowest loss found by optimizing the *outputs themselves* (Adam on a free copy).

    It is the floor a perfect model could reach on this batch: 0 for cross entropy or MSE,
    the smoothed-label entropy with label smoothing, the targets' entropy for soft targets
    (outputs in [0, 1] are optimized through a sigmoid when the loss refuses values outside
    it, as ``BCELoss`` does). Every float tensor of a tuple/dict output is freed. Returns
    ``-inf`` when the loss is unbounded below (it is still falling below zero at the end),
    None when the output holds no float tensor or the loss fails on it.
    """
    try:
        values = _minimize(loss_fn, output, targets, steps, squash=False)
    except Exception:
        values = None
    if (not values or (len(values) < steps and min(values) > 0)) and _within01(output):
        try:
            squashed = _minimize(loss_fn, output, targets, steps, squash=True)
        except Exception:
            squashed = None
        if squashed and (not values or min(squashed) <= min(values)):
            values = squashed
    if not values:
        return None
    best = min(values)
    if best < 0:
        tail = values[-max(2, len(values) // 6) :]
        drop = tail[0] - tail[-1]
        settled = len(values) > 60 and abs(values[-60] - values[-1]) <= 1e-6 * abs(values[-1])
        if not settled and (len(values) < steps or drop > 0.01 * max(1.0, abs(tail[0]))):
            return -math.inf  # still sliding (or blew up) below zero: unbounded below
    return best


def _within01(output: Any) -> bool:
    floats = [t for _, t in iter_tensors(output) if t.is_floating_point() and t.numel()]
    return bool(floats) and all(bool(((t >= 0) & (t <= 1)).all()) for t in floats)


def _minimize(
    loss_fn: LossFn, output: Any, targets: Any, steps: int, *, squash: bool
) -> list[float] | None:
    leaves: list[torch.Tensor] = []

    def free(t: torch.Tensor) -> torch.Tensor:
        if not t.is_floating_point():
            return t
        x = t.detach()
        if squash:
            x = torch.logit(x.clamp(1e-4, 1 - 1e-4))
        leaf = x.clone().requires_grad_(True)
        leaves.append(leaf)
        return leaf

    tree = map_tensors(free, output)
    if not leaves:
        return None

    def shown() -> Any:
        return map_tensors(lambda t: torch.sigmoid(t) if t.is_floating_point() else t, tree)

    scale = max(1.0, max(float(t.detach().abs().max().item()) for t in leaves if t.numel()))
    if isinstance(targets, torch.Tensor) and targets.is_floating_point() and targets.numel():
        scale = max(scale, float(targets.detach().abs().max().item()))
    opt = OutputAdam(leaves, lr=0.05 * scale)
    values: list[float] = []
    with torch.enable_grad():
        for _ in range(steps):
            loss = loss_fn(shown() if squash else tree, targets)
            value = float(loss.detach().float().item())
            if not math.isfinite(value):
                break
            values.append(value)
            if 0 <= value <= 1e-4 * abs(values[0]):
                break  # at zero for all practical purposes: the floor is 0
            if len(values) > 60 and abs(values[-60] - value) <= 1e-6 * max(1.0, abs(value)):
                break  # settled on a floor
            opt.step(loss)
    return values


def unbounded_for_a_constant(
    loss_fn: LossFn, output: Any, targets: Any, *, steps: int = 150
) -> bool:
    """True when **one output shared by every sample** drives the loss to ``-inf``.

    A loss that may go below zero (a Gaussian negative log-likelihood) is bounded for a
    constant prediction — its best constant is the targets' own spread — and falls without
    bound only as the outputs fit each sample. A negated likelihood falls without bound
    while ignoring the data altogether: minimizing it moves the outputs away from the
    targets. Only for a float tensor output whose free values the loss scores directly
    (not log-probabilities fed to ``NLLLoss``, which any free output drives to ``-inf``).
    """
    if not isinstance(output, torch.Tensor) or not output.is_floating_point():
        return False
    if output.ndim == 0 or output.shape[0] < 2:
        return False
    shape = output.shape

    def shared(constant: Any, y: Any) -> torch.Tensor:
        return loss_fn(constant.expand(shape), y)

    start = output.detach().mean(0, keepdim=True)
    return attainable_minimum(shared, start, targets, steps=steps) == -math.inf
