"""Built-in checks for the ML-infrastructure section (infra.1 – infra.7).

This module holds the registered, documented entry points: their parameters are
the inputs (``ml_<name>`` fixtures) and the thresholds (keyword-only, overridable
in ``[tool.mltestscore.thresholds."infra.N"]``). Each delegates to its own
module, which computes the numbers and then judges them: ``infra_repro``,
``infra_smoke``, ``infra_pipeline*``, ``infra_validation``, ``infra_trace``,
``infra_canary`` (+ the ``infra_serve`` process) and ``infra_rollback``.
torch is imported only when a check runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mltestscore.checks.infra_canary import check_canary
from mltestscore.checks.infra_pipeline import CANONICAL_STAGES
from mltestscore.checks.infra_pipeline_judge import check_pipeline
from mltestscore.checks.infra_predict import PredictFn
from mltestscore.checks.infra_repro import check_reproducible, prediction_inputs
from mltestscore.checks.infra_rollback import check_rollback
from mltestscore.checks.infra_smoke import check_unit_tested
from mltestscore.checks.infra_trace import check_debuggable, pick_example
from mltestscore.checks.infra_validation import check_validation
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult


@register_builtin_check("infra.1")
def training_is_reproducible(
    train_fn: Callable[[int], Any],
    eval_data: Any = None,
    canary_inputs: Any = None,
    target: str | None = None,
    predict_fn: PredictFn | None = None,
    *,
    seed: int = 0,
    atol: float = 1e-6,
    prediction_atol: float = 1e-6,
    check_seed_sensitivity: bool = False,
    other_seed: int = 1,
    max_prediction_rows: int = 256,
) -> CheckResult:
    """Training twice with the same seed gives the same parameters and predictions.

    Inputs: ``train_fn(seed) -> model`` (a torch module, an object with
    ``state_dict()``, or a fitted scikit-learn estimator) training on the fast
    subset; optional ``eval_data`` (+ ``target``) or ``canary_inputs``, whose first
    ``max_prediction_rows`` rows both models predict (through ``predict_fn(model,
    inputs)``, fixture ``ml_predict_fn``, when given).
    Thresholds: ``atol``, the largest allowed |difference| of any parameter value
    (1e-6: CPU training is normally bitwise reproducible; raise it for GPU kernels
    that are not deterministic); ``prediction_atol`` the same for predictions;
    ``seed``; ``check_seed_sensitivity`` trains a third time with ``other_seed`` to
    show the comparison can fail (an identical model → WARN: the seed is ignored).
    Fails when the runs differ (the first differing parameter is named) or when
    ``train_fn`` returns the same object twice. Evidence: run durations, the
    largest difference, a table of differing parameters.
    """
    inputs = prediction_inputs(eval_data, canary_inputs, target, max_prediction_rows)
    result: CheckResult = check_reproducible(
        train_fn,
        inputs,
        predict_fn,
        seed=seed,
        atol=atol,
        prediction_atol=prediction_atol,
        check_seed_sensitivity=check_seed_sensitivity,
        other_seed=other_seed,
    )
    return result


@register_builtin_check("infra.2")
def model_specs_unit_tested(
    model: Any,
    batch: Any,
    loss_fn: Callable[..., Any],
    optimizer: Any = None,
    data: Any = None,
    smoke_options: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
) -> CheckResult:
    """The troubleshooting (smoke) suite passes on the model: the model spec's unit test.

    Inputs: ``model`` (a ``torch.nn.Module``), ``batch`` (one ``(inputs, targets)``
    training batch), ``loss_fn``; optional ``optimizer`` and ``data``, as
    :func:`mltestscore.checks.smoke.run` takes them, and ``smoke_options``: more of its
    keywords (``train_step``, ``take_samples``, ``causal_dim``, ``batch_dim``,
    ``expected``, ``checks``, ``options``, ``max_seconds``). When the model (or its class)
    carries a ``@mltestscore.model_contract``, its promises — finite outputs,
    ``output_range``, deterministic eval, input spec — are checked on the batch's
    inputs as extra findings. Threshold: ``seed`` for the suite. Fails when any
    finding fails; crashed smoke checks or soft signals make it a WARN. Evidence:
    every finding (name, status, message, metrics such as the overfit loss curve,
    downsampled) and the contract.
    """
    result: CheckResult = check_unit_tested(
        model, batch, loss_fn, optimizer, data, seed=seed, smoke_options=smoke_options
    )
    return result


@register_builtin_check("infra.3")
def pipeline_integration_tested(
    pipeline: Any,
    *,
    max_seconds: float | None = None,
    max_stage_seconds: Mapping[str, float] | None = None,
    min_metric: float | Mapping[str, float] | None = None,
    max_metric: float | Mapping[str, float] | None = None,
    evaluate_stage: str = "evaluate",
    predict_stage: str = "predict",
    expected_stages: Sequence[str] = CANONICAL_STAGES,
) -> CheckResult:
    """The whole pipeline runs end to end on the fast subset, stage by stage.

    Input: ``pipeline`` (``ml_pipeline``): ordered stages, a dict *name → callable*,
    a list of ``(name, callable)`` pairs or :class:`mltestscore.checks.infra_pipeline.
    Pipeline`, canonically ``data → train → evaluate → export → load → predict``. A
    stage parameter named like an earlier stage receives that stage's output, one
    named ``workdir`` a temporary directory for artifacts, one other parameter the
    previous stage's output (see :mod:`mltestscore.checks.infra_pipeline`). Wiring
    is checked before anything runs. Each stage is timed; the first failing stage
    is named with its exception and code location, and the stages that did not run
    are listed. A stage returning ``None`` when a later stage needs its output fails.
    Thresholds: ``evaluate_stage`` returns a number or *name → number* mapping,
    bounded by ``min_metric``/``max_metric`` (a number bounds the first metric;
    use ``max_metric`` for error rates); ``predict_stage`` must return non-empty,
    finite predictions; ``max_seconds`` for the run and ``max_stage_seconds`` per
    stage; missing ``expected_stages`` make a pass a WARN. Evidence: per-stage
    status, seconds, output description (type/shape, never values), warnings,
    wiring, artifacts written.
    """
    result: CheckResult = check_pipeline(
        pipeline,
        max_seconds=max_seconds,
        max_stage_seconds=max_stage_seconds,
        min_metric=min_metric,
        max_metric=max_metric,
        evaluate_stage=evaluate_stage,
        predict_stage=predict_stage,
        expected_stages=expected_stages,
    )
    return result


@register_builtin_check("infra.4")
def validated_before_serving(
    model: Any,
    eval_data: Any,
    metric: Any,
    serving_model: Any = None,
    model_store: Any = None,
    target: str | None = None,
    slices: Any = None,
    predict_fn: PredictFn | None = None,
    *,
    tolerance: float = 0.01,
    slice_tolerance: float | None = None,
    min_metric: float | Mapping[str, float] | None = None,
    max_metric: float | Mapping[str, float] | None = None,
    min_slice_rows: int = 20,
    model_name: str = "",
) -> CheckResult:
    """The candidate is no worse than the serving model on held-out data, and above the floor.

    Inputs: ``model`` (the candidate: torch module, estimator or callable),
    ``eval_data`` (DataFrame + ``target``, ``(X, y)`` or a torch Dataset),
    ``metric`` (a :class:`mltestscore.Metric`, callable, list or mapping of them);
    the serving model as ``serving_model`` or from ``model_store`` (its serving
    version of ``model_name``); optional ``slices`` (name → boolean mask,
    ``(column, value)`` or predicate over the eval rows) and ``predict_fn(model,
    inputs)``. Class scores are turned into labels (argmax) for integer targets.
    Thresholds: ``tolerance`` — largest allowed regression in metric units, overall
    (``slice_tolerance`` per slice, default the same); ``min_metric``/``max_metric``
    absolute bounds (a number bounds the first metric); slices with fewer than
    ``min_slice_rows`` rows are skipped. Evidence: ``promote_ok`` (what ``mltestscore
    gate`` and the store's promote act on) and the per-slice, per-metric table,
    worst first. Without a serving model, only the floor is checked (WARN).
    """
    result: CheckResult = check_validation(
        model,
        eval_data,
        metric,
        serving_model,
        model_store,
        target,
        slices,
        predict_fn,
        tolerance=tolerance,
        slice_tolerance=slice_tolerance,
        min_metric=min_metric,
        max_metric=max_metric,
        min_slice_rows=min_slice_rows,
        model_name=model_name,
    )
    return result


@register_builtin_check("infra.5")
def model_is_debuggable(
    model: Any,
    example: Any = None,
    canary_inputs: Any = None,
    batch: Any = None,
    *,
    max_rows: int = 100,
) -> CheckResult:
    """One example can be traced step by step through the model.

    Inputs: ``model`` (a ``torch.nn.Module`` or a fitted scikit-learn estimator or
    ``Pipeline``) and one input: ``example`` (``ml_example``, as the model takes it: a
    tensor with its batch dimension, a tuple of positional inputs or a dict), else the
    first row of ``canary_inputs`` or of ``batch``'s inputs. Forward hooks on every
    submodule record, in the order outputs are produced, shape, dtype, mean/std/min/max
    and NaN/Inf counts. scikit-learn: each step's output (a ColumnTransformer's per
    transformer), a tree's decision path (forest: the first tree and the votes), a linear
    model's per-feature contributions, then predict_proba and predict. Fails when it
    raises (the module or step running when it raised is named) or when no intermediate
    output is recorded (no submodules; an estimator offering only ``predict``); an
    unfitted estimator is not automated; a NaN/Inf output is a WARN naming the first
    module. Threshold: ``max_rows`` trace rows kept in the evidence.
    """
    result: CheckResult = check_debuggable(
        model, pick_example(example, canary_inputs, batch), max_rows=max_rows
    )
    return result


@register_builtin_check("infra.6")
def canaried_before_serving(
    model: Any,
    canary_inputs: Any,
    export_fn: Callable[..., Any] | None = None,
    serve_command: str | Sequence[str] | None = None,
    *,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    export_format: str = "auto",
    timeout_s: float = 120.0,
    max_latency_ms: float | None = None,
) -> CheckResult:
    """The exported model loads in a separate serving process and reproduces its outputs.

    Inputs: ``model``, ``canary_inputs`` (a numeric batch: rows are inputs);
    optional ``export_fn(model, path, example_input) -> path`` (the team's exporter)
    and ``serve_command`` (the team's serving loader: a command line with
    ``{artifact}``, ``{inputs}`` (.npy), ``{outputs}`` (.npy to write), ``{report}``
    and ``{python}`` placeholders). By default a torch model is exported to ONNX
    (``export_format``: ``auto``/``onnx``/``onnx-dynamo``/``torchscript``) and served
    by onnxruntime (or ``torch.jit.load``) in a fresh ``sys.executable`` process that
    never imports the training code, one request per canary input; a scikit-learn
    estimator or pipeline is converted by skl2onnx (extra ``sklearn-onnx``; canary
    inputs may be a DataFrame, one graph input per column) and its ``predict_proba``
    (else ``predict``) reproduced by onnxruntime the same way. Fails when the
    export fails (e.g. an unsupported operator), when the serving runtime cannot
    load or run the artifact, when outputs differ beyond ``atol + rtol·|expected|``,
    or when latency p95 exceeds ``max_latency_ms``; ``timeout_s`` bounds the process.
    Evidence: export time, load time, latency p50/max per input, the comparison.
    """
    result: CheckResult = check_canary(
        model,
        canary_inputs,
        export_fn,
        serve_command,
        atol=atol,
        rtol=rtol,
        export_format=export_format,
        timeout_s=timeout_s,
        max_latency_ms=max_latency_ms,
    )
    return result


@register_builtin_check("infra.7")
def serving_model_can_be_rolled_back(
    model_store: Any,
    canary_inputs: Any,
    predict_fn: PredictFn | None = None,
    *,
    model_name: str = "",
    atol: float = 1e-6,
    record_missing: bool = False,
) -> CheckResult:
    """Rolling back to the previous version loads, serves and reproduces its predictions.

    Inputs: ``model_store`` (``list``, ``load``, ``serving_version``, ``promote``,
    ``rollback``; optionally ``recorded_predictions``/``record_predictions``),
    ``canary_inputs``; optional ``predict_fn(model, inputs)``. The drill rolls back
    from the serving version N to an earlier one (N−1, or the version that served
    before N, as the store decides), loads what now serves, answers the canary
    inputs and compares with that version's recorded predictions for these inputs
    (or, when none are recorded, with it loaded directly — said in the evidence),
    then rolls forward (``roll_forward`` when the store has it, else ``promote``)
    and verifies N is restored and answers as before; the roll-forward always runs. Fails with
    fewer than two versions, when nothing serves, or when any step fails.
    Thresholds: ``model_name`` (default: the store's only name), ``atol`` for
    numeric predictions, ``record_missing`` records N−1's predictions when absent.
    """
    result: CheckResult = check_rollback(
        model_store,
        canary_inputs,
        predict_fn,
        model_name=model_name,
        atol=atol,
        record_missing=record_missing,
    )
    return result
