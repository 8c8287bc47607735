"""Loss-curve diagnosis, as the FSDL troubleshooting playbook reads a curve.

A loss that does not fall tells you *why* by its shape: it goes up (the loss is being
maximized: flipped sign), explodes (learning rate too high, numerics), oscillates (learning
rate too high, labels or augmentation changing between steps) or plateaus (learning rate too
low, loss or data pipeline wrong, too much regularization). :func:`diagnose_loss_curve`
works on any logged curve, not only on the smoke suite's own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .results import fmt

CurveKind = Literal[
    "converged", "decreasing", "rising", "exploding", "oscillating", "plateau", "nan"
]
CURVE_KINDS: tuple[str, ...] = (
    "converged",
    "decreasing",
    "rising",
    "exploding",
    "oscillating",
    "plateau",
    "nan",
)


@dataclass(frozen=True)
class LossCurveDiagnosis:
    """What a loss curve says.

    ``start`` is the first value, ``end`` the median of the last tenth of the curve,
    ``end_fraction`` is ``(end - floor) / (start - floor)`` (how much of the starting loss
    is left; for ``floor=None``, ``1 + (end - start) / |start|``), ``peak_fraction`` the same
    for the largest value. ``nonfinite_step`` is the first step whose loss is NaN/Inf.
    """

    kind: CurveKind
    message: str
    start: float
    end: float
    minimum: float
    maximum: float
    steps: int
    end_fraction: float
    peak_fraction: float
    nonfinite_step: int | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "converged"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "start": _num(self.start),
            "end": _num(self.end),
            "minimum": _num(self.minimum),
            "maximum": _num(self.maximum),
            "steps": self.steps,
            "end_fraction": _num(self.end_fraction),
            "peak_fraction": _num(self.peak_fraction),
            "nonfinite_step": self.nonfinite_step,
        }


def diagnose_loss_curve(
    losses: Iterable[float],
    *,
    floor: float | None = 0.0,
    converged_fraction: float = 0.1,
    plateau_fraction: float = 0.8,
    still_falling: float = 0.1,
    explode_factor: float = 10.0,
    rise_tolerance: float = 0.1,
    oscillation_amplitude: float = 0.1,
    lr: float | None = None,
) -> LossCurveDiagnosis:
    """Classify a loss curve (one value per step, oldest first).

    Args:
        losses: the loss per step. At least 2 values.
        floor: the smallest value the loss can take (0 for cross entropy, MSE, …). A curve
            that goes below it is *rising* away from it: the loss is unbounded below (sign
            flipped, wrong loss input). ``None`` for losses with no known floor.
        converged_fraction: *converged* when the end is at most this fraction of the start
            (measured above the floor). Default 0.1.
        plateau_fraction: not converged and the end above this fraction of the start:
            *plateau*, even if still creeping down. Default 0.8.
        still_falling: not converged, but the last 30 % of the curve still lowered the loss
            by at least this relative amount: *decreasing* (the budget was too short).
        explode_factor: *exploding* when the loss reaches this multiple of its start (and at
            least doubles), even if it recovers afterwards; a steady rise is *rising* unless
            it grows geometrically.
        rise_tolerance: *rising* when the end is this fraction above the start and the
            curve never fell below ``1 - rise_tolerance`` of it.
        oscillation_amplitude: *oscillating* when the median step-to-step change over the
            second half is at least this fraction of the start.
        lr: the learning rate the curve was trained with, when known: at 0.1 or more the
            advice for a slow curve is not "raise the learning rate".
    """
    values = np.asarray([float(v) for v in losses], dtype=np.float64)
    n = int(values.size)
    if n < 2:
        raise ValueError(f"diagnose_loss_curve needs at least 2 loss values, got {n}")
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
        return LossCurveDiagnosis(
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

    def result(kind: CurveKind, message: str, r: np.ndarray) -> LossCurveDiagnosis:
        return LossCurveDiagnosis(
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


def remaining(value: float, start: float, floor: float | None) -> float:
    """How much of the starting loss is left: ``(value - floor) / (start - floor)``; with no
    known floor (a loss that may go below zero), ``1 + (value - start) / |start|``."""
    if floor is None:
        return 1.0 + (value - start) / max(abs(start), 1e-12)
    if start - floor <= 0:
        return math.inf
    return (value - floor) / (start - floor)


def subsample(values: list[float], max_points: int = 200) -> list[float]:
    """At most ``max_points`` values, evenly spaced, always keeping the first and the last."""
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    if len(values) <= max_points:
        return list(values)
    idx = np.linspace(0, len(values) - 1, max_points).round().astype(int)
    return [values[i] for i in idx]


def _num(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)
