"""data.3: no feature costs more (time, memory) than its benefit is worth.

Costs are measured by :mod:`mltestscore.checks.data.cost`; importance comes from the
``importance`` input, data.2's result in the same run, or a permutation importance of
the model on the evaluation data (:mod:`mltestscore.checks.data.importance`, on the
model's input features as data.2 and data.4 decide them). This module judges.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from mltestscore.checks.data.cost import FeatureCost, measure_costs, with_importance
from mltestscore.checks.data.features import model_tabular
from mltestscore.checks.data.importance import SHARED_KEY, permutation_importance
from mltestscore.checks.data.messages import MAX_TABLE, short_list
from mltestscore.context import CheckContext
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult


@register_builtin_check("data.3")
def feature_cost(
    feature_fns: Mapping[str, Callable[[Any], Any]],
    raw_data: Any,
    importance: Mapping[str, float] | None = None,
    model: Any = None,
    eval_data: Any = None,
    target: str | None = None,
    context: CheckContext | None = None,
    *,
    max_ms_per_1k_rows: float = 100.0,
    max_peak_mb_per_1k_rows: float = 16.0,
    max_cost_share_ratio: float = 10.0,
    min_ms_per_1k_rows: float = 1.0,
    repeats: int = 3,
    max_rows: int = 5000,
) -> CheckResult:
    """No feature costs more (time, memory) than its benefit is worth.

    Inputs: ``feature_fns`` — feature name → ``fn(raw_data)`` returning that feature's
    column (one value per row); ``raw_data`` — what the functions take (DataFrame,
    array or sequence; the first ``max_rows`` rows are used). Importance per feature
    comes from ``importance`` (name → value), else data.2's result in this run, else
    permutation importance of ``model`` on ``eval_data`` (+ ``target``); without any,
    only the absolute budgets apply. Thresholds: ``max_ms_per_1k_rows`` and
    ``max_peak_mb_per_1k_rows`` (median time over ``repeats`` runs; tracemalloc peak);
    ``max_cost_share_ratio`` — a feature's share of the total time over its share of
    the total importance, judged only above ``min_ms_per_1k_rows``.
    """
    costs, rows = measure_costs(feature_fns, raw_data, repeats=repeats, max_rows=max_rows)
    scores, source = importance_for(importance, model, eval_data, target, context)
    if scores is not None:
        costs = with_importance(costs, scores)

    def over_budget(cost: FeatureCost) -> list[str]:
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
            and cost.ms_per_1k_rows >= min_ms_per_1k_rows
        ):
            if math.isinf(ratio):
                reasons.append(f"{cost.ms_per_1k_rows:.1f} ms/1k rows for no importance")
            else:
                reasons.append(f"cost/importance share {ratio:.1f} > {max_cost_share_ratio:g}")
        return reasons

    flagged = {c.name: reasons for c in costs if (reasons := over_budget(c))}
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
    model: object,
    eval_data: object,
    target: str | None,
    context: CheckContext | None,
) -> tuple[dict[str, float] | None, str]:
    """Importance per feature and where it came from (see data.3's docstring for the order)."""
    if importance is not None:
        if not isinstance(importance, Mapping):
            raise TypeError("importance: expected a mapping of feature name → importance")
        return {str(k): float(v) for k, v in importance.items()}, "importance input"
    shared = context.shared.get(SHARED_KEY) if context is not None else None
    if shared:
        return dict(shared["importance"]), f"data.2 permutation importance ({shared['metric']})"
    if model is not None and eval_data is not None:
        data, _ = model_tabular(model, eval_data, target, "eval_data")
        result = permutation_importance(model, data)
        return result.as_mapping(), f"permutation importance ({result.metric})"
    return None, "none"
