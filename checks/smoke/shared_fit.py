"""``memorize`` and ``val_improves`` train the same subset: fit once, judge twice.

:func:`~.runner.run` hands both checks to a :class:`SharedFit`; when their options agree
on the fit, the first one fits the subset and both judge that one fit, otherwise each
check fits alone.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from . import generalization, memorization, subset_fit
from .loop import OptimizerFactory, TrainStep, TrainStepFailed, train_step_skip
from .lossinfo import LossFn
from .results import Finding

__all__ = ["FITTING_CHECKS", "SharedFit", "with_cap"]

#: The checks that fit a training subset (``DATA_CHECKS`` of the runner, less the overlap).
FITTING_CHECKS: dict[str, Callable[..., Finding]] = {
    "memorize": memorization.memorize,
    "val_improves": generalization.val_improves,
}


class SharedFit:
    """``memorize`` and ``val_improves`` train the same subset: fit once, judge twice.

    Used when both run and their options agree on the fit; otherwise each fits alone.
    """

    _FIT = ("samples", "steps", "max_steps", "max_seconds")

    def __init__(
        self,
        selected: list[str],
        opts: Mapping[str, Mapping[str, Any]],
        optimizer: OptimizerFactory | None,
        seed: int,
        train_step: TrainStep | None = None,
    ) -> None:
        mem, val = dict(opts.get("memorize", {})), dict(opts.get("val_improves", {}))
        self.enabled = (
            "memorize" in selected
            and "val_improves" in selected
            and all(
                mem.get(k) == val.get(k) for k in (*self._FIT, "optimizer", "seed", "train_step")
            )
        )
        self.mem, self.val = mem, val
        self.optimizer, self.seed, self.train_step = optimizer, seed, train_step
        self.fit: subset_fit.SubsetFit | None = None

    def call(
        self, name: str, model: nn.Module, train: Any, val: Any, loss_fn: LossFn
    ) -> Callable[..., Finding]:
        if not self.enabled or val is None:
            args = (
                (model, train, val, loss_fn) if name == "val_improves" else (model, train, loss_fn)
            )
            return functools.partial(FITTING_CHECKS[name], *args)

        def judged(**_: Any) -> Finding:
            if self.fit is None:
                fit_kwargs = {k: self.mem[k] for k in self._FIT if k in self.mem}
                for k in ("min_accuracy", "loss_fraction"):
                    if k in self.mem:
                        fit_kwargs[k] = self.mem[k]
                if "val_samples" in self.val:
                    fit_kwargs["val_samples"] = self.val["val_samples"]
                try:
                    self.fit = subset_fit.fit_subset(
                        model,
                        train,
                        loss_fn,
                        val_data=val,
                        optimizer=self.mem.get("optimizer", self.optimizer),
                        seed=self.mem.get("seed", self.seed),
                        train_step=self.mem.get("train_step", self.train_step),
                        **fit_kwargs,
                    )
                except TrainStepFailed as exc:
                    return train_step_skip(name, exc)
            if name == "memorize":
                return memorization.judge_memorize(
                    self.fit,
                    min_accuracy=self.mem.get("min_accuracy", _default("memorize", "min_accuracy")),
                    loss_fraction=self.mem.get(
                        "loss_fraction", _default("memorize", "loss_fraction")
                    ),
                )
            return generalization.judge_val_improves(
                self.fit, min_gain=self.val.get("min_gain", _default("val_improves", "min_gain"))
            )

        return judged


def with_cap(
    opts: Mapping[str, Mapping[str, Any]], max_seconds: float | None
) -> dict[str, dict[str, Any]]:
    """The options with ``max_seconds`` set for the subset fit unless given per check."""
    out = {k: dict(v) for k, v in opts.items()}
    if max_seconds is not None:
        for name in ("memorize", "val_improves"):
            out.setdefault(name, {}).setdefault("max_seconds", max_seconds)
    return out


def _default(check: str, keyword: str) -> Any:
    """The documented default of a check's keyword argument (one source of truth)."""
    return inspect.signature(FITTING_CHECKS[check]).parameters[keyword].default
