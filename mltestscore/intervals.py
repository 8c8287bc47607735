"""Bootstrap confidence intervals: how much of a difference is sampling noise.

Used by the error analysis (decomposition terms, slice metrics) and by infra.4 (candidate
vs. serving model). Resampling is seeded, so a report is reproducible; numpy only.

A metric here is a *ratio of sums* over examples, ``sum(errors) / sum(weights)``: a
character error rate is ``sum(edits per line) / sum(characters per line)``, an accuracy or
an error rate is a mean (weights 1). Resampling examples (lines, rows) with replacement
keeps the pairing of numerator and denominator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "CONFIDENCE",
    "RESAMPLES",
    "Sample",
    "paired_bootstrap",
    "percentile_interval",
]

CONFIDENCE = 0.95
RESAMPLES = 1000
_CELLS = 4_000_000  # index cells drawn per chunk of resamples (memory bound: 32 MB)

FloatArray = npt.NDArray[np.float64]


def _floats(values: object, where: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected a list of numbers") from None
    if array.ndim != 1:
        raise ValueError(f"{where}: expected a flat list of numbers, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: expected finite numbers (found NaN or Inf)")
    return array


@dataclass(frozen=True, eq=False)
class Sample:
    """Per-example errors (and optional weights) whose ratio of sums is the metric."""

    errors: FloatArray
    weights: FloatArray

    @classmethod
    def of(cls, value: object, where: str) -> Sample:
        """From a :class:`Sample`, a list of per-example values, or ``(errors, weights)``."""
        if isinstance(value, Sample):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            errors, weights = _floats(value[0], where), _floats(value[1], f"{where} weights")
        else:
            errors = _floats(value, where)
            weights = np.ones_like(errors)
        if errors.size == 0:
            raise ValueError(f"{where}: no examples")
        if errors.shape != weights.shape:
            raise ValueError(
                f"{where}: {errors.size} errors but {weights.size} weights (one per example)"
            )
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"{where}: weights must be >= 0 with a positive sum")
        return cls(errors, weights)

    @property
    def n(self) -> int:
        return int(self.errors.size)

    @property
    def value(self) -> float:
        return float(self.errors.sum() / self.weights.sum())

    def replicates(self, resamples: int = RESAMPLES, seed: int = 0) -> FloatArray:
        """The metric on ``resamples`` bootstrap resamples of the examples."""
        rng = np.random.default_rng(seed)
        out = np.empty(resamples, dtype=np.float64)
        chunk = max(1, _CELLS // self.n)
        for start in range(0, resamples, chunk):
            size = min(chunk, resamples - start)
            index = rng.integers(0, self.n, size=(size, self.n))
            weights = self.weights[index].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[start : start + size] = self.errors[index].sum(axis=1) / weights
        return out


def percentile_interval(
    replicates: Sequence[float] | FloatArray, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """The central ``confidence`` interval of bootstrap replicates (NaN ones dropped)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    values = np.asarray(replicates, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return None
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return float(low), float(high)


def paired_bootstrap(
    statistic: Callable[[npt.NDArray[np.intp]], float],
    n: int,
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """Interval of ``statistic(index)`` over resamples of row indices ``0 … n-1``.

    ``statistic`` sees the same resampled rows for everything it compares (e.g. candidate
    and serving model's predictions), so their shared noise cancels: a *paired* bootstrap.
    Resamples where it raises or returns NaN (a slice left with one class) are dropped.
    """
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        try:
            value = float(statistic(rng.integers(0, n, size=n)))
        except Exception:  # a resample the statistic cannot score (one class left, …)
            continue
        if math.isfinite(value):
            values.append(value)
    if len(values) < resamples // 2:
        return None
    return percentile_interval(values, confidence)
