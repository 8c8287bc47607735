"""Train and eval mode: eval is deterministic, and train differs only where it should."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .lossinfo import LossFn
from .results import Finding, finding, fmt, fmt_names
from .state import isolated
from .tensors import (
    call_model,
    max_abs,
    max_abs_diff,
    prepare_batch,
)

PASS, WARN, FAIL, SKIP = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.SKIP,
)


_MODE_TYPES = (
    nn.modules.dropout._DropoutNd,
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
)


def mode_modules(model: nn.Module) -> list[str]:
    """Modules whose output legitimately differs between train and eval mode."""
    found = []
    for name, mod in model.named_modules():
        if isinstance(mod, nn.modules.dropout._DropoutNd) and mod.p == 0:
            continue
        if isinstance(mod, nn.modules.instancenorm._InstanceNorm) and not mod.track_running_stats:
            continue
        if isinstance(mod, _MODE_TYPES) or _dropout_rate(mod) > 0:
            found.append(name or "model")
    return found


def _dropout_rate(mod: nn.Module) -> float:
    """A numeric ``dropout`` attribute (e.g. nn.GRU, nn.TransformerEncoderLayer).

    A submodule stored as ``self.dropout = nn.Dropout(...)`` is not a rate: it is
    visited on its own by ``named_modules``.
    """
    rate = getattr(mod, "dropout", 0)
    if isinstance(rate, (int, float)) and not isinstance(rate, bool):
        return float(rate)
    return 0.0


def eval_mode(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn | None = None,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    tolerance: float = 1e-6,
) -> Finding:
    """Eval mode is deterministic; train mode differs only where dropout/batch-norm should.

    Two eval-mode passes must agree within ``tolerance`` (relative). A model without
    Dropout/BatchNorm-like modules whose train and eval outputs differ gets a warning.
    """
    with isolated(model, seed) as work, torch.no_grad():
        inputs, _, _ = prepare_batch(work, batch, batch_dim)
        work.eval()
        first = call_model(work, inputs)
        second = call_model(work, inputs)
        work.train()
        trained = call_model(work, inputs)
        scale = max(max_abs(first), 1e-12)
        m: dict[str, Any] = {
            "eval_repeat_diff": max_abs_diff(first, second) / scale,
            "train_eval_diff": max_abs_diff(first, trained) / scale,
            "mode_modules": mode_modules(work),
            "left_in_train_mode": _stuck(work),
        }
    return _judge_eval(m, tolerance)


def _stuck(model: nn.Module) -> list[str]:
    """Submodules still in train mode after ``model.eval()``."""
    model.eval()
    return [name or "model" for name, mod in model.named_modules() if mod.training]


def _judge_eval(m: dict[str, Any], tol: float) -> Finding:
    if m["eval_repeat_diff"] > tol:
        stuck = (
            f"; {fmt_names(m['left_in_train_mode'])} stay in train mode after .eval() (train() "
            "overridden?)"
            if m["left_in_train_mode"]
            else ""
        )
        return finding(
            "eval_mode",
            FAIL,
            f"two eval-mode passes on the same batch differ (by {fmt(m['eval_repeat_diff'])}, "
            f"relative){stuck}: something stays random at eval — F.dropout without "
            "training=self.training, noise or augmentation that ignores self.training, layers "
            "kept outside the module tree — gate it on self.training",
            m,
        )
    if not m["mode_modules"] and m["train_eval_diff"] > tol:
        return finding(
            "eval_mode",
            WARN,
            f"train and eval outputs differ (by {fmt(m['train_eval_diff'])}) although the model "
            "has no Dropout/BatchNorm modules: some layer checks self.training — make sure "
            "that is intended",
            m,
        )
    extra = f" ({fmt_names(m['mode_modules'])} switch)" if m["mode_modules"] else ""
    return finding("eval_mode", PASS, f"eval mode is deterministic{extra}", m)
