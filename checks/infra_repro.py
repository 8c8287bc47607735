"""infra.1 computations: snapshot a trained model's parameters and compare two runs.

Parameters are read from a ``torch.nn.Module`` (``state_dict``: weights and
buffers), any object with ``state_dict()``, or a fitted scikit-learn estimator
(its fitted ``*_`` attributes, recursing into pipelines, ensembles and trees).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mltestscore.checks.infra_arrays import (
    OutputDiff,
    compare_outputs,
    is_sklearn_estimator,
    is_tensor,
    rounded,
    to_numpy,
)
from mltestscore.checks.infra_predict import PredictFn, predict_with, split_eval_data, take_rows
from mltestscore.results import CheckResult, NotAutomated

Params = dict[str, np.ndarray]
_MAX_DEPTH = 6


def snapshot_parameters(model: Any) -> Params:
    """Name → copy of every parameter array of ``model`` (see the module docstring)."""
    if hasattr(model, "state_dict") and callable(model.state_dict):
        state = model.state_dict()
        if not isinstance(state, Mapping):
            raise TypeError(f"{type(model).__name__}.state_dict() returned {type(state).__name__}")
        params: Params = {}
        for name, value in state.items():
            if is_tensor(value) or isinstance(value, (np.ndarray, int, float)):
                params[str(name)] = np.array(to_numpy(value), copy=True)
        return params
    if is_sklearn_estimator(model):
        params = {}
        _collect_fitted(model, "", params, 0)
        return params
    raise TypeError(
        "train_fn must return a torch.nn.Module, an object with state_dict(), or a fitted "
        f"scikit-learn estimator; it returned {type(model).__name__}"
    )


def _collect_fitted(obj: Any, prefix: str, out: Params, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if hasattr(obj, "steps") and isinstance(obj.steps, list):  # sklearn Pipeline
        for step_name, step in obj.steps:
            if step is not None and step != "passthrough":
                _collect_fitted(step, f"{prefix}{step_name}.", out, depth + 1)
        return
    for attr, value in sorted(vars(obj).items()):
        if not attr.endswith("_") or attr.startswith("_") or attr.endswith("__"):
            continue
        _collect_value(value, f"{prefix}{attr}", out, depth)


def _collect_value(value: Any, name: str, out: Params, depth: int) -> None:
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        out[name] = np.array(value, copy=True)
    elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        out[name] = np.asarray(value, dtype=np.float64)
    elif isinstance(value, (list, tuple)) or (
        isinstance(value, np.ndarray) and value.dtype == object
    ):
        for i, item in enumerate(
            list(np.asarray(value, dtype=object).ravel())
            if isinstance(value, np.ndarray)
            else value
        ):
            _collect_value(item, f"{name}[{i}]", out, depth + 1)
    elif type(value).__name__ == "Tree" and hasattr(value, "threshold"):  # sklearn tree_
        for field in ("feature", "threshold", "value"):
            out[f"{name}.{field}"] = np.array(getattr(value, field), copy=True)
    elif is_sklearn_estimator(value):
        _collect_fitted(value, f"{name}.", out, depth + 1)


@dataclass(frozen=True)
class ParamDiff:
    """How two parameter snapshots differ.

    ``max_abs_diff`` is over parameters present in both runs with the same shape;
    ``structural`` counts those missing from one run, shaped differently or not finite.
    """

    compared: int
    max_abs_diff: float
    first_differing: str | None
    differing: list[dict[str, Any]]  # name, max_abs_diff / note; capped
    total_differing: int
    structural: int


def compare_parameters(a: Params, b: Params, *, atol: float, cap: int = 10) -> ParamDiff:
    """Compare two snapshots in ``a``'s order; a parameter differs when its max |Δ| > atol."""
    rows: list[dict[str, Any]] = []
    overall = 0.0
    structural = 0
    names = list(a) + [n for n in b if n not in a]
    for name in names:
        if name not in a or name not in b:
            structural += 1
            note = "only in run 1" if name in a else "only in run 2"
            rows.append({"name": name, "max_abs_diff": None, "note": note})
            continue
        diff = compare_outputs(a[name], b[name], atol=atol)
        if diff.max_abs_diff is None and not diff.equal:
            structural += 1
            rows.append({"name": name, "max_abs_diff": None, "note": diff.note or "NaN/Inf"})
            continue
        delta = diff.max_abs_diff or 0.0
        overall = max(overall, delta)
        if not diff.equal:
            row = {"name": name, "max_abs_diff": rounded(delta, 9)}
            rows.append(row | {"mismatched": diff.mismatched, "size": diff.compared})
    first = rows[0]["name"] if rows else None
    return ParamDiff(len(names), overall, first, rows[:cap], len(rows), structural)


def diff_text(diff: ParamDiff) -> str:
    """``max |diff| 0.93`` plus how many parameters differ in shape/presence."""
    structural = f"{diff.structural} differ in shape, presence or NaN"
    if diff.structural and not diff.max_abs_diff:
        return structural
    text = f"max |diff| {diff.max_abs_diff:.3g}"
    return f"{text}, {structural}" if diff.structural else text


@dataclass(frozen=True)
class TrainRun:
    seed: int
    seconds: float
    params: Params
    predictions: np.ndarray | None
    model_type: str
    model: Any  # kept to detect a train_fn that returns the same object twice


def train_once(
    train_fn: Callable[[int], Any], seed: int, inputs: Any, predict_fn: PredictFn | None
) -> TrainRun:
    """Call ``train_fn(seed)``, snapshot its parameters and (optionally) its predictions."""
    start = time.perf_counter()
    model = train_fn(seed)
    seconds = time.perf_counter() - start
    if model is None:
        raise ValueError(f"train_fn({seed}) returned None; it must return the trained model")
    params = snapshot_parameters(model)
    predictions = None if inputs is None else predict_with(model, inputs, predict_fn)
    return TrainRun(seed, seconds, params, predictions, type(model).__name__, model)


def prediction_diff(a: TrainRun, b: TrainRun, atol: float) -> OutputDiff | None:
    if a.predictions is None or b.predictions is None:
        return None
    return compare_outputs(a.predictions, b.predictions, atol=atol)


def run_summary(run: TrainRun) -> dict[str, Any]:
    return {
        "seed": run.seed,
        "seconds": rounded(run.seconds, 4),
        "parameters": len(run.params),
        "values": int(sum(p.size for p in run.params.values())),
        "model_type": run.model_type,
    }


REPRO_NEXT = (
    "Seed every source of randomness inside train_fn from its seed argument (random, "
    "numpy, torch.manual_seed, DataLoader generator and worker_init_fn), call "
    "torch.use_deterministic_algorithms(True), and avoid data-order or thread races."
)


def prediction_inputs(eval_data: Any, canary_inputs: Any, target: str | None, rows: int) -> Any:
    if eval_data is not None:
        return take_rows(split_eval_data(eval_data, target, limit=rows)[0], rows)
    if canary_inputs is not None:
        return take_rows(canary_inputs, rows)
    return None


def check_reproducible(
    train_fn: Callable[[int], Any],
    inputs: Any,
    predict_fn: PredictFn | None,
    *,
    seed: int,
    atol: float,
    prediction_atol: float,
    check_seed_sensitivity: bool,
    other_seed: int,
) -> CheckResult:
    """Train twice (three times with the sensitivity run), compare, judge."""
    if not callable(train_fn):
        raise TypeError(f"train_fn: expected a callable train_fn(seed) -> model, got {train_fn!r}")
    first = train_once(train_fn, seed, inputs, predict_fn)
    second = train_once(train_fn, seed, inputs, predict_fn)
    params = compare_parameters(first.params, second.params, atol=atol)
    preds = prediction_diff(first, second, prediction_atol)
    evidence: dict[str, Any] = {
        "runs": [run_summary(first), run_summary(second)],
        "atol": atol,
        "max_abs_param_diff": rounded(params.max_abs_diff, 9),
        "first_differing_parameter": params.first_differing,
        "differing_parameters": params.differing,
        "differing_count": params.total_differing,
        "predictions": None if preds is None else preds.to_dict(),
    }
    if not first.params and preds is None:
        raise NotAutomated(
            f"train_fn's {first.model_type} exposes no parameters; give ml_eval_data or "
            "ml_canary_inputs so the two runs' predictions can be compared"
        )
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
        return CheckResult.failed(
            f"parameters agree but predictions of the two seed-{seed} models differ on "
            f"{preds.mismatched} of {preds.compared} outputs (max |diff| {preds.max_abs_diff})",
            evidence,
            "Look for randomness at prediction time (dropout left on, sampling) "
            "or state outside the parameters. " + REPRO_NEXT,
        )
    summary = (
        f"two training runs with seed {seed} agree: {params.compared} parameter arrays "
        f"({evidence['runs'][0]['values']} values), max |diff| {params.max_abs_diff:.3g} ≤ "
        f"atol {atol:g}"
    )
    if preds is not None:
        summary += f"; predictions on {preds.compared} outputs agree"
    if not check_seed_sensitivity:
        return CheckResult.passed(summary, evidence)
    third = train_once(train_fn, other_seed, inputs, predict_fn)
    other = compare_parameters(first.params, third.params, atol=atol)
    evidence["runs"].append(run_summary(third))
    evidence["other_seed_max_abs_param_diff"] = rounded(other.max_abs_diff, 9)
    if not other.total_differing:
        return CheckResult.warned(
            summary + f"; but seed {other_seed} gives the identical model, so train_fn may "
            "ignore its seed (or training is deterministic by construction)",
            evidence,
            "Pass the seed to every random source in train_fn; if the fit is "
            "closed-form, set check_seed_sensitivity = false.",
        )
    return CheckResult.passed(
        summary + f"; seed {other_seed} changes them ({diff_text(other)}), "
        "so the comparison can tell models apart",
        evidence,
    )
