"""FSDL's memorization test: a small training subset is fit to (near) zero error within a
step/time budget.

Map-style datasets are re-read every step, so a pipeline that hands out different labels
(or destroys the input) on each read shows up as a subset that cannot be fit. The fit
itself lives in :mod:`.subset_fit`.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from mltestscore.results import Status

from .curve import diagnose_loss_curve, remaining, subsample
from .loop import OptimizerFactory, TrainStep, TrainStepFailed, train_step_skip
from .lossinfo import LossFn
from .results import Finding, finding, fmt
from .subset_fit import SubsetFit, fit_subset


def memorize(
    model: nn.Module,
    train_data: Any,
    loss_fn: LossFn,
    *,
    optimizer: OptimizerFactory | None = None,
    seed: int | None = 0,
    samples: int = 128,
    steps: int = 400,
    max_steps: int = 3200,
    max_seconds: float | None = None,
    min_accuracy: float = 0.99,
    loss_fraction: float = 0.1,
    train_step: TrainStep | None = None,
) -> Finding:
    """A small training subset is fit to (near) zero error within the step budget.

    Classification: eval-mode accuracy on the subset reaches ``min_accuracy``. Other tasks:
    the eval-mode loss falls to ``loss_fraction`` of its start, measured above the loss's
    own floor (soft targets, label smoothing; none for a loss that can go below zero).
    ``samples`` training samples (seeded random choice), full-batch steps: ``steps``,
    extended while the loss falls up to ``max_steps``. ``max_seconds`` is an optional
    wall-clock cap: a fit it cuts short is skipped as "not enough time to judge".
    """
    try:
        fit = fit_subset(
            model,
            train_data,
            loss_fn,
            optimizer=optimizer,
            seed=seed,
            samples=samples,
            steps=steps,
            max_steps=max_steps,
            max_seconds=max_seconds,
            min_accuracy=min_accuracy,
            loss_fraction=loss_fraction,
            train_step=train_step,
        )
    except TrainStepFailed as exc:
        return train_step_skip("memorize", exc)
    return judge_memorize(fit, min_accuracy=min_accuracy, loss_fraction=loss_fraction)


def judge_memorize(fit: SubsetFit, *, min_accuracy: float, loss_fraction: float) -> Finding:
    first, last = fit.checkpoints[0], fit.checkpoints[-1]
    m: dict[str, Any] = {
        "samples": fit.samples,
        "steps": len(fit.losses),
        "seconds": fit.seconds,
        "stopped": fit.stopped,
        "optimizer": fit.optimizer,
        "lr": fit.lr,
        "start_loss": first["loss"],
        "end_loss": last["loss"],
        "accuracy": last["accuracy"],
        "losses": subsample(fit.losses),
        "checkpoints": fit.checkpoints[-20:],
    }
    acc = last["accuracy"]
    setup = f"{fit.samples} training samples in {len(fit.losses)} steps ({fit.seconds:.1f} s, {fit.optimizer}, lr {fmt(fit.lr or float('nan'))})"
    if acc is not None:
        ok = acc >= min_accuracy
        result = f"accuracy {100 * acc:.1f} % (needs {100 * min_accuracy:.0f} %), loss {fmt(first['loss'])} → {fmt(last['loss'])}"
    else:
        ok = remaining(last["loss"], first["loss"], fit.floor) <= loss_fraction
        above = "" if fit.floor in (None, 0.0) else f" above its floor {fmt(fit.floor or 0.0)}"
        result = f"loss {fmt(first['loss'])} → {fmt(last['loss'])} (needs {100 * loss_fraction:.0f} % of its start{above})"
    m["loss_floor"] = fit.floor
    if ok:
        return finding("memorize", Status.PASS, f"memorized {setup}: {result}", m)
    if fit.stopped == "time":
        m["not_enough_time"] = True
        return finding(
            "memorize",
            Status.SKIP,
            f"not enough time to judge: the {fmt(fit.max_seconds or 0.0)} s cap ended the fit "
            f"of {setup}: {result} — the verdict comes from a step budget; raise max_seconds "
            "or drop the cap",
            m,
        )
    curve = diagnose_loss_curve(
        fit.losses * (2 if len(fit.losses) < 2 else 1),
        floor=fit.floor,
        converged_fraction=loss_fraction,
        lr=fit.lr,
    )
    m["diagnosis"] = curve.kind
    if curve.kind == "converged":
        why = "the training-mode loss fell but eval-mode predictions on the same samples are still wrong (BatchNorm statistics or dropout behave differently at eval?)"
    elif curve.kind in ("rising", "oscillating", "plateau") and not fit.static:
        why = (
            f"the training loss went from {fmt(curve.start)} to {fmt(curve.end)} in "
            f"{curve.steps} steps without settling while the subset was re-read every step from the "
            "dataset: a dataset that hands out different labels (or heavily "
            "altered inputs) on each read cannot be memorized — check its __getitem__"
        )
    else:
        why = f"the training {curve.message}"
    reread = (
        ""
        if fit.stopped == "nonfinite" or "__getitem__" in why
        else " The subset is re-read every step: a dataset that returns different labels or heavily altered inputs on each read cannot be memorized."
    )
    if curve.kind == "decreasing":  # still falling when the step budget ran out
        m["not_enough_steps"] = True
        return finding(
            "memorize",
            Status.WARN,
            f"not enough steps to judge: {setup} did not memorize yet — {result}; {why}",
            m,
        )
    return finding(
        "memorize",
        Status.FAIL,
        f"could not memorize {setup}: {result}; {why}.{reread}",
        m,
    )
