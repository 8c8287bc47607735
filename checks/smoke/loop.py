"""The training loop the overfit and memorization checks share, and optimizer helpers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import nn

from mltestscore.results import Status

from .lossinfo import LossFn
from .results import Finding, finding, summarize_exception
from .tensors import call_model, loss_value

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
#: The team's own training step: ``train_step(model, (inputs, targets), optimizer, step)``
#: runs one step (forward, loss, backward, optimizer step — and whatever else the team's
#: loop does there: zero_grad, clipping, a scheduler, AMP) and returns the loss it computed
#: (a scalar tensor, a float, or a mapping with a ``"loss"`` entry, as Lightning's
#: ``training_step`` returns). A LightningModule adapts as
#: ``lambda m, b, opt, i: (opt.zero_grad(), (l := m.training_step(b, i)).backward(), opt.step(), l)[-1]``.
TrainStep = Callable[[nn.Module, tuple[Any, Any], torch.optim.Optimizer, int], Any]
DEFAULT_LR = 3e-4


class DenseSparseAdam(torch.optim.Optimizer):
    """Adam for dense parameters and SparseAdam for those with sparse gradients
    (``nn.Embedding``/``nn.EmbeddingBag`` with ``sparse=True``): the default optimizer of
    a model that has both, since Adam refuses sparse gradients."""

    def __init__(self, dense: list[nn.Parameter], sparse: list[nn.Parameter], lr: float) -> None:
        super().__init__([*dense, *sparse], {"lr": lr})
        inner: list[torch.optim.Optimizer] = [torch.optim.SparseAdam(sparse, lr=lr)]
        if dense:
            inner.insert(0, torch.optim.Adam(dense, lr=lr))
        self.inner = inner
        self.param_groups = [g for opt in inner for g in opt.param_groups]

    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for opt in self.inner:
            opt.step()
        return loss


def sparse_parameters(model: nn.Module) -> set[int]:
    """Ids of parameters whose gradients are sparse (embeddings built with sparse=True)."""
    return {
        id(mod.weight)
        for mod in model.modules()
        if isinstance(mod, (nn.Embedding, nn.EmbeddingBag)) and mod.sparse
    }


def make_optimizer(factory: OptimizerFactory | None, model: nn.Module) -> torch.optim.Optimizer:
    """``factory(model.parameters())``, default ``Adam(lr=3e-4)`` (with SparseAdam for sparse
    embeddings), checked to be an optimizer."""
    params = [p for p in model.parameters() if p.requires_grad]
    if factory is None:
        if not params:
            raise ValueError("the model has no trainable parameters (all requires_grad=False)")
        sparse = sparse_parameters(model)
        if any(id(p) in sparse for p in params):
            return DenseSparseAdam(
                [p for p in params if id(p) not in sparse],
                [p for p in params if id(p) in sparse],
                DEFAULT_LR,
            )
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


#: Elements per tensor the update-direction probe reads (an even stride through larger ones).
DIRECTION_SAMPLE = 65536


def _strided(t: torch.Tensor) -> torch.Tensor:
    flat = (t.to_dense() if t.is_sparse else t).detach().reshape(-1)
    return flat[:: max(1, math.ceil(flat.numel() / DIRECTION_SAMPLE))]


DirectionProbe = list[tuple[nn.Parameter, torch.Tensor, torch.Tensor]]


def direction_probe(params: Iterable[nn.Parameter]) -> DirectionProbe:
    """Before an optimizer step: each parameter that has a gradient, with its values and
    gradient on an even stride of at most :data:`DIRECTION_SAMPLE` elements (copies: the
    step may change both in place)."""
    return [
        (p, _strided(p).clone(), _strided(p.grad).clone()) for p in params if p.grad is not None
    ]


def step_direction(probe: DirectionProbe) -> float:
    """Cosine between the update and the gradient (:func:`direction_probe` taken before the
    step): < 0 descends the loss, > 0 climbs it.

    Read on the probe's elements: every optimizer moves each coordinate by its own
    gradient's rule, so the sign does not need them all. Sums run in the parameters' own
    precision (at least float32), one flat dot product per parameter, and are read once
    at the end: only the sign and rough size matter here."""
    if not probe:
        return 0.0
    sums = []
    for p, old, g in probe:
        update = _strided(p) - old
        if update.dtype not in (torch.float32, torch.float64):
            update, g = update.float(), g.float()
        sums.append(
            torch.stack([torch.dot(update, g), torch.dot(update, update), torch.dot(g, g)])
            .double()
            .cpu()
        )
    dot, norm_u, norm_g = (float(v) for v in torch.stack(sums).sum(0).tolist())
    return dot / max(math.sqrt(norm_u * norm_g), 1e-300)


@dataclass(frozen=True)
class FirstStep:
    """A first training step taken elsewhere (``params_update``'s, see
    :mod:`.first_pass`) that :func:`train` continues from: its loss, whether its update
    climbed the gradient, the forward's output, and the learning rate after it."""

    loss: float
    uphill: bool | None
    output: Any
    lr: float | None


@dataclass
class TrainLog:
    """Losses per step (before each update) and why the loop stopped."""

    losses: list[float]
    seconds: float
    stopped: str  # "budget", "target", "nonfinite", "time"
    optimizer: str
    lr: float | None
    first_step_uphill: bool | None = None  # the first update moved along the gradient
    lrs: list[float] = field(default_factory=list)  # the learning rate after each step
    max_seconds: float | None = None  # the wall-clock cap the loop ran under
    last_output: Any = None  # the model's output in the last step (built-in step only)


class TrainStepFailed(RuntimeError):
    """The team's ``train_step`` raised: the fitting checks skip, ``training_step`` judges."""


def train_step_skip(name: str, exc: TrainStepFailed) -> Finding:
    return finding(
        name,
        Status.SKIP,
        f"could not train: {exc} — see the `training_step` finding",
        {"train_step_error": str(exc)},
    )


def step_loss(returned: Any) -> float:
    """The loss value a team's training step returned (tensor, number or ``{"loss": ...}``)."""
    if isinstance(returned, Mapping) and "loss" in returned:
        returned = returned["loss"]
    if isinstance(returned, (int, float)) and not isinstance(returned, bool):
        return float(returned)
    if isinstance(returned, torch.Tensor):
        return loss_value(returned)
    raise TypeError(
        "train_step must return the loss (a scalar tensor, a number or a mapping with a "
        f"'loss' entry); it returned {type(returned).__name__}"
    )


def current_lr(opt: torch.optim.Optimizer) -> float | None:
    return describe_optimizer(opt)[1]


def train(
    model: nn.Module,
    next_batch: Callable[[int], tuple[Any, Any]],
    loss_fn: LossFn,
    opt: torch.optim.Optimizer,
    *,
    steps: int,
    max_seconds: float | None = None,
    done: Callable[[list[float]], bool] | None = None,
    every: Callable[[int], None] | None = None,
    max_steps: int | None = None,
    extend: Callable[[list[float]], bool] | None = None,
    train_step: TrainStep | None = None,
    first_output: Callable[[Any], None] | None = None,
    start: FirstStep | None = None,
) -> TrainLog:
    """Plain training loop: forward, loss, backward, step (or the team's ``train_step``);
    stops at the step budget, on a non-finite loss, when ``done(losses)`` says so, or at
    the optional wall-clock cap ``max_seconds`` (``stopped="time"``: the caller reports
    "not enough time to judge", never a failure). At the end of each ``steps`` block,
    ``extend(losses)`` may grant another block, up to ``max_steps``. With the built-in
    step, ``first_output`` is called with the first forward's output (the untrained
    model's, in train mode) before anything else reads the losses. ``start``: the first
    step was taken already (built-in step only); the loop goes on from the second."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0 or None, got {max_seconds!r}")
    ceiling = max(steps, max_steps or steps)
    losses: list[float] = []
    lrs: list[float] = []
    start_lr = current_lr(opt)
    stopped = "budget"
    uphill: bool | None = None
    output: Any = None
    t0 = time.perf_counter()
    model.train()
    step, limit = 0, steps
    while step < limit:
        inputs, targets = next_batch(step)
        if step == 0 and start is not None and train_step is None:
            value, uphill, output = start.loss, start.uphill, start.output
            if first_output is not None:
                first_output(output)
            losses.append(value)
            lrs.extend(lr for lr in (start.lr,) if lr is not None)
        elif train_step is not None:
            model.train()
            try:
                value = step_loss(train_step(model, (inputs, targets), opt, step))
            except Exception as exc:
                raise TrainStepFailed(
                    f"the team's train_step raised {summarize_exception(exc)} at step {step}"
                ) from exc
            losses.append(value)
            lrs.extend(lr for lr in (current_lr(opt),) if lr is not None)  # the step ran
        else:
            value, first_uphill, output = _plain_step(
                model, inputs, targets, loss_fn, opt, step == 0
            )
            if step == 0 and first_output is not None:
                first_output(output)
            losses.append(value)
            if first_uphill is not None:
                uphill = first_uphill
        if not math.isfinite(value):
            stopped = "nonfinite"
            break
        if train_step is None and (step > 0 or start is None):
            lrs.extend(lr for lr in (current_lr(opt),) if lr is not None)
        if every is not None:
            every(step)
        if done is not None and done(losses):
            stopped = "target"
            break
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            stopped = "time"
            break
        step += 1
        if step == limit and limit < ceiling and extend is not None and extend(losses):
            limit = min(ceiling, limit + steps)
    name = describe_optimizer(opt)[0]
    return TrainLog(
        losses, time.perf_counter() - t0, stopped, name, start_lr, uphill, lrs, max_seconds, output
    )


def _plain_step(
    model: nn.Module,
    inputs: Any,
    targets: Any,
    loss_fn: LossFn,
    opt: torch.optim.Optimizer,
    first: bool,
) -> tuple[float, bool | None, Any]:
    """One forward, loss, backward and optimizer step; the loss before the update, on the
    first step whether the update climbed the gradient, and the output (its graph spent).
    A non-finite loss is returned without a backward pass or an update."""

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        loss: torch.Tensor = loss_fn(call_model(model, inputs), targets)
        torch.autograd.backward(loss)
        return loss

    opt.zero_grad(set_to_none=True)
    output = call_model(model, inputs)
    loss = loss_fn(output, targets)
    value = loss_value(loss)
    if not math.isfinite(value):
        return value, None, output
    torch.autograd.backward(loss)
    if not first:
        optimizer_step(opt, closure)
        return value, None, output
    probe = direction_probe(model.parameters())
    optimizer_step(opt, closure)
    return value, step_direction(probe) > 0, output
