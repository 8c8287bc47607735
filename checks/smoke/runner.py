"""``run``: every smoke check on a deep copy of the model, each isolated, RNG state restored.

``memorize`` and ``val_improves`` share one subset fit when their options agree
(:mod:`.shared_fit`).
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from torch import nn

from mltestscore.results import Status

from . import (
    behavior,
    first_pass,
    forward_checks,
    gradients,
    independence,
    inputs,
    loss_checks,
    modes,
    numerics,
    overfit,
    step_check,
)
from .causality import causality
from .data import train_val_overlap
from .loop import OptimizerFactory, TrainStep
from .lossinfo import LossFn
from .results import Finding, SmokeReport, finding, summarize_exception
from .shared_fit import FITTING_CHECKS, SharedFit, with_cap
from .state import reusing_copies, seeded, threads
from .tensors import TakeSamples

BatchCheck = Callable[..., Finding]

#: Checks on the batch, in the order they run: cheap structural checks first.
BATCH_CHECKS: dict[str, BatchCheck] = {
    "forward": forward_checks.forward,
    "output_shape": forward_checks.output_shape,
    "loss_input": loss_checks.loss_input,
    "initial_loss": loss_checks.initial_loss,
    "finite": numerics.finite,
    "params_update": gradients.params_update,  # next to finite: it steps finite's backward
    "input_scaling": inputs.input_scaling,
    "input_dependence": behavior.input_dependence,
    "batch_independence": independence.batch_independence,
    "causality": causality,
    "eval_mode": modes.eval_mode,
    "training_step": step_check.training_step,
    "overfit_one_batch": overfit.overfit_one_batch,
}
#: Checks that need ``data={"train": ..., "val": ...}``.
DATA_CHECKS: dict[str, Callable[..., Finding]] = {
    "train_val_overlap": train_val_overlap,
    **FITTING_CHECKS,  # memorize, val_improves
}
CHECK_NAMES: tuple[str, ...] = (*BATCH_CHECKS, *DATA_CHECKS)
_TAKES_OPTIMIZER = {
    "params_update",
    "training_step",
    "overfit_one_batch",
    "memorize",
    "val_improves",
}
_TAKES_TRAIN_STEP = {"training_step", "overfit_one_batch", "memorize", "val_improves"}
_TAKES_SAMPLES = {"batch_independence", "input_dependence"}
_FITS = {"overfit_one_batch", "memorize", "val_improves"}
# The checks that read a pass an earlier check made (see .first_pass): the shared forward
# (made by forward, traced for finite), the backward params_update steps (by finite), and
# the step overfit_one_batch goes on from (by params_update).
_READS_SHARED_PASS = {
    "output_shape",
    "loss_input",
    "initial_loss",
    "finite",
    "params_update",
    "overfit_one_batch",
}


def run(
    model: nn.Module,
    batch: Any = None,
    loss_fn: LossFn | None = None,
    *,
    optimizer: OptimizerFactory | None = None,
    data: Mapping[str, Any] | None = None,
    seed: int = 0,
    expected: float | tuple[float, float] | None = None,
    batch_dim: int = 0,
    checks: Collection[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    num_threads: int | None = 1,
    train_step: TrainStep | None = None,
    take_samples: TakeSamples | None = None,
    causal_dim: int | Mapping[str, int] | None = None,
    max_seconds: float | None = None,
    datamodule: Any = None,
) -> SmokeReport:
    """Run the smoke suite on ``model`` with one ``batch = (inputs, targets)``.

    ``model`` may be a ``LightningModule``: then ``smoke.run(module)`` alone runs the suite
    through the module's own ``training_step`` and ``configure_optimizers``. What is not
    passed is derived (:mod:`mltestscore.checks.integrations.lightning_smoke`): ``loss_fn``
    is the module's loss attribute (``self.loss_fn``, ``self.criterion``, …), ``optimizer``
    rebuilds what ``configure_optimizers`` returns, ``train_step`` runs
    ``training_step``, and ``batch`` and ``data`` come from ``datamodule`` or the module's
    own ``train_dataloader()`` / ``val_dataloader()``.

    Args:
        optimizer: ``params -> torch.optim.Optimizer``; default ``Adam(lr=3e-4)``.
        data: optional ``{"train": dataset, "val": dataset}`` for the data-level checks
            (see :mod:`mltestscore.checks.smoke.data` for the accepted dataset forms).
        seed: every check starts from this seed; the caller's RNG states (python, numpy,
            torch CPU/CUDA) are restored afterwards.
        expected: the expected initial loss (or a ``(low, high)`` range), when it cannot
            be inferred from the loss.
        batch_dim: the batch dimension of the input tensors (1 for ``(T, B, F)`` sequences).
        checks: names of the checks to run (default all, see :data:`CHECK_NAMES`).
        options: per-check keyword overrides, e.g. ``{"overfit_one_batch": {"steps": 500}}``.
        num_threads: torch CPU threads during the run (restored afterwards); small batches
            run fastest on 1. ``None`` leaves torch's setting alone.
        train_step: the team's own training step,
            ``train_step(model, (inputs, targets), optimizer, step) -> loss``: checked by
            ``training_step`` and used by every fitting check instead of the built-in step.
        take_samples: ``take_samples(inputs, index) -> inputs`` of the samples ``index``,
            for inputs whose samples are not a leading dimension (token ids with
            ``offsets``, a PackedSequence); the batch size is then the targets' length.
        causal_dim: the time dimension of the inputs of a decoder / causal model (or
            ``{input path: dim}`` for the causal inputs only, e.g. ``{"inputs[1]": 1}``):
            the ``causality`` check verifies that no output depends on later inputs.
        max_seconds: a wall-clock cap for each fitting check (overfit, memorize,
            val_improves); one it cuts short is skipped as "not enough time to judge",
            never failed. Their verdicts come from step budgets; default no cap.
        datamodule: for a LightningModule, the ``LightningDataModule`` (an instance or a
            zero-argument factory) whose loaders give ``batch`` and ``data``.

    The caller's model is never changed: every check works on its own deep copy. A check
    that raises becomes an ``error`` finding and the run goes on. When the model does not
    run on the batch, the checks that need it are skipped.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if _is_lightning(model):
        from mltestscore.checks.integrations.lightning_smoke import smoke_run_inputs

        derived = smoke_run_inputs(
            model,
            datamodule,
            batch=batch,
            loss_fn=loss_fn,
            optimizer=optimizer,
            train_step=train_step,
            data=data,
        )
        batch, loss_fn, optimizer = derived["batch"], derived["loss_fn"], derived["optimizer"]
        train_step, data = derived["train_step"], derived["data"]
    elif batch is None or loss_fn is None or datamodule is not None:
        raise TypeError(
            "smoke.run needs batch=(inputs, targets) and loss_fn for a "
            f"{type(model).__name__}; only a LightningModule supplies its own "
            "(and only it takes datamodule=)"
        )
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (output, targets) -> loss, got {loss_fn!r}")
    selected = _select(checks)
    opts = _validate_options(options or {})
    train_data, val_data = _split_data(data)
    findings: list[Finding] = []
    t0 = time.perf_counter()
    with threads(num_threads), seeded(None), first_pass.sharing(selected), reusing_copies():
        model_runs = True
        shared = SharedFit(selected, with_cap(opts, max_seconds), optimizer, seed, train_step)
        for name in _run_order(selected, train_step):
            kwargs: dict[str, Any] = {"seed": seed, **opts.get(name, {})}
            if name in _TAKES_OPTIMIZER:
                kwargs.setdefault("optimizer", optimizer)
            if name in _TAKES_TRAIN_STEP:
                kwargs.setdefault("train_step", train_step)
            if name in _FITS and max_seconds is not None:
                kwargs.setdefault("max_seconds", max_seconds)
            if name in _TAKES_SAMPLES:
                kwargs.setdefault("take_samples", take_samples)
            if name == "causality":
                kwargs.setdefault("time_dim", causal_dim)
            if name in BATCH_CHECKS:
                kwargs.setdefault("batch_dim", batch_dim)
                if name == "initial_loss":
                    kwargs.setdefault("expected", expected)
                call = _bind(BATCH_CHECKS[name], model, batch, loss_fn)
            elif name == "train_val_overlap":
                if train_data is None or val_data is None:
                    findings.append(_missing(name, "train and val"))
                    continue
                kwargs.pop("seed")
                call = _bind(train_val_overlap, train_data, val_data)
            else:
                needs_val = name == "val_improves"
                if train_data is None or (needs_val and val_data is None):
                    findings.append(_missing(name, "train and val" if needs_val else "train"))
                    continue
                call = shared.call(name, model, train_data, val_data, loss_fn)
            if not model_runs and name != "train_val_overlap":
                findings.append(
                    finding(
                        name,
                        Status.SKIP,
                        "skipped: the model does not run on the batch (see `forward`)",
                    )
                )
                continue
            if name not in _READS_SHARED_PASS:
                first_pass.release()  # no later check reads them: free their copies
            result = _isolated(name, call, kwargs)
            findings.append(result)
            if name == "forward" and result.status is not Status.PASS:
                model_runs = False
    findings.sort(key=lambda f: selected.index(f.name))  # reported in the documented order
    return SmokeReport(tuple(findings), time.perf_counter() - t0, seed)


def _run_order(selected: list[str], train_step: TrainStep | None) -> list[str]:
    """The order the checks run in: the documented one, except that overfit_one_batch runs
    right after params_update when it goes on from that check's training step (the stepped
    copy need not wait through the other checks). Every check is isolated and seeded, so
    the order changes no finding."""
    order = list(selected)
    if train_step is None and "params_update" in order and "overfit_one_batch" in order:
        order.remove("overfit_one_batch")
        order.insert(order.index("params_update") + 1, "overfit_one_batch")
    return order


def _is_lightning(model: nn.Module) -> bool:
    """A LightningModule, told by its methods (lightning itself is not imported)."""
    from mltestscore.checks.integrations.lightning_step import is_lightning_module

    return is_lightning_module(model)


def _bind(fn: Callable[..., Finding], *args: Any) -> Callable[..., Finding]:
    def call(**kwargs: Any) -> Finding:
        return fn(*args, **kwargs)

    return call


def _isolated(name: str, call: Callable[..., Finding], kwargs: dict[str, Any]) -> Finding:
    start = time.perf_counter()
    try:
        result = call(**kwargs)
    except Exception as exc:
        result = finding(
            name,
            Status.ERROR,
            f"the check raised {summarize_exception(exc)}",
            {"exception": type(exc).__name__},
        )
    return dataclasses.replace(result, seconds=time.perf_counter() - start)


def _missing(name: str, what: str) -> Finding:
    keys = ", ".join(f"{w!r}: ..." for w in what.split(" and "))
    return finding(name, Status.SKIP, f"needs data={{{keys}}}")


def _select(checks: Collection[str] | None) -> list[str]:
    if checks is None:
        return list(CHECK_NAMES)
    unknown = sorted(set(checks) - set(CHECK_NAMES))
    if unknown:
        raise ValueError(f"unknown smoke check(s) {unknown}; known: {list(CHECK_NAMES)}")
    return [n for n in CHECK_NAMES if n in set(checks)]


def _validate_options(options: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, values in options.items():
        fn = BATCH_CHECKS.get(name) or DATA_CHECKS.get(name)
        if fn is None:
            raise ValueError(f"options: unknown smoke check {name!r}; known: {list(CHECK_NAMES)}")
        params = inspect.signature(fn).parameters
        allowed = {p for p, spec in params.items() if spec.kind is inspect.Parameter.KEYWORD_ONLY}
        bad = sorted(set(values) - allowed)
        if bad:
            raise ValueError(
                f"options[{name!r}]: unknown keyword(s) {bad}; {name} takes {sorted(allowed)}"
            )
        out[name] = dict(values)
    return out


def _split_data(data: Mapping[str, Any] | None) -> tuple[Any, Any]:
    if data is None:
        return None, None
    if not isinstance(data, Mapping):
        raise TypeError(
            f"data must be a mapping with 'train' (and 'val') datasets, got {type(data).__name__}"
        )
    unknown = sorted(set(data) - {"train", "val"})
    if unknown:
        raise ValueError(f"data: unknown key(s) {unknown}; expected 'train' and 'val'")
    return data.get("train"), data.get("val")
