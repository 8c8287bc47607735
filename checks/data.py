"""Built-in checks for the rubric's data section (data.1 … data.7).

Each check turns its inputs into data, computes with a helper module
(``schema``, ``data_importance``, ``data_cost``, ``data_rules``,
``data_privacy``, ``data_newfeature``, ``data_coverage``) and hands the numbers
to that module's ``judge`` with its keyword-only thresholds. Helpers import on
use, so ``import mltestscore.checks`` stays cheap.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mltestscore.checks.data_text import MAX_TABLE, short_list
from mltestscore.context import CheckContext
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("data.1")
def schema_validates(schema: Any, train_data: Any, *, max_failure_rate: float = 0.0) -> CheckResult:
    """The training data validates against the team's schema (all failures, lazily).

    Inputs: ``schema`` — a pandera ``DataFrameSchema``/``DataFrameModel``, a Great
    Expectations ``ExpectationSuite``, a :class:`mltestscore.checks.schema.TensorSchema`
    (image/tensor data: per-example shape, dtype, value range, label vocabulary) or
    a path to a schema JSON file; ``train_data`` — a DataFrame or table path (tensor
    schemas: an array/tensor, an ``(X, y)`` pair or a dataset). Threshold:
    ``max_failure_rate`` — the share of rows a column may fail before the check
    fails (failures within it warn). Columns no expectation covers also warn.
    ``mltestscore schema infer DATA`` drafts a pandera schema to start from.
    """
    from mltestscore.checks.schema import validate

    report = validate(schema, train_data, lazy=True, what="train_data")
    evidence = report.to_evidence(MAX_TABLE)
    worst = sorted(report.failure_rate_by_column.items(), key=lambda kv: -kv[1])
    over = [f"{c} ({r:.1%})" for c, r in worst if r > max_failure_rate]
    if over:
        return CheckResult.failed(
            f"{len(over)} column(s) of {report.rows} rows fail the {report.engine} schema "
            f"beyond {max_failure_rate:.1%}: {short_list(over)}",
            evidence,
            "Fix the data (or the pipeline producing it) for the failing checks listed, or "
            "update the schema if the expectation was wrong, then rerun.",
        )
    if worst:
        return CheckResult.warned(
            f"schema failures within tolerance ({max_failure_rate:.1%}): "
            f"{short_list([f'{c} ({r:.1%})' for c, r in worst])}",
            evidence,
            "Look at the failing rows; tighten the data or the schema.",
        )
    if report.unchecked_columns:
        return CheckResult.warned(
            f"training data validates ({report.rows} rows), but "
            f"{len(report.unchecked_columns)} "
            f"column(s) have no expectation: {short_list(list(report.unchecked_columns))}",
            evidence,
            "Add expectations for these columns (mltestscore schema infer drafts them).",
        )
    unit = "examples" if report.engine == "tensor" else "rows"
    return CheckResult.passed(
        f"training data ({report.rows} {unit}, {len(report.checked_columns)} columns) "
        f"validates against the {report.engine} schema",
        evidence,
    )


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
    from mltestscore.checks.data_importance import SHARED_KEY, judge, permutation_importance
    from mltestscore.checks.data_tables import NotTabular, split_features

    try:
        data = split_features(
            eval_data, target, "eval_data", getattr(model, "feature_names_in_", None)
        )
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
    verdict: CheckResult = judge(result, noise_k=noise_k, min_importance=min_importance)
    return verdict


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
    from mltestscore.checks.data_cost import importance_for, judge, measure_costs, with_importance

    costs, rows = measure_costs(feature_fns, raw_data, repeats=repeats, max_rows=max_rows)
    scores, source = importance_for(importance, model, eval_data, target, context)
    if scores is not None:
        costs = with_importance(costs, scores)
    verdict: CheckResult = judge(
        costs,
        rows,
        source,
        max_ms_per_1k_rows=max_ms_per_1k_rows,
        max_peak_mb_per_1k_rows=max_peak_mb_per_1k_rows,
        max_cost_share_ratio=max_cost_share_ratio,
        min_ms_per_1k_rows=min_ms_per_1k_rows,
    )
    return verdict


@register_builtin_check("data.4")
def feature_rules_hold(
    feature_names: Any = None,
    model: Any = None,
    train_data: Any = None,
    target: str | None = None,
    feature_rules: Mapping[str, Any] | None = None,
    context: CheckContext | None = None,
) -> CheckResult:
    """The model's input features obey the declared deny/deprecated/protected/allow lists.

    Rules: ``[tool.mltestscore]`` ``deny_features``, ``deprecated_features``,
    ``protected_features``, ``allow_features`` (glob patterns, case-insensitive)
    and/or the ``feature_rules`` input with the same keys. Features: the
    ``feature_names`` input, else ``model.feature_names_in_``, else the columns of
    ``train_data`` minus ``target``.
    """
    from mltestscore.checks.data_rules import collect_rules, judge, model_features

    options = context.options if context is not None else {}
    rules = collect_rules(feature_rules, options)
    if not rules:
        raise NotAutomated(
            "no feature rules declared: set deny_features, deprecated_features, "
            "protected_features or allow_features in [tool.mltestscore] (or define "
            "ml_feature_rules)"
        )
    features, source = model_features(feature_names, model, train_data, target)
    if not features:
        raise NotAutomated(
            "no feature list: define ml_feature_names, or ml_model (fitted on a DataFrame) "
            "or ml_train_data as a DataFrame"
        )
    verdict: CheckResult = judge(features, source, rules)
    return verdict


@register_builtin_check("data.5")
def privacy_controls(
    train_data: Any,
    context: CheckContext | None = None,
    *,
    max_rows: int = 10_000,
    numeric_min_rate: float = 0.5,
    seed: int = 0,
) -> CheckResult:
    """No PII (emails, phones, card numbers, national IDs, IPs) outside declared columns.

    Input: ``train_data`` — a DataFrame, a table path or ``(X_frame, y)``; a
    Polars frame, Parquet folder/dataset or Spark DataFrame is scanned on a
    seeded sample of ``max_rows`` rows its engine draws;
    image/tensor data is *not automated* (a regex scan cannot see PII in pixels:
    record a reviewed privacy assessment instead). Settings:
    ``[tool.mltestscore] pii_allowed_columns`` (names or globs of columns that may
    hold PII) and ``access_controls`` (recorded as evidence; required when allowed
    PII columns are present). Thresholds:
    ``max_rows`` sampled cells per column (seeded); ``numeric_min_rate`` — share of
    an integer column's values that must be card numbers before it is flagged.
    Findings are counts per column and kind, never the values.
    """
    import numpy as np
    import pandas as pd

    from mltestscore.checks.data_privacy import judge, scan
    from mltestscore.checks.data_tables import as_frame

    if isinstance(train_data, (tuple, list)) and len(train_data) == 2:
        features, labels = train_data
        if isinstance(features, pd.DataFrame):  # (X, y): scan the features and the labels
            train_data = features.assign(**{"<target>": np.asarray(labels)})
    from mltestscore.checks.engines import is_engine_data

    streamed = is_engine_data(train_data) and not (  # Polars, Parquet datasets, Spark
        isinstance(train_data, (str, Path)) and Path(train_data).is_file()
    )
    if not isinstance(train_data, (pd.DataFrame, str, Path)) and not streamed:
        raise NotAutomated(
            f"train_data is {type(train_data).__name__}, not a table: a PII scan needs text "
            "columns; record a reviewed privacy assessment for image/tensor data"
        )
    frame = train_data if streamed else as_frame(train_data, "train_data")
    options = context.options if context is not None else {}
    allowed_patterns = list(options.get("pii_allowed_columns", []))
    controls = options.get("access_controls")
    result = scan(
        frame,
        max_rows=max_rows,
        numeric_min_rate=numeric_min_rate,
        seed=seed,
        allowed=lambda c: any(fnmatch.fnmatchcase(c, p) for p in allowed_patterns),
    )
    verdict: CheckResult = judge(result, allowed_patterns, controls)
    return verdict


@register_builtin_check("data.6")
def new_feature_quickly(
    add_feature_pipeline: Callable[[str, Callable[[Any], Any]], Any],
    *,
    max_seconds: float = 600.0,
    seed: int = 0,
) -> CheckResult:
    """A synthetic new feature flows through the fast-subset pipeline end to end, in time.

    Input: ``add_feature_pipeline(feature_name, feature_fn)`` — runs the team's fast
    pipeline with one extra feature ``feature_fn(raw_rows) -> one value per row``
    and returns the trained model (or a mapping with ``model``/``feature_names`` and
    ``metrics``). The feature must be computed and appear among the trained model's
    inputs (``feature_names_in_``, columns or ``feature_names``) within
    ``max_seconds``; when the inputs cannot be seen the check warns.
    """
    from mltestscore.checks.data_newfeature import judge, run_with_new_feature

    run = run_with_new_feature(add_feature_pipeline, seed=seed)
    verdict: CheckResult = judge(run, max_seconds=max_seconds)
    return verdict


@register_builtin_check("data.7")
def feature_code_tested(
    feature_tests: Callable[[], Any] | None = None,
    feature_modules: Any = None,
    context: CheckContext | None = None,
    *,
    min_line: float = 0.8,
    min_branch: float = 0.7,
) -> CheckResult:
    """The declared feature modules are covered by tests (line and branch coverage).

    Coverage comes from the run (``context.feature_coverage``, started by the plugin
    when ``[tool.mltestscore] feature_modules`` is set). Without it, the check
    measures ``feature_tests()`` (a callable exercising the modules) itself, on
    ``feature_modules`` (input, or the setting). Thresholds ``min_line`` and
    ``min_branch`` are fractions in [0, 1]; every measured file must reach both.
    """
    from mltestscore.checks.data_coverage import judge, measure

    for name, value in (("min_line", min_line), ("min_branch", min_branch)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(
                f"{name} is a fraction in [0, 1], got {value}"
                + (f" (did you mean {value / 100:g}?)" if value > 1 else "")
            )
    context = context or CheckContext.default()
    coverage = context.feature_coverage
    if coverage is None:
        modules = feature_modules or context.options.get("feature_modules")
        if not modules or feature_tests is None:
            raise NotAutomated(
                "feature code coverage was not measured: set feature_modules in "
                "[tool.mltestscore] (the plugin measures them during the run), or define "
                "ml_feature_tests (and ml_feature_modules)"
            )
        modules = [modules] if isinstance(modules, str) else list(modules)
        coverage = measure(modules, context.root, feature_tests)
    verdict: CheckResult = judge(coverage.report(), min_line=min_line, min_branch=min_branch)
    return verdict
