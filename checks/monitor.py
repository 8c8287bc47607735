"""Monitoring checks: monitor.1 … monitor.7 of the ML Test Score rubric.

Checks that compare with the past read and write the baseline file
(:mod:`mltestscore.baseline`, recorded only on ``--ml-score-update-baseline``).
The numbers come from helpers: ``monitor_env`` (environment diff), ``monitor_skew``
and ``monitor_skew_verdict`` (training/serving skew), ``monitor_age``,
``monitor_numerics``, ``monitor_perf`` and ``monitor_quality``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mltestscore.baseline import compare_or_record
from mltestscore.context import CheckContext
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated


@register_builtin_check("monitor.1")
def dependency_changes(
    context: CheckContext | None = None, *, fail_on: str = "never", ignore: Sequence[str] = ()
) -> CheckResult:
    """Dependency changes result in notification: the environment is compared with the baseline.

    Needs no input: the fingerprint is the installed distributions and their
    versions, Python, the OS and machine, the sha256 of the lockfiles at the
    project root (uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock*.toml,
    requirements*.txt) and, where torch is installed, its CUDA/cuDNN versions,
    the NVIDIA driver and the device names. It is compared with the ``monitor.1``
    section of the baseline file (``.mltestscore/baseline.json``, recorded with
    ``pytest --ml-score --ml-score-update-baseline`` and committed).

    Earning the point means the mechanism works: every change (added, removed,
    upgraded/downgraded with its level, lockfile, Python, platform, accelerator)
    is surfaced as a WARN-level notification in the terminal summary and the
    reports, and the test passes. It fails only under a policy the team declares.

    Thresholds: ``fail_on`` — ``"never"`` (default: notify only), ``"major"``,
    ``"minor"``, ``"patch"``/``"any"`` (changes at that level or above fail;
    added/removed packages and OS changes count as major, lockfile changes as
    minor), or ``"unlocked"`` (a package that moved to a version no lockfile at
    the project root pins); ``ignore`` — distribution name patterns (fnmatch)
    left out, e.g. installer tooling or the team's own package.

    No baseline, or an unreadable one: not automated, with the command that records
    it. A run that records the baseline compares nothing: it could not judge.
    """
    from mltestscore.baseline import UPDATE_HINT, BaselineError
    from mltestscore.checks.monitor_env import judge_environment
    from mltestscore.environment import fingerprint

    context = context or CheckContext.default()
    current = fingerprint(context.root)
    try:
        section = compare_or_record(context, "monitor.1", current.to_dict())
    except BaselineError as exc:
        raise NotAutomated(
            f"{exc}; record a new one with `pytest --ml-score --ml-score-update-baseline`"
        ) from exc
    if section is None:
        return CheckResult.inconclusive(
            f"recorded the environment in {context.baseline_path}: "
            f"{len(current.distributions)} distributions, Python {current.python}, "
            f"lockfiles {sorted(current.lockfiles) or 'none'}; nothing compared in a run that "
            "records the baseline",
            {"recorded": True, "distributions": len(current.distributions),
             "python": current.python, "lockfiles": sorted(current.lockfiles)},
            f"Commit {context.baseline_path} and run again without the flag ({UPDATE_HINT} "
            "only when the environment changes on purpose).",
        )  # fmt: skip
    result: CheckResult = judge_environment(
        section, current, fail_on=fail_on, ignore=ignore, where=str(context.baseline_path),
        root=context.root,
    )  # fmt: skip
    return result


@register_builtin_check("monitor.2")
def serving_inputs_valid(
    schema: Any, serving_data: Any, *, max_failure_rate: float = 0.01
) -> CheckResult:
    """Data invariants hold for serving inputs: a logged sample validates against the schema.

    Inputs: ``schema`` — the data.1 schema (pandera, Great Expectations, a
    ``TensorSchema`` or a schema JSON path); ``serving_data`` — logged serving
    inputs (DataFrame, or a CSV/Parquet/JSONL path; arrays for a TensorSchema).
    Validation is lazy (every failure is counted) via
    :func:`mltestscore.checks.schema.validate`.

    Threshold: ``max_failure_rate`` — the largest share of rows failing in any one
    column (default 0.01); beyond it the check fails, below it any failure warns.
    """
    from mltestscore.checks.schema import validate

    report = validate(schema, serving_data, lazy=True, what="serving_data")
    rates = dict(report.failure_rate_by_column)
    over = {c: r for c, r in rates.items() if r > max_failure_rate}
    evidence = {**report.to_evidence(), "max_failure_rate": max_failure_rate}
    checks: dict[str, list[str]] = {}
    for failure in report.failures:
        checks.setdefault(failure.column, []).append(failure.check)
    listed = ", ".join(
        f"{c!r} {r:.1%} ({', '.join(checks.get(c, [])[:3]) or 'failed'})"
        for c, r in sorted((over or rates).items(), key=lambda kv: -kv[1])[:10]
    )
    next_step = (
        "Find where serving inputs stopped matching the training expectations (an upstream "
        "change, a new category, a unit change, missing values) and fix the producer; if the "
        "new values are legitimate, update the schema (data.1) and retrain."
    )
    if over or (not report.valid and not rates):
        failed = "; ".join(f"{f.column}: {f.check} ×{f.count}" for f in report.failures[:5])
        return CheckResult.failed(
            f"{len(over)} column(s) of {report.rows} serving rows fail the schema beyond "
            f"max_failure_rate {max_failure_rate:.1%}: {listed or failed}",
            evidence,
            next_step,
        )
    if rates or not report.valid:
        return CheckResult.warned(
            f"serving inputs fail the schema in {len(rates)} column(s), within "
            f"max_failure_rate {max_failure_rate:.1%}: {listed}",
            evidence,
            next_step,
        )
    unchecked = (
        f"; {len(report.unchecked_columns)} column(s) not in the schema"
        if (report.unchecked_columns)
        else ""
    )
    return CheckResult.passed(
        f"all {report.rows} serving rows validate against the schema "
        f"({len(report.checked_columns)} columns checked{unchecked})",
        evidence,
    )


@register_builtin_check("monitor.3")
def training_serving_skew(
    serving_log: Any,
    feature_fn: Callable[[Any], Any] | None = None,
    train_data: Any = None,
    *,
    served_prefix: str = "served_",
    atol: float = 1e-6,
    rtol: float = 1e-5,
    max_mismatch_rate: float = 0.0,
    max_drifted_features: int = 0,
    show_values: bool = False,
    ks_threshold: float = 0.1,
    psi_threshold: float = 0.2,
    linf_threshold: float = 0.1,
    alpha: float = 0.001,
) -> CheckResult:
    """Training and serving are not skewed: training code reproduces the served features.

    Inputs:

    - ``serving_log`` — logged serving examples: a DataFrame (or CSV/Parquet/JSONL
      path) with the raw input columns and, for each feature the serving path
      computed, a column ``served_<feature>``; or a pair ``(raw_inputs,
      served_features)`` of frames with one row per request. Index it by request
      id: mismatching examples are reported by index label, never by value.
    - ``feature_fn`` (optional) — the team's *training-side* feature code,
      ``feature_fn(raw_df) -> features_df`` (one row per input row, columns named
      like the served features). It recomputes the features of the logged
      examples, compared cell by cell (numbers within ``atol + rtol·|training|``,
      NaN equals NaN; other values by equality). Each skewed feature gets a
      diagnosis (offset, scale factor, float32 precision, rounding, missing-value
      handling, constant default, case/whitespace, re-encoding).
    - ``train_data`` (optional) — training features (DataFrame or path) or a
      stored ``stats.ReferenceSummary`` (or its JSON file): the served features'
      distributions are compared with it (KS, PSI, L∞, NaN share via
      :func:`mltestscore.checks.stats.compare`).

    With only ``train_data`` the check warns (distribution skew alone cannot see a
    feature computed differently for the same input).

    Thresholds: ``served_prefix``; ``atol``/``rtol``; ``max_mismatch_rate`` — share
    of examples a feature may mismatch on (default 0: any mismatch fails);
    ``max_drifted_features`` (default 0); ``show_values`` — include up to 5
    served/training value pairs per skewed feature (off: values may be personal
    data); ``ks_threshold``, ``psi_threshold``, ``linf_threshold``, ``alpha`` —
    passed to the drift statistics.
    """
    from mltestscore.checks.monitor_skew import compare_features, recompute, split_serving_log
    from mltestscore.checks.monitor_skew_verdict import judge_skew, reference_features

    if feature_fn is None and train_data is None:
        raise NotAutomated(
            "define ml_feature_fn (training feature code, element-wise skew) and/or "
            "ml_train_data (distribution skew)"
        )
    raw, served = split_serving_log(serving_log, served_prefix)
    evidence: dict[str, Any] = {"examples": len(raw), "served_features": served.shape[1]}
    skew, recomputed = None, None
    if feature_fn is not None:
        try:
            recomputed = recompute(feature_fn, raw)
        except (TypeError, ValueError):
            raise
        except Exception as exc:
            return CheckResult.failed(
                f"the training feature code raised {type(exc).__name__} on the logged serving "
                f"examples: {str(exc)[:200]}",
                evidence,
                "Serving inputs reach the model in a form the training code cannot process: "
                "run feature_fn on the serving log and fix the difference.",
            )
        if served.shape[1]:
            skew = compare_features(served, recomputed, atol=atol, rtol=rtol,
                                    show_values=show_values)  # fmt: skip
    drift = None
    if train_data is not None:
        current = served if served.shape[1] else recomputed
        if current is None:
            raise ValueError(
                f"serving_log has no '{served_prefix}*' columns: log the features the serving "
                "path computed, or define ml_feature_fn to compute them"
            )
        from mltestscore.checks import stats

        try:
            reference, common, note = reference_features(
                train_data, [str(c) for c in current.columns], feature_fn
            )
        except ValueError as exc:
            if skew is None:
                raise
            evidence["distribution_skew_skipped"] = str(exc)  # element-wise skew still counts
        else:
            if note:
                evidence["distribution_skew_note"] = note
            drift = stats.compare(reference, current[common], columns=common,
                                  ks_threshold=ks_threshold, psi_threshold=psi_threshold,
                                  linf_threshold=linf_threshold, alpha=alpha)  # fmt: skip
    result: CheckResult = judge_skew(skew, drift, max_mismatch_rate=max_mismatch_rate,
                      max_drifted_features=max_drifted_features, evidence=evidence)  # fmt: skip
    return result


@register_builtin_check("monitor.4")
def model_staleness(
    model_store: Any = None,
    model_created_at: Any = None,
    model_name: str | None = None,
    context: CheckContext | None = None,
    *,
    max_age_days: float = 30.0,
    warn_fraction: float = 0.8,
) -> CheckResult:
    """Models are not too stale: the serving model's age is within its budget.

    Inputs (one of): ``model_store`` — a versioned store with
    ``serving_version(name)`` and ``list(name) -> [VersionInfo(version,
    created_at, …)]`` (e.g. the reference recognizer's ``ModelStore``; with
    ``model_name`` when it holds several models; without a promoted version the
    newest counts); ``model_created_at`` — when the serving model was trained
    (datetime, date, ISO-8601 string or epoch seconds; naive = UTC).

    The budget comes from model.4's staleness curve when known (this run's
    ``context.shared["model.4"]["age_budget_days"]``, else the baseline's
    ``model.4`` section), else the ``max_age_days`` threshold (default 30); the
    message says which. ``warn_fraction`` (0.8): warn past that share of the budget.
    """
    import datetime as dt

    from mltestscore.checks.monitor_age import age_budget, as_utc, serving_model_birth

    ctx = context or CheckContext.default()
    if model_created_at is not None:
        born = as_utc(model_created_at, "model_created_at")
        what = "the serving model (ml_model_created_at)"
    elif model_store is not None:
        birth = serving_model_birth(model_store, model_name)
        label = "the serving model" if birth.name is None else f"model {birth.name!r}"
        born, what = birth.created_at, f"{label} ({birth.note})"
    else:
        raise NotAutomated("define ml_model_store (and ml_model_name) or ml_model_created_at")
    budget, source = age_budget(ctx, max_age_days)
    now = dt.datetime.now(dt.timezone.utc)
    age = (now - born).total_seconds() / 86400.0
    evidence = {
        "created_at": born.isoformat(), "age_days": round(age, 3), "budget_days": budget,
        "budget_source": source, "warn_fraction": warn_fraction,
    }  # fmt: skip
    if age < -1.0 / 24:
        return CheckResult.warned(
            f"{what} was created {-age:.2f} days in the future ({born.isoformat()}): clocks "
            "or metadata are wrong",
            evidence,
            "Fix the created_at metadata (store UTC timestamps).",
        )
    text = f"{what} is {age:.1f} days old; budget {budget:g} days from {source}"
    if age > budget:
        return CheckResult.failed(
            f"{text}: stale by {age - budget:.1f} days",
            evidence,
            "Retrain on recent data and promote the new version (or, if quality still holds, "
            "revisit the budget with model.4's staleness curve).",
        )
    if age > warn_fraction * budget:
        return CheckResult.warned(
            f"{text}: past {warn_fraction:.0%} of the budget", evidence,
            "Schedule a retrain before the budget runs out.",
        )  # fmt: skip
    return CheckResult.passed(text, evidence)


@register_builtin_check("monitor.5")
def numerical_stability(
    model: Any,
    eval_data: Any = None,
    canary_inputs: Any = None,
    batch: Any = None,
    loss_fn: Any = None,
    target: str | None = None,
    *,
    max_examples: int = 256,
    max_abs_activation: float = 1e6,
) -> CheckResult:
    """Models are numerically stable: no NaN/Inf in weights, activations, outputs or training.

    Inputs: ``model`` (a torch module, or an estimator / callable: weights are its
    fitted arrays, outputs its predict_proba/decision_function/predict);
    ``eval_data`` (features, labels dropped — DataFrame with ``target``, ``(X, y)``,
    Dataset, array/tensor) or else ``canary_inputs``: up to ``max_examples`` rows
    run in eval mode with a forward hook on every module, naming the first module
    whose output turns non-finite (or the parent whose code between modules did);
    ``batch`` + ``loss_fn``: one training step (forward, loss, backward) through
    the smoke suite's finite check, naming the first module and the gradients.
    A contract on the model (``@mltestscore.model_contract``) adds its
    ``output_range``; ``finite=False`` there turns non-finite outputs into a warning.

    Thresholds: ``max_examples`` (256); ``max_abs_activation`` (1e6) — larger
    activations warn (overflow risk in float16/bfloat16).
    """
    from mltestscore.checks.monitor_numerics_verdict import stability_report

    result: CheckResult = stability_report(model, eval_data, canary_inputs, batch, loss_fn, target,
                            max_examples=max_examples,
                            max_abs_activation=max_abs_activation)  # fmt: skip
    return result


@register_builtin_check("monitor.6")
def computing_performance(
    predict: Callable[[Any], Any],
    perf_inputs: Any = None,
    canary_inputs: Any = None,
    baseline_predict: Callable[[Any], Any] | None = None,
    baseline_model: Any = None,
    train_step: Callable[[], Any] | None = None,
    model: Any = None,
    context: CheckContext | None = None,
    *,
    tolerance: float = 0.25,
    memory_tolerance: float = 0.5,
    confidence: float = 0.95,
    warmup: int = 3,
    repeats: int = 30,
    max_seconds: float = 20.0,
    latency_budget_ms: float | None = None,
) -> CheckResult:
    """Computing performance has not regressed: timed beside a comparison in the same run.

    Inputs: ``predict`` — the serving predict function, called as
    ``predict(inputs)``; ``perf_inputs`` (else ``canary_inputs``) — one
    representative request batch; ``baseline_predict`` — the previous/serving
    version's predict, called the same way (or ``baseline_model``, called through
    the shared predict adapter on the same inputs); ``train_step`` (optional) — a
    no-argument callable running one training step; ``model`` (optional) — only
    to read its contract's ``latency_ms``.

    With a baseline model, candidate and baseline are timed in ``repeats``
    interleaved rounds (after ``warmup`` calls each; past ``max_seconds`` the
    rounds stop once 5 are in) and the paired ratio candidate/baseline is judged
    with its bootstrap interval (``confidence``): FAIL when even its low end is
    above ``1 + tolerance``, WARN when only the median is. Without one, predict is
    timed interleaved with a fixed calibration workload and that ratio is compared
    with the one stored in the baseline (``.mltestscore/baseline.json``,
    ``--ml-score-update-baseline``). Peak memory per call (tracemalloc, CUDA)
    fails beyond ``memory_tolerance`` (and 1 MB) of the baseline model's, else of
    the stored one. A latency budget (``latency_budget_ms``, else the contract's
    ``latency_ms``) fails when p95 exceeds it. A run with nothing to compare with
    (or one that only records the baseline) could not judge: no point.
    """
    from mltestscore.checks.monitor_perf_verdict import performance_report

    if baseline_predict is None and baseline_model is not None:
        from mltestscore.checks.infra_predict import default_predict

        def baseline_predict(inputs: Any) -> Any:
            return default_predict(baseline_model, inputs)

    result: CheckResult = performance_report(
        predict, perf_inputs if perf_inputs is not None else canary_inputs, train_step, model,
        baseline_predict, context or CheckContext.default(), tolerance=tolerance,
        memory_tolerance=memory_tolerance, confidence=confidence, warmup=warmup,
        repeats=repeats, max_seconds=max_seconds, latency_budget_ms=latency_budget_ms,
    )  # fmt: skip
    return result


@register_builtin_check("monitor.7")
def prediction_quality(
    recent_data: Any,
    model: Any = None,
    predict: Callable[[Any], Any] | None = None,
    metric: Any = None,
    reference_metric: float | None = None,
    target: str | None = None,
    context: CheckContext | None = None,
    *,
    max_regression: float = 0.02,
    noise_k: float = 2.0,
    bootstrap: int = 200,
    ks_threshold: float = 0.1,
    psi_threshold: float = 0.2,
    linf_threshold: float = 0.1,
    alpha: float = 0.001,
) -> CheckResult:
    """Prediction quality has not regressed on recent serving data.

    Inputs: ``recent_data`` — recent serving inputs, labelled when labels have
    arrived: a DataFrame (labels in the ``target`` column, absent = unlabelled) or
    table path, ``(X, y)`` (``y`` may be ``None``), an array/tensor of inputs or a
    Dataset of ``(x, y)``; ``predict`` (``predict(X)``) or ``model`` (estimator
    ``predict``; a torch module's argmax for ``(N, C)`` outputs); ``metric`` —
    ``mltestscore.Metric`` or ``(y_true, y_pred) -> float`` (higher is better);
    ``reference_metric`` — the expected value, else the baseline's.

    With labels and a metric: fail when the metric is worse than the reference by
    more than ``max_regression`` (absolute, in the metric's direction) *and* by more
    than ``noise_k`` bootstrap standard errors (``bootstrap`` resamples; 0 = off)
    of this sample. Without labels: the prediction distribution (class shares and
    confidence, scores, or for free text its lengths and characters) is compared
    with the baseline's by :func:`mltestscore.checks.stats.compare` (``ks_threshold``,
    ``psi_threshold``, ``linf_threshold``, ``alpha``) and drift fails; with labels
    drift only warns. ``--ml-score-update-baseline`` records the metric and the
    prediction summaries.
    """
    from mltestscore.checks.monitor_quality_verdict import quality_report

    result: CheckResult = quality_report(
        recent_data, model, predict, metric, reference_metric, target,
        context or CheckContext.default(), max_regression=max_regression, noise_k=noise_k,
        bootstrap=bootstrap, drift_thresholds={"ks_threshold": ks_threshold,
        "psi_threshold": psi_threshold, "linf_threshold": linf_threshold, "alpha": alpha},
    )  # fmt: skip
    return result
