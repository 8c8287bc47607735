"""Per-feature compute cost (time and peak memory) weighed against importance (data.3).

Each feature function ``fn(raw_data) -> column`` is run once under
``tracemalloc`` (peak Python/numpy allocation; also a warm-up) and then
``repeats`` times untraced for the median wall time. Costs are normalised per
1,000 rows. A feature's *cost share* (its part of the total time) divided by its
*importance share* (its part of the total positive importance) says how out of
proportion it is: a feature taking half the compute for 1% of the benefit has a
ratio of 50.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mltestscore.checks.data_tables import head, row_count
from mltestscore.checks.data_text import MAX_TABLE, short_list
from mltestscore.context import CheckContext
from mltestscore.results import CheckResult


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
        produced = len(column)
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


def over_budget(
    cost: FeatureCost,
    *,
    max_ms_per_1k_rows: float,
    max_peak_mb_per_1k_rows: float,
    max_cost_share_ratio: float,
    min_ms_per_1k_rows: float,
) -> list[str]:
    """The budgets ``cost`` breaks, as short reasons."""
    reasons = []
    if cost.ms_per_1k_rows > max_ms_per_1k_rows:
        reasons.append(f"{cost.ms_per_1k_rows:.1f} ms/1k rows > {max_ms_per_1k_rows:g}")
    if cost.peak_mb_per_1k_rows > max_peak_mb_per_1k_rows:
        reasons.append(
            f"{cost.peak_mb_per_1k_rows:.1f} MB/1k rows peak > {max_peak_mb_per_1k_rows:g}"
        )
    ratio = cost.ratio
    if (
        ratio is not None
        and ratio > max_cost_share_ratio
        and (cost.ms_per_1k_rows >= min_ms_per_1k_rows)
    ):
        if math.isinf(ratio):
            reasons.append(f"{cost.ms_per_1k_rows:.1f} ms/1k rows for no importance")
        else:
            reasons.append(f"cost/importance share {ratio:.1f} > {max_cost_share_ratio:g}")
    return reasons


def judge(
    costs: list[FeatureCost],
    rows: int,
    source: str,
    *,
    max_ms_per_1k_rows: float,
    max_peak_mb_per_1k_rows: float,
    max_cost_share_ratio: float,
    min_ms_per_1k_rows: float,
) -> CheckResult:
    """FAIL listing the features over any budget (see :func:`over_budget`)."""
    flagged = {
        c.name: reasons
        for c in costs
        if (
            reasons := over_budget(
                c,
                max_ms_per_1k_rows=max_ms_per_1k_rows,
                max_peak_mb_per_1k_rows=max_peak_mb_per_1k_rows,
                max_cost_share_ratio=max_cost_share_ratio,
                min_ms_per_1k_rows=min_ms_per_1k_rows,
            )
        )
    }
    ranked = sorted(costs, key=lambda c: -c.ms_per_1k_rows)
    unknown = [c.name for c in ranked if c.importance is None]
    evidence = {
        "rows": rows,
        "importance_source": source,
        "importance_unknown": unknown[:MAX_TABLE],
        "costs": [c.to_dict() | {"over_budget": c.name in flagged} for c in ranked][:MAX_TABLE],
        "over_budget": {name: reasons for name, reasons in list(flagged.items())[:MAX_TABLE]},
    }
    if flagged:
        return CheckResult.failed(
            f"{len(flagged)} of {len(costs)} feature(s) cost too much: "
            + "; ".join(f"{n}: {', '.join(r)}" for n, r in list(flagged.items())[:6]),
            evidence,
            "Make these features cheaper (vectorize, cache, precompute) or drop them if "
            "their importance does not pay for their cost.",
        )
    slowest = ranked[0]
    note = ""
    if source == "none":
        note = " (no importance available: absolute budgets only)"
    elif unknown:
        note = f" (no importance for {short_list(unknown, 4)}: absolute budgets only)"
    return CheckResult.passed(
        f"all {len(costs)} features within budget; slowest {slowest.name} "
        f"{slowest.ms_per_1k_rows:.2f} ms/1k rows{note}",
        evidence,
    )


def importance_for(
    importance: Mapping[str, float] | None,
    model: Any,
    eval_data: Any,
    target: str | None,
    context: CheckContext | None,
) -> tuple[dict[str, float] | None, str]:
    """Importance per feature and where it came from (see data.3's docstring for the order)."""
    from mltestscore.checks.data_importance import SHARED_KEY, permutation_importance
    from mltestscore.checks.data_tables import split_features

    if importance is not None:
        if not isinstance(importance, Mapping):
            raise TypeError("importance: expected a mapping of feature name → importance")
        return {str(k): float(v) for k, v in importance.items()}, "importance input"
    shared = context.shared.get(SHARED_KEY) if context is not None else None
    if shared:
        return dict(shared["importance"]), f"data.2 permutation importance ({shared['metric']})"
    if model is not None and eval_data is not None:
        data = split_features(
            eval_data, target, "eval_data", getattr(model, "feature_names_in_", None)
        )
        result = permutation_importance(model, data)
        return result.as_mapping(), f"permutation importance ({result.metric})"
    return None, "none"
