"""Does fitting the training data carry over to validation?

``val_improves``: while a training subset is fit, the validation loss must beat the best
*constant* output (the label prior) by a margin. Labels shuffled against their inputs can
still be memorized, but nothing of them carries over to validation.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from mltestscore.results import Status

from .loop import OptimizerFactory, TrainStep, TrainStepFailed, train_step_skip
from .lossinfo import LossFn
from .results import Finding, finding, fmt
from .subset_fit import SubsetFit, fit_subset


def val_improves(
    model: nn.Module,
    train_data: Any,
    val_data: Any,
    loss_fn: LossFn,
    *,
    optimizer: OptimizerFactory | None = None,
    seed: int | None = 0,
    samples: int = 128,
    val_samples: int = 256,
    steps: int = 400,
    max_steps: int = 3200,
    max_seconds: float | None = None,
    min_gain: float = 0.05,
    train_step: TrainStep | None = None,
) -> Finding:
    """Fitting a training subset lowers the validation loss below what the best constant
    output (the label prior) achieves, by at least ``min_gain`` (relative). A fit cut
    short by the optional ``max_seconds`` cap before that is skipped (not enough time)."""
    try:
        fit = fit_subset(
            model,
            train_data,
            loss_fn,
            val_data=val_data,
            optimizer=optimizer,
            seed=seed,
            samples=samples,
            val_samples=val_samples,
            steps=steps,
            max_steps=max_steps,
            max_seconds=max_seconds,
            train_step=train_step,
        )
    except TrainStepFailed as exc:
        return train_step_skip("val_improves", exc)
    return judge_val_improves(fit, min_gain=min_gain)


def judge_val_improves(fit: SubsetFit, *, min_gain: float) -> Finding:
    vals = [c["val_loss"] for c in fit.checkpoints if "val_loss" in c]
    if not vals:
        return finding("val_improves", Status.SKIP, "no validation data")
    start, best = vals[0], min(vals)
    reference = start if fit.baseline_val is None else min(start, fit.baseline_val)
    gain = (reference - best) / abs(reference) if reference != 0 else 0.0
    m: dict[str, Any] = {
        "val_start": start,
        "val_best": best,
        "val_end": vals[-1],
        "constant_baseline": fit.baseline_val,
        "gain": gain,
        "train_start": fit.checkpoints[0]["loss"],
        "train_end": fit.checkpoints[-1]["loss"],
        "val_losses": vals,
    }
    base = (
        f", the best constant output gets {fmt(fit.baseline_val)}"
        if fit.baseline_val is not None
        else ""
    )
    if gain >= min_gain:
        return finding(
            "val_improves",
            Status.PASS,
            f"fitting {fit.samples} training samples lowers the validation loss {fmt(start)} → {fmt(best)}{base}",
            m,
        )
    if fit.stopped == "time":
        m["not_enough_time"] = True
        return finding(
            "val_improves",
            Status.SKIP,
            f"not enough time to judge: the {fmt(fit.max_seconds or 0.0)} s cap ended the fit "
            f"after {len(fit.losses)} steps (validation loss {fmt(start)} → {fmt(best)}"
            f"{base}) — the verdict comes from a step budget; raise max_seconds or drop the cap",
            m,
        )
    return finding(
        "val_improves",
        Status.FAIL,
        f"fitting {fit.samples} training samples (train loss {fmt(m['train_start'])} → "
        f"{fmt(m['train_end'])}) does not carry over to validation: best validation loss "
        f"{fmt(best)} from {fmt(start)}{base} (gain {100 * gain:.1f} %, needs "
        f"{100 * min_gain:.0f} %) — the labels carry no signal the model picks up from the "
        "inputs: labels shuffled or misaligned with their inputs (sorted/shuffled "
        "separately), or validation drawn from another distribution or preprocessed "
        "differently",
        m,
    )
