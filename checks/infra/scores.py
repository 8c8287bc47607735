"""infra.4's mechanism: metric values of one model's outputs, overall and per slice.

Outputs become one prediction per row through :func:`mltestscore.inputs.labels.
labels_and_note` (class scores arg-maxed for class targets); each metric is computed on
all rows and on every slice with at least ``min_rows`` rows. :class:`Paired` holds both
models' predictions on the same rows for paired bootstrap intervals of a regression
(:func:`mltestscore.intervals.paired_bootstrap`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mltestscore.inputs.arrays import Array
from mltestscore.inputs.labels import labels_and_note
from mltestscore.inputs.slices import Slice
from mltestscore.intervals import CONFIDENCE, paired_bootstrap
from mltestscore.metrics import Metric, as_metric

ALL = "(all)"
RESAMPLES = 400  # paired bootstrap resamples per judged (slice, metric)


def as_metrics(metric: object) -> list[Metric]:
    """One metric, a sequence of metrics, or a mapping name → metric."""
    if isinstance(metric, Mapping):
        metrics = []
        for name, m in metric.items():
            found = as_metric(m, str(name))
            metrics.append(found if isinstance(m, Metric) else Metric(str(name), found.fn))
    elif isinstance(metric, Sequence) and not isinstance(metric, str):
        metrics = [as_metric(m, f"metric_{i}") for i, m in enumerate(metric)]
    else:
        metrics = [as_metric(metric)]
    if not metrics:
        raise ValueError("metric: no metrics given")
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
        raise ValueError(f"metric: duplicate metric names {names}")
    return metrics


@dataclass(frozen=True)
class Scores:
    """Metric values of one model: ``values[slice][metric]`` (``None`` = not computable).

    ``predictions`` (one per row) are kept for :class:`Paired`; they are not evidence.
    """

    values: dict[str, dict[str, float | None]]
    rows: dict[str, int]
    note: str
    predictions: Array


def _score(metric: Metric, y: Array, predictions: Array, who: str) -> float:
    try:
        return metric(y, predictions)
    except Exception as exc:
        raise ValueError(
            f"metric {metric.name!r} failed on the {who}'s predictions: {type(exc).__name__}: {exc}"
        ) from exc


def score_outputs(
    outputs: Array,
    y: Array,
    metrics: Sequence[Metric],
    slices: Sequence[Slice],
    who: str,
    min_rows: int,
) -> Scores:
    """Every metric on all rows and on each slice (``None`` below ``min_rows`` rows)."""
    if outputs.shape[0] != y.shape[0]:
        raise ValueError(
            f"the {who} returned {outputs.shape[0]} predictions for {y.shape[0]} eval rows"
        )
    predictions, note = labels_and_note(outputs, y)
    values: dict[str, dict[str, float | None]] = {
        ALL: {m.name: _score(m, y, predictions, who) for m in metrics}
    }
    rows = {ALL: int(y.shape[0])}
    for s in slices:
        rows[s.name] = int(s.mask.sum())
        per: dict[str, float | None] = {}
        for m in metrics:
            if rows[s.name] < min_rows:
                per[m.name] = None
                continue
            try:
                per[m.name] = m(y[s.mask], predictions[s.mask])
            except Exception:  # e.g. one class only in the slice
                per[m.name] = None
        values[s.name] = per
    return Scores(values, rows, note, predictions)


class Paired:
    """Both models' predictions on the eval rows, for paired bootstrap intervals."""

    def __init__(self, y: Array, candidate: Array, serving: Array, seed: int = 0) -> None:
        self.y, self.candidate, self.serving, self.seed = y, candidate, serving, seed

    def regression_interval(self, metric: Metric, mask: Array | None) -> tuple[float, float] | None:
        """Interval of ``metric.regression(candidate, serving)`` on the rows of ``mask``."""
        rows = np.arange(self.y.shape[0]) if mask is None else np.flatnonzero(mask)
        y, cand, serv = self.y[rows], self.candidate[rows], self.serving[rows]

        def regression(index: Array) -> float:
            return metric.regression(metric(y[index], cand[index]), metric(y[index], serv[index]))

        return paired_bootstrap(
            regression, int(rows.size), resamples=RESAMPLES, seed=self.seed, confidence=CONFIDENCE
        )
