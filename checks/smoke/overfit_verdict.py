"""``overfit_one_batch``'s verdict from the evidence of its fit: the curve's diagnosis, the
train/eval gap BatchNorm explains (information) or does not (a failure), and the hints
for a loss that did not fall."""

from __future__ import annotations

from typing import Any

from mltestscore.results import Status

from .lossinfo import LossSpec
from .numerics import describe_nonfinite
from .results import Finding, finding, fmt, fmt_names


def judge_overfit(
    m: dict[str, Any],
    kind: str,
    message: str,
    spec: LossSpec,
    floor: float | None,
    eval_gap: float,
) -> Finding:
    lr = f", lr {fmt(m['lr'])}" if m.get("lr") is not None else ""
    setup = f"(batch of {m['batch_size']}, {m['optimizer']}{lr})"
    losses = m["losses"]
    base = floor if floor is not None else 0.0
    eval_loss = m.get("eval_loss")
    if kind == "converged":
        start = losses[0] - base
        gap = eval_loss is not None and start > 0 and eval_loss - base > eval_gap * start
        norms = m.get("norm_layers") or {}
        if gap and norms and all(mom != 0 for mom in norms.values()):
            m["train_eval_gap"] = True
            return finding(
                "overfit_one_batch",
                Status.PASS,
                f"one batch overfits in train mode {setup}: {message}. For information: in "
                f"eval mode the loss on the same batch is {fmt(eval_loss or 0.0)}, as expected "
                f"after {len(m['losses'])} steps on one batch — the running statistics of "
                f"{len(norms)} BatchNorm layers (e.g. `{next(iter(norms))}`) lag behind "
                "weights that changed fast",
                m,
            )
        if gap and eval_loss is not None:
            stale = [n for n, mom in norms.items() if mom == 0]
            cause = (
                f"BatchNorm layers with momentum 0 never update their running statistics "
                f"({fmt_names(stale)})"
                if stale
                else "no BatchNorm layer explains it: a custom normalization without running "
                "statistics, or a dropout that does not rescale by 1/(1-p) in training"
            )
            return finding(
                "overfit_one_batch",
                Status.FAIL,
                f"one batch overfits in train mode {setup}: {message}; but in eval mode the "
                f"loss on the same batch is {fmt(eval_loss)} ({fmt(eval_loss / losses[0])}× "
                f"the start): train and eval mode disagree — {cause}",
                m,
            )
        return finding(
            "overfit_one_batch", Status.PASS, f"one batch overfits {setup}: {message}", m
        )
    if (
        kind in ("oscillating", "plateau", "decreasing")
        and eval_loss is not None
        and losses[0] - base > 0
        and eval_loss - base <= m["target_fraction"] * (losses[0] - base)
        and eval_loss >= base
    ):
        return finding(
            "overfit_one_batch",
            Status.PASS,
            f"one batch overfits {setup}: the eval-mode loss is {fmt(eval_loss)} (from "
            f"{fmt(losses[0])}); the train-mode curve is noisy ({kind})",
            m,
        )
    hints = []
    act = m.get("final_activation")
    if spec.expects == "logits" and act is not None:
        hints.append(f"the outputs pass through {act} before {spec.source}, which expects logits")
    if kind == "nan" and "nonfinite" in m:
        where = describe_nonfinite(m["nonfinite"])
        if where:
            hints.append(f"after the last step {where}")
    if m.get("train_step"):
        hints.append(
            "the fit ran the team's train_step — see `training_step` for how it treats gradients and the learning rate"
        )
    hint = (" Also: " + "; ".join(hints) + ".") if hints else ""
    status = Status.WARN if kind == "decreasing" else Status.FAIL
    lead = (
        "the loss is being maximized"
        if kind == "rising" and (m.get("unbounded_for_a_constant") or m.get("sign_flipped"))
        else "overfitting one batch is unstable"
        if m["reached_target"]
        else "could not overfit one batch"
    )
    return finding("overfit_one_batch", status, f"{lead} {setup}: {message}.{hint}", m)
