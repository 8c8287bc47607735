"""Built-in checks for the rubric's model section (model.1 – model.7).

Each registered function documents its inputs (fixtures ``ml_<name>``) and
thresholds; the numbers are computed and judged in the ``model_*`` modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mltestscore.context import CheckContext
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("model.1")
def model_specs_committed(
    model_spec_files: Sequence[str] | None = None,
    *,
    default_branch: str = "",
    context: CheckContext | None = None,
) -> CheckResult:
    """Model spec files are tracked in git, have no uncommitted changes, and are on the default branch.

    Inputs: ``model_spec_files`` — paths or glob patterns relative to the project
    root (model config, model code); else ``model_spec_files`` in ``[tool.mltestscore]``.
    Thresholds: ``default_branch`` — the branch the last commit touching each
    file must be on (default: ``origin/HEAD`` when the remote declares it, else ``HEAD``).
    Fails for a missing, untracked or modified file, a file committed only off the
    branch, or a project outside a git repository; not automated without git.
    """
    from mltestscore.checks.model_git import judge_specs

    ctx = context or CheckContext.default()
    files = (
        model_spec_files if model_spec_files is not None else ctx.options.get("model_spec_files")
    )
    if files is None:
        raise NotAutomated(
            "declare the model's spec files: ml_model_spec_files or "
            "model_spec_files = [...] in [tool.mltestscore]"
        )
    if isinstance(files, str):
        files = [files]
    result: CheckResult = judge_specs(list(files), ctx.root, default_branch)
    return result


@register_builtin_check("model.2")
def offline_online_correlation(
    metric_log: object,
    *,
    min_spearman: float = 0.7,
    min_versions: int = 5,
    offline_higher_is_better: bool = True,
    online_higher_is_better: bool = True,
) -> CheckResult:
    """The offline metric ranks model versions the way the online metric does (Spearman).

    Inputs: ``metric_log`` — one row per model version (several rows per version
    are averaged) with columns ``version``, ``offline``, ``online``: a DataFrame, a
    CSV/JSON/JSONL path or a list of dicts. Rows with a missing metric are dropped.
    Thresholds: ``min_spearman`` (rank correlation, signed so that "both improve"
    is positive), ``min_versions`` (fewer logged versions fail: a correlation of
    three points means nothing), and the two metrics' directions.
    """
    from mltestscore.checks.model_tables import judge_correlation

    result: CheckResult = judge_correlation(
        metric_log, min_spearman=min_spearman, min_versions=min_versions,
        offline_higher_is_better=offline_higher_is_better,
        online_higher_is_better=online_higher_is_better,
    )  # fmt: skip
    return result


@register_builtin_check("model.3")
def hyperparameters_tuned(
    sweep_results: object,
    hyperparameters: object,
    chosen_config: Mapping[str, Any] | None = None,
    *,
    min_values: int = 3,
    tolerance: float = 0.01,
    metric_column: str = "metric",
    higher_is_better: bool = True,
) -> CheckResult:
    """Every declared hyperparameter was swept, and the chosen configuration is near the best.

    Inputs: ``sweep_results`` — one row per run, a column per hyperparameter and
    ``metric_column`` (DataFrame, CSV/JSON path or list of dicts; repeated
    configurations are averaged); ``hyperparameters`` — the declared names, or a
    mapping name -> chosen value; ``chosen_config`` — name -> value of the shipped
    configuration (optional; without it closeness to the best is not judged: warn).
    Thresholds: ``min_values`` distinct values per hyperparameter; ``tolerance`` —
    how much worse (metric units) than the best configuration the chosen one may be.
    """
    from mltestscore.checks.model_tables import judge_sweep

    result: CheckResult = judge_sweep(
        sweep_results, hyperparameters, chosen_config, min_values=min_values,
        tolerance=tolerance, metric_column=metric_column, higher_is_better=higher_is_better,
    )  # fmt: skip
    return result


@register_builtin_check("model.4")
def model_staleness(
    model_store: Any = None,
    eval_data: object = None,
    metric: object = None,
    target: str | None = None,
    evaluate: Callable[[Any, Any], float] | None = None,
    staleness_table: object = None,
    model_name: str | None = None,
    *,
    min_versions: int = 2,
    quality_floor: float | None = None,
    max_quality_drop: float = 0.05,
    max_decay_per_30_days: float | None = None,
    higher_is_better: bool = True,
    as_of: str = "",
    context: CheckContext | None = None,
) -> CheckResult:
    """Quality of older model versions on current data gives an age-vs-quality curve.

    Inputs: ``model_store`` (``list(name)`` -> versions with ``version`` and
    ``created_at``; ``load(name, version)`` -> model or ``(model, metadata)``),
    ``model_name`` (default: the store's only model, via ``names()``), ``eval_data``
    (current labelled data), and ``metric`` (default accuracy / R²) or
    ``evaluate(model, eval_data) -> float``
    (e.g. the recognizer's character error rate); or ``staleness_table`` — rows of
    ``version, metric`` and ``age_days`` or ``created_at``.
    Thresholds: ``min_versions`` of different ages; the quality floor —
    ``quality_floor``, else the fitted fresh quality minus ``max_quality_drop``;
    ``max_decay_per_30_days`` (optional budget on the fitted slope);
    ``higher_is_better`` (taken from ``metric`` when it is a ``Metric``); ``as_of``
    (ISO date ages are measured to; default now).
    The age at which the fitted line crosses the floor is monitor.4's age budget:
    shared as ``context.shared["model.4"]["age_budget_days"]`` and recorded in the
    baseline on ``--ml-score-update-baseline``.
    """
    if staleness_table is None and (model_store is None or eval_data is None):
        raise NotAutomated(  # before importing the curve code: an absent input costs nothing
            "model.4 needs ml_staleness_table, or ml_model_store + ml_eval_data "
            "(+ ml_metric or ml_evaluate, + ml_model_name)"
        )
    from mltestscore.checks import model_staleness as ms
    from mltestscore.metrics import Metric

    now = ms.reference_time(as_of)
    errors: list[dict[str, Any]] = []
    name = "metric"
    if staleness_table is not None:
        points = ms.curve_from_table(staleness_table, now)
    elif model_store is not None and eval_data is not None:
        points, errors, scorer = ms.curve_from_store(
            model_store, model_name, eval_data, target, metric, evaluate, now
        )
        name = scorer.name if scorer is not None else getattr(evaluate, "__name__", "evaluate")
    else:
        raise ms.no_inputs()
    if isinstance(metric, Metric):
        higher_is_better = metric.higher_is_better
    result: CheckResult = ms.judge_staleness(
        points, errors, context, metric_name=name, higher_is_better=higher_is_better,
        min_versions=min_versions, quality_floor=quality_floor,
        max_quality_drop=max_quality_drop, max_decay_per_30_days=max_decay_per_30_days,
    )  # fmt: skip
    return result


@register_builtin_check("model.5")
def simpler_model_not_better(
    model: object,
    train_data: object,
    eval_data: object,
    metric: object = None,
    target: str | None = None,
    baseline: object = None,
    *,
    margin: float = 0.01,
    task: str = "auto",
) -> CheckResult:
    """The model beats simple baselines trained on the same data by a margin.

    Inputs: ``model``, ``train_data`` and ``eval_data`` (DataFrames with ``target``,
    or ``(X, y)``), ``metric`` (default accuracy for classes, R² otherwise),
    ``baseline`` — a team-provided fitted model or its score (optional).
    Baselines: majority class + logistic regression, or mean + ridge regression.
    Thresholds: ``margin`` — how much better (metric units) than the best baseline
    the model must be; ``task`` — ``auto``, ``classification`` or ``regression``.
    """
    from mltestscore.checks.model_baseline import judge_baseline

    result: CheckResult = judge_baseline(
        model, train_data, eval_data, metric, target, baseline, margin=margin, task=task
    )
    return result


@register_builtin_check("model.6")
def slice_quality(
    model: object,
    eval_data: object,
    slices: object,
    metric: object = None,
    target: str | None = None,
    previous_model: object = None,
    *,
    min_metric: float | None = None,
    max_gap_to_overall: float = 0.1,
    max_drop: float = 0.02,
    min_size: int = 30,
) -> CheckResult:
    """Model quality on every declared slice meets a floor and has not dropped vs the previous model.

    Inputs: ``model``, ``eval_data``, ``slices`` (name -> column value, numeric bin
    ``(lo, hi)``, predicate or mask; or a list of columns to slice by — see
    :mod:`mltestscore.checks.model_slices`), ``metric``, ``target``,
    ``previous_model`` (optional: per-slice regression check).
    Thresholds: the floor — a slice's own ``min_metric``, else ``min_metric``, else
    the overall metric minus ``max_gap_to_overall``; ``max_drop`` vs the previous
    model; slices under ``min_size`` rows are reported, not judged (warn).
    Evidence lists slices worst first.
    """
    from mltestscore.checks.model_quality import judge_slices

    result: CheckResult = judge_slices(
        model, eval_data, slices, metric, target, previous_model, min_metric=min_metric,
        max_gap_to_overall=max_gap_to_overall, max_drop=max_drop, min_size=min_size,
    )  # fmt: skip
    return result


@register_builtin_check("model.7")
def inclusion_gaps(
    model: object,
    eval_data: object,
    groups: object,
    target: str | None = None,
    metric: object = None,
    *,
    max_gap: float = 0.1,
    min_group_size: int = 30,
    min_rate_support: int = 10,
    positive_label: str | int | None = None,
) -> CheckResult:
    """Accuracy, TPR, FPR, selection-rate (and metric) gaps across declared groups are within tolerance.

    Inputs: ``model``, ``eval_data``, ``groups`` (a column, columns, or attribute
    -> column / labels / {group: slice spec} — see
    :mod:`mltestscore.checks.model_inclusion`), ``target``, ``metric`` (optional: the
    team's metric is compared across groups too — the only gap for non-classifiers,
    e.g. a recognizer's character error rate).
    Thresholds: ``max_gap`` (max − min across groups, per rate); groups under
    ``min_group_size`` rows are reported and make the result a warning, never a
    silent pass; TPR/FPR need ``min_rate_support`` positives/negatives in a group;
    ``positive_label`` (binary labels default to 1/True/the larger label; multiclass
    without it compares accuracy only).
    """
    from mltestscore.checks.model_inclusion import judge_inclusion

    result: CheckResult = judge_inclusion(
        model, eval_data, groups, target, metric, max_gap=max_gap, min_group_size=min_group_size,
        min_rate_support=min_rate_support, positive_label=positive_label,
    )  # fmt: skip
    return result
