"""Loss-curve diagnosis for reports, numpy only (reports never import torch).

The FSDL playbook reads a loss curve by its shape: it goes up (the loss is being maximized),
explodes (learning rate too high, numerics), oscillates (learning rate too high, inputs and
labels changing between steps) or plateaus (learning rate too low, loss or data pipeline
wrong). :func:`diagnose_curve` classifies a logged curve with the same rules and thresholds
as the smoke suite's ``diagnose_loss_curve`` (``mltestscore.checks.smoke.curve``, which needs
torch to import), and refuses to read a shape into a handful of points: below
``min_points`` values the diagnosis is ``"too_few_points"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

__all__ = ["MIN_POINTS", "classify", "diagnose_curve", "fmt"]

T = TypeVar("T")

MIN_POINTS = 8  # fewer losses than this show no shape: two per-epoch means cannot "oscillate"


def fmt(x: float) -> str:
    """A number for a message, three significant figures: 2.30, 0.0231, 1.23e+04."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:#.3g}".rstrip(".")
    return f"{x:.3g}"


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None


def diagnose_curve(
    losses: Iterable[float],
    *,
    min_points: int = MIN_POINTS,
    floor: float | None = 0.0,
    converged_fraction: float = 0.1,
    plateau_fraction: float = 0.8,
    still_falling: float = 0.1,
    explode_factor: float = 10.0,
    rise_tolerance: float = 0.1,
    oscillation_amplitude: float = 0.1,
    lr: float | None = None,
) -> dict[str, Any]:
    """Classify a loss curve (one value per step, oldest first) as a JSON-able dict with
    ``kind``, ``message``, ``steps`` and the numbers behind the verdict.

    ``kind`` is one of converged, decreasing, rising, exploding, oscillating, plateau, nan,
    or too_few_points (fewer than ``min_points`` values: no shape can be read). The other
    arguments are those of the smoke suite's ``diagnose_loss_curve``.
    """
    values = np.asarray([float(v) for v in losses], dtype=np.float64)
    n = int(values.size)
    if n < max(2, min_points):
        return {
            "kind": "too_few_points",
            "message": (
                f"too few points to diagnose (n = {n}; at least {max(2, min_points)} needed): "
                "record the loss per step (or per batch) rather than per epoch"
            ),
            "steps": n,
        }
    return classify(
        values,
        _result,
        floor=floor,
        converged_fraction=converged_fraction,
        plateau_fraction=plateau_fraction,
        still_falling=still_falling,
        explode_factor=explode_factor,
        rise_tolerance=rise_tolerance,
        oscillation_amplitude=oscillation_amplitude,
        lr=lr,
    )


def classify(
    values: np.ndarray,
    build: Callable[..., T],
    *,
    floor: float | None,
    converged_fraction: float,
    plateau_fraction: float,
    still_falling: float,
    explode_factor: float,
    rise_tolerance: float,
    oscillation_amplitude: float,
    lr: float | None,
) -> T:
    """The playbook's rules on at least 2 loss values: ``build(kind=…, message=…, start=…,
    end=…, minimum=…, maximum=…, steps=…, end_fraction=…, peak_fraction=…[,
    nonfinite_step=…])`` makes the result (a dict here, the smoke suite's
    ``LossCurveDiagnosis`` there), so both read a curve with the same rules."""
    n = int(values.size)
    for name, value in (
        ("converged_fraction", converged_fraction),
        ("plateau_fraction", plateau_fraction),
        ("explode_factor", explode_factor),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")

    finite = np.isfinite(values)
    if not finite.all():
        step = int(np.argmax(~finite))
        last = float(values[step - 1]) if step > 0 else float("nan")
        bad = "NaN" if math.isnan(values[step]) else "Inf"
        seen = values[:step] if step > 0 else values[:1]
        when = (
            "from the first step"
            if step == 0
            else f"at step {step} (last finite value {fmt(last)})"
        )
        return build(
            kind="nan",
            message=(
                f"loss became {bad} {when}: numerical "
                "instability — lower the learning rate or clip gradients, look for log/sqrt/"
                "division of zero and exp overflow, and use log_softmax / BCEWithLogitsLoss "
                "instead of log(softmax) / log(sigmoid)"
            ),
            start=float(values[0]),
            end=last,
            minimum=float(np.min(seen)),
            maximum=float(np.max(seen)),
            steps=n,
            end_fraction=float("nan"),
            peak_fraction=float("nan"),
            nonfinite_step=step,
        )

    start = float(values[0])
    tail_len = max(3, math.ceil(n / 10))
    end = float(np.median(values[-tail_len:]))
    lo, hi = float(values.min()), float(values.max())

    def result(kind: str, message: str, r: np.ndarray) -> T:
        return build(
            kind=kind,
            message=message,
            start=start,
            end=end,
            minimum=lo,
            maximum=hi,
            steps=n,
            end_fraction=float(np.median(r[-tail_len:])),
            peak_fraction=float(r.max()),
        )

    scale = max(abs(start), 1e-12)
    if floor is not None:
        if lo < floor - 1e-9 * abs(start - floor):
            gap = np.abs(values - floor)
            r = gap / max(abs(start - floor), 1e-12)
            return result(
                "rising",
                f"loss went below its floor of {fmt(floor)} ({fmt(start)} → {fmt(end)} in {n} "
                "steps, lowest "
                f"{fmt(lo)}): the loss is unbounded below, so the optimizer runs it off to "
                "−∞ — the loss is being maximized (check its sign) or gets the wrong input "
                "(log-probabilities for NLLLoss, targets in [0, 1] for BCE losses)",
                r,
            )
        if start <= floor and hi <= floor:
            r = np.ones_like(values)
            return result(
                "converged",
                f"loss is at its floor of {fmt(floor)} from the first step: there is nothing "
                "to learn — check that the loss is computed at all (empty mask, detached "
                "outputs)",
                r,
            )
        r = (values - floor) / max(start - floor, 1e-300 + 1e-12 * (hi - floor))
    else:
        r = 1.0 + (values - start) / scale

    end_r = float(np.median(r[-tail_len:]))
    peak_r = float(r.max())
    pct = f"{100 * end_r:.0f} %"
    # a peak counts only when the raw loss at least doubled too (a floor just under the
    # start would otherwise magnify noise)
    exploded = peak_r >= explode_factor and (start <= 0 or hi >= 2 * start)
    if end_r <= converged_fraction:
        if exploded:
            return result(
                "exploding",
                f"loss reached {fmt(end)} ({pct} of its start {fmt(start)}) in {n} steps, but "
                f"only after exploding to {fmt(hi)} ({peak_r:.3g}× its start): the learning "
                "rate is too high — lower it (or warm it up) and clip gradients",
                r,
            )
        return result(
            "converged",
            f"loss fell from {fmt(start)} to {fmt(end)} ({pct} of its start) in {n} steps",
            r,
        )

    diffs = np.diff(r)
    up_fraction = float(np.mean(diffs > 0))
    positive = np.maximum(r, 1e-12)
    jumps = positive[1:] / positive[:-1]
    abrupt = bool(np.any(jumps >= 3.0))
    half = n // 2
    log_r = np.log(positive)
    growth_first = float(log_r[half] - log_r[0])
    growth_second = float(log_r[-1] - log_r[half])
    geometric = growth_first > 0 and growth_second >= 0.8 * growth_first
    steady_rise = (
        up_fraction >= 0.5
        and float(r.min()) >= 1.0 - rise_tolerance
        and end_r >= 1.0 + rise_tolerance
    )
    rising_message = (
        f"loss rose from {fmt(start)} to {fmt(end)} in {n} steps: the loss is being "
        "maximized — check the sign of the loss (and the optimizer's `maximize` flag)"
    )
    if exploded:
        if steady_rise and not abrupt and not (geometric and peak_r >= explode_factor**2):
            return result("rising", rising_message, r)
        return result(
            "exploding",
            f"loss exploded from {fmt(start)} to a peak of {fmt(hi)} ({peak_r:.3g}× its "
            f"start) in {n} steps: the learning rate is too high or the computation is "
            "numerically unstable — lower the learning rate, clip gradients, check the "
            "initialization and input normalization",
            r,
        )
    if steady_rise:
        return result("rising", rising_message, r)

    second = diffs[half:] if diffs[half:].size else diffs
    amplitude = float(np.median(np.abs(second)))
    if amplitude >= oscillation_amplitude:
        return result(
            "oscillating",
            f"loss oscillates (median step-to-step change {100 * amplitude:.0f} % of its start) "
            f"without converging ({fmt(start)} → {fmt(end)} in {n} steps): the learning rate "
            "is too high, or inputs and labels change between steps (shuffled labels, too "
            "strong augmentation) — lower the learning rate and check that inputs stay paired "
            "with their labels",
            r,
        )

    mark = max(0, min(int(0.65 * n), n - tail_len - 1))
    recent_start = float(np.median(r[max(0, mark - tail_len // 2) : mark + tail_len // 2 + 1]))
    recent_gain = (recent_start - end_r) / recent_start if recent_start > 0 else 0.0
    high_lr = lr is not None and lr >= 0.1
    if end_r <= plateau_fraction and recent_gain >= still_falling:
        advice = (
            "not enough steps to judge — give it more steps"
            if high_lr
            else "not enough steps to judge — give it more steps or raise the learning rate"
        )
        return result(
            "decreasing",
            f"loss fell from {fmt(start)} to {fmt(end)} ({pct} of its start) in {n} steps "
            f"and is still falling: {advice}",
            r,
        )
    if high_lr:
        return result(
            "plateau",
            f"loss plateaued at {fmt(end)} ({pct} of its start {fmt(start)}) over {n} steps "
            f"at a learning rate of {fmt(lr or 0.0)}, which is not low: the loss or data "
            "pipeline is likelier wrong (softmax before a loss that expects logits, labels "
            "that do not match the inputs), regularization too strong, or the rate too high "
            "to settle — check what the loss receives, reduce weight decay / dropout, try a "
            "lower learning rate",
            r,
        )
    return result(
        "plateau",
        f"loss plateaued at {fmt(end)} ({pct} of its start {fmt(start)}) over {n} steps: "
        "the learning rate may be too low, the loss or data pipeline wrong (e.g. softmax "
        "before a loss that expects logits, labels that do not match the inputs), or "
        "regularization too strong — raise the learning rate, check what the loss receives, "
        "reduce weight decay / dropout",
        r,
    )


def _result(
    *,
    kind: str,
    message: str,
    start: float,
    end: float,
    minimum: float,
    maximum: float,
    steps: int,
    end_fraction: float,
    peak_fraction: float,
    nonfinite_step: int | None = None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "message": message,
        "start": _num(start),
        "end": _num(end),
        "minimum": _num(minimum),
        "maximum": _num(maximum),
        "steps": steps,
        "end_fraction": _num(end_fraction),
        "peak_fraction": _num(peak_fraction),
        "nonfinite_step": nonfinite_step,
    }
