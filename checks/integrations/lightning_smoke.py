"""``smoke.run(module)``: the smoke suite's inputs from a LightningModule alone.

:func:`smoke_run_inputs` fills in what the caller of ``smoke.run`` did not pass: the
module's loss, ``configure_optimizers`` and ``training_step``
(:func:`.lightning_step.smoke_defaults`), and a batch and the train/val datasets from a
``LightningDataModule`` or the module's own loaders. ``smoke.run`` imports this module only
for a LightningModule; lightning itself is not imported here.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from mltestscore.checks.integrations.lightning_adapter import LightningInputs
from mltestscore.checks.integrations.lightning_step import smoke_defaults, split_batch


def smoke_run_inputs(
    module: Any,
    datamodule: Any = None,
    *,
    batch: Any = None,
    loss_fn: Any = None,
    optimizer: Any = None,
    train_step: Any = None,
    data: Any = None,
) -> dict[str, Any]:
    """``smoke.run``'s inputs for a LightningModule instance; what the caller passed is kept.

    ``loss_fn``, ``optimizer`` and ``train_step`` come from the module (its loss attribute,
    ``configure_optimizers``, ``training_step``: :func:`.lightning_step.smoke_defaults`).
    ``batch`` (the first training batch) and ``data`` (the train/val datasets) come from
    ``datamodule``, else, when no batch is passed, from the module's own
    ``train_dataloader()`` / ``val_dataloader()`` (called on a deep copy after
    ``prepare_data()`` and ``setup("fit")``, as a ``Trainer`` would). Without a batch from
    either, raises ``ValueError`` saying what to pass.
    """
    loss, opt, step = smoke_defaults(module, loss_fn, optimizer, train_step)
    loaders: Any = None
    if datamodule is not None and (batch is None or data is None):
        loaders = LightningInputs(module, datamodule).datamodule
    elif batch is None:  # a batch passed without loaders: data stays as passed (None skips)
        loaders, why = _own_loaders(module)
        if loaders is None:
            raise ValueError(
                f"smoke.run({type(module).__name__}): no training batch. Pass "
                "batch=(inputs, targets) or datamodule=<LightningDataModule>, or define "
                f"train_dataloader() on the module ({why})"
            )
    if batch is None:
        batch = split_batch(next(iter(loaders.train_dataloader())))
    if data is None and loaders is not None:
        data = {"train": loaders.train_dataloader().dataset}
        with contextlib.suppress(Exception):  # no validation loader: val_improves is skipped
            data["val"] = loaders.val_dataloader().dataset
    return {
        "batch": batch,
        "loss_fn": loss,
        "optimizer": opt,
        "train_step": step,
        "data": data,
    }


def _own_loaders(module: Any) -> tuple[Any, str]:
    """A set-up deep copy of ``module`` when it serves its own ``train_dataloader()``."""
    try:
        own = copy.deepcopy(module)
        own.prepare_data()
        own.setup("fit")
        own.train_dataloader()
    except Exception as exc:  # Lightning's default train_dataloader raises
        return None, f"{type(exc).__name__}: {str(exc).strip()[:200]}"
    return own, ""
