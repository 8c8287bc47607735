"""data.2: every feature's permutation importance is above the noise band.

The features judged are the model's inputs (:func:`mltestscore.checks.data.features.
model_tabular`: its ``feature_names_in_`` when it has them, else the data's columns minus
the target), the same decision data.4 makes. The importance itself is
:mod:`mltestscore.checks.data.importance`; this module judges it.
"""

from __future__ import annotations

from typing import Any

from mltestscore.checks.data.features import model_tabular
from mltestscore.checks.data.importance import SHARED_KEY, permutation_importance
from mltestscore.checks.data.messages import MAX_TABLE, short_list
from mltestscore.context import CheckContext
from mltestscore.inputs.tables import NotTabular
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("data.2")
def features_beneficial(
    model: Any,
    eval_data: Any,
    target: str | None = None,
    metric: Any = None,
    context: CheckContext | None = None,
    *,
    n_repeats: int = 5,
    noise_k: float = 2.0,
    min_importance: float = 0.0,
    max_rows: int = 2000,
    seed: int = 0,
) -> CheckResult:
    """Every feature's permutation importance is above the noise band.

    Inputs: ``model`` — a fitted scikit-learn-style estimator, a torch module on
    tabular tensors (class scores are arg-maxed) or a ``predict`` callable;
    ``eval_data`` — held-out DataFrame (with ``target``), ``(X, y)`` or dataset;
    ``metric`` — optional (default: accuracy for classifiers, R² for regressors).
    Each feature is shuffled ``n_repeats`` times on at most ``max_rows`` seeded
    rows; it is flagged when ``mean − noise_k·std <= min_importance``.
    """
    try:
        data, source = model_tabular(model, eval_data, target, "eval_data")
    except NotTabular as exc:
        raise NotAutomated(
            f"{exc}: permutation importance needs named tabular features; "
            "record a reviewed ablation study for image/tensor inputs"
        ) from exc
    if len(data.feature_names) == 0:
        raise NotAutomated("eval_data has no features to permute")
    result = permutation_importance(
        model, data, metric, n_repeats=n_repeats, noise_k=noise_k, max_rows=max_rows, seed=seed
    )
    if context is not None:
        context.shared[SHARED_KEY] = {"metric": result.metric, "importance": result.as_mapping()}

    ranked = sorted(result.features, key=lambda f: -f.mean)
    weak = [f for f in ranked if f.lower <= min_importance]
    table = [f.to_dict() | {"within_noise": f.lower <= min_importance} for f in ranked]
    evidence = {
        "metric": result.metric,
        "baseline": round(result.baseline, 6),
        "rows": result.rows,
        "n_repeats": result.n_repeats,
        "noise_k": noise_k,
        "features": len(ranked),
        "feature_source": source,
        "within_noise": [f.name for f in weak][:MAX_TABLE],
        "importance": (
            table[: MAX_TABLE - 10] + [t for t in table[MAX_TABLE - 10 :] if t["within_noise"]]
        )[:MAX_TABLE],
    }
    if weak:
        return CheckResult.failed(
            f"{len(weak)} of {len(ranked)} feature(s) are not beneficial (permutation "
            f"importance on {result.metric} within {noise_k:g}·std of {min_importance:g}): "
            f"{short_list([f'{f.name} ({f.mean:+.4f}±{f.std:.4f})' for f in weak])}",
            evidence,
            "Remove these features (or find out why they do not help: broken pipeline, "
            "leakage elsewhere, or a correlated feature sharing the credit) and retrain.",
        )
    return CheckResult.passed(
        f"all {len(ranked)} features beat the noise band on {result.metric} "
        f"(weakest: {ranked[-1].name} {ranked[-1].mean:+.4f}±{ranked[-1].std:.4f})",
        evidence,
    )
