"""``training_step``: the team's own training step does what a training step must.

The step runs a few times on one batch while hooks watch it: the optimizer's step hooks
record the gradients it is handed and the learning rate, each parameter's
post-accumulate-grad hook records when backward ran, a forward pre-hook records the
model's mode. Before each call, the gradient of ``loss_fn`` at the current parameters is
computed on the side (same dropout masks, BatchNorm statistics restored): the
*reference*. A correct step hands the optimizer that gradient. The evidence tells apart:

- no ``optimizer.step()`` at all, or one that runs before ``backward()``;
- gradients that accumulate across steps (``zero_grad`` missing);
- gradients a constant multiple of the reference: AMP's scaled gradients reaching the
  optimizer (``opt.step()`` instead of ``scaler.step(opt)``), or accumulation over
  micro-batches without dividing the loss;
- gradients zeroed before the step (clipping to 0, ``zero_grad`` between backward and step);
- the model run in eval mode;
- a learning rate that a scheduler drives to (near) zero within a few dozen steps.

The hooks and the reference gradient are in :mod:`.step_probe`; the judgement is here.
"""

from __future__ import annotations

import math
from typing import Any

from torch import nn

from mltestscore.results import Status

from .loop import OptimizerFactory, TrainStep, make_optimizer, step_loss
from .lossinfo import LossFn
from .modes import mode_modules
from .results import Finding, finding, fmt
from .state import isolated
from .step_probe import StepProbe, lr_moved, run_steps
from .tensors import prepare_batch

PASS, WARN, FAIL, SKIP = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.SKIP,
)


def training_step(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    train_step: TrainStep | None = None,
    optimizer: OptimizerFactory | None = None,
    batch_dim: int = 0,
    seed: int | None = 0,
    steps: int = 3,
    lr_horizon: int = 30,
    lr_floor: float = 1e-3,
    tolerance: float = 0.05,
) -> Finding:
    """The team's ``train_step(model, (inputs, targets), optimizer, step)`` on one batch.

    Runs ``steps`` steps and compares the gradients handed to ``optimizer.step()`` with
    the reference gradient of ``loss_fn`` (relative ``tolerance``). When the learning rate
    moves during those steps, the step keeps running up to ``lr_horizon`` steps; a rate
    that falls below ``lr_floor`` × its start fails. Skipped without ``train_step``.
    """
    if train_step is None:
        return finding(
            "training_step",
            SKIP,
            "no train_step given: pass train_step=fn(model, batch, optimizer, step) -> loss to "
            "smoke.run to check the team's own training step",
        )
    with isolated(model, seed) as work:
        inputs, targets, _ = prepare_batch(work, batch, batch_dim)
        opt = make_optimizer(optimizer, work)
        params = [p for g in opt.param_groups for p in g["params"] if p.requires_grad]
        probe = StepProbe(work, opt, params)
        try:
            m = run_steps(probe, work, opt, params, train_step, inputs, targets, loss_fn, steps)
            m["lrs"] = probe.lrs[:]
            if m.get("exception") is None and lr_moved(probe.lrs):
                for k in range(steps, lr_horizon):
                    work.train()
                    step_loss(train_step(work, (inputs, targets), opt, k))
                    if probe.lrs and probe.lrs[0] and probe.lrs[-1] < lr_floor * probe.lrs[0]:
                        break
                m["lrs"] = probe.lrs[:]
        finally:
            probe.remove()
        m["mode_modules"] = mode_modules(work)
    return _judge(m, tolerance, lr_floor)


def _judge(m: dict[str, Any], tol: float, lr_floor: float) -> Finding:
    calls: list[dict[str, Any]] = m["calls"]
    name = "training_step"
    if m["exception"] is not None:
        ev = m.get("exception_events", [])
        if "step" in ev and ("backward" not in ev or ev.index("step") < ev.index("backward")):
            return finding(
                name,
                FAIL,
                f"the training step raised {m['exception']} after calling optimizer.step() "
                "before backward(): the step changes the weights the graph still needs — "
                "call loss.backward() first, then optimizer.step()",
                m,
            )
        return finding(
            name,
            FAIL,
            f"the training step raised {m['exception']} on the batch (order before it: "
            f"{' → '.join(ev) or 'nothing'}) — fix the step; the fitting checks could not "
            "use it",
            m,
        )
    if not any(c["optimizer_steps"] for c in calls):
        return finding(
            name,
            FAIL,
            f"the training step never calls step() on the optimizer it is given ({len(calls)} "
            "calls): nothing is learned — call optimizer.step() (or scaler.step(optimizer))",
            m,
        )
    problems: list[str] = []
    first = calls[0]
    evs = first["events"]
    handed_nothing = [
        c
        for c in calls
        if c["optimizer_steps"] and c["ref_norm"] > 0 and c["norm"] <= 1e-12 * c["ref_norm"]
    ]
    if handed_nothing:
        c = handed_nothing[0]
        if "step" in evs and ("backward" not in evs or evs.index("step") < evs.index("backward")):
            problems.append(
                f"optimizer.step() runs before backward() (order seen: {' → '.join(evs)}): the "
                f"step finds no gradient where the loss's has norm {fmt(c['ref_norm'])} — call "
                "loss.backward() before optimizer.step()"
            )
        elif c.get("all_none"):
            problems.append(
                "the gradients are cleared between backward() and optimizer.step() (the "
                f"optimizer finds none where the loss's has norm {fmt(c['ref_norm'])}; order "
                f"seen: {' → '.join(evs)}): call zero_grad() before backward(), not after it"
            )
        else:
            problems.append(
                f"the gradients reach optimizer.step() as zeros (the loss's gradient has norm "
                f"{fmt(c['ref_norm'])}): gradient clipping to 0 (clip_grad_norm_ with "
                "max_norm=0, clip_grad_value_ with 0) or gradients zeroed before the step"
            )
    accumulating = [
        c
        for c in calls[1:]
        if c.get("accumulation_residual", 1.0) < tol and c.get("previous_share", 0.0) > 0.1
    ]
    if not problems and accumulating:
        c = accumulating[0]
        problems.append(
            f"gradients accumulate across steps: at step {calls.index(c)} the optimizer gets "
            f"{fmt(c['ratio'])}× the loss's gradient, the sum with the previous step's — "
            "optimizer.zero_grad() is missing from the step"
        )
    ratios = [c["ratio"] for c in calls if c.get("ratio") is not None and c.get("cosine", 0) > 0.98]
    if not problems and len(ratios) == len(calls) and ratios:
        ratio = sum(ratios) / len(ratios)
        steady = max(ratios) <= (1 + tol) * min(ratios)
        loss_ratio = first["loss"] / first["ref_loss"] if first["ref_loss"] else 1.0
        if steady and abs(ratio - 1) > tol:
            log2 = math.log2(ratio) if ratio > 0 else 0.0
            if ratio >= 64 and abs(log2 - round(log2)) < 0.01:
                problems.append(
                    f"the optimizer gets gradients {fmt(ratio)}× the loss's (2^{round(log2)}): "
                    "AMP's GradScaler-scaled gradients reach optimizer.step() — call "
                    "scaler.step(optimizer) and scaler.update() (and scaler.unscale_(optimizer) "
                    "before clipping)"
                )
            elif ratio >= 1.9 and abs(ratio - round(ratio)) < tol * ratio:
                n = round(ratio)
                problems.append(
                    f"the optimizer gets {fmt(ratio)}× the gradient of loss_fn on the batch "
                    f"(the step reports a loss {fmt(loss_ratio)}× loss_fn's): gradients of {n} "
                    f"micro-batches summed without dividing each loss by {n} (gradient "
                    "accumulation without loss scaling), or a sum-reduced loss in the step"
                )
    mode_mods = m.get("mode_modules") or []
    if any(c["eval_forward"] for c in calls) and mode_mods:
        problems.append(
            f"the step runs the model in eval mode, so {len(mode_mods)} Dropout/BatchNorm "
            f"layers (e.g. `{mode_mods[0]}`) behave as at inference — call model.train() "
            "before training (and after validation)"
        )
    lrs = m.get("lrs") or []
    start = m.get("start_lr")
    if start is not None and start == 0:
        problems.append("the learning rate is 0: nothing moves")
    elif start and lrs and min(lrs) < lr_floor * start:
        k = next(i for i, v in enumerate(lrs) if v < lr_floor * start)
        problems.append(
            f"the learning rate falls from {fmt(start)} to {fmt(lrs[k])} within {k + 1} steps: "
            "a scheduler drives it to (near) zero — a per-epoch schedule stepped every batch, "
            "or a decay horizon far shorter than training"
        )
    if problems:
        return finding(name, FAIL, "; ".join(problems), m)
    ratio_text = (
        f"gradients match the loss's (ratio {fmt(ratios[-1])})"
        if ratios
        else "gradients handed over"
    )
    return finding(
        name,
        PASS,
        f"the team's training step over {len(calls)} steps: backward before step, {ratio_text}, "
        f"train mode, learning rate {fmt(start or 0.0)}"
        + (f" → {fmt(lrs[-1])}" if lrs and start and lrs[-1] != start else ""),
        m,
    )
