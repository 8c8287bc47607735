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

from mltestscore.loss_curve import classify

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
    return classify(
        values,
        LossCurveDiagnosis,
        floor=floor,
        converged_fraction=converged_fraction,
        plateau_fraction=plateau_fraction,
        still_falling=still_falling,
        explode_factor=explode_factor,
        rise_tolerance=rise_tolerance,
        oscillation_amplitude=oscillation_amplitude,
        lr=lr,
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
