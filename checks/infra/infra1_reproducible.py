"""infra.1 — training is reproducible: train twice with the same seed, compare, judge.

Each run's model is snapshotted (:mod:`.parameters`) and, when ``eval_data`` or
``canary_inputs`` are given, asked for predictions through
:func:`mltestscore.inputs.predict.predict` (the adapter every check calls a model with).
Any model that adapter can call is accepted: a model exposing no parameters (a team's
wrapper with ``fit``/``predict``, a plain callable) is compared by its predictions alone,
and one that can be compared in neither way is *not automated*, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mltestscore.checks.infra.parameters import (
    ParamDiff,
    Params,
    compare_parameters,
    diff_text,
    snapshot_parameters,
)
from mltestscore.inputs.arrays import (
    Array,
    OutputDiff,
    compare_outputs,
    is_sklearn_estimator,
    is_torch_module,
    rounded,
)
from mltestscore.inputs.predict import PredictFn, predict
from mltestscore.inputs.tables import head, split_features
from mltestscore.registry import register_builtin_check
from mltestscore.results import CheckResult, NotAutomated

REPRO_NEXT = (
    "Seed every source of randomness inside train_fn from its seed argument (random, "
    "numpy, torch.manual_seed, DataLoader generator and worker_init_fn), call "
    "torch.use_deterministic_algorithms(True), and avoid data-order or thread races."
)


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
    ``state_dict()``, a fitted scikit-learn estimator, or any model
    :func:`mltestscore.inputs.predict.predict` can call, such as a team's wrapper with
    ``predict``: one without parameters is compared by its predictions) training on the fast
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
    if not callable(train_fn):
        raise TypeError(f"train_fn: expected a callable train_fn(seed) -> model, got {train_fn!r}")
    inputs = _prediction_inputs(eval_data, canary_inputs, target, max_prediction_rows)
    first = _train(train_fn, seed, inputs, predict_fn)
    if not first.params and first.predictions is None:
        raise NotAutomated(
            f"train_fn's {first.model_type} exposes no parameters; give ml_eval_data or "
            "ml_canary_inputs so the two runs' predictions can be compared"
        )
    second = _train(train_fn, seed, inputs, predict_fn)
    params = compare_parameters(first.params, second.params, atol=atol)
    preds = _prediction_diff(first, second, prediction_atol)
    evidence: dict[str, Any] = {
        "runs": [_summary(first), _summary(second)],
        "atol": atol,
        "max_abs_param_diff": rounded(params.max_abs_diff, 9),
        "first_differing_parameter": params.first_differing,
        "differing_parameters": params.differing,
        "differing_count": params.total_differing,
        "predictions": None if preds is None else preds.to_dict(),
    }
    if first.model is second.model:
        return CheckResult.failed(
            f"train_fn({seed}) returned the same {first.model_type} object twice: nothing was "
            "retrained, so reproducibility was not tested",
            evidence,
            "Make train_fn build and train a new model on every call (no caching).",
        )
    if params.total_differing:
        return CheckResult.failed(
            f"two training runs with seed {seed} differ: {params.total_differing} of "
            f"{params.compared} parameter arrays, {diff_text(params)} > atol {atol:g}; "
            f"first differing parameter {params.first_differing!r}",
            evidence,
            REPRO_NEXT,
        )
    if preds is not None and not preds.equal:
        differ = (
            f"on {preds.mismatched} of {preds.compared} outputs (max |diff| {preds.max_abs_diff})"
        )
        if not first.params:
            return CheckResult.failed(
                f"predictions of two training runs with seed {seed} differ {differ}; "
                f"the {first.model_type} exposes no parameters, so its predictions were compared",
                evidence,
                REPRO_NEXT,
            )
        return CheckResult.failed(
            f"parameters agree but predictions of the two seed-{seed} models differ {differ}",
            evidence,
            "Look for randomness at prediction time (dropout left on, sampling) "
            "or state outside the parameters. " + REPRO_NEXT,
        )
    summary = _agreement(first, params, preds, seed, atol)
    if not check_seed_sensitivity:
        return CheckResult.passed(summary, evidence)
    third = _train(train_fn, other_seed, inputs, predict_fn)
    other = compare_parameters(first.params, third.params, atol=atol)
    other_preds = _prediction_diff(first, third, prediction_atol)
    evidence["runs"].append(_summary(third))
    evidence["other_seed_max_abs_param_diff"] = rounded(other.max_abs_diff, 9)
    if first.params:
        changed = diff_text(other) if other.total_differing else ""
    else:
        evidence["other_seed_predictions"] = None if other_preds is None else other_preds.to_dict()
        changed = (
            f"{other_preds.mismatched} of {other_preds.compared} predictions differ"
            if other_preds is not None and not other_preds.equal
            else ""
        )
    if not changed:
        return CheckResult.warned(
            summary + f"; but seed {other_seed} gives the identical model, so train_fn may "
            "ignore its seed (or training is deterministic by construction)",
            evidence,
            "Pass the seed to every random source in train_fn; if the fit is "
            "closed-form, set check_seed_sensitivity = false.",
        )
    return CheckResult.passed(
        summary + f"; seed {other_seed} changes them ({changed}), "
        "so the comparison can tell models apart",
        evidence,
    )


@dataclass(frozen=True)
class _Run:
    seed: int
    seconds: float
    params: Params
    predictions: Array | None
    model_type: str
    model: object  # kept to detect a train_fn that returns the same object twice


def _prediction_inputs(eval_data: Any, canary_inputs: Any, target: str | None, rows: int) -> Any:
    """The first ``rows`` rows both models predict: eval features, else canary inputs."""
    if eval_data is not None:
        return head(split_features(eval_data, target, "eval_data", limit=rows)[0], rows)
    if canary_inputs is not None:
        return head(canary_inputs, rows)
    return None


def _comparable(model: object, predict_fn: PredictFn | None) -> bool:
    """Parameters can be read from it, or the predict adapter can call it."""
    return (
        predict_fn is not None
        or is_torch_module(model)
        or is_sklearn_estimator(model)
        or callable(getattr(model, "state_dict", None))
        or callable(getattr(model, "predict", None))
        or callable(model)
    )


def _train(
    train_fn: Callable[[int], Any], seed: int, inputs: Any, predict_fn: PredictFn | None
) -> _Run:
    """Call ``train_fn(seed)``, snapshot its parameters and (optionally) its predictions."""
    start = time.perf_counter()
    model = train_fn(seed)
    seconds = time.perf_counter() - start
    if model is None:
        raise ValueError(f"train_fn({seed}) returned None; it must return the trained model")
    kind = type(model).__name__
    if not _comparable(model, predict_fn):
        raise TypeError(
            "train_fn must return a torch.nn.Module, an object with state_dict(), a fitted "
            f"scikit-learn estimator or a model with predict() (or a callable); it returned {kind}"
        )
    params = snapshot_parameters(model)
    what = f"train_fn({seed})'s {kind}"
    predictions = None if inputs is None else predict(model, inputs, predict_fn, what=what)
    return _Run(seed, seconds, params, predictions, kind, model)


def _prediction_diff(a: _Run, b: _Run, atol: float) -> OutputDiff | None:
    if a.predictions is None or b.predictions is None:
        return None
    return compare_outputs(a.predictions, b.predictions, atol=atol)


def _summary(run: _Run) -> dict[str, Any]:
    return {
        "seed": run.seed,
        "seconds": rounded(run.seconds, 4),
        "parameters": len(run.params),
        "values": int(sum(p.size for p in run.params.values())),
        "model_type": run.model_type,
    }


def _agreement(
    first: _Run, params: ParamDiff, preds: OutputDiff | None, seed: int, atol: float
) -> str:
    if not first.params and preds is not None:
        return (
            f"two training runs with seed {seed} agree on {preds.compared} predicted outputs "
            f"(max |diff| {preds.max_abs_diff or 0.0:.3g}); the {first.model_type} exposes no "
            "parameters, so its predictions were compared"
        )
    values = sum(p.size for p in first.params.values())
    summary = (
        f"two training runs with seed {seed} agree: {params.compared} parameter arrays "
        f"({values} values), max |diff| {params.max_abs_diff:.3g} ≤ atol {atol:g}"
    )
    if preds is not None:
        summary += f"; predictions on {preds.compared} outputs agree"
    return summary
