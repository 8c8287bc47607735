"""Closed forms for the losses PyTorch ships: the floor a perfect model reaches on a batch,
and the best constant output (what the label prior alone achieves).

The fitting checks need both. For any loss they are found numerically
(:func:`.lossfloor.attainable_minimum`, :func:`.subset_fit.constant_baseline`: a few
hundred Adam steps on free outputs); for ``nn.CrossEntropyLoss``, ``nn.MSELoss``,
``nn.BCEWithLogitsLoss`` and their kin, used the plain way, the answer is known exactly and
costs one pass over the targets. Anything these functions do not recognize — a wrapped or
custom loss, class weights with label smoothing, ``pos_weight``, an output whose shape does
not match the targets (broadcasting: the floor is then *not* zero) — returns None, and the
caller falls back to the numerical search.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["known_constant", "known_floor"]

_REGRESSION = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
_REGRESSION_F = (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss)


def _settings(loss_fn: Any) -> dict[str, Any] | None:
    """The loss's kind and the settings the closed forms depend on, or None when unknown.

    ``functools.partial`` of a function is read through its keywords; positional extras
    make it unknown.
    """
    if isinstance(loss_fn, functools.partial):
        if loss_fn.args:
            return None
        base, kw = loss_fn.func, dict(loss_fn.keywords)
    else:
        base, kw = loss_fn, {}
    if isinstance(base, nn.CrossEntropyLoss) or base is F.cross_entropy:
        s = {
            "kind": "ce",
            "weight": getattr(base, "weight", None),
            "smoothing": float(getattr(base, "label_smoothing", 0.0)),
            "ignore": int(getattr(base, "ignore_index", -100)),
            "reduction": getattr(base, "reduction", "mean"),
        }
        keys = {"weight": "weight", "label_smoothing": "smoothing"}
        keys |= {"ignore_index": "ignore", "reduction": "reduction"}
    elif isinstance(base, nn.NLLLoss) or base is F.nll_loss:
        s = {"kind": "nll", "ignore": int(getattr(base, "ignore_index", -100))}
        s["reduction"] = getattr(base, "reduction", "mean")
        keys = {"weight": "weight", "ignore_index": "ignore", "reduction": "reduction"}
    elif isinstance(base, nn.BCEWithLogitsLoss) or base is F.binary_cross_entropy_with_logits:
        s = {
            "kind": "bce_logits",
            "weight": getattr(base, "weight", None),
            "pos_weight": getattr(base, "pos_weight", None),
            "reduction": getattr(base, "reduction", "mean"),
        }
        keys = {"weight": "weight", "pos_weight": "pos_weight", "reduction": "reduction"}
    elif isinstance(base, nn.BCELoss) or base is F.binary_cross_entropy:
        s = {
            "kind": "bce",
            "weight": getattr(base, "weight", None),
            "reduction": getattr(base, "reduction", "mean"),
        }
        keys = {"weight": "weight", "reduction": "reduction"}
    elif isinstance(base, _REGRESSION) or base in _REGRESSION_F:
        name = type(base).__name__ if isinstance(base, nn.Module) else base.__name__
        s = {"kind": name, "reduction": getattr(base, "reduction", "mean")}
        keys = {"reduction": "reduction"}
    else:
        return None
    for key, value in kw.items():
        if key not in keys:
            return None  # a keyword the closed form does not model (beta, delta are fine below)
        s[keys[key]] = value
    if s["reduction"] not in ("mean", "sum"):
        return None
    return s


def _reduce(values: torch.Tensor, reduction: str) -> float:
    return float(values.sum().item() if reduction == "sum" else values.mean().item())


def _entropy(p: torch.Tensor, dim: int) -> torch.Tensor:
    """Shannon entropy along ``dim`` with 0·log 0 = 0."""
    plogp: torch.Tensor = torch.special.xlogy(p, p)
    return -plogp.sum(dim)


def _binary_entropy(t: torch.Tensor) -> torch.Tensor:
    ones: torch.Tensor = torch.special.xlogy(t, t)
    zeros: torch.Tensor = torch.special.xlogy(1 - t, 1 - t)
    return -(ones + zeros)


def _ce_targets(
    output: torch.Tensor, targets: torch.Tensor, s: dict[str, Any]
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(target distribution along dim 1, mask of counted elements), label smoothing applied;
    None when the shapes are not plain cross entropy's."""
    if output.ndim < 2 or not output.is_floating_point() or s["weight"] is not None:
        return None
    classes = output.shape[1]
    eps = float(s["smoothing"])
    if not 0.0 <= eps <= 1.0:
        return None
    if targets.is_floating_point():
        if targets.shape != output.shape or not bool(((targets >= 0) & (targets <= 1)).all()):
            return None
        dist = targets.double()
        counted = torch.ones(dist.shape[:1] + dist.shape[2:], dtype=torch.bool)
    else:
        if targets.shape != output.shape[:1] + output.shape[2:]:
            return None
        counted = targets != s["ignore"]
        labels = targets.clamp(0, classes - 1) * counted
        if bool(((targets < 0) | (targets >= classes))[counted].any()):
            return None
        dist = F.one_hot(labels.long(), classes).movedim(-1, 1).double()
    if eps > 0:
        dist = dist * (1 - eps) + eps / classes
    return dist, counted.to(dist.device)


def known_floor(loss_fn: Any, output: Any, targets: Any) -> float | None:
    """The exact lowest value of a PyTorch loss on this batch when its outputs are free
    (``-inf`` for ``NLLLoss``, which nothing bounds below), or None when the loss or its use
    is not one the closed forms cover."""
    s = _settings(loss_fn)
    if s is None or not isinstance(output, torch.Tensor) or not isinstance(targets, torch.Tensor):
        return None
    if not output.is_floating_point() or output.numel() == 0:
        return None
    kind, reduction = s["kind"], s["reduction"]
    if kind == "nll":
        # -output[target] with the outputs free: unbounded below (a model that feeds it
        # log-probabilities stops at 0, but the loss itself does not)
        if targets.is_floating_point() or not bool((targets != s["ignore"]).any()):
            return None
        return -math.inf
    if kind == "ce":
        found = _ce_targets(output, targets, s)
        if found is None or not bool(found[1].any()):
            return None
        dist, counted = found
        per = _entropy(dist, 1)[counted]
        if targets.is_floating_point() or reduction == "sum":
            return _reduce(per, reduction)
        return float(per.mean().item())  # mean over the counted (non-ignored) elements
    if targets.shape != output.shape:
        return None  # broadcasting: the outputs cannot match every target
    if kind in ("bce_logits", "bce"):
        if s["weight"] is not None or s.get("pos_weight") is not None:
            return None
        t = targets.double()
        if not bool(((t >= 0) & (t <= 1)).all()):
            return None
        return _reduce(_binary_entropy(t), reduction)
    return 0.0  # regression losses: the outputs can equal the targets


def known_constant(
    loss_fn: Any, out: torch.Tensor, y: torch.Tensor, val_out: torch.Tensor, y_val: torch.Tensor
) -> float | None:
    """The loss on ``(val_out-shaped, y_val)`` of the best constant output fitted on
    ``(out-shaped, y)`` — one value per output element shared by all samples — in closed
    form, or None when not covered."""
    s = _settings(loss_fn)
    if s is None or not out.is_floating_point():
        return None
    kind = s["kind"]
    if kind == "ce":
        if y.is_floating_point() or s["reduction"] != "mean" or out.ndim != 2:
            return None
        found = _ce_targets(out, y, s)
        if found is None or not bool(found[1].any()):
            return None
        dist, counted = found
        prior = dist[counted].mean(0)  # the optimum softmax of a constant logit vector
        const = torch.log(prior.clamp_min(1e-12)).to(out.dtype)
    elif kind in ("MSELoss", "L1Loss", "bce_logits"):
        if y.shape != out.shape or s.get("weight") is not None or s.get("pos_weight") is not None:
            return None
        t = y.double()
        if kind == "MSELoss":
            const = t.mean(0)
        elif kind == "L1Loss":
            const = t.median(0).values  # any median minimizes the absolute error
        else:
            if not bool(((t >= 0) & (t <= 1)).all()):
                return None
            p = t.mean(0).clamp(1e-7, 1 - 1e-7)
            const = torch.log(p) - torch.log1p(-p)
        const = const.to(out.dtype)
    else:
        return None
    value = loss_fn(const.unsqueeze(0).expand_as(val_out), y_val)
    found_value = float(value.detach().float().item())
    return found_value if math.isfinite(found_value) else None
