"""Per-feature compute cost, time and peak memory, per 1,000 rows (measured for data.3).

``raw_data`` is handed to the feature functions as given (a DataFrame, array or
sequence); a table path is read first (:func:`mltestscore.inputs.tables.as_frame`).

Each feature function ``fn(raw_data) -> column`` is run once under ``tracemalloc``
(peak Python/numpy allocation; also a warm-up) and then ``repeats`` times untraced for
the median wall time. A feature's *cost share* (its part of the total time) divided by
its *importance share* (its part of the total positive importance) says how out of
proportion it is: a feature taking half the compute for 1% of the benefit has a ratio
of 50.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mltestscore.inputs.tables import as_frame, head, row_count


@dataclass(frozen=True)
class FeatureCost:
    name: str
    ms_per_1k_rows: float
    peak_mb_per_1k_rows: float
    importance: float | None = None
    cost_share: float = 0.0
    importance_share: float | None = None

    @property
    def ratio(self) -> float | None:
        """Cost share / importance share (inf for a costly feature with no importance)."""
        if self.importance_share is None:
            return None
        if self.importance_share <= 0:
            return math.inf if self.cost_share > 0 else 0.0
        return self.cost_share / self.importance_share

    def to_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "feature": self.name,
            "ms_per_1k_rows": round(self.ms_per_1k_rows, 4),
            "peak_mb_per_1k_rows": round(self.peak_mb_per_1k_rows, 4),
            "importance": None if self.importance is None else round(self.importance, 6),
            "cost_share": round(self.cost_share, 4),
            "importance_share": (
                None if self.importance_share is None else round(self.importance_share, 4)
            ),
            "cost_to_importance": None
            if ratio is None
            else ("inf" if math.isinf(ratio) else round(ratio, 3)),
        }


def _run(name: str, fn: Callable[[Any], Any], raw: Any, rows: int) -> None:
    try:
        column = fn(raw)
    except Exception as exc:
        raise ValueError(f"feature_fns[{name!r}] raised {type(exc).__name__}: {exc}") from exc
    try:
        values = list(column) if isinstance(column, tuple) else column  # a tuple of values
        produced = row_count(values, f"feature_fns[{name!r}]")
    except TypeError as exc:
        raise ValueError(
            f"feature_fns[{name!r}] returned {type(column).__name__}; expected one value per "
            f"row of raw_data ({rows} rows)"
        ) from exc
    if produced != rows:
        raise ValueError(
            f"feature_fns[{name!r}] returned {produced} values for {rows} rows of raw_data"
        )


def measure_costs(
    feature_fns: Mapping[str, Callable[[Any], Any]],
    raw_data: Any,
    *,
    repeats: int = 3,
    max_rows: int = 5000,
) -> tuple[list[FeatureCost], int]:
    """Time and peak memory of each feature function on the first ``max_rows`` rows."""
    if not isinstance(feature_fns, Mapping) or not feature_fns:
        raise TypeError(
            "feature_fns: expected a non-empty mapping of feature name → function(raw_data)"
        )
    for name, fn in feature_fns.items():
        if not callable(fn):
            raise TypeError(f"feature_fns[{name!r}]: expected a function, got {type(fn).__name__}")
    if isinstance(raw_data, (str, Path)):  # a CSV/TSV/Parquet/JSON/JSONL file of raw rows
        raw_data = as_frame(raw_data, "raw_data")
    raw = head(raw_data, max_rows)
    rows = row_count(raw, "raw_data")
    if rows == 0:
        raise ValueError("raw_data is empty (0 rows)")
    scale = 1000.0 / rows
    costs: list[FeatureCost] = []
    for name, fn in feature_fns.items():
        already = tracemalloc.is_tracing()
        if not already:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        try:
            _run(str(name), fn, raw, rows)
            peak = max(0, tracemalloc.get_traced_memory()[1] - base)
        finally:
            if not already:
                tracemalloc.stop()
        times = []
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            fn(raw)
            times.append(time.perf_counter() - start)
        costs.append(
            FeatureCost(str(name), statistics.median(times) * 1000 * scale, peak / 2**20 * scale)
        )
    return costs, rows


def with_importance(costs: list[FeatureCost], importance: Mapping[str, float]) -> list[FeatureCost]:
    """Add importance and cost/importance shares (features without importance keep None)."""
    total_ms = sum(c.ms_per_1k_rows for c in costs) or 1.0
    known = {c.name: float(importance[c.name]) for c in costs if c.name in importance}
    total_importance = sum(max(0.0, v) for v in known.values())
    out = []
    for c in costs:
        imp = known.get(c.name)
        share = None
        if imp is not None:
            share = max(0.0, imp) / total_importance if total_importance > 0 else 0.0
        out.append(
            FeatureCost(
                c.name,
                c.ms_per_1k_rows,
                c.peak_mb_per_1k_rows,
                imp,
                c.ms_per_1k_rows / total_ms,
                share,
            )
        )
    return out
