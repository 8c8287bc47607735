"""``overfit_one_batch``: the playbook's first test, with the loss curve diagnosed when the
loss does not fall."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any, Literal

import torch
from torch import nn

from mltestscore.results import Status

from .curve import diagnose_loss_curve, remaining, subsample
from .first_pass import take_step
from .loop import (
    OptimizerFactory,
    TrainStep,
    TrainStepFailed,
    make_optimizer,
    train,
    train_step_skip,
)
from .lossfloor import unbounded_for_a_constant
from .lossinfo import LossFn, describe_loss, estimate_floor, final_activation
from .numerics import locate
from .overfit_verdict import judge_overfit
from .results import Finding, finding, fmt
from .state import give_back, isolated, restore_rng, seeded
from .tensors import call_model, loss_value, prepare_batch


def still_falling(losses: list[float], floor: float | None, fraction: float) -> bool:
    """True while the curve reads as *decreasing*: worth a few more steps."""
    if len(losses) < 2:
        return False
    kind = diagnose_loss_curve(losses, floor=floor, converged_fraction=fraction).kind
    return kind == "decreasing"


def reached(fraction: float, floor: float | None, min_steps: int) -> Callable[[list[float]], bool]:
    """Early stop once the recent median is well below ``fraction`` of the start."""

    def done(losses: list[float]) -> bool:
        n = len(losses)
        if n < min_steps:
            return False
        tail = sorted(losses[-max(3, math.ceil(n / 10)) :])
        return remaining(tail[len(tail) // 2], losses[0], floor) <= 0.8 * fraction

    return done


def norm_layers(model: nn.Module) -> dict[str, float | None]:
    """BatchNorm-like layers that keep running statistics, with their momentum."""
    return {
        name or "model": mod.momentum
        for name, mod in model.named_modules()
        if isinstance(mod, nn.modules.batchnorm._NormBase) and mod.track_running_stats
    }


def time_skip(name: str, log: Any, what: str, m: dict[str, Any]) -> Finding:
    """The wall-clock cap ended a fit before it could be judged: not a verdict."""
    m["not_enough_time"] = True
    return finding(
        name,
        Status.SKIP,
        f"not enough time to judge: the {fmt(log.max_seconds or 0)} s cap ended {what} after "
        f"{len(log.losses)} steps (loss {fmt(log.losses[0])} → {fmt(log.losses[-1])}) — "
        "the verdict comes from a step budget; raise max_seconds or drop the cap",
        m,
    )


def overfit_one_batch(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    optimizer: OptimizerFactory | None = None,
    batch_dim: int = 0,
    seed: int | None = 0,
    steps: int = 500,
    max_steps: int = 2000,
    max_seconds: float | None = None,
    target_fraction: float = 0.1,
    loss_floor: float | Literal["auto"] | None = "auto",
    min_steps: int = 20,
    eval_gap: float = 0.5,
    diagnosis: Mapping[str, float] | None = None,
    train_step: TrainStep | None = None,
) -> Finding:
    """Training on the one batch drives the loss to ``target_fraction`` of its start.

    Runs ``steps`` steps (stopping early once the target is clearly reached), extended by
    ``steps`` at a time up to ``max_steps`` while the loss is still falling, and at most
    The budget is in steps, never in seconds: ``max_seconds`` is an optional wall-clock
    *cap*, and a fit it cuts short is skipped as "not enough time to judge". When the loss
    does not get there, the curve is diagnosed (:func:`diagnose_loss_curve`, with
    ``loss_floor`` as its floor and ``diagnosis`` as extra thresholds) and the message says
    what the shape means. ``loss_floor="auto"`` takes the lowest loss reachable by
    optimizing the outputs directly (0 for plain cross entropy and MSE; the label entropy
    with label smoothing or soft targets); a loss that can go below zero (a Gaussian
    negative log-likelihood) has no floor and is judged by its relative fall. Pass a
    number, or ``None`` for no floor. A curve that is still falling at the end of the
    budget only warns. Judged in train mode; passes as well when the eval-mode loss reaches
    the target (dropout makes the train-mode loss noisy). When the eval-mode loss on the
    same batch stays above ``eval_gap`` of the start: BatchNorm layers with running
    statistics explain it (reported as information); without them, or with a momentum of
    0, train and eval mode disagree and it fails. ``train_step`` runs the team's own
    training step instead of the built-in one.
    """
    # inside smoke.run, params_update's step is this training's first (.first_pass)
    taken = take_step(model, batch, batch_dim, seed) if train_step is None else None
    if taken is not None and taken.optimizer is not optimizer:
        give_back(taken.work)  # another optimizer for this check: start afresh
        taken = None
    with ExitStack() as stack:
        if taken is None:
            work = stack.enter_context(isolated(model, seed))
        else:
            stack.enter_context(seeded(None))
            stack.enter_context(torch.enable_grad())
            restore_rng(taken.rng)
            stack.callback(give_back, taken.work)
            work = taken.work
        inputs, targets, layout = prepare_batch(work, batch, batch_dim)
        # the floor reads the untrained model's output: the built-in step's first forward,
        # or (the team's step hides its outputs) one forward of its own
        found: list[tuple[float | None, bool]] = []
        if train_step is not None or loss_floor != "auto":
            with torch.no_grad():
                found.append(_floor(loss_floor, lambda: call_model(work, inputs), targets, loss_fn))

        def first_output(output: Any) -> None:
            if not found:
                found.append(_floor(loss_floor, lambda: output, targets, loss_fn))

        opt = make_optimizer(optimizer, work) if taken is None else taken.opt
        try:
            log = train(
                work,
                lambda _: (inputs, targets),
                loss_fn,
                opt,
                steps=steps,
                max_seconds=max_seconds,
                done=lambda losses: reached(target_fraction, found[0][0], min_steps)(losses),
                max_steps=max_steps,
                extend=lambda losses: still_falling(losses, found[0][0], target_fraction),
                train_step=train_step,
                first_output=first_output,
                start=None if taken is None else taken.first,
            )
        except TrainStepFailed as exc:
            return train_step_skip("overfit_one_batch", exc)
        floor, negated = found[0] if found else (None, False)
        output = log.last_output  # the last step's forward, in train mode
        if output is None:
            work.train()
            output = call_model(work, inputs)
        spec = describe_loss(loss_fn, output, targets)
        m: dict[str, Any] = {
            "batch_size": layout.size,
            "steps": len(log.losses),
            "seconds": log.seconds,
            "stopped": log.stopped,
            "first_step_uphill": log.first_step_uphill,
            "optimizer": log.optimizer,
            "lr": log.lr,
            "target_fraction": target_fraction,
            "loss_floor": floor,
            "losses": subsample(log.losses),
            "norm_layers": norm_layers(work),
            "sign_flipped": spec.sign_flipped,
            "train_step": train_step is not None,
        }
        if log.lrs:
            m["final_lr"] = log.lrs[-1]
        if isinstance(output, torch.Tensor) and output.is_floating_point():
            m["final_activation"] = final_activation(output)
            m["output_range"] = [float(output.min().item()), float(output.max().item())]
        if log.stopped == "nonfinite":
            m["nonfinite"] = locate(work, inputs, targets, loss_fn)
        else:
            work.eval()
            with torch.no_grad():
                m["eval_loss"] = loss_value(loss_fn(call_model(work, inputs), targets))
    finite = [v for v in log.losses if math.isfinite(v)]
    if loss_floor == "auto" and floor is not None and finite and min(finite) >= 0:
        floor = min(floor, min(finite))  # the estimate is an upper bound of the true floor
        m["loss_floor"] = floor
    curve = diagnose_loss_curve(
        log.losses if len(log.losses) >= 2 else log.losses * 2,
        floor=floor,
        converged_fraction=target_fraction,
        lr=log.lr,
        **dict(diagnosis or {}),
    )
    kind, message = curve.kind, curve.message
    if log.stopped == "time" and kind not in ("converged", "nan", "exploding"):
        m["diagnosis"] = "not_enough_time"
        return time_skip("overfit_one_batch", log, "training on the batch", m)
    if spec.sign_flipped and kind != "nan" and curve.end < curve.start:
        kind = "rising"
        message = (
            f"the loss fell from {fmt(curve.start)} to {fmt(curve.end)} in {curve.steps} steps, "
            "but it is a negated cross entropy (it gives −ln C at balanced outputs): "
            "minimizing it maximizes the likelihood's negative — the loss is being maximized; "
            "check its sign"
        )
    elif negated and kind != "nan" and curve.end < curve.start:
        m["unbounded_for_a_constant"] = True
        kind = "rising"
        message = (
            f"the loss fell from {fmt(curve.start)} to {fmt(curve.end)} in {curve.steps} steps, "
            "but one output shared by every sample already drives it without bound: the loss "
            "rewards moving the outputs away from the targets — a negated log-likelihood "
            "(a Gaussian NLL or log-probability without its minus) is being maximized; check "
            "its sign"
        )
    elif log.first_step_uphill and kind in ("exploding", "oscillating", "plateau", "decreasing"):
        kind = "rising"  # the cause is known: the optimizer climbs the loss
        message = (
            f"loss rose from {fmt(curve.start)} to {fmt(curve.end)} (peak {fmt(curve.maximum)}) "
            f"in {curve.steps} steps, and the first update moved the parameters along the "
            "gradient instead of against it: the loss is being maximized — check the sign of "
            "the loss and the optimizer (maximize=True, a hand-written update with +=)"
        )
    m["diagnosis"] = kind
    m["curve"] = curve.to_dict()
    m["reached_target"] = (
        kind != "rising"
        and math.isfinite(curve.end_fraction)
        and curve.end_fraction <= target_fraction
    )
    return judge_overfit(m, kind, message, spec, floor, eval_gap)


def _floor(
    loss_floor: float | Literal["auto"] | None,
    untrained_output: Callable[[], Any],
    targets: Any,
    loss_fn: LossFn,
) -> tuple[float | None, bool]:
    """The floor to judge the loss against and, for a loss with none found ("auto"),
    whether one constant output already drives it to ``-inf`` (a negated likelihood:
    :func:`.lossfloor.unbounded_for_a_constant`; not asked of log-probability losses).
    Both read one output of the untrained model."""
    if loss_floor != "auto":
        return loss_floor, False
    output = untrained_output()
    output = output.detach() if isinstance(output, torch.Tensor) else output
    floor = estimate_floor(loss_fn, output, targets)
    if floor is not None or describe_loss(loss_fn, output, targets).expects == "log_probs":
        return floor, False
    try:
        return None, unbounded_for_a_constant(loss_fn, output, targets)
    except Exception:
        return None, False
