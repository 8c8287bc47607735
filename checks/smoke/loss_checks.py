"""Does the loss get what it expects, and does it start where it should?

``loss_input``: logits where logits are expected, log-probabilities for NLL, targets in range.
``initial_loss``: the loss at initialization is near its theoretical value (ln C, …).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from mltestscore.results import Status

from .first_pass import train_forward
from .lossinfo import LossFn, LossSpec, describe_loss, expected_loss_range
from .lossinfo import output_kind as _output_kind
from .results import Finding, finding, fmt
from .tensors import loss_value

PASS, WARN, FAIL, SKIP = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.SKIP,
)


def loss_input(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    batch_dim: int = 0,
    seed: int | None = 0,
    target_scale_warn: float = 10.0,
) -> Finding:
    """The loss receives the kind of values it expects.

    Logit losses (``CrossEntropyLoss``, ``BCEWithLogitsLoss``) must not get softmax/sigmoid
    outputs; ``NLLLoss`` needs log-probabilities; class targets lie in ``[0, C)``, binary
    targets in ``[0, 1]``; a negated classification loss is caught. Regression targets with
    mean or std above ``target_scale_warn`` give a warning (standardize them).
    """
    with train_forward(model, batch, batch_dim, seed) as first:
        targets, output = first.targets, first.output
        spec = describe_loss(loss_fn, output, targets)
        m: dict[str, Any] = {"loss": spec.source, "task": spec.task, "expects": spec.expects}
        if isinstance(output, torch.Tensor) and output.is_floating_point():
            m["final_activation"] = first.final_activation
            m["output_kind"] = _output_kind(output, spec.class_dim)
            m["output_range"] = [float(output.min().item()), float(output.max().item())]
            if spec.class_dim is not None and output.ndim > spec.class_dim:
                m["classes"] = int(output.shape[spec.class_dim])
        if isinstance(targets, torch.Tensor) and targets.numel():
            t = targets.detach().double()
            if spec.task == "multiclass" and not targets.is_floating_point():
                t = t[targets != spec.ignore_index]
            if t.numel():
                m["target_range"] = [float(t.min().item()), float(t.max().item())]
                m["target_mean"] = float(t.mean().item())
                m["target_std"] = float(t.std().item()) if t.numel() > 1 else 0.0
            m["target_float"] = bool(targets.is_floating_point())
            if (
                targets.is_floating_point()
                and spec.class_dim is not None
                and targets.shape == output.shape
            ):
                m["target_row_sum_error"] = float(
                    (targets.sum(spec.class_dim) - 1).abs().max().item()
                )
        if spec.sign_flipped:
            with torch.no_grad():
                m["loss_at_neutral_output"] = float(
                    loss_fn(torch.zeros_like(output), targets).item()
                )
    return _judge_loss_input(m, spec, target_scale_warn)


def _judge_loss_input(m: dict[str, Any], spec: LossSpec, scale_warn: float) -> Finding:
    name = spec.source
    if spec.sign_flipped:
        return finding(
            "loss_input",
            FAIL,
            f"loss_fn returns {fmt(m.get('loss_at_neutral_output', float('nan')))} at balanced "
            "outputs, the negative of a cross entropy: the loss is negated, so training "
            "maximizes it — remove the minus sign",
            m,
        )
    if spec.task == "unknown":
        return finding(
            "loss_input",
            SKIP,
            "loss_fn not recognized (not a torch loss, and no cross-entropy or regression "
            "behaviour at neutral outputs): output kind not checked",
            m,
        )
    act, kind = m.get("final_activation"), m.get("output_kind")
    if spec.expects == "logits" and (
        act is not None or (spec.task == "multiclass" and kind == "probs")
    ):
        what = act or "softmax"
        lo_out, hi_out = m["output_range"]
        return finding(
            "loss_input",
            FAIL,
            f"the outputs pass through {what} (values in [{fmt(lo_out)}, {fmt(hi_out)}]) "
            f"before {name}, which expects raw logits and "
            f"applies log_{'softmax' if spec.task == 'multiclass' else 'sigmoid'} itself — "
            f"remove the {what} from the model (apply it only at prediction time)",
            m,
        )
    if spec.expects == "log_probs" and kind != "log_probs":
        got = "probabilities (softmax)" if kind == "probs" else "raw scores"
        return finding(
            "loss_input",
            FAIL,
            f"{name} expects log-probabilities but gets {got} (logsumexp over classes is not "
            "0; outputs in "
            f"[{fmt(m['output_range'][0])}, {fmt(m['output_range'][1])}]) — apply "
            "log_softmax as the last step, or use CrossEntropyLoss on logits",
            m,
        )
    lo, hi = m.get("target_range", [0.0, 0.0])
    if spec.task == "multiclass" and not m.get("target_float", False):
        classes = m.get("classes")
        if classes is not None and (lo < 0 or hi >= classes):
            return finding(
                "loss_input",
                FAIL,
                f"class targets range over [{lo:.0f}, {hi:.0f}] but the output has {classes} "
                "classes: targets must be indices in [0, C) — re-map the labels (e.g. 1-based "
                "to 0-based) or widen the output",
                m,
            )
    if spec.task == "multiclass" and m.get("target_row_sum_error", 0.0) > 1e-3:
        return finding(
            "loss_input",
            FAIL,
            f"float targets for {name} are read as class probabilities, but their rows do not "
            f"sum to 1 (off by up to {fmt(m['target_row_sum_error'])}) — pass class indices "
            "(long) or normalized probabilities",
            m,
        )
    if spec.task == "binary" and (lo < 0 or hi > 1):
        return finding(
            "loss_input",
            FAIL,
            f"binary targets range over [{fmt(lo)}, {fmt(hi)}]: {name} needs targets in "
            "[0, 1] (a ±1 encoding makes the loss unbounded) — map the labels to 0/1",
            m,
        )
    if spec.task == "regression":
        mean, std = abs(m.get("target_mean", 0.0)), m.get("target_std", 0.0)
        if mean > scale_warn or std > scale_warn:
            return finding(
                "loss_input",
                WARN,
                f"regression targets have mean {fmt(mean)} and std {fmt(std)}: the output "
                "layer has to learn that scale, which slows training — standardize the "
                "targets (and undo it at prediction time)",
                m,
            )
    return finding("loss_input", PASS, f"{name} gets {spec.expects} and targets in range", m)


def initial_loss(
    model: nn.Module,
    batch: Any,
    loss_fn: LossFn,
    *,
    expected: float | tuple[float, float] | None = None,
    batch_dim: int = 0,
    seed: int | None = 0,
    warn_ratio: float = 1.5,
    fail_ratio: float = 3.0,
) -> Finding:
    """The loss at initialization is near its theoretical value.

    ``expected`` (a value or a ``(low, high)`` range) defaults to what the loss gives at a
    neutral output: ln C for C-class cross entropy, between the target entropy and ln 2 for
    binary cross entropy, between the loss of the targets' mean and of 0 for regression.
    A loss above ``fail_ratio`` × the expected high end fails (too-large init, unnormalized
    inputs, wrong loss input); above ``warn_ratio`` it warns. A loss far *below* the
    expected low end only warns: pretrained weights do that, and so do leaked labels.
    """
    with train_forward(model, batch, batch_dim, seed) as first:
        targets, output = first.targets, first.output
        value = loss_value(loss_fn(output, targets))
        spec = describe_loss(loss_fn, output, targets)
        if expected is None:
            rng = expected_loss_range(spec, loss_fn, output, targets)
            source = f"{spec.source} at a neutral output"
        else:
            rng = (
                (float(expected), float(expected))
                if isinstance(expected, (int, float))
                else (
                    float(expected[0]),
                    float(expected[1]),
                )
            )
            source = "given"
    m: dict[str, Any] = {"initial_loss": value, "loss": spec.source, "task": spec.task}
    if rng is not None:
        m["expected_low"], m["expected_high"] = rng
        m["expected_source"] = source
    return _judge_initial(m, spec, warn_ratio, fail_ratio)


def _judge_initial(
    m: dict[str, Any], spec: LossSpec, warn_ratio: float, fail_ratio: float
) -> Finding:
    value = m["initial_loss"]
    if "expected_low" not in m:
        return finding(
            "initial_loss",
            SKIP,
            f"initial loss {fmt(value)}; no expected value for this loss — pass expected= "
            "(e.g. ln C for C-class cross entropy)",
            m,
        )
    if not math.isfinite(value):
        return finding(
            "initial_loss",
            FAIL,
            f"initial loss is {value}: the forward pass or the loss produces NaN/Inf — see "
            "the `finite` finding for where",
            m,
        )
    lo, hi = m["expected_low"], m["expected_high"]
    shown = fmt(hi) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"
    what = {
        "multiclass": f" (ln {math.exp(hi):.0f} for {math.exp(hi):.0f}-class cross entropy at balanced logits)"
        if spec.expects == "logits" and spec.known
        else "",
        "binary": " (between the target entropy and ln 2)",
        "regression": " (the loss of predicting the targets' mean or 0)",
    }.get(spec.task, "")
    if spec.sign_flipped or (value < 0 and lo >= 0):
        return finding(
            "initial_loss",
            FAIL,
            f"initial loss {fmt(value)} is negative where {shown}{what} was expected: the "
            "loss is negated or gets the wrong input (raw scores into NLLLoss) — check its "
            "sign and what it receives",
            m,
        )
    ratio_high = value / hi if hi > 0 else (math.inf if value > 0 else 1.0)
    ratio_low = lo / value if value > 0 else math.inf
    m["ratio_to_expected"] = value / hi if hi > 0 else None
    if ratio_high > warn_ratio:
        status = FAIL if ratio_high > fail_ratio else WARN
        return finding(
            "initial_loss",
            status,
            f"initial loss {fmt(value)} is {ratio_high:.1f}× the expected {shown}{what}: the "
            "outputs at initialization are too large — scale down (or zero) the last layer's "
            "initialization, normalize the inputs, and check what the loss receives",
            m,
        )
    if ratio_low > fail_ratio:
        return finding(
            "initial_loss",
            WARN,
            f"initial loss {fmt(value)} is far below the expected {shown}{what} before any "
            "training: fine for pretrained weights, otherwise the labels may leak into the inputs",
            m,
        )
    return finding(
        "initial_loss", PASS, f"initial loss {fmt(value)} is near the expected {shown}{what}", m
    )
