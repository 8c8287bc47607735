"""FSDL's memorization test: a small training subset is fit to (near) zero error within a
step/time budget.

Map-style datasets are re-read every step, so a pipeline that hands out different labels
(or destroys the input) on each read shows up as a subset that cannot be fit. The fit
itself lives in :mod:`.subset_fit`.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .curve import diagnose_loss_curve, subsample
from .loop import OptimizerFactory
from .lossinfo import LossFn
from .results import Finding, FindingStatus, finding, fmt
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
    max_seconds: float = 20.0,
    min_accuracy: float = 0.99,
    loss_fraction: float = 0.1,
) -> Finding:
    """A small training subset is fit to (near) zero error within the budget.

    Classification: eval-mode accuracy on the subset reaches ``min_accuracy``. Other tasks:
    the eval-mode loss falls to ``loss_fraction`` of its start. ``samples`` training samples
    (seeded random choice), full-batch steps, at most ``steps`` or ``max_seconds``.
    """
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
    )
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
        ok = first["loss"] > 0 and last["loss"] <= loss_fraction * first["loss"]
        result = f"loss {fmt(first['loss'])} → {fmt(last['loss'])} (needs {100 * loss_fraction:.0f} % of its start)"
    if ok:
        return finding("memorize", FindingStatus.PASS, f"memorized {setup}: {result}", m)
    curve = diagnose_loss_curve(
        fit.losses * (2 if len(fit.losses) < 2 else 1), floor=0.0, converged_fraction=loss_fraction
    )
    m["diagnosis"] = curve.kind
    why = (
        f"the training loss {curve.message}"
        if curve.kind != "converged"
        else "the training-mode loss fell but eval-mode predictions on the same samples are still wrong (BatchNorm statistics or dropout behave differently at eval?)"
    )
    reread = (
        ""
        if fit.stopped == "nonfinite"
        else " The subset is re-read every step: a dataset that returns different labels or heavily altered inputs on each read cannot be memorized."
    )
    return finding(
        "memorize",
        FindingStatus.FAIL,
        f"could not memorize {setup}: {result}; {why}.{reread}",
        m,
    )
